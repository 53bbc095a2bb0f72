#!/bin/bash
# test/netns/t_igd_standalone.sh - uwg's IGD (igd/) against the real miniupnpc tools, curl and
# raw SSDP, in namespaces of its own. igd_standalone (test/tools) runs the IGD with an in-memory
# map table in namespace S on a bridge carrying the "tunnel" address 10.100.0.1/24 (plus
# 10.200.0.1/24, a network that is NOT allowed to use the IGD). Clients: A = 10.100.0.2,
# B = 10.100.0.3, X = 10.200.0.2 (outsider). External address: 203.0.114.1 (not reserved, so
# miniupnpc 2.2.4 accepts the IGD as connected).
#
# Needs: root and the commands of its `need` line. Env: UWG_BUILD_DIR (for
# test/igd_standalone). Every namespace, link and process is this run's own and is removed on
# exit; all waits are bounded.

set -u -o pipefail

T_NAME=t_igd_standalone
log() { printf '[%s] %s\n' "$T_NAME" "$*"; }
FAILS=0
fail() { printf 'FAIL: %s: %s\n' "$T_NAME" "$*"; FAILS=$((FAILS + 1)); }
ok() { log "ok: $*"; }
die() { printf 'FAIL: %s: %s\n' "$T_NAME" "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
TOOL=${UWG_BUILD_DIR:-}/test/igd_standalone
[ -x "$TOOL" ] || die "igd_standalone not built (UWG_BUILD_DIR=${UWG_BUILD_DIR:-unset})"
. "$(dirname "$0")/../../scripts/need.sh"
need curl external-ip ip pgrep python3 socat sysctl upnpc

PFX=ig$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS_S=${PFX}s NS_A=${PFX}a NS_B=${PFX}b NS_X=${PFX}x
BR=${PFX}br
TMP=$(mktemp -d /tmp/${T_NAME}.XXXXXX)
DPID=
CREATED=()

cleanup()
{
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$DPID" 2>/dev/null
	fi
	for ns in "${CREATED[@]}"; do ip netns del "$ns" 2>/dev/null; done
	[ -n "${UWG_TEST_KEEP:-}" ] && log "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ---------- topology ----------

for ns in $NS_S $NS_A $NS_B $NS_X; do
	ip netns add "$ns" || die "netns add $ns"
	CREATED+=("$ns")
	# IPv4 only, like a TUN without IPv6: no tentative link-local addresses to race with
	nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	nsx "$ns" ip link set lo up
done
nsx $NS_S ip link add $BR type bridge mcast_snooping 0
nsx $NS_S ip addr add 10.100.0.1/24 dev $BR
nsx $NS_S ip addr add 10.200.0.1/24 dev $BR
nsx $NS_S ip link set $BR up
nsx $NS_S ip route add 224.0.0.0/4 dev $BR
plug()  # namespace, address/prefix, extra on-link route
{
	local ns=$1 addr=$2 route=$3 peer=${PFX}p${1: -1}
	ip link add "$peer" netns $NS_S type veth peer name "${PFX}${1: -1}" netns "$ns" ||
		die "veth for $ns"
	nsx $NS_S ip link set "$peer" master $BR up
	nsx "$ns" ip addr add "$addr" dev "${PFX}${1: -1}"
	nsx "$ns" ip link set "${PFX}${1: -1}" up
	nsx "$ns" ip route add 224.0.0.0/4 dev "${PFX}${1: -1}"
	[ -n "$route" ] && nsx "$ns" ip route add "$route" dev "${PFX}${1: -1}"
	return 0
}
plug $NS_A 10.100.0.2/24 ""
plug $NS_B 10.100.0.3/24 ""
plug $NS_X 10.200.0.2/24 10.100.0.0/24

# ---------- daemon ----------

OUT=$TMP/igd.out
start_igd()
{
	: >"$OUT"
	# not through a shell function: $! must be the tool itself; -T bounds its life
	ip netns exec $NS_S "$TOOL" -T 200 -i $BR -a 10.100.0.1 -e 203.0.114.1 "$@" >"$OUT" 2>&1 &
	DPID=$!
	for _ in $(seq 100); do
		grep -q '^READY' "$OUT" && break
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^READY' "$OUT" || { cat "$OUT"; die "igd_standalone did not start"; }
	URL=$(sed -n 's/^READY \([^ ]*\).*/\1/p' "$OUT")
	BASE=${URL%/description.xml}
	log "serving $URL ($(sed -n 's/^READY [^ ]* //p' "$OUT"))"
}
stop_igd()
{
	kill -TERM "$DPID"
	local rc=0
	for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	wait "$DPID" || rc=$?
	DPID=
	[ $rc = 0 ] || fail "igd_standalone exit status $rc"
	grep -q '^STOPPED' "$OUT" || fail "igd_standalone did not stop cleanly"
}
alive() { kill -0 "$DPID" 2>/dev/null || die "igd_standalone died: $(tail -5 "$OUT")"; }

# Waits up to $2 tenths of a second for a line matching $1 in the daemon output.
wait_out()
{
	for _ in $(seq "$2"); do
		grep -qE "$1" "$OUT" && return 0
		sleep 0.1
	done
	return 1
}

upnpc_in() { local ns=$1; shift; nsx "$ns" timeout 30 upnpc "$@" 2>&1; }

# SOAP by hand: namespace, service (IPConn|CmnIfCfg|L3F), action, argument XML; prints
# "HTTP <code>" then the body.
soap()
{
	local ns=$1 ctl=$2 action=$3 args=$4 type
	case $ctl in
	IPConn) type=urn:schemas-upnp-org:service:WANIPConnection:1 ;;
	CmnIfCfg) type=urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1 ;;
	L3F) type=urn:schemas-upnp-org:service:Layer3Forwarding:1 ;;
	esac
	printf '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:%s xmlns:u="%s">%s</u:%s></s:Body></s:Envelope>\r\n' \
		"$action" "$type" "$args" "$action" |
		nsx "$ns" curl -s -m 10 -o - -w '\nHTTP %{http_code}\n' \
			-H 'Content-Type: text/xml; charset="utf-8"' \
			-H "SOAPAction: \"$type#$action\"" --data-binary @- "$BASE/ctl/$ctl"
}

# Unicast M-SEARCH from a namespace; prints the replies received within 2 s.
msearch()
{
	nsx "$1" timeout 10 python3 - "$2" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n'
         b'MAN: "ssdp:discover"\r\nMX: 1\r\nST: upnp:rootdevice\r\n\r\n', (sys.argv[1], 1900))
try:
    while True:
        print(s.recv(2048).decode(errors='replace').splitlines()[0])
except socket.timeout:
    pass
EOF
}

log "prefix $PFX"
start_igd -m 3 -r "deny 5000-5999 10.100.0.0/24 1-65535"

# ---------- discovery and status ----------

o=$(nsx $NS_A timeout 30 external-ip 2>&1)
[ "$o" = 203.0.114.1 ] && ok "external-ip" || fail "external-ip printed '$o'"

o=$(upnpc_in $NS_A -s)
if grep -q 'Found valid IGD' <<<"$o" && grep -q 'Status : Connected' <<<"$o" &&
	grep -q 'ExternalIPAddress = 203.0.114.1' <<<"$o" && grep -q 'Local LAN ip address : 10.100.0.2' <<<"$o"; then
	ok "upnpc -s: valid connected IGD"
else
	fail "upnpc -s: $o"
fi

# ---------- adding ----------

o=$(upnpc_in $NS_A -n 10.100.0.2 8043 8043 tcp 300)
grep -qE 'external 203.0.114.1:8043 TCP is redirected to internal 10.100.0.2:8043 \(duration=(300|299)\)' <<<"$o" &&
	ok "upnpc -n (AddAnyPortMapping)" || fail "upnpc -n: $o"
wait_out 'MAP add TCP 8043 -> 10.100.0.2:8043 lease=300' 20 || fail "no MAP add for 8043"

o=$(upnpc_in $NS_A -e "Transmission at 6881" -a 10.100.0.2 6881 6881 udp)
grep -q 'external 203.0.114.1:6881 UDP is redirected to internal 10.100.0.2:6881 (duration=0)' <<<"$o" &&
	ok "upnpc -a UDP, lease 0 = permanent" || fail "upnpc -a: $o"

o=$(upnpc_in $NS_A -l)
if grep -qE "TCP +8043->10.100.0.2:8043 +'libminiupnpc' '' [0-9]+" <<<"$o" &&
	grep -qE "UDP +6881->10.100.0.2:6881 +'Transmission at 6881' '' 0" <<<"$o" &&
	grep -q 'returned 713' <<<"$o"; then
	ok "upnpc -l lists both and ends on 713"
else
	fail "upnpc -l: $o"
fi

o=$(upnpc_in $NS_A -L)
if grep -qE "TCP +8043->10.100.0.2:8043" <<<"$o" && grep -qE "UDP +6881->10.100.0.2:6881" <<<"$o"; then
	ok "upnpc -L (GetListOfPortMappings, CDATA)"
else
	fail "upnpc -L: $o"
fi

# ---------- secure mode, conflicts, policy ----------

o=$(upnpc_in $NS_B -a 10.100.0.2 7000 7000 TCP)
wait_out 'AddPortMapping from 10.100.0.3: 606' 20 && ! grep -q 'MAP add TCP 7000' "$OUT" &&
	ok "B cannot map for A (606)" || fail "B mapping for A: $o"

o=$(upnpc_in $NS_B -a 10.100.0.3 8043 8043 TCP)
wait_out 'AddPortMapping from 10.100.0.3: 718' 20 && ok "B on A's port: 718" || fail "conflict: $o"

o=$(upnpc_in $NS_B -d 8043 TCP)
wait_out 'DeletePortMapping from 10.100.0.3: 606' 20 && ! grep -q 'MAP del TCP 8043' "$OUT" &&
	ok "B cannot delete A's map (606)" || fail "foreign delete: $o"

o=$(upnpc_in $NS_A -a 10.100.0.2 80 80 TCP)
grep -q 'MAP add TCP 80 ' "$OUT" && fail "privileged port mapped: $o" || ok "port 80 refused"

o=$(upnpc_in $NS_A -a 10.100.0.2 5500 5500 TCP)
grep -q 'MAP add TCP 5500 ' "$OUT" && fail "deny rule ignored: $o" || ok "deny rule 5000-5999"

# cap 3: A holds 2, a third works, a fourth does not, updating one at the cap does
upnpc_in $NS_A -a 10.100.0.2 6882 6882 TCP >/dev/null
wait_out 'MAP add TCP 6882' 20 || fail "third map"
o=$(upnpc_in $NS_A -a 10.100.0.2 6883 6883 TCP)
wait_out 'AddPortMapping from 10.100.0.2: 728' 20 && ! grep -q 'MAP add TCP 6883' "$OUT" &&
	ok "per-client cap (728)" || fail "cap: $o"
o=$(upnpc_in $NS_A -a 10.100.0.2 6882 6882 TCP 60)
wait_out 'MAP update TCP 6882 -> 10.100.0.2:6882 lease=60' 20 && ok "update at the cap" ||
	fail "update at cap: $o"

# ---------- lease expiry ----------

o=$(upnpc_in $NS_B -a 10.100.0.3 9000 9000 TCP 5)
wait_out 'MAP add TCP 9000 -> 10.100.0.3:9000 lease=5' 20 || fail "5 s lease not added: $o"
if wait_out 'MAP expire TCP 9000' 90; then
	o=$(upnpc_in $NS_B -l)
	grep -q '9000->' <<<"$o" && fail "expired map still listed" || ok "5 s lease expired"
else
	fail "5 s lease did not expire"
fi

# upnpc -r maps "this host" (the local address of the HTTP connection) with lease 0
o=$(upnpc_in $NS_B -r 6890 TCP)
wait_out "MAP add TCP 6890 -> 10.100.0.3:6890 lease=0 desc='libminiupnpc'" 20 && ok "upnpc -r" ||
	fail "upnpc -r: $o"

# ---------- deleting ----------

o=$(upnpc_in $NS_A -d 8043 tcp)
wait_out 'MAP del TCP 8043' 20 && ok "upnpc -d" || fail "upnpc -d: $o"
o=$(upnpc_in $NS_A -d 8043 tcp)
grep -q '714' <<<"$o" && ok "deleting again: 714" || fail "second delete: $o"
o=$(upnpc_in $NS_A -N 6000 7000 TCP)
wait_out 'MAP del TCP 6882' 20 && ok "upnpc -N (DeletePortMappingRange)" || fail "upnpc -N: $o"
grep -q 'MAP del UDP 6881' "$OUT" && fail "-N TCP deleted the UDP map"

# ---------- SOAP by hand ----------

o=$(soap $NS_A IPConn GetExternalIPAddress "")
grep -q '<NewExternalIPAddress>203.0.114.1</NewExternalIPAddress>' <<<"$o" && grep -q 'HTTP 200' <<<"$o" &&
	ok "GetExternalIPAddress by curl" || fail "curl GetExternalIPAddress: $o"

o=$(soap $NS_A IPConn AddPortMapping "<NewRemoteHost>*</NewRemoteHost><NewExternalPort>abc</NewExternalPort><NewProtocol>TCP</NewProtocol><NewInternalPort>1</NewInternalPort><NewInternalClient>10.100.0.2</NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>x</NewPortMappingDescription><NewLeaseDuration>0</NewLeaseDuration>")
grep -q '<errorCode>402</errorCode>' <<<"$o" && grep -q 'HTTP 500' <<<"$o" && ok "bad port: 402" ||
	fail "bad port: $o"

o=$(soap $NS_A IPConn AddPortMapping "<NewRemoteHost>1.2.3.4</NewRemoteHost><NewExternalPort>7001</NewExternalPort><NewProtocol>tcp</NewProtocol><NewInternalPort>7001</NewInternalPort><NewInternalClient></NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>x</NewPortMappingDescription><NewLeaseDuration>0</NewLeaseDuration>")
grep -q '<errorCode>726</errorCode>' <<<"$o" && ok "specific remote host: 726" || fail "726: $o"

o=$(soap $NS_A IPConn AddPortMapping "<NewRemoteHost></NewRemoteHost><NewExternalPort>0</NewExternalPort><NewProtocol>tcp</NewProtocol><NewInternalPort>7001</NewInternalPort><NewInternalClient>10.100.0.2</NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>x</NewPortMappingDescription><NewLeaseDuration>0</NewLeaseDuration>")
grep -q '<errorCode>716</errorCode>' <<<"$o" && ok "external port 0: 716" || fail "716: $o"

# empty internal client = the requester; long lease clamped; description sanitized
o=$(soap $NS_A IPConn AddPortMapping "<NewRemoteHost/><NewExternalPort>7002</NewExternalPort><NewProtocol>Tcp</NewProtocol><NewInternalPort>7002</NewInternalPort><NewInternalClient></NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>a&lt;b&amp;c&#9;d</NewPortMappingDescription><NewLeaseDuration>9999999</NewLeaseDuration>")
grep -q 'HTTP 200' <<<"$o" && wait_out "MAP add TCP 7002 -> 10.100.0.2:7002 lease=604800 desc='abcd'" 20 &&
	ok "empty client, clamped lease, sanitized description" || fail "AddPortMapping by curl: $o $(tail -3 "$OUT")"

o=$(soap $NS_A IPConn GetGenericPortMappingEntry "<NewPortMappingIndex>99</NewPortMappingIndex>")
grep -q '<errorCode>713</errorCode>' <<<"$o" && ok "generic index past the end: 713" || fail "713: $o"

o=$(soap $NS_A IPConn NoSuchAction "")
grep -q '<errorCode>401</errorCode>' <<<"$o" && ok "unknown action: 401" || fail "401: $o"

o=$(soap $NS_A CmnIfCfg GetTotalBytesSent "")
grep -q '<NewTotalBytesSent>0</NewTotalBytesSent>' <<<"$o" && ok "GetTotalBytesSent" || fail "CIF: $o"

o=$(soap $NS_A L3F GetDefaultConnectionService "")
grep -qE '<NewDefaultConnectionService>uuid:[0-9a-f-]{36}:WANConnectionDevice:1,urn:upnp-org:serviceId:WANIPConn1</NewDefaultConnectionService>' <<<"$o" &&
	ok "GetDefaultConnectionService" || fail "L3F: $o"

o=$(printf '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:QueryStateVariable xmlns:u="urn:schemas-upnp-org:control-1-0"><u:varName>ExternalIPAddress</u:varName></u:QueryStateVariable></s:Body></s:Envelope>' |
	nsx $NS_A curl -s -m 10 -H 'Content-Type: text/xml' \
		-H 'SOAPAction: "urn:schemas-upnp-org:control-1-0#QueryStateVariable"' --data-binary @- "$BASE/ctl/IPConn")
grep -q '203.0.114.1' <<<"$o" && ok "QueryStateVariable" || fail "QueryStateVariable: $o"

o=$(nsx $NS_A curl -s -m 10 "$URL")
grep -q 'urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1' <<<"$o" &&
	grep -q '<controlURL>/ctl/IPConn</controlURL>' <<<"$o" && ok "root description" ||
	fail "description: $o"
o=$(nsx $NS_A curl -s -m 10 -w '\nHTTP %{http_code}\n' "$BASE/scpd/WANIPCn.xml")
grep -q '<name>AddAnyPortMapping</name>' <<<"$o" && grep -q 'HTTP 200' <<<"$o" &&
	ok "SCPD from memory" || fail "SCPD: $o"
o=$(nsx $NS_A curl -s -m 10 -o /dev/null -w '%{http_code}' --data-binary 'x' "$BASE/scpd/WANIPCn.xml")
[ "$o" != 200 ] && ok "POST to the SCPD refused ($o)" || fail "POST to the SCPD accepted"
o=$(nsx $NS_A curl -s -m 10 -o /dev/null -w '%{http_code}' -X SUBSCRIBE \
	-H 'CALLBACK: <http://10.100.0.2:5000/>' -H 'NT: upnp:event' -H 'TIMEOUT: Second-300' "$BASE/evt/IPConn")
[ "$o" != 200 ] && ok "SUBSCRIBE refused ($o)" || fail "SUBSCRIBE accepted"

# ---------- malformed and oversize requests ----------

post_raw()  # body file, soapaction
{
	nsx $NS_A curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: text/xml' \
		-H "SOAPAction: \"$2\"" --data-binary @"$1" "$BASE/ctl/IPConn"
}
WANIP='urn:schemas-upnp-org:service:WANIPConnection:1'
head -c 3000 /dev/urandom >"$TMP/random.bin"
printf '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:AddPortMapping xmlns:u="%s"><NewExternalPort>1</NewExternalPort' "$WANIP" >"$TMP/truncated.xml"
python3 -c "print('<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:AddPortMapping xmlns:u=\"$WANIP\"><NewX>' + '<a>' * 1000 + '</a>' * 1000 + '</NewX></u:AddPortMapping></s:Body></s:Envelope>')" >"$TMP/deep.xml"
python3 -c "print('<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:AddPortMapping xmlns:u=\"$WANIP\"><NewPortMappingDescription>' + 'A' * 200000 + '</NewPortMappingDescription></u:AddPortMapping></s:Body></s:Envelope>')" >"$TMP/big.xml"
python3 -c "print('<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body><u:AddPortMapping xmlns:u=\"$WANIP\">' + '<NewX>1</NewX>' * 40 + '</u:AddPortMapping></s:Body></s:Envelope>')" >"$TMP/manyargs.xml"
for f in random.bin truncated.xml deep.xml big.xml manyargs.xml; do
	code=$(post_raw "$TMP/$f" "$WANIP#AddPortMapping")
	alive
	[ "$code" = 200 ] && fail "$f answered 200"
	log "  $f -> HTTP $code"
done
o=$(soap $NS_A IPConn GetExternalIPAddress "")
grep -q '203.0.114.1' <<<"$o" && ok "still answering after malformed/oversize requests" ||
	fail "not answering after malformed requests: $o"

# ---------- who may talk to the IGD ----------

o=$(msearch $NS_A 10.100.0.1)
grep -q 'HTTP/1.1 200 OK' <<<"$o" && ok "unicast M-SEARCH from the tunnel answered" ||
	fail "M-SEARCH from A not answered: $o"
o=$(msearch $NS_X 10.100.0.1)
[ -z "$o" ] && ok "M-SEARCH from outside the CIDR dropped" || fail "outsider got SSDP replies: $o"
o=$(nsx $NS_X curl -s -m 3 -o /dev/null -w '%{http_code}' "$URL")
[ "$o" = 000 ] && ok "HTTP from outside the CIDR dropped" || fail "outsider HTTP: $o"

# ---------- SSDP flood ----------

nsx $NS_A timeout 60 python3 - <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
msg = (b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\n'
       b'MX: 1\r\nST: ssdp:all\r\n\r\n')
for i in range(2000):
    s.sendto(msg, ('239.255.255.250', 1900))
EOF
nsx $NS_X timeout 30 python3 - <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(2000):
    s.sendto(b'M-SEARCH * HTTP/1.1\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n',
             ('10.100.0.1', 1900))
EOF
alive
sleep 2
o=$(upnpc_in $NS_B -s)
grep -q 'Found valid IGD' <<<"$o" && ok "discovery works after 2x2000 M-SEARCH" ||
	fail "after the flood: $o"

stop_igd
# (pupnp itself prints "too many jobs" without a newline while shedding the flood)
grep -q 'STATS' "$OUT" && log "  $(grep -o 'STATS.*' "$OUT")"

# ---------- without the socket filter: the SOAP layer refuses outsiders itself ----------

start_igd -F
o=$(soap $NS_X IPConn GetExternalIPAddress "")
grep -q '<errorCode>606</errorCode>' <<<"$o" && ok "outsider SOAP without the filter: 606" ||
	fail "outsider SOAP without filter: $o"
stop_igd
grep -qE 'STATS .*refused_source=[1-9]' "$OUT" && ok "refused_source counted" || fail "stats: $(grep STATS "$OUT")"

# ---------- the request guard in front of every handler ----------

start_igd
HOSTPORT=${BASE#http://}
# CVE-2020-13848: this SUBSCRIBE renewal made pupnp 1.8.4 call strlen(NULL)
o=$(printf 'SUBSCRIBE http://%s HTTP/1.1\r\nHOST: %s\r\nSID: uuid:00000000-0000-0000-0000-000000000000\r\n\r\n' \
	"$HOSTPORT" "$HOSTPORT" | nsx $NS_A timeout 10 socat -t 5 - "TCP:$HOSTPORT" 2>&1)
grep -q '^HTTP/1.1 405' <<<"$o" && ok "the CVE-2020-13848 SUBSCRIBE: 405" || fail "SUBSCRIBE: $o"
alive
# DNS rebinding: a page served from attacker.example resolving to the IGD sends that name
o=$(nsx $NS_A curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Host: attacker.example' "$URL")
[ "$o" = 400 ] && ok "a host name in Host: 400" || fail "rebinding GET: $o"
o=$(printf '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:AddPortMapping xmlns:u="urn:schemas-upnp-org:service:WANIPConnection:1"><NewRemoteHost></NewRemoteHost><NewExternalPort>7200</NewExternalPort><NewProtocol>TCP</NewProtocol><NewInternalPort>7200</NewInternalPort><NewInternalClient>10.100.0.2</NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>x</NewPortMappingDescription><NewLeaseDuration>0</NewLeaseDuration></u:AddPortMapping></s:Body></s:Envelope>' |
	nsx $NS_A curl -s -m 10 -o /dev/null -w '%{http_code}' -H 'Host: attacker.example:80' -H 'Content-Type: text/xml' \
		-H 'SOAPAction: "urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping"' --data-binary @- "$BASE/ctl/IPConn")
[ "$o" = 400 ] && ! grep -q 'MAP add TCP 7200' "$OUT" && ok "rebinding AddPortMapping: 400, no map" ||
	fail "rebinding AddPortMapping: $o $(grep 'MAP add TCP 7200' "$OUT")"
for req in 'GET /description.xml HTTP/1.1\r\n\r\n' \
	'GET /description.xml HTTP/1.1\r\nHost: 10.100.0.1\r\nHost: 10.100.0.1\r\n\r\n' \
	'POST /ctl/IPConn HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' \
	'POST /ctl/IPConn HTTP/1.1\r\nHost: %s\r\n\r\n' \
	'GET /description.xml HTTP/1.1\r\nHost: %s\r\n folded: yes\r\n\r\n' \
	'NOTIFY * HTTP/1.1\r\nHost: %s\r\n\r\n' 'GET / HTTP/2.0\r\nHost: %s\r\n\r\n'; do
	# shellcheck disable=SC2059
	o=$(printf "$req" "$HOSTPORT" | nsx $NS_A timeout 10 socat -t 5 - "TCP:$HOSTPORT" 2>&1 | head -1)
	grep -qE '^HTTP/1.1 (400|405|411|501|505) ' <<<"$o" || fail "malformed request answered: $req -> $o"
done
alive
ok "malformed requests refused with 4xx/5xx"
# a client that never finishes its request is cut off (5 s), without holding others up
nsx $NS_A timeout 20 python3 - "${HOSTPORT%:*}" "${HOSTPORT#*:}" <<'EOF2' || fail "slow client not cut off"
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.sendall(b'GET /description.xml HTTP/1.1\r\nHost: x')
t = time.time()
s.settimeout(15)
assert s.recv(100) == b'', 'expected a close'
assert 4 <= time.time() - t <= 12, time.time() - t
EOF2
ok "an unfinished request is closed after its deadline"

# ---------- the SSDP child dies: discovery comes back, maps and HTTP never notice ----------

o=$(upnpc_in $NS_A -u "$URL" -a 10.100.0.2 7300 7300 TCP)
wait_out 'MAP add TCP 7300' 50 || fail "map before the crash: $o"
child=$(pgrep -P "$DPID" | head -1)
[ -n "$child" ] || fail "no SSDP child process"
[ "$(stat -c %u /proc/"$child")" != 0 ] && ok "the SSDP child runs as uid $(stat -c %u /proc/"$child")" ||
	fail "the SSDP child runs as root"
kill -SEGV "$child"
o=$(soap $NS_B IPConn GetExternalIPAddress "")
grep -q '203.0.114.1' <<<"$o" && ok "HTTP answers while discovery restarts" || fail "after the crash: $o"
for _ in $(seq 50); do
	c2=$(pgrep -P "$DPID" | head -1)
	[ -n "$c2" ] && [ "$c2" != "$child" ] && break
	sleep 0.1
done
[ -n "$c2" ] && [ "$c2" != "$child" ] || fail "the SSDP child was not restarted"
sleep 1
o=$(upnpc_in $NS_A -l)
grep -q '7300->10.100.0.2:7300' <<<"$o" && ok "rediscovered after the crash; the map is still there" ||
	fail "after the SSDP crash: $o"
grep -q 'SSDP child exited' "$OUT" && ok "the crash is logged" || fail "crash not logged"
stop_igd
grep -qE 'STATS .*timeouts=[1-9].*refused_host=[1-9].*ssdp_crashes=1' "$OUT" ||
	fail "guard counters: $(grep STATS "$OUT")"

if [ $FAILS = 0 ]; then
	echo "PASS: $T_NAME"
	exit 0
fi
echo "FAIL: $T_NAME ($FAILS checks failed)"
exit 1
