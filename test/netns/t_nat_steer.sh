#!/bin/bash
# test/netns/t_nat_steer.sh - tc ingress steering of the userspace NAT (tun/steer.c +
# core/ip/nat.c) in two private namespaces:
#
#   remote  rmt0 203.0.114.2/24 <--veth--> wan0 203.0.114.1/24  server (+ TUN, nat_steer_echo)
#
# Proves: mapped UDP/TCP ports on the public address arrive on the TUN, are DNATed to the
# simulated tunnel client, and its answers leave through the raw socket as the public
# address; masqueraded UDP, ping and ICMP errors come back through the pool filters; host
# services, host ping and a foreign tc filter are untouched; placeholder sockets hold the
# pool; kill -9 leaves stale filters that the next start removes; a clean exit removes all.
set -euo pipefail
. "$(dirname "$0")/../../scripts/need.sh"
need ip ping socat tc

BUILD=${UWG_BUILD_DIR:?UWG_BUILD_DIR not set}
TOOL=$BUILD/test/nat_steer_echo
[ -x "$TOOL" ] || { echo "missing $TOOL"; exit 1; }

ID=$(printf '%04x' $((RANDOM % 65536)))
NR=ustr$ID          # remote namespace
NS=usts$ID          # server namespace
TUN=ustun$ID
DIR=$(mktemp -d /tmp/t_nat_steer.XXXXXX)
PUB=203.0.114.1
REM=203.0.114.2
PIDS=()
TOOLPID=

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

cleanup() {
	set +e
	[ -n "$TOOLPID" ] && kill -9 "$TOOLPID" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$NR" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	[ -n "${KEEP_DIR:-}" ] && cp -r "$DIR" "$KEEP_DIR"; rm -rf "$DIR"
}
trap cleanup EXIT

xs() { ip netns exec "$NS" "$@"; }
xr() { ip netns exec "$NR" "$@"; }

ip netns add "$NR"
ip netns add "$NS"
ip link add "vr$ID" type veth peer name "vs$ID"
ip link set "vr$ID" netns "$NR" name rmt0
ip link set "vs$ID" netns "$NS" name wan0
xr ip link set lo up
xs ip link set lo up
xr ip addr add $REM/24 dev rmt0
xs ip addr add $PUB/24 dev wan0
xr ip link set rmt0 up
xs ip link set wan0 up

# Host services on the server that must keep working, one of them on a port we will map.
ip netns exec "$NS" timeout 120 socat TCP4-LISTEN:2222,fork,reuseaddr EXEC:cat &
PIDS+=($!)
ip netns exec "$NS" timeout 120 socat UDP4-RECVFROM:5353,fork EXEC:cat &
PIDS+=($!)
ip netns exec "$NS" timeout 120 socat TCP4-LISTEN:8043,fork,reuseaddr SYSTEM:'echo host' &
PIDS+=($!)
# The remote's UDP echo for the masquerade probe (7001 stays closed: port unreachable).
ip netns exec "$NR" timeout 120 socat UDP4-RECVFROM:7000,fork EXEC:cat &
PIDS+=($!)

# A foreign ingress filter (lower and higher priority than ours) that must survive.
xs tc qdisc add dev wan0 clsact
xs tc filter add dev wan0 ingress pref 100 protocol ip u32 match ip dst 203.0.114.99/32 flowid :1
xs tc filter add dev wan0 ingress pref 40000 protocol ip u32 match ip dst 203.0.114.98/32 flowid :1
sleep 0.5

ours() { xs tc filter show dev wan0 ingress | grep -oE 'pref (3[0-9]{4})' | sort -u | \
	awk '$2 >= 30464 && $2 < 32512' | wc -l; }
foreign() { xs tc filter show dev wan0 ingress | grep -cE 'pref (100|40000) u32 chain 0 fh [0-9a-f]+::800 '; }
stat() { awk -v k="$1" '$1 == k { print $2 }' "$2" 2>/dev/null || echo 0; }
wait_file() { for _ in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }
wait_stat() { # file key min
	for _ in $(seq 1 50); do [ "$(stat "$2" "$1")" -ge "$3" ] 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

start_tool() { # stats-file ready-file args...   (the tool bounds itself with --timeout)
	local s=$1 r=$2
	shift 2
	ip netns exec "$NS" "$TOOL" --wan wan0 --tun "$TUN" --public $PUB --stats "$s" \
		--ready "$r" --timeout 100 "$@" 2>>"$DIR/tool.err" &
	TOOLPID=$!
	wait_file "$r" && [ "$(cat "$r")" = "$TOOLPID" ]
}

# ---- run 1 ----
S1=$DIR/stats1
check "tool starts" start_tool "$S1" "$DIR/ready1" --map udp:5000:5000 --map tcp:8043:8043 \
	--pool 61440-61951 --reserve --probe $REM:7000 --probe-closed $REM:7001 --ping $REM
N1=$(ours)
# 2 maps x (port + ICMP errors) + pool (tcp, udp, errors, echo replies, errors about echo)
check "9 filters in uwg's priority block (got $N1)" [ "$N1" -eq 9 ]
check "foreign filters present" [ "$(foreign)" -eq 2 ]
check "uwg_steer_list agrees (9)" [ "$(stat filters "$S1")" -eq 9 ]

R=$(xr timeout 5 bash -c "echo hello-udp | socat -T2 - UDP4:$PUB:5000" || true)
check "UDP to mapped port is echoed back by the tunnel client from $PUB:5000 (got '$R')" \
	[ "$R" = "hello-udp" ]
check "the tool saw it on the TUN" wait_stat "$S1" udp_echoed 1

R=$(xr timeout 5 socat -T2 - TCP4:$PUB:8043,connect-timeout=2 2>&1 </dev/null || true)
check "TCP to mapped port is steered (client's RST, host listener shadowed): '$R'" \
	grep -q "Connection refused" <<<"$R"
check "the tool saw the SYN and answered" wait_stat "$S1" tcp_rst_sent 1

check "masqueraded UDP probe answered through the pool filter" wait_stat "$S1" probe_reply 1
check "ICMP port unreachable about the pool came back translated" wait_stat "$S1" probe_icmp_err 1
check "masqueraded ping answered through the echo-id filter" wait_stat "$S1" echo_reply 1
check "no inbound drops, no send errors" [ "$(stat dropped "$S1")" -eq 0 -a "$(stat tx_err "$S1")" -eq 0 ]

R=$(xr timeout 5 bash -c "echo hi-tcp | socat -T2 - TCP4:$PUB:2222" || true)
check "host TCP service on another port unaffected" [ "$R" = "hi-tcp" ]
R=$(xr timeout 5 bash -c "echo hi-udp | socat -T2 - UDP4:$PUB:5353" || true)
check "host UDP service unaffected" [ "$R" = "hi-udp" ]
check "host answers ping on the public address" \
	bash -c "ip netns exec $NR timeout 5 ping -c 2 -W 1 -q $PUB >/dev/null"
RX=$(stat rx "$S1")
check "no unrelated packets reached the TUN (rx $RX <= 30)" [ "$RX" -le 30 ]
# A fragmented datagram to the mapped port is not steered (not-a-fragment key): the host
# stack reassembles it and, with nothing bound on 5000, answers port unreachable. No echo,
# no TUN packet.
R=$(xr timeout 4 bash -c "head -c 3000 /dev/zero | tr '\\0' a | socat -T1 - UDP4:$PUB:5000" \
	2>/dev/null || true)
check "fragmented datagram not steered (no echo)" [ -z "$R" ]
check "... and never reached the TUN" [ "$(stat rx "$S1")" -eq "$RX" ]

check "placeholder holds pool port 61500/udp" [ "$(xs "$TOOL" --check udp:61500)" = 1 ]
check "placeholder holds pool port 61951/tcp" [ "$(xs "$TOOL" --check tcp:61951)" = 1 ]
check "a host program cannot bind a pool port" \
	bash -c "! ip netns exec $NS timeout 3 socat -u UDP4-RECV:61600 - </dev/null 2>/dev/null"
check "host listener reported in use (2222/tcp)" [ "$(xs "$TOOL" --check tcp:2222 --addr $PUB)" = 1 ]
check "free port reported free (2223/tcp)" [ "$(xs "$TOOL" --check tcp:2223)" = 0 ]
check "ephemeral range readable" bash -c "ip netns exec $NS $TOOL --ephemeral | grep -qE '^[0-9]+ [0-9]+$'"

# ---- crash: kill -9 leaves the filters behind (a blackhole for the mapped ports) ----
kill -9 "$TOOLPID"
wait "$TOOLPID" 2>/dev/null || true
TOOLPID=
sleep 0.3
check "after kill -9 the stale filters are still there ($(ours))" [ "$(ours)" -eq 9 ]
R=$(xr timeout 4 bash -c "echo x | socat -T1 - UDP4:$PUB:5000" || true)
check "stale redirect blackholes the mapped port (got '$R')" [ -z "$R" ]

# ---- run 2: reconcile on start, then a clean exit ----
S2=$DIR/stats2
check "tool restarts" start_tool "$S2" "$DIR/ready2" --map udp:5001:5001
N2=$(ours)
check "restart removed the stale filters and installed its own 2 (got $N2)" [ "$N2" -eq 2 ]
check "foreign filters survived the reconcile" [ "$(foreign)" -eq 2 ]
R=$(xr timeout 5 bash -c "echo again | socat -T2 - UDP4:$PUB:5001" || true)
check "new map works (got '$R')" [ "$R" = "again" ]
R=$(xr timeout 5 bash -c "echo x | socat -T2 - TCP4:$PUB:8043" 2>&1 || true)
check "old TCP map gone: host service on 8043 answers again (got '$R')" [ "$R" = "host" ]
check "host can bind a former pool port again" [ "$(xs "$TOOL" --check udp:61500)" = 0 ]

kill -TERM "$TOOLPID"
wait "$TOOLPID" 2>/dev/null || true
TOOLPID=
check "clean exit leaves no filter in uwg's block" [ "$(ours)" -eq 0 ]
check "foreign filters still there" [ "$(foreign)" -eq 2 ]
check "clsact qdisc (not ours) left in place" bash -c "ip netns exec $NS tc qdisc show dev wan0 | grep -q clsact"

# ---- run 3: no ingress hook yet; the tool creates clsact and removes it on exit ----
xs tc qdisc del dev wan0 clsact
check "tool starts without a qdisc" start_tool "$DIR/stats3" "$DIR/ready3" --map udp:5002:5002
check "it created clsact" bash -c "ip netns exec $NS tc qdisc show dev wan0 | grep -q clsact"
R=$(xr timeout 5 bash -c "echo three | socat -T2 - UDP4:$PUB:5002" || true)
check "map works on its own qdisc (got '$R')" [ "$R" = "three" ]
kill -TERM "$TOOLPID"
wait "$TOOLPID" 2>/dev/null || true
TOOLPID=
check "its clsact is gone after a clean exit" \
	bash -c "! ip netns exec $NS tc qdisc show dev wan0 | grep -q clsact"

if [ -s "$DIR/tool.err" ]; then
	echo "--- tool stderr:"
	cat "$DIR/tool.err"
fi
echo "t_nat_steer: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
