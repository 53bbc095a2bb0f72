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

lt_map cli 10.100.0.2 6881 upnp
ext=$LT_EXT
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

lt_stop
pass
