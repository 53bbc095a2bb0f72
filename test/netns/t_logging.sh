#!/bin/bash
# test/netns/t_logging.sh - where the daemon's log goes and what it says (topology in
# igd_lib.sh: a server with UPnP, two clients).
#
# Proves: `uwg up --log-file PATH` with LOG_LEVEL=info gives the server's log in PATH, with one
# line for a client's handshake (peer and endpoint) and one for its UPnP map (peer); a client
# daemon in the foreground logs the same events on stderr, and at LOG_LEVEL=verbose each
# handshake message too; a backgrounded daemon whose stderr is systemd's journal stream
# (JOURNAL_STREAM) writes "<N>"-prefixed lines there; no log holds a private key or the
# preshared key, in base64 or hex.
set -u -o pipefail
. "$(dirname "$0")/igd_lib.sh"
need python3

topo_igd
igd_confs
PSK=$("$UWG" genpsk)
# The first client's peer entries get a preshared key on both sides.
python3 - "$SRV_CONF" "$CLI_CONF" "$CP" "$SP" "$PSK" <<'EOF'
import sys
srv, cli, cp, sp, psk = sys.argv[1:]
for path, key in ((srv, cp), (cli, sp)):
    text = open(path).read()
    text = text.replace("PublicKey = %s\n" % key, "PublicKey = %s\nPresharedKey = %s\n" % (key, psk))
    open(path, "w").write(text)
EOF
grep -q PresharedKey "$SRV_CONF" && grep -q PresharedKey "$CLI_CONF" || fail "PSK not added"

# Server: uwg up --log-file, its own stderr a file that must stay quiet at info.
nsx srv env -u UWG_DAEMON LOG_LEVEL=info "$UWG" up --log-file "$T_TMP/srv.log" "$SRV_CONF" \
	>"$T_TMP/up-srv.out" 2>&1 || fail "uwg up --log-file: $(cat "$T_TMP/up-srv.out")"
[ -s "$T_TMP/srv.log" ] || fail "no server log in the --log-file"
[ "$(stat -c %a "$T_TMP/srv.log")" = 600 ] || fail "log file mode $(stat -c %a "$T_TMP/srv.log")"

# Client: its daemon in the foreground (stderr to a file) at verbose, started by a wrapper
# that returns once the daemon is ready, as `uwg up` expects of UWG_DAEMON.
cat >"$T_TMP/fg.sh" <<EOF
#!/bin/sh
LOG_LEVEL=verbose "$UWG" -f "\$1" </dev/null >/dev/null 2>"$T_TMP/fg-\$1.err" &
for i in \$(seq 1 100); do
	[ -S "/var/run/wireguard/\$1.sock" ] && exit 0
	sleep 0.05
done
exit 1
EOF
chmod 755 "$T_TMP/fg.sh"
nsx cli env UWG_DAEMON="$T_TMP/fg.sh" "$UWG" up "$CLI_CONF" >"$T_TMP/up-cli.out" 2>&1 ||
	fail "uwg up (client, foreground daemon): $(cat "$T_TMP/up-cli.out")"
FG=$T_TMP/fg-$CLI_IF.err

# Second client: backgrounded, stderr a file that JOURNAL_STREAM names.
: >"$T_TMP/journal.err"
js=$(stat -c '%d:%i' "$T_TMP/journal.err")
nsx cl2 env -u UWG_DAEMON LOG_LEVEL=info JOURNAL_STREAM="$js" "$UWG" up "$CL2_CONF" \
	>"$T_TMP/up-cl2.out" 2>>"$T_TMP/journal.err" || fail "uwg up (client 2): $(cat "$T_TMP/up-cl2.out")"

ping_ok cli 10.100.0.1 || fail "no tunnel: client -> server"
ping_ok cl2 10.100.0.1 || fail "no tunnel: client 2 -> server"
wait_running 20 || fail "the IGD did not start"

peer_name() { python3 -c 'import sys; k=sys.argv[1]; print("peer(%s...%s)" % (k[:4], k[39:43]))' "$1"; }
CPN=$(peer_name "$CP")
SPN=$(peer_name "$SP")

# One handshake line each side, naming the peer and its endpoint.
for _ in $(seq 1 20); do
	grep -q "$CPN - handshake completed" "$T_TMP/srv.log" && break
	sleep 0.1
done
n=$(grep -c "$CPN - handshake completed, new session with 203.0.114.18:[0-9]*$" "$T_TMP/srv.log")
[ "$n" = 1 ] || fail "server log: $n handshake lines for the client: $(grep "$CPN" "$T_TMP/srv.log")"
n=$(grep -c "INFO: $CLI_IF: $SPN - handshake completed, new session with 203.0.114.2:51820" "$FG")
[ "$n" = 1 ] || fail "client stderr: $n handshake lines: $(cat "$FG")"
grep -q "DEBUG: $CLI_IF: $SPN - sending handshake initiation to 203.0.114.2:51820" "$FG" &&
	grep -q "DEBUG: $CLI_IF: $SPN - received handshake response from 203.0.114.2:51820" "$FG" ||
	fail "verbose: no handshake message lines: $(cat "$FG")"
grep -q 'handshake initiation' "$T_TMP/srv.log" && fail "info level logged handshake messages"
log "ok: one handshake line each side (server file, client stderr); verbose has the messages"

# One line for a UPnP map, naming the peer; one for a refusal with its code.
o=$(upnpc_in cli -e logtest -a 10.100.0.2 8043 8043 tcp 600)
grep -q 'is redirected to internal 10.100.0.2:8043' <<<"$o" || fail "upnpc -a: $o"
n=$(grep -c "UPnP: TCP 8043 -> 10.100.0.2:8043 mapped for 600s by $CPN \"logtest\"" "$T_TMP/srv.log")
[ "$n" = 1 ] || fail "server log: $n map lines: $(grep UPnP "$T_TMP/srv.log")"
o=$(upnpc_in cl2 -e other -a 10.100.0.3 8043 8043 tcp 600)
C2N=$(peer_name "$C2P")
grep -qF "UPnP: AddPortMapping by $C2N refused: 718 ConflictInMappingEntry" "$T_TMP/srv.log" ||
	fail "no refusal line: $(grep UPnP "$T_TMP/srv.log")"
log "ok: map and refusal lines name the peer and the reason"

# Journal stream: priority prefixes, no timestamps.
grep -q "^<6>$CL2_IF: .* - handshake completed" "$T_TMP/journal.err" ||
	fail "no <6> lines on the journal stream: $(head -5 "$T_TMP/journal.err")"
grep -qE '^[0-9]{4}-' "$T_TMP/journal.err" && fail "timestamps on the journal stream"
log "ok: journal stream lines carry <N> priorities"

# No secret in any log, in base64 or hex.
for k in "$SK" "$CK" "$C2K" "$PSK"; do
	hex=$(python3 -c 'import base64, sys; print(base64.b64decode(sys.argv[1]).hex())' "$k")
	for f in "$T_TMP/srv.log" "$FG" "$T_TMP/journal.err" "$T_TMP"/up-*.out; do
		grep -qiF -e "$k" -e "$hex" "$f" && fail "a key is in $(basename "$f")"
	done
done
log "ok: no private key or PSK in any log (base64 or hex)"

uwgx cli down "$CLI_CONF" >/dev/null 2>&1 || fail "uwg down (client)"
pass
