#!/bin/bash
# test/netns/t_caps.sh - the capabilities uwg(8) lists are enough, and a missing one is named
# (topology in igd_lib.sh: a server with Masquerade and UPnP, two clients, a remote host).
#
# Proves: `uwg up` of a NAT + UPnP server run under capsh with exactly CAP_NET_ADMIN and
# CAP_NET_RAW works end to end (tunnel, masquerade, a UPnP map carrying a remote host's
# connection) and its daemon holds just those two; `uwg down` under the same capsh cleans up;
# with CAP_NET_ADMIN alone `uwg up` says "Permission denied" naming CAP_NET_RAW, exits 1 and
# creates nothing.
set -u -o pipefail
SRV_EXTRA="Masquerade = on"
. "$(dirname "$0")/igd_lib.sh"
need capsh

topo_igd
igd_confs
# capsh --drop=everything but the capabilities named: the bounding set of the shell it runs.
only() { capsh --print | sed -n 's/^Bounding set =//p' | tr ',' '\n' | grep -vxE "$1" | paste -sd,; }
ADMIN_RAW=$(only 'cap_net_admin|cap_net_raw')
ADMIN=$(only 'cap_net_admin')

o=$(nsx srv capsh --drop="$ADMIN" -- -c "exec '$UWG' up '$SRV_CONF'" 2>&1) &&
	fail "uwg up without CAP_NET_RAW succeeded: $o"
grep -q "Permission denied (Masquerade, PortForward and UPnP need CAP_NET_RAW as well)" <<<"$o" ||
	fail "without CAP_NET_RAW: $o"
[ -z "$(ip -n "$(nsname srv)" -o link show "$SRV_IF" 2>/dev/null)" ] || fail "an interface was left"
[ -e "/var/run/wireguard/$SRV_IF.sock" ] && fail "a socket was left"
log "ok: without CAP_NET_RAW: $(tail -1 <<<"$o")"

nsx srv capsh --drop="$ADMIN_RAW" -- -c "exec '$UWG' up '$SRV_CONF'" >"$T_TMP/up-srv.out" 2>&1 ||
	fail "uwg up with CAP_NET_ADMIN + CAP_NET_RAW: $(cat "$T_TMP/up-srv.out")"
pid=$(nsx srv ss -xlpn | grep -F "/wireguard/$SRV_IF.sock " | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$pid" ] || fail "no daemon"
eff=$(sed -n 's/^CapEff:\t*//p' "/proc/$pid/status")
[ "$((16#$eff))" = "$(( (1 << 12) | (1 << 13) ))" ] || fail "daemon CapEff $eff (expected NET_ADMIN and NET_RAW only)"
uwgx cli up "$CLI_CONF" >"$T_TMP/up-cli.out" 2>&1 || fail "client up: $(cat "$T_TMP/up-cli.out")"
ping_ok cli 10.100.0.1 || fail "no tunnel"
wait_running 20 || fail "the IGD did not start: $(srv_log | tail -5)"
log "ok: up with exactly CAP_NET_ADMIN + CAP_NET_RAW (daemon CapEff $eff)"

# Masquerade: the client reaches the remote host as the server's public address.
bg rmt "$T_TMP/who.out" timeout 20 socat -T 5 TCP-LISTEN:7000,reuseaddr SYSTEM:'echo "from $SOCAT_PEERADDR"'
wait_listen rmt t 7000 || fail "no listener on the remote"
o=$(nsx cli timeout 10 socat -T 5 - TCP:$RMT_PUB:7000 </dev/null 2>&1)
[ "$o" = "from $SRV_PUB" ] || fail "masquerade: '$o'"
# UPnP: a map carries a remote connection to the client.
o=$(upnpc_in cli -a 10.100.0.2 8043 8043 tcp 600)
grep -q 'is redirected' <<<"$o" || fail "upnpc -a: $o"
bg cli "$T_TMP/map.out" timeout 20 socat -T 5 TCP-LISTEN:8043,reuseaddr SYSTEM:'read l; echo "got $l"'
wait_listen cli t 8043 || fail "no listener on the client"
o=$(nsx rmt timeout 10 sh -c "echo in | socat -T 5 - TCP:$SRV_PUB:8043" 2>&1)
[ "$o" = "got in" ] || fail "remote -> map: '$o'"
log "ok: masquerade and a UPnP map work with those two capabilities"

nsx srv capsh --drop="$ADMIN_RAW" -- -c "exec '$UWG' down '$SRV_CONF'" >"$T_TMP/down.out" 2>&1 ||
	fail "uwg down with the same capabilities: $(cat "$T_TMP/down.out")"
wait_gone "$SRV_IF" || fail "the daemon did not go"
[ -e "/var/lib/uwg/$SRV_IF.leases" ] && fail "uwg down left the lease file"
[ "$(nsx srv tc filter show dev v-rtr ingress 2>/dev/null | grep -c 'pref 3[0-2][0-9][0-9][0-9]')" = 0 ] ||
	fail "tc filters left: $(nsx srv tc filter show dev v-rtr ingress)"
log "ok: down with the same capabilities leaves nothing"
pass
