#!/bin/bash
# test/netns/t_igd_ipv6.sh - uwg's IGD over IPv6 against the real miniupnpc tools (upnpc -6),
# raw SSDP and curl, and PCP over IPv6, in namespaces of its own: igd_standalone (test/tools)
# runs the IGD with its in-memory map and pinhole table in namespace S on a bridge carrying
# 10.100.0.1/24 and fd00:100::1/64 (the "tunnel" addresses; also 10.200.0.1/24 and
# fd00:200::1/64, networks NOT allowed to use the IGD). Clients: A = 10.100.0.2 / fd00:100::2,
# B = 10.100.0.3 / fd00:100::3, X = 10.200.0.2 / fd00:200::2 (outsider). Checked: discovery
# through ff05::c (answered from fd00:100::1 with LOCATION on it, the IGD:1 tree for upnpc's
# version 1 search, IGD:2 for Syncthing's), nothing for ff02::c from a link-local source or for
# the outsider, IPv4 exactly as before, the descriptions and the Host check over IPv6,
# AddPinhole / UpdatePinhole / CheckPinholeWorking / GetPinholePackets / DeletePinhole by upnpc
# -6 with secure mode and ownership, port maps refused over IPv6 and pinholes over IPv4, PCP MAP
# over IPv6 as a pinhole with its nonce, the firewall off, and the SSDP child restarting.
#
# Needs: root and the commands of its `need` line. Env: UWG_BUILD_DIR (for
# test/igd_standalone). Every namespace, link and process is this run's own and is removed on
# exit; all waits are bounded.

set -u -o pipefail

T_NAME=t_igd_ipv6
log() { printf '[%s] %s\n' "$T_NAME" "$*"; }
FAILS=0
fail() { printf 'FAIL: %s: %s\n' "$T_NAME" "$*"; FAILS=$((FAILS + 1)); }
ok() { log "ok: $*"; }
die() { printf 'FAIL: %s: %s\n' "$T_NAME" "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root"
TOOL=${UWG_BUILD_DIR:-}/test/igd_standalone
[ -x "$TOOL" ] || die "igd_standalone not built (UWG_BUILD_DIR=${UWG_BUILD_DIR:-unset})"
SRC=${UWG_SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/scripts/need.sh"
need curl ip pgrep python3 sysctl upnpc

PFX=i6$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
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

# ---------- topology (no route out of any namespace) ----------

for ns in $NS_S $NS_A $NS_B $NS_X; do
	ip netns add "$ns" || die "netns add $ns"
	CREATED+=("$ns")
	# addresses usable at once: a tentative one makes binds fail
	nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	nsx "$ns" ip link set lo up
done
nsx $NS_S ip link add $BR type bridge mcast_snooping 0
nsx $NS_S ip addr add 10.100.0.1/24 dev $BR
nsx $NS_S ip addr add 10.200.0.1/24 dev $BR
nsx $NS_S ip addr add fd00:100::1/64 dev $BR nodad
nsx $NS_S ip addr add fd00:200::1/64 dev $BR nodad
nsx $NS_S ip link set $BR up
nsx $NS_S ip route add 224.0.0.0/4 dev $BR
plug()  # namespace, IPv4/prefix, IPv6/prefix
{
	local ns=$1 peer=${PFX}p${1: -1} dev=${PFX}${1: -1}
	ip link add "$peer" netns $NS_S type veth peer name "$dev" netns "$ns" || die "veth for $ns"
	nsx $NS_S ip link set "$peer" master $BR up
	nsx "$ns" ip addr add "$2" dev "$dev"
	nsx "$ns" ip addr add "$3" dev "$dev" nodad
	nsx "$ns" ip link set "$dev" up
	nsx "$ns" ip route add 224.0.0.0/4 dev "$dev"
}
plug $NS_A 10.100.0.2/24 fd00:100::2/64
plug $NS_B 10.100.0.3/24 fd00:100::3/64
plug $NS_X 10.200.0.2/24 fd00:200::2/64
# the outsider can route to the tunnel prefixes (as a spoofer on the bridge could)
nsx $NS_X ip route add 10.100.0.0/24 dev ${PFX}x
nsx $NS_X ip -6 route add fd00:100::/64 dev ${PFX}x

# ---------- daemon ----------

OUT=$TMP/igd.out
start_igd()
{
	: >"$OUT"
	# not through a shell function: $! must be the tool itself; -T bounds its life
	ip netns exec $NS_S "$TOOL" -T 200 -i $BR -a 10.100.0.1 -6 fd00:100::1 -e 203.0.114.1 -K \
		"$@" >"$OUT" 2>&1 &
	DPID=$!
	for _ in $(seq 100); do
		grep -q '^READY' "$OUT" && break
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^READY' "$OUT" || { cat "$OUT"; die "igd_standalone did not start"; }
	URL=$(sed -n 's/^READY \([^ ]*\).*/\1/p' "$OUT")
	URL6=$(sed -n 's/^READY .* url6=\([^ ]*\).*/\1/p' "$OUT")
	BASE6=${URL6%/description6.xml}
	PORT=${BASE6##*:}
	log "serving $URL and $URL6 ($(sed -n 's/^READY [^ ]* //p' "$OUT"))"
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

wait_out()
{
	for _ in $(seq "$2"); do
		grep -qE "$1" "$OUT" && return 0
		sleep 0.1
	done
	return 1
}

upnpc_in() { local ns=$1; shift; nsx "$ns" timeout 40 upnpc "$@" 2>&1; }

# SOAP over HTTP: namespace, base URL, service path, service type, action, argument XML.
soap()
{
	printf '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:%s xmlns:u="%s">%s</u:%s></s:Body></s:Envelope>\r\n' \
		"$5" "$4" "$6" "$5" |
		nsx "$1" curl -s -m 10 -o - -w '\nHTTP %{http_code}\n' -H 'Content-Type: text/xml' \
			-H "SOAPAction: \"$4#$5\"" --data-binary @- "$2/ctl/$3"
}
FC=urn:schemas-upnp-org:service:WANIPv6FirewallControl:1

# search NS GROUP ST: an M-SEARCH to [GROUP]:1900 from NS; prints "from SOURCE" and the
# ST and LOCATION of every reply within 2 s.
search()
{
	nsx "$1" timeout 10 python3 - "$2" "$3" "${PFX}${1: -1}" <<'EOF'
import socket, sys
group, st, dev = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(('M-SEARCH * HTTP/1.1\r\nHOST: [%s]:1900\r\nST: %s\r\nMAN: "ssdp:discover"\r\n'
          'MX: 1\r\n\r\n' % (group.upper(), st)).encode(), (group, 1900, 0, socket.if_nametoindex(dev)))
try:
    while True:
        data, src = s.recvfrom(2048)
        print('from', src[0])
        for line in data.decode(errors='replace').split('\r\n'):
            if line.upper().startswith(('ST:', 'LOCATION:', 'USN:')):
                print(' ', line)
except socket.timeout:
    pass
EOF
}

pcp() { nsx "$1" timeout 20 python3 "$SRC/test/tools/pcp_client.py" fd00:100::1 "${@:2}"; }

log "prefix $PFX"
start_igd
grep -qE '^READY .* url6=http://\[fd00:100::1\]:[0-9]+/description6.xml ssdp6=1' "$OUT" &&
	ok "serving IPv4 and IPv6, the SSDP child answers IPv6" || fail "READY: $(head -1 "$OUT")"

# ---------- IPv4 exactly as before ----------

o=$(upnpc_in $NS_A -s)
grep -q 'Found valid IGD : http://10.100.0.1:' <<<"$o" && grep -q 'ExternalIPAddress = 203.0.114.1' <<<"$o" &&
	ok "upnpc -s over IPv4 unchanged" || fail "upnpc -s: $o"
o=$(nsx $NS_A curl -s -m 10 "$URL")
grep -q 'InternetGatewayDevice:1' <<<"$o" && ! grep -q 'WANIPv6FirewallControl' <<<"$o" &&
	ok "the IPv4 description is the IGD:1 tree without the firewall" || fail "IPv4 description: $o"

# ---------- IPv6 discovery ----------

o=$(upnpc_in $NS_A -6 -S)
if grep -q "desc: http://\[fd00:100::1\]:$PORT/description6v1.xml" <<<"$o" &&
	grep -q 'st: urn:schemas-upnp-org:device:InternetGatewayDevice:1' <<<"$o" &&
	grep -q "Found valid IGD : http://\[fd00:100::1\]:$PORT/ctl/IPConn" <<<"$o" &&
	grep -q 'Local LAN ip address : fd00:100::2' <<<"$o" &&
	grep -q 'Firewall Enabled: Yes' <<<"$o" && grep -q 'Inbound Pinhole Allowed: Yes' <<<"$o"; then
	ok "upnpc -6 -S: found through ff05::c, valid IGD, firewall status"
else
	fail "upnpc -6 -S: $o"
fi
o=$(search $NS_A ff05::c urn:schemas-upnp-org:device:InternetGatewayDevice:2)
if grep -q '^from fd00:100::1$' <<<"$o" &&
	grep -q 'ST: urn:schemas-upnp-org:device:InternetGatewayDevice:2' <<<"$o" &&
	grep -q "LOCATION: http://\[fd00:100::1\]:$PORT/description6.xml" <<<"$o"; then
	ok "Syncthing's search (IGD:2 to ff05::c): answered from fd00:100::1 with the IGD:2 tree"
else
	fail "IGD:2 search: $o"
fi
o=$(search $NS_A ff05::c ssdp:all)
[ "$(grep -c '^from fd00:100::1$' <<<"$o")" = 11 ] && ok "ssdp:all: 11 replies" || fail "ssdp:all: $o"
o=$(search $NS_A ff02::c ssdp:all)
[ -z "$o" ] && ok "ff02::c from a link-local source: no answer" || fail "ff02::c answered: $o"
o=$(search $NS_X ff05::c ssdp:all)
[ -z "$o" ] && ok "the outsider's search: no answer" || fail "outsider answered: $o"

# ---------- descriptions and the Host check over IPv6 ----------

o=$(nsx $NS_A curl -s -m 10 "$URL6")
if grep -q 'urn:schemas-upnp-org:device:InternetGatewayDevice:2' <<<"$o" &&
	grep -q 'urn:schemas-upnp-org:device:WANConnectionDevice:2' <<<"$o" &&
	grep -q 'urn:schemas-upnp-org:service:WANIPv6FirewallControl:1' <<<"$o"; then
	ok "the IPv6 description: IGD:2 > WANDevice:2 > WANConnectionDevice:2 > WANIPv6FirewallControl:1"
else
	fail "IPv6 description: $o"
fi
o=$(nsx $NS_A curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Host: rebind.example:$PORT" "$URL6")
[ "$o" = 400 ] && ok "a host name in Host over IPv6: 400" || fail "rebinding over IPv6: $o"
o=$(nsx $NS_A curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Host: 10.100.0.1:$PORT" "$URL6")
[ "$o" = 400 ] && ok "the IPv4 literal over IPv6: 400" || fail "IPv4 Host over IPv6: $o"
o=$(nsx $NS_X curl -s -m 3 -o /dev/null -w '%{http_code}' "$URL6")
[ "$o" = 000 ] && ok "the outsider's connection over IPv6 is dropped" || fail "outsider HTTP over IPv6: $o"

# ---------- pinholes by upnpc -6 ----------

o=$(upnpc_in $NS_A -6 -A empty 0 fd00:100::2 8080 tcp 3600)
ID=$(sed -n 's/.*Pinhole ID = \([0-9]*\).*/\1/p' <<<"$o")
[ -n "$ID" ] && wait_out "PINHOLE add id=$ID TCP \[fd00:100::2\]:8080 from \[::\]:0 lease=3600 desc='IGD2 pinhole'" 20 &&
	ok "upnpc -6 -A: pinhole $ID" || fail "upnpc -6 -A: $o"
o=$(upnpc_in $NS_A -6 -A empty 0 @ 8080 tcp 600)
grep -q "Pinhole ID = $ID\$" <<<"$o" && ok "the same five again: the same UniqueID" || fail "duplicate: $o"
o=$(upnpc_in $NS_A -6 -A empty 0 fd00:100::3 8080 tcp 3600)
grep -q 'failed with code 606' <<<"$o" && ok "a pinhole for another client: 606" || fail "secure mode: $o"
o=$(upnpc_in $NS_A -6 -A empty 0 fd00:100::2 80 tcp 3600)
grep -q 'failed with code 606' <<<"$o" && ok "a privileged port: 606" || fail "port 80: $o"
o=$(upnpc_in $NS_A -6 -A empty 0 fd00:100::2 8081 tcp 86401)
grep -q 'failed with code 402' <<<"$o" && ok "lease 86401: 402" || fail "lease bound: $o"
o=$(upnpc_in $NS_B -6 -D "$ID")
grep -q 'UPNP_DeletePinhole() returned : 606' <<<"$o" && ! grep -q "PINHOLE del id=$ID" "$OUT" &&
	ok "B cannot delete A's pinhole (606)" || fail "foreign delete: $o"
o=$(upnpc_in $NS_A -6 -U "$ID" 7200)
grep -q 'failed with code 709' <<<"$o" && wait_out "PINHOLE update id=$ID .* lease=7200" 20 &&
	ok "upnpc -6 -U: 709 (no traffic yet), then UpdatePinhole" || fail "upnpc -6 -U: $o"
o=$(upnpc_in $NS_A -6 -K "$ID")
grep -q "PinholePackets = 0" <<<"$o" && ok "upnpc -6 -K" || fail "upnpc -6 -K: $o"
o=$(upnpc_in $NS_A -6 -D "$ID")
grep -q 'UPNP_DeletePinhole() returned : 0' <<<"$o" && wait_out "PINHOLE del id=$ID" 20 &&
	ok "upnpc -6 -D" || fail "upnpc -6 -D: $o"
o=$(upnpc_in $NS_A -6 -D "$ID")
grep -q 'UPNP_DeletePinhole() returned : 704' <<<"$o" && ok "deleted again: 704" || fail "again: $o"

# ---------- each family its own actions ----------

o=$(upnpc_in $NS_A -6 -a fd00:100::2 8080 8080 tcp)
grep -q 'failed with code 606' <<<"$o" && ! grep -q '^MAP add' "$OUT" &&
	ok "a port map over IPv6: 606" || fail "port map over IPv6: $o"
o=$(soap $NS_A "${URL%/description.xml}" IP6FCtl $FC AddPinhole \
	'<RemoteHost></RemoteHost><RemotePort>0</RemotePort><Protocol>6</Protocol><InternalPort>8080</InternalPort><InternalClient>fd00:100::2</InternalClient><LeaseTime>60</LeaseTime>')
grep -q '<errorCode>606</errorCode>' <<<"$o" && ok "a pinhole over IPv4: 606" || fail "pinhole over IPv4: $o"

# ---------- PCP over IPv6 ----------

o=$(pcp $NS_A fd00:100::2 map tcp 9000 9000 600 0102030405060708090a0b0c)
grep -q '^result=0 lifetime=600 .* ext=fd00:100::2:9000$' <<<"$o" &&
	wait_out "PINHOLE add id=[0-9]+ TCP \[fd00:100::2\]:9000 .*desc='PCP MAP 0102030405060708090a0b0c'" 20 &&
	ok "PCP MAP over IPv6: a pinhole, external = internal" || fail "PCP MAP: $o"
o=$(pcp $NS_A fd00:100::2 map tcp 9000 9000 600 ffffffffffffffffffffffff)
grep -q '^result=2 ' <<<"$o" && ok "another nonce: NOT_AUTHORIZED" || fail "nonce: $o"
o=$(pcp $NS_A fd00:100::2 map tcp 9000 0 0 0102030405060708090a0b0c)
grep -q '^result=0 lifetime=0 ' <<<"$o" && wait_out "PINHOLE del id=[0-9]+ TCP \[fd00:100::2\]:9000" 20 &&
	ok "PCP delete with its nonce" || fail "PCP delete: $o"
alive

# ---------- the SSDP child dies: IPv6 discovery comes back ----------

child=$(pgrep -P "$DPID" | head -1)
[ -n "$child" ] && kill -SEGV "$child"
for _ in $(seq 100); do
	c2=$(pgrep -P "$DPID" | head -1)
	[ -n "$c2" ] && [ "$c2" != "$child" ] && break
	sleep 0.1
done
sleep 1
o=$(search $NS_B ff05::c upnp:rootdevice)
grep -q "LOCATION: http://\[fd00:100::1\]:$PORT/description6.xml" <<<"$o" &&
	ok "IPv6 discovery back after the SSDP child crashed" || fail "after the crash: $o"
stop_igd
grep -qE 'STATS .*pinhole_actions=[1-9][0-9]* http6_requests=[1-9][0-9]* pcp_pinholes=[1-9]' "$OUT" &&
	ok "counters: $(grep -oE 'pinhole_actions=[0-9]+ http6_requests=[0-9]+ pcp_pinholes=[0-9]+' "$OUT")" ||
	fail "counters: $(grep STATS "$OUT")"

# ---------- the firewall off ----------

start_igd -W
o=$(upnpc_in $NS_A -6 -S)
grep -q 'Firewall Enabled: No' <<<"$o" && ok "firewall off: GetFirewallStatus says so" || fail "status: $o"
o=$(upnpc_in $NS_A -6 -A empty 0 fd00:100::2 8080 tcp 3600)
grep -q 'failed with code 702' <<<"$o" && ok "firewall off: AddPinhole 702" || fail "702: $o"
o=$(pcp $NS_A fd00:100::2 map tcp 9000 9000 600 0102030405060708090a0b0c)
grep -q '^result=2 ' <<<"$o" && ok "firewall off: PCP MAP over IPv6 NOT_AUTHORIZED" || fail "PCP: $o"
grep -q '^PINHOLE' "$OUT" && fail "a pinhole with the firewall off"
stop_igd

if [ $FAILS = 0 ]; then
	echo "PASS: $T_NAME"
	exit 0
fi
echo "FAIL: $T_NAME ($FAILS checks failed)"
exit 1
