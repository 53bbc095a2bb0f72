/*
 * cli/cmd_down.c - `uwg down`, `uwg save` and `uwg strip`: PreDown,
 * SaveConfig, removal of exactly what `uwg up` recorded in its state file
 * (rules, routes, DNS, then the link, whose deletion ends the daemon, then a
 * namespace it created),
 * PostDown; saving without going down; printing the wg-only part of a config.
 * Main thread only.
 */
#include "cli/cmd_main.h"
#include "cli/commands.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd_quick.h"
#include "cli/uapi_client.h"
#include "crypto/crypto.h"
#include "crypto/ct.h"
#include "tun/steer.h"

static bool interface_exists(struct uwg_netlink *nl, struct uwg_netlink *inner,
			     const char *ifname)
{
	return uwg_uapi_client_exists(ifname) || uwg_netlink_link_index(nl, ifname) > 0 ||
	       (inner && uwg_netlink_link_index(inner, ifname) > 0);
}

/*
 * No state file (the interface was not brought up by uwg up, or the file was
 * lost): wg-quick's own teardown, which finds its rules by the fwmark table.
 */
static void remove_policy_without_state(struct uwg_quick *q, struct uwg_netlink *nl)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct uwg_conf dev;
	bool any_default = false;

	if (q->conf.table != UWG_TABLE_AUTO)
		return;
	uwg_conf_init(&dev);
	if (uwg_uapi_client_get(q->ifname, &dev) || !dev.fwmark)
		goto out;
	for (size_t i = 0; i < dev.n_peers; i++)
		for (size_t j = 0; j < dev.peers[i].n_aips; j++)
			any_default |= dev.peers[i].aips[j].prefix.len == 0;
	if (!any_default)
		goto out;
	for (size_t f = 0; f < 2; f++) {
		struct uwg_nl_rule *rules = NULL;
		size_t n = 0;
		bool removed_table_rule = false;

		if (uwg_netlink_rule_list(nl, families[f], &rules, &n))
			continue;
		for (size_t i = 0; i < n; i++) {
			char buf[256];
			bool ours = !rules[i].other && rules[i].table == dev.fwmark &&
				    rules[i].suppress_prefixlen < 0;
			bool suppress = !rules[i].other && rules[i].table == 254 &&
					rules[i].suppress_prefixlen == 0 && !rules[i].fwmark;

			if (!ours && !(suppress && removed_table_rule))
				continue;
			uwg_quick_describe_rule(&rules[i], false, buf, sizeof(buf));
			uwg_quick_trace("%s", buf);
			if (!uwg_netlink_rule_del(nl, &rules[i]) && ours)
				removed_table_rule = true;
		}
		free(rules);
	}
out:
	uwg_conf_free(&dev);
}

int uwg_cmd_down_main(int argc, char **argv)
{
	struct uwg_quick q;
	struct uwg_netlink *nl = NULL, *inner = NULL;
	struct uwg_quick_state state;
	const char *netns;
	bool exists, has_state;
	int ret = 0, err;

	if (argc != 2) {
		uwg_subcommand_usage(stderr, argv[0]);
		return 1;
	}
	if (uwg_crypto_init() < 0 || uwg_quick_load(&q, argv[1], "down"))
		return 1;
	err = uwg_netlink_open(&nl);
	if (err) {
		fprintf(stderr, "uwg down: cannot open rtnetlink: %s\n", strerror(-err));
		uwg_quick_free(&q);
		return 1;
	}
	has_state = uwg_quick_state_load(&state, q.ifname) == 0;
	/* Where `uwg up' put the interface (the config may have changed since). */
	netns = has_state ? uwg_quick_state_netns(&state) : q.conf.netns;
	if (netns)
		snprintf(q.netns, sizeof(q.netns), "%s", netns);
	inner = uwg_quick_netns_netlink(netns);
	exists = interface_exists(nl, inner, q.ifname);
	if (!exists && !has_state) {
		fprintf(stderr, "uwg down: `%s' is not a WireGuard interface\n", q.ifname);
		ret = 1;
		goto out;
	}
	uwg_quick_block_signals();
	if (exists) {
		if (uwg_quick_hooks(&q, UWG_HOOK_PRE_DOWN))
			fprintf(stderr, "uwg down: a PreDown hook failed; going down anyway\n");
		if (q.conf.save_config && uwg_quick_save_config(&q, inner ? inner : nl)) {
			fprintf(stderr, "uwg down: SaveConfig failed; %s stays up\n", q.ifname);
			ret = 1;
			goto out;
		}
	} else {
		uwg_quick_trace("%s is gone; removing what `uwg up %s' left behind", q.ifname,
				q.ifname);
	}
	/* The socket inside would keep a namespace alive that the undo deletes. */
	uwg_netlink_close(inner);
	inner = NULL;
	if (has_state) {
		if (uwg_quick_state_undo(&state, nl))
			ret = 1;
	} else {
		remove_policy_without_state(&q, nl);
	}
	if (has_state && q.conf.nat.enable) {
		/* A daemon that exited removed its NAT steering; one that was killed could not. */
		char wan[UWG_NAT_IFNAME_MAX + 1];

		if (!exists && !uwg_quick_nat_flush_stale(&q.conf.nat, wan))
			uwg_quick_trace("tc filter del dev %s ingress pref %u-%u   # NAT steering "
					"of the crashed daemon", wan, UWG_STEER_PRIO_BASE,
					UWG_STEER_PRIO_BASE + UWG_STEER_PRIO_COUNT - 1);
	}
	if (interface_exists(nl, NULL, q.ifname)) {
		/* Not recorded (started some other way): delete it as wg-quick would. */
		struct uwg_quick_item it[2] = { { .kind = UWG_ITEM_NETNS }, { .kind = UWG_ITEM_LINK } };
		struct uwg_quick_state s;

		uwg_quick_state_init(&s, q.ifname);
		/* A namespace named here but not created by this up is looked into, never removed. */
		snprintf(it[0].name, sizeof(it[0].name), "%s", q.netns);
		snprintf(it[1].name, sizeof(it[1].name), "%s", q.ifname);
		s.items = q.netns[0] ? it : it + 1;
		s.n = q.netns[0] ? 2 : 1;
		if (uwg_quick_state_undo(&s, nl))
			ret = 1;
	}
	{
		/* A clean down forgets the port maps; a crash keeps them (cli/daemon/leases.h). */
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s.leases", UWG_LEASE_DIR, q.ifname);
		if (unlink(path) == 0)
			uwg_quick_trace("rm %s   # the port maps' lease file", path);
	}
	/* A namespace this up created is gone by now: PostDown runs here then. */
	if (q.netns[0] && !uwg_tun_netns_exists(q.netns))
		q.netns[0] = '\0';
	if (exists && uwg_quick_hooks(&q, UWG_HOOK_POST_DOWN)) {
		fprintf(stderr, "uwg down: a PostDown hook failed\n");
		ret = 1;
	}
out:
	uwg_quick_state_free(&state);
	uwg_netlink_close(inner);
	uwg_netlink_close(nl);
	uwg_quick_free(&q);
	return ret;
}

int uwg_cmd_save_main(int argc, char **argv)
{
	struct uwg_quick q;
	struct uwg_netlink *nl = NULL;
	int ret = 0, err;

	if (argc != 2) {
		uwg_subcommand_usage(stderr, argv[0]);
		return 1;
	}
	if (uwg_crypto_init() < 0 || uwg_quick_load(&q, argv[1], "save"))
		return 1;
	err = uwg_netlink_open(&nl);
	if (err) {
		fprintf(stderr, "uwg save: cannot open rtnetlink: %s\n", strerror(-err));
		ret = 1;
	} else if (!uwg_uapi_client_exists(q.ifname)) {
		fprintf(stderr, "uwg save: `%s' is not a WireGuard interface\n", q.ifname);
		ret = 1;
	} else if (uwg_quick_save_config(&q, nl)) {
		ret = 1;
	}
	uwg_netlink_close(nl);
	uwg_quick_free(&q);
	return ret;
}

/* wg-quick's key test on a raw line: text before '#', before '=', trimmed. */
static void line_key(const char *line, char *key, size_t len)
{
	size_t n = strcspn(line, "#="), s = 0;

	while (s < n && isspace((unsigned char)line[s]))
		s++;
	while (n > s && isspace((unsigned char)line[n - 1]))
		n--;
	snprintf(key, len, "%.*s", (int)(n - s), line + s);
}

int uwg_cmd_strip_main(int argc, char **argv)
{
	struct uwg_quick q;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool interface = false;

	if (argc != 2) {
		uwg_subcommand_usage(stderr, argv[0]);
		return 1;
	}
	if (uwg_crypto_init() < 0 || uwg_quick_load(&q, argv[1], "strip"))
		return 1;
	f = fopen(q.path, "re");
	if (!f) {
		fprintf(stderr, "uwg strip: %s: %s\n", q.path, strerror(errno));
		uwg_quick_free(&q);
		return 1;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		char key[64];
		bool skip = false;
		size_t s = 0, e = (size_t)n;

		/* `read -r` drops the newline and surrounding blanks. */
		while (e > 0 && (line[e - 1] == '\n' || line[e - 1] == ' ' || line[e - 1] == '\t'))
			e--;
		while (s < e && (line[s] == ' ' || line[s] == '\t'))
			s++;
		line[e] = '\0';
		line_key(line + s, key, sizeof(key));
		if (key[0] == '[')
			interface = !strcasecmp(key, "[Interface]");
		skip = interface && (uwg_conf_is_quick_key(key) || uwg_nat_conf_canonical(key) ||
				     uwg_igd_conf_canonical(key) || uwg_fw_conf_canonical(key));
		if (!skip)
			printf("%s\n", line + s);
		uwg_memzero(line, cap);
	}
	printf("\n");
	free(line);
	fclose(f);
	uwg_quick_free(&q);
	return 0;
}
