/*
 * cli/daemon/daemon.h - the wireguard-go compatible daemon invocation
 * `uwg [-f|--foreground] [--log-file PATH] INTERFACE-NAME`: process
 * lifecycle (TUN and UAPI socket first, then daemonise and report readiness to
 * the waiting parent), environment knobs and logging setup. Main thread only.
 */
#ifndef UWG_CLI_DAEMON_DAEMON_H
#define UWG_CLI_DAEMON_DAEMON_H

#include <stdio.h>

/* Returns the process exit status (0 ok, 1 setup failed). */
int uwg_daemon_main(int argc, char **argv);
void uwg_daemon_usage(FILE *f, const char *prog);

#endif
