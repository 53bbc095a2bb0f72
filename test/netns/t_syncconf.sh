#!/bin/bash
# test/netns/t_syncconf.sh - `uwg syncconf|setconf|addconf` and partial NAT sets on a running
# server (topology in igd_lib.sh: NAT with Masquerade and a PortForward, UPnP on, two real
# clients and a remote host).
#
# Proves: while a checksummed transfer runs from the client through the tunnel, `uwg syncconf`
# of the full config file removes a peer (the second client), adds one, changes another's
# allowed IPs and endpoint, and swaps a PortForward for another; the transfer arrives intact,
# the client's session is not renegotiated (same latest handshake), an open masqueraded TCP
# connection and a UPnP map keep carrying data, the removed forward stops and the new one
# works, all without rebuilding the NAT; a change that does rebuild it (MasqueradePorts) puts
# the UPnP map back. wg-quick's keys in the file get one note. A file
# without uwg's keys (wg's own `wg syncconf` of `uwg strip`) leaves NAT alone; a partial
# UAPI set adds and removes one forward; setconf replaces the peers, addconf only adds.
set -u -o pipefail
SRV_EXTRA="Masquerade = on
PortForward = tcp 8080 -> 10.100.0.2:80"
. "$(dirname "$0")/igd_lib.sh"
need wg

topo_igd
igd_confs
P3=$("$UWG" genkey | "$UWG" pubkey)
P4=$("$UWG" genkey | "$UWG" pubkey)
cat >>"$SRV_CONF" <<EOF

[Peer]
PublicKey = $P3
AllowedIPs = 10.100.0.5/32
Endpoint = 203.0.114.99:1000
EOF
igd_start
grep -q 'uwg addconf' "$T_TMP/up-srv.out" || fail "uwg up does not trace uwg addconf"

# A UPnP map from the client, and what it carries.
o=$(upnpc_in cli -n 10.100.0.2 8043 8043 tcp 0)
grep -q 'is redirected to internal 10.100.0.2:8043' <<<"$o" || fail "upnpc -n: $o"
map_check()
{
	bg cli "$T_TMP/map.out" timeout 20 socat -T 5 TCP-LISTEN:8043,reuseaddr SYSTEM:'read l; echo "map got $l"'
	wait_listen cli t 8043 || fail "no listener on the client's 8043"
	o=$(nsx rmt timeout 10 sh -c "echo $1 | socat -T 5 - TCP:$SRV_PUB:8043" 2>&1)
	[ "$o" = "map got $1" ] || fail "UPnP map ($1): '$o'"
}
map_check before
# fwd_check PORT CLIENT-PORT WORD: the remote reaches the client through a PortForward.
fwd_check()
{
	bg cli "$T_TMP/fwd.out" timeout 20 socat -T 5 TCP-LISTEN:"$2",reuseaddr SYSTEM:'read l; echo "fwd got $l"'
	wait_listen cli t "$2" || fail "no listener on the client's $2"
	o=$(nsx rmt timeout 10 sh -c "echo $3 | socat -T 5 - TCP:$SRV_PUB:$1" 2>&1)
	[ "$o" = "fwd got $3" ] || fail "PortForward $1 -> :$2 ($3): '$o'"
}
fwd_check 8080 80 before

# An open masqueraded TCP connection (client -> remote echo server), used before and after.
bg rmt "$T_TMP/echo.out" timeout 120 socat TCP-LISTEN:7000,reuseaddr,fork EXEC:cat
wait_listen rmt t 7000 || fail "no echo server on the remote"
cat >"$T_TMP/masq.py" <<'EOF'
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], 7000), timeout=10)
def ask(word):
    s.sendall(word.encode() + b"\n")
    got = b""
    while not got.endswith(b"\n"):
        chunk = s.recv(100)
        if not chunk:
            break
        got += chunk
    return got.decode().strip()
out = open(sys.argv[2], "w")
out.write(ask("one") + "\n"); out.flush()
for _ in range(600):
    if os.path.exists(sys.argv[3]):
        break
    time.sleep(0.1)
out.write(ask("two") + "\n"); out.flush()
EOF
bg cli "$T_TMP/masq.err" timeout 90 "$PY_BIN" "$T_TMP/masq.py" "$RMT_PUB" "$T_TMP/masq.out" "$T_TMP/masq.go"
for _ in $(seq 1 50); do
	[ -s "$T_TMP/masq.out" ] && break
	sleep 0.1
done
[ "$(head -1 "$T_TMP/masq.out" 2>/dev/null)" = one ] || fail "masqueraded connection: $(cat "$T_TMP/masq.out" "$T_TMP/masq.err")"

# A transfer through the tunnel to the server, paced over ~4 s so syncconf lands inside it.
head -c 12582912 /dev/urandom >"$T_TMP/blob"
bg srv "$T_TMP/recv.err" timeout 60 socat -u TCP-LISTEN:5555,bind=10.100.0.1,reuseaddr OPEN:"$T_TMP/got",creat,trunc
wait_listen srv t 5555 || fail "no receiver on the server"
cat >"$T_TMP/send.py" <<'EOF'
import socket, sys, time
data = open(sys.argv[2], "rb").read()
s = socket.create_connection((sys.argv[1], 5555), timeout=10)
for i in range(0, len(data), 65536):
    s.sendall(data[i:i + 65536])
    time.sleep(0.02)
s.close()
EOF
hs_before=$(uwgx srv show "$SRV_IF" latest-handshakes | awk -v k="$CP" '$1 == k { print $2 }')
[ -n "$hs_before" ] && [ "$hs_before" != 0 ] || fail "no handshake with the client yet"
bg cli "$T_TMP/send.err" timeout 60 "$PY_BIN" "$T_TMP/send.py" 10.100.0.1 "$T_TMP/blob"
SEND_PID=$BG_PID
sleep 1.5

# ---------- syncconf of the whole edited file ----------
NEW=$(write_conf new <<EOF
[Interface]
PrivateKey = $SK
ListenPort = 51820
Address = 10.100.0.1/24
UPnP = on
Masquerade = on
PortForward = tcp 8081 -> 10.100.0.2:81

[Peer]
PublicKey = $CP
AllowedIPs = 10.100.0.2/32

[Peer]
PublicKey = $P3
AllowedIPs = 10.100.0.6/32
Endpoint = 203.0.114.98:2000

[Peer]
PublicKey = $P4
AllowedIPs = 10.100.0.9/32
EOF
)
o=$(uwgx srv syncconf "$SRV_IF" "$NEW" 2>&1) || fail "uwg syncconf: $o"
grep -q "new.conf:4: Address and the other .* keys are left as they are" <<<"$o" ||
	fail "syncconf did not note the skipped keys: $o"
kill -0 "$SEND_PID" 2>/dev/null || fail "the transfer ended before syncconf finished (not paced enough)"
wait "$SEND_PID" || fail "the transfer failed: $(cat "$T_TMP/send.err")"
for _ in $(seq 1 50); do
	[ "$(stat -c %s "$T_TMP/got" 2>/dev/null)" = 12582912 ] && break
	sleep 0.1
done
cmp -s "$T_TMP/blob" "$T_TMP/got" || fail "the transfer through the unchanged peer differs"
log "ok: 12 MiB through the unchanged peer intact across syncconf"

peers=$(uwgx srv show "$SRV_IF" peers | sort)
[ "$peers" = "$(printf '%s\n' "$CP" "$P3" "$P4" | sort)" ] || fail "peers after syncconf: $peers"
[ "$(uwgx srv show "$SRV_IF" allowed-ips | awk -v k="$P3" '$1 == k { print $2 }')" = 10.100.0.6/32 ] ||
	fail "P3's allowed IPs: $(uwgx srv show "$SRV_IF" allowed-ips)"
[ "$(uwgx srv show "$SRV_IF" endpoints | awk -v k="$P3" '$1 == k { print $2 }')" = 203.0.114.98:2000 ] ||
	fail "P3's endpoint: $(uwgx srv show "$SRV_IF" endpoints)"
hs_after=$(uwgx srv show "$SRV_IF" latest-handshakes | awk -v k="$CP" '$1 == k { print $2 }')
[ "$hs_after" = "$hs_before" ] || fail "the client's session was renegotiated ($hs_before -> $hs_after)"
log "ok: peer removed, added, changed; the unchanged peer kept its handshake ($hs_before)"

touch "$T_TMP/masq.go"
for _ in $(seq 1 50); do
	[ "$(sed -n 2p "$T_TMP/masq.out")" = two ] && break
	sleep 0.1
done
[ "$(sed -n 2p "$T_TMP/masq.out")" = two ] || fail "the masqueraded connection died: $(cat "$T_TMP/masq.out" "$T_TMP/masq.err")"
map_check after
fwd_check 8081 81 after
o=$(nsx rmt timeout 5 socat -T 3 - TCP:$SRV_PUB:8080 </dev/null 2>&1) && fail "8080 still forwarded: $o"
q=$(nat_reply)
grep -qx 'nat_forward=tcp:8081:10.100.0.2:81' <<<"$q" && ! grep -q '^nat_forward=tcp:8080' <<<"$q" ||
	fail "nat=1 forwards: $(grep nat_forward <<<"$q")"
srv_log | grep -q 'rebuilding the NAT' && fail "syncconf rebuilt the NAT: $(srv_log | tail -5)"
srv_log | grep -q 'forward tcp:8081:10.100.0.2:81 added' || fail "no log line for the added forward"
log "ok: masqueraded connection, UPnP map and the new forward work; 8080 gone; NAT not rebuilt"

# ---------- a file without uwg's keys leaves NAT alone (wg's own syncconf too) ----------
uwgx srv strip "$NEW" >"$T_TMP/stripped.conf" || fail "uwg strip"
nat_before=$(nat_reply | grep -E '^(nat_forward|nat_masquerade|upnp_map)=' | cut -d: -f1-4)
o=$(nsx srv wg syncconf "$SRV_IF" "$T_TMP/stripped.conf" 2>&1) || fail "wg syncconf: $o"
o=$(uwgx srv syncconf "$SRV_IF" "$T_TMP/stripped.conf" 2>&1) || fail "uwg syncconf (stripped): $o"
[ -z "$o" ] || fail "syncconf of a stripped file printed: $o"
[ "$(nat_reply | grep -E '^(nat_forward|nat_masquerade|upnp_map)=' | cut -d: -f1-4)" = "$nat_before" ] ||
	fail "a file without NAT keys changed the NAT"
log "ok: wg syncconf and uwg syncconf of a stripped file leave NAT and UPnP alone"

# ---------- partial UAPI sets: one forward added, then removed ----------
o=$(printf 'set=1\nnat_forward=tcp:8082:10.100.0.2:82\n\n' | nsx srv socat -t 3 - "UNIX-CONNECT:/var/run/wireguard/$SRV_IF.sock")
[ "$o" = errno=0 ] || fail "partial set (add): $o"
q=$(nat_reply)
grep -qx 'nat_forward=tcp:8082:10.100.0.2:82' <<<"$q" && grep -qx 'nat_forward=tcp:8081:10.100.0.2:81' <<<"$q" &&
	grep -qx 'nat_masquerade=true' <<<"$q" || fail "partial set did not keep the rest: $q"
fwd_check 8082 82 partial
o=$(printf 'set=1\nnat_forward=-tcp:8082:10.100.0.2:82\n\n' | nsx srv socat -t 3 - "UNIX-CONNECT:/var/run/wireguard/$SRV_IF.sock")
[ "$o" = errno=0 ] || fail "partial set (remove): $o"
nat_reply | grep -q '^nat_forward=tcp:8082' && fail "forward 8082 not removed"
map_check partial
log "ok: partial nat_forward sets add and remove one forward, the rest stays"

# ---------- a change that rebuilds the NAT puts the UPnP maps back ----------
sed 's/^Masquerade = on$/Masquerade = on\nMasqueradePorts = 62000-62099/' "$NEW" >"$T_TMP/pool.conf"
o=$(uwgx srv syncconf "$SRV_IF" "$T_TMP/pool.conf" 2>&1) || fail "syncconf (new pool): $o"
wait_log 'rebuilding the NAT' 5 || fail "the pool change did not rebuild the NAT"
wait_log 'UPnP: 1 of 1 maps restored from the NAT before its rebuild' 5 ||
	fail "the UPnP map was not put back: $(srv_log | tail -5)"
grep -q '^tcp:8043:10.100.0.2:8043:0:' <<<"$(upnp_maps)" || fail "map after the rebuild: $(upnp_maps)"
map_check rebuilt
log "ok: a NAT rebuild (new MasqueradePorts) keeps the UPnP map"

# ---------- setconf replaces the peers, addconf adds ----------
P5=$("$UWG" genkey | "$UWG" pubkey)
ADD=$(write_conf add <<EOF
[Peer]
PublicKey = $P5
AllowedIPs = 10.100.0.10/32
EOF
)
o=$(uwgx srv addconf "$SRV_IF" "$ADD" 2>&1) || fail "addconf: $o"
[ "$(uwgx srv show "$SRV_IF" peers | wc -l)" = 4 ] || fail "addconf: $(uwgx srv show "$SRV_IF" peers)"
SET=$(write_conf set <<EOF
[Interface]
PrivateKey = $SK
ListenPort = 51820

[Peer]
PublicKey = $CP
AllowedIPs = 10.100.0.2/32
EOF
)
o=$(uwgx srv setconf "$SRV_IF" "$SET" 2>&1) || fail "setconf: $o"
[ "$(uwgx srv show "$SRV_IF" peers)" = "$CP" ] || fail "setconf: $(uwgx srv show "$SRV_IF" peers)"
o=$(uwgx srv syncconf "$SRV_IF" "$T_TMP/missing.conf" 2>&1) && fail "a missing file was accepted"
grep -q 'missing.conf' <<<"$o" || fail "missing file: $o"
o=$(uwgx srv syncconf nosuchif0 "$SET" 2>&1) && fail "a missing interface was accepted"
grep -q 'No such device' <<<"$o" || fail "missing interface: $o"
log "ok: addconf adds, setconf replaces, errors name the file or the device"

pass
