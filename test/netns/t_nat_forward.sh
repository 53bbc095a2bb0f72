#!/usr/bin/env bash
# t_nat_forward: static PortForward keys through `uwg up` (no iptables anywhere, no kernel
# forwarding): a remote reaches TCP and UDP listeners on the tunnel client through the
# server's public address, the client sees the remote's real address, the remote talks only
# to the public address (capture), 1 MiB passes intact both ways over forwarded TCP, the
# server's own services on other ports, its ping and its own connections keep working,
# `nat=1` lists forwards and counters, and `uwg down` removes every filter.
. "$(dirname "$0")/nat_lib.sh"
need wg

topo_nat
SRV_NAT="PortForward = tcp 8080 -> 10.100.0.2:80
PortForward = tcp 8081 -> 10.100.0.2:81
PortForward = udp 5000 -> 10.100.0.2:5000
PortForward = udp 5001 -> 10.100.0.2"
nat_confs
for ns in rtr srv cli rmt; do
	nsx "$ns" sh -c 'command -v iptables' >/dev/null 2>&1 && fail "iptables is installed in $ns"
done

# The server's own services: one on a port next to the forwards, one UDP.
nat_bg srv timeout 120 socat TCP4-LISTEN:2222,fork,reuseaddr SYSTEM:'echo host-tcp'
nat_bg srv timeout 120 socat UDP4-RECVFROM:5353,fork SYSTEM:'echo host-udp'
capture_start
nat_up
grep -q '# NAT on' <<<"$SRV_UP_LOG" || fail "no NAT trace line in: $SRV_UP_LOG"
[ "$(filters)" = 8 ] || fail "expected 8 filters (4 forwards x port + ICMP errors), got $(filters)"
[ "$(nsx srv sysctl -n net.ipv4.ip_forward)" = 0 ] || fail "ip_forward was turned on"

# The client's listeners: who connected, plus bulk data each way.
head -c 1048576 /dev/urandom >"$T_TMP/blob-in"
head -c 1048576 /dev/urandom >"$T_TMP/blob-out"
nat_bg cli timeout 60 socat -u TCP4-LISTEN:80,bind=10.100.0.2,reuseaddr OPEN:"$T_TMP/got-in",creat,trunc
nat_bg cli timeout 60 socat -u OPEN:"$T_TMP/blob-out" TCP4-LISTEN:81,bind=10.100.0.2,reuseaddr
nat_bg cli timeout 60 socat UDP4-RECVFROM:5000,bind=10.100.0.2,fork SYSTEM:'echo "udp from $SOCAT_PEERADDR:$SOCAT_PEERPORT"'
listening cli tcp 80 && listening cli tcp 81 && listening cli udp 5000 || fail "client listeners"

# 1 MiB remote -> client over the forward, then 1 MiB client -> remote.
nsx rmt timeout 30 socat -u OPEN:"$T_TMP/blob-in" TCP4:$PUB:8080 || fail "TCP remote -> client"
same_file "$T_TMP/got-in" "$T_TMP/blob-in" || fail "1 MiB remote -> client differs"
nsx rmt timeout 30 socat -u TCP4:$PUB:8081 OPEN:"$T_TMP/got-out",creat,trunc || fail "TCP client -> remote"
same_file "$T_TMP/got-out" "$T_TMP/blob-out" || fail "1 MiB client -> remote differs"

# Who the client sees: the remote's real address (TCP and UDP), on a connected socket at
# the remote, so replies can only have come from the public address and port.
nat_bg cli timeout 60 socat TCP4-LISTEN:80,bind=10.100.0.2,reuseaddr,fork SYSTEM:'echo "tcp from $SOCAT_PEERADDR"'
listening cli tcp 80 || fail "client listener 80"
r=$(nsx rmt timeout 10 socat -T3 - TCP4:$PUB:8080 </dev/null 2>&1)
[ "$r" = "tcp from $RMT" ] || fail "client saw '$r' (expected the remote's address $RMT)"
r=$(udp_ask rmt $PUB 5000)
[[ "$r" == "udp from $RMT:"* ]] || fail "UDP: client saw '$r'"
# Same-port form of PortForward (udp 5001 -> client:5001).
nat_bg cli timeout 60 socat UDP4-RECVFROM:5001,bind=10.100.0.2,fork SYSTEM:'echo five-oh-oh-one'
listening cli udp 5001 || fail "client listener 5001"
r=$(udp_ask rmt $PUB 5001)
[ "$r" = five-oh-oh-one ] || fail "udp 5001 -> client:5001: got '$r'"

# The server's own services and ping on the public address are untouched.
r=$(nsx rmt timeout 10 socat -T3 - TCP4:$PUB:2222 </dev/null 2>&1)
[ "$r" = host-tcp ] || fail "host TCP service: '$r'"
r=$(udp_ask rmt $PUB 5353)
[ "$r" = host-udp ] || fail "host UDP service: '$r'"
ping_ok rmt $PUB || fail "the server's own ping"
nsx srv timeout 10 socat -T3 - TCP4:$RMT:22 </dev/null >/dev/null 2>&1 # (closed; just must not hang)
# The server reaches the world itself (its own connections are not NATed).
nat_bg rmt timeout 60 socat TCP4-LISTEN:7000,fork,reuseaddr SYSTEM:'echo "rmt saw $SOCAT_PEERADDR"'
listening rmt tcp 7000 || fail "remote listener"
r=$(nsx srv timeout 10 socat -T3 - TCP4:$RMT:7000 </dev/null 2>&1)
[ "$r" = "rmt saw $PUB" ] || fail "server's own TCP to the remote: '$r'"

# nat=1: settings, forwards, counters.
q=$(nat_query "$SRV_IF")
grep -qx 'nat_enable=true' <<<"$q" || fail "nat=1: $q"
grep -qx "nat_external_address=$PUB" <<<"$q" || fail "nat=1 address: $q"
grep -qx 'nat_external_interface=v-rtr' <<<"$q" || fail "nat=1 interface: $q"
grep -qx 'nat_forward=tcp:8080:10.100.0.2:80' <<<"$q" || fail "nat=1 forward: $q"
grep -qx 'nat_forward=udp:5001:10.100.0.2:5001' <<<"$q" || fail "nat=1 forward 5001: $q"
[ "$(grep -c '^nat_map=' <<<"$q")" = 4 ] || fail "nat=1 maps: $q"
grep -qx 'nat_tc_filters=8' <<<"$q" || fail "nat=1 filters: $q"
grep -qx 'nat_mss_clamp=1380' <<<"$q" || fail "nat=1 mss: $q"
[ "$(nat_stat "$SRV_IF" in_translated)" -gt 700 ] || fail "in_translated: $q"
[ "$(nat_stat "$SRV_IF" out_translated)" -gt 700 ] || fail "out_translated: $q"
[ "$(nat_stat "$SRV_IF" mss_clamped)" -ge 1 ] || fail "mss_clamped: $q"
[ "$(nat_stat "$SRV_IF" raw_errors)" = 0 ] || fail "raw_errors: $q"
# uwg show adds a NAT block; wg's own view is unchanged.
show=$(uwgx srv show "$SRV_IF" 2>&1) || fail "uwg show: $show"
grep -qxF "nat: $PUB on v-rtr, masquerade off, 8 tc filters" <<<"$show" || fail "uwg show: $show"
grep -qxF "  forward: TCP 8080 -> 10.100.0.2:80" <<<"$show" || fail "uwg show forwards: $show"
grep -qxF "  forward: UDP 5001 -> 10.100.0.2:5001" <<<"$show" || fail "uwg show forwards: $show"
wgshow=$(nsx srv wg show "$SRV_IF" 2>&1) || fail "wg show"
grep -q 'nat\|forward' <<<"$wgshow" && fail "wg show printed NAT lines: $wgshow"
capture_check

uwgx cli down "$CLI_CONF" >/dev/null 2>&1 || fail "client down"
uwgx srv down "$SRV_CONF" >/dev/null 2>&1 || fail "server down"
wait_gone "$SRV_IF" || fail "server daemon still running"
[ "$(filters)" = 0 ] || fail "filters left after down: $(filters)"
r=$(nsx rmt timeout 10 socat -T2 - TCP4:$PUB:2222 </dev/null 2>&1)
[ "$r" = host-tcp ] || fail "host service after down: '$r'"

pass "TCP/UDP forwards, real addresses, 1 MiB each way, host services, nat=1, clean down"
