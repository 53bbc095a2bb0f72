#!/bin/bash
# test/netns/t_leases.sh - UPnP maps survive a daemon crash through the lease file (topology in
# igd_lib.sh: a server with UPnP, two clients, a remote host).
#
# Proves: a permanent map (lease 0) and one with a 600 s lease, made with upnpc through the
# tunnel, are in the root-only lease file; after kill -9 of the server's daemon and `uwg up`
# again both come back, the 600 s one with less left, and the permanent one carries a remote
# host's connection to the client again; a map whose client address another peer now holds
# is dropped with a log line; `uwg down` removes the file, so the next `uwg up` starts
# with no maps; an interface that never mapped a port leaves no file.
set -u -o pipefail
. "$(dirname "$0")/igd_lib.sh"
need wg

LEASES=/var/lib/uwg
igd_up
LF=$LEASES/$SRV_IF.leases
[ -f "$LF" ] || fail "no lease file $LF"
[ "$(stat -c '%a %U' "$LF")" = "600 root" ] || fail "lease file: $(stat -c '%a %U' "$LF")"

o=$(upnpc_in cli -e forever -a 10.100.0.2 8043 8043 tcp 0)
grep -q 'is redirected to internal 10.100.0.2:8043' <<<"$o" || fail "upnpc lease 0: $o"
o=$(upnpc_in cli -e tenmin -a 10.100.0.2 8044 8044 tcp 600)
grep -q 'is redirected to internal 10.100.0.2:8044' <<<"$o" || fail "upnpc lease 600: $o"
o=$(upnpc_in cl2 -e second -a 10.100.0.3 8045 8045 udp 0)
grep -q 'is redirected to internal 10.100.0.3:8045' <<<"$o" || fail "upnpc (client 2): $o"
[ "$(upnp_maps | wc -l)" = 3 ] || fail "maps before: $(upnp_maps)"
grep -q "map upnp tcp 8043 10.100.0.2 8043 $CP 0 forever" "$LF" ||
	fail "lease file: $(tail -c +1 "$LF" | tr -d '\0' | head -5)"
log "ok: three maps in the root-only lease file"

# The client address of the second client moves to a new peer while the daemon is down:
# its map must not come back to someone else.
sleep 2
pid=$(nsx srv ss -xlpn | grep -F "/wireguard/$SRV_IF.sock " | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$pid" ] || fail "no daemon PID"
kill -9 "$pid"
for _ in $(seq 1 50); do
	[ -S "/var/run/wireguard/$SRV_IF.sock" ] || break
	sleep 0.1
done
[ -s "$LF" ] || fail "kill -9 lost the lease file"
NEWK=$("$UWG" genkey)
NEWP=$(printf '%s\n' "$NEWK" | "$UWG" pubkey)
sed -i "s|^PublicKey = $C2P\$|PublicKey = $NEWP|" "$SRV_CONF"
uwgx srv up "$SRV_CONF" >"$T_TMP/up-srv2.out" 2>&1 || fail "uwg up after kill -9: $(cat "$T_TMP/up-srv2.out")"
wait_running 20 || fail "the IGD did not start again"
for _ in $(seq 1 30); do
	[ "$(upnp_maps | wc -l)" -ge 2 ] && break
	sleep 0.2
done
maps=$(upnp_maps)
grep -q "^tcp:8043:10.100.0.2:8043:0:$CP:upnp:forever$" <<<"$maps" || fail "permanent map not restored: $maps"
left=$(grep "^tcp:8044:10.100.0.2:8044:" <<<"$maps" | cut -d: -f5)
[ -n "$left" ] && [ "$left" -lt 599 ] && [ "$left" -gt 500 ] || fail "600 s map: left '$left' in $maps"
grep -q ':8045:' <<<"$maps" && fail "the map of a removed peer came back: $maps"
wait_log 'UPnP: 2 of 3 maps restored from the lease file' 5 || fail "no restore line: $(srv_log | grep UPnP)"
wait_log 'UPnP: UDP map 8045 -> 10.100.0.3:8045 from the lease file dropped: its peer is gone' 5 ||
	fail "no line for the dropped map: $(srv_log | grep UPnP)"
log "ok: after kill -9 the maps came back ($left s left of 600), the foreign one did not"

# The restored map carries a remote connection (the client re-handshakes with the new daemon).
uwgx cli down "$CLI_CONF" >/dev/null 2>&1
uwgx cli up "$CLI_CONF" >/dev/null 2>&1 || fail "client up again"
ping_ok cli 10.100.0.1 || fail "no tunnel after the restart"
bg cli "$T_TMP/tcp.out" timeout 20 socat -T 5 TCP-LISTEN:8043,reuseaddr SYSTEM:'read l; echo "got $l"'
wait_listen cli t 8043 || fail "no listener on the client"
o=$(nsx rmt timeout 10 sh -c "echo restored | socat -T 5 - TCP:$SRV_PUB:8043" 2>&1)
[ "$o" = "got restored" ] || fail "remote -> restored map: '$o'"
log "ok: the restored map carries remote traffic"

# A clean down forgets them.
uwgx srv down "$SRV_CONF" >"$T_TMP/down.out" 2>&1 || fail "uwg down: $(cat "$T_TMP/down.out")"
[ -e "$LF" ] && fail "uwg down left $LF"
uwgx srv up "$SRV_CONF" >"$T_TMP/up-srv3.out" 2>&1 || fail "uwg up after down: $(cat "$T_TMP/up-srv3.out")"
wait_running 20 || fail "the IGD did not start the third time"
sleep 1.5
[ -z "$(upnp_maps)" ] || fail "maps after down/up: $(upnp_maps)"
log "ok: uwg down removed the lease file; up again has no maps"

# A daemon that never maps anything leaves no file.
uwgx cl2 down "$CL2_CONF" >/dev/null 2>&1 || fail "client 2 down"
[ -e "$LEASES/$CL2_IF.leases" ] && fail "an unused lease file was left for $CL2_IF"
ip -n "$(nsname cli)" link del "$CLI_IF"
for _ in $(seq 1 50); do
	[ -e "$LEASES/$CLI_IF.leases" ] || break
	sleep 0.1
done
[ -e "$LEASES/$CLI_IF.leases" ] && fail "an unused lease file was left when $CLI_IF was deleted"
log "ok: interfaces without maps leave no lease file"
pass
