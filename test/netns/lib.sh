# shellcheck shell=bash
# test/netns/lib.sh - shared helpers for uwg's network-namespace tests (sourced by t_*.sh;
# not a test itself). Owns: a unique name prefix per run, namespaces/veth/loopback topologies
# with every address inside them, starting daemons and finding their PIDs through the UAPI
# socket owner, bounded waits, assertions, traffic helpers, and an EXIT trap that removes
# only what this run created.
#
# Environment: UWG_BIN (the daemon under test; /usr/bin/wireguard-go works as a stand-in),
# UWG_BUILD_DIR (helper tools in $UWG_BUILD_DIR/test), UWG_REF_BIN (reference peer,
# default /usr/bin/wireguard-go), UWG_TEST_KEEP=1 keeps the temp dir for debugging.
#
# Addresses (only ever assigned inside this run's namespaces):
#   outer v4 203.0.114.0/26 (.64/26: hosts behind a router), outer v6 2001:db8:114::/64,
#   or loopback (topology A);
#   inner v4 203.0.114.128/25, inner v6 2001:db8:241::/64 (on the tunnel interfaces).

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/need.sh"
need ip ping socat ss sysctl wg wireguard-go

T_NAME=$(basename "$0" .sh)
WG_RUN=/var/run/wireguard
: "${UWG_BIN:?set UWG_BIN to the uwg binary (or /usr/bin/wireguard-go)}"
REF_BIN=${UWG_REF_BIN:-/usr/bin/wireguard-go}
TOOLS_DIR=${UWG_BUILD_DIR:+$UWG_BUILD_DIR/test}

OUT4_A=203.0.114.1
OUT4_B=203.0.114.2
OUT6_A=2001:db8:114::1
OUT6_B=2001:db8:114::2
IN4_A=203.0.114.129
IN4_B=203.0.114.130
IN6_A=2001:db8:241::1
IN6_B=2001:db8:241::2
PORT_A=10001
PORT_B=10002

T_NETNS=()      # full namespace names we created
T_IFS=()        # interface names (= socket names) we may have started a daemon for
T_DAEMONS=()    # "pid:starttime" of daemons we started
T_BG=()         # PIDs of our own background helpers (listeners, relays, pings)
T_DONE=0
declare -A DPID=()   # interface -> daemon pid

log() { printf '[%s] %s\n' "$T_NAME" "$*"; }

# ---------- results ----------

fail()
{
	T_DONE=1
	printf 'FAIL: %s: %s\n' "$T_NAME" "$*"
	exit 1
}

skip()
{
	T_DONE=1
	printf 'SKIP: %s: %s\n' "$T_NAME" "$*"
	exit 0
}

pass()
{
	T_DONE=1
	printf 'PASS: %s%s\n' "$T_NAME" "${1:+ ($1)}"
	exit 0
}

# ---------- environment checks ----------

[ "$(id -u)" = 0 ] || { echo "FAIL: $T_NAME: must run as root (network namespaces)"; exit 1; }
[ -x "$UWG_BIN" ] || { echo "FAIL: $T_NAME: UWG_BIN=$UWG_BIN is not executable"; exit 1; }

# True when the binary under test is wireguard-go (uwg-only checks are skipped then).
if [[ "$("$UWG_BIN" --version 2>&1)" == *wireguard-go* ]]; then
	IS_WGGO=1
else
	IS_WGGO=0
fi

# Exits 0 with SKIP when the daemon under test is not uwg.
require_uwg()
{
	[ "$IS_WGGO" = 0 ] || skip "uwg-only test ($*); UWG_BIN is wireguard-go"
}

# Prints a SKIP note and returns 1 when not uwg, for uwg-only parts of a test:
#   if uwg_only "stats"; then ...; fi
uwg_only()
{
	if [ "$IS_WGGO" = 1 ]; then
		log "SKIP (uwg-only): $*"
		return 1
	fi
	return 0
}

# Path of a helper built from test/tools/NAME.c; fails if missing.
tool()
{
	local p=${TOOLS_DIR:-}/$1

	[ -n "${TOOLS_DIR:-}" ] && [ -x "$p" ] || fail "helper $1 not built (UWG_BUILD_DIR=${UWG_BUILD_DIR:-unset})"
	printf '%s\n' "$p"
}

# ---------- unique names ----------

t_pick_id()
{
	local i id
	for i in $(seq 1 50); do
		id=$(printf '%05x' $(( (RANDOM << 7 ^ RANDOM ^ $$) & 0xfffff )))
		compgen -G "$WG_RUN/w$id*" >/dev/null && continue
		[[ "$(ip netns list 2>/dev/null)" == *"uwgt$id-"* ]] && continue
		T_ID=$id
		return 0
	done
	echo "FAIL: $T_NAME: cannot pick a unique id"
	exit 1
}
t_pick_id
T_PFX="uwgt$T_ID-"
IFA="w${T_ID}a"
IFB="w${T_ID}b"
T_TMP=$(mktemp -d "/tmp/uwgt.$T_ID.XXXXXX")
chmod 700 "$T_TMP"

# ifname SUFFIX: an interface name unique to this run (<= 15 chars).
ifname() { printf 'w%s%s\n' "$T_ID" "$1"; }

# ---------- processes ----------

proc_start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

# True while PID exists and is not a zombie.
pid_alive()
{
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# bg_run NS OUT ERR CMD...: start CMD in the background inside NS. Not in a subshell, so
# BG_PID is the command itself (ip netns exec execs it) and a signal reaches it; it is
# tracked and stopped on cleanup. Wrap CMD in `timeout` to bound it.
bg_run()
{
	local ns=$1 out=$2 err=$3
	shift 3
	ip netns exec "$(nsname "$ns")" "$@" >"$out" 2>"$err" </dev/null &
	BG_PID=$!
	T_BG+=("$BG_PID")
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds; 1 on timeout.
wait_for()
{
	local secs=$1 end
	shift
	end=$(( $(date +%s%N) + secs * 1000000000 ))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# ---------- namespaces ----------

nsname() { printf '%s%s\n' "$T_PFX" "$1"; }

# nsx SHORT CMD...: run CMD inside this run's namespace SHORT.
nsx()
{
	local ns
	ns=$(nsname "$1")
	shift
	ip netns exec "$ns" "$@"
}

# ns_new SHORT: create this run's namespace SHORT (no-op if it exists already).
ns_new()
{
	local ns n
	ns=$(nsname "$1")
	for n in "${T_NETNS[@]}"; do
		[ "$n" = "$ns" ] && return 0
	done
	ip netns add "$ns" || fail "ip netns add $ns"
	T_NETNS+=("$ns")
	ip -n "$ns" link set lo up
	# promote_secondaries: removing an address must not take the others of its subnet along.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv4.conf.all.promote_secondaries=1 net.ipv4.conf.default.promote_secondaries=1
}

# veth_link A B: a veth pair "v-B" in A and "v-A" in B, both up.
veth_link()
{
	local a b
	a=$(nsname "$1")
	b=$(nsname "$2")
	ip -n "$a" link add "v-$2" type veth peer name "v-$1" netns "$b" || fail "veth $1<->$2"
	ip -n "$a" link set "v-$2" up
	ip -n "$b" link set "v-$1" up
}

addr_add() { ip -n "$(nsname "$1")" addr add "$3" dev "$2" nodad 2>/dev/null || ip -n "$(nsname "$1")" addr add "$3" dev "$2"; }

# Topology "veth": namespaces a and b joined by one veth, outer v4 + v6 on it; the
# daemons run in a and b. Idempotent.
topo_veth()
{
	if ! ip -n "$(nsname a)" link show v-b >/dev/null 2>&1; then
		ns_new a
		ns_new b
		veth_link a b
		ip -n "$(nsname a)" addr add "$OUT4_A/26" dev v-b
		ip -n "$(nsname b)" addr add "$OUT4_B/26" dev v-a
		ip -n "$(nsname a)" addr add "$OUT6_A/64" dev v-b nodad
		ip -n "$(nsname b)" addr add "$OUT6_B/64" dev v-a nodad
	fi
	TOPO=veth
	NS_DA=a
	NS_DB=b
}

# Topology "lo" (kernel netns.sh topology A): ns0 has only lo and runs both daemons (it
# owns the UDP sockets); each TUN is moved into a or b. Idempotent.
topo_lo()
{
	ns_new 0
	ns_new a
	ns_new b
	TOPO=lo
	NS_DA=0
	NS_DB=0
}

# ---------- keys ----------

genkey() { wg genkey; }
pubkey() { printf '%s\n' "$1" | wg pubkey; }

# keyfile NAME KEY: writes KEY to a private file and prints its path (for wg set).
keyfile()
{
	local f="$T_TMP/$1.key"
	(umask 077; printf '%s\n' "$2" >"$f")
	printf '%s\n' "$f"
}

# ---------- daemons ----------

# sock_pid NS IF: PID of the process listening on IF's UAPI socket (ss inside NS).
sock_pid()
{
	nsx "$1" ss -xlpn 2>/dev/null | grep -F "/wireguard/$2.sock " | grep -o 'pid=[0-9]*' |
		head -1 | cut -d= -f2
}

# daemon_register NS IF: find and remember the daemon serving IF (started by us, e.g. via wg-quick).
daemon_register()
{
	local pid
	pid=$(sock_pid "$1" "$2")
	[ -n "$pid" ] || return 1
	DPID[$2]=$pid
	T_DAEMONS+=("$pid:$(proc_start_time "$pid")")
	return 0
}

# daemon_start NS IF [BIN]: start a daemon the way wg-quick does (it must daemonize), check
# that the TUN and the socket exist the moment it returns, and record its PID. Extra env
# vars for the daemon come from the array DAEMON_ENV.
DAEMON_ENV=()
daemon_start()
{
	local ns=$1 ifn=$2 bin=${3:-$UWG_BIN} log="$T_TMP/daemon-$2.log" rc extra=()
	T_IFS+=("$ifn")
	# uwg logs to syslog once daemonized unless told otherwise; keep its log with ours.
	[ "$bin" = "$UWG_BIN" ] && [ "$IS_WGGO" = 0 ] && extra=(--log-file "$log")
	timeout 20 ip netns exec "$(nsname "$ns")" env LOG_LEVEL="${DAEMON_LOG_LEVEL:-info}" \
		"${DAEMON_ENV[@]}" "$bin" "${extra[@]}" "$ifn" >>"$log" 2>&1 </dev/null
	rc=$?
	[ "$rc" = 0 ] || fail "starting $bin $ifn in ns $ns: exit $rc; log: $(tail -n 5 "$log" | tr '\n' ' ')"
	[ -S "$WG_RUN/$ifn.sock" ] || fail "$bin $ifn returned but $WG_RUN/$ifn.sock is missing"
	ip -n "$(nsname "$ns")" link show "$ifn" >/dev/null 2>&1 ||
		fail "$bin $ifn returned but TUN $ifn is missing in ns $ns"
	daemon_register "$ns" "$ifn" || fail "no process listens on $WG_RUN/$ifn.sock"
}

# daemon_alive IF
daemon_alive() { pid_alive "${DPID[$1]}"; }

# wgx NS ARGS...: the real wg tool inside NS.
wgx()
{
	local ns=$1
	shift
	nsx "$ns" wg "$@"
}

# ---------- UAPI ----------

# uapi_raw IF REQUEST: send a raw request (e.g. $'get=1\n\n') and print the reply.
uapi_raw()
{
	printf '%s' "$2" | timeout 10 socat -t 3 - "UNIX-CONNECT:$WG_RUN/$1.sock"
}

# uapi_stats IF: uwg-only "stats=1" request; prints key=value lines, fails unless errno=0.
uapi_stats()
{
	local out
	out=$(uapi_raw "$1" $'stats=1\n\n') || return 1
	grep -qx 'errno=0' <<<"$out" || { printf '%s\n' "$out" >&2; return 1; }
	printf '%s\n' "$out" | grep -v -e '^errno=' -e '^$'
}

# stat_get IF KEY: one counter from uapi_stats (fails if absent).
stat_get()
{
	local v
	v=$(uapi_stats "$1" | sed -n "s/^$2=//p" | head -1)
	[ -n "$v" ] || return 1
	printf '%s\n' "$v"
}

# ---------- assertions ----------

assert_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
assert_ne() { [ "$1" != "$2" ] || fail "$3: got '$1', expected something else"; }
assert_ge()
{
	[[ "$1" =~ ^[0-9]+$ ]] || fail "$3: '$1' is not a number"
	[ "$1" -ge "$2" ] || fail "$3: expected >= $2, got $1"
}
assert_match() { [[ "$1" =~ $2 ]] || fail "$3: '$1' does not match /$2/"; }

# check DESCRIPTION CMD...: run CMD, fail with its output if it fails.
check()
{
	local what=$1 out
	shift
	out=$("$@" 2>&1) || fail "$what: '$*' failed: $(printf '%s' "$out" | tail -n 5 | tr '\n' ' ')"
}

# ---------- tunnel setup ----------

# pair_setup BIN_A BIN_B OUTER PSK INIT [KEEPALIVE]
#   OUTER: 4 | 6 (needs topo_veth or topo_lo first); PSK: 0 | 1;
#   INIT: a | b = only that side knows the other's endpoint (so it must initiate), both = both.
#   KEEPALIVE: persistent keepalive seconds on both sides (0 = off).
#   PAIR_EP_A / PAIR_EP_B (optional) replace the endpoint each side is given for the other
#   (e.g. a relay's address).
# Starts daemon A (interface $IFA, inner .129/::1) and B ($IFB, .130/::2), keys KA/KB, pubs
# PA/PB, brings the TUNs up with inner addresses in namespaces a and b.
pair_setup()
{
	local bin_a=$1 bin_b=$2 outer=$3 psk=$4 init=$5 ka_s=${6:-0} epa epb pskf=""
	KA=$(genkey); KB=$(genkey); PA=$(pubkey "$KA"); PB=$(pubkey "$KB")
	daemon_start "$NS_DA" "$IFA" "$bin_a"
	daemon_start "$NS_DB" "$IFB" "$bin_b"
	if [ "$TOPO" = lo ]; then
		ip -n "$(nsname 0)" link set "$IFA" netns "$(nsname a)" || fail "move $IFA to ns a"
		ip -n "$(nsname 0)" link set "$IFB" netns "$(nsname b)" || fail "move $IFB to ns b"
		if [ "$outer" = 4 ]; then epa=127.0.0.1:$PORT_A; epb=127.0.0.1:$PORT_B;
		else epa="[::1]:$PORT_A"; epb="[::1]:$PORT_B"; fi
	else
		if [ "$outer" = 4 ]; then epa=$OUT4_A:$PORT_A; epb=$OUT4_B:$PORT_B;
		else epa="[$OUT6_A]:$PORT_A"; epb="[$OUT6_B]:$PORT_B"; fi
	fi
	EP_A=$epa
	EP_B=$epb
	if [ "$psk" = 1 ]; then
		PSK=$(genkey)
		pskf=$(keyfile psk "$PSK")
	fi
	# Links up before any peer exists, so no handshake can reach a side that is still down.
	tun_up a "$IFA" "$IN4_A" "$IN6_A"
	tun_up b "$IFB" "$IN4_B" "$IN6_B"
	local xa=() xb=()
	[ -n "$pskf" ] && { xa+=(preshared-key "$pskf"); xb+=(preshared-key "$pskf"); }
	[ "$init" != b ] && xa+=(endpoint "${PAIR_EP_B:-$epb}")
	[ "$init" != a ] && xb+=(endpoint "${PAIR_EP_A:-$epa}")
	[ "$ka_s" != 0 ] && { xa+=(persistent-keepalive "$ka_s"); xb+=(persistent-keepalive "$ka_s"); }
	# Responder first: an initiation (or keepalive) sent before the other side knows the
	# peer would be lost and only retried after REKEY_TIMEOUT (5 s).
	if [ "$init" = b ]; then
		check "configure A" wgx "$NS_DA" set "$IFA" private-key "$(keyfile ka "$KA")" \
			listen-port "$PORT_A" peer "$PB" allowed-ips "$IN4_B/32,$IN6_B/128" "${xa[@]}"
	fi
	check "configure B" wgx "$NS_DB" set "$IFB" private-key "$(keyfile kb "$KB")" \
		listen-port "$PORT_B" peer "$PA" allowed-ips "$IN4_A/32,$IN6_A/128" "${xb[@]}"
	if [ "$init" != b ]; then
		check "configure A" wgx "$NS_DA" set "$IFA" private-key "$(keyfile ka "$KA")" \
			listen-port "$PORT_A" peer "$PB" allowed-ips "$IN4_B/32,$IN6_B/128" "${xa[@]}"
	fi
	# A daemon may bind its UDP port only once the link is up (wireguard-go does); a
	# handshake sent before that is lost and retried only after REKEY_TIMEOUT (5 s).
	wait_udp_bound "$NS_DA" "$PORT_A" || fail "daemon A ($IFA) never bound UDP port $PORT_A"
	wait_udp_bound "$NS_DB" "$PORT_B" || fail "daemon B ($IFB) never bound UDP port $PORT_B"
}

# wait_udp_bound NS PORT: wait (<= 10 s) until something in NS listens on UDP PORT.
wait_udp_bound()
{
	wait_for 10 sh -c "ip netns exec '$(nsname "$1")' ss -Huln 'sport = :$2' | grep -q ."
}

# tun_up NS IF V4 V6: inner addresses on the TUN, link up.
tun_up()
{
	ip -n "$(nsname "$1")" addr add "$3/25" dev "$2" || fail "addr $3 on $2"
	ip -n "$(nsname "$1")" addr add "$4/64" dev "$2" nodad || fail "addr $4 on $2"
	ip -n "$(nsname "$1")" link set "$2" up || fail "link up $2"
}

# ---------- traffic ----------

# ping_ok NS DST [COUNT]: COUNT replies (default 3) within a bounded deadline.
ping_ok()
{
	local n=${3:-3}
	nsx "$1" timeout $((n + 15)) ping -q -n -c "$n" -i 0.2 -w $((n + 10)) "$2" >/dev/null 2>&1
}

# ping_strict NS DST COUNT INTERVAL: prints the loss percentage (e.g. "0"); bounded.
ping_loss()
{
	local out
	out=$(nsx "$1" timeout $(( $3 + 20 )) ping -q -n -c "$3" -i "$4" -W 2 "$2" 2>&1)
	printf '%s\n' "$out" | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p'
}

# xfer_file BYTES: a random file of that size (made once), path printed.
xfer_file()
{
	local f="$T_TMP/xfer.$1"
	[ -f "$f" ] || head -c "$1" /dev/urandom >"$f"
	printf '%s\n' "$f"
}

T_XFER_N=0
# tcp_xfer SRC_NS DST_NS DST_ADDR BYTES [SECONDS]: socat a random file over TCP and
# compare SHA-256 on both ends. Both ends bounded by timeout.
tcp_xfer()
{
	local src=$1 dst=$2 addr=$3 bytes=$4 secs=${5:-60} in out port lpid listen connect
	in=$(xfer_file "$bytes")
	T_XFER_N=$((T_XFER_N + 1))
	out="$T_TMP/xfer.out.$T_XFER_N"
	port=$((5200 + T_XFER_N))
	if [[ "$addr" == *:* ]]; then
		listen="TCP6-LISTEN:$port,reuseaddr"; connect="TCP6:[$addr]:$port"
	else
		listen="TCP4-LISTEN:$port,reuseaddr"; connect="TCP4:$addr:$port"
	fi
	bg_run "$dst" /dev/null "$out.err" timeout "$secs" socat -u "$listen" "CREATE:$out"
	lpid=$BG_PID
	if ! wait_for 5 sh -c "ip netns exec $(nsname "$dst") ss -Htln 'sport = :$port' | grep -q ."; then
		log "tcp_xfer: listener on $dst:$port did not come up"
		return 1
	fi
	if ! nsx "$src" timeout "$secs" socat -u "OPEN:$in" "$connect" 2>"$out.cerr"; then
		log "tcp_xfer: sender failed: $(cat "$out.cerr")"
		kill "$lpid" 2>/dev/null
		return 1
	fi
	wait "$lpid" || { log "tcp_xfer: receiver failed: $(cat "$out.err")"; return 1; }
	if [ "$(sha256sum <"$in" | cut -d' ' -f1)" != "$(sha256sum <"$out" | cut -d' ' -f1)" ]; then
		log "tcp_xfer: checksum mismatch ($(stat -c %s "$out") of $bytes bytes arrived)"
		return 1
	fi
	rm -f "$out"
	return 0
}

# wg_field NS IF FIELD: one column of `wg show IF FIELD` for the first peer (e.g. endpoints).
wg_field() { wgx "$1" show "$2" "$3" | head -1 | cut -f2; }

# link_stat NS IF COUNTER: e.g. rx_packets of a link (for TUN: packets the daemon wrote).
link_stat() { nsx "$1" cat "/sys/class/net/$2/statistics/$3"; }

# ---------- wg show / showconf checks ----------

# show_fields NS IF: the field names `wg show IF` prints, one per line, in order.
show_fields() { wgx "$1" show "$2" | sed -n 's/^ *\([a-z ]*\): .*/\1/p'; }
# showconf_keys NS IF: section headers and key names of `wg showconf IF`, in order.
showconf_keys() { wgx "$1" showconf "$2" | sed -n -e 's/^\(\[[A-Za-z]*\]\)$/\1/p' -e 's/^\([A-Za-z]*\) = .*/\1/p'; }

sorted_list() { tr ', ' '\n\n' <<<"$1" | grep -v '^$' | sort | paste -sd,; }

# check_show NS IF PRIV PEER_PUB PEER_EP ALLOWED PSK KEEPALIVE PORT
# Validates `wg show IF dump`, `wg show IF` and `wg showconf IF` for a device with exactly
# one peer that completed a handshake and moved traffic. PSK is the key or "" (none);
# KEEPALIVE 0 = off; ALLOWED a comma list.
check_show()
{
	local ns=$1 ifn=$2 key=$3 peer=$4 ep=$5 allowed=$6 psk=$7 ka=$8 port=$9
	local dump human conf now f1 f2 f3 f4 p1 p2 p3 p4 p5 p6 p7 p8 x
	dump=$(wgx "$ns" show "$ifn" dump) || fail "wg show $ifn dump failed"
	[ "$(printf '%s\n' "$dump" | wc -l)" = 2 ] || fail "$ifn dump: expected 2 lines, got: $dump"
	IFS=$'\t' read -r f1 f2 f3 f4 x <<<"$(printf '%s\n' "$dump" | sed -n 1p)"
	assert_eq "$f1" "$key" "$ifn dump: private key"
	assert_eq "$f2" "$(pubkey "$key")" "$ifn dump: public key"
	assert_eq "$f3" "$port" "$ifn dump: listen port"
	assert_eq "$f4" off "$ifn dump: fwmark"
	assert_eq "$x" "" "$ifn dump: extra interface fields"
	IFS=$'\t' read -r p1 p2 p3 p4 p5 p6 p7 p8 x <<<"$(printf '%s\n' "$dump" | sed -n 2p)"
	assert_eq "$p1" "$peer" "$ifn dump: peer public key"
	assert_eq "$p2" "${psk:-(none)}" "$ifn dump: preshared key"
	assert_eq "$p3" "$ep" "$ifn dump: endpoint"
	assert_eq "$(sorted_list "$p4")" "$(sorted_list "$allowed")" "$ifn dump: allowed ips"
	now=$(date +%s)
	assert_match "$p5" '^[0-9]+$' "$ifn dump: latest handshake"
	[ "$p5" -gt $((now - 300)) ] && [ "$p5" -le $((now + 5)) ] ||
		fail "$ifn dump: latest handshake $p5 is not recent (now $now)"
	assert_match "$p6" '^[1-9][0-9]*$' "$ifn dump: rx bytes"
	assert_match "$p7" '^[1-9][0-9]*$' "$ifn dump: tx bytes"
	assert_eq "$p8" "$( [ "$ka" = 0 ] && echo off || echo "$ka")" "$ifn dump: persistent keepalive"
	assert_eq "$x" "" "$ifn dump: extra peer fields"

	human=$(wgx "$ns" show "$ifn") || fail "wg show $ifn failed"
	assert_match "$human" "interface: $ifn" "$ifn wg show: interface line"
	assert_match "$human" "listening port: $port" "$ifn wg show: listening port"
	assert_match "$human" "latest handshake: [0-9]+ seconds? ago|latest handshake: Now" \
		"$ifn wg show: latest handshake"
	assert_match "$human" "transfer: [0-9.]+ [KMG]?i?B received, [0-9.]+ [KMG]?i?B sent" \
		"$ifn wg show: transfer"
	[ "$ka" = 0 ] || assert_match "$human" "persistent keepalive: every $ka seconds" \
		"$ifn wg show: persistent keepalive"

	conf=$(wgx "$ns" showconf "$ifn") || fail "wg showconf $ifn failed"
	assert_match "$conf" "PrivateKey = ${key//+/\\+}" "$ifn showconf: PrivateKey"
	assert_match "$conf" "ListenPort = $port" "$ifn showconf: ListenPort"
	assert_match "$conf" "PublicKey = ${peer//+/\\+}" "$ifn showconf: PublicKey"
	assert_match "$conf" "Endpoint = ${ep//[/\\[}" "$ifn showconf: Endpoint"
}

# compare_show NS1 IF1 NS2 IF2: both print the same field set (wg show) and keys (showconf).
compare_show()
{
	local a b
	a=$(show_fields "$1" "$2" | paste -sd'|'); b=$(show_fields "$3" "$4" | paste -sd'|')
	assert_eq "$a" "$b" "wg show fields of $2 vs $4"
	a=$(showconf_keys "$1" "$2" | paste -sd'|'); b=$(showconf_keys "$3" "$4" | paste -sd'|')
	assert_eq "$a" "$b" "wg showconf keys of $2 vs $4"
}

T_CASE=0
# pair_case BIN_A BIN_B TOPO OUTER PSK INIT [BYTES]: one cell of the interop matrix:
# fresh namespaces and daemons, the initiator pings first (v4 and v6 inner), then a TCP
# transfer with checksum each way (a->b over v4 inner, b->a over v6 inner), then wg show /
# dump / showconf checks on both sides. Namespaces are reused between cases; the daemons
# are stopped afterwards.
pair_case()
{
	local bin_a=$1 bin_b=$2 topo=$3 outer=$4 psk=$5 init=$6 bytes=${7:-5000000} i r
	local ka=25 t0
	t0=$(date +%s%N)
	log "case: A=$(basename "$bin_a") B=$(basename "$bin_b") topo=$topo outer=v$outer psk=$psk initiator=$init"
	"topo_$topo"
	IFA=$(ifname "a$T_CASE"); IFB=$(ifname "b$T_CASE"); T_CASE=$((T_CASE + 1))
	PSK=""
	pair_setup "$bin_a" "$bin_b" "$outer" "$psk" "$init" "$ka"
	if [ "$init" = a ]; then i=a; r=b; else i=b; r=a; fi
	local ri4 ri6
	if [ "$r" = b ]; then ri4=$IN4_B; ri6=$IN6_B; else ri4=$IN4_A; ri6=$IN6_A; fi
	ping_ok "$i" "$ri4" 3 || fail "case $topo/v$outer/psk$psk/init-$init: ping $i->$r inner v4 failed"
	ping_ok "$i" "$ri6" 3 || fail "case $topo/v$outer/psk$psk/init-$init: ping $i->$r inner v6 failed"
	ping_ok "$r" "$( [ "$r" = a ] && echo "$IN4_B" || echo "$IN4_A")" 2 ||
		fail "case $topo/v$outer/psk$psk/init-$init: ping back $r->$i failed"
	tcp_xfer a b "$IN4_B" "$bytes" 60 ||
		fail "case $topo/v$outer/psk$psk/init-$init: TCP a->b over inner v4 not intact"
	tcp_xfer b a "$IN6_A" "$bytes" 60 ||
		fail "case $topo/v$outer/psk$psk/init-$init: TCP b->a over inner v6 not intact"
	check_show "$NS_DA" "$IFA" "$KA" "$PB" "$EP_B" "$IN4_B/32,$IN6_B/128" "$PSK" "$ka" "$PORT_A"
	check_show "$NS_DB" "$IFB" "$KB" "$PA" "$EP_A" "$IN4_A/32,$IN6_A/128" "$PSK" "$ka" "$PORT_B"
	compare_show "$NS_DA" "$IFA" "$NS_DB" "$IFB"
	daemon_alive "$IFA" || fail "daemon A ($IFA) died"
	daemon_alive "$IFB" || fail "daemon B ($IFB) died"
	bg_stop
	daemons_stop
	log "  ok ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
}

# ---------- cleanup ----------

# daemons_stop: stop every daemon we started (SIGTERM, then SIGKILL after 3 s), remove
# their sockets if they left them. Namespaces stay.
daemons_stop()
{
	local p pid ns ifn i any
	# Daemons serving our interfaces that we have not recorded yet (e.g. started via wg-quick).
	for ifn in "${T_IFS[@]}"; do
		[ -S "$WG_RUN/$ifn.sock" ] || continue
		for ns in "${T_NETNS[@]}"; do
			pid=$(ip netns exec "$ns" ss -xlpn 2>/dev/null | grep -F "/wireguard/$ifn.sock " |
				grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
			[ -n "$pid" ] && T_DAEMONS+=("$pid:$(proc_start_time "$pid")")
		done
	done
	for p in "${T_DAEMONS[@]}"; do
		pid=${p%%:*}
		# Only signal the very process we recorded (PID and start time both match).
		pid_alive "$pid" && [ "$(proc_start_time "$pid")" = "${p#*:}" ] && kill -TERM "$pid" 2>/dev/null
	done
	for i in $(seq 1 60); do
		any=0
		for p in "${T_DAEMONS[@]}"; do
			pid=${p%%:*}
			pid_alive "$pid" && [ "$(proc_start_time "$pid")" = "${p#*:}" ] && any=1
		done
		[ "$any" = 0 ] && break
		sleep 0.05
	done
	for p in "${T_DAEMONS[@]}"; do
		pid=${p%%:*}
		pid_alive "$pid" && [ "$(proc_start_time "$pid")" = "${p#*:}" ] && kill -KILL "$pid" 2>/dev/null
	done
	T_DAEMONS=()
	DPID=()
	for ifn in "${T_IFS[@]}"; do
		rm -f "$WG_RUN/$ifn.sock" "$WG_RUN/$ifn.name" "/var/lib/uwg/$ifn.leases"
	done
	T_IFS=()
}

# bg_stop: stop our background helpers.
bg_stop()
{
	local p
	for p in "${T_BG[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${T_BG[@]}"; do
		wait "$p" 2>/dev/null
	done
	T_BG=()
}

# t_teardown: stop what we started and delete what we created (safe to call repeatedly).
t_teardown()
{
	local i p
	bg_stop
	daemons_stop
	# Whatever still runs inside our namespaces is ours (a daemon that hung after `uwg down`,
	# say): deleting a namespace's name would not stop it, so stop it by PID first.
	for ((i = ${#T_NETNS[@]} - 1; i >= 0; i--)); do
		for p in $(ip netns pids "${T_NETNS[$i]}" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "${T_NETNS[$i]}" 2>/dev/null
	done
	T_NETNS=()
}

t_on_exit()
{
	local rc=$?
	trap - EXIT
	if [ "$T_DONE" = 0 ]; then
		printf 'FAIL: %s: aborted (exit status %s)\n' "$T_NAME" "$rc"
		[ "$rc" = 0 ] && rc=1
	fi
	if [ "$rc" != 0 ]; then
		for f in "$T_TMP"/daemon-*.log "$T_TMP"/*.err; do
			[ -s "$f" ] || continue
			echo "--- $(basename "$f") (last lines)"
			tail -n 15 "$f"
		done
	fi
	t_teardown
	# The daemon's system-call allow-list (cli/daemon/seccomp.h) must cover everything a test does,
	# its exit included: a refusal is logged, never silent, so any such line fails the test.
	if grep -H 'seccomp refused' "$T_TMP"/daemon-*.log 2>/dev/null; then
		printf 'FAIL: %s: the daemon made a system call outside its allow-list\n' "$T_NAME"
		rc=1
	fi
	if [ "${UWG_TEST_KEEP:-0}" = 1 ]; then
		echo "kept $T_TMP"
	else
		rm -rf "$T_TMP"
	fi
	exit "$rc"
}
trap t_on_exit EXIT
trap 'exit 143' TERM HUP
trap 'exit 130' INT

log "daemon under test: $UWG_BIN ($( [ "$IS_WGGO" = 1 ] && echo wireguard-go || echo uwg)), prefix $T_PFX"
