#!/usr/bin/env bash
# t_nat_errors: NAT keys that `uwg up` must refuse, each with one "FILE:LINE: Key: reason"
# line and nothing left behind (no link, no state file, no filter): malformed values,
# forwards on the WireGuard ListenPort, in the ephemeral range, in the masquerade pool, on a
# port a host socket holds, to a client outside the tunnel network, duplicates, a pool in
# the ephemeral range; a refusal by the daemon itself (missing external interface) rolls
# the whole `up` back. `uwg strip` drops the NAT keys; SaveConfig keeps them.
. "$(dirname "$0")/nat_lib.sh"

topo_nat
nat_bg srv timeout 120 socat TCP4-LISTEN:2222,fork,reuseaddr SYSTEM:'echo host'
listening srv tcp 2222 || fail "host listener"
read -r elo ehi < <(nsx srv cat /proc/sys/net/ipv4/ip_local_port_range)
[ "$elo" -le 40000 ] && [ "$ehi" -ge 40000 ] || fail "test assumes 40000 is ephemeral ($elo-$ehi)"
n=0

# bad EXTRA MESSAGE: EXTRA's first line is line 6 of the server config (std_confs).
bad()
{
	local out
	n=$((n + 1))
	SRV_NAT=$1
	nat_confs
	out=$(uwgx srv up "$SRV_CONF" 2>&1) && fail "case $n accepted: $1"
	grep -qxF "$SRV_CONF:$2" <<<"$out" || fail "case $n: expected '$SRV_CONF:$2' in: $out"
	nsx srv ip link show "$SRV_IF" >/dev/null 2>&1 && fail "case $n: $SRV_IF left behind"
	[ -e "/var/run/uwg/$SRV_IF.state" ] && fail "case $n: state file left behind"
	[ "$(filters)" = 0 ] || fail "case $n: filters left behind"
	log "ok: $(tail -n 1 <<<"$2")"
}

bad "PortForward = sctp 80 -> 10.100.0.2:80" \
	'6: PortForward: "sctp" is not a protocol (expected tcp or udp)'
bad "PortForward = tcp 80 10.100.0.2:80" \
	'6: PortForward: "tcp 80 10.100.0.2:80" is not a forward (expected e.g. tcp 8080 -> 10.100.0.2:80)'
bad "PortForward = tcp 0 -> 10.100.0.2:80" \
	'6: PortForward: "0" is not an external port (expected 1-65535)'
bad "PortForward = udp 53 -> 10.100.0.300:53" \
	'6: PortForward: "10.100.0.300" is not a client IPv4 address'
bad "PortForward = udp 53 -> 10.100.0.2:99999" \
	'6: PortForward: "99999" is not a client port (expected 1-65535)'
bad "Masquerade = maybe" '6: Masquerade: "maybe" is neither on nor off'
bad "MasqueradePorts = 100-200" \
	'6: MasqueradePorts: "100-200" is not a port range (expected LOW-HIGH within 1024-65535, at most 16384 ports, e.g. 61440-61951)'
bad "NATExternalAddress = 300.1.2.3" \
	'6: NATExternalAddress: "300.1.2.3" is not a unicast IPv4 address (expected auto or e.g. 203.0.113.1)'
bad "NATExternalInterface = a/b" \
	'6: NATExternalInterface: "a/b" is not an interface name (expected auto or a name of 1-15 characters)'
bad "PortForward = udp 51820 -> 10.100.0.2:51820" \
	'6: PortForward: udp port 51820 is the WireGuard ListenPort'
bad "PortForward = tcp 40000 -> 10.100.0.2:80" \
	"6: PortForward: tcp port 40000 lies in the ephemeral port range $elo-$ehi (net.ipv4.ip_local_port_range): the host's own connections would lose their replies"
bad "PortForward = tcp 2222 -> 10.100.0.2:22" \
	"6: PortForward: a host socket is bound to tcp port 2222 (see ss -tnap 'sport = :2222')"
bad "PortForward = tcp 61500 -> 10.100.0.2:80" \
	'6: PortForward: tcp port 61500 lies in the masquerade pool 61440-61951 (MasqueradePorts)'
bad "PortForward = tcp 8080 -> 10.200.0.2:80" \
	'6: PortForward: 10.200.0.2 is not inside the tunnel network 10.100.0.0/24 (the first IPv4 Address)'
bad "PortForward = tcp 8080 -> 10.100.0.1:80" \
	"6: PortForward: 10.100.0.1 is this server's own tunnel address (expected a client)"
bad "PortForward = tcp 8080 -> 10.100.0.2:80
PortForward = tcp 8080 -> 10.100.0.3:80" \
	'7: PortForward: tcp port 8080 is already forwarded (line 6)'
bad "PortForward = tcp 8080 -> 10.100.0.2:80
PortForward = tcp 8081 -> 10.100.0.2:80" \
	'7: PortForward: tcp 10.100.0.2:80 is already the target of line 6'
bad "Masquerade = on
MasqueradePorts = 40000-40511" \
	"7: MasqueradePorts: the masquerade pool 40000-40511 overlaps the ephemeral port range $elo-$ehi (net.ipv4.ip_local_port_range)"

# Refused by the daemon (the external interface does not exist): the whole up is undone.
SRV_NAT="NATExternalInterface = nosuch0
PortForward = tcp 8080 -> 10.100.0.2:80"
nat_confs
out=$(uwgx srv up "$SRV_CONF" 2>&1) && fail "a missing external interface was accepted"
grep -q "the daemon refused the NAT configuration of $SRV_IF: No such device" <<<"$out" ||
	fail "daemon refusal: $out"
grep -q "failed; undoing what was done" <<<"$out" || fail "no rollback: $out"
wait_gone "$SRV_IF" || fail "daemon left running"
nsx srv ip link show "$SRV_IF" >/dev/null 2>&1 && fail "$SRV_IF left after a refused NAT config"
[ "$(filters)" = 0 ] || fail "filters after a refused NAT config"

# strip keeps only wg's keys; SaveConfig writes the NAT keys back as they were.
SRV_NAT="NATExternalInterface = auto
NATExternalAddress = $PUB
Masquerade = on
MasqueradePorts = 61440-61951
PortForward = tcp 8080 -> 10.100.0.2:80
SaveConfig = true"
nat_confs
out=$(uwgx srv strip "$SRV_CONF" 2>&1) || fail "strip: $out"
grep -qiE 'NAT|Masquerade|PortForward' <<<"$out" && fail "strip kept NAT keys: $out"
out=$(uwgx srv up "$SRV_CONF" 2>&1) || fail "up with every NAT key: $out"
[ "$(filters)" = 7 ] || fail "explicit address: $(filters) filters"
uwgx srv down "$SRV_CONF" >/dev/null 2>&1 || fail "down with SaveConfig"
wait_gone "$SRV_IF" || fail "daemon still running"
for l in "NATExternalInterface = auto" "NATExternalAddress = $PUB" "Masquerade = on" \
	"MasqueradePorts = 61440-61951" "PortForward = tcp 8080 -> 10.100.0.2:80"; do
	grep -qxF "$l" "$SRV_CONF" || fail "SaveConfig lost '$l': $(cat "$SRV_CONF")"
done
out=$(uwgx srv up "$SRV_CONF" 2>&1) || fail "up from the saved file: $out"
uwgx srv down "$SRV_CONF" >/dev/null 2>&1 || fail "down (2)"
wait_gone "$SRV_IF" || fail "daemon still running (2)"
[ "$(filters)" = 0 ] || fail "filters after down"

pass "$n refused configs with file:line, daemon refusal rolled back, strip, SaveConfig"
