#!/usr/bin/env bash
# t_up_fulltunnel: a client with AllowedIPs = 0.0.0.0/0, ::/0 gets wg-quick's default-route
# policy (fwmark 51820 on the device, `not fwmark 51820 table 51820`, `table main
# suppress_prefixlength 0`, default routes in table 51820): everything goes through the
# tunnel while the encrypted packets themselves still leave through the underlay. The
# server routes its public IPv6 prefix (no NAT), so the client's public address is reachable
# from the router and vice versa. `uwg down` restores `ip rule`/`ip route` exactly; after a
# simulated crash (daemon killed, rules left behind) the next `uwg up` clears the leftovers.
. "$(dirname "$0")/up_lib.sh"

topo_internet
CLIENT_ALLOWED="0.0.0.0/0, ::/0" std_confs
nsx srv sysctl -qw net.ipv6.conf.all.forwarding=1
before_cli=$(snapshot cli)
before_srv=$(snapshot srv)

uwgx srv up "$SRV_CONF" >/dev/null 2>&1 || fail "server up"
out=$(uwgx cli up "$CLI_CONF" 2>&1) || fail "client up: $out"

rules4=$(nsx cli ip -4 rule show)
rules6=$(nsx cli ip -6 rule show)
for r in "$rules4" "$rules6"; do
	grep -q 'not from all fwmark 0xca6c lookup 51820' <<<"$r" || fail "no fwmark rule: $r"
	grep -q 'from all lookup main suppress_prefixlength 0' <<<"$r" || fail "no suppress rule: $r"
done
has "^default dev $CLI_IF" nsx cli ip -4 route show table 51820 || fail "no v4 default in 51820"
has "^default dev $CLI_IF" nsx cli ip -6 route show table 51820 || fail "no v6 default in 51820"
[ "$(uwgx cli show "$CLI_IF" fwmark)" = 0xca6c ] || fail "fwmark not set on the device"
[ "$(nsx cli cat /proc/sys/net/ipv4/conf/all/src_valid_mark)" = 1 ] || fail "src_valid_mark"

# Ordinary traffic takes the tunnel, the daemon's marked packets the underlay.
has "dev $CLI_IF" nsx cli ip -4 route get 203.0.114.1 || fail "v4 default not via tunnel"
has "dev $CLI_IF" nsx cli ip -6 route get 2001:db8:1::1 || fail "v6 default not via tunnel"
has 'dev v-rtr' nsx cli ip -4 route get 203.0.114.2 mark 51820 || fail "marked not via underlay"

ping_ok cli 10.100.0.1 || fail "v4 ping to the server's tunnel address"
ping_ok cli 2001:db8:1000:cafe::1 || fail "v6 ping to the server's tunnel address"
tx0=$(uwgx cli show "$CLI_IF" transfer | cut -f3)
ping_ok cli 2001:db8:1::1 || fail "client -> router (public v6) through the tunnel"
ping_ok rtr 2001:db8:1000:cafe::2 || fail "router -> client's routed public v6 address"
tx1=$(uwgx cli show "$CLI_IF" transfer | cut -f3)
[ "$tx1" -gt "$tx0" ] || fail "public v6 traffic did not use the tunnel ($tx0 -> $tx1)"
uwgx cli show "$CLI_IF" latest-handshakes | awk '{ exit !($2 > 0) }' || fail "no handshake"

uwgx cli down "$CLI_CONF" >"$T_TMP/down.log" 2>&1 || fail "client down: $(cat "$T_TMP/down.log")"
wait_gone "$CLI_IF" || fail "client daemon still running"
after=$(snapshot cli)
[ "$after" = "$before_cli" ] || fail "client routing differs after down:
$(diff <(printf '%s\n' "$before_cli") <(printf '%s\n' "$after"))"

# Crash: the daemon dies, its TUN and routes go, the rules stay.
uwgx cli up "$CLI_CONF" >/dev/null 2>&1 || fail "client up (2)"
pid=$(ip netns pids "$(nsname cli)" | head -1)
[ -n "$pid" ] || fail "no daemon process in the client namespace"
kill -9 "$pid"
for _ in $(seq 1 50); do
	nsx cli ip link show "$CLI_IF" >/dev/null 2>&1 || break
	sleep 0.1
done
has "lookup 51820" nsx cli ip -4 rule show || fail "crash simulation: rules already gone"
# The dead daemon's socket file is still there: up must not mistake it for a live one.
[ -S "/var/run/wireguard/$CLI_IF.sock" ] || log "note: socket already removed"
out=$(uwgx cli up "$CLI_CONF" 2>&1) || fail "client up after crash: $out"
grep -q 'left behind' <<<"$out" || fail "up did not report the cleanup: $out"
[ "$(nsx cli ip -4 rule show | grep -c 'lookup 51820')" = 1 ] || fail "stale rules not removed"
[ "$(nsx cli ip -6 rule show | grep -c 'suppress_prefixlength 0')" = 1 ] || fail "stale v6 rules"
ping_ok cli 10.100.0.1 || fail "ping after crash recovery"
uwgx cli down "$CLI_CONF" >/dev/null 2>&1 || fail "client down (2)"
wait_gone "$CLI_IF" || fail "client daemon still running (2)"
after=$(snapshot cli)
[ "$after" = "$before_cli" ] || fail "client routing differs after crash + up + down:
$(diff <(printf '%s\n' "$before_cli") <(printf '%s\n' "$after"))"

# Two full tunnels side by side: the second takes table 51821, and each down removes only
# its own rules.
CLI2_IF=$(ifname d)
track_if "$CLI2_IF"
K2=$("$UWG" genkey)
P2=$(printf '%s\n' "$K2" | "$UWG" pubkey)
CLI2_CONF=$(write_conf "$CLI2_IF" <<EOF
[Interface]
PrivateKey = $K2
Address = 10.100.0.3/32

[Peer]
PublicKey = $SP
AllowedIPs = 0.0.0.0/0
Endpoint = 203.0.114.2:51820
EOF
)
uwgx srv set "$SRV_IF" peer "$P2" allowed-ips 10.100.0.3/32 || fail "add second client"
uwgx cli up "$CLI_CONF" >/dev/null 2>&1 || fail "client up (3)"
uwgx cli up "$CLI2_CONF" >/dev/null 2>&1 || fail "second client up"
[ "$(uwgx cli show "$CLI2_IF" fwmark)" = 0xca6d ] || fail "second tunnel's table is not 51821"
uwgx cli down "$CLI_CONF" >/dev/null 2>&1 || fail "client down (3)"
has 'not from all fwmark 0xca6d lookup 51821' nsx cli ip -4 rule show ||
	fail "first down removed the second tunnel's rule"
[ "$(nsx cli ip -4 rule show | grep -c 'suppress_prefixlength 0')" = 1 ] ||
	fail "suppress rules after the first down: $(nsx cli ip -4 rule show)"
has 'lookup 51820' nsx cli ip -4 rule show && fail "first tunnel's rule left behind"
ping_ok cli 10.100.0.1 || fail "second tunnel broken by the first one's down"
uwgx cli down "$CLI2_CONF" >/dev/null 2>&1 || fail "second client down"
wait_gone "$CLI_IF" && wait_gone "$CLI2_IF" || fail "client daemons still running (3)"
after=$(snapshot cli)
[ "$after" = "$before_cli" ] || fail "client routing differs after two tunnels:
$(diff <(printf '%s\n' "$before_cli") <(printf '%s\n' "$after"))"

uwgx srv down "$SRV_CONF" >/dev/null 2>&1 || fail "server down"
wait_gone "$SRV_IF" || fail "server daemon still running"
[ "$(snapshot srv)" = "$before_srv" ] || fail "server routing differs after down"

pass "fwmark policy, routed v6 prefix, exact restore, crash recovery, two tunnels"
