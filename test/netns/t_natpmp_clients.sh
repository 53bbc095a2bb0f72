#!/bin/bash
# test/netns/t_natpmp_clients.sh - issue 16, real NAT-PMP clients that find the gateway on
# their own (topology in igd_lib.sh): the server runs NAT-PMP alone (UPnP = off, NATPMP = on);
# the clients are brought up with `Gateway = 10.100.0.1`, so their tunnel default route names
# the server, as libtorrent and libnatpmp need.
#
# Proves: uwg up installs `default via 10.100.0.1 dev IF onlink` (in the fwmark table for a
# full tunnel, in the namespace's main table with Namespace =); python3-libtorrent with NAT-PMP
# on and UPnP off tries PCP, falls back on the server's answer, gets its portmap_alert and a
# remote host connects to it; transmission-daemon (Debian's 3.00) with port forwarding on,
# running in the client's VPN namespace, logs its port as forwarded over NAT-PMP and a remote
# host reaches its peer port; the server answers no UPnP (no IGD) while NAT-PMP works.
set -u -o pipefail
. "$(dirname "$0")/igd_lib.sh"
need natpmpc py:libtorrent transmission-daemon nsenter

topo_igd
igd_confs
sed -i 's/^UPnP = on$/UPnP = off\nNATPMP = on/' "$SRV_CONF"
sed -i '/^\[Interface\]/a Gateway = 10.100.0.1' "$CLI_CONF"
VPN=$(nsname vpn)
T_NETNS+=("$VPN")
T_ETC+=("/etc/netns/$VPN")
sed -i "/^\[Interface\]/a Gateway = 10.100.0.1\nNamespace = $VPN" "$CL2_CONF"

uwgx srv up "$SRV_CONF" >"$T_TMP/up-srv.out" 2>&1 || fail "uwg up (server): $(cat "$T_TMP/up-srv.out")"
uwgx cli up "$CLI_CONF" >"$T_TMP/up-cli.out" 2>&1 || fail "uwg up (client): $(cat "$T_TMP/up-cli.out")"
# The namespace must be visible to `ip netns exec` later: up in the host's mount namespace.
nsenter --net="/run/netns/$(nsname cl2)" "$UWG" up "$CL2_CONF" >"$T_TMP/up-cl2.out" 2>&1 ||
	fail "uwg up (client 2): $(cat "$T_TMP/up-cl2.out")"
grep -qF "ip -4 route add 0.0.0.0/0 via 10.100.0.1 dev $CLI_IF table 51820 onlink" "$T_TMP/up-cli.out" ||
	fail "client trace: $(cat "$T_TMP/up-cli.out")"
[ "$(nsx cli ip -4 route show table 51820)" = "default via 10.100.0.1 dev $CLI_IF onlink " ] ||
	[ "$(nsx cli ip -4 route show table 51820)" = "default via 10.100.0.1 dev $CLI_IF onlink" ] ||
	fail "client's tunnel default route: '$(nsx cli ip -4 route show table 51820)'"
ip -n "$VPN" -4 route show default | grep -q "^default via 10.100.0.1 dev $CL2_IF onlink" ||
	fail "default route in $VPN: '$(ip -n "$VPN" -4 route show default)'"
ping_ok cli 10.100.0.1 || fail "no tunnel: client -> server"
ip netns exec "$VPN" timeout 10 ping -c 1 -i 0.3 -w 8 10.100.0.1 >/dev/null 2>&1 || fail "no tunnel from $VPN"
for _ in $(seq 1 50); do
	nat_reply | grep -q '^upnp_running=true' && break
	sleep 0.2
done
nat_reply | grep -q '^upnp_url=$' || fail "UPnP = off still serves an IGD: $(nat_reply | grep upnp_url)"
log "ok: default routes via 10.100.0.1 onlink (table 51820; main table in $VPN); NAT-PMP only on the server"

# libnatpmp finds the gateway by itself in the main table of the VPN namespace.
o=$(ip netns exec "$VPN" timeout 30 natpmpc 2>&1)
grep -q "using gateway : 10.100.0.1" <<<"$o" && grep -q "Public IP address : $SRV_PUB" <<<"$o" ||
	fail "natpmpc without -g in $VPN: $o"
log "ok: natpmpc in $VPN finds 10.100.0.1 on its own and prints $SRV_PUB"

# ---------- libtorrent, NAT-PMP only ----------

lt_map cli 10.100.0.2 6881 natpmp
[ -n "$LT_EXT" ] || fail "libtorrent did not obtain a NAT-PMP mapping"
grep -qE "PORTMAP transport=natpmp protocol=tcp external=$LT_EXT: successfully mapped port using NAT-PMP" "$T_TMP/lt.out" ||
	fail "no libtorrent portmap_alert for NAT-PMP/TCP"
upnp_maps | grep -q "^tcp:$LT_EXT:10.100.0.2:6881:[0-9]*:$CP:natpmp:" || fail "server maps: $(upnp_maps)"
o=$(nsx rmt timeout 10 socat -T 3 /dev/null "TCP:$SRV_PUB:$LT_EXT,connect-timeout=5" 2>&1) ||
	fail "a remote host cannot connect to $SRV_PUB:$LT_EXT (libtorrent's port): $o"
lt_stop
log "ok: libtorrent (NAT-PMP on, UPnP off): portmap_alert for TCP $LT_EXT, and a remote host connected"

# ---------- Transmission in the VPN namespace ----------

mkdir -p "$T_TMP/tr"
ip netns exec "$VPN" timeout 120 transmission-daemon -f -g "$T_TMP/tr" -m -P 51413 -p 9091 \
	-r 127.0.0.1 -T --no-dht -y --log-info -e "$T_TMP/tr.log" >"$T_TMP/tr.out" 2>&1 &
TR_PID=$!
for _ in $(seq 1 300); do
	grep -q 'forwarded successfully' "$T_TMP/tr.log" 2>/dev/null && break
	kill -0 "$TR_PID" 2>/dev/null || break
	sleep 0.2
done
grep -E 'Port Forwarding' "$T_TMP/tr.log" 2>/dev/null | sed 's/^/    transmission: /'
TP=$(sed -n 's/.*Port Forwarding (NAT-PMP).*Port \([0-9]*\) forwarded successfully.*/\1/p' "$T_TMP/tr.log" | head -1)
[ -n "$TP" ] || fail "transmission did not report its port forwarded: $(tail -20 "$T_TMP/tr.log" "$T_TMP/tr.out" 2>&1)"
upnp_maps | grep -q "^tcp:$TP:10.100.0.3:51413:[0-9]*:$C2P:natpmp:" || fail "server maps: $(upnp_maps)"
o=$(nsx rmt timeout 10 socat -T 3 /dev/null "TCP:$SRV_PUB:$TP,connect-timeout=5" 2>&1) ||
	fail "a remote host cannot reach transmission's peer port $SRV_PUB:$TP: $o"
kill "$TR_PID" 2>/dev/null
wait "$TR_PID" 2>/dev/null
log "ok: transmission-daemon in $VPN: port 51413 forwarded over NAT-PMP as $TP; a remote host connected"

nsenter --net="/run/netns/$(nsname cl2)" "$UWG" down "$CL2_CONF" >/dev/null 2>&1 || fail "uwg down (client 2)"
pass
