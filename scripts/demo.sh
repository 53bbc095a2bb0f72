#!/usr/bin/env bash
# The main job on an embedded default: builds uwg and runs the demo.
# A server and a full-tunnel client, each in its own network namespace behind a fake
# "internet" namespace, brought up with `uwg up` from wg-quick config files (no ip, wg or
# wg-quick involved), IPv4 and IPv6 traffic through the tunnel including the server's routed
# public IPv6 prefix (no NAT), a bounded TCP transfer; then the embedded UPnP IGD: the client's
# `external-ip` prints the server's public address, `upnpc -n` maps a port, and a remote host
# on the internet connects to it through the server; `uwg show` with the port map, then
# `uwg down` and a check that every rule and route is gone. Everything it creates is removed
# on exit. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
. scripts/need.sh
need cmake external-ip ip iperf3 ping socat ss sysctl upnpc wg wg-quick
# UWG_DEMO_BIN: run the demo with an installed uwg (scripts/fresh-check.sh does, after
# installing the package) instead of building one.
if [ -n "${UWG_DEMO_BIN:-}" ]; then
	UWG=$UWG_DEMO_BIN
else
	cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build/demo -j"$(nproc)" >/dev/null
	UWG=$PWD/build/demo/uwg
fi
[ "$(id -u)" = 0 ] || { echo "demo: run as root (it creates network namespaces)" >&2; exit 1; }

ID=$(printf '%04x' $(( (RANDOM ^ $$) & 0xffff )))
NS_NET="uwgdemo$ID-internet" NS_SRV="uwgdemo$ID-server" NS_CLI="uwgdemo$ID-client"
NS_RMT="uwgdemo$ID-remote"
IF_SRV="uwgd${ID}srv" IF_CLI="uwgd${ID}cli"
TMP=$(mktemp -d /tmp/uwgdemo.XXXXXX)
chmod 700 "$TMP"

cleanup()
{
	local ns pids=()
	set +e
	# Only processes in our own namespaces: the two daemons and our iperf3 server.
	for ns in "$NS_CLI" "$NS_SRV" "$NS_NET" "$NS_RMT"; do
		pids+=($(ip netns pids "$ns" 2>/dev/null))
	done
	[ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null
	sleep 0.3
	for ns in "$NS_CLI" "$NS_SRV" "$NS_NET" "$NS_RMT"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -f "/var/run/uwg/$IF_SRV.state" "/var/run/uwg/$IF_CLI.state"
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ -t 1 ]; then B=$'\e[1m' G=$'\e[32m' R=$'\e[0m'; else B= G= R=; fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$R"; }
ok() { printf '%s   ok:%s %s\n' "$G" "$R" "$*"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
srv() { in_ns "$NS_SRV" "$@"; }
cli() { in_ns "$NS_CLI" "$@"; }
net() { in_ns "$NS_NET" "$@"; }
rmt() { in_ns "$NS_RMT" "$@"; }
# The `uwg` command line as it is run, then its output.
run() { local ns=$1; shift; printf '%s# %s%s\n' "$B" "uwg $*" "$R"; in_ns "$ns" "$UWG" "$@"; }

step "A fake internet: namespace $NS_NET routes between the server and the client"
for ns in "$NS_NET" "$NS_SRV" "$NS_CLI" "$NS_RMT"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	in_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip -n "$NS_NET" link add v-srv type veth peer name v-net netns "$NS_SRV"
ip -n "$NS_NET" link add v-cli type veth peer name v-net netns "$NS_CLI"
ip -n "$NS_NET" link add v-rmt type veth peer name v-net netns "$NS_RMT"
net sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip -n "$NS_NET" addr add 203.0.114.1/28 dev v-srv
ip -n "$NS_NET" addr add 2001:db8:1::1/64 dev v-srv
ip -n "$NS_NET" addr add 203.0.114.17/28 dev v-cli
ip -n "$NS_NET" addr add 2001:db8:2::1/64 dev v-cli
ip -n "$NS_SRV" addr add 203.0.114.2/28 dev v-net
ip -n "$NS_SRV" addr add 2001:db8:1::2/64 dev v-net
ip -n "$NS_CLI" addr add 203.0.114.18/28 dev v-net
ip -n "$NS_CLI" addr add 2001:db8:2::2/64 dev v-net
ip -n "$NS_NET" addr add 203.0.114.33/28 dev v-rmt
ip -n "$NS_RMT" addr add 203.0.114.34/28 dev v-net
for l in "$NS_NET v-srv" "$NS_NET v-cli" "$NS_NET v-rmt" "$NS_SRV v-net" "$NS_CLI v-net" \
	"$NS_RMT v-net"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n "$NS_SRV" route add default via 203.0.114.1
ip -n "$NS_SRV" -6 route add default via 2001:db8:1::1
ip -n "$NS_CLI" route add default via 203.0.114.17
ip -n "$NS_CLI" -6 route add default via 2001:db8:2::1
ip -n "$NS_RMT" route add default via 203.0.114.33
# The server's provider routes the public prefix 2001:db8:1000::/48 to it.
ip -n "$NS_NET" -6 route add 2001:db8:1000::/48 via 2001:db8:1::2
# The server forwards for its clients' public IPv6 addresses (uwg up warns if this is off).
srv sysctl -qw net.ipv6.conf.all.forwarding=1
echo "server 203.0.114.2 / 2001:db8:1::2, client 203.0.114.18 / 2001:db8:2::2," \
	"a remote host 203.0.114.34"

step "Keys and wg-quick style configs"
SK=$("$UWG" genkey) CK=$("$UWG" genkey)
SP=$(echo "$SK" | "$UWG" pubkey) CP=$(echo "$CK" | "$UWG" pubkey)
umask 077
cat >"$TMP/$IF_SRV.conf" <<EOF
[Interface]
PrivateKey = $SK
ListenPort = 51820
Address = 10.100.0.1/24
Address = 2001:db8:1000:cafe::1/80
# uwg only: the client's IPv4 leaves from the server's public address, and the server's
# embedded UPnP IGD lets the client open ports on it (no iptables, no miniupnpd)
Masquerade = on
UPnP = on

[Peer]
# the client: one address from each family, the IPv6 one public (routed, no NAT)
PublicKey = $CP
AllowedIPs = 10.100.0.2/32, 2001:db8:1000:cafe::2/128
EOF
cat >"$TMP/$IF_CLI.conf" <<EOF
[Interface]
PrivateKey = $CK
Address = 10.100.0.2/32, 2001:db8:1000:cafe::2/128

[Peer]
PublicKey = $SP
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = 203.0.114.2:51820
PersistentKeepalive = 25
EOF
umask 022
sed 's/^\(PrivateKey = \).*/\1(hidden)/' "$TMP/$IF_CLI.conf"
rules_before=$(cli ip rule show; cli ip -6 rule show; cli ip route show table all; cli ip -6 route show table all)

step "uwg up on the server and on the client (the [#] lines are what uwg does, all over netlink)"
run "$NS_SRV" up "$TMP/$IF_SRV.conf"
run "$NS_CLI" up "$TMP/$IF_CLI.conf"

step "Client routing: everything into the tunnel, except the tunnel's own (fwmark) packets"
cli ip -4 rule show
echo "route to the internet: $(cli ip -4 route get 203.0.114.1 | head -1)"
echo "the tunnel's packets:  $(cli ip -4 route get 203.0.114.2 mark 51820 | head -1)"

step "Traffic through the tunnel"
cli ping -c 3 -i 0.2 -W 2 10.100.0.1 | tail -2
cli ping -c 3 -i 0.2 -W 2 2001:db8:1000:cafe::1 | tail -2
echo "the internet reaches the client's public IPv6 address through the server (no NAT):"
net ping -c 3 -i 0.2 -W 2 2001:db8:1000:cafe::2 | tail -2
echo "bounded TCP transfer, 3 s of iperf3 client -> server inside the tunnel:"
srv timeout 20 iperf3 -s -1 -B 10.100.0.1 >/dev/null 2>&1 &
for _ in $(seq 1 30); do srv ss -Htln 'sport = :5201' | grep -q . && break; sleep 0.1; done
cli timeout 20 iperf3 -c 10.100.0.1 -t 3 -f m | grep -E 'sender|receiver'
wait

step "UPnP through the tunnel: the client asks the server for its public address and a port"
for _ in $(seq 1 50); do
	printf 'nat=1\n\n' | srv socat -t 2 - "UNIX-CONNECT:/var/run/wireguard/$IF_SRV.sock" |
		grep -q '^upnp_running=true' && break
	sleep 0.2
done
printf '%s# %s%s\n' "$B" "external-ip" "$R"
cli timeout 20 external-ip
printf '%s# %s%s\n' "$B" "upnpc -n 10.100.0.2 8043 8043 tcp 300" "$R"
cli timeout 20 upnpc -n 10.100.0.2 8043 8043 tcp 300 | grep -E 'redirected|failed'
printf '%s# %s%s\n' "$B" "socat TCP-LISTEN:8043 (on the client)" "$R"
cli timeout 20 socat -T 5 TCP-LISTEN:8043,reuseaddr \
	SYSTEM:'read l; echo "client 10.100.0.2 got $l from $SOCAT_PEERADDR"' &
for _ in $(seq 1 50); do cli ss -Htln 'sport = :8043' | grep -q . && break; sleep 0.1; done
echo "the remote host connects to the server's public address, port 8043:"
reply=$(rmt timeout 10 sh -c 'echo hello | socat -T 5 - TCP:203.0.114.2:8043')
wait
echo "$reply"
[ "$reply" = 'client 10.100.0.2 got hello from 203.0.114.34' ] ||
	{ echo "the remote host did not reach the client through the port map" >&2; exit 1; }
ok "a remote host reached the client through the port map the client opened itself"
echo "and the client's own IPv4 traffic leaves from the server's address (masquerade):"
cli ping -c 2 -i 0.2 -W 2 203.0.114.34 | tail -2

step "uwg show (wg show's output, then uwg's port maps)"
run "$NS_SRV" show "$IF_SRV"
echo
run "$NS_CLI" show "$IF_CLI"

step "uwg down on both"
run "$NS_CLI" down "$TMP/$IF_CLI.conf"
run "$NS_SRV" down "$TMP/$IF_SRV.conf"
rules_after=$(cli ip rule show; cli ip -6 rule show; cli ip route show table all; cli ip -6 route show table all)
if [ "$rules_after" = "$rules_before" ]; then
	ok "the client's rules and routes are exactly as before uwg up"
else
	echo "the client's routing differs after uwg down:" >&2
	diff <(echo "$rules_before") <(echo "$rules_after") >&2
	exit 1
fi
for _ in $(seq 1 50); do
	[ -e "/var/run/wireguard/$IF_SRV.sock" ] || [ -e "/var/run/wireguard/$IF_CLI.sock" ] || break
	sleep 0.1
done
[ ! -e "/var/run/wireguard/$IF_SRV.sock" ] && [ ! -e "/var/run/wireguard/$IF_CLI.sock" ] ||
	{ echo "a daemon is still running after uwg down" >&2; exit 1; }
ok "both daemons exited with their interfaces"
step "Demo done"
