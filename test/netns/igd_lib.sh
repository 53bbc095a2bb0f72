# shellcheck shell=bash
# test/netns/igd_lib.sh - helpers for the embedded-IGD tests through a real tunnel (sourced by
# t_igd_*.sh except t_igd_standalone; not a test itself). Builds on up_lib.sh (unique prefix,
# namespaces, cleanup of everything this run created) and owns: the "internet" topology with
# a server, two clients and a remote host, the server's and clients' configs (UPnP on), a
# daemon wrapper that keeps each daemon's log in the run's temp dir, and helpers around
# upnpc, the server's UAPI "nat=1" reply and its tc filters.
#
#   rtr (the internet, forwards):  v-srv 203.0.114.1/28   v-cli 203.0.114.17/28
#                                  v-cl2 203.0.114.33/28  v-rmt 203.0.114.49/28
#   srv 203.0.114.2 (uwg, NAT, IGD; tunnel 10.100.0.1/24)   rmt 203.0.114.50 (remote host)
#   cli 203.0.114.18 (tunnel 10.100.0.2)   cl2 203.0.114.34 (tunnel 10.100.0.3)
#
# Clients send everything through the tunnel (AllowedIPs = 0.0.0.0/0, as a VPN user who wants
# to be reachable does): a port map keeps the remote host's address as the source, which a
# split-tunnel client's cryptokey routing would drop; it also covers the SSDP group.

. "$(dirname "${BASH_SOURCE[0]}")/up_lib.sh"
need curl external-ip python3 socat ss tc upnpc

SRV_PUB=203.0.114.2
RMT_PUB=203.0.114.50
# Debian's python3 (python3-libtorrent is installed for it), not whatever PATH finds first.
PY_BIN=/usr/bin/python3
[ -x "$PY_BIN" ] || PY_BIN=$(command -v python3)


# The daemon as `uwg up` starts it, with its log kept (LOG_LEVEL=info) and stderr too.
DAEMON_WRAP=$T_TMP/daemon.sh
cat >"$DAEMON_WRAP" <<EOF
#!/bin/sh
exec env LOG_LEVEL=info ASAN_OPTIONS="\${ASAN_OPTIONS:-}:log_path=$T_TMP/asan" \\
	UBSAN_OPTIONS="\${UBSAN_OPTIONS:-}:print_stacktrace=1:log_path=$T_TMP/ubsan" \\
	"$UWG" --log-file "$T_TMP/daemon-\$1.log" "\$1"
EOF
chmod 755 "$DAEMON_WRAP"
export UWG_DAEMON=$DAEMON_WRAP

# Prints the daemons' logs when the test fails (the trap in up_lib.sh then cleans up).
igd_on_exit()
{
	local rc=$? f
	if [ "$rc" != 0 ]; then
		for f in "$T_TMP"/daemon-*.log; do
			[ -s "$f" ] || continue
			echo "--- $(basename "$f") (last lines)"
			tail -n 25 "$f"
		done
	fi
	local keep=${UWG_TEST_KEEP:-} pids=() ns p i
	for ns in "${T_NETNS[@]}"; do
		pids+=($(ip netns pids "$ns" 2>/dev/null))
	done
	UWG_TEST_KEEP=1 cleanup
	for i in $(seq 1 50); do
		for p in "${pids[@]}"; do
			kill -0 "$p" 2>/dev/null && { sleep 0.1; continue 2; }
		done
		break
	done
	# Sanitizer builds: a daemon's report (written when it exits) fails the test.
	for f in "$T_TMP"/asan.* "$T_TMP"/ubsan.*; do
		[ -s "$f" ] || continue
		echo "FAIL: $T_NAME: sanitizer report from a daemon ($(basename "$f")):"
		head -n 40 "$f"
		rc=1
	done
	[ -n "$keep" ] || rm -rf "$T_TMP"
	exit "$rc"
}
trap igd_on_exit EXIT

topo_igd()
{
	local n
	ns_new rtr
	for n in srv cli cl2 rmt; do
		ns_new "$n"
	done
	nsx rtr sysctl -qw net.ipv4.ip_forward=1
	ip -n "$(nsname rtr)" link add v-srv type veth peer name v-rtr netns "$(nsname srv)"
	ip -n "$(nsname rtr)" link add v-cli type veth peer name v-rtr netns "$(nsname cli)"
	ip -n "$(nsname rtr)" link add v-cl2 type veth peer name v-rtr netns "$(nsname cl2)"
	ip -n "$(nsname rtr)" link add v-rmt type veth peer name v-rtr netns "$(nsname rmt)"
	local i=0 gw
	for n in srv cli cl2 rmt; do
		gw=203.0.114.$((i * 16 + 1))
		ip -n "$(nsname rtr)" addr add "$gw/28" dev "v-$n"
		ip -n "$(nsname rtr)" link set "v-$n" up
		ip -n "$(nsname "$n")" addr add "203.0.114.$((i * 16 + 2))/28" dev v-rtr
		ip -n "$(nsname "$n")" link set v-rtr up
		ip -n "$(nsname "$n")" route add default via "$gw"
		i=$((i + 1))
	done
}

# igd_confs: keys, SRV_IF/CLI_IF/CL2_IF and their configs. Extra server [Interface] lines in
# SRV_EXTRA.
igd_confs()
{
	SRV_IF=$(ifname s); CLI_IF=$(ifname c); CL2_IF=$(ifname d)
	track_if "$SRV_IF"; track_if "$CLI_IF"; track_if "$CL2_IF"
	gen_keys
	C2K=$("$UWG" genkey); C2P=$(printf '%s\n' "$C2K" | "$UWG" pubkey)
	SRV_CONF=$(write_conf "$SRV_IF" <<EOF
[Interface]
PrivateKey = $SK
ListenPort = 51820
Address = 10.100.0.1/24
UPnP = on
${SRV_EXTRA:-}

[Peer]
PublicKey = $CP
AllowedIPs = 10.100.0.2/32

[Peer]
PublicKey = $C2P
AllowedIPs = 10.100.0.3/32
EOF
)
	CLI_CONF=$(client_conf "$CLI_IF" "$CK" 10.100.0.2)
	CL2_CONF=$(client_conf "$CL2_IF" "$C2K" 10.100.0.3)
}

client_conf()
{
	write_conf "$1" <<EOF
[Interface]
PrivateKey = $2
Address = $3/32

[Peer]
PublicKey = $SP
AllowedIPs = 0.0.0.0/0
Endpoint = $SRV_PUB:51820
PersistentKeepalive = 25
EOF
}

# igd_start: `uwg up` everywhere with the configs as they are, tunnel pings, the IGD running.
igd_start()
{
	uwgx srv up "$SRV_CONF" >"$T_TMP/up-srv.out" 2>&1 || fail "uwg up (server): $(cat "$T_TMP/up-srv.out")"
	uwgx cli up "$CLI_CONF" >"$T_TMP/up-cli.out" 2>&1 || fail "uwg up (client): $(cat "$T_TMP/up-cli.out")"
	uwgx cl2 up "$CL2_CONF" >"$T_TMP/up-cl2.out" 2>&1 || fail "uwg up (client 2): $(cat "$T_TMP/up-cl2.out")"
	ping_ok cli 10.100.0.1 || fail "no tunnel: client -> server"
	ping_ok cl2 10.100.0.1 || fail "no tunnel: client 2 -> server"
	wait_running 20 || fail "the IGD did not start: $(nat_reply | grep upnp)"
}

# igd_up: topology, configs, igd_start.
igd_up()
{
	topo_igd
	igd_confs
	igd_start
}

# The server daemon's "nat=1" reply (NAT state plus the upnp* lines).
nat_reply() { printf 'nat=1\n\n' | timeout 10 socat -t 3 - "UNIX-CONNECT:/var/run/wireguard/$SRV_IF.sock"; }

wait_running()
{
	local i
	for i in $(seq 1 $(($1 * 5))); do
		nat_reply | grep -q '^upnp_running=true' && return 0
		sleep 0.2
	done
	return 1
}

# upnp_maps: the server's upnp_map= values, one per line.
upnp_maps() { nat_reply | sed -n 's/^upnp_map=//p'; }

upnpc_in() { local ns=$1; shift; nsx "$ns" timeout 30 upnpc "$@" 2>&1; }

# tc u32 filters uwg holds on the server's external interface (its priority block).
steer_count() { nsx srv tc filter show dev v-rtr ingress 2>/dev/null | grep -c '^filter .* u32 chain 0 fh .*::800'; }

# The daemon's log (for "UPnP:" lines).
srv_log() { cat "$T_TMP/daemon-$SRV_IF.log" 2>/dev/null; }

# wait_log PATTERN SECONDS: the server's log matches PATTERN (grep -E) within SECONDS.
wait_log()
{
	local i
	for i in $(seq 1 $(($2 * 5))); do
		srv_log | grep -qE "$1" && return 0
		sleep 0.2
	done
	return 1
}

# SOAP by hand to the IGD from a namespace; prints "HTTP <code>" and the body.
igd_url() { nat_reply | sed -n 's/^upnp_url=//p'; }
soap()
{
	local ns=$1 action=$2 args=$3 base type=urn:schemas-upnp-org:service:WANIPConnection:1
	base=$(igd_url); base=${base%/description.xml}
	printf '<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:%s xmlns:u="%s">%s</u:%s></s:Body></s:Envelope>\r\n' \
		"$action" "$type" "$args" "$action" |
		nsx "$ns" curl -s -m 10 -o - -w '\nHTTP %{http_code}\n' \
			-H 'Content-Type: text/xml; charset="utf-8"' \
			-H "SOAPAction: \"$type#$action\"" --data-binary @- "$base/ctl/IPConn"
}

# bg NS OUT CMD...: a background helper in NS, killed by PID in cleanup (up_lib kills every
# process of our namespaces); BG_PID is the command (ip netns exec execs it).
bg()
{
	local ns=$1 out=$2
	shift 2
	ip netns exec "$(nsname "$ns")" "$@" >"$out" 2>&1 </dev/null &
	BG_PID=$!
}

# wait_listen NS PROTO PORT: a socket in NS listens on PORT (t = TCP, u = UDP), <= 5 s.
wait_listen()
{
	local i
	for i in $(seq 1 50); do
		nsx "$1" ss -Hn"$2"l "sport = :$3" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# lt_map NS ADDR PORT upnp|natpmp: a libtorrent session (test/tools/lt_portmap.py) in NS,
# listening on ADDR:PORT, asking for its TCP port with that protocol only; waits up to 65 s.
# LT_EXT is the external port it got ("" if none); its output is in $T_TMP/lt.out (printed
# here); the session lives (its stdin is a FIFO held open) until lt_stop.
lt_map()
{
	local i
	rm -f "$T_TMP/lt.in"
	mkfifo "$T_TMP/lt.in"
	ip netns exec "$(nsname "$1")" timeout 200 "$PY_BIN" \
		"$(dirname "${BASH_SOURCE[0]}")/../tools/lt_portmap.py" "$2" "$3" "$4" \
		<"$T_TMP/lt.in" >"$T_TMP/lt.out" 2>&1 &
	LT_PID=$!
	exec 7>"$T_TMP/lt.in"
	for i in $(seq 1 650); do
		grep -qE '^(MAPPED|NO_MAPPING)' "$T_TMP/lt.out" && break
		kill -0 "$LT_PID" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/    lt: /' "$T_TMP/lt.out"
	LT_EXT=$(sed -n 's/^MAPPED //p' "$T_TMP/lt.out")
}
lt_stop() { exec 7>&-; wait "$LT_PID" 2>/dev/null; }
