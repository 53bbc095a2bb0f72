#!/usr/bin/env bash
# t_nat_icmp: ICMP errors through the userspace NAT, both ways, each accepted by the
# receiving kernel for a connected UDP socket (so checksums and the quoted 4-tuple are right):
#   world -> client: port unreachable from the remote, frag-needed from a router on the
#     way (rtr's 1280-byte link), both about masqueraded datagrams;
#   client -> world: the client's port unreachable about a forwarded datagram, seen by the
#     remote as coming from the public address;
#   originated by the daemon: frag-needed to the client for a DF packet that does not fit
#     the server's 1300-byte egress link (from the tunnel address 10.100.0.1), and to the
#     remote for a DF packet larger than the tunnel MTU (from the public address);
#   a DF-less packet too big for the egress link is fragmented and answered.
# No ICMP checksum errors anywhere; the remote never sees a tunnel address, quoted or not.
. "$(dirname "$0")/nat_lib.sh"

topo_nat
SRV_NAT="Masquerade = on
PortForward = udp 5000 -> 10.100.0.2:5000
PortForward = udp 5001 -> 10.100.0.2:5001"
nat_confs
# Full tunnel: a router's ICMP error comes from the router's own address, which a
# split-tunnel client's allowed IPs would (rightly) refuse.
sed -i 's|^AllowedIPs = .*|AllowedIPs = 0.0.0.0/0|' "$CLI_CONF"
# One echo per address, so each answer leaves from the address it was sent to.
for a in $RMT $RMT_SMALL $RMT_FAR; do
	nat_bg rmt timeout 120 socat UDP4-RECVFROM:7001,bind=$a,fork EXEC:cat
done
capture_start
nat_up
nat_bg cli timeout 120 socat UDP4-RECVFROM:5000,bind=10.100.0.2,fork EXEC:cat
listening cli udp 5000 && listening rmt udp 7001 || fail "listeners"

expect() # WHAT LINE REGEX
{
	[[ "$2" =~ $3 ]] || fail "$1: got '$2', expected /$3/"
	log "ok: $1: $2"
}

# Sanity: small datagrams pass both ways.
expect "client -> remote echo" "$(probe cli --to $RMT:7001 --size 100)" "^reply 100 $RMT:7001$"
expect "remote -> forward echo" "$(probe rmt --to $PUB:5000 --size 100)" "^reply 100 $PUB:5000$"

# World -> client: port unreachable about a masqueraded datagram.
expect "remote's port unreachable reaches the client" "$(probe cli --to $RMT:7999 --size 100)" \
	"^icmp type=3 code=3 info=0 offender=$RMT errno=ECONNREFUSED$"
# World -> client: a router's frag-needed (rtr -> rmt link is 1280 bytes).
expect "router's frag-needed reaches the client" "$(probe cli --df --to $RMT_FAR:7001 --size 1400)" \
	"^icmp type=3 code=4 info=1280 offender=203\.0\.114\.[0-9]+ errno=EMSGSIZE$"
# Client -> world: the client's port unreachable about a forwarded datagram (5001 closed).
expect "client's port unreachable reaches the remote from $PUB" \
	"$(probe rmt --to $PUB:5001 --size 100)" \
	"^icmp type=3 code=3 info=0 offender=$PUB errno=ECONNREFUSED$"
# DF-less and too big for the server's 1300-byte egress: fragmented, reassembled, echoed.
expect "DF-less 1400 bytes over a 1300 link: fragmented and answered" \
	"$(probe cli --no-df --to $RMT_SMALL:7001 --size 1400)" "^reply 1400 $RMT_SMALL:7001$"
# DF and too big for it: the daemon's own frag-needed, from the tunnel address.
expect "frag-needed from the server for its 1300-byte egress" \
	"$(probe cli --df --to $RMT_SMALL:7001 --size 1400)" \
	"^icmp type=3 code=4 info=1300 offender=10\.100\.0\.1 errno=EMSGSIZE$"
# The client's kernel took the new path MTU: 1300 now fits, as a reply shows.
expect "after it, 1300 bytes pass" "$(probe cli --df --to $RMT_SMALL:7001 --size 1300)" \
	"^reply 1300 $RMT_SMALL:7001$"
# DF and larger than the tunnel MTU (1420), from the world: frag-needed from the public address.
expect "frag-needed to the remote for the tunnel MTU" "$(probe rmt --df --to $PUB:5000 --size 1460)" \
	"^icmp type=3 code=4 info=1420 offender=$PUB errno=EMSGSIZE$"
expect "after it, 1420 bytes pass" "$(probe rmt --df --to $PUB:5000 --size 1420)" \
	"^reply 1420 $PUB:5000$"

for ns in cli rmt srv rtr; do
	c=$(nsx "$ns" awk '/^Icmp: [0-9]/ { print $4 }' /proc/net/snmp)
	[ "$c" = 0 ] || fail "ICMP checksum errors in $ns: $c"
done
q=$(nat_query "$SRV_IF")
[ "$(nat_stat "$SRV_IF" frag_needed_to_client)" -ge 1 ] || fail "frag_needed_to_client: $q"
[ "$(nat_stat "$SRV_IF" frag_needed_to_world)" -ge 1 ] || fail "frag_needed_to_world: $q"
[ "$(nat_stat "$SRV_IF" fragmented)" -ge 1 ] || fail "fragmented: $q"
[ "$(nat_stat "$SRV_IF" icmp_errors)" -ge 3 ] || fail "icmp_errors: $q"
capture_check

uwgx cli down "$CLI_CONF" >/dev/null 2>&1 || fail "client down"
uwgx srv down "$SRV_CONF" >/dev/null 2>&1 || fail "server down"
wait_gone "$SRV_IF" || fail "server daemon still running"
[ "$(filters)" = 0 ] || fail "filters left after down: $(filters)"

pass "port unreachable and frag-needed both ways, originated frag-needed x2, fragmentation"
