#!/bin/bash
# test/netns/t_vpn_ns.sh - issue 17 acceptance: `Namespace = NAME` puts the client's interface in
# its own namespace while the daemon and its UDP socket stay outside (the "birthplace" pattern;
# topology in igd_lib.sh: the client's outer namespace "cli" holds the uplink to the internet).
#
# Proves: uwg up creates the namespace, moves the interface in and applies address, MTU, a plain
# default route, DNS (/etc/netns/NAME/resolv.conf) and hooks inside it; an application there
# reaches the remote host only through the tunnel (the remote sees the server's address, and a
# capture on the uplink holds only WireGuard UDP) while the outer namespace still reaches it
# directly; `uwg show`/`set`/`syncconf` work from outside by interface name; external-ip inside
# prints the server's address; after kill -9 of the daemon the application gets "Network is
# unreachable" and nothing leaves unencrypted; `uwg down` (after the crash and after a clean up)
# leaves no interface, route, resolv.conf or namespace it created, and leaves a namespace (and
# its resolv.conf) that existed before in place; a bad name is a config error with file, line
# and key.
set -u -o pipefail
SRV_EXTRA="Masquerade = on"
. "$(dirname "$0")/igd_lib.sh"
need nsenter tcpdump

# `uwg up` as a user runs it: in the host's mount namespace (under `ip netns exec`, which gives
# each command a mount namespace of its own, a namespace it creates would stay invisible
# outside it), with only the network namespace switched to the client's outer one.
outer() { nsenter --net="/run/netns/$(nsname cli)" "$@"; }

topo_igd
igd_confs
VPN=$(nsname vpn)
T_NETNS+=("$VPN")
T_ETC+=("/etc/netns/$VPN")
sed -i "/^\[Interface\]/a Namespace = $VPN\nDNS = 10.100.0.1\nPostUp = ip link show %i >$T_TMP/postup.out" "$CLI_CONF"

uwgx srv up "$SRV_CONF" >"$T_TMP/up-srv.out" 2>&1 || fail "uwg up (server): $(cat "$T_TMP/up-srv.out")"
wait_running 20 || fail "the IGD did not start"
outer "$UWG" up "$CLI_CONF" >"$T_TMP/up-cli.out" 2>&1 || fail "uwg up (client): $(cat "$T_TMP/up-cli.out")"
grep -qxF "[#] ip netns add $VPN" "$T_TMP/up-cli.out" &&
	grep -qxF "[#] ip link set dev $CLI_IF netns $VPN" "$T_TMP/up-cli.out" &&
	grep -qxF "[#] ip -n $VPN -4 route add 0.0.0.0/0 dev $CLI_IF" "$T_TMP/up-cli.out" ||
	fail "uwg up's trace: $(cat "$T_TMP/up-cli.out")"

# ---------- what is where ----------

ip -n "$VPN" link show "$CLI_IF" >/dev/null 2>&1 || fail "$CLI_IF is not in $VPN"
nsx cli ip link show "$CLI_IF" >/dev/null 2>&1 && fail "$CLI_IF is still in the outer namespace"
nsx cli ss -Hxl | grep -qF "/wireguard/$CLI_IF.sock" || fail "the daemon is not in the outer namespace"
[ "$(ip -n "$VPN" -4 route show default)" = "default dev $CLI_IF scope link " ] ||
	[ "$(ip -n "$VPN" -4 route show default)" = "default dev $CLI_IF scope link" ] ||
	fail "default route inside: '$(ip -n "$VPN" -4 route show default)'"
[ -z "$(ip -n "$VPN" -4 rule show | grep -v -e 'lookup local' -e 'lookup main' -e 'lookup default')" ] ||
	fail "policy rules inside: $(ip -n "$VPN" -4 rule show)"
ip -n "$VPN" -4 addr show dev "$CLI_IF" | grep -q 'inet 10.100.0.2/32' || fail "no address inside"
has 'state UNKNOWN\|state UP' ip -n "$VPN" link show "$CLI_IF" || fail "$CLI_IF not up"
grep -q "$CLI_IF" "$T_TMP/postup.out" || fail "PostUp did not run inside $VPN"
[ "$(ip netns exec "$VPN" cat /etc/resolv.conf)" = "nameserver 10.100.0.1" ] ||
	fail "resolv.conf inside: $(ip netns exec "$VPN" cat /etc/resolv.conf)"
log "ok: $CLI_IF, address, default route, DNS and PostUp inside $VPN; socket outside"

# ---------- confined traffic ----------

vpnx() { ip netns exec "$VPN" "$@"; }
ping_ok cli 203.0.114.50 || fail "the outer namespace does not reach the remote host"
vpnx timeout 10 ping -c 1 -i 0.3 -w 8 203.0.114.50 >/dev/null 2>&1 || fail "no tunnel from $VPN"

bg rmt "$T_TMP/rmt.out" timeout 60 socat -T 5 TCP4-LISTEN:7000,reuseaddr,fork \
	SYSTEM:'read l; echo "remote saw $l from $SOCAT_PEERADDR"'
wait_listen rmt t 7000 || fail "remote listener"
bg cli "$T_TMP/cap.out" tcpdump -Z root --immediate-mode -i v-rtr -n -U -w "$T_TMP/uplink.pcap"
CAP=$BG_PID
sleep 1
o=$(vpnx timeout 10 sh -c 'echo from-vpn | socat -T 5 - TCP:203.0.114.50:7000' 2>&1)
[ "$o" = "remote saw from-vpn from $SRV_PUB" ] || fail "app in $VPN -> remote: '$o'"
o=$(nsx cli timeout 10 sh -c 'echo from-outer | socat -T 5 - TCP:203.0.114.50:7000' 2>&1)
[ "$o" = "remote saw from-outer from 203.0.114.18" ] || fail "outer -> remote: '$o'"
sleep 0.5
kill -INT "$CAP"; wait "$CAP" 2>/dev/null
wg_pkts=$(tcpdump -r "$T_TMP/uplink.pcap" -n 'udp port 51820' 2>/dev/null | wc -l)
vpn_tcp=$(tcpdump -r "$T_TMP/uplink.pcap" -n 'tcp and not host 203.0.114.18' 2>/dev/null | wc -l)
outer_tcp=$(tcpdump -r "$T_TMP/uplink.pcap" -n 'tcp and host 203.0.114.18' 2>/dev/null | wc -l)
other=$(tcpdump -r "$T_TMP/uplink.pcap" -n 'ip and not udp port 51820 and not (host 203.0.114.18 and (tcp port 7000 or icmp))' 2>/dev/null | wc -l)
[ "$wg_pkts" -gt 0 ] && [ "$vpn_tcp" = 0 ] && [ "$outer_tcp" -gt 0 ] && [ "$other" = 0 ] ||
	fail "uplink capture ($(cat "$T_TMP/cap.out")): $wg_pkts WireGuard, $vpn_tcp other TCP, $outer_tcp outer TCP, $other else: $(tcpdump -r "$T_TMP/uplink.pcap" -n 2>/dev/null | head -20)"
log "ok: app in $VPN -> remote sees $SRV_PUB; uplink carried $wg_pkts WireGuard datagrams and only the outer namespace's own TCP ($outer_tcp packets)"

# ---------- managed from outside ----------

has "peer: $SP" uwgx cli show "$CLI_IF" || fail "uwg show from outside: $(uwgx cli show "$CLI_IF" 2>&1)"
uwgx cli set "$CLI_IF" peer "$SP" persistent-keepalive 17 || fail "uwg set from outside"
has 'every 17 seconds' uwgx cli show "$CLI_IF" || fail "uwg set did not take"
uwgx cli syncconf "$CLI_IF" <(uwgx cli strip "$CLI_CONF") 2>"$T_TMP/sync.err" ||
	fail "uwg syncconf from outside: $(cat "$T_TMP/sync.err")"
has 'every 25 seconds' uwgx cli show "$CLI_IF" || fail "uwg syncconf did not take"
uwgx cli strip "$CLI_CONF" | grep -q Namespace && fail "uwg strip kept Namespace"
log "ok: uwg show, set, syncconf and strip from the outer namespace"

o=$(vpnx timeout 30 external-ip 2>&1)
[ "$o" = "$SRV_PUB" ] || fail "external-ip inside $VPN printed '$o'"
log "ok: external-ip inside $VPN -> $o"

# ---------- kill switch ----------

pid=$(nsx cli ss -xlpn | grep -F "/wireguard/$CLI_IF.sock " | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$pid" ] || fail "no daemon PID"
bg cli "$T_TMP/cap2.out" tcpdump -Z root --immediate-mode -i v-rtr -n -U -w "$T_TMP/uplink2.pcap"
CAP=$BG_PID
sleep 1
kill -9 "$pid"
for _ in $(seq 1 50); do ip -n "$VPN" link show "$CLI_IF" >/dev/null 2>&1 || break; sleep 0.1; done
ip -n "$VPN" link show "$CLI_IF" >/dev/null 2>&1 && fail "$CLI_IF still there after kill -9"
o=$(vpnx timeout 10 socat -T 3 - TCP:203.0.114.50:7000 </dev/null 2>&1)
grep -q 'Network is unreachable' <<<"$o" || fail "TCP from $VPN after the crash: '$o'"
o=$(vpnx ping -c 1 -w 2 203.0.114.50 2>&1)
grep -q 'Network is unreachable' <<<"$o" || fail "ping from $VPN after the crash: '$o'"
o=$(vpnx timeout 10 sh -c 'echo leak | socat -T 1 - UDP4:203.0.114.50:7001' 2>&1)
grep -q 'Network is unreachable' <<<"$o" || fail "UDP from $VPN after the crash: '$o'"
sleep 0.5
kill -INT "$CAP"; wait "$CAP" 2>/dev/null
n=$(tcpdump -r "$T_TMP/uplink2.pcap" -n 'ip and not udp port 51820' 2>/dev/null | wc -l)
[ "$n" = 0 ] || fail "after the crash the uplink carried: $(tcpdump -r "$T_TMP/uplink2.pcap" -n 2>/dev/null | head)"
log "ok: after kill -9, TCP, UDP and ping in $VPN get 'Network is unreachable'; nothing unencrypted on the uplink"

outer "$UWG" down "$CLI_CONF" >"$T_TMP/down1.out" 2>&1 || fail "uwg down after the crash: $(cat "$T_TMP/down1.out")"
ip netns list | grep -qw "$VPN" && fail "uwg down left $VPN: $(cat "$T_TMP/down1.out")"
[ -e "/etc/netns/$VPN" ] && fail "uwg down left /etc/netns/$VPN"
[ -e "/var/run/uwg/$CLI_IF.state" ] && fail "uwg down left the state file"
log "ok: uwg down after the crash removed resolv.conf and the namespace"

# ---------- clean up and down ----------

before=$(snapshot cli)
outer "$UWG" up "$CLI_CONF" >"$T_TMP/up2.out" 2>&1 || fail "uwg up again: $(cat "$T_TMP/up2.out")"
vpnx timeout 10 ping -c 1 -i 0.3 -w 8 10.100.0.1 >/dev/null 2>&1 || fail "no tunnel after up again"
outer "$UWG" down "$CLI_CONF" >"$T_TMP/down2.out" 2>&1 || fail "uwg down: $(cat "$T_TMP/down2.out")"
wait_gone "$CLI_IF" || fail "the daemon did not exit"
ip netns list | grep -qw "$VPN" && fail "uwg down left $VPN"
[ -e "/etc/netns/$VPN" ] && fail "uwg down left /etc/netns/$VPN"
[ "$(snapshot cli)" = "$before" ] || fail "the outer namespace changed: $(diff <(echo "$before") <(snapshot cli))"
log "ok: up and down again: no interface, route, resolv.conf or namespace left; outer unchanged"

# ---------- a namespace that existed before stays ----------

OWN=$(nsname own)
[ -d /etc/netns ] || T_ETC_TOP=/etc/netns
ip netns add "$OWN" || fail "ip netns add $OWN"
T_NETNS+=("$OWN")
T_ETC+=("/etc/netns/$OWN" "/etc/netns/$OWN.resolv.conf.uwg-saved" ${T_ETC_TOP:+"$T_ETC_TOP"})
mkdir -p "/etc/netns/$OWN"
echo 'nameserver 192.0.2.53' >"/etc/netns/$OWN/resolv.conf"
sed -i "s/^Namespace = .*/Namespace = $OWN/" "$CLI_CONF"
outer "$UWG" up "$CLI_CONF" >"$T_TMP/up3.out" 2>&1 || fail "uwg up into $OWN: $(cat "$T_TMP/up3.out")"
grep -q 'ip netns add' "$T_TMP/up3.out" && fail "uwg up created $OWN again"
[ "$(ip netns exec "$OWN" cat /etc/resolv.conf)" = "nameserver 10.100.0.1" ] || fail "DNS in $OWN"
[ -s "/etc/netns/$OWN.resolv.conf.uwg-saved" ] || fail "$OWN's own resolv.conf was not kept"
o=$(ip netns exec "$OWN" true 2>&1)
[ -z "$o" ] || fail "ip netns exec $OWN complains: $o"
ip netns exec "$OWN" timeout 10 ping -c 1 -i 0.3 -w 8 10.100.0.1 >/dev/null 2>&1 || fail "no tunnel in $OWN"
outer "$UWG" down "$CLI_CONF" >"$T_TMP/down3.out" 2>&1 || fail "uwg down ($OWN): $(cat "$T_TMP/down3.out")"
wait_gone "$CLI_IF" || fail "the daemon did not exit"
ip netns list | grep -qw "$OWN" || fail "uwg down removed $OWN, which it did not create"
ip -n "$OWN" link show "$CLI_IF" >/dev/null 2>&1 && fail "$CLI_IF left in $OWN"
[ "$(cat "/etc/netns/$OWN/resolv.conf")" = "nameserver 192.0.2.53" ] || fail "$OWN's resolv.conf not restored"
[ -e "/etc/netns/$OWN.resolv.conf.uwg-saved" ] && fail "the saved resolv.conf was left"
log "ok: a namespace that existed before keeps living, with its own resolv.conf back"

# ---------- a bad name ----------

sed -i "s/^Namespace = .*/Namespace = a\/b/" "$CLI_CONF"
o=$(outer "$UWG" up "$CLI_CONF" 2>&1) && fail "a bad namespace name was taken"
grep -q "$CLI_CONF:2: Namespace: \"a/b\" is not a namespace name" <<<"$o" || fail "bad name error: $o"
log "ok: $o"

pass
