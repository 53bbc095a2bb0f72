# shellcheck shell=bash
# test/netns/nat_lib.sh - helpers for the userspace-NAT tests (sourced by t_nat_*.sh, not a
# test itself; builds on up_lib.sh, read-only). Owns: the "internet" with a remote host, the
# server/client configs with NAT keys, tc filter counting, the nat=1 query, a capture on the
# remote that must never see a tunnel address, and the NAT probe tool.
#
#   cli ──v-rtr── rtr ──v-srv──── srv (uwg server, public 203.0.114.2 = auto)
#                  │  ──v-srv2─── srv v-rtr2 203.0.114.50/28, MTU 1300: route to 203.0.114.64/28
#                  │  ──v-rmt──── rmt 203.0.114.34/28 (+ 203.0.114.70/32 on lo)
#                  └──v-rmt2───── rmt 203.0.114.82/28, MTU 1280 (rtr sends frag-needed)
#   tunnel 10.100.0.0/24: server 10.100.0.1, client 10.100.0.2; the client routes the remote's
#   subnets (203.0.114.32/28, .64/28, .80/28) through the tunnel.
#
# Environment: UWG_BIN (uwg under test), UWG_BUILD_DIR (for the nat_probe tool).

. "$(dirname "$0")/up_lib.sh"
need socat ss tc tcpdump

PUB=203.0.114.2
RMT=203.0.114.34
RMT_SMALL=203.0.114.70   # reached from srv over the 1300-byte link
RMT_FAR=203.0.114.82     # behind rtr's 1280-byte link
PRIO_LO=30464            # uwg's tc priority block (tun/steer.h)
PRIO_HI=32511
NAT_BG=()

PROBE=${UWG_BUILD_DIR:+$UWG_BUILD_DIR/test/nat_probe}
[ -n "$PROBE" ] && [ -x "$PROBE" ] || fail "nat_probe not built (UWG_BUILD_DIR=${UWG_BUILD_DIR:-unset})"

nat_cleanup()
{
	local p
	for p in "${NAT_BG[@]}"; do
		kill "$p" 2>/dev/null
	done
	cleanup
}
trap nat_cleanup EXIT

# nat_bg NS CMD...: a background helper inside NS, bounded by the caller's `timeout`.
nat_bg()
{
	local ns=$1
	shift
	ip netns exec "$(nsname "$ns")" "$@" </dev/null >/dev/null 2>>"$T_TMP/bg.err" &
	NAT_BG+=($!)
}

topo_nat()
{
	topo_internet
	ns_new rmt
	local r s m
	r=$(nsname rtr); s=$(nsname srv); m=$(nsname rmt)
	ip -n "$r" link add v-rmt type veth peer name v-rtr netns "$m"
	ip -n "$r" link add v-rmt2 type veth peer name v-rtr2 netns "$m"
	ip -n "$r" link add v-srv2 type veth peer name v-rtr2 netns "$s"
	ip -n "$r" addr add 203.0.114.33/28 dev v-rmt
	ip -n "$r" addr add 203.0.114.81/28 dev v-rmt2
	ip -n "$r" addr add 203.0.114.49/28 dev v-srv2
	ip -n "$r" link set v-rmt2 mtu 1280
	ip -n "$r" link set v-srv2 mtu 1300
	ip -n "$r" link set v-rmt up
	ip -n "$r" link set v-rmt2 up
	ip -n "$r" link set v-srv2 up
	ip -n "$r" route add 203.0.114.64/28 via 203.0.114.34
	ip -n "$m" addr add 203.0.114.34/28 dev v-rtr
	ip -n "$m" addr add 203.0.114.82/28 dev v-rtr2
	ip -n "$m" addr add 203.0.114.70/32 dev lo
	ip -n "$m" link set v-rtr2 mtu 1280
	ip -n "$m" link set v-rtr up
	ip -n "$m" link set v-rtr2 up
	ip -n "$m" route add default via 203.0.114.33
	ip -n "$s" addr add 203.0.114.50/28 dev v-rtr2
	ip -n "$s" link set v-rtr2 mtu 1300
	ip -n "$s" link set v-rtr2 up
	ip -n "$s" route add 203.0.114.64/28 via 203.0.114.49
	# Nothing in this world forwards for the tunnel: the server's kernel never routes
	# 10.100.0.0/24 (ip_forward stays 0 unless a test turns it on).
	nsx srv sysctl -qw net.ipv4.ip_forward=0
}

# nat_confs: std_confs with NAT lines in SRV_NAT (newline-separated) and the client routing
# the remote's subnets through the tunnel.
nat_confs()
{
	SRV_EXTRA=${SRV_NAT:-}
	CLIENT_ALLOWED="10.100.0.0/24, 2001:db8:1000:cafe::/80, 203.0.114.32/28, 203.0.114.64/28, 203.0.114.80/28"
	std_confs
}

# nat_up: both sides up, tunnel working.
nat_up()
{
	local out
	out=$(uwgx srv up "$SRV_CONF" 2>&1) || fail "server up: $out"
	SRV_UP_LOG=$out
	out=$(uwgx cli up "$CLI_CONF" 2>&1) || fail "client up: $out"
	ping_ok cli 10.100.0.1 || fail "tunnel ping client -> server"
}

# filters: how many tc priorities of uwg's block hold a filter on the server's WAN.
filters()
{
	local dev=${1:-v-rtr}
	nsx srv tc filter show dev "$dev" ingress 2>/dev/null | grep -oE 'pref [0-9]+' | sort -u |
		awk -v lo=$PRIO_LO -v hi=$PRIO_HI '$2 >= lo && $2 <= hi' | wc -l
}

# nat_query IF: the daemon's nat=1 reply.
nat_query() { printf 'nat=1\n\n' | timeout 5 socat -t 3 - "UNIX-CONNECT:/var/run/wireguard/$1.sock"; }
# nat_stat IF NAME: one nat_stat_NAME counter.
nat_stat() { nat_query "$1" | sed -n "s/^nat_stat_$2=//p"; }

# capture_start: everything the remote sees, for the "no tunnel address leaks" check.
capture_start()
{
	CAP="$T_TMP/rmt.pcap"
	nat_bg rmt timeout 300 tcpdump -U -n -i any -w "$CAP" 'ip'
	sleep 1
}

# capture_check: no packet at the remote carries a 10.100.0.0/24 address (outer or quoted).
capture_check()
{
	local text n
	sleep 0.5
	[ -s "$CAP" ] || fail "the remote's capture is empty"
	text=$(tcpdump -n -v -r "$CAP" 2>/dev/null)
	n=$(grep -c '10\.100\.0\.' <<<"$text")
	[ "$n" = 0 ] || fail "the remote saw tunnel addresses: $(grep -m 3 '10\.100\.0\.' <<<"$text")"
	grep -q "$PUB" <<<"$text" || fail "the remote never saw the public address"
}

# probe NS ARGS...: one nat_probe run inside NS (its line on stdout).
probe() { local ns=$1; shift; nsx "$ns" timeout 15 "$PROBE" "$@" 2>&1; }

# listening NS tcp|udp PORT: wait (<= 5 s) until something in NS listens there.
listening()
{
	local flag=-Htln
	[ "$2" = udp ] && flag=-Huln
	for _ in $(seq 1 50); do
		[ -n "$(nsx "$1" ss "$flag" "sport = :$3" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	return 1
}

# udp_ask NS ADDR PORT: one line back for a datagram, three tries (UDP may drop one).
udp_ask()
{
	local r
	for _ in 1 2 3; do
		r=$(echo hi | nsx "$1" timeout 5 socat -T2 - "UDP4:$2:$3" 2>/dev/null)
		[ -n "$r" ] && break
	done
	printf '%s\n' "$r"
}

# sha FILE
sha() { sha256sum "$1" | cut -d' ' -f1; }
# same_file GOT WANT: GOT reaches WANT's size within 5 s (a listener may still be writing
# after the sender exits) and has the same SHA-256.
same_file()
{
	local n
	n=$(stat -c %s "$2")
	for _ in $(seq 1 50); do [ "$(stat -c %s "$1" 2>/dev/null)" = "$n" ] && break; sleep 0.1; done
	[ "$(sha "$1")" = "$(sha "$2")" ]
}
