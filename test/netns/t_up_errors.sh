#!/usr/bin/env bash
# t_up_errors: every malformed config of test/fuzz/corpus/fuzz_config/bad-*.conf makes
# `uwg up` print exactly one line, "FILE:LINE: Key: what was expected", and leave no
# interface, socket, state file, route or rule behind. A failure after the interface exists
# (PostUp hook, PreUp hook, daemon that fails) rolls everything back, including the fwmark
# policy of a full tunnel. Also: "already exists", down of an unknown interface, bad file
# names, the world-accessible warning.
. "$(dirname "$0")/up_lib.sh"

SRC=${UWG_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CORPUS="$SRC/test/fuzz/corpus/fuzz_config"
topo_internet
before=$(snapshot cli)

# nothing_left IF: no trace of IF in the client namespace or on the filesystem.
nothing_left()
{
	has "$1" nsx cli ip link show && fail "$2: interface $1 left behind"
	[ -e "/var/run/wireguard/$1.sock" ] && fail "$2: socket left behind"
	[ -e "/var/run/uwg/$1.state" ] && fail "$2: state file left behind"
	[ "$(snapshot cli)" = "$before" ] || fail "$2: routing differs:
$(diff <(printf '%s\n' "$before") <(snapshot cli))"
}

n=0
BAD_IF=$(ifname b)
track_if "$BAD_IF"
for f in "$CORPUS"/bad-*.conf; do
	cfg="$T_TMP/$BAD_IF.conf"
	(umask 077; cp "$f" "$cfg")
	want="$cfg$(head -1 "$f" | sed 's/^# expect: //')"
	out=$(uwgx cli up "$cfg" 2>&1) && fail "$(basename "$f"): up succeeded"
	[ "$out" = "$want" ] || fail "$(basename "$f"):
got:  $out
want: $want"
	nothing_left "$BAD_IF" "$(basename "$f")"
	n=$((n + 1))
done
[ "$n" -ge 20 ] || fail "only $n malformed configs found in $CORPUS"

# Failures after the interface exists roll everything back (full tunnel: rules too).
CLIENT_ALLOWED="0.0.0.0/0, ::/0" CLI_EXTRA="PostUp = echo post-up ran; exit 3" std_confs
out=$(uwgx cli up "$CLI_CONF" 2>&1) && fail "up with a failing PostUp succeeded"
grep -q 'rule add not fwmark' <<<"$out" || fail "the policy was never applied: $out"
grep -q "failed; undoing" <<<"$out" || fail "no rollback message: $out"
wait_gone "$CLI_IF" || fail "daemon still running after rollback"
nothing_left "$CLI_IF" "failing PostUp"

sed -i 's/^PostUp = .*/PreUp = exit 1/' "$CLI_CONF"
uwgx cli up "$CLI_CONF" >/dev/null 2>&1 && fail "up with a failing PreUp succeeded"
wait_gone "$CLI_IF" || fail "daemon still running after PreUp failure"
nothing_left "$CLI_IF" "failing PreUp"

sed -i '/^PreUp = /d' "$CLI_CONF"
out=$(UWG_DAEMON=/bin/false uwgx cli up "$CLI_CONF" 2>&1) && fail "up with a failing daemon succeeded"
grep -q "the daemon \`/bin/false $CLI_IF' failed (exit status 1)" <<<"$out" || fail "daemon error: $out"
nothing_left "$CLI_IF" "failing daemon"

# Already exists / not an interface.
uwgx cli up "$CLI_CONF" >/dev/null 2>&1 || fail "up"
out=$(uwgx cli up "$CLI_CONF" 2>&1) && fail "second up succeeded"
[ "$out" = "uwg up: \`$CLI_IF' already exists" ] || fail "already exists: $out"
has 'lookup 51820' nsx cli ip rule show || fail "second up damaged the first"
uwgx cli down "$CLI_CONF" >/dev/null 2>&1 || fail "down"
wait_gone "$CLI_IF" || fail "daemon still running after down"
out=$(uwgx cli down "$CLI_CONF" 2>&1) && fail "down of a downed interface succeeded"
[ "$out" = "uwg down: \`$CLI_IF' is not a WireGuard interface" ] || fail "not an interface: $out"
nothing_left "$CLI_IF" "up, up, down, down"

# File names and permissions.
out=$("$UWG" up "$T_TMP/not an interface name.conf" 2>&1) && fail "bad file name accepted"
grep -q 'must be a valid interface name' <<<"$out" || fail "bad file name: $out"
out=$("$UWG" strip "$T_TMP/missing0.conf" 2>&1) && fail "missing file accepted"
[ "$out" = "uwg strip: \`$T_TMP/missing0.conf' does not exist" ] || fail "missing file: $out"
mkdir -m 755 "$T_TMP/open"
cp "$CLI_CONF" "$T_TMP/open/"
chmod 644 "$T_TMP/open/$CLI_IF.conf"
out=$("$UWG" strip "$T_TMP/open/$CLI_IF.conf" 2>&1 >/dev/null)
[ "$out" = "Warning: \`$T_TMP/open/$CLI_IF.conf' is world accessible" ] || fail "no warning: $out"
out=$("$UWG" strip "$CLI_CONF" 2>&1 >/dev/null)
[ -z "$out" ] || fail "warning for a private file: $out"

pass "$n malformed configs, rollback after PostUp/PreUp/daemon failure, name and state errors"
