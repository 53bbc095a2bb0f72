#!/usr/bin/env bash
# t_rekey (uwg-only): with UWG_TEST_TIMER_DIVISOR=20 (REKEY_AFTER_TIME 6 s, REJECT_AFTER_TIME
# 9 s) both daemons rekey several times during a 20 s ping stream (5/s) and a TCP stream:
# at least two new handshakes must complete (latest handshake changes), no ping may be lost,
# the TCP stream must finish, and no packet may be refused as replayed or keyless.
. "$(dirname "$0")/lib.sh"
need iperf3

require_uwg "needs UWG_TEST_TIMER_DIVISOR (a -DUWG_TEST_KNOBS=ON build)"
DAEMON_ENV=(UWG_TEST_TIMER_DIVISOR=20)
topo_veth
pair_setup "$UWG_BIN" "$UWG_BIN" 4 0 a
ping_ok a "$IN4_B" 2 || fail "initial ping failed"
hs_a0=$(stat_get "$IFA" handshakes_completed) || fail "stats=1 has no handshakes_completed"
hs_b0=$(stat_get "$IFB" handshakes_completed) || fail "stats=1 has no handshakes_completed"

bg_run b /dev/null "$T_TMP/iperf-s.err" timeout 40 iperf3 -s -1 -B "$IN4_B" -p 5301
wait_for 5 sh -c "ip netns exec $(nsname b) ss -Htln 'sport = :5301' | grep -q ." || fail "iperf3 server did not start"
bg_run a "$T_TMP/iperf-c.log" "$T_TMP/iperf-c.err" timeout 40 iperf3 -c "$IN4_B" -p 5301 -t 19 -b 10M
iperf_pid=$BG_PID
bg_run a "$T_TMP/ping.log" "$T_TMP/ping.err" timeout 40 ping -n -i 0.2 -c 100 -W 2 "$IN4_B"
ping_pid=$BG_PID

declare -A seen=()
for i in $(seq 1 44); do
	hs=$(wgx a show "$IFA" latest-handshakes | cut -f2)
	[ -n "$hs" ] && [ "$hs" != 0 ] && seen[$hs]=1
	sleep 0.5
done
wait "$ping_pid"
wait "$iperf_pid" || fail "TCP stream across rekeys failed: $(tail -n 3 "$T_TMP/iperf-c.log" "$T_TMP/iperf-c.err" | tr '\n' ' ')"
loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$T_TMP/ping.log")
log "distinct latest-handshake values over 22 s: ${#seen[@]} (${!seen[*]}); ping loss ${loss}%"
log "TCP: $(grep receiver "$T_TMP/iperf-c.log" | tr -s ' ')"
[ "${#seen[@]}" -ge 3 ] || fail "expected >= 2 rekeys (>= 3 distinct handshake times), saw ${#seen[@]}"
assert_eq "$loss" 0 "ping loss across rekeys (%)"
hs_a1=$(stat_get "$IFA" handshakes_completed)
hs_b1=$(stat_get "$IFB" handshakes_completed)
assert_ge "$(( (hs_a1 - hs_a0) + (hs_b1 - hs_b0) ))" 2 "handshakes completed during the stream (A+B)"
for ifn in "$IFA" "$IFB"; do
	for c in rx_replay rx_no_keypair rx_bad_auth; do
		assert_eq "$(stat_get "$ifn" $c)" 0 "$ifn $c after rekeys"
	done
done
daemon_alive "$IFA" && daemon_alive "$IFB" || fail "a daemon died"
pass "$(( (hs_a1 - hs_a0) + (hs_b1 - hs_b0) )) handshakes during the stream"
