#!/usr/bin/env bash
# t_nat_masq: Masquerade = on on a server without any iptables binary and with IPv4
# forwarding off, for a full-tunnel client (AllowedIPs 0.0.0.0/0): the client reaches TCP,
# UDP and ping on the remote, which sees only the server's public address (capture), 1 MiB
# passes both ways over a masqueraded connection, masqueraded source ports come from the
# pool, the client reaches its own forward through the public address (hairpin) and the
# server's own services on its public and other addresses directly, the server's own traffic is not
# translated, and `uwg down` removes the filters and frees the pool.
. "$(dirname "$0")/nat_lib.sh"

topo_nat
for ns in rtr srv cli rmt; do
	nsx "$ns" sh -c 'command -v iptables || command -v iptables-legacy || command -v iptables-nft' \
		>/dev/null 2>&1 && fail "an iptables binary exists in $ns"
done
SRV_NAT="Masquerade = on
PortForward = tcp 8080 -> 10.100.0.2:80"
nat_confs
# Full tunnel: everything but the tunnel's own packets goes to the server.
sed -i 's|^AllowedIPs = .*|AllowedIPs = 0.0.0.0/0|' "$CLI_CONF"

nat_bg rmt timeout 120 socat TCP4-LISTEN:7000,fork,reuseaddr SYSTEM:'echo "tcp $SOCAT_PEERADDR $SOCAT_PEERPORT"'
nat_bg rmt timeout 120 socat UDP4-RECVFROM:7002,fork SYSTEM:'echo "udp $SOCAT_PEERADDR $SOCAT_PEERPORT"'
nat_bg srv timeout 120 socat TCP4-LISTEN:2222,fork,reuseaddr SYSTEM:'echo "host saw $SOCAT_PEERADDR"'
capture_start
nat_up
listening rmt tcp 7000 && listening rmt udp 7002 && listening srv tcp 2222 || fail "listeners"
[ "$(filters)" = 7 ] || fail "expected 7 filters (pool x5 + one forward x2), got $(filters)"
[ "$(nsx srv sysctl -n net.ipv4.ip_forward)" = 0 ] || fail "ip_forward is on"
[ "$(nsx srv ss -Huan 'sport >= :61440 and sport <= :61951' | wc -l)" = 512 ] ||
	fail "placeholder UDP sockets do not hold the pool"

# TCP, UDP, ping through the masquerade.
r=$(nsx cli timeout 10 socat -T3 - TCP4:$RMT:7000 </dev/null 2>&1)
read -r proto who port <<<"$r"
[ "$proto $who" = "tcp $PUB" ] || fail "TCP: remote saw '$r' (expected $PUB)"
[ "$port" -ge 61440 ] && [ "$port" -le 61951 ] || fail "TCP source port $port is not from the pool"
r=$(udp_ask cli $RMT 7002)
read -r proto who port <<<"$r"
[ "$proto $who" = "udp $PUB" ] || fail "UDP: remote saw '$r'"
[ "$port" -ge 61440 ] && [ "$port" -le 61951 ] || fail "UDP source port $port is not from the pool"
ping_ok cli $RMT || fail "ping client -> remote"
ping_ok cli $RMT_FAR || fail "ping client -> remote behind the small link"

# 1 MiB each way over masqueraded TCP.
head -c 1048576 /dev/urandom >"$T_TMP/up"
head -c 1048576 /dev/urandom >"$T_TMP/down"
nat_bg rmt timeout 60 socat -u TCP4-LISTEN:7010,reuseaddr OPEN:"$T_TMP/got-up",creat,trunc
nat_bg rmt timeout 60 socat -u OPEN:"$T_TMP/down" TCP4-LISTEN:7011,reuseaddr
listening rmt tcp 7010 && listening rmt tcp 7011 || fail "remote listeners"
nsx cli timeout 30 socat -u OPEN:"$T_TMP/up" TCP4:$RMT:7010 || fail "upload through masquerade"
same_file "$T_TMP/got-up" "$T_TMP/up" || fail "1 MiB client -> remote differs"
nsx cli timeout 30 socat -u TCP4:$RMT:7011 OPEN:"$T_TMP/got-down",creat,trunc || fail "download"
same_file "$T_TMP/got-down" "$T_TMP/down" || fail "1 MiB remote -> client differs"

# Hairpin: the client's own forward through the public address; it sees the public address.
nat_bg cli timeout 60 socat TCP4-LISTEN:80,bind=10.100.0.2,reuseaddr,fork SYSTEM:'echo "fwd saw $SOCAT_PEERADDR"'
listening cli tcp 80 || fail "client listener"
r=$(nsx cli timeout 10 socat -T3 - TCP4:$PUB:8080 </dev/null 2>&1)
[ "$r" = "fwd saw $PUB" ] || fail "hairpin: '$r'"
# The server's own service on its public address is not NATed: it sees the tunnel address.
r=$(nsx cli timeout 10 socat -T3 - TCP4:$PUB:2222 </dev/null 2>&1)
[ "$r" = "host saw 10.100.0.2" ] || fail "host service through the tunnel: '$r'"
# ... nor on its other addresses (here the one on its second uplink).
r=$(nsx cli timeout 10 socat -T3 - TCP4:203.0.114.50:2222 </dev/null 2>&1)
[ "$r" = "host saw 10.100.0.2" ] || fail "host service on another local address: '$r'"
# The server's own traffic to the world stays the kernel's.
r=$(nsx srv timeout 10 socat -T3 - TCP4:$RMT:7000 </dev/null 2>&1)
read -r proto who port <<<"$r"
[ "$who" = "$PUB" ] && { [ "$port" -lt 61440 ] || [ "$port" -gt 61951 ]; } ||
	fail "server's own connection looks translated: '$r'"
ping_ok srv $RMT || fail "server's own ping"

q=$(nat_query "$SRV_IF")
grep -qx 'nat_masquerade=true' <<<"$q" || fail "nat=1: $q"
grep -qx 'nat_masquerade_ports=61440-61951' <<<"$q" || fail "nat=1 pool: $q"
[ "$(nat_stat "$SRV_IF" flows_created)" -ge 5 ] || fail "flows_created: $q"
[ "$(nat_stat "$SRV_IF" hairpin)" -ge 2 ] || fail "hairpin counter: $q"
[ "$(nat_stat "$SRV_IF" raw_errors)" = 0 ] || fail "raw_errors: $q"
capture_check

uwgx cli down "$CLI_CONF" >/dev/null 2>&1 || fail "client down"
uwgx srv down "$SRV_CONF" >/dev/null 2>&1 || fail "server down"
wait_gone "$SRV_IF" || fail "server daemon still running"
[ "$(filters)" = 0 ] || fail "filters left after down: $(filters)"
[ "$(nsx srv ss -Huan 'sport >= :61440 and sport <= :61951' | wc -l)" = 0 ] ||
	fail "pool placeholders left after down"

pass "masquerade TCP/UDP/ping without iptables, pool ports, 1 MiB each way, hairpin, clean down"
