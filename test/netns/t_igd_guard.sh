#!/bin/bash
# test/netns/t_igd_guard.sh - issue 11: nothing a VPN client or the internet sends to the
# embedded IGD can take the server down or reach pupnp (topology in igd_lib.sh).
#
# Proves, through a real uwg tunnel:
#  - the CVE-2020-13848 SUBSCRIBE (which crashed pupnp 1.8.4 and with it the whole server),
#    a DNS-rebinding AddPortMapping (Host: a name) and a set of malformed requests are
#    refused while a ping through the tunnel keeps going (no loss allowed beyond a loaded
#    machine's noise), the daemon is the same process and no map was created;
#  - a crash of the SSDP child (SIGSEGV, as a pupnp bug would cause) costs nothing but a
#    moment of discovery: same daemon, tunnel up, maps intact, discovery back;
#  - an M-SEARCH from the internet side with a spoofed tunnel source address, arriving on
#    the external interface with rp_filter off, gets no answer into the tunnel, while the
#    same M-SEARCH from a real client does (so the capture is shown to work).
set -u -o pipefail
. "$(dirname "$0")/igd_lib.sh"
need pgrep tcpdump

igd_up
URL=$(igd_url)
HOSTPORT=${URL#http://}
HOSTPORT=${HOSTPORT%%/*}
log "IGD at $URL"
srv_pid=$(nsx srv ss -xlpn | grep -F "/wireguard/$SRV_IF.sock " | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$srv_pid" ] || fail "cannot find the server daemon"
alive() { kill -0 "$srv_pid" 2>/dev/null || fail "the server daemon died ($1)"; }

PING_OUT=$T_TMP/ping.out
bg cli "$PING_OUT" timeout 40 ping -n -q -i 0.1 -W 1 -w 20 10.100.0.1
PING_PID=$BG_PID
sleep 1

# raw REQUEST: sends printf-formatted REQUEST (%s = host:port) from the client, prints the status line.
raw()
{
	# shellcheck disable=SC2059
	printf "$1" "$HOSTPORT" "$HOSTPORT" | nsx cli timeout 10 socat -t 5 - "TCP:$HOSTPORT" 2>/dev/null | head -1 | tr -d '\r'
}

o=$(raw 'SUBSCRIBE http://%s HTTP/1.1\r\nHOST: %s\r\nSID: uuid:00000000-0000-0000-0000-000000000000\r\n\r\n')
[ "$o" = "HTTP/1.1 405 Method Not Allowed" ] || fail "the CVE-2020-13848 SUBSCRIBE: '$o'"
alive "SUBSCRIBE"
log "ok: the CVE-2020-13848 SUBSCRIBE is refused: $o"

WANIP=urn:schemas-upnp-org:service:WANIPConnection:1
ADD="<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:AddPortMapping xmlns:u=\"$WANIP\"><NewRemoteHost></NewRemoteHost><NewExternalPort>8044</NewExternalPort><NewProtocol>TCP</NewProtocol><NewInternalPort>8044</NewInternalPort><NewInternalClient>10.100.0.2</NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>rebind</NewPortMappingDescription><NewLeaseDuration>0</NewLeaseDuration></u:AddPortMapping></s:Body></s:Envelope>"
for host in attacker.example "attacker.example:${HOSTPORT#*:}" "10.100.0.1.nip.io" "0x0a.100.0.1"; do
	o=$(printf '%s' "$ADD" | nsx cli curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Host: $host" \
		-H 'Content-Type: text/xml' -H "SOAPAction: \"$WANIP#AddPortMapping\"" --data-binary @- "${URL%/description.xml}/ctl/IPConn")
	[ "$o" = 400 ] || fail "DNS rebinding with Host: $host got HTTP $o"
done
log "ok: AddPortMapping with a name in Host (DNS rebinding): 400"

for req in 'GET /description.xml HTTP/1.1\r\n\r\n' \
	'UNSUBSCRIBE /evt/IPConn HTTP/1.1\r\nHost: %s\r\nSID: uuid:x\r\n\r\n' \
	'SUBSCRIBE /evt/IPConn HTTP/1.1\r\nHost: %s\r\nCALLBACK: <http://10.100.0.2:1/>\r\nNT: upnp:event\r\n\r\n' \
	'POST /ctl/IPConn HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n' \
	'POST /ctl/IPConn HTTP/1.1\r\nHost: %s\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello' \
	'POST /ctl/IPConn HTTP/1.1\r\nHost: %s\r\nContent-Length: 99999999999999999999\r\n\r\n' \
	'GET /description.xml HTTP/1.1\r\nHost: %s\r\n Folded: x\r\n\r\n' \
	'GET /description.xml HTTP/9.9\r\nHost: %s\r\n\r\n' \
	'GET http://%s/description.xml HTTP/1.1\r\n\r\n' \
	'\x00\x01\x02\x03 / HTTP/1.1\r\n\r\n' 'M-POST /ctl/IPConn HTTP/1.1\r\nHost: %s\r\n\r\n'; do
	o=$(raw "$req")
	grep -qE '^HTTP/1.1 (400|405|411|413|501|505) ' <<<"$o" || fail "malformed request not refused: '$req' -> '$o'"
done
alive "malformed requests"
log "ok: malformed requests refused with 4xx/5xx"

o=$(upnp_maps)
[ -z "$o" ] || fail "a map was created: $o"
wait "$PING_PID"
loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$PING_OUT")
[ -n "$loss" ] || fail "no ping result: $(cat "$PING_OUT")"
# 200 pings; on an idle machine 0 are lost. Room for a loaded 2-CPU sanitizer run only.
awk -v l="$loss" 'BEGIN { exit !(l <= 2) }' || fail "the tunnel was interrupted: $loss% ping loss"
log "ok: the tunnel stayed up meanwhile ($loss% ping loss), no map created, same daemon"

# ---------- the SSDP child crashes ----------

o=$(upnpc_in cli -a 10.100.0.2 8043 8043 tcp)
grep -q 'is redirected to internal 10.100.0.2:8043' <<<"$o" || fail "map: $o"
# the daemon's children: the SSDP child and uwg-monitor (privilege separation)
ssdp_child() { for p in $(pgrep -P "$srv_pid"); do grep -qx uwg-monitor "/proc/$p/comm" || echo "$p"; done | head -1; }
child=$(ssdp_child)
[ -n "$child" ] || fail "no SSDP child under the daemon"
[ "$(stat -c %u /proc/"$child")" != 0 ] || fail "the SSDP child runs as root"
kill -SEGV "$child"
ping_ok cli 10.100.0.1 || fail "tunnel down after the SSDP child crashed"
wait_log 'SSDP child exited' 10 || fail "the crash was not logged"
alive "SSDP child crash"
for _ in $(seq 1 50); do
	c2=$(ssdp_child)
	[ -n "$c2" ] && [ "$c2" != "$child" ] && break
	sleep 0.2
done
[ -n "$c2" ] && [ "$c2" != "$child" ] || fail "the SSDP child was not restarted"
sleep 1
o=$(upnpc_in cli -l)
grep -q '8043->10.100.0.2:8043' <<<"$o" || fail "after the SSDP crash, discovery or the map is gone: $o"
log "ok: SSDP child (uid $(stat -c %u /proc/"$c2")) crashed and restarted; same daemon, map kept"

# ---------- a spoofed M-SEARCH from the internet ----------

for ns in rtr srv; do
	for k in all default; do nsx $ns sysctl -qw net.ipv4.conf.$k.rp_filter=0; done
done
nsx srv sysctl -qw net.ipv4.conf.v-rtr.rp_filter=0
CAP_TUN=$T_TMP/tun.pcap CAP_EXT=$T_TMP/ext.pcap
bg srv "$T_TMP/tcpdump-tun.err" timeout 60 tcpdump -U -n -i "$SRV_IF" -w "$CAP_TUN" 'udp and src host 10.100.0.1'
TUN_DUMP=$BG_PID
bg srv "$T_TMP/tcpdump-ext.err" timeout 60 tcpdump -U -n -i v-rtr -w "$CAP_EXT" 'udp and dst port 1900'
EXT_DUMP=$BG_PID
for _ in $(seq 1 50); do
	grep -q listening "$T_TMP/tcpdump-tun.err" && grep -q listening "$T_TMP/tcpdump-ext.err" && break
	sleep 0.1
done
nsx rmt timeout 10 "$PY_BIN" - 10.100.0.2 "$SRV_PUB" <<'EOF' || fail "could not send the spoofed datagrams"
import socket, struct, sys
src, dst = sys.argv[1], sys.argv[2]
m = b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n'
udp = struct.pack('!HHHH', 40000, 1900, 8 + len(m), 0) + m
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                 socket.inet_aton(src), socket.inet_aton(dst))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for i in range(20):
    s.sendto(ip + udp, (dst, 0))
EOF
sleep 3
# the control: a real client's M-SEARCH through the tunnel is answered, into the tunnel
nsx cli timeout 10 "$PY_BIN" - <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\n'
         b'ST: upnp:rootdevice\r\n\r\n', ('10.100.0.1', 1900))
print(s.recv(2048).decode(errors='replace').splitlines()[0])
EOF
sleep 1
kill "$TUN_DUMP" "$EXT_DUMP" 2>/dev/null
wait "$TUN_DUMP" "$EXT_DUMP" 2>/dev/null
spoofed=$(tcpdump -n -r "$CAP_EXT" 2>/dev/null | grep -c '10.100.0.2.40000 > ')
# (pupnp answers from a fresh socket, not from port 1900)
answers=$(tcpdump -n -r "$CAP_TUN" 2>/dev/null | grep -c 'IP 10.100.0.1.[0-9]* > 10.100.0.2.[0-9]*: UDP')
to_victim=$(tcpdump -n -r "$CAP_TUN" 2>/dev/null | grep -c '> 10.100.0.2.40000: ')
[ "$spoofed" -ge 20 ] || fail "the spoofed M-SEARCH did not reach the server ($spoofed of 20)"
[ "$to_victim" = 0 ] || fail "the spoofed M-SEARCH was answered into the tunnel: $to_victim datagrams"
[ "$answers" -ge 1 ] || fail "the control M-SEARCH from the client was not answered (capture broken?)"
log "ok: $spoofed spoofed M-SEARCH from the internet: 0 answers into the tunnel ($answers for the real client)"
alive "end"
pass
