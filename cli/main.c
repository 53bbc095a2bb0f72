/*
 * cli/main.c - the uwg command: dispatches subcommands. Placeholder until the
 * daemon lands (issue 3).
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("uwg %s\n", UWG_VERSION);
		return 0;
	}
	fprintf(stderr, "Usage: %s [-f|--foreground] INTERFACE-NAME\n", argv[0]);
	return 1;
}
