# test/tools/lt_portmap.py - a libtorrent session (python3-libtorrent, Debian's 2.0) that asks
# for its port mapping with one protocol only, for the netns tests:
#     python3 lt_portmap.py ADDR PORT upnp|natpmp
# Listens on ADDR:PORT with that protocol on (the other, LSD and DHT off: only that path
# counts), prints LISTEN/PORTMAP/PORTMAP_ERROR lines, then "MAPPED <external port>" once the
# TCP port is mapped (or NO_MAPPING after 60 s, exit 1), and keeps the session, and so the
# listening socket, alive until stdin closes or 120 s pass.
import select, sys, time
import libtorrent as lt

addr, port, proto = sys.argv[1], int(sys.argv[2]), sys.argv[3]
transport = {'upnp': lt.portmap_transport.upnp, 'natpmp': lt.portmap_transport.natpmp}[proto]
ses = lt.session({
    'listen_interfaces': '%s:%d' % (addr, port),
    'enable_upnp': proto == 'upnp', 'enable_natpmp': proto == 'natpmp',
    'enable_lsd': False, 'enable_dht': False,
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
            if a.map_transport == transport and a.map_protocol == lt.portmap_protocol.tcp:
                mapped = a.external_port
        elif isinstance(a, lt.portmap_error_alert):
            print('PORTMAP_ERROR %s' % a.message(), flush=True)
        elif isinstance(a, lt.portmap_log_alert):
            print('PORTMAP_LOG %s' % a.message(), flush=True)
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
