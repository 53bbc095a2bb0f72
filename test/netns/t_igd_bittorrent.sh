#!/bin/bash
# test/netns/t_igd_bittorrent.sh - issue 6 acceptance: a real BitTorrent engine (libtorrent
# 2.0 through python3-libtorrent) in the client namespace obtains its port mapping from the
# IGD embedded in the uwg server, through the tunnel (topology in igd_lib.sh; the server
# also masquerades, as a VPN server for such users would).
#
# Proves: libtorrent's own UPnP code (SSDP upnp:rootdevice search, description, AddPortMapping
# with its user agent as description) gets a portmap_alert "successfully mapped port using
# UPnP" naming our external port; the map is in the server's table with the client as owner;
# a remote host reaches libtorrent's listening socket through the public address. Bounded:
# 60 s for the mapping.
set -u -o pipefail
SRV_EXTRA="Masquerade = on"
. "$(dirname "$0")/igd_lib.sh"

need py:libtorrent

igd_up
log "IGD at $(igd_url)"

cat >"$T_TMP/lt.py" <<'EOF'
# A libtorrent session listening on the client's tunnel address with UPnP on (NAT-PMP, LSD
# and DHT off: only the IGD path counts); prints the portmap alert and keeps the session
# (and so the listening socket) alive until stdin closes or 120 s pass.
import select, sys, time
import libtorrent as lt

addr, port = sys.argv[1], int(sys.argv[2])
ses = lt.session({
    'listen_interfaces': '%s:%d' % (addr, port),
    'enable_upnp': True, 'enable_natpmp': False, 'enable_lsd': False, 'enable_dht': False,
    'alert_mask': lt.alert_category.port_mapping | lt.alert_category.port_mapping_log |
                  lt.alert_category.error | lt.alert_category.status,
})
deadline = time.time() + 60
mapped = None
while time.time() < deadline and not mapped:
    ses.wait_for_alert(500)
    for a in ses.pop_alerts():
        if isinstance(a, lt.portmap_alert):
            print('PORTMAP transport=%s protocol=%s external=%d: %s' % (
                a.map_transport, a.map_protocol, a.external_port, a.message()), flush=True)
            if a.map_transport == lt.portmap_transport.upnp and \
               a.map_protocol == lt.portmap_protocol.tcp:
                mapped = a.external_port
        elif isinstance(a, lt.portmap_error_alert):
            print('PORTMAP_ERROR %s' % a.message(), flush=True)
        elif isinstance(a, lt.listen_succeeded_alert):
            print('LISTEN %s' % a.message(), flush=True)
if not mapped:
    print('NO_MAPPING within 60 s', flush=True)
    sys.exit(1)
print('MAPPED %d' % mapped, flush=True)
end = time.time() + 120
while time.time() < end:
    r, _, _ = select.select([sys.stdin], [], [], 1)
    if r and not sys.stdin.read(1):
        break
    for a in ses.pop_alerts():
        pass
EOF

# stdin is a FIFO we hold open; closing it ends the session.
mkfifo "$T_TMP/lt.in"
ip netns exec "$(nsname cli)" timeout 200 "$PY_BIN" "$T_TMP/lt.py" 10.100.0.2 6881 \
	<"$T_TMP/lt.in" >"$T_TMP/lt.out" 2>&1 &
LT_PID=$!
exec 7>"$T_TMP/lt.in"
for i in $(seq 1 650); do
	grep -qE '^(MAPPED|NO_MAPPING)' "$T_TMP/lt.out" && break
	pid_gone=$(kill -0 $LT_PID 2>/dev/null || echo 1)
	[ -n "$pid_gone" ] && break
	sleep 0.1
done
cat "$T_TMP/lt.out" | sed 's/^/    lt: /'
ext=$(sed -n 's/^MAPPED //p' "$T_TMP/lt.out")
[ -n "$ext" ] || fail "libtorrent did not obtain a mapping through the tunnel"
grep -qE "PORTMAP transport=upnp protocol=tcp external=$ext: successfully mapped port using UPnP" "$T_TMP/lt.out" ||
	fail "no libtorrent portmap_alert for UPnP/TCP"
log "ok: libtorrent: portmap_alert, TCP $ext mapped through our IGD"

m=$(upnp_maps | grep "^tcp:$ext:10.100.0.2:6881:")
[ -n "$m" ] || fail "the server has no UPnP map tcp:$ext -> 10.100.0.2:6881: $(upnp_maps)"
grep -qF ":$CP:" <<<"$m" || fail "the map is not owned by the client's peer: $m"
log "ok: the server's table holds it, owned by the client ($m)"

o=$(nsx rmt timeout 10 socat -T 3 /dev/null "TCP:$SRV_PUB:$ext,connect-timeout=5" 2>&1) ||
	fail "a remote host cannot connect to $SRV_PUB:$ext (libtorrent's port): $o"
log "ok: a remote host connected to $SRV_PUB:$ext, libtorrent's listening socket"

exec 7>&-
wait $LT_PID 2>/dev/null
pass
