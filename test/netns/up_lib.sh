# shellcheck shell=bash
# test/netns/up_lib.sh - helpers for the `uwg up`/`uwg down` tests (sourced by t_up_*.sh; not
# a test itself). Owns: a unique prefix per run, the three-namespace "internet" topology
# (srv and cli behind a router ns), config file writing, and an EXIT trap that removes only
# what this run created (namespaces, which takes their TUNs and so their daemons with them,
# state files, /etc/netns/<ns> dirs, the temp dir).
#
# Environment: UWG_BIN (the uwg binary under test; required). UWG_DAEMON, if set, is passed
# through to `uwg up` (e.g. /usr/bin/wireguard-go to exercise up/down against another daemon).
#
# Addresses, all inside this run's namespaces only:
#   srv <-> rtr: 203.0.114.2/28 - 203.0.114.1/28, 2001:db8:1::2/64 - 2001:db8:1::1/64
#   cli <-> rtr: 203.0.114.18/28 - 203.0.114.17/28, 2001:db8:2::2/64 - 2001:db8:2::1/64
#   tunnel: 10.100.0.0/24 and the routed prefix 2001:db8:1000:cafe::/80 (rtr routes
#   2001:db8:1000::/48 to srv).

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/need.sh"
need ip ping sysctl

T_NAME=$(basename "$0" .sh)
: "${UWG_BIN:?set UWG_BIN to the uwg binary}"
UWG=$UWG_BIN
[ "$(id -u)" = 0 ] || { echo "FAIL: $T_NAME: must run as root"; exit 1; }
[ -x "$UWG" ] || { echo "FAIL: $T_NAME: UWG_BIN=$UWG is not executable"; exit 1; }
if [ -n "${UWG_DAEMON:-}" ]; then
	export UWG_DAEMON
fi

T_ID=$(printf '%05x' $(( (RANDOM << 7 ^ RANDOM ^ $$) & 0xfffff )))
T_PFX="uwgu$T_ID"
T_TMP=$(mktemp -d "/tmp/uwgu.$T_ID.XXXXXX")
chmod 700 "$T_TMP"
T_NETNS=()
T_IFS=()
T_ETC=()

log() { printf '[%s] %s\n' "$T_NAME" "$*"; }
fail() { printf 'FAIL: %s: %s\n' "$T_NAME" "$*"; exit 1; }
pass() { printf 'PASS: %s%s\n' "$T_NAME" "${1:+ ($1)}"; exit 0; }

cleanup()
{
	local ns ifn d pids=()
	# Every process in our namespaces was started by this run (daemons via `uwg up`,
	# listeners); a daemon keeps its namespace and TUN alive, so stop them by PID first.
	for ns in "${T_NETNS[@]}"; do
		pids+=($(ip netns pids "$ns" 2>/dev/null))
	done
	[ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null
	for ifn in "${T_IFS[@]}"; do
		for _ in $(seq 1 50); do
			[ -S "/var/run/wireguard/$ifn.sock" ] || break
			sleep 0.1
		done
		rm -f "/var/run/uwg/$ifn.state" "/var/run/uwg/$ifn.state.tmp" "/var/lib/uwg/$ifn.leases"
	done
	for ns in "${T_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	for d in "${T_ETC[@]}"; do
		rm -rf "$d"
	done
	[ -n "${UWG_TEST_KEEP:-}" ] || rm -rf "$T_TMP"
}
trap cleanup EXIT

# ifname SUFFIX: an interface name unique to this run (<= 15 chars).
ifname() { printf 'u%s%s\n' "$T_ID" "$1"; }
nsname() { printf '%s-%s\n' "$T_PFX" "$1"; }
# nsx SHORT CMD...: run CMD in namespace SHORT.
nsx() { local ns; ns=$(nsname "$1"); shift; ip netns exec "$ns" "$@"; }
# up/down/uwg inside a namespace.
uwgx() { local ns; ns=$(nsname "$1"); shift; ip netns exec "$ns" "$UWG" "$@"; }

ns_new()
{
	local ns
	ns=$(nsname "$1")
	ip netns add "$ns" || fail "ip netns add $ns"
	T_NETNS+=("$ns")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
}

# topo_internet: rtr with srv and cli attached by veth, default routes via rtr.
topo_internet()
{
	ns_new rtr
	ns_new srv
	ns_new cli
	ip -n "$(nsname rtr)" link add v-srv type veth peer name v-rtr netns "$(nsname srv)"
	ip -n "$(nsname rtr)" link add v-cli type veth peer name v-rtr netns "$(nsname cli)"
	nsx rtr sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$(nsname rtr)" addr add 203.0.114.1/28 dev v-srv
	ip -n "$(nsname rtr)" addr add 203.0.114.17/28 dev v-cli
	ip -n "$(nsname rtr)" addr add 2001:db8:1::1/64 dev v-srv nodad
	ip -n "$(nsname rtr)" addr add 2001:db8:2::1/64 dev v-cli nodad
	ip -n "$(nsname rtr)" link set v-srv up
	ip -n "$(nsname rtr)" link set v-cli up
	ip -n "$(nsname srv)" addr add 203.0.114.2/28 dev v-rtr
	ip -n "$(nsname srv)" addr add 2001:db8:1::2/64 dev v-rtr nodad
	ip -n "$(nsname srv)" link set v-rtr up
	ip -n "$(nsname srv)" route add default via 203.0.114.1
	ip -n "$(nsname srv)" -6 route add default via 2001:db8:1::1
	ip -n "$(nsname cli)" addr add 203.0.114.18/28 dev v-rtr
	ip -n "$(nsname cli)" addr add 2001:db8:2::2/64 dev v-rtr nodad
	ip -n "$(nsname cli)" link set v-rtr up
	ip -n "$(nsname cli)" route add default via 203.0.114.17
	ip -n "$(nsname cli)" -6 route add default via 2001:db8:2::1
	# The server's routed prefix.
	ip -n "$(nsname rtr)" -6 route add 2001:db8:1000::/48 via 2001:db8:1::2
}

# keys: SK/SP server private/public, CK/CP client.
gen_keys()
{
	SK=$("$UWG" genkey 2>/dev/null)
	CK=$("$UWG" genkey 2>/dev/null)
	SP=$(printf '%s\n' "$SK" | "$UWG" pubkey)
	CP=$(printf '%s\n' "$CK" | "$UWG" pubkey)
}

# conf_path NAME: path of a config file for interface NAME in this run's temp dir.
conf_path() { printf '%s/%s.conf\n' "$T_TMP" "$1"; }

# track_if NAME: an interface this run may bring up (its state file is removed on exit).
track_if() { T_IFS+=("$1"); }

# write_conf NAME: writes stdin to NAME's config (mode 600) and prints the path.
write_conf()
{
	local p
	p=$(conf_path "$1")
	(umask 077; cat >"$p")
	printf '%s\n' "$p"
}

# Standard pair: server (ListenPort 51820, routed v6 prefix) and a client with $CLIENT_ALLOWED.
# SRV_IF/CLI_IF names, SRV_CONF/CLI_CONF paths. Extra [Interface] lines in SRV_EXTRA/CLI_EXTRA.
std_confs()
{
	SRV_IF=$(ifname s)
	CLI_IF=$(ifname c)
	track_if "$SRV_IF"
	track_if "$CLI_IF"
	gen_keys
	SRV_CONF=$(write_conf "$SRV_IF" <<EOF
[Interface]
PrivateKey = $SK
ListenPort = 51820
Address = 10.100.0.1/24
Address = 2001:db8:1000:cafe::1/80
${SRV_EXTRA:-}

[Peer]
PublicKey = $CP
AllowedIPs = 10.100.0.2/32, 2001:db8:1000:cafe::2/128
EOF
)
	CLI_CONF=$(write_conf "$CLI_IF" <<EOF
[Interface]
PrivateKey = $CK
Address = 10.100.0.2/32, 2001:db8:1000:cafe::2/128
${CLI_EXTRA:-}

[Peer]
PublicKey = $SP
AllowedIPs = ${CLIENT_ALLOWED:-10.100.0.0/24, 2001:db8:1000:cafe::/80}
Endpoint = ${CLIENT_ENDPOINT:-203.0.114.2:51820}
PersistentKeepalive = 25
EOF
)
}

# snapshot NS: routing state that `uwg down` must restore exactly.
snapshot()
{
	{
		nsx "$1" ip -4 rule show
		nsx "$1" ip -6 rule show
		nsx "$1" ip -4 route show table all
		nsx "$1" ip -6 route show table all
		nsx "$1" ip link show | grep -v '^ ' | sed 's/^[0-9]*: //'
	} 2>&1
}

# wait_gone IF: the interface's daemon has exited (socket removed), <= 5 s.
wait_gone()
{
	local i
	for i in $(seq 1 50); do
		[ -S "/var/run/wireguard/$1.sock" ] || return 0
		sleep 0.1
	done
	return 1
}

# has PATTERN CMD...: CMD's output matches PATTERN (no pipe, so no SIGPIPE under pipefail).
has() { local pat=$1 out; shift; out=$("$@" 2>&1); grep -q -e "$pat" <<<"$out"; }

# ping_ok NS ADDR: pings until one reply, for up to 8 s: long enough for a handshake whose first
# initiation was lost to be retried (Rekey-Timeout, 5 s) on a busy machine.
ping_ok() { nsx "$1" timeout 10 ping -c 1 -i 0.3 -w 8 "$2" >/dev/null 2>&1; }
