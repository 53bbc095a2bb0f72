#!/usr/bin/env bash
# t_uapi_idle: UAPI clients that do nothing never lock out `wg show`. 1000 connections
# that send nothing, then 1000 that each send half a request and reconnect whenever the
# daemon closes them, are held while the real `wg show` runs 10 times and must answer
# within 1 s each time; afterwards the daemon is alive and `uwg show` and `wg set` work.
# uwg only: the daemon closed every idle connection itself (evicted, or timed out after
# UWG_UAPI_IDLE_TIMEOUT_MS), its descriptors are back to where they were, it raised its
# soft descriptor limit from 1024 to the hard limit, and it cannot dump core: RLIMIT_CORE
# is 0 and it is not dumpable, seen as /proc/PID/exe being unreadable to a root without
# CAP_SYS_PTRACE, which can read that of a daemon started with UWG_ALLOW_COREDUMP=1.
. "$(dirname "$0")/lib.sh"
need python3 setpriv

N=1000
SOCK_A="$WG_RUN/$IFA.sock"

# holder.py SOCK N PAYLOADS RECONNECT SECONDS READY RESULT: opens N connections to SOCK,
# each sending one of the |-separated PAYLOADS (\n escapes; empty = nothing), writes how
# many opened to READY, then holds them for SECONDS. With RECONNECT=1 every connection the
# daemon closes is opened again (at most 400 a second), so the pressure lasts. RESULT gets
# "opened= closed= reconnects= open= last_close=" (seconds after the start).
cat >"$T_TMP/holder.py" <<'EOF'
import resource, selectors, socket, sys, time

path, n, payloads, reconnect, secs, ready, result = sys.argv[1:8]
n, secs, reconnect = int(n), float(secs), reconnect == "1"
payloads = [p.replace("\\n", "\n").encode() for p in payloads.split("|")]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < n + 64:
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
sel = selectors.DefaultSelector()
t0 = time.monotonic()
opened = closed = reconnects = 0
last_close = 0.0
turn = 0

def gone(s):
    global closed, last_close
    s.close()
    closed += 1
    last_close = time.monotonic() - t0

def open_one(blocking):
    global turn
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # A full backlog: a blocking connect waits its turn, a non-blocking one is retried.
    s.setblocking(blocking)
    try:
        s.connect(path)
    except (BlockingIOError, InterruptedError):
        s.close()
        return False
    s.setblocking(False)
    p = payloads[turn % len(payloads)]
    turn += 1
    try:
        if p:
            s.send(p)
        sel.register(s, selectors.EVENT_READ)
    except OSError:
        gone(s)
    return True

for _ in range(n):
    opened += open_one(True)
with open(ready, "w") as f:
    f.write("%d\n" % opened)
pending, refill = 0, 0.0
deadline = t0 + secs
while True:
    now = time.monotonic()
    if now >= deadline:
        break
    for key, _ in sel.select(min(0.05, deadline - now)):
        s = key.fileobj
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if data:
            continue
        sel.unregister(s)
        gone(s)
        pending += reconnect
    if pending and now >= refill:
        for _ in range(min(pending, 20)):
            if not open_one(False):
                break
            pending -= 1
            reconnects += 1
        refill = now + 0.05
with open(result, "w") as f:
    f.write("opened=%d closed=%d reconnects=%d open=%d last_close=%.1f\n"
            % (opened, closed, reconnects, len(sel.get_map()), last_close))
EOF

# hold NAME COUNT PAYLOADS RECONNECT SECONDS: start holder.py against A's socket, wait
# until all its connections are made; HOLD_PID is left running.
hold()
{
	local name=$1
	bg_run a "$T_TMP/$name.out" "$T_TMP/$name.err" timeout $(( $5 + 60 )) python3 \
		"$T_TMP/holder.py" "$SOCK_A" "$2" "$3" "$4" "$5" "$T_TMP/$name.ready" "$T_TMP/$name.res"
	HOLD_PID=$BG_PID
	wait_for 60 test -s "$T_TMP/$name.ready" ||
		fail "$name: holder never finished connecting: $(cat "$T_TMP/$name.err")"
	assert_eq "$(cat "$T_TMP/$name.ready")" "$2" "$name: connections made"
}

# held NAME: wait for the holder; its result line goes to RES.
held()
{
	wait "$HOLD_PID" || fail "$1: holder failed: $(cat "$T_TMP/$1.err")"
	RES=$(cat "$T_TMP/$1.res")
	log "$1: $RES"
}

# show_fast WHAT: the real wg answers `wg show` 10 times, ~0.8 s apart, each within 1 s.
show_fast()
{
	local i t0 ms out rc worst=0
	for i in $(seq 1 10); do
		t0=$(date +%s%N)
		out=$(nsx a timeout 5 wg show "$IFA" 2>&1)
		rc=$?
		ms=$(( ($(date +%s%N) - t0) / 1000000 ))
		grep -q "peer: $PEER" <<<"$out" ||
			fail "$1: wg show #$i failed after $ms ms (exit $rc): $(tr '\n' ' ' <<<"$out")"
		[ "$ms" -lt 1000 ] || fail "$1: wg show #$i took $ms ms"
		[ "$ms" -gt "$worst" ] && worst=$ms
		sleep 0.8
	done
	log "$1: 10 x wg show, slowest $worst ms"
}

# fd_count PID: descriptors the process holds.
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# limit PID NAME: "soft hard" of one line of /proc/PID/limits (e.g. "Max core file size").
limit() { sed -n "s/^$2  *\([^ ]*\)  *\([^ ]*\) .*/\1 \2/p" "/proc/$1/limits"; }

# The daemon starts with what a systemd service gets by default: a soft limit of 1024.
hard_nofile=$(ulimit -Hn)
[ "$hard_nofile" = unlimited ] || [ "$hard_nofile" -gt 1024 ] ||
	skip "hard descriptor limit $hard_nofile leaves no room to raise"
ulimit -Sn 1024

ns_new a
daemon_start a "$IFA"
PEER=$(pubkey "$(genkey)")
check "configure $IFA" wgx a set "$IFA" private-key "$(keyfile ka "$(genkey)")" \
	listen-port "$PORT_A" peer "$PEER" allowed-ips 10.9.0.0/24
pid=${DPID[$IFA]}
fds0=$(fd_count "$pid")

# 1. Connections that send nothing, held for 12 s: well past the idle timeout.
hold idle "$N" "" 0 12
show_fast "$N idle connections"
held idle
if uwg_only "the daemon closes idle connections"; then
	assert_match "$RES" "closed=$N " "idle connections the daemon closed"
	last=$(sed 's/.*last_close=\([0-9]*\).*/\1/' <<<"$RES")
	[ "$last" -lt 10 ] || fail "the last idle connection was closed only after $last s"
fi

# 2. Half requests that stall, replaced as soon as the daemon closes them. wireguard-go
# takes its lock at "set=1" and would hold it for as long as the client stalls.
payloads='get=|get=1\n|set=1\n'
[ "$IS_WGGO" = 1 ] && payloads='get=|get=1\n'
hold half "$N" "$payloads" 1 10
show_fast "$N stalled half requests"
held half
if uwg_only "the daemon closes stalled half requests"; then
	reconnects=$(sed 's/.*reconnects=\([0-9]*\).*/\1/' <<<"$RES")
	assert_ge "$reconnects" "$N" "half requests closed by the daemon and opened again"
fi

# 3. The lock timeout stays: a set stalled in its first line holds the lock, so `wg show`
# waits until the daemon drops the stalled client after 30 s without progress.
if uwg_only "the 30 s lock timeout"; then
	hold stalled 1 'set=1\nlisten_port=' 0 34
	t0=$(date +%s%N)
	out=$(nsx a timeout 60 wg show "$IFA" 2>&1) || fail "wg show behind a stalled set: $out"
	secs=$(( ($(date +%s%N) - t0) / 1000000000 ))
	log "wg show behind a stalled set answered after $secs s"
	if [ "$secs" -lt 25 ] || [ "$secs" -gt 33 ]; then
		fail "wg show behind a stalled set answered after $secs s, not after ~30 s"
	fi
	held stalled
	assert_match "$RES" "closed=1 " "the stalled set was dropped"
fi

# 4. Still serving: alive, `uwg show`, `wg set`, and nothing left open.
daemon_alive "$IFA" || fail "daemon died"
PEER2=$(pubkey "$(genkey)")
check "wg set after the floods" wgx a set "$IFA" peer "$PEER2" allowed-ips 10.9.1.0/24
out=$(wgx a show "$IFA" allowed-ips) || fail "wg show after wg set"
grep -q "^$PEER2	10.9.1.0/24$" <<<"$out" || fail "wg set not applied: $out"
if uwg_only "uwg show, descriptors, limits, core dumps"; then
	out=$(nsx a "$UWG_BIN" show "$IFA" 2>&1) || fail "uwg show: $out"
	grep -q "peer: $PEER2" <<<"$out" || fail "uwg show lacks the new peer: $out"
	wait_for 10 sh -c "[ \$(find /proc/$pid/fd -mindepth 1 -maxdepth 1 | wc -l) -le $fds0 ]" ||
		fail "daemon holds $(fd_count "$pid") descriptors, $fds0 before the floods"

	read -r soft hard <<<"$(limit "$pid" 'Max open files')"
	if [ "$soft" != "$hard" ] || [ "$soft" = 1024 ]; then
		fail "descriptor limit not raised to the hard one: soft $soft, hard $hard"
	fi
	assert_eq "$(limit "$pid" 'Max core file size')" "0 0" "$IFA core file size limit"

	# Dumpability has no /proc field. ptrace access (here: reading /proc/PID/exe) from
	# the same uid without CAP_SYS_PTRACE is refused for a non-dumpable process only,
	# and only when the caller's capabilities cover the target's, so both daemons run
	# without CAP_SYS_PTRACE too, and as root (UWG_USER=root: a worker of another uid is
	# out of reach whatever its dumpability; t_privsep covers that mode). A soft core limit of 1 KiB is below what the kernel
	# ever writes, yet shows whether the daemon kept it.
	IFC=$(ifname c)
	IFD=$(ifname d)
	for ifn in "$IFC" "$IFD"; do
		env=()
		# (ASan sets its own soft core limit to 0 unless told otherwise.)
		[ "$ifn" = "$IFD" ] &&
			env=(UWG_ALLOW_COREDUMP=1 "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}disable_coredump=0")
		T_IFS+=("$ifn")
		( ulimit -Sc 1
		  exec timeout 20 ip netns exec "$(nsname a)" setpriv --bounding-set -sys_ptrace \
			env LOG_LEVEL=info UWG_USER=root "${env[@]}" "$UWG_BIN" --log-file "$T_TMP/daemon-$ifn.log" \
			"$ifn" >>"$T_TMP/daemon-$ifn.log" 2>&1 </dev/null ) ||
			fail "starting $ifn without CAP_SYS_PTRACE (${env[*]})"
		daemon_register a "$ifn" || fail "no process listens on $WG_RUN/$ifn.sock"
	done
	assert_eq "$(limit "${DPID[$IFC]}" 'Max core file size')" "0 0" "$IFC core file size limit"
	assert_match "$(limit "${DPID[$IFD]}" 'Max core file size')" '^1024 ' \
		"$IFD (UWG_ALLOW_COREDUMP=1) core file size limit"
	setpriv --bounding-set -sys_ptrace readlink "/proc/${DPID[$IFD]}/exe" >/dev/null ||
		fail "UWG_ALLOW_COREDUMP=1: /proc/PID/exe unreadable without CAP_SYS_PTRACE (the check is broken)"
	setpriv --bounding-set -sys_ptrace readlink "/proc/${DPID[$IFC]}/exe" >/dev/null 2>&1 &&
		fail "$IFC is dumpable: /proc/PID/exe readable without CAP_SYS_PTRACE"
	# As root with all capabilities, what tests and lib.sh read still works.
	readlink "/proc/${DPID[$IFC]}/exe" >/dev/null || fail "root cannot read $IFC's /proc/PID/exe"
	[ "$(sock_pid a "$IFC")" = "${DPID[$IFC]}" ] || fail "ss -p no longer finds $IFC's daemon"
	grep -q '^VmRSS:' "/proc/${DPID[$IFC]}/status" || fail "no VmRSS for $IFC's daemon"
fi

pass "$N idle and $N half-request connections: wg show within 1 s, daemon fine afterwards"
