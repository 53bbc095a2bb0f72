#!/bin/bash
# test/netns/t_fw6.sh - issue 18, the IPv6 firewall: clients with routed /128s out of the
# server's /80 (no NAT), a remote host on the IPv6 "internet" (topology of igd_lib.sh plus
# IPv6: rtr forwards 2001:db8:1::/64 (srv) and 2001:db8:4::/64 (rmt), and routes the
# clients' 2001:db8:2::/80 to the server).
#
# Proves: with the firewall off (no key), the remote reaches a socat TCP6-LISTEN on the
# client's /128 (the routed setup as it was); `uwg syncconf` with IPv6Firewall = on then
# blocks the remote's TCP connection and UDP datagrams to the client (counted as dropped
# for that peer), while the client's own TCP, UDP and ping6 to the remote work both ways;
# the remote's ping6 to the client passes (RFC 4890); a Packet Too Big from a router on the
# way (a 1280-byte link before the remote) reaches the client for its flow, which learns the
# path MTU; upnpc -6 -m TUN finds the IGD over ff05::c through the tunnel and -A opens a pinhole the
# remote's connection then uses, -D closes it, a 2 s lease expires by itself; the second
# client cannot open a pinhole for the first client's address (606); a PCP MAP for the
# client's IPv6 address opens a pinhole too; a flood of unsolicited datagrams to random ports
# of both clients and random addresses of the /80 leaves the server's RSS bounded and an
# established flow of the client working; `uwg show IF firewall` and metrics show pinholes
# and per-peer drops; IPv6FirewallExcept exempts a peer.
set -u -o pipefail
. "$(dirname "$0")/igd_lib.sh"
need ping socat python3

topo_igd
nsx rtr sysctl -qw net.ipv6.conf.all.forwarding=1
nsx srv sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n "$(nsname rtr)" addr add 2001:db8:1::1/64 dev v-srv nodad
ip -n "$(nsname srv)" addr add 2001:db8:1::2/64 dev v-rtr nodad
ip -n "$(nsname rtr)" addr add 2001:db8:4::1/64 dev v-rmt nodad
ip -n "$(nsname rmt)" addr add 2001:db8:4::2/64 dev v-rtr nodad
ip -n "$(nsname srv)" -6 route add default via 2001:db8:1::1
ip -n "$(nsname rmt)" -6 route add default via 2001:db8:4::1
ip -n "$(nsname rtr)" -6 route add 2001:db8:2::/80 via 2001:db8:1::2
RMT6=2001:db8:4::2
C1=2001:db8:2::2
C2=2001:db8:2::3
# As socat prints peers ($SOCAT_PEERADDR): no NAT, so the real addresses.
RMT6_SEEN='[2001:0db8:0004:0000:0000:0000:0000:0002]'
C1_SEEN='[2001:0db8:0002:0000:0000:0000:0000:0002]'

igd_confs
sed -i 's|^Address = 10.100.0.1/24$|Address = 10.100.0.1/24, 2001:db8:2::1/80|; s|^AllowedIPs = 10.100.0.2/32$|AllowedIPs = 10.100.0.2/32, 2001:db8:2::2/128|; s|^AllowedIPs = 10.100.0.3/32$|AllowedIPs = 10.100.0.3/32, 2001:db8:2::3/128|' "$SRV_CONF"
sed -i 's|^Address = 10.100.0.2/32$|Address = 10.100.0.2/32, 2001:db8:2::2/128|; s|^AllowedIPs = 0.0.0.0/0$|AllowedIPs = 0.0.0.0/0, ::/0|' "$CLI_CONF"
sed -i 's|^Address = 10.100.0.3/32$|Address = 10.100.0.3/32, 2001:db8:2::3/128|; s|^AllowedIPs = 0.0.0.0/0$|AllowedIPs = 0.0.0.0/0, ::/0|' "$CL2_CONF"
igd_start
ping_ok cli "$RMT6" || fail "no IPv6 from the client to the remote through the tunnel"

# tcp_to NS ADDR PORT: one line from a TCP server at ADDR:PORT, "" if none within 4 s.
tcp_to() { nsx "$1" timeout 6 socat -T 3 - "TCP6:[$2]:$3,connect-timeout=4" </dev/null 2>/dev/null; }
# A TCP6 and a UDP6 listener on the client that answer with what they saw.
bg cli "$T_TMP/l-tcp.out" timeout 300 socat -T 5 TCP6-LISTEN:8080,reuseaddr,fork \
	SYSTEM:'echo "client tcp from $SOCAT_PEERADDR"'
bg cli "$T_TMP/l-udp.out" timeout 300 socat -T 5 UDP6-RECVFROM:6000,reuseaddr,fork \
	SYSTEM:'read l; echo "client got $l"'
wait_listen cli t 8080 && wait_listen cli u 6000 || fail "listeners on the client"
udp_to() { nsx "$1" timeout 6 sh -c "echo $4 | socat -T 2 - UDP6:[$2]:$3" 2>/dev/null; }
fw_reply() { nat_reply | sed -n "s/^$1=//p"; }
# The server's daemon (the process holding its UAPI socket, where the data path runs).
srv_pid() { nsx srv ss -xlpn | grep -F "/wireguard/$SRV_IF.sock " | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }

# ---------- off: a routed client is reachable ----------

o=$(tcp_to rmt "$C1" 8080)
[ "$o" = "client tcp from $RMT6_SEEN" ] || fail "firewall off: remote -> [$C1]:8080: '$o'"
log "ok: firewall off: the remote reaches the client's TCP6-LISTEN ('$o')"

# ---------- on, through syncconf ----------

sed -i 's|^UPnP = on$|UPnP = on\nIPv6Firewall = on|' "$SRV_CONF"
uwgx srv syncconf "$SRV_IF" "$SRV_CONF" >"$T_TMP/sync.out" 2>&1 || fail "syncconf: $(cat "$T_TMP/sync.out")"
[ "$(fw_reply fw6)" = true ] || fail "fw6 after syncconf: $(nat_reply | grep fw6)"
o=$(tcp_to rmt "$C1" 8080)
[ -z "$o" ] || fail "firewall on: the remote still connects: '$o'"
o=$(udp_to rmt "$C1" 6000 probe)
[ -z "$o" ] || fail "firewall on: the remote's UDP reached the client: '$o'"
d=$(fw_reply fw6_stat_drop_unsolicited)
[ "${d:-0}" -ge 2 ] || fail "unsolicited drops not counted: $(nat_reply | grep fw6)"
log "ok: IPv6Firewall = on (syncconf): the remote's TCP and UDP to the client are dropped ($d counted)"

# The client's own flows work both ways.
bg rmt "$T_TMP/r-tcp.out" timeout 300 socat -T 5 TCP6-LISTEN:9090,reuseaddr,fork \
	SYSTEM:'echo "remote tcp from $SOCAT_PEERADDR"'
bg rmt "$T_TMP/r-udp.out" timeout 300 socat -T 5 UDP6-RECVFROM:9091,reuseaddr,fork \
	SYSTEM:'read l; echo "remote got $l"'
wait_listen rmt t 9090 && wait_listen rmt u 9091 || fail "listeners on the remote"
o=$(tcp_to cli "$RMT6" 9090)
[ "$o" = "remote tcp from $C1_SEEN" ] || fail "client -> remote TCP: '$o'"
o=$(udp_to cli "$RMT6" 9091 hello)
[ "$o" = "remote got hello" ] || fail "client -> remote UDP and back: '$o'"
ping_ok cli "$RMT6" || fail "client ping6 -> remote"
ping_ok rmt "$C1" || fail "remote ping6 -> client (echo must pass, RFC 4890)"
log "ok: the client's TCP, UDP and ping6 to the remote work both ways; the remote's ping6 passes"

# ---------- pinholes over UPnP: upnpc -6 finds the IGD through ff05::c ----------

# The client has a LAN too (v-rtr), whose multicast route comes first in the local table:
# -m names the tunnel for the search, as a user with more than one interface does.
up6() { local ns=$1 ifn; shift; [ "$ns" = cli ] && ifn=$CLI_IF || ifn=$CL2_IF; upnpc_in "$ns" -6 -m "$ifn" "$@"; }
pinhole_id() { sed -n 's/.*Pinhole ID = \([0-9]*\).*/\1/p' <<<"$1" | head -1; }
o=$(up6 cli -A empty 0 "$C1" 8080 tcp 3600)
ID=$(pinhole_id "$o")
[ -n "$ID" ] || fail "upnpc -6 -A: $o"
o=$(tcp_to rmt "$C1" 8080)
[ "$o" = "client tcp from $RMT6_SEEN" ] || fail "through pinhole $ID: remote -> client: '$o'"
o=$(uwgx srv show "$SRV_IF" firewall 2>&1)
grep -q "pinhole $ID: tcp to \[$C1\]:8080 from anywhere, [0-9]*s left, [1-9][0-9]* packets, peer $CP, \"IGD2 pinhole\" (UPnP)" <<<"$o" ||
	fail "uwg show firewall, pinhole: $o"
log "ok: upnpc -6 -A empty 0 $C1 8080 tcp 3600 -> pinhole $ID; the remote connects through it"

o=$(up6 cl2 -A empty 0 "$C1" 8080 tcp 3600)
grep -q "606" <<<"$o" || fail "client 2 opened a pinhole for client 1's address: $o"
o=$(up6 cl2 -D "$ID")
grep -qE "606|returned : -?[1-9]" <<<"$o" || fail "client 2 deleted client 1's pinhole: $o"
log "ok: client 2 can neither open a pinhole for client 1's address nor delete client 1's (606)"

# It survives kill -9 and uwg up (the lease file), and then carries the remote's connection.
pid=$(srv_pid)
kill -9 "$pid"
for _ in $(seq 1 50); do
	[ -S "/var/run/wireguard/$SRV_IF.sock" ] || break
	sleep 0.1
done
uwgx srv up "$SRV_CONF" >"$T_TMP/up-srv2.out" 2>&1 || fail "uwg up after kill -9: $(cat "$T_TMP/up-srv2.out")"
wait_running 20 || fail "the IGD did not start again"
wait_log 'UPnP: 1 of 1 IPv6 pinholes restored from the lease file' 10 ||
	fail "no restore line: $(srv_log | grep -i pinhole)"
# The client's session died with the server: it notices within Keepalive + Rekey-Timeout.
for _ in $(seq 1 6); do
	ping_ok cli 10.100.0.1 && break
done
ping_ok cli 10.100.0.1 || fail "no tunnel after the restart"
for _ in $(seq 1 50); do
	nat_reply | grep -q "^fw6_pinhole=$ID tcp \[$C1\]:8080" && break
	sleep 0.2
done
nat_reply | grep -q "^fw6_pinhole=$ID tcp \[$C1\]:8080" || fail "the pinhole did not come back: $(nat_reply | grep fw6)"
o=$(tcp_to rmt "$C1" 8080)
[ "$o" = "client tcp from $RMT6_SEEN" ] || fail "through the restored pinhole: '$o'"
log "ok: the pinhole survives kill -9 of the server and uwg up (lease file) and carries the remote's connection"

o=$(up6 cli -D "$ID")
grep -q "returned : 0" <<<"$o" || fail "upnpc -6 -D $ID: $o"
o=$(tcp_to rmt "$C1" 8080)
[ -z "$o" ] || fail "pinhole deleted, the remote still connects: '$o'"
log "ok: upnpc -6 -D $ID closes it: the remote is dropped again"

o=$(up6 cli -A empty 0 "$C1" 8080 tcp 2)
ID2=$(pinhole_id "$o")
[ -n "$ID2" ] || fail "upnpc -6 -A with a 2 s lease: $o"
for _ in $(seq 1 40); do
	nat_reply | grep -q "^fw6_pinhole=$ID2 " || break
	sleep 0.25
done
nat_reply | grep -q "^fw6_pinhole=$ID2 " && fail "the 2 s pinhole did not expire"
o=$(tcp_to rmt "$C1" 8080)
[ -z "$o" ] || fail "expired pinhole still lets the remote in: '$o'"
log "ok: a 2 s pinhole expires by itself"

# ---------- pinholes over PCP ----------

pcp6() { nsx "$1" timeout 30 "$PY_BIN" "$(dirname "$0")/../tools/pcp_client.py" 2001:db8:2::1 "$2" "${@:3}" 2>&1; }
o=$(pcp6 cli "$C1" map tcp 8080 8080 600 00112233445566778899aabb)
grep -q "^result=0 lifetime=600 .* ext=$C1:8080" <<<"$o" || fail "PCP MAP for $C1: $o"
o=$(tcp_to rmt "$C1" 8080)
[ "$o" = "client tcp from $RMT6_SEEN" ] || fail "through the PCP pinhole: '$o'"
o=$(pcp6 cli "$C1" map tcp 8080 8080 0 00112233445566778899aabb)
grep -q "^result=0 lifetime=0" <<<"$o" || fail "PCP delete: $o"
o=$(tcp_to rmt "$C1" 8080)
[ -z "$o" ] || fail "PCP pinhole deleted, the remote still connects: '$o'"
log "ok: a PCP MAP for the client's IPv6 address opens a pinhole (ext = internal), lifetime 0 closes it"

# ---------- Packet Too Big for a client's flow ----------

nsx rtr ip link set v-rmt mtu 1280
nsx rmt ip link set v-rtr mtu 1280
o=$(nsx cli ping -6 -c 3 -i 0.3 -W 2 -M do -s 1300 "$RMT6" 2>&1)
grep -q "mtu=1280" <<<"$o" || fail "no Packet Too Big reached the client: $o"
nsx cli ip -6 route get "$RMT6" | grep -q "mtu 1280" || fail "the client did not learn the path MTU: $(nsx cli ip -6 route get "$RMT6")"
log "ok: Packet Too Big from a router reaches the client (path MTU 1280 learnt)"

# ---------- counters and show ----------

o=$(uwgx srv show "$SRV_IF" firewall 2>&1)
grep -q "peer $CP: .* dropped" <<<"$o" || fail "uwg show firewall, per peer: $o"
grep -q "drop_unsolicited" <<<"$o" || fail "uwg show firewall, counters: $o"
o=$(uwgx srv show all metrics 2>&1)
grep -q '^uwg_ipv6_firewall_enabled{interface="'"$SRV_IF"'"} 1' <<<"$o" || fail "metrics: $(grep ipv6 <<<"$o")"
grep -q 'uwg_ipv6_firewall_stat_total{interface="'"$SRV_IF"'",name="drop_unsolicited"} [1-9]' <<<"$o" ||
	fail "metrics counters: $(grep ipv6 <<<"$o")"
log "ok: uwg show IF firewall and metrics show the per-peer and total drops"

# ---------- a flood of unsolicited packets ----------

# An established flow of the client, to check after the flood.
bg cli "$T_TMP/est.out" timeout 120 socat -T 60 "TCP6:[$RMT6]:9092,connect-timeout=5" \
	SYSTEM:'while read l; do echo "$l" >>'"$T_TMP"'/est.lines; done'
bg rmt "$T_TMP/est-srv.out" timeout 120 socat -T 60 TCP6-LISTEN:9092,reuseaddr \
	SYSTEM:'sleep 30'
sleep 1
rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$(srv_pid)/status" 2>/dev/null)
nsx rmt timeout 60 "$PY_BIN" - "$C1" "$C2" <<'EOF' || fail "the flood generator failed"
import random, socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
dst = sys.argv[1:]
end = time.monotonic() + 20
n = 0
while n < 200000 and time.monotonic() < end:
    if n % 3 == 2:
        a = "2001:db8:2::%x:%x" % (random.randrange(65536), random.randrange(65536))
    else:
        a = dst[n % 2]
    try:
        s.sendto(b"x" * 32, (a, random.randrange(1, 65536)))
    except OSError:
        pass
    n += 1
print(n)
EOF
rss1=$(awk '/^VmRSS/ { print $2 }' "/proc/$(srv_pid)/status" 2>/dev/null)
d2=$(fw_reply fw6_stat_drop_unsolicited)
[ "$d2" -gt 50000 ] || fail "the flood was not dropped by the firewall: $d2"
[ $((rss1 - rss0)) -lt 8192 ] || fail "the server's RSS grew by $((rss1 - rss0)) KiB under the flood"
o=$(tcp_to cli "$RMT6" 9090)
[ "$o" = "remote tcp from $C1_SEEN" ] || fail "the client's flows after the flood: '$o'"
log "ok: flood: $((d2 - d)) unsolicited drops, server RSS $rss0 -> $rss1 KiB, the client's flows work"

# ---------- IPv6FirewallExcept: one peer not filtered ----------

sed -i "s|^IPv6Firewall = on\$|IPv6Firewall = on\nIPv6FirewallExcept = $CP|" "$SRV_CONF"
uwgx srv syncconf "$SRV_IF" "$SRV_CONF" >"$T_TMP/sync2.out" 2>&1 || fail "syncconf: $(cat "$T_TMP/sync2.out")"
o=$(tcp_to rmt "$C1" 8080)
[ "$o" = "client tcp from $RMT6_SEEN" ] || fail "IPv6FirewallExcept: remote -> excepted client: '$o'"
bg cl2 "$T_TMP/l2.out" timeout 60 socat -T 5 TCP6-LISTEN:8080,reuseaddr SYSTEM:'echo client2'
wait_listen cl2 t 8080 || fail "listener on client 2"
o=$(tcp_to rmt "$C2" 8080)
[ -z "$o" ] || fail "IPv6FirewallExcept: client 2 is not excepted but was reached: '$o'"
uwgx srv showconf "$SRV_IF" >/dev/null 2>&1 || fail "showconf"
log "ok: IPv6FirewallExcept = client 1: the remote reaches it again, client 2 stays filtered"

pass
