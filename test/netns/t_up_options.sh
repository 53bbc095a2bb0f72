#!/usr/bin/env bash
# t_up_options: the wg-quick [Interface] options one by one, each brought up and down:
# Table = off (no routes, no policy, no fwmark), Table = 1234 (every route there, no rules),
# several Address lines, explicit MTU and automatic MTU (smallest endpoint route MTU - 80),
# DNS through resolvconf (a recording stand-in on PATH) and the warning without it, and a DNS
# name in Endpoint resolved through this namespace's /etc/netns/NS/hosts.
. "$(dirname "$0")/up_lib.sh"

topo_internet
nsx srv sysctl -qw net.ipv6.conf.all.forwarding=1
SRV_EXTRA=$'Address = 10.100.9.1/24, fd00:9::1/64\nAddress = 10.100.8.1\nMTU = 1380' \
CLIENT_ALLOWED="0.0.0.0/0, ::/0" CLI_EXTRA="Table = off" std_confs
before=$(snapshot cli)

# Several Address lines and an explicit MTU.
uwgx srv up "$SRV_CONF" >/dev/null 2>&1 || fail "server up"
addrs=$(nsx srv ip addr show dev "$SRV_IF")
for a in 10.100.0.1/24 10.100.9.1/24 10.100.8.1/32 fd00:9::1/64 2001:db8:1000:cafe::1/80; do
	grep -q "inet6\? $a " <<<"$addrs" || fail "address $a missing: $addrs"
done
grep -q 'mtu 1380 ' <<<"$addrs" || fail "explicit MTU not applied: $addrs"

# Table = off: no routes through the tunnel at all, no rules, no fwmark.
uwgx cli up "$CLI_CONF" >/dev/null 2>&1 || fail "client up (Table = off)"
# (Only the kernel's own routes for the addresses.)
[ -z "$( (nsx cli ip -4 route show dev "$CLI_IF"; nsx cli ip -6 route show dev "$CLI_IF") | grep -v 'proto kernel')" ] ||
	fail "Table = off added routes: $(nsx cli ip -4 route show dev "$CLI_IF"; nsx cli ip -6 route show dev "$CLI_IF")"
[ -z "$(nsx cli ip -4 route show table 51820 2>/dev/null)" ] || fail "Table = off filled table 51820"
has 'lookup 51820' nsx cli ip rule show && fail "Table = off added rules"
[ "$(uwgx cli show "$CLI_IF" fwmark)" = off ] || fail "Table = off set a fwmark"
# The tunnel still works for addresses routed by hand.
nsx cli ip route add 10.100.0.1/32 dev "$CLI_IF"
ping_ok cli 10.100.0.1 || fail "ping with Table = off and a manual route"
uwgx cli down "$CLI_CONF" >/dev/null 2>&1 || fail "client down (Table = off)"
wait_gone "$CLI_IF" || fail "client daemon still running"
[ "$(snapshot cli)" = "$before" ] || fail "Table = off: state differs after down"

# Table = 1234: every allowed IP, /0 included, into table 1234, no rules.
sed -i 's/^Table = off/Table = 1234/' "$CLI_CONF"
uwgx cli up "$CLI_CONF" >/dev/null 2>&1 || fail "client up (Table = 1234)"
has "^default dev $CLI_IF" nsx cli ip -4 route show table 1234 || fail "no v4 default in table 1234"
has "^default dev $CLI_IF" nsx cli ip -6 route show table 1234 || fail "no v6 default in table 1234"
has 'lookup 1234' nsx cli ip rule show && fail "Table = 1234 added rules"
[ -z "$(nsx cli ip -4 route show dev "$CLI_IF")" ] || fail "Table = 1234 touched the main table"
uwgx cli down "$CLI_CONF" >/dev/null 2>&1 || fail "client down (Table = 1234)"
wait_gone "$CLI_IF" || fail "client daemon still running (2)"
[ "$(snapshot cli)" = "$before" ] || fail "Table = 1234: state differs after down"

# Automatic MTU: the endpoint's route has MTU 1400 -> 1320. And DNS through resolvconf.
sed -i 's/^Table = 1234/DNS = 10.100.0.1, 2001:db8:1000:cafe::1, corp.test/' "$CLI_CONF"
nsx cli ip route add 203.0.114.2/32 via 203.0.114.17 mtu 1400
mkdir -p "$T_TMP/bin"
cat >"$T_TMP/bin/resolvconf" <<EOF
#!/bin/sh
{ echo "resolvconf \$*"; [ "\$1" = -a ] && cat; } >>"$T_TMP/resolvconf.log"
exit 0
EOF
chmod +x "$T_TMP/bin/resolvconf"
PATH="$T_TMP/bin:$PATH" uwgx cli up "$CLI_CONF" >"$T_TMP/up.log" 2>&1 ||
	fail "client up (DNS): $(cat "$T_TMP/up.log")"
has 'mtu 1320 ' nsx cli ip link show dev "$CLI_IF" || fail "automatic MTU: $(nsx cli ip link show dev "$CLI_IF")"
PATH="$T_TMP/bin:$PATH" uwgx cli down "$CLI_CONF" >"$T_TMP/down.log" 2>&1 || fail "client down (DNS): $(cat "$T_TMP/down.log")"
want="resolvconf -a $CLI_IF -m 0 -x
nameserver 10.100.0.1
nameserver 2001:db8:1000:cafe::1
search corp.test
resolvconf -d $CLI_IF -f"
[ "$(cat "$T_TMP/resolvconf.log")" = "$want" ] || fail "resolvconf calls: $(cat "$T_TMP/resolvconf.log")"
wait_gone "$CLI_IF" || fail "client daemon still running (3)"
nsx cli ip route del 203.0.114.2/32

# Without resolvconf: a clear warning, and the rest comes up.
out=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin uwgx cli up "$CLI_CONF" 2>&1) || fail "client up (no resolvconf): $out"
if ! command -v resolvconf >/dev/null; then
	grep -q 'Warning: DNS was not applied: resolvconf(8) is not installed' <<<"$out" ||
		fail "no DNS warning: $out"
fi
uwgx cli down "$CLI_CONF" >/dev/null 2>&1 || fail "client down (no resolvconf)"
wait_gone "$CLI_IF" || fail "client daemon still running (4)"

# A DNS name in Endpoint, from this namespace's hosts file.
ETC="/etc/netns/$(nsname cli)"
T_ETC+=("$ETC")
mkdir -p "$ETC"
printf '203.0.114.2 vpn-server.uwg.test\n' >"$ETC/hosts"
sed -i 's/^Endpoint = .*/Endpoint = vpn-server.uwg.test:51820/; /^DNS/d' "$CLI_CONF"
uwgx cli up "$CLI_CONF" >/dev/null 2>&1 || fail "client up (Endpoint by name)"
[ "$(uwgx cli show "$CLI_IF" endpoints | cut -f2)" = 203.0.114.2:51820 ] ||
	fail "endpoint not resolved: $(uwgx cli show "$CLI_IF" endpoints)"
ping_ok cli 10.100.0.1 || fail "ping with a named endpoint"
uwgx cli down "$CLI_CONF" >/dev/null 2>&1 || fail "client down (Endpoint by name)"
wait_gone "$CLI_IF" || fail "client daemon still running (5)"

# An unknown name fails with file:line before anything is created.
sed -i 's/^Endpoint = .*/Endpoint = no-such-host.invalid:51820/' "$CLI_CONF"
line=$(grep -n '^Endpoint' "$CLI_CONF" | cut -d: -f1)
out=$(WG_ENDPOINT_RESOLUTION_RETRIES=0 uwgx cli up "$CLI_CONF" 2>&1) && fail "up with an unknown host succeeded"
grep -q "^$CLI_CONF:$line: Endpoint: cannot resolve \"no-such-host.invalid\"" <<<"$out" ||
	fail "unresolvable endpoint error: $out"
has "$CLI_IF" nsx cli ip link show && fail "interface left after a resolution failure"
[ "$(snapshot cli)" = "$before" ] || fail "state differs after a resolution failure"

uwgx srv down "$SRV_CONF" >/dev/null 2>&1 || fail "server down"
pass "Table off/1234, Address lines, MTU explicit/auto, DNS, named endpoints"
