#!/usr/bin/env bash
# t_garbage: hostile datagrams at the daemon's UDP port - random garbage, every message type
# at wrong sizes, unknown types and nonzero reserved bytes, well-sized handshakes with bad
# MAC1, data messages for unknown receiver indices, and replays of real ciphertext captured
# by udp_relay -w. All must be dropped: nothing reaches the TUN, the peer's endpoint does not
# move to the sender, uwg counts each class in its stats (skipped under wireguard-go), and
# the daemon keeps serving (alive, pings both ways afterwards).
. "$(dirname "$0")/lib.sh"

RELAY=$(tool udp_relay)
INJECT=$(tool udp_inject)
topo_veth
RELAY_PORT=20000
# B reaches A through a recording relay in b, so we capture B->A data messages.
bg_run b /dev/null "$T_TMP/relay.err" timeout 120 "$RELAY" -l "127.0.0.1:$RELAY_PORT" \
	-u "$OUT4_A:$PORT_A" -t 110 -w "$T_TMP/capture.bin"
relay_pid=$BG_PID
wait_udp_bound b "$RELAY_PORT" || fail "relay did not start: $(cat "$T_TMP/relay.err")"
PAIR_EP_A="127.0.0.1:$RELAY_PORT" pair_setup "$UWG_BIN" "$REF_BIN" 4 0 b
ping_ok b "$IN4_A" 5 || fail "initial ping b->a failed"
ping_ok b "$IN6_A" 5 || fail "initial ping b->a (v6) failed"
ep0=$(wg_field a "$IFA" endpoints)
assert_match "$ep0" "^$OUT4_B:[0-9]+\$" "A's endpoint for B (the relay)"
pid_a=${DPID[$IFA]}
rx0=$(link_stat a "$IFA" rx_packets)

# stat_sum IF KEYS...: sum of uwg counters.
stat_sum()
{
	local ifn=$1 k v sum=0 out
	shift
	out=$(uapi_stats "$ifn") || return 1
	for k in "$@"; do
		v=$(sed -n "s/^$k=//p" <<<"$out")
		[ -n "$v" ] || return 1
		sum=$((sum + v))
	done
	echo "$sum"
}

# inject MODE COUNT KEYS...: send, then (uwg) wait until the counters KEYS grew by what was sent.
inject()
{
	local mode=$1 count=$2 base sent now extra=()
	shift 2
	[ "$mode" = replay ] && extra=("$T_TMP/capture.bin")
	if [ "$IS_WGGO" = 0 ]; then
		base=$(stat_sum "$IFA" "$@") || fail "stats=1 lacks one of: $*"
	fi
	sent=$(nsx b "$INJECT" -c "$count" -s 7 -g 300 -d 0 "$mode" "$OUT4_A:$PORT_A" "${extra[@]}") ||
		fail "udp_inject $mode failed"
	assert_ge "$sent" 1 "datagrams sent by udp_inject $mode"
	if [ "$IS_WGGO" = 0 ]; then
		if ! wait_for 5 sh -c "[ \$(printf 'stats=1\n\n' | socat -t 3 - UNIX-CONNECT:$WG_RUN/$IFA.sock |
				grep -E '^($(IFS='|'; echo "$*"))=' | cut -d= -f2 | awk '{ s += \$1 } END { print s + 0 }') -ge $((base + sent)) ]"; then
			now=$(stat_sum "$IFA" "$@")
			fail "$mode: sent $sent, but $* grew by only $((now - base))"
		fi
		log "$mode: $sent datagrams dropped and counted in $*"
	else
		log "$mode: $sent datagrams sent"
	fi
	pid_alive "$pid_a" || fail "daemon died after $mode datagrams"
}

inject random 300 rx_bad_length rx_bad_type
inject truncated 5 rx_bad_length
inject badtype 5 rx_bad_type
inject badmac 50 rx_bad_mac
inject data 300 rx_no_keypair
ncap=$(nsx b "$INJECT" -d 0 replay 127.0.0.1:9 "$T_TMP/capture.bin" 2>/dev/null)   # count only (port 9 discard)
assert_ge "${ncap:-0}" 10 "captured B->A data messages"
inject replay 1 rx_replay

sleep 0.3
assert_eq "$(( $(link_stat a "$IFA" rx_packets) - rx0 ))" 0 "packets written to A's TUN by the garbage"
assert_eq "$(wg_field a "$IFA" endpoints)" "$ep0" "A's endpoint for B after the garbage (must not follow unauthenticated senders)"
ping_ok b "$IN4_A" 3 || fail "ping b->a after the garbage failed"
ping_ok a "$IN6_B" 3 || fail "ping a->b after the garbage failed"
pid_alive "$pid_a" || fail "daemon A died"
[ -S "$WG_RUN/$IFA.sock" ] || fail "A's socket vanished"
kill -TERM "$relay_pid" 2>/dev/null
pass
