#!/bin/bash
# test/netns/t_metrics.sh - uwg's counters as people see them (topology in igd_lib.sh: a server
# with NAT and UPnP, two clients, a remote host).
#
# Proves: `uwg show all metrics` parses with the Prometheus text-format parser
# (python3-prometheus-client) and its counters move with traffic: the client's bytes, the
# handshakes, the NAT's inbound translations through a UPnP map, the IGD's requests and its
# refusals by UPnP error code; `uwg show IF stats|nat|upnp` print the same in human form;
# an unknown field is refused.
set -u -o pipefail
. "$(dirname "$0")/igd_lib.sh"
need wg

igd_up

# metric NAME LABELS...: one sample's value from a parsed scrape of the server's namespace.
scrape() { nsx srv "$UWG" show all metrics >"$T_TMP/metrics.txt" 2>"$T_TMP/metrics.err"; }
cat >"$T_TMP/get.py" <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
want = sys.argv[2]
labels = dict(a.split("=", 1) for a in sys.argv[3:])
found = None
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        if s.name == want and all(s.labels.get(k) == v for k, v in labels.items()):
            found = s.value
print(int(found) if found is not None else "absent")
EOF
metric() { "$PY_BIN" "$T_TMP/get.py" "$T_TMP/metrics.txt" "$@"; }

scrape || fail "uwg show all metrics: $(cat "$T_TMP/metrics.err")"
"$PY_BIN" - "$T_TMP/metrics.txt" <<'EOF' || fail "the scrape does not parse: $(head -20 "$T_TMP/metrics.txt")"
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = list(text_string_to_metric_families(open(sys.argv[1]).read()))
names = {f.name for f in fams}
wanted = {"uwg_interface_peers", "uwg_peer_receive_bytes", "uwg_peer_transmit_bytes",
        "uwg_peer_latest_handshake_seconds", "uwg_stat", "uwg_nat_stat", "uwg_nat_entries",
        "uwg_upnp_maps", "uwg_upnp_stat", "uwg_upnp_errors", "uwg_nat_enabled",
        "uwg_upnp_running"}
missing = wanted - names
if missing:
    sys.exit("missing families: %s" % sorted(missing))
EOF
rx0=$(metric uwg_peer_receive_bytes_total interface="$SRV_IF" public_key="$CP")
hs0=$(metric uwg_stat_total interface="$SRV_IF" name=handshakes_completed)
[ "$(metric uwg_interface_peers interface="$SRV_IF")" = 2 ] || fail "peers: $(grep peers "$T_TMP/metrics.txt")"
[ "$(metric uwg_upnp_running interface="$SRV_IF")" = 1 ] || fail "upnp_running"
log "ok: the scrape parses; client rx $rx0 bytes, $hs0 handshakes"

# Traffic and UPnP requests move the counters.
nsx cli ping -c 20 -i 0.05 -s 1000 -q 10.100.0.1 >/dev/null 2>&1 || fail "ping"
o=$(upnpc_in cli -a 10.100.0.2 8043 8043 tcp 600)
grep -q 'is redirected' <<<"$o" || fail "upnpc -a: $o"
o=$(upnpc_in cl2 -a 10.100.0.3 8043 8043 tcp 600) # the port is the first client's: 718
bg cli "$T_TMP/tcp.out" timeout 20 socat -T 5 TCP-LISTEN:8043,reuseaddr SYSTEM:'read l; echo "got $l"'
wait_listen cli t 8043 || fail "no listener on the client"
o=$(nsx rmt timeout 10 sh -c "echo in | socat -T 5 - TCP:$SRV_PUB:8043" 2>&1)
[ "$o" = "got in" ] || fail "remote -> map: '$o'"
scrape || fail "second scrape: $(cat "$T_TMP/metrics.err")"
rx1=$(metric uwg_peer_receive_bytes_total interface="$SRV_IF" public_key="$CP")
[ "$rx1" -ge $((rx0 + 20 * 1000)) ] || fail "client rx bytes $rx0 -> $rx1"
[ "$(metric uwg_upnp_maps interface="$SRV_IF")" = 1 ] || fail "upnp maps: $(grep upnp_maps "$T_TMP/metrics.txt")"
[ "$(metric uwg_upnp_errors_total interface="$SRV_IF" code=718)" -ge 1 ] ||
	fail "no 718 counted: $(grep upnp_errors "$T_TMP/metrics.txt")"
[ "$(metric uwg_upnp_stat_total interface="$SRV_IF" name=actions)" -ge 2 ] || fail "upnp actions"
[ "$(metric uwg_nat_stat_total interface="$SRV_IF" name=in_translated)" -ge 1 ] ||
	fail "NAT in_translated: $(grep in_translated "$T_TMP/metrics.txt")"
[ "$(metric uwg_nat_entries interface="$SRV_IF" name=maps_active)" -ge 1 ] || fail "maps_active"
[ "$(metric uwg_peer_latest_handshake_seconds interface="$SRV_IF" public_key="$CP")" -gt 1700000000 ] ||
	fail "latest handshake"
log "ok: client rx $rx0 -> $rx1 bytes, a map, a 718, inbound translations counted"

# The human forms.
o=$(uwgx srv show "$SRV_IF" stats) || fail "show stats: $o"
grep -qE '^ +handshakes_completed +[1-9]' <<<"$o" || fail "show stats: $o"
o=$(uwgx srv show "$SRV_IF" nat) || fail "show nat: $o"
grep -q "nat" <<<"$o" && grep -qE '^ +in_translated +[1-9]' <<<"$o" || fail "show nat: $o"
o=$(uwgx srv show "$SRV_IF" upnp) || fail "show upnp: $o"
grep -q '8043' <<<"$o" && grep -qE '^ +718 +[1-9]' <<<"$o" || fail "show upnp: $o"
o=$(uwgx srv show all nat) || fail "show all nat: $o"
grep -q "interface: $SRV_IF" <<<"$o" || fail "show all nat: $o"
o=$(uwgx srv show "$SRV_IF" bogus 2>&1) && fail "an unknown field was accepted: $o"
grep -q "Invalid parameter" <<<"$o" || fail "unknown field: $o"
log "ok: show stats, nat, upnp"
pass
