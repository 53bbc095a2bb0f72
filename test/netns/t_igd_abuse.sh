#!/bin/bash
# test/netns/t_igd_abuse.sh - issue 6 acceptance: malformed SOAP bodies, oversize requests,
# floods of M-SEARCH and of SOAP connections, all through the tunnel, neither crash nor stall
# the uwg daemon or its data path (topology in igd_lib.sh).
#
# Proves: a ping through the tunnel runs during the floods with at most 10 % loss and
# average round trips under 500 ms (0 % and ~1 ms on an idle machine); a mapped port keeps carrying a remote host's traffic afterwards; the daemon is
# the same process; the IGD still answers (external-ip, upnpc -s, a new map); SSDP and HTTP
# from the internet side get nothing. All loads bounded in count and time.
set -u -o pipefail
. "$(dirname "$0")/igd_lib.sh"

igd_up
URL=$(igd_url)
BASE=${URL%/description.xml}
log "IGD at $URL"
srv_pid=$(nsx srv ss -xlpn | grep -F "/wireguard/$SRV_IF.sock " | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$srv_pid" ] || fail "cannot find the server daemon"

o=$(upnpc_in cli -a 10.100.0.2 8043 8043 tcp)
grep -q 'is redirected to internal 10.100.0.2:8043' <<<"$o" || fail "map before the abuse: $o"

# ping_during SECONDS: a ping through the tunnel in the background; sets PING_OUT.
ping_during()
{
	PING_OUT=$T_TMP/ping.$1.$RANDOM
	bg cli "$PING_OUT" timeout $(($1 + 10)) ping -n -q -i 0.1 -W 1 -w "$1" 10.100.0.1
	PING_PID=$BG_PID
}
ping_check()  # what
{
	local loss rtt
	wait "$PING_PID"
	loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$PING_OUT")
	rtt=$(sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p' "$PING_OUT")
	[ -n "$loss" ] || fail "$1: no ping result: $(cat "$PING_OUT")"
	# Bounds with room for a loaded 2-CPU CI machine running sanitizer builds in parallel.
	awk -v l="$loss" 'BEGIN { exit !(l <= 10) }' ||
		fail "$1: ping through the tunnel lost $loss%: $(cat "$PING_OUT")"
	awk -v r="${rtt:-999}" 'BEGIN { exit !(r < 500) }' ||
		fail "$1: ping through the tunnel averaged $rtt ms"
	log "ok: $1: ping through the tunnel meanwhile: $loss% loss, avg $rtt ms"
}
alive() { kill -0 "$srv_pid" 2>/dev/null || fail "the server daemon died ($1)"; }

# ---------- malformed and oversize SOAP ----------

WANIP=urn:schemas-upnp-org:service:WANIPConnection:1
ENV_A='<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
ENV_Z='</s:Body></s:Envelope>'
head -c 3000 /dev/urandom >"$T_TMP/random.bin"
printf '%s<u:AddPortMapping xmlns:u="%s"><NewExternalPort>1</NewExternalPort' "$ENV_A" "$WANIP" >"$T_TMP/truncated.xml"
printf '%s<u:AddPortMapping xmlns:u="%s"><NewExternalPort>99999999999999999999</NewExternalPort><NewProtocol>TCPX</NewProtocol><NewInternalPort>-1</NewInternalPort><NewInternalClient>10.100.0.2</NewInternalClient><NewLeaseDuration>-5</NewLeaseDuration></u:AddPortMapping>%s' "$ENV_A" "$WANIP" "$ENV_Z" >"$T_TMP/badvalues.xml"
printf '%s<u:AddPortMapping xmlns:u="%s"><!DOCTYPE x [<!ENTITY a "aaaa">]><NewX>&a;</NewX></u:AddPortMapping>%s' "$ENV_A" "$WANIP" "$ENV_Z" >"$T_TMP/doctype.xml"
"$PY_BIN" - "$T_TMP" "$WANIP" "$ENV_A" "$ENV_Z" <<'EOF'
import sys
d, ns, a, z = sys.argv[1:5]
open(d + '/deep.xml', 'w').write(a + '<u:AddPortMapping xmlns:u="%s"><NewX>' % ns + '<a>' * 5000 + '</a>' * 5000 + '</NewX></u:AddPortMapping>' + z)
open(d + '/big.xml', 'w').write(a + '<u:AddPortMapping xmlns:u="%s"><NewPortMappingDescription>' % ns + 'A' * 300000 + '</NewPortMappingDescription></u:AddPortMapping>' + z)
open(d + '/manyargs.xml', 'w').write(a + '<u:AddPortMapping xmlns:u="%s">' % ns + '<NewX>1</NewX>' * 500 + '</u:AddPortMapping>' + z)
open(d + '/longname.xml', 'w').write(a + '<u:%s xmlns:u="%s"/>' % ('A' * 5000, ns) + z)
EOF
ping_during 12
for f in random.bin truncated.xml badvalues.xml doctype.xml deep.xml big.xml manyargs.xml longname.xml; do
	code=$(nsx cli curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: text/xml' \
		-H "SOAPAction: \"$WANIP#AddPortMapping\"" --data-binary @"$T_TMP/$f" "$BASE/ctl/IPConn")
	alive "$f"
	[ "$code" = 200 ] && fail "$f answered 200"
	log "  $f -> HTTP $code"
done
# Oversize headers and a request that never ends, by raw socket (bounded).
nsx cli timeout 20 "$PY_BIN" - "${BASE#http://}" <<'EOF'
import socket, sys
host, port = sys.argv[1].split(':')
def raw(data, wait=2):
    s = socket.create_connection((host, int(port)), timeout=wait)
    try:
        s.sendall(data)
        s.recv(4096)
    except (socket.timeout, OSError):
        pass
    s.close()
raw(b'POST /ctl/IPConn HTTP/1.1\r\nHost: x\r\n' + b'X-Junk: ' + b'B' * 200000 + b'\r\n\r\n')
raw(b'POST /ctl/IPConn HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\nContent-Type: text/xml\r\n\r\n<a>')
raw(b'GET /' + b'%' * 60000 + b' HTTP/1.1\r\n\r\n')
raw(b'\x00\xff' * 4000)
# Half-open requests held while the rest goes on.
held = []
for i in range(20):
    s = socket.create_connection((host, int(port)), timeout=2)
    s.sendall(b'POST /ctl/IPConn HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n<a>')
    held.append(s)
EOF
alive "oversize headers"
ping_check "malformed and oversize SOAP"
o=$(soap cli GetExternalIPAddress "")
grep -q "<NewExternalIPAddress>$SRV_PUB</NewExternalIPAddress>" <<<"$o" ||
	fail "the IGD does not answer after malformed requests: $o"
log "ok: malformed/oversize requests refused, the IGD still answers"

# ---------- M-SEARCH floods ----------

ping_during 15
nsx cli timeout 30 "$PY_BIN" - <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
m = (b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\n'
     b'MX: 1\r\nST: ssdp:all\r\n\r\n')
for i in range(3000):
    s.sendto(m, ('239.255.255.250', 1900))
    s.sendto(m, ('10.100.0.1', 1900))
    if i % 500 == 0:
        s.sendto(b'M-SEARCH *' + b'Z' * 1400, ('10.100.0.1', 1900))
EOF
alive "M-SEARCH flood"
ping_check "6000 M-SEARCH through the tunnel"

# From the internet side nothing gets an answer.
o=$(nsx rmt timeout 10 "$PY_BIN" - "$SRV_PUB" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for i in range(200):
    s.sendto(b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\n'
             b'MX: 1\r\nST: ssdp:all\r\n\r\n', (sys.argv[1], 1900))
try:
    print(s.recv(2048).decode(errors='replace').splitlines()[0])
except socket.timeout:
    pass
EOF
)
[ -z "$o" ] || fail "SSDP answered a sender on the internet: $o"
o=$(nsx rmt curl -s -m 3 -o /dev/null -w '%{http_code}' "http://$SRV_PUB:${BASE##*:}/description.xml")
[ "$o" = 000 ] || fail "the IGD's HTTP answered the internet: $o"
log "ok: SSDP and HTTP from the internet side get nothing"

# ---------- SOAP connection flood ----------

ping_during 15
nsx cli timeout 60 "$PY_BIN" - "${BASE#http://}" "$WANIP" <<'EOF'
import socket, sys, threading
host, port = sys.argv[1].split(':')
ns = sys.argv[2]
body = ('<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
        '<s:Body><u:GetExternalIPAddress xmlns:u="%s"/></s:Body></s:Envelope>' % ns).encode()
req = (b'POST /ctl/IPConn HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: text/xml\r\n'
       b'SOAPAction: "%s#GetExternalIPAddress"\r\nContent-Length: %d\r\n\r\n' %
       (host.encode(), port.encode(), ns.encode(), len(body))) + body
def worker():
    for i in range(25):
        try:
            s = socket.create_connection((host, int(port)), timeout=3)
            s.sendall(req)
            s.recv(4096)
            s.close()
        except OSError:
            pass
ts = [threading.Thread(target=worker) for _ in range(40)]
for t in ts: t.start()
for t in ts: t.join()
EOF
alive "SOAP flood"
ping_check "1000 SOAP requests from 40 connections at once"

# ---------- afterwards ----------

sleep 2
o=$(nsx cli timeout 30 external-ip 2>&1)
[ "$o" = "$SRV_PUB" ] || fail "external-ip after the abuse: '$o'"
o=$(upnpc_in cli -s)
grep -q 'Found valid IGD' <<<"$o" || fail "upnpc -s after the abuse: $o"
o=$(upnpc_in cli -a 10.100.0.2 8044 8044 udp 60)
grep -q 'is redirected to internal 10.100.0.2:8044' <<<"$o" || fail "new map after the abuse: $o"
bg cli "$T_TMP/tcp.out" timeout 20 socat -T 5 TCP-LISTEN:8043,reuseaddr SYSTEM:'read l; echo "got $l"'
wait_listen cli t 8043 || fail "socat on the client"
o=$(nsx rmt timeout 10 sh -c "echo still-there | socat -T 5 - TCP:$SRV_PUB:8043" 2>&1)
[ "$o" = "got still-there" ] || fail "the port map does not carry traffic after the abuse: '$o'"
[ "$(nsx srv ss -xlpn | grep -F "/wireguard/$SRV_IF.sock " | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)" = "$srv_pid" ] ||
	fail "the server daemon was replaced"
log "ok: same daemon; external-ip, upnpc -s, a new map and the old one's traffic all work"
pass
