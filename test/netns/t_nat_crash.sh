#!/usr/bin/env bash
# t_nat_crash: kill -9 of a NAT server leaves its tc filters behind (a redirect to a TUN
# that no longer exists black-holes the forwarded port); the next `uwg up` removes them and
# installs exactly its own; `uwg down` leaves none. Killed again, `uwg down` alone removes
# them. A foreign filter on the same hook is never touched.
. "$(dirname "$0")/nat_lib.sh"

topo_nat
SRV_NAT="Masquerade = on
PortForward = tcp 8080 -> 10.100.0.2:80
PortForward = udp 5000 -> 10.100.0.2:5000"
nat_confs
# Someone else's filter on the WAN's ingress hook (and the clsact it needs).
nsx srv tc qdisc add dev v-rtr clsact
nsx srv tc filter add dev v-rtr ingress pref 100 protocol ip u32 match ip dst 203.0.114.99/32 flowid :1
foreign() { nsx srv tc filter show dev v-rtr ingress | grep -c 'pref 100 u32 chain 0 fh [0-9a-f]*::800'; }
[ "$(foreign)" = 1 ] || fail "foreign filter not installed"

nat_up
[ "$(filters)" = 9 ] || fail "expected 9 filters, got $(filters)"
works()
{
	local r
	r=$(nsx rmt timeout 10 socat -T3 - TCP4:$PUB:8080 </dev/null 2>&1)
	[ "$r" = "fwd saw $RMT" ]
}
nat_bg cli timeout 120 socat TCP4-LISTEN:80,bind=10.100.0.2,reuseaddr,fork SYSTEM:'echo "fwd saw $SOCAT_PEERADDR"'
listening cli tcp 80 || fail "client listener"
works || fail "forward before the crash"

crash()
{
	local pid
	pid=$(nsx srv ss -xlpn | grep -F "/wireguard/$SRV_IF.sock " | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
	[ -n "$pid" ] || fail "no daemon for $SRV_IF"
	kill -9 "$pid"
	for _ in $(seq 1 50); do nsx srv ip link show "$SRV_IF" >/dev/null 2>&1 || break; sleep 0.1; done
	nsx srv ip link show "$SRV_IF" >/dev/null 2>&1 && fail "TUN still there after kill -9"
	[ "$(filters)" = 9 ] || fail "after kill -9: expected 9 stale filters, got $(filters)"
	has 'Redirect to device \*' nsx srv tc filter show dev v-rtr ingress ||
		fail "stale filters do not redirect to a vanished device"
	r=$(nsx rmt timeout 5 socat -T2 - TCP4:$PUB:8080,connect-timeout=2 </dev/null 2>&1)
	[ -z "$r" ] || [[ "$r" == *"timed out"* ]] || [[ "$r" == *"Connection timed out"* ]] ||
		fail "a stale redirect should black-hole the port, got '$r'"
}

crash
out=$(uwgx srv up "$SRV_CONF" 2>&1) || fail "up after kill -9: $out"
grep -q "removing what an earlier" <<<"$out" || fail "no stale-state note: $out"
[ "$(filters)" = 9 ] || fail "after the next up: expected exactly 9 filters, got $(filters)"
has 'Redirect to device \*' nsx srv tc filter show dev v-rtr ingress &&
	fail "a stale redirect survived the next up"
# The client still holds a session with the killed server: start it afresh.
uwgx cli down "$CLI_CONF" >/dev/null 2>&1 || fail "client down"
uwgx cli up "$CLI_CONF" >/dev/null 2>&1 || fail "client up again"
ping_ok cli 10.100.0.1 || fail "tunnel after the restart"
nat_bg cli timeout 120 socat TCP4-LISTEN:80,bind=10.100.0.2,reuseaddr,fork SYSTEM:'echo "fwd saw $SOCAT_PEERADDR"'
listening cli tcp 80 || fail "client listener (2)"
works || fail "forward after the restart"
uwgx srv down "$SRV_CONF" >/dev/null 2>&1 || fail "server down"
wait_gone "$SRV_IF" || fail "server daemon still running"
[ "$(filters)" = 0 ] || fail "filters after down: $(filters)"
[ "$(foreign)" = 1 ] || fail "the foreign filter was removed"

# Crash again; this time only `uwg down` follows.
out=$(uwgx srv up "$SRV_CONF" 2>&1) || fail "up (3): $out"
[ "$(filters)" = 9 ] || fail "up (3): $(filters) filters"
crash
out=$(uwgx srv down "$SRV_CONF" 2>&1) || fail "down after kill -9: $out"
grep -q "tc filter del dev v-rtr ingress" <<<"$out" || fail "no filter removal traced: $out"
[ "$(filters)" = 0 ] || fail "filters after down of a crashed server: $(filters)"
[ "$(foreign)" = 1 ] || fail "the foreign filter was removed by down"
[ -e "/var/run/uwg/$SRV_IF.state" ] && fail "state file left"
r=$(nsx rmt timeout 5 socat -T2 - TCP4:$PUB:8080,connect-timeout=2 </dev/null 2>&1)
[[ "$r" == *"refused"* ]] || fail "port 8080 should be the host's again (refused), got '$r'"

pass "stale filters after kill -9 removed by the next up and by down; foreign filter kept"
