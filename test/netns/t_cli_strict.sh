#!/usr/bin/env bash
# t_cli_strict: a first argument that is `help' or a near miss of a subcommand never starts a
# daemon (it used to: `uwg genkye' created a TUN and a socket named genkye); the
# wireguard-go form `uwg IFNAME' keeps working for other names, short ones included, and
# `uwg -- NAME' starts a daemon for a name that looks like a typo.
. "$(dirname "$0")/lib.sh"
require_uwg
need setpriv

ns_new a

# run_in NS ARGS...: the command in NS, output in $OUT, status in $RC.
run_in()
{
	local ns=$1
	shift
	OUT=$(nsx "$ns" env -u LOG_LEVEL timeout 20 "$UWG_BIN" "$@" 2>&1 </dev/null)
	RC=$?
}
nothing_created()
{
	[ -z "$(ip -n "$(nsname a)" -o link show type tun 2>/dev/null)" ] ||
		fail "$1: created $(ip -n "$(nsname a)" -o link show type tun)"
	[ -e "$WG_RUN/$1.sock" ] && fail "$1: created $WG_RUN/$1.sock"
	return 0
}

for typo in genkye Show sho pubkeys upp shwo sett; do
	T_IFS+=("$typo")
	run_in a "$typo"
	[ "$RC" = 1 ] || fail "uwg $typo exited $RC: $OUT"
	grep -q "did you mean" <<<"$OUT" || fail "uwg $typo: no suggestion: $OUT"
	nothing_created "$typo"
done
log "typos refused: $(run_in a genkye; head -1 <<<"$OUT")"

run_in a help
[ "$RC" = 0 ] && grep -q '^Subcommands:' <<<"$OUT" || fail "uwg help: $RC $OUT"
grep -q 'UWG_USER' <<<"$OUT" || fail "uwg help does not list UWG_USER"
grep -q 'UWG_TEST_TIMER_DIVISOR' <<<"$OUT" && fail "uwg help lists a test-only knob"
nothing_created help
log "help prints the help and starts nothing"

# every subcommand's --help: its usage on stdout, status 0, nothing done
for sub in up down save strip show showconf set setconf addconf syncconf genkey genpsk pubkey; do
	for h in --help -h; do
		run_in a "$sub" "$h"
		[ "$RC" = 0 ] && grep -q "^Usage: uwg $sub" <<<"$OUT" || fail "uwg $sub $h: $RC $OUT"
	done
done
grep -q 'stats, nat, upnp, firewall, metrics' <<<"$(run_in a show --help; echo "$OUT")" ||
	fail "uwg show --help does not name uwg's fields"
log "every subcommand's --help prints its usage"

# real names, including short ones within 2 edits of `up' or `set'
for name in $(ifname 0) vpn tun; do
	T_IFS+=("$name")
	run_in a "$name"
	[ "$RC" = 0 ] || fail "uwg $name: $RC $OUT"
	daemon_register a "$name" || fail "nothing listens on $name's socket"
	ip -n "$(nsname a)" link del "$name"
	wait_for 5 test ! -e "$WG_RUN/$name.sock" || fail "$name's socket left"
done
log "uwg IFNAME still starts daemons (short names too)"

T_IFS+=(sett)
run_in a -- sett
[ "$RC" = 0 ] || fail "uwg -- sett: $RC $OUT"
daemon_register a sett || fail "uwg -- sett: no daemon"

# Without the privileges for the root-only socket: wg's "Permission denied" and status 1,
# never an empty success a monitoring script would read as "no peers".
for args in "show all dump" "show" "show sett" "show sett dump"; do
	OUT=$(nsx a setpriv --reuid=65534 --regid=65534 --clear-groups "$UWG_BIN" $args 2>&1 </dev/null)
	RC=$?
	[ "$RC" = 1 ] && grep -q 'Permission denied' <<<"$OUT" || fail "uwg $args as nobody: $RC $OUT"
done
OUT=$(nsx a setpriv --reuid=65534 --regid=65534 --clear-groups "$UWG_BIN" show interfaces 2>&1)
grep -qw sett <<<"$OUT" || fail "uwg show interfaces as nobody: $OUT"
log "as nobody: Permission denied and status 1"
ip -n "$(nsname a)" link del sett
wait_for 5 test ! -e "$WG_RUN/sett.sock" || fail "sett's socket left"
pass "typos and help start nothing; IFNAME and -- NAME start daemons; unprivileged show fails loudly"
