#!/usr/bin/env bash
# t_lossy: two daemons talk through test/tools/udp_relay, which drops 5% of data datagrams
# and holds back 10% for up to 30 ms so later ones overtake them (seeded, bounded). Bounded
# TCP transfers (3 MB each way, v4 and v6 inner) must arrive intact (SHA-256), and the relay
# must report that it really dropped and reordered.
. "$(dirname "$0")/lib.sh"

RELAY=$(tool udp_relay)
topo_veth
RELAY_PORT=20000
bg_run a /dev/null "$T_TMP/relay.err" timeout 120 "$RELAY" -l "127.0.0.1:$RELAY_PORT" \
	-u "$OUT4_B:$PORT_B" -d 50 -r 10 -D 30 -s 20240601 -t 110
relay_pid=$BG_PID
wait_udp_bound a "$RELAY_PORT" || fail "relay did not start: $(cat "$T_TMP/relay.err")"

PAIR_EP_B="127.0.0.1:$RELAY_PORT" pair_setup "$UWG_BIN" "$UWG_BIN" 4 0 a
ping_ok a "$IN4_B" 5 || fail "ping through the relay failed"
assert_match "$(wg_field b "$IFB" endpoints)" "^$OUT4_A:[0-9]+\$" "server endpoint (the relay)"
[ "$(wg_field b "$IFB" endpoints)" != "$OUT4_A:$PORT_A" ] || fail "server talks to the client directly, not via the relay"

tcp_xfer a b "$IN4_B" 3000000 60 || fail "3 MB TCP a->b (inner v4) through the lossy relay not intact"
log "3 MB a->b over inner v4 intact"
tcp_xfer b a "$IN6_A" 3000000 60 || fail "3 MB TCP b->a (inner v6) through the lossy relay not intact"
log "3 MB b->a over inner v6 intact"

kill -TERM "$relay_pid" 2>/dev/null
wait "$relay_pid"
stats=$(cat "$T_TMP/relay.err")
log "$stats"
dropped=$(sed -n 's/.*dropped=\([0-9]*\).*/\1/p' <<<"$stats")
delayed=$(sed -n 's/.*delayed=\([0-9]*\).*/\1/p' <<<"$stats")
assert_ge "${dropped:-0}" 50 "datagrams the relay dropped"
assert_ge "${delayed:-0}" 100 "datagrams the relay reordered"
daemon_alive "$IFA" && daemon_alive "$IFB" || fail "a daemon died"
# Reordered (never duplicated) datagrams fit the replay window: none may be refused.
if uwg_only "no replay or authentication drops on a lossy, reordering path"; then
	for ifn in "$IFA" "$IFB"; do
		assert_eq "$(stat_get "$ifn" rx_bad_auth)" 0 "$ifn rx_bad_auth"
		assert_eq "$(stat_get "$ifn" rx_replay)" 0 "$ifn rx_replay (reordered packets refused)"
	done
fi
pass
