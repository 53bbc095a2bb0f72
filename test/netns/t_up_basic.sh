#!/usr/bin/env bash
# t_up_basic: `uwg up` on a server and a client (in their own namespaces behind a router),
# IPv4 + IPv6 pings and a bounded TCP transfer through the tunnel, the IPv6-forwarding and
# route-lookup warnings of a server with a routed prefix, then `uwg down` on both and a
# check that addresses, routes, rules, links, sockets and state files are exactly as before.
. "$(dirname "$0")/up_lib.sh"
need socat

topo_internet
std_confs
before_srv=$(snapshot srv)
before_cli=$(snapshot cli)

out=$(uwgx srv up "$SRV_CONF" 2>&1) || fail "server up: $out"
grep -q 'IPv6 forwarding is off' <<<"$out" ||
	fail "no IPv6 forwarding warning for a routed-prefix server: $out"
grep -q 'does not lead to' <<<"$out" && fail "unexpected route warning: $out"
uwgx cli up "$CLI_CONF" >"$T_TMP/cli-up.log" 2>&1 || fail "client up: $(cat "$T_TMP/cli-up.log")"
[ -f "/var/run/uwg/$SRV_IF.state" ] || fail "no state file for $SRV_IF"

# Interface config as wg-quick would leave it.
has 'inet 10.100.0.1/24' nsx srv ip -4 addr show dev "$SRV_IF" || fail "server v4 address"
has 'inet6 2001:db8:1000:cafe::1/80' nsx srv ip -6 addr show dev "$SRV_IF" ||
	fail "server v6 address"
has 'mtu 1420 .*state UNKNOWN\|mtu 1420.*UP' nsx cli ip link show dev "$CLI_IF" ||
	fail "client MTU/up: $(nsx cli ip link show dev "$CLI_IF")"
has '^10.100.0.0/24' nsx cli ip -4 route show dev "$CLI_IF" || fail "client v4 route"
has '^2001:db8:1000:cafe::/80' nsx cli ip -6 route show dev "$CLI_IF" || fail "client v6 route"
# The server's peer routes are covered by its address prefixes: wg-quick adds none.
[ "$(nsx srv ip -4 route show dev "$SRV_IF" | wc -l)" = 1 ] || fail "server has extra v4 routes"

ping_ok cli 10.100.0.1 || fail "IPv4 ping through the tunnel"
ping_ok cli 2001:db8:1000:cafe::1 || fail "IPv6 ping through the tunnel"
ping_ok srv 10.100.0.2 || fail "IPv4 ping server -> client"

# Bounded TCP transfer (1 MiB) client -> server over the tunnel.
head -c 1048576 /dev/urandom >"$T_TMP/blob"
nsx srv timeout 20 socat -u TCP-LISTEN:5001,bind=10.100.0.1,reuseaddr OPEN:"$T_TMP/recv",creat,trunc &
lpid=$!
sleep 0.3
nsx cli timeout 15 socat -u OPEN:"$T_TMP/blob" TCP:10.100.0.1:5001 || fail "TCP transfer"
wait "$lpid" || fail "TCP listener"
cmp -s "$T_TMP/blob" "$T_TMP/recv" || fail "TCP data differs"

uwgx cli show "$CLI_IF" transfer | awk '{ exit !($3 > 1000000) }' ||
	fail "transfer counters: $(uwgx cli show "$CLI_IF" transfer)"

uwgx cli down "$CLI_CONF" >/dev/null 2>&1 || fail "client down"
uwgx srv down "$SRV_CONF" >/dev/null 2>&1 || fail "server down"
wait_gone "$SRV_IF" || fail "server daemon still running after down"
wait_gone "$CLI_IF" || fail "client daemon still running after down"
[ -e "/var/run/uwg/$SRV_IF.state" ] && fail "state file left behind"
[ "$(snapshot srv)" = "$before_srv" ] || fail "server state differs after down:
$(diff <(printf '%s\n' "$before_srv") <(snapshot srv))"
[ "$(snapshot cli)" = "$before_cli" ] || fail "client state differs after down:
$(diff <(printf '%s\n' "$before_cli") <(snapshot cli))"

# A route that sends a peer's address elsewhere is reported; forwarding on silences the other.
nsx srv sysctl -qw net.ipv6.conf.all.forwarding=1
nsx srv ip -6 route add 2001:db8:1000:cafe::2/128 dev v-rtr
out=$(uwgx srv up "$SRV_CONF" 2>&1) || fail "server up (2): $out"
grep -q 'route lookup for peer address 2001:db8:1000:cafe::2 does not lead to' <<<"$out" ||
	fail "no route-lookup warning: $out"
grep -q 'IPv6 forwarding is off' <<<"$out" && fail "forwarding warning with forwarding on"
uwgx srv down "$SRV_CONF" >/dev/null 2>&1 || fail "server down (2)"
wait_gone "$SRV_IF" || fail "server daemon still running after second down"

pass "up/down, v4+v6 traffic, 1 MiB TCP, warnings, exact teardown"
