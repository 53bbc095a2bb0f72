#!/bin/bash
# test/netns/t_natpmp.sh - issue 16, NAT-PMP: Debian's natpmpc in the client namespaces, through
# a real uwg tunnel, against the server's built-in NAT-PMP (topology in igd_lib.sh: a server
# with UPnP = on, which turns NAT-PMP on, two clients, a remote host).
#
# Proves: natpmpc prints the server's public address; `-a 8043 8043 tcp 60` maps it and the
# remote host's connection to the public address reaches socat on the client; `-a 1 6000 udp
# 60` (port 1 is privileged) gets another free port that carries UDP to the client's port
# 6000; the VPN providers' convention (`-a 1 0 udp 60` then tcp) gives one port for both,
# forwarded to that port on the client; a second client can neither take nor delete the first
# one's port, nor its companion UDP port, and lists (upnpc -l) only its own maps, not the
# first one's or a PortForward to it; lifetime 0 deletes; a short lifetime expires by
# itself; uwg show names NAT-PMP as the maps' origin and counts the requests; PCP (a small
# client written from RFC 6887, test/tools/pcp_client.py): ANNOUNCE, MAP create, refresh and
# delete with a nonce mismatch refused, PREFER_FAILURE, ADDRESS_MISMATCH, and over IPv6
# ANNOUNCE answered and MAP refused (NOT_AUTHORIZED: no IPv6 firewall yet); maps come back
# after kill -9 of the server through the lease file, with the epoch still counting, and the
# new daemon announces its address to the client (NAT-PMP and PCP, unicast to port 5350).
set -u -o pipefail
SRV_EXTRA="PortForward = tcp 8444 -> 10.100.0.2:8443"
. "$(dirname "$0")/igd_lib.sh"
need natpmpc

topo_igd
igd_confs
# IPv6 in the tunnel, for PCP over IPv6.
sed -i 's|^Address = 10.100.0.1/24$|Address = 10.100.0.1/24, fd00:100::1/64|; s|^AllowedIPs = 10.100.0.2/32$|AllowedIPs = 10.100.0.2/32, fd00:100::2/128|' "$SRV_CONF"
sed -i 's|^Address = 10.100.0.2/32$|Address = 10.100.0.2/32, fd00:100::2/128|; s|^AllowedIPs = 0.0.0.0/0$|AllowedIPs = 0.0.0.0/0, fd00:100::/64|' "$CLI_CONF"
igd_start

# pmp NS ARGS...: natpmpc against the server's tunnel address.
pmp() { local ns=$1; shift; nsx "$ns" timeout 30 natpmpc -g 10.100.0.1 "$@" 2>&1; }
# mapped OUTPUT: the public port natpmpc reports ("Mapped public port P protocol ...").
mapped() { sed -n 's/^Mapped public port \([0-9]*\) protocol .*/\1/p' <<<"$1"; }
epoch_of() { sed -n 's/^epoch = \([0-9]*\).*/\1/p' <<<"$1" | head -1; }

o=$(pmp cli)
grep -q "^Public IP address : $SRV_PUB" <<<"$o" || fail "natpmpc: $o"
E1=$(epoch_of "$o")
log "ok: natpmpc -g 10.100.0.1 -> $SRV_PUB (epoch $E1)"

# ---------- a TCP map carries a connection ----------

o=$(pmp cli -a 8043 8043 tcp 60)
grep -qE '^Mapped public port 8043 protocol TCP to local port 8043 (liftime|lifetime) 60' <<<"$o" ||
	fail "natpmpc -a 8043 8043 tcp 60: $o"
upnp_maps | grep -q "^tcp:8043:10.100.0.2:8043:[0-9]*:$CP:natpmp:" || fail "server maps: $(upnp_maps)"
bg cli "$T_TMP/tcp.out" timeout 20 socat -T 5 TCP-LISTEN:8043,reuseaddr \
	SYSTEM:'read l; echo "client got $l from $SOCAT_PEERADDR"'
wait_listen cli t 8043 || fail "socat did not listen on the client"
o=$(nsx rmt timeout 10 sh -c "echo hello-pmp | socat -T 5 - TCP:$SRV_PUB:8043" 2>&1)
[ "$o" = "client got hello-pmp from $RMT_PUB" ] || fail "remote -> $SRV_PUB:8043: '$o'"
log "ok: natpmpc -a 8043 8043 tcp 60; remote -> $SRV_PUB:8043 -> client ('$o')"

# ---------- port 1: another free port, carrying UDP to 6000 ----------

o=$(pmp cli -a 1 6000 udp 60)
P=$(mapped "$o")
[ -n "$P" ] && [ "$P" -ge 1024 ] && grep -q "protocol UDP to local port 6000" <<<"$o" ||
	fail "natpmpc -a 1 6000 udp 60: $o"
bg cli "$T_TMP/udp.out" timeout 20 socat -T 5 UDP4-RECVFROM:6000 \
	SYSTEM:'read l; echo "client got $l from $SOCAT_PEERADDR"'
wait_listen cli u 6000 || fail "socat did not listen on UDP 6000"
o=$(nsx rmt timeout 10 sh -c "echo udp-pmp | socat -T 3 - UDP4:$SRV_PUB:$P" 2>&1)
[ "$o" = "client got udp-pmp from $RMT_PUB" ] || fail "UDP $SRV_PUB:$P -> client:6000: '$o'"
log "ok: natpmpc -a 1 6000 udp 60 -> public port $P, which carries UDP to the client's 6000"

# ---------- the VPN providers' convention: internal port 0 ----------

o=$(pmp cli -a 1 0 udp 60); U=$(mapped "$o")
o2=$(pmp cli -a 1 0 tcp 60); T=$(mapped "$o2")
[ -n "$U" ] && [ "$U" = "$T" ] && [ "$U" -ge 1024 ] || fail "internal port 0: udp '$o' tcp '$o2'"
o3=$(pmp cli -a 1 0 udp 60)
[ "$(mapped "$o3")" = "$U" ] || fail "renewal with internal port 0 moved: $o3"
upnp_maps | grep -q "^tcp:$U:10.100.0.2:$U:" || fail "internal port 0 maps: $(upnp_maps)"
bg cli "$T_TMP/any.out" timeout 20 socat -T 5 TCP-LISTEN:"$U",reuseaddr SYSTEM:'echo any-port-ok'
wait_listen cli t "$U" || fail "socat did not listen on $U"
o=$(nsx rmt timeout 10 socat -T 5 - TCP:$SRV_PUB:"$U" </dev/null 2>&1)
[ "$o" = "any-port-ok" ] || fail "remote -> $SRV_PUB:$U: '$o'"
log "ok: natpmpc -a 1 0 udp|tcp 60 -> port $U for both, renewed in place, forwarded to the client's $U"

# ---------- a second client ----------

o=$(pmp cl2 -a 8043 8043 tcp 60); Q=$(mapped "$o")
[ -n "$Q" ] && [ "$Q" != 8043 ] || fail "client 2 took client 1's TCP 8043: $o"
o=$(pmp cl2 -a 8043 8043 udp 60); Q2=$(mapped "$o")
[ -n "$Q2" ] && [ "$Q2" != 8043 ] || fail "client 2 took the companion UDP 8043: $o"
o=$(pmp cl2 -a 8043 8043 tcp 0)
grep -qE '^Mapped public port 0 protocol TCP to local port 8043 (liftime|lifetime) 0' <<<"$o" ||
	fail "client 2's delete: $o"
upnp_maps | grep -q "^tcp:8043:10.100.0.2:8043:" || fail "client 2 deleted client 1's map"
upnp_maps | grep -q "^tcp:$Q:10.100.0.3:8043:" && fail "client 2's delete missed its own map"
log "ok: client 2 gets $Q and $Q2 instead of 8043 (TCP and its UDP companion), its delete leaves client 1's map"

# Privacy: client 2 lists only its own maps, over UPnP too, not client 1's or its PortForward.
o=$(upnpc_in cl2 -l)
grep -q "10.100.0.3" <<<"$o" || fail "client 2's upnpc -l does not show its own maps: $o"
grep -qE "10\.100\.0\.2|->8443|8444" <<<"$o" && fail "client 2 sees client 1's maps: $o"
o=$(upnpc_in cli -l)
grep -q "10.100.0.2:8043" <<<"$o" || fail "client 1's upnpc -l misses its NAT-PMP map: $o"
log "ok: upnpc -l shows each client its own maps (NAT-PMP ones included) and nobody else's"

# ---------- delete, expiry ----------

o=$(pmp cli -a 8043 8043 tcp 0)
grep -qE '^Mapped public port 0 protocol TCP to local port 8043 (liftime|lifetime) 0' <<<"$o" || fail "delete: $o"
upnp_maps | grep -q "^tcp:8043:" && fail "lifetime 0 did not delete: $(upnp_maps)"
o=$(pmp cli -a 7100 7100 tcp 3)
grep -qE 'liftime 3|lifetime 3' <<<"$o" || fail "natpmpc -a 7100 7100 tcp 3: $o"
for _ in $(seq 1 40); do
	upnp_maps | grep -q '^tcp:7100:' || break
	sleep 0.25
done
upnp_maps | grep -q '^tcp:7100:' && fail "the 3 s map did not expire"
log "ok: lifetime 0 deletes; a 3 s map expires by itself"

# ---------- uwg show, counters ----------

o=$(uwgx srv show "$SRV_IF" upnp 2>&1)
grep -q "port map: UDP $P -> 10.100.0.2:6000, .* \"NAT-PMP 6000 udp\" (NAT-PMP)" <<<"$o" ||
	fail "uwg show upnp: $o"
n=$(sed -n 's/^ *natpmp_requests  *\([0-9]*\)$/\1/p' <<<"$o")
[ -n "$n" ] && [ "$n" -ge 10 ] || fail "natpmp_requests in uwg show: $o"
log "ok: uwg show lists NAT-PMP maps with their origin, $n requests counted"

# ---------- PCP (on with UPnP) ----------

pcp() {
	local ns=$1 ip=$2 srv=10.100.0.1
	shift 2
	[[ "$ip" == *:* ]] && srv=fd00:100::1
	nsx "$ns" timeout 30 "$PY_BIN" "$(dirname "$0")/../tools/pcp_client.py" "$srv" "$ip" "$@" 2>&1
}
N1=0102030405060708090a0b0c
N2=aaaaaaaaaaaaaaaaaaaaaaaa
o=$(pcp cli 10.100.0.2 announce)
[[ "$o" =~ ^result=0\ lifetime=0\ epoch=[0-9]+$ ]] || fail "PCP ANNOUNCE: $o"
o=$(pcp cli 10.100.0.2 map tcp 7300 7300 600 $N1)
grep -qE "^result=0 lifetime=600 epoch=[0-9]+ nonce=$N1 ext=$SRV_PUB:7300$" <<<"$o" || fail "PCP MAP: $o"
upnp_maps | grep -q "^tcp:7300:10.100.0.2:7300:[0-9]*:$CP:pcp:PCP MAP $N1$" || fail "PCP map on the server: $(upnp_maps)"
o=$(pcp cli 10.100.0.2 map tcp 7300 9999 900 $N1)
grep -qE "^result=0 lifetime=900 .* ext=$SRV_PUB:7300$" <<<"$o" || fail "PCP refresh: $o"
o=$(pcp cli 10.100.0.2 map tcp 7300 7300 600 $N2)
grep -qE "^result=2 " <<<"$o" || fail "PCP MAP with another nonce was not refused (NOT_AUTHORIZED): $o"
o=$(pcp cli 10.100.0.2 map tcp 7300 0 0 $N2)
grep -qE "^result=2 " <<<"$o" || fail "PCP delete with another nonce was not refused: $o"
upnp_maps | grep -q "^tcp:7300:" || fail "a wrong nonce deleted the map"
bg cli "$T_TMP/pcp.out" timeout 20 socat -T 5 TCP-LISTEN:7300,reuseaddr SYSTEM:'echo pcp-ok'
wait_listen cli t 7300 || fail "socat did not listen on 7300"
o=$(nsx rmt timeout 10 socat -T 5 - TCP:$SRV_PUB:7300 </dev/null 2>&1)
[ "$o" = "pcp-ok" ] || fail "remote -> PCP map: '$o'"
o=$(pcp cl2 10.100.0.3 map tcp 7300 7300 600 $N2 prefer-failure)
grep -qE "^result=11 " <<<"$o" || fail "client 2 PREFER_FAILURE on client 1's port: $o"
o=$(pcp cli 10.100.0.2 map tcp 7300 0 0 $N1)
grep -qE "^result=0 lifetime=0 " <<<"$o" || fail "PCP delete: $o"
upnp_maps | grep -q "^tcp:7300:" && fail "PCP delete left the map"
# The address field must be the sender's (a NAT between client and server changes it).
o=$(nsx cli timeout 10 "$PY_BIN" -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect(("10.100.0.1", 5351))
s.send(struct.pack(">BBHI", 2, 0, 0, 0) + bytes(10) + b"\xff\xff" + socket.inet_aton("10.100.0.9"))
print(s.recv(1100)[3])
' 2>&1)
[ "$o" = 12 ] || fail "PCP with a wrong client address: result '$o', want 12 (ADDRESS_MISMATCH)"
log "ok: PCP ANNOUNCE, MAP create/refresh/delete (remote reaches it), other nonce refused (2), PREFER_FAILURE on a taken port (11), ADDRESS_MISMATCH (12)"
# Over IPv6 (the tunnel's fd00:100::1): ANNOUNCE is answered, a MAP for the client's routed
# address refused with NOT_AUTHORIZED until uwg has an IPv6 firewall to open.
o=$(pcp cli fd00:100::2 announce)
[[ "$o" =~ ^result=0\ lifetime=0\ epoch=[0-9]+$ ]] || fail "PCP ANNOUNCE over IPv6: $o"
o=$(pcp cli fd00:100::2 map tcp 7400 7400 600 $N1)
grep -qE "^result=2 " <<<"$o" || fail "PCP IPv6 MAP: $o"
log "ok: PCP over IPv6: ANNOUNCE answered, MAP for fd00:100::2 refused (2, no IPv6 firewall yet)"

# ---------- restart through the lease file ----------

o=$(pmp cli -a 8050 8050 tcp 600)
grep -q '^Mapped public port 8050 protocol TCP' <<<"$o" || fail "natpmpc -a 8050: $o"
sleep 3
E2=$(epoch_of "$(pmp cli)")
# A listener on the client's port 5350, where the new daemon's announcements go.
bg cli "$T_TMP/ann.out" timeout 60 "$PY_BIN" -u -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5350))
while True:
    d, a = s.recvfrom(100)
    print(a[0], a[1], d.hex(), flush=True)
'
wait_listen cli u 5350 || fail "no announcement listener"
pid=$(nsx srv ss -xlpn | grep -F "/wireguard/$SRV_IF.sock " | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$pid" ] || fail "no daemon PID"
kill -9 "$pid"
wait_gone "$SRV_IF" || fail "the daemon did not go"
uwgx srv up "$SRV_CONF" >"$T_TMP/up-srv2.out" 2>&1 || fail "uwg up after kill -9: $(cat "$T_TMP/up-srv2.out")"
for _ in $(seq 1 50); do
	upnp_maps | grep -q '^tcp:8050:10.100.0.2:8050:' && break
	sleep 0.2
done
upnp_maps | grep -q '^tcp:8050:10.100.0.2:8050:[0-9]*:[^:]*:natpmp:' || fail "after kill -9: $(upnp_maps)"
# The client re-handshakes with the new daemon at once when brought up again.
uwgx cli down "$CLI_CONF" >/dev/null 2>&1
uwgx cli up "$CLI_CONF" >/dev/null 2>&1 || fail "client up again"
ping_ok cli 10.100.0.1 || fail "no tunnel after the restart"
E3=$(epoch_of "$(pmp cli)")
[ -n "$E2" ] && [ -n "$E3" ] && [ "$E3" -ge "$E2" ] || fail "epoch went from $E2 to $E3 across the restore"
log "ok: kill -9 and uwg up: the NAT-PMP map is back, the epoch went on ($E2 -> $E3)"
for _ in $(seq 1 100); do
	grep -q ' 00800000........cb007202$' "$T_TMP/ann.out" && grep -q ' 02800000' "$T_TMP/ann.out" && break
	sleep 0.2
done
grep -q '^10.100.0.1 5351 00800000........cb007202$' "$T_TMP/ann.out" ||
	fail "no NAT-PMP announcement from 10.100.0.1:5351: $(cat "$T_TMP/ann.out")"
grep -q '^10.100.0.1 5351 02800000000000000*' "$T_TMP/ann.out" ||
	fail "no PCP ANNOUNCE from 10.100.0.1:5351: $(cat "$T_TMP/ann.out")"
log "ok: the restarted server announced $SRV_PUB to the client's port 5350 (NAT-PMP and PCP)"

pass
