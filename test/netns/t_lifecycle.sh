#!/usr/bin/env bash
# t_lifecycle: the wireguard-go compatible daemon contract (what wg-quick relies on):
# --version; `IMPL IF` returns 0 only once the TUN and the UAPI socket exist; a second
# instance on the same name fails with a message and leaves the first intact (also from
# another namespace); a stale socket file is replaced; removing the socket, SIGTERM, deleting
# the link, and deleting the namespace the TUN was moved into each make the daemon exit and
# remove its socket; `IMPL IF | cat` does not hang; -f stays in the foreground; a bad name
# fails cleanly.
. "$(dirname "$0")/lib.sh"
need pgrep python3

ns_new a
ns_new b

# bare NS IF [ENV...]: start the daemon exactly as wg-quick does (no options), output to a file.
bare()
{
	local ns=$1 ifn=$2
	shift 2
	T_IFS+=("$ifn")
	nsx "$ns" env -u LOG_LEVEL "$@" timeout 20 "$UWG_BIN" "$ifn" >"$T_TMP/bare-$ifn.out" 2>&1 </dev/null
}

# gone PID SECS: wait until PID has exited.
gone() { wait_for "$2" sh -c "! kill -0 $1 2>/dev/null || grep -q '^State:.*Z' /proc/$1/status"; }

sock_inode() { stat -c %i "$WG_RUN/$1.sock" 2>/dev/null; }

# --version
out=$("$UWG_BIN" --version 2>&1) || fail "--version exited non-zero: $out"
[ -n "$out" ] || fail "--version printed nothing"
log "--version: $(head -1 <<<"$out")"

# Start contract: checked the instant the parent returns, no waiting.
I1=$(ifname l1)
bare a "$I1" || fail "start $I1 failed: $(cat "$T_TMP/bare-$I1.out")"
[ -S "$WG_RUN/$I1.sock" ] || fail "parent returned before $WG_RUN/$I1.sock existed"
ip -n "$(nsname a)" link show "$I1" >/dev/null 2>&1 || fail "parent returned before TUN $I1 existed"
daemon_register a "$I1" || fail "nothing listens on $I1's socket"
pid1=${DPID[$I1]}
mode=$(stat -c %a "$WG_RUN/$I1.sock")
[ $(( 8#$mode & 8#077 )) = 0 ] || fail "socket mode $mode gives group/other access"
check "wg show $I1 dump" wgx a show "$I1" dump
ino1=$(sock_inode "$I1")
log "start contract ok (pid $pid1, socket mode $mode)"

# A second instance on the same name: in the same namespace (TUN busy) and in another one
# (TUN name free there, socket in use). Both must fail and leave the first one intact.
for ns in a b; do
	if bare "$ns" "$I1"; then
		fail "second '$UWG_BIN $I1' in ns $ns succeeded"
	fi
	[ -s "$T_TMP/bare-$I1.out" ] || fail "second instance in ns $ns failed without a message"
	log "second instance in ns $ns refused: $(grep -v '[│┌└]' "$T_TMP/bare-$I1.out" | head -1)"
	pid_alive "$pid1" || fail "first daemon died when a second one was started in ns $ns"
	assert_eq "$(sock_inode "$I1")" "$ino1" "first daemon's socket after a second start in ns $ns"
	check "wg show $I1 after second start" wgx a show "$I1" dump
done
ip -n "$(nsname b)" link show "$I1" >/dev/null 2>&1 && fail "failed second instance left TUN $I1 in ns b"

# Stale socket file (bound, nobody listening) is replaced.
I2=$(ifname l2)
mkdir -p "$WG_RUN"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$WG_RUN/$I2.sock" ||
	fail "could not create a stale socket"
T_IFS+=("$I2")
[ -S "$WG_RUN/$I2.sock" ] || fail "stale socket not created"
bare a "$I2" || fail "start over a stale socket failed: $(cat "$T_TMP/bare-$I2.out")"
daemon_register a "$I2" || fail "nothing listens on $I2's socket after replacing the stale one"
check "wg show $I2" wgx a show "$I2" dump
log "stale socket replaced"

# Removing the socket file stops the daemon (and its TUN).
pid2=${DPID[$I2]}
rm -f "$WG_RUN/$I2.sock"
gone "$pid2" 5 || fail "daemon $pid2 still running 5 s after its socket file was removed"
wait_for 2 sh -c "! ip -n $(nsname a) link show $I2" || fail "TUN $I2 left after the daemon exited"
log "socket removal: daemon exited"

# SIGTERM: exits, removes its socket, TUN gone.
kill -TERM "$pid1"
gone "$pid1" 5 || fail "daemon $pid1 still running 5 s after SIGTERM"
[ -e "$WG_RUN/$I1.sock" ] && fail "socket $I1.sock left after SIGTERM"
ip -n "$(nsname a)" link show "$I1" >/dev/null 2>&1 && fail "TUN $I1 left after SIGTERM"
log "SIGTERM: daemon exited, socket removed"

# Deleting the link (what wg-quick down does).
I3=$(ifname l3)
bare a "$I3" || fail "start $I3 failed"
daemon_register a "$I3" || fail "nothing listens on $I3's socket"
ip -n "$(nsname a)" link del "$I3" || fail "ip link del $I3"
gone "${DPID[$I3]}" 5 || fail "daemon still running 5 s after its TUN was deleted"
wait_for 2 test ! -e "$WG_RUN/$I3.sock" || fail "socket $I3.sock left after the TUN was deleted"
log "link deletion: daemon exited, socket removed"

# Deleting the namespace the TUN was moved into (daemon and socket stay in a).
ns_new c
I7=$(ifname l7)
bare a "$I7" || fail "start $I7 failed"
daemon_register a "$I7" || fail "nothing listens on $I7's socket"
ip -n "$(nsname a)" link set "$I7" netns "$(nsname c)" || fail "move $I7 to ns c"
check "wg show $I7 after the move" wgx a show "$I7" dump
ip netns del "$(nsname c)"
T_NETNS=("${T_NETNS[@]/$(nsname c)}")
gone "${DPID[$I7]}" 10 || fail "daemon still running 10 s after the namespace holding its TUN was deleted"
wait_for 2 test ! -e "$WG_RUN/$I7.sock" || fail "socket $I7.sock left after its TUN's namespace was deleted"
log "namespace deletion: daemon exited, socket removed"

# Output through a pipe must not keep the caller waiting.
I4=$(ifname l4)
T_IFS+=("$I4")
nsx a env -u LOG_LEVEL timeout 10 "$UWG_BIN" "$I4" 2>&1 </dev/null | cat >/dev/null
rc=${PIPESTATUS[0]}
[ "$rc" = 124 ] && fail "'$UWG_BIN IF | cat' hung (killed after 10 s)"
[ "$rc" = 0 ] || fail "'$UWG_BIN IF | cat' exited $rc"
daemon_register a "$I4" || fail "nothing listens on $I4's socket"
if uwg_only "LOG_LEVEL=verbose with a pipe (wireguard-go hands the pipe to its daemon)"; then
	I5=$(ifname l5)
	T_IFS+=("$I5")
	nsx a env LOG_LEVEL=verbose timeout 10 "$UWG_BIN" "$I5" 2>&1 </dev/null | cat >/dev/null
	rc=${PIPESTATUS[0]}
	[ "$rc" = 124 ] && fail "'LOG_LEVEL=verbose $UWG_BIN IF | cat' hung (killed after 10 s)"
	[ "$rc" = 0 ] || fail "'LOG_LEVEL=verbose $UWG_BIN IF | cat' exited $rc"
fi
log "piped start returns at once"

# -f: stays in the foreground (the process we started is the one serving), SIGTERM ends it.
I6=$(ifname l6)
T_IFS+=("$I6")
bg_run a "$T_TMP/fg.out" "$T_TMP/fg.err" timeout 60 "$UWG_BIN" -f "$I6"
fg_pid=$BG_PID
wait_for 5 test -S "$WG_RUN/$I6.sock" || fail "-f: socket never appeared"
fg_daemon=$(sock_pid a "$I6")
tpid=$(pgrep -P "$fg_pid" | head -1)   # timeout's child
assert_eq "$fg_daemon" "$tpid" "-f: the serving process is the one we started (no fork)"
kill -TERM "$fg_daemon"
gone "$fg_daemon" 5 || fail "-f: still running 5 s after SIGTERM"
wait "$fg_pid"
rc=$?
assert_eq "$rc" 0 "-f: exit status after SIGTERM"
[ -e "$WG_RUN/$I6.sock" ] && fail "-f: socket left after SIGTERM"
log "-f foreground ok"

# A name the kernel cannot take fails with a message and leaves no socket.
BAD="w${T_ID}toolongname"
T_IFS+=("$BAD")
if bare a "$BAD"; then
	fail "starting with a ${#BAD}-character name succeeded"
fi
[ -s "$T_TMP/bare-$BAD.out" ] || fail "bad name failed without a message"
[ -e "$WG_RUN/$BAD.sock" ] && fail "bad name left a socket"
pass
