#!/bin/bash
# test/netns/t_igd_tunnel.sh - issue 6 acceptance: the IGD embedded in the uwg daemon, used by
# the real miniupnpc tools through a real WireGuard tunnel (topology in igd_lib.sh: remote
# host <-> internet <-> server (uwg up, UPnP = on) <-> tunnel <-> two clients (uwg up)).
#
# Proves: external-ip prints the server's public address and upnpc -s finds a valid connected
# IGD; `upnpc -n 10.100.0.2 8043 8043 tcp 300` maps, and a remote host's TCP connection to the
# public address reaches socat on the client (data both ways); the same for UDP with -a;
# upnpc -l/-L list, `uwg show` shows the maps with their owner; the second client cannot map
# to the first one's address (606), take its port (718), delete its map (606) or exceed its
# cap (728); the WireGuard port and host-bound ports are refused (729); a spoofed requester
# never reaches the IGD; upnpc -d removes a map (traffic stops, steering gone); a 5 s lease
# expires on its own; removing a peer removes its maps; the byte counters are the external
# interface's; an explicit reported address (server behind a NAT) reaches external-ip and
# maps survive that restart; uwg down leaves no filter behind.
set -u -o pipefail
SRV_EXTRA="UPnPMaxMapsPerPeer = 3"
. "$(dirname "$0")/igd_lib.sh"
need wg

FILTERS0=0
igd_up
log "IGD at $(igd_url)"

# ---------- discovery and status ----------

o=$(nsx cli timeout 30 external-ip 2>&1)
assert_ext() { [ "$o" = "$SRV_PUB" ] || fail "external-ip printed '$o', expected $SRV_PUB"; }
assert_ext
log "ok: external-ip -> $o"

o=$(upnpc_in cli -s)
grep -q 'Found valid IGD' <<<"$o" && grep -q 'Status : Connected' <<<"$o" &&
	grep -q "ExternalIPAddress = $SRV_PUB" <<<"$o" ||
	fail "upnpc -s: $o"
log "ok: upnpc -s reports a valid connected IGD"
# WANCommonInterfaceConfig's totals are the external interface's own counters.
read -r bs br <<<"$(sed -n 's/^Bytes: *Sent: *\([0-9]*\)[[:space:]]*Recv: *\([0-9]*\).*/\1 \2/p' <<<"$o")"
tx=$(nsx srv cat /sys/class/net/v-rtr/statistics/tx_bytes)
rx=$(nsx srv cat /sys/class/net/v-rtr/statistics/rx_bytes)
[ -n "$bs" ] && [ "$bs" -gt 0 ] && [ "$bs" -le "$tx" ] && [ "$br" -gt 0 ] && [ "$br" -le "$rx" ] ||
	fail "byte counters: IGD sent=$bs recv=$br, interface tx=$tx rx=$rx"
log "ok: byte counters from the external interface (sent $bs <= $tx, received $br <= $rx)"

# ---------- the article's sequence: TCP ----------

o=$(upnpc_in cli -n 10.100.0.2 8043 8043 tcp 300)
grep -qE "external $SRV_PUB:8043 TCP is redirected to internal 10.100.0.2:8043 \(duration=(300|299)\)" <<<"$o" ||
	fail "upnpc -n: $o"
log "ok: upnpc -n 10.100.0.2 8043 8043 tcp 300"
[ "$(steer_count)" = 2 ] || fail "expected 2 tc filters for the TCP map, got $(steer_count)"

tcp_check()
{
	bg cli "$T_TMP/tcp.out" timeout 20 socat -T 5 TCP-LISTEN:8043,reuseaddr \
		SYSTEM:'read l; echo "client got $l from $SOCAT_PEERADDR"'
	wait_listen cli t 8043 || fail "socat did not listen on the client"
	nsx rmt timeout 10 sh -c "echo hello-from-remote | socat -T 5 - TCP:$SRV_PUB:8043" 2>&1
}
o=$(tcp_check)
[ "$o" = "client got hello-from-remote from $RMT_PUB" ] ||
	fail "remote -> $SRV_PUB:8043 -> client: got '$o'"
log "ok: remote host -> $SRV_PUB:8043 -> socat on the client and back ('$o')"

# ---------- the same over UDP with -a ----------

o=$(upnpc_in cli -a 10.100.0.2 6881 6881 udp)
grep -q "external $SRV_PUB:6881 UDP is redirected to internal 10.100.0.2:6881 (duration=0)" <<<"$o" ||
	fail "upnpc -a udp: $o"
bg cli "$T_TMP/udp.out" timeout 20 socat -T 5 UDP4-RECVFROM:6881 \
	SYSTEM:'read l; echo "client got $l from $SOCAT_PEERADDR"'
wait_listen cli u 6881 || fail "socat did not listen on UDP 6881"
o=$(nsx rmt timeout 10 sh -c "echo udp-from-remote | socat -T 3 - UDP4:$SRV_PUB:6881" 2>&1)
[ "$o" = "client got udp-from-remote from $RMT_PUB" ] || fail "UDP through the map: got '$o'"
log "ok: upnpc -a UDP 6881, a datagram each way ('$o')"
[ "$(steer_count)" = 4 ] || fail "expected 4 tc filters, got $(steer_count)"

# ---------- listing ----------

o=$(upnpc_in cli -l)
grep -qE "TCP +8043->10.100.0.2:8043 +'libminiupnpc' '' 2[0-9]{2}" <<<"$o" &&
	grep -qE "UDP +6881->10.100.0.2:6881 +'libminiupnpc' '' 0" <<<"$o" ||
	fail "upnpc -l: $o"
o=$(upnpc_in cli -L)
grep -qE "TCP +8043->10.100.0.2:8043" <<<"$o" && grep -qE "UDP +6881->10.100.0.2:6881" <<<"$o" ||
	fail "upnpc -L: $o"
log "ok: upnpc -l and -L list both maps"

o=$(uwgx srv show "$SRV_IF")
grep -qE "port map: TCP 8043 -> 10.100.0.2:8043, 4m [0-9]+s left, peer ${CP//+/\\+}, \"libminiupnpc\"" <<<"$o" &&
	grep -qE "port map: UDP 6881 -> 10.100.0.2:6881, permanent, peer ${CP//+/\\+}" <<<"$o" ||
	fail "uwg show does not list the maps: $o"
# The same text as wg show first (less what moves between the two calls: handshake age, bytes).
steady() { grep -vE '^  (latest handshake|transfer):'; }
w=$(nsx srv wg show "$SRV_IF" | steady)
u=$(steady <<<"$o")
[ "${u:0:${#w}}" = "$w" ] || fail "uwg show does not start with what wg show prints: $w"
log "ok: uwg show lists the maps (owner, protocol, ports, lease, description)"

# ---------- the second client ----------

o=$(upnpc_in cl2 -a 10.100.0.2 7000 7000 TCP)
grep -qE 'failed with code :? ?606' <<<"$o" || fail "client 2 mapping for client 1: $o"
o=$(upnpc_in cl2 -a 10.100.0.3 8043 8043 TCP)
grep -qE 'failed with code :? ?718' <<<"$o" || fail "client 2 on client 1's port: $o"
o=$(upnpc_in cl2 -d 8043 TCP)
grep -qE 'failed with code :? ?606' <<<"$o" || fail "client 2 deleting client 1's map: $o"
upnp_maps | grep -q '^tcp:8043:10.100.0.2:8043:' || fail "client 1's map is gone"
for p in 9001 9002 9003; do
	o=$(upnpc_in cl2 -a 10.100.0.3 $p $p TCP 120)
	grep -q "is redirected to internal 10.100.0.3:$p" <<<"$o" || fail "client 2 map $p: $o"
done
o=$(upnpc_in cl2 -a 10.100.0.3 9004 9004 TCP 120)
grep -qE 'failed with code :? ?728' <<<"$o" || fail "client 2 past its cap of 3: $o"
log "ok: client 2 refused: map for client 1 (606), its port (718), its delete (606), cap (728)"

# A client that claims client 1's tunnel address never reaches the IGD: the server's
# cryptokey routing drops what client 2 sends from 10.100.0.2.
ip -n "$(nsname cl2)" addr add 10.100.0.2/32 dev "$CL2_IF"
o=$(nsx cl2 curl -s -m 4 --interface 10.100.0.2 -o /dev/null -w '%{http_code}' "$(igd_url)")
[ "$o" = 000 ] || fail "a spoofed requester got HTTP $o"
ip -n "$(nsname cl2)" addr del 10.100.0.2/32 dev "$CL2_IF"
log "ok: a spoofed tunnel source is dropped before the IGD"

o=$(upnpc_in cli -a 10.100.0.2 51820 51820 UDP)
grep -qE 'failed with code :? ?729' <<<"$o" || fail "the WireGuard port was not refused: $o"
bg srv "$T_TMP/host.out" timeout 60 socat TCP-LISTEN:8080,reuseaddr /dev/null
wait_listen srv t 8080 || fail "host listener"
o=$(upnpc_in cli -a 10.100.0.2 8080 8080 TCP)
grep -qE 'failed with code :? ?729' <<<"$o" || fail "a port the server listens on was not refused: $o"
log "ok: the WireGuard port and a host-bound port are refused (729)"

# ---------- delete ----------

n0=$(steer_count)
o=$(upnpc_in cli -d 8043 tcp)
upnp_maps | grep -q '^tcp:8043:' && fail "upnpc -d: the map is still there: $o"
[ "$(steer_count)" = $((n0 - 2)) ] || fail "upnpc -d: $(steer_count) filters, expected $((n0 - 2))"
bg cli "$T_TMP/tcp2.out" timeout 20 socat -T 5 TCP-LISTEN:8043,reuseaddr SYSTEM:'echo reached'
wait_listen cli t 8043 || fail "socat did not listen on the client"
o=$(nsx rmt timeout 10 socat -T 3 - "TCP:$SRV_PUB:8043,connect-timeout=3" </dev/null 2>&1)
grep -q reached <<<"$o" && fail "the deleted map still carries traffic"
log "ok: upnpc -d removed the map, its steering and its traffic"

# ---------- a 5 second lease ----------

o=$(upnpc_in cli -a 10.100.0.2 9100 9100 TCP 5)
grep -q 'duration=5' <<<"$o" || fail "5 s lease: $o"
n0=$(steer_count)
# The table hides it the moment the lease ends; the next tick (<= 1 s) removes the filters.
for i in $(seq 1 75); do
	upnp_maps | grep -q '^tcp:9100:' || [ "$(steer_count)" != $((n0 - 2)) ] || break
	sleep 0.2
done
upnp_maps | grep -q '^tcp:9100:' && fail "the 5 s lease did not expire in 15 s"
[ "$(steer_count)" = $((n0 - 2)) ] || fail "expired map left filters: $(steer_count), expected $((n0 - 2))"
upnpc_in cli -l | grep -q '9100->' && fail "upnpc -l still lists the expired map"
log "ok: a 5 s lease expired on its own (map and steering gone)"

# ---------- removing a peer removes its maps ----------

[ "$(upnp_maps | grep -c ':10.100.0.3:')" = 3 ] || fail "client 2 should hold 3 maps: $(upnp_maps)"
n0=$(steer_count)
uwgx srv set "$SRV_IF" peer "$C2P" remove || fail "uwg set peer remove"
for i in $(seq 1 25); do
	upnp_maps | grep -q ':10.100.0.3:' || break
	sleep 0.2
done
upnp_maps | grep -q ':10.100.0.3:' && fail "client 2's maps survived its removal"
[ "$(steer_count)" = $((n0 - 6)) ] || fail "removed peer's filters: $(steer_count), expected $((n0 - 6))"
log "ok: removing a peer removed its maps and their steering"

# ---------- the reported address for a server behind another NAT ----------

o=$(printf 'set=1\nupnp=true\nupnp_max_maps_per_peer=3\nupnp_external_address=203.0.114.99\n\n' |
	timeout 10 socat -t 3 - "UNIX-CONNECT:/var/run/wireguard/$SRV_IF.sock")
[ "$o" = "errno=0" ] || fail "upnp_external_address set: $o"
wait_running 20 || fail "the IGD did not come back after the reconfiguration"
o=$(nsx cli timeout 30 external-ip 2>&1)
[ "$o" = 203.0.114.99 ] || fail "external-ip with UPnPExternalAddress printed '$o'"
upnpc_in cli -l | grep -qE 'UDP +6881->10.100.0.2:6881' || fail "the UDP map did not survive the restart"
log "ok: UPnPExternalAddress is what clients are told; maps survive an IGD restart"

# UPnP off removes the maps; what pupnp needs (loopback up, MULTICAST on the TUN) is put
# back by the daemon when UPnP comes on again.
upnp_set() { printf 'set=1\n%s\n\n' "$1" | timeout 10 socat -t 3 - "UNIX-CONNECT:/var/run/wireguard/$SRV_IF.sock"; }
n0=$(steer_count)
[ "$(upnp_set upnp=false)" = errno=0 ] || fail "upnp=false refused"
[ -z "$(upnp_maps)" ] && [ "$(steer_count)" = $((n0 - 2)) ] ||
	fail "UPnP off left maps or filters: $(upnp_maps) / $(steer_count)"
nsx srv ip link set lo down
nsx srv ip link set "$SRV_IF" multicast off
[ "$(upnp_set upnp=true)" = errno=0 ] || fail "upnp=true refused"
wait_running 20 || fail "the IGD did not start with loopback down and MULTICAST off"
nsx srv ip link show lo | grep -q '[<,]UP[,>]' || fail "loopback was not brought up"
nsx srv ip link show "$SRV_IF" | grep -q MULTICAST || fail "MULTICAST was not turned on"
o=$(nsx cli timeout 30 external-ip 2>&1)
[ "$o" = "$SRV_PUB" ] || fail "external-ip after UPnP came back: '$o'"
log "ok: UPnP off removed the maps; on again, loopback and MULTICAST were restored"

# ---------- down ----------

# Even with loopback down (pupnp stops itself through 127.0.0.1) the daemon exits at once.
nsx srv ip link set lo down
uwgx srv down "$SRV_CONF" >/dev/null 2>&1 || fail "uwg down (server)"
wait_gone "$SRV_IF" || fail "server daemon still running after uwg down"
[ "$(steer_count)" = 0 ] || fail "filters left after uwg down: $(steer_count)"
grep -q 'UPnP IGD stopped' "$T_TMP/daemon-$SRV_IF.log" || fail "no clean IGD stop in the log"
log "ok: uwg down stopped the IGD and left no filter"
pass
