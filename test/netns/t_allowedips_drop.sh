#!/usr/bin/env bash
# t_allowedips_drop: a peer sends packets whose inner source is outside the allowed IPs the
# receiver has for it (IPv4 and IPv6). The receiver (the daemon under test) must decrypt and
# then drop them: nothing reaches its TUN (TUN rx_packets unchanged), and uwg counts them in
# rx_bad_src. A positive control from an allowed source must be delivered. The sender is
# the reference wireguard-go, which encrypts whatever its routes give it.
. "$(dirname "$0")/lib.sh"

topo_veth
pair_setup "$UWG_BIN" "$REF_BIN" 4 0 a
ping_ok a "$IN4_B" 3 || fail "initial ping a->b failed"
ping_ok a "$IN6_B" 2 || fail "initial ping a->b (v6) failed"

# Extra addresses on B's tunnel that A's allowed IPs for B do not cover.
BAD4=203.0.114.140
BAD6=2001:db8:241::40
addr_add b "$IFB" "$BAD4/25"
addr_add b "$IFB" "$BAD6/64"

bad_src0=0
uwg_only "rx_bad_src counter" && { bad_src0=$(stat_get "$IFA" rx_bad_src) || fail "stats=1 has no rx_bad_src"; }
rx0=$(link_stat a "$IFA" rx_packets)
brx0=$(wgx b show "$IFB" transfer | cut -f3)   # B's tx bytes: the packets did leave B
nsx b timeout 10 ping -n -q -c 5 -i 0.2 -W 1 -I "$BAD4" "$IN4_A" >/dev/null 2>&1 &&
	fail "ping from disallowed source $BAD4 was answered"
nsx b timeout 10 ping -n -q -c 5 -i 0.2 -W 1 -I "$BAD6" "$IN6_A" >/dev/null 2>&1 &&
	fail "ping from disallowed source $BAD6 was answered"
sleep 0.5
rx1=$(link_stat a "$IFA" rx_packets)
brx1=$(wgx b show "$IFB" transfer | cut -f3)
assert_ge "$((brx1 - brx0))" $((10 * 32)) "bytes B sent for the 10 disallowed-source pings"
assert_eq "$((rx1 - rx0))" 0 "packets A's TUN received from disallowed sources (must be dropped)"
log "10 packets from disallowed sources: none delivered to $IFA"

if uwg_only "rx_bad_src counter"; then
	bad_src1=$(stat_get "$IFA" rx_bad_src) || fail "stats=1 has no rx_bad_src"
	assert_ge "$((bad_src1 - bad_src0))" 10 "rx_bad_src increase"
	log "rx_bad_src: $bad_src0 -> $bad_src1"
fi

# Positive control: allowed sources are delivered.
nsx b timeout 15 ping -n -q -c 3 -i 0.2 -w 10 -I "$IN4_B" "$IN4_A" >/dev/null 2>&1 ||
	fail "ping b->a from the allowed source failed"
nsx b timeout 15 ping -n -q -c 3 -i 0.2 -w 10 -I "$IN6_B" "$IN6_A" >/dev/null 2>&1 ||
	fail "ping b->a (v6) from the allowed source failed"
rx2=$(link_stat a "$IFA" rx_packets)
assert_ge "$((rx2 - rx1))" 6 "packets A's TUN received from allowed sources"

# Widening the allowed IPs makes the same source acceptable.
check "allow $BAD4" wgx a set "$IFA" peer "$PB" allowed-ips "$IN4_B/32,$IN6_B/128,$BAD4/32"
nsx b timeout 10 ping -n -q -c 3 -i 0.2 -w 8 -I "$BAD4" "$IN4_A" >/dev/null 2>&1 ||
	fail "ping from $BAD4 failed after adding it to the allowed IPs"
daemon_alive "$IFA" || fail "daemon A died"
pass
