#!/usr/bin/env bash
# bench/run.sh - uwg vs Debian wireguard-go, side by side in one sitting (see bench/README.md).
# Owns: installing what the benchmark needs, a Release build of uwg in its own build dir, the
# crypto/handshake micro-benchmarks, a two-namespace veth lab with a unique name prefix, the
# A/B/A/B tunnel scenarios with fresh daemons per block, and the report (table, JSON, PNG).
# Everything it starts is recorded by PID and stopped on exit; every command is bounded.
#
# Usage (root):  bench/run.sh            full: 5 reps x 10 s per scenario
#                BENCH_QUICK=1 bench/run.sh   quick: 2 reps x 3 s
# Knobs (env): UWG_BIN REF_BIN BENCH_REPS BENCH_DUR BENCH_HS_DUR BENCH_PINGS BENCH_SCENARIOS
#   BENCH_PEERS BENCH_STORM_SOURCES BENCH_HSFLOOD_RATE BENCH_HSFLOOD_CLIENT_WAIT BENCH_OFFLOADS BENCH_PIN BENCH_UDP_RATE BENCH_MICRO BENCH_PLOT BENCH_BUILD_DIR
#   BENCH_OUT_DIR BENCH_LABEL_A BENCH_LABEL_B BENCH_MAX_SECONDS BENCH_KEEP_TMP

set -u -o pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_DIR=$(cd "$BENCH_DIR/.." && pwd)

# ---------------------------------------------------------------- configuration

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	d_reps=2; d_dur=3; d_hs=3; d_micro_s=0.3; d_micro_runs=3; d_knee=2
else
	d_reps=5; d_dur=10; d_hs=10; d_micro_s=1; d_micro_runs=5; d_knee=2
fi
KNEE_DUR=${BENCH_KNEE_DUR:-$d_knee}
REPS=${BENCH_REPS:-$d_reps}
DUR=${BENCH_DUR:-$d_dur}
HS_DUR=${BENCH_HS_DUR:-$d_hs}
PINGS=${BENCH_PINGS:-200}
SCENARIOS=${BENCH_SCENARIOS:-"ping tcp1 tcp4 udp1380 udp64 udpknee blastknee hs hsflood"}
PEER_COUNTS=${BENCH_PEERS:-"1000 10000 100000"}  # the peers scenario's device sizes
STORM_SOURCES=${BENCH_STORM_SOURCES:-4096} # source addresses of the handshake storm
STORM_WINDOW=${BENCH_STORM_WINDOW:-128}    # initiations the storm keeps outstanding
FW6=${BENCH_FW6:-none}              # a | b | both | none: slots whose server turns uwg's IPv6 firewall on
HSFLOOD_RATE=${BENCH_HSFLOOD_RATE:-60000}          # paced initiations/s of the middle phase
HSFLOOD_CLIENT_WAIT=${BENCH_HSFLOOD_CLIENT_WAIT:-15} # s the new client may take (success = <= 10)
OFFLOADS=${BENCH_OFFLOADS:-default}   # default | off | on  (veth TSO/GSO/GRO)
PIN=${BENCH_PIN:-none}                # none | split
UDP_RATE=${BENCH_UDP_RATE:-0}         # iperf3 -b for the UDP floods; 0 = as fast as it can
KNEE_RATES=${BENCH_KNEE_RATES:-"100 200 300 400 500 600 700 800 900 1000 1100 1200 1400 1600"}  # Mbit/s, ascending
KNEE_LOSS=${BENCH_KNEE_LOSS:-1}       # % loss a knee step may have
BLAST_RATES=${BENCH_BLAST_RATES:-"10 20 30 40 50 60 80 100 120 150 180 210 250 300"}  # kpps, ascending
BLAST_PORT=5301
MICRO=${BENCH_MICRO:-1}
PLOT=${BENCH_PLOT:-auto}              # auto (if matplotlib is there) | 1 (install it) | 0
MICRO_S=${BENCH_MICRO_SECONDS:-$d_micro_s}
MICRO_RUNS=${BENCH_MICRO_RUNS:-$d_micro_runs}
BUILD_DIR=${BENCH_BUILD_DIR:-$SRC_DIR/build-bench}
OUT_DIR=${BENCH_OUT_DIR:-$BENCH_DIR/results}
LABEL_A=${BENCH_LABEL_A:-uwg}
LABEL_B=${BENCH_LABEL_B:-wireguard-go}
BIN_A=${UWG_BIN:-}                    # empty: build uwg Release and use it
BIN_B=${REF_BIN:-/usr/bin/wireguard-go}

# Debian's interpreter (deps.sh installs it), not whatever python3 is first in PATH: the
# optional plot needs Debian's python3-matplotlib.
PY=${BENCH_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=$(command -v python3)

die() { echo "bench: error: $*" >&2; exit 1; }
note() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

num_ok() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge "$2" ]; }
num_ok "$REPS" 1 || die "BENCH_REPS must be >= 1"
num_ok "$DUR" 1 || die "BENCH_DUR must be whole seconds >= 1"
num_ok "$HS_DUR" 1 || die "BENCH_HS_DUR must be whole seconds >= 1"
num_ok "$HSFLOOD_RATE" 1 || die "BENCH_HSFLOOD_RATE must be initiations/s >= 1"
num_ok "$HSFLOOD_CLIENT_WAIT" 11 || die "BENCH_HSFLOOD_CLIENT_WAIT must be whole seconds >= 11"
num_ok "$KNEE_DUR" 1 || die "BENCH_KNEE_DUR must be whole seconds >= 1"
for r in $KNEE_RATES; do num_ok "$r" 1 || die "BENCH_KNEE_RATES: Mbit/s as whole numbers"; done
for r in $BLAST_RATES; do num_ok "$r" 1 || die "BENCH_BLAST_RATES: kpps as whole numbers"; done
num_ok "$PINGS" 10 || die "BENCH_PINGS must be >= 10"
case $OFFLOADS in default|off|on) ;; *) die "BENCH_OFFLOADS: default, off or on" ;; esac
case $PIN in none|split) ;; *) die "BENCH_PIN: none or split" ;; esac
case $FW6 in a|b|both|none) ;; *) die "BENCH_FW6: a, b, both or none" ;; esac
for s in $SCENARIOS; do
	case $s in ping|tcp1|tcp4|tcp1v6|tcp4v6|udp1380|udp64|udpknee|blastknee|hs|hsflood|peers) ;; *) die "unknown scenario '$s'" ;; esac
done
for n in $PEER_COUNTS; do num_ok "$n" 1 || die "BENCH_PEERS: peer counts as whole numbers >= 1"; done
num_ok "$STORM_SOURCES" 1 && [ "$STORM_SOURCES" -le 4096 ] || die "BENCH_STORM_SOURCES must be 1..4096"
num_ok "$STORM_WINDOW" 1 || die "BENCH_STORM_WINDOW must be >= 1"
[ "$(id -u)" = 0 ] || die "run as root (network namespaces, TUN devices)"

# Bound the whole run: re-exec under timeout with a budget from the configuration.
if [ -z "${BENCH_UNDER_TIMEOUT:-}" ]; then
	n_scen=$(wc -w <<<"$SCENARIOS")
	block=$(( 40 + n_scen * (DUR + 15) + HS_DUR + PINGS / 50 + ($(wc -w <<<"$KNEE_RATES") + $(wc -w <<<"$BLAST_RATES")) * (KNEE_DUR + 5) ))
	[[ " $SCENARIOS " == *" hsflood "* ]] && block=$(( block + 3 * DUR + HSFLOOD_CLIENT_WAIT + 60 ))
	# peers: per size, setconf + dump + TCP + storm + removal, bounded as below (~1 s per 1 000 peers each)
	[[ " $SCENARIOS " == *" peers "* ]] && for n in $PEER_COUNTS; do block=$(( block + DUR + 4 * 60 + 5 * n / 1000 )); done
	max=${BENCH_MAX_SECONDS:-$(( 900 + 2 * REPS * block * 2 ))}
	export BENCH_UNDER_TIMEOUT=1
	exec timeout --foreground -k 20 "$max" bash "$0" "$@"
fi

# ---------------------------------------------------------------- dependencies and build

note "checking packages (scripts/deps.sh, plus ethtool for the offload report)"
bash "$SRC_DIR/scripts/deps.sh" || die "scripts/deps.sh failed"
extra=(ethtool)
[ "$PLOT" = 1 ] && extra+=(python3-matplotlib)
missing=()
for p in "${extra[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	note "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		{ timeout 300 apt-get update -qq && timeout 600 apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null; } || die "apt-get install ${missing[*]} failed"
fi
. "$SRC_DIR/scripts/need.sh"
need cc cmake ethtool ip iperf3 ping pkg-config python3 socat ss wg
# optional: git (the report says git_commit "unknown" without it)

need_build=0
[ -z "$BIN_A" ] && need_build=1
[ "$MICRO" = 1 ] && need_build=1
[[ " $SCENARIOS " == *" hsflood "* ]] && need_build=1  # bench/hsflood.c links libuwg_crypto.a
[[ " $SCENARIOS " == *" peers "* ]] && need_build=1    # bench/hsstorm.c links libuwg_core.a
if [ "$need_build" = 1 ]; then
	note "building uwg (Release) in $BUILD_DIR"
	targets=(uwg_core uwg_crypto)
	[ -z "$BIN_A" ] && targets+=(uwg)
	timeout 300 cmake -S "$SRC_DIR" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release >/dev/null ||
		die "cmake configure failed"
	timeout 900 cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${targets[@]}" >"$BUILD_DIR/bench-build.log" 2>&1 ||
		{ tail -n 30 "$BUILD_DIR/bench-build.log" >&2; die "build failed (log: $BUILD_DIR/bench-build.log)"; }
fi
[ -n "$BIN_A" ] || BIN_A=$BUILD_DIR/uwg
[ -x "$BIN_A" ] || die "slot A binary $BIN_A is not executable"
[ -x "$BIN_B" ] || die "slot B binary $BIN_B is not executable"

# ---------------------------------------------------------------- run state

RUN_TS=$(date -u +%Y%m%dT%H%M%SZ)
TMP=$(mktemp -d "/tmp/uwg-bench.XXXXXX")
chmod 700 "$TMP"
RAW=$TMP/raw.jsonl
MICRO_OUT=$TMP/micro.jsonl
: >"$RAW"
: >"$MICRO_OUT"

ID=""
for _ in $(seq 1 50); do
	cand=$(printf '%05x' $(( (RANDOM << 7 ^ RANDOM ^ $$) & 0xfffff )))
	ip netns list 2>/dev/null | grep -q "^ubench$cand-" && continue
	compgen -G "/var/run/wireguard/ub$cand*" >/dev/null && continue
	ID=$cand
	break
done
[ -n "$ID" ] || die "cannot pick a unique name prefix"
NS_A=ubench$ID-a
NS_B=ubench$ID-b
IF_A=ub${ID}a
IF_B=ub${ID}b
VETH_A=vb       # in NS_A, towards B
VETH_B=va       # in NS_B, towards A
OUT_A=203.0.114.1
OUT_B=203.0.114.2
IN_A=203.0.114.129
IN_B=203.0.114.130
# IPv6 inside the tunnel too (tcp1v6, tcp4v6: what uwg's IPv6 firewall filters).
IN_A6=fd00:b0::1
IN_B6=fd00:b0::2
# hsflood only: a third namespace c behind B (its own veth pair), holding the flooder (own
# address) and a new client (daemon C, tunnel address IN_C) that must handshake with B mid-flood.
NS_C=ubench$ID-c
IF_C=ub${ID}c
VETH_BC=vc      # in NS_B, towards C
VETH_C=vd       # in NS_C, towards B
B_FOR_C=198.51.100.1
C_ADDR=198.51.100.2
FLOOD_SRC=198.51.100.3
IN_C=203.0.114.131
HSFLOOD_ON=0
[[ " $SCENARIOS " == *" hsflood "* ]] && HSFLOOD_ON=1
PEERS_ON=0
[[ " $SCENARIOS " == *" peers "* ]] && PEERS_ON=1
# peers only: the storm's sources live in c too: STORM_SOURCES consecutive addresses from
# STORM_BASE, which B routes to c (both WireGuard implementations limit handshakes per source
# address under load, as real servers meet clients from many addresses).
STORM_BASE=10.200.1.0
PORT=51820
IPERF_PORT=5201
WG_RUN=/var/run/wireguard
CLK_TCK=$(getconf CLK_TCK)

CREATED_NS=()
OWNED=()     # "pid:starttime" of every long-lived process we started
DPID_A=""
DPID_B=""
DPID_C=""
IPERF_PID=""

proc_start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
pid_alive()
{
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}
own() { OWNED+=("$1:$(proc_start_time "$1")"); }
# Is PID still the very process we started (not a reused PID)?
is_ours()
{
	local p
	for p in "${OWNED[@]}"; do
		[ "${p%%:*}" = "$1" ] && pid_alive "$1" && [ "$(proc_start_time "$1")" = "${p#*:}" ] && return 0
	done
	return 1
}
# stop_pid PID: SIGTERM, up to 5 s, then SIGKILL; only if it is ours.
stop_pid()
{
	local pid=$1 i
	[ -n "$pid" ] || return 0
	is_ours "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 50); do
		pid_alive "$pid" || break
		sleep 0.1
	done
	is_ours "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

cleanup()
{
	local rc=$? p i
	trap - EXIT INT TERM HUP
	[ "$rc" -ge 128 ] && echo "bench: stopped by a signal (or the BENCH_MAX_SECONDS budget); cleaning up" >&2
	stop_pid "$IPERF_PID"
	stop_pid "$DPID_A"
	stop_pid "$DPID_B"
	stop_pid "$DPID_C"
	for p in "${OWNED[@]}"; do
		stop_pid "${p%%:*}"
	done
	rm -f "$WG_RUN/$IF_A.sock" "$WG_RUN/$IF_B.sock" "$WG_RUN/$IF_A.name" "$WG_RUN/$IF_B.name"
	rm -f "$WG_RUN/$IF_C.sock" "$WG_RUN/$IF_C.name"
	for ((i = ${#CREATED_NS[@]} - 1; i >= 0; i--)); do
		ip netns del "${CREATED_NS[$i]}" 2>/dev/null
	done
	if [ "${BENCH_KEEP_TMP:-0}" = 1 ]; then
		echo "bench: kept $TMP" >&2
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM HUP
trap 'exit 130' INT

nsa() { ip netns exec "$NS_A" "$@"; }
nsb() { ip netns exec "$NS_B" "$@"; }
nsc() { ip netns exec "$NS_C" "$@"; }

# wait_for SECONDS CMD...: poll every 0.05 s.
wait_for()
{
	local end=$(( $(date +%s%N) + $1 * 1000000000 ))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# The paced sendmmsg/recvmmsg load generator of the blastknee scenario.
BLAST=$BUILD_DIR/micro/udpblast
mkdir -p "$BUILD_DIR/micro"
cc -std=c11 -O2 -Wall -Wextra "$BENCH_DIR/udpblast.c" -o "$BLAST" || die "compiling bench/udpblast.c failed"

# The handshake flooder of the hsflood scenario: mac1 needs crypto/'s BLAKE2s, and uwg's crypto
# library may carry OpenSSL's AEAD assembly from the static libcrypto (see CMakeLists.txt).
# The storm generator of the peers scenario uses core/'s Noise and cookies as well.
HSFLOOD=$BUILD_DIR/micro/hsflood
HSSTORM=$BUILD_DIR/micro/hsstorm
hs_libs=()
if grep -q '^UWG_LIBCRYPTO_ASM:INTERNAL=1' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
	hs_libs=("$(sed -n 's/^UWG_LIBCRYPTO_A:FILEPATH=//p' "$BUILD_DIR/CMakeCache.txt")")
fi
if [ "$HSFLOOD_ON" = 1 ]; then
	cc -std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -I"$SRC_DIR" "$BENCH_DIR/hsflood.c" \
		"$BUILD_DIR/libuwg_crypto.a" -lsodium "${hs_libs[@]}" -o "$HSFLOOD" ||
		die "compiling bench/hsflood.c failed"
fi
if [ "$PEERS_ON" = 1 ]; then
	cc -std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -I"$SRC_DIR" "$BENCH_DIR/hsstorm.c" \
		"$BUILD_DIR/libuwg_core.a" "$BUILD_DIR/libuwg_crypto.a" -lsodium "${hs_libs[@]}" \
		-o "$HSSTORM" || die "compiling bench/hsstorm.c failed"
fi

# ---------------------------------------------------------------- micro-benchmarks

if [ "$MICRO" = 1 ]; then
	note "micro-benchmarks (${MICRO_S} s x $MICRO_RUNS runs per point)"
	mdir=$BUILD_DIR/micro
	mkdir -p "$mdir"
	ssl_cflags=()
	ssl_libs=()
	if pkg-config --exists libcrypto 2>/dev/null; then
		ssl_cflags=(-DBENCH_HAVE_OPENSSL)
		read -r -a ssl_libs <<<"$(pkg-config --libs libcrypto)"
	fi
	# uwg's AEAD may use OpenSSL's assembly from the static libcrypto (see CMakeLists.txt).
	if grep -q '^UWG_LIBCRYPTO_ASM:INTERNAL=1' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
		ssl_libs=("$(sed -n 's/^UWG_LIBCRYPTO_A:FILEPATH=//p' "$BUILD_DIR/CMakeCache.txt")" "${ssl_libs[@]}")
	fi
	for m in crypto handshake; do
		cc -std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra "${ssl_cflags[@]}" -I"$SRC_DIR" \
			"$BENCH_DIR/micro_$m.c" "$BUILD_DIR/libuwg_core.a" "$BUILD_DIR/libuwg_crypto.a" \
			-lsodium "${ssl_libs[@]}" -o "$mdir/micro_$m" || die "compiling bench/micro_$m.c failed"
	done
	timeout 600 "$mdir/micro_crypto" "$MICRO_S" "$MICRO_RUNS" >>"$MICRO_OUT" || die "micro_crypto failed"
	timeout 120 "$mdir/micro_handshake" "$MICRO_S" "$MICRO_RUNS" 0 >>"$MICRO_OUT" || die "micro_handshake failed"
	timeout 120 "$mdir/micro_handshake" "$MICRO_S" "$MICRO_RUNS" 1 >>"$MICRO_OUT" || die "micro_handshake failed"
fi

# ---------------------------------------------------------------- lab

note "lab: namespaces $NS_A / $NS_B, veth $OUT_A <-> $OUT_B, tunnel $IN_A <-> $IN_B"
for ns in "$NS_A" "$NS_B"; do
	ip netns add "$ns" || die "ip netns add $ns"
	CREATED_NS+=("$ns")
	ip -n "$ns" link set lo up
done
ip -n "$NS_A" link add "$VETH_A" type veth peer name "$VETH_B" netns "$NS_B" || die "veth"
ip -n "$NS_A" addr add "$OUT_A/25" dev "$VETH_A"
ip -n "$NS_B" addr add "$OUT_B/25" dev "$VETH_B"
ip -n "$NS_A" link set "$VETH_A" up
ip -n "$NS_B" link set "$VETH_B" up
C_ON=0
[ "$HSFLOOD_ON" = 1 ] || [ "$PEERS_ON" = 1 ] && C_ON=1
if [ "$C_ON" = 1 ]; then
	ip netns add "$NS_C" || die "ip netns add $NS_C"
	CREATED_NS+=("$NS_C")
	ip -n "$NS_C" link set lo up
	ip -n "$NS_B" link add "$VETH_BC" type veth peer name "$VETH_C" netns "$NS_C" || die "veth b-c"
	ip -n "$NS_B" addr add "$B_FOR_C/29" dev "$VETH_BC"
	ip -n "$NS_C" addr add "$C_ADDR/29" dev "$VETH_C"
	ip -n "$NS_C" addr add "$FLOOD_SRC/29" dev "$VETH_C"  # secondary: the flooder binds it
	ip -n "$NS_B" link set "$VETH_BC" up
	ip -n "$NS_C" link set "$VETH_C" up
	if [ "$PEERS_ON" = 1 ]; then
		# On c's loopback and routed by B through c's one address: B needs one neighbour
		# entry, not thousands (the neighbour table's default limit is 1024 entries).
		for i in $(seq 0 $((STORM_SOURCES - 1))); do
			echo "addr add 10.200.$((1 + i / 256)).$((i % 256))/32 dev lo"
		done | ip -n "$NS_C" -batch - || die "adding the storm's source addresses"
		ip -n "$NS_B" route add 10.200.0.0/16 via "$C_ADDR" || die "route to the storm's sources"
	fi
fi

set_offloads()
{
	local ns=$1 dev=$2
	case $OFFLOADS in
	off) ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off >/dev/null 2>&1 ;;
	on) ip netns exec "$ns" ethtool -K "$dev" tso on gso on gro on >/dev/null 2>&1 ;;
	default) ;;
	esac
}
set_offloads "$NS_A" "$VETH_A"
set_offloads "$NS_B" "$VETH_B"
if [ "$C_ON" = 1 ]; then
	set_offloads "$NS_B" "$VETH_BC"
	set_offloads "$NS_C" "$VETH_C"
fi

# offload_summary NS DEV: "tso=on gso=on gro=off ..." from ethtool -k.
offload_summary()
{
	ip netns exec "$1" ethtool -k "$2" 2>/dev/null | awk -F': ' '
		/^tcp-segmentation-offload:/ { o = o " tso=" $2 }
		/^generic-segmentation-offload:/ { o = o " gso=" $2 }
		/^generic-receive-offload:/ { o = o " gro=" $2 }
		/^rx-udp-gro-forwarding:/ { o = o " udp-gro-fwd=" $2 }
		/^tx-udp-segmentation:/ { o = o " uso=" $2 }
		/^tx-checksumming:/ { o = o " txcsum=" $2 }
		END { sub(/^ /, "", o); print o }' | sed 's/ \[fixed\]//g'
}
VETH_OFFLOADS="$VETH_A: $(offload_summary "$NS_A" "$VETH_A"); $VETH_B: $(offload_summary "$NS_B" "$VETH_B")"
note "veth offloads ($OFFLOADS): $VETH_OFFLOADS"

KEY_A=$(wg genkey); KEY_B=$(wg genkey); KEY_C=$(wg genkey)
PUB_A=$(wg pubkey <<<"$KEY_A"); PUB_B=$(wg pubkey <<<"$KEY_B"); PUB_C=$(wg pubkey <<<"$KEY_C")
(umask 077; printf '%s\n' "$KEY_A" >"$TMP/a.key"; printf '%s\n' "$KEY_B" >"$TMP/b.key"; printf '%s\n' "$KEY_C" >"$TMP/c.key")
if [ "$PEERS_ON" = 1 ]; then
	# B's one-peer state, what the peers scenario syncs back to; and the peer sets it adds.
	(umask 077; printf '[Interface]\nPrivateKey = %s\nListenPort = %s\n\n[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\nEndpoint = %s:%s\n' \
		"$KEY_B" "$PORT" "$PUB_A" "$IN_A" "$OUT_A" "$PORT" >"$TMP/b-base.conf")
	for n in $PEER_COUNTS; do
		timeout 300 "$HSSTORM" peers -n "$n" -s 1 -f conf >"$TMP/peers-$n.conf" ||
			die "hsstorm peers -n $n failed"
	done
fi

iperf_a=(); iperf_b=(); pin_a=(); pin_b=()
if [ "$PIN" = split ]; then
	pin_a=(taskset -c 0); pin_b=(taskset -c 1); iperf_a=(-A 0); iperf_b=(-A 1)
fi

iperf_server_start()
{
	# Not through the nsb function: a backgrounded function is a subshell, and $! must be
	# the process itself (ip netns exec execs timeout, which passes SIGTERM on to iperf3).
	ip netns exec "$NS_B" timeout $(( 3600 * 6 )) iperf3 -s -p "$IPERF_PORT" "${iperf_b[@]}" >"$TMP/iperf-server.log" 2>&1 </dev/null &
	IPERF_PID=$!
	own "$IPERF_PID"
	wait_for 5 sh -c "ip netns exec '$NS_B' ss -Htln 'sport = :$IPERF_PORT' | grep -q ." ||
		die "iperf3 server did not start"
}

# Warm-up and a raw-veth reference (iperf3 over the veth, no tunnel; not compared).
iperf_server_start
note "raw veth TCP reference (warm-up, ${DUR} s)"
RAW_VETH_GBPS=null
if nsa timeout $((DUR + 20)) iperf3 -c "$OUT_B" -p "$IPERF_PORT" -t "$DUR" -J "${iperf_a[@]}" >"$TMP/raw.json" 2>/dev/null; then
	RAW_VETH_GBPS=$("$PY" "$BENCH_DIR/bench.py" iperf-tcp "$TMP/raw.json" | cut -d' ' -f1)
fi

# ---------------------------------------------------------------- daemons

# daemon_start SLOT(a|b|c) BIN: start BIN -f IFNAME in its namespace, wait for TUN + socket.
daemon_start()
{
	local slot=$1 bin=$2 ns ifn pid pinp
	if [ "$slot" = a ]; then ns=$NS_A; ifn=$IF_A; pinp=("${pin_a[@]}");
	elif [ "$slot" = c ]; then ns=$NS_C; ifn=$IF_C; pinp=();
	else ns=$NS_B; ifn=$IF_B; pinp=("${pin_b[@]}"); fi
	rm -f "$WG_RUN/$ifn.sock"
	# ip netns exec, env and taskset all exec in place, so $! is the daemon itself.
	ip netns exec "$ns" env LOG_LEVEL=error "${pinp[@]}" "$bin" -f "$ifn" \
		>>"$TMP/daemon-$slot.log" 2>&1 </dev/null &
	pid=$!
	own "$pid"
	if ! wait_for 10 sh -c "[ -S '$WG_RUN/$ifn.sock' ] && ip -n '$ns' link show '$ifn'"; then
		tail -n 5 "$TMP/daemon-$slot.log" >&2
		die "$bin -f $ifn did not create its TUN and socket within 10 s"
	fi
	pid_alive "$pid" || die "$bin -f $ifn exited: $(tail -n 3 "$TMP/daemon-$slot.log")"
	if [ "$slot" = a ]; then DPID_A=$pid; elif [ "$slot" = c ]; then DPID_C=$pid; else DPID_B=$pid; fi
}

daemons_stop()
{
	stop_pid "$DPID_A"
	stop_pid "$DPID_B"
	stop_pid "$DPID_C"
	DPID_A=""
	DPID_B=""
	DPID_C=""
	rm -f "$WG_RUN/$IF_A.sock" "$WG_RUN/$IF_B.sock" "$WG_RUN/$IF_C.sock"
}

# pair_up BIN: both daemons, addresses, keys, peers, first handshake.
pair_up()
{
	local bin=$1
	daemon_start a "$bin"
	daemon_start b "$bin"
	ip -n "$NS_A" link set "$IF_A" mtu 1420
	ip -n "$NS_B" link set "$IF_B" mtu 1420
	ip -n "$NS_A" addr add "$IN_A/25" dev "$IF_A"
	ip -n "$NS_B" addr add "$IN_B/25" dev "$IF_B"
	ip -n "$NS_A" addr add "$IN_A6/64" dev "$IF_A" nodad
	ip -n "$NS_B" addr add "$IN_B6/64" dev "$IF_B" nodad
	ip -n "$NS_A" link set "$IF_A" up
	ip -n "$NS_B" link set "$IF_B" up
	nsb wg set "$IF_B" private-key "$TMP/b.key" listen-port "$PORT" peer "$PUB_A" \
		allowed-ips "$IN_A/32,$IN_A6/128" endpoint "$OUT_A:$PORT" || die "wg set on B failed"
	nsa wg set "$IF_A" private-key "$TMP/a.key" listen-port "$PORT" peer "$PUB_B" \
		allowed-ips "$IN_B/32,$IN_B6/128" endpoint "$OUT_B:$PORT" || die "wg set on A failed"
	wait_for 10 sh -c "ip netns exec '$NS_A' ss -Huln 'sport = :$PORT' | grep -q ." || die "A never bound UDP $PORT"
	wait_for 10 sh -c "ip netns exec '$NS_B' ss -Huln 'sport = :$PORT' | grep -q ." || die "B never bound UDP $PORT"
	local i
	for i in $(seq 1 10); do
		nsa ping -n -q -c 1 -W 1 "$IN_B" >/dev/null 2>&1 && break
		[ "$i" = 10 ] && die "no ping through the tunnel with $bin"
	done
	nsa ping -n -q -c 3 -i 0.2 -W 1 "$IN_B" >/dev/null 2>&1
}

cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
kb_to_mb() { [ -n "$1" ] && awk -v x="$1" 'BEGIN { printf "%.2f", x / 1024 }' || echo null; }
# shellcheck disable=SC2016
snmp_udp() { ip netns exec "$1" awk -v f="$2" '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == f) c = i; h = 1 } else print $c }' /proc/net/snmp; }
tun_tx_drops() { ip -n "$1" -s link show "$2" | awk '/TX:/ { getline; print $4; exit }'; }

# busy_pct: whole-machine CPU busy % over 1 s (noise indicator recorded per block).
busy_pct()
{
	local a b
	a=$(awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $5+$6 }' /proc/stat)
	sleep 1
	b=$(awk '/^cpu / { print $2+$3+$4+$7+$8+$9, $5+$6 }' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
		busy = y[1] - x[1]; idle = y[2] - x[2]; printf "%.1f", 100 * busy / (busy + idle + 1e-9) }'
}

# ---------------------------------------------------------------- recording

CUR_LABEL=""; CUR_SLOT=""; CUR_REP=0
rec()
{
	local v=$2
	[[ "$v" =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]] || v=null
	printf '{"slot":"%s","impl":"%s","rep":%d,"metric":"%s","value":%s}\n' \
		"$CUR_SLOT" "$CUR_LABEL" "$CUR_REP" "$1" "$v" >>"$RAW"
}
fdiv() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "null"; else printf "%.6g", a / b }'; }

# ---------------------------------------------------------------- scenarios

sc_ping()
{
	local out st
	out=$(nsa timeout $(( PINGS / 50 + 20 )) ping -n -c "$PINGS" -i 0.01 -W 2 "$IN_B" 2>&1)
	st=$("$PY" "$BENCH_DIR/bench.py" pingstats <<<"$out")
	read -r med p99 _replies loss <<<"$st"
	rec ping_median_ms "$med"
	rec ping_p99_ms "$p99"
	rec ping_loss_pct "$loss"
	note "  ping: median $med ms, p99 $p99 ms, loss $loss %"
}

# sc_tcp NAME STREAMS [DST] (the goodput is also left in TCP_LAST, null if the run failed)
TCP_LAST=null
sc_tcp()
{
	local name=$1 streams=$2 dst=${3:-$IN_B} ca0 cb0 ca1 cb1 rb0 rb1 out gbps retr secs
	TCP_LAST=null
	rb0=$(snmp_udp "$NS_B" RcvbufErrors)
	ca0=$(cpu_ticks "$DPID_A"); cb0=$(cpu_ticks "$DPID_B")
	if ! nsa timeout $((DUR + 20)) iperf3 -c "$dst" -p "$IPERF_PORT" -t "$DUR" -P "$streams" -J \
		"${iperf_a[@]}" >"$TMP/$name.json" 2>"$TMP/$name.err"; then
		note "  $name: iperf3 failed: $(head -c 300 "$TMP/$name.json" "$TMP/$name.err" | tr '\n' ' ')"
		rec "${name}_gbps" null
		return
	fi
	ca1=$(cpu_ticks "$DPID_A"); cb1=$(cpu_ticks "$DPID_B")
	rb1=$(snmp_udp "$NS_B" RcvbufErrors)
	out=$("$PY" "$BENCH_DIR/bench.py" iperf-tcp "$TMP/$name.json") || { rec "${name}_gbps" null; return; }
	read -r gbps retr secs <<<"$out"
	local cores_a cores_b cores
	cores_a=$(awk -v d=$((ca1 - ca0)) -v t="$CLK_TCK" -v s="$secs" 'BEGIN { printf "%.4f", d / t / s }')
	cores_b=$(awk -v d=$((cb1 - cb0)) -v t="$CLK_TCK" -v s="$secs" 'BEGIN { printf "%.4f", d / t / s }')
	cores=$(awk -v a="$cores_a" -v b="$cores_b" 'BEGIN { printf "%.4f", a + b }')
	TCP_LAST=$gbps
	rec "${name}_gbps" "$gbps"
	rec "${name}_retrans" "$retr"
	rec "${name}_cpu_cores" "$cores"
	rec "${name}_cpu_a_cores" "$cores_a"
	rec "${name}_cpu_b_cores" "$cores_b"
	rec "${name}_cpu_per_gbps" "$(fdiv "$cores" "$gbps")"
	rec "${name}_rcvbuf_errors_b" "$((rb1 - rb0))"
	note "  $name: $gbps Gbit/s, retrans $retr, daemon CPU $cores cores (A $cores_a, B $cores_b), B RcvbufErrors +$((rb1 - rb0))"
}

# sc_udp NAME PAYLOAD
sc_udp()
{
	local name=$1 len=$2 out rx off loss secs rb0 rb1 td0 td1
	rb0=$(snmp_udp "$NS_B" RcvbufErrors)
	td0=$(tun_tx_drops "$NS_A" "$IF_A")
	if ! nsa timeout $((DUR + 20)) iperf3 -c "$IN_B" -p "$IPERF_PORT" -u -b "$UDP_RATE" -l "$len" \
		-t "$DUR" -J "${iperf_a[@]}" >"$TMP/$name.json" 2>"$TMP/$name.err"; then
		note "  $name: iperf3 failed: $(head -c 300 "$TMP/$name.json" "$TMP/$name.err" | tr '\n' ' ')"
		rec "${name}_rx_kpps" null
		return
	fi
	rb1=$(snmp_udp "$NS_B" RcvbufErrors)
	td1=$(tun_tx_drops "$NS_A" "$IF_A")
	out=$("$PY" "$BENCH_DIR/bench.py" iperf-udp "$TMP/$name.json" "$len") || { rec "${name}_rx_kpps" null; return; }
	read -r rx off loss secs <<<"$out"
	rec "${name}_rx_kpps" "$rx"
	rec "${name}_offered_kpps" "$off"
	rec "${name}_loss_pct" "$loss"
	rec "${name}_rcvbuf_errors_b" "$((rb1 - rb0))"
	rec "${name}_tun_tx_drops_a" "$((td1 - td0))"
	note "  $name: received $rx kpps of $off offered, loss $loss %, B RcvbufErrors +$((rb1 - rb0)), TUN A tx drops +$((td1 - td0))"
}

# step_iperf DST MBITS: one knee step with iperf3 (1380-byte datagrams); prints "RX_KPPS LOSS_PCT".
step_iperf()
{
	nsa timeout $((KNEE_DUR + 20)) iperf3 -c "$1" -p "$IPERF_PORT" -u -b "${2}M" -l 1380 \
		-t "$KNEE_DUR" -J "${iperf_a[@]}" >"$TMP/knee.json" 2>"$TMP/knee.err" || return 1
	"$PY" "$BENCH_DIR/bench.py" iperf-udp "$TMP/knee.json" 1380 | cut -d' ' -f1,3
}

# step_blast DST KPPS: one knee step with bench/udpblast (paced sendmmsg, recvmmsg sink).
step_blast()
{
	local rpid sent got
	nsb timeout $((KNEE_DUR + 15)) "$BLAST" recv "$BLAST_PORT" $((KNEE_DUR + 10)) >"$TMP/blast-rx.json" 2>"$TMP/blast.err" &
	rpid=$!
	own "$rpid"
	wait_for 5 grep -q ready "$TMP/blast-rx.json" || { stop_pid "$rpid"; return 1; }
	sent=$(nsa timeout $((KNEE_DUR + 10)) "$BLAST" send "$1" "$BLAST_PORT" 1380 "${2}000" "$KNEE_DUR" 2>>"$TMP/blast.err") ||
		{ stop_pid "$rpid"; return 1; }
	wait "$rpid" 2>/dev/null
	got=$(tail -n 1 "$TMP/blast-rx.json")
	"$PY" -c 'import json,sys; s=json.loads(sys.argv[1]); r=json.loads(sys.argv[2])
print("%.3f %.3f" % (r["received"] / s["seconds"] / 1e3, max(0.0, 100.0 * (1 - r["received"] / s["sent"]))))' "$sent" "$got"
}

# sweep STEP DST RATES...: runs STEP at each rate (ascending) and prints "KPPS RATE STEPS": the
# most received of a step with less than KNEE_LOSS % loss. Two failed steps in a row end it.
sweep()
{
	local step=$1 dst=$2 rate out rx loss best=0 best_rate=0 fails=0 steps=""
	shift 2
	for rate in "$@"; do
		out=$("$step" "$dst" "$rate") || break
		read -r rx loss <<<"$out"
		steps+=" ${rate}:${rx}kpps/${loss}%"
		if awk -v l="$loss" -v m="$KNEE_LOSS" 'BEGIN { exit !(l < m) }'; then
			fails=0
			if awk -v a="$rx" -v b="$best" 'BEGIN { exit !(a > b) }'; then
				best=$rx; best_rate=$rate
			fi
		else
			fails=$((fails + 1))
			[ "$fails" -ge 2 ] && break
		fi
	done
	echo "$best $best_rate$steps"
}
knee_sweep() { sweep step_iperf "$1" $KNEE_RATES; }
blast_sweep() { sweep step_blast "$1" $BLAST_RATES; }

sc_blastknee()
{
	local best rate steps
	read -r best rate steps <<<"$(blast_sweep "$IN_B")"
	rec blastknee_kpps "$best"
	rec blastknee_rate_kpps "$rate"
	note "  blastknee: $best kpps at < $KNEE_LOSS % loss (offered ${rate} kpps); steps: $steps"
}

sc_udpknee()
{
	local best rate steps
	read -r best rate steps <<<"$(knee_sweep "$IN_B")"
	rec udpknee_kpps "$best"
	rec udpknee_rate_mbps "$rate"
	note "  udpknee: $best kpps at < $KNEE_LOSS % loss (offered ${rate}M); steps: $steps"
}

sc_hs()
{
	local ca0 cb0 ca1 cb1 out n
	ca0=$(cpu_ticks "$DPID_A"); cb0=$(cpu_ticks "$DPID_B")
	out=$(nsa timeout $((HS_DUR + 30)) "$PY" "$BENCH_DIR/bench.py" handshakes \
		--sock-a "$WG_RUN/$IF_A.sock" --sock-b "$WG_RUN/$IF_B.sock" \
		--pub-a "$PUB_A" --pub-b "$PUB_B" --ep-a "$OUT_A:$PORT" --ep-b "$OUT_B:$PORT" \
		--aip-a "$IN_A/32" --aip-b "$IN_B/32" --dst "$IN_B" --duration "$HS_DUR" 2>"$TMP/hs.err")
	if [ -z "$out" ]; then
		note "  hs: driver failed: $(tail -n 3 "$TMP/hs.err" | tr '\n' ' ')"
		rec hs_per_s null
		return
	fi
	ca1=$(cpu_ticks "$DPID_A"); cb1=$(cpu_ticks "$DPID_B")
	n=$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["completed"] + d["failed"])' "$out")
	rec hs_per_s "$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["per_s"])' "$out")"
	rec hs_first_rtt_ms "$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["first_rtt_ms_median"])' "$out")"
	rec hs_cycle_ms "$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["cycle_ms_median"])' "$out")"
	rec hs_uapi_ms "$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["uapi_ms_median"])' "$out")"
	rec hs_failed "$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["failed"])' "$out")"
	rec hs_cpu_us "$(awk -v d=$((ca1 - ca0 + cb1 - cb0)) -v t="$CLK_TCK" -v n="$n" 'BEGIN { if (n > 0) printf "%.2f", d / t / n * 1e6; else print "null" }')"
	note "  hs: $out"
}

# json_field FILE KEY: one top-level value of the JSON object in FILE ("null" if absent or unreadable).
json_field()
{
	"$PY" -c 'import json,sys
try:
    v = json.load(open(sys.argv[1])).get(sys.argv[2])
except (OSError, ValueError):
    v = None
print("null" if v is None else v)' "$1" "$2"
}

# hsflood_phase NAME RATE CLIENT: one TCP run (sc_tcp NAME 1: iperf3 a -> b, DUR s) with a
# ping from a every 10 ms alongside. RATE "none" = no flood; N = N initiations/s, 0 = as fast as
# it goes, from bench/hsflood in namespace c (its own address), started 1 s before the TCP run and
# stopping after it. CLIENT=1: the new client C also tries its first handshake with B meanwhile
# (bench.py firstreply: an echo every 0.2 s from C until the first reply or the time limit).
hsflood_phase()
{
	local name=$1 rate=$2 client=$3 flood_s=$((DUR + 3)) fpid="" ppid cpid="" st sent secs
	if [ "$client" = 1 ] && [ "$flood_s" -lt $((HSFLOOD_CLIENT_WAIT + 3)) ]; then
		flood_s=$((HSFLOOD_CLIENT_WAIT + 3))
	fi
	# Not through nsc: $! must be the process itself, which then runs under timeout.
	if [ "$rate" != none ]; then
		ip netns exec "$NS_C" timeout $((flood_s + 10)) "$HSFLOOD" -b "$FLOOD_SRC" -r "$rate" \
			-t "$flood_s" "$B_FOR_C" "$PORT" "$PUB_B" >"$TMP/$name-flood.json" \
			2>"$TMP/$name-flood.err" </dev/null &
		fpid=$!
		own "$fpid"
		sleep 1
	fi
	if [ "$client" = 1 ]; then
		ip netns exec "$NS_C" timeout $((HSFLOOD_CLIENT_WAIT + 10)) "$PY" "$BENCH_DIR/bench.py" \
			firstreply --dst "$IN_B" --timeout "$HSFLOOD_CLIENT_WAIT" >"$TMP/$name-client.json" \
			2>"$TMP/$name-client.err" </dev/null &
		cpid=$!
		own "$cpid"
	fi
	ip netns exec "$NS_A" timeout $((DUR + 10)) ping -n -i 0.01 -c $((DUR * 100)) -W 1 "$IN_B" \
		>"$TMP/$name-ping.txt" 2>&1 </dev/null &
	ppid=$!
	own "$ppid"
	sc_tcp "$name" 1
	if [ "$rate" = none ]; then
		HSF_BASE=$TCP_LAST
	else
		local kept
		kept=$(awk -v g="$TCP_LAST" -v b="$HSF_BASE" 'BEGIN { if (g == "null" || b == "null" || b + 0 == 0) print "null"; else printf "%.1f", 100 * g / b }')
		rec "${name}_kept_pct" "$kept"
		printf -v "HSF_KEPT_${name#hsflood_}" '%s' "$kept"
	fi
	wait "$ppid" 2>/dev/null
	st=$("$PY" "$BENCH_DIR/bench.py" pingstats <"$TMP/$name-ping.txt")
	read -r _ p99 _ loss <<<"$st"
	rec "${name}_ping_loss_pct" "$loss"
	rec "${name}_ping_p99_ms" "$p99"
	note "  $name: ping alongside: loss $loss %, p99 $p99 ms"
	if [ -n "$cpid" ]; then
		wait "$cpid" 2>/dev/null
		local first
		first=$(json_field "$TMP/$name-client.json" first_reply_s)
		rec hsflood_client_s "$first"
		if [ "$first" != null ] && awk -v x="$first" 'BEGIN { exit !(x <= 10) }'; then
			rec hsflood_client_ok 1
		else
			rec hsflood_client_ok 0
		fi
		note "  $name: new client's first reply through B after ${first} s (limit $HSFLOOD_CLIENT_WAIT s; $(tr -d '\n' <"$TMP/$name-client.err" | head -c 200))"
	fi
	if [ -n "$fpid" ]; then
		wait "$fpid" 2>/dev/null
		sent=$(json_field "$TMP/$name-flood.json" sent)
		secs=$(json_field "$TMP/$name-flood.json" seconds)
		rec "${name}_flood_kpps" "$(fdiv "$(fdiv "$sent" "$secs")" 1000)"
		rec "${name}_flood_replies_per_s" "$(fdiv "$(json_field "$TMP/$name-flood.json" replies)" "$secs")"
		# The flooder's own CPU share: on 2 cores, what is left for iperf3 and both daemons.
		rec "${name}_flood_cpu_cores" "$(fdiv "$(json_field "$TMP/$name-flood.json" cpu_s)" "$secs")"
		note "  $name: flooder $(cat "$TMP/$name-flood.json" 2>/dev/null) $(head -c 200 "$TMP/$name-flood.err" 2>/dev/null)"
	fi
}

# Handshake flood against B: TCP goodput at baseline, under BENCH_HSFLOOD_RATE initiations/s
# and under the flooder's full rate (each also as a share of this block's baseline), ping loss
# alongside, B's peak RSS over the three, and whether a new client completes a handshake with B
# within 10 s during the full-rate flood. C runs the block's implementation too.
sc_hsflood()
{
	HSF_BASE=null; HSF_KEPT_paced=""; HSF_KEPT_full=""
	nsb wg set "$IF_B" peer "$PUB_C" allowed-ips "$IN_C/32" || { note "  hsflood: wg set on B failed"; return; }
	daemon_start c "$bin"
	ip -n "$NS_C" link set "$IF_C" mtu 1420
	ip -n "$NS_C" addr add "$IN_C/25" dev "$IF_C"
	ip -n "$NS_C" link set "$IF_C" up
	nsc wg set "$IF_C" private-key "$TMP/c.key" listen-port "$PORT" peer "$PUB_B" \
		allowed-ips "$IN_B/32" endpoint "$B_FOR_C:$PORT" || { note "  hsflood: wg set on C failed"; return; }
	echo 5 >"/proc/$DPID_B/clear_refs" 2>/dev/null || note "  hsflood: clear_refs not writable: B's peak RSS is its lifetime peak"
	hsflood_phase hsflood_base none 0
	hsflood_phase hsflood_paced "$HSFLOOD_RATE" 0
	hsflood_phase hsflood_full 0 1
	rec hsflood_rss_peak_b_mb "$(kb_to_mb "$(status_kb "$DPID_B" VmHWM)")"
	note "  hsflood: TCP kept ${HSF_KEPT_paced:-?} % of the baseline at $HSFLOOD_RATE/s, ${HSF_KEPT_full:-?} % at full rate"
}

# The peers scenario: for each size N of BENCH_PEERS, on a fresh B (which holds peer A): add N peers
# (hsstorm's deterministic identities, one /32 each) with `wg addconf` and time it, B's RSS
# with them (and per peer above what B had before), `wg show dump` (best of 3), TCP 1 stream
# through peer A with all of them configured (and as a share of the same daemons' figure before
# any were added), a handshake storm of all N identities from c (STORM_SOURCES addresses; bench/hsstorm),
# B's RSS after it, and the removal of all N with `wg syncconf` back to B's one-peer file.
sc_peers()
{
	local n t0 t1 rss0 rss1 best i lines out tcp_base first=1
	for n in $PEER_COUNTS; do
		# Fresh daemons for each size: a heap that held the previous size's sessions would
		# hide the new peers' memory (run_block's $bin is the implementation).
		if [ "$first" = 0 ]; then
			daemons_stop
			pair_up "$bin"
			sleep 1
		fi
		first=0
		pid_alive "$DPID_B" || { note "  peers: daemon B died"; return; }
		sc_tcp "peers_${n}_tcp_base" 1
		tcp_base=$TCP_LAST
		rss0=$(status_kb "$DPID_B" VmRSS)
		t0=$(date +%s%N)
		if ! nsb timeout $((60 + n / 200)) wg addconf "$IF_B" "$TMP/peers-$n.conf" 2>"$TMP/peers.err"; then
			# wireguard-go stops at its MaxPeers (65536): say how far it got.
			i=$(nsb timeout 60 wg show "$IF_B" peers | wc -l)
			rec "peers_${n}_configured" "$((i - 1))"
			note "  peers $n: wg addconf failed after $((i - 1)) of $n peers: $(head -c 200 "$TMP/peers.err")"
			continue
		fi
		rec "peers_${n}_configured" "$n"
		t1=$(date +%s%N)
		local set_s
		set_s=$(fdiv $((t1 - t0)) 1000000000)
		rec "peers_${n}_setconf_s" "$set_s"
		sleep 1
		rss1=$(status_kb "$DPID_B" VmRSS)
		rec "peers_${n}_rss_mb" "$(kb_to_mb "$rss1")"
		rec "peers_${n}_kib_per_peer" "$(fdiv $((rss1 - rss0)) "$n")"
		best=""
		for i in 1 2 3; do
			t0=$(date +%s%N)
			nsb timeout $((30 + n / 1000)) wg show "$IF_B" dump >"$TMP/dump.txt" || break
			t1=$(date +%s%N)
			if [ -z "$best" ] || [ $((t1 - t0)) -lt "$best" ]; then best=$((t1 - t0)); fi
		done
		lines=$(wc -l <"$TMP/dump.txt")
		best=$(fdiv "$best" 1000000000)
		rec "peers_${n}_dump_s" "$best"
		note "  peers $n: addconf $set_s s, RSS $(kb_to_mb "$rss0") -> $(kb_to_mb "$rss1") MB, dump $best s ($lines lines)"
		sc_tcp "peers_${n}_tcp" 1
		rec "peers_${n}_tcp_gbps" "$TCP_LAST"
		rec "peers_${n}_tcp_kept_pct" "$(awk -v g="$TCP_LAST" -v b="$tcp_base" 'BEGIN { if (g == "null" || b == "null" || b + 0 == 0) print "null"; else printf "%.1f", 100 * g / b }')"
		out=$(ip netns exec "$NS_C" timeout $((180 + n / 200)) "$HSSTORM" storm -n "$n" -s 1 -t 120 -w "$STORM_WINDOW" \
			-b "$STORM_BASE/$STORM_SOURCES" "$B_FOR_C" "$PORT" "$PUB_B" 2>"$TMP/storm.err" </dev/null)
		if [ -n "$out" ]; then
			for i in per_s completed failed cookie_replies regenerated gen_cpu_s; do
				rec "peers_${n}_storm_$i" "$(json_field <(printf '%s' "$out") "$i")"
			done
		else
			note "  peers $n: storm failed: $(tail -n 3 "$TMP/storm.err" | tr '\n' ' ')"
		fi
		rec "peers_${n}_rss_storm_mb" "$(kb_to_mb "$(status_kb "$DPID_B" VmRSS)")"
		note "  peers $n: storm $out"
		t0=$(date +%s%N)
		nsb timeout $((60 + n / 200)) wg syncconf "$IF_B" "$TMP/b-base.conf" ||
			{ note "  peers $n: wg syncconf failed"; return; }
		t1=$(date +%s%N)
		rec "peers_${n}_remove_s" "$(fdiv $((t1 - t0)) 1000000000)"
	done
}

# record_daemon_stats SIDE IFNAME: uwg's non-zero stats=1 counters for the whole block (drops,
# cookies, ...) into the JSON as stats_SIDE.NAME, and one log line. Nothing for wireguard-go.
record_daemon_stats()
{
	local out line
	out=$(timeout 10 "$PY" "$BENCH_DIR/bench.py" uapi-stats "$WG_RUN/$2.sock" 2>/dev/null) || return 0
	[ -n "$out" ] || return 0
	while IFS= read -r line; do
		rec "stats_$1.${line%%=*}" "${line#*=}"
	done <<<"$out"
	note "  daemon $1 counters: $(tr '\n' ' ' <<<"$out")"
}

# fw6_maybe SLOT: uwg's IPv6 firewall on the server B of this block if BENCH_FW6 names SLOT
# (it then filters what B's TUN sends to peer A: every reply of the tcp*v6 scenarios).
fw6_maybe()
{
	[ "$FW6" = "$1" ] || [ "$FW6" = both ] || return 0
	printf 'set=1\nfw6_enable=true\n\n' | timeout 10 socat -t 3 - "UNIX-CONNECT:$WG_RUN/$IF_B.sock" |
		grep -q '^errno=0$' || die "turning the IPv6 firewall on in B failed (not uwg?)"
	rec fw6_on 1
	note "  IPv6 firewall on in B"
}

# A complete block: fresh daemons of one implementation, all scenarios, daemons stopped.
TUN_OFF_A=""; TUN_OFF_B=""
run_block()
{
	local slot=$1 rep=$2 bin label busy s
	if [ "$slot" = a ]; then bin=$BIN_A; label=$LABEL_A; else bin=$BIN_B; label=$LABEL_B; fi
	CUR_SLOT=$slot; CUR_LABEL=$label; CUR_REP=$rep
	busy=$(busy_pct)
	note "rep $rep/$REPS: $label ($bin), machine busy before: $busy %"
	rec bg_busy_pct "$busy"
	pair_up "$bin"
	fw6_maybe "$slot"
	if [ "$slot" = a ]; then TUN_OFF_A=$(offload_summary "$NS_A" "$IF_A"); else TUN_OFF_B=$(offload_summary "$NS_A" "$IF_A"); fi
	sleep 1
	rec rss_idle_a_mb "$(kb_to_mb "$(status_kb "$DPID_A" VmRSS)")"
	rec rss_idle_b_mb "$(kb_to_mb "$(status_kb "$DPID_B" VmRSS)")"
	local udp_reset=0
	for s in $SCENARIOS; do
		if ! pid_alive "$DPID_A" || ! pid_alive "$DPID_B"; then
			note "  a daemon died; skipping the rest of this block"
			break
		fi
		case $s in
		ping) sc_ping ;;
		tcp1) sc_tcp tcp1 1 ;;
		tcp4) sc_tcp tcp4 4 ;;
		tcp1v6) sc_tcp tcp1v6 1 "$IN_B6" ;;
		tcp4v6) sc_tcp tcp4v6 4 "$IN_B6" ;;
		udp1380|udp64)
			if [ "$udp_reset" = 0 ]; then
				# VmHWM so far = peak through ping/TCP; then reset it (clear_refs 5) so the
				# peak read after the floods belongs to the floods alone.
				rec rss_peak_tcp_a_mb "$(kb_to_mb "$(status_kb "$DPID_A" VmHWM)")"
				rec rss_peak_tcp_b_mb "$(kb_to_mb "$(status_kb "$DPID_B" VmHWM)")"
				if echo 5 >"/proc/$DPID_A/clear_refs" 2>/dev/null && echo 5 >"/proc/$DPID_B/clear_refs" 2>/dev/null; then
					udp_reset=1
				else
					udp_reset=2
				fi
			fi
			if [ "$s" = udp1380 ]; then sc_udp udp1380 1380; else sc_udp udp64 64; fi
			;;
		udpknee) sc_udpknee ;;
		blastknee) sc_blastknee ;;
		hsflood) sc_hsflood ;;
		peers) sc_peers ;;
		hs)
			if [ "$udp_reset" != 0 ]; then
				rec rss_peak_udp_a_mb "$(kb_to_mb "$(status_kb "$DPID_A" VmHWM)")"
				rec rss_peak_udp_b_mb "$(kb_to_mb "$(status_kb "$DPID_B" VmHWM)")"
				udp_reset=3
			fi
			sc_hs
			;;
		esac
	done
	if [ "$udp_reset" = 1 ] || [ "$udp_reset" = 2 ]; then
		rec rss_peak_udp_a_mb "$(kb_to_mb "$(status_kb "$DPID_A" VmHWM)")"
		rec rss_peak_udp_b_mb "$(kb_to_mb "$(status_kb "$DPID_B" VmHWM)")"
	fi
	if [ "$udp_reset" = 2 ]; then
		note "  clear_refs not writable: UDP peak RSS is the lifetime peak"
	fi
	rec rss_end_a_mb "$(kb_to_mb "$(status_kb "$DPID_A" VmRSS)")"
	rec rss_end_b_mb "$(kb_to_mb "$(status_kb "$DPID_B" VmRSS)")"
	record_daemon_stats a "$IF_A"
	record_daemon_stats b "$IF_B"
	daemons_stop
}

# The same knee sweep without a tunnel: what iperf3 itself can offer and receive here.
RAW_KNEE_KPPS=null; RAW_KNEE_STEPS=""
if [[ " $SCENARIOS " == *" udpknee "* ]]; then
	read -r RAW_KNEE_KPPS _ RAW_KNEE_STEPS <<<"$(knee_sweep "$OUT_B")"
	note "raw veth UDP knee (reference): $RAW_KNEE_KPPS kpps; steps: $RAW_KNEE_STEPS"
fi
RAW_BLAST_KPPS=null; RAW_BLAST_STEPS=""
if [[ " $SCENARIOS " == *" blastknee "* ]]; then
	read -r RAW_BLAST_KPPS _ RAW_BLAST_STEPS <<<"$(blast_sweep "$OUT_B")"
	note "raw veth udpblast knee (reference): $RAW_BLAST_KPPS kpps; steps: $RAW_BLAST_STEPS"
fi

# ---------------------------------------------------------------- main loop (A B A B ...)

ver_a=$("$BIN_A" --version 2>&1 | head -n 1)
ver_b=$("$BIN_B" --version 2>&1 | head -n 1)
note "A=$LABEL_A: $BIN_A ($ver_a); B=$LABEL_B: $BIN_B ($ver_b); $REPS reps x $DUR s; scenarios: $SCENARIOS"
T_START=$(date +%s)
for rep in $(seq 1 "$REPS"); do
	run_block a "$rep"
	run_block b "$rep"
done
stop_pid "$IPERF_PID"
IPERF_PID=""
T_END=$(date +%s)

# ---------------------------------------------------------------- report

jstr() { "$PY" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
cat >"$TMP/env.json" <<EOF
{
 "timestamp_utc": $(jstr "$RUN_TS"),
 "label_a": $(jstr "$LABEL_A"), "label_b": $(jstr "$LABEL_B"),
 "bin_a": $(jstr "$BIN_A"), "bin_b": $(jstr "$BIN_B"),
 "version_a": $(jstr "$ver_a"), "version_b": $(jstr "$ver_b"),
 "git_commit": $(jstr "$(git -C "$SRC_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)"),
 "reps": $REPS, "duration_s": $DUR, "handshake_duration_s": $HS_DUR, "pings": $PINGS,
 "scenarios": $(jstr "$SCENARIOS"), "order": "A B A B (fresh daemons per block)",
 "udp_rate": $(jstr "$UDP_RATE"), "knee_rates_mbps": $(jstr "$KNEE_RATES"),
 "knee_duration_s": $KNEE_DUR, "knee_max_loss_pct": $KNEE_LOSS, "offloads": $(jstr "$OFFLOADS"), "pin": $(jstr "$PIN"),
 "veth_offloads": $(jstr "$VETH_OFFLOADS"),
 "tun_offloads_a": $(jstr "$TUN_OFF_A"), "tun_offloads_b": $(jstr "$TUN_OFF_B"),
 "raw_veth_tcp1_gbps": $RAW_VETH_GBPS, "raw_veth_knee_kpps": $RAW_KNEE_KPPS,
 "raw_veth_knee_steps": $(jstr "$RAW_KNEE_STEPS"),
 "raw_veth_blastknee_kpps": $RAW_BLAST_KPPS, "raw_veth_blastknee_steps": $(jstr "$RAW_BLAST_STEPS"),
 "blast_rates_kpps": $(jstr "$BLAST_RATES"),
 "kernel": $(jstr "$(uname -r)"), "nproc": $(nproc),
 "cpu": $(jstr "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"),
 "iperf3": $(jstr "$(iperf3 --version 2>&1 | head -n 1)"),
 "rmem_default": $(cat /proc/sys/net/core/rmem_default), "rmem_max": $(cat /proc/sys/net/core/rmem_max),
 "wall_seconds": $((T_END - T_START))
}
EOF
mkdir -p "$OUT_DIR"
"$PY" "$BENCH_DIR/bench.py" report --env "$TMP/env.json" --raw "$RAW" --micro "$MICRO_OUT" \
	--out "$OUT_DIR/$RUN_TS.json" --plot "$PLOT" || die "report failed"
echo "raw veth TCP 1 stream (reference, not a ratio): $RAW_VETH_GBPS Gbit/s"
echo "raw veth UDP 1380 B knee, no tunnel (reference, not a ratio): iperf3 $RAW_KNEE_KPPS kpps, udpblast $RAW_BLAST_KPPS kpps"
