#!/usr/bin/env bash
# t_wgquick: the real wg-quick drives the daemon under test through
# WG_QUICK_USERSPACE_IMPLEMENTATION inside a namespace (no kernel module here, so wg-quick
# falls back to userspace). Two configs: routed peer prefixes, and a full tunnel
# (0.0.0.0/0, ::/0: fwmark policy routing, so the daemon's own UDP must carry SO_MARK).
# `wg-quick up ... | cat` must not hang, traffic must flow, and `wg-quick down` (which
# deletes the link) must make the daemon exit and remove its socket.
. "$(dirname "$0")/lib.sh"
need wg-quick

topo_veth
# The endpoint is reachable only through a default route, so in the full-tunnel config the
# daemon's packets take the right path only if they carry wg-quick's fwmark (SO_MARK).
EP_HOST=203.0.114.66
ip -n "$(nsname b)" addr add "$EP_HOST/32" dev lo || fail "endpoint address"
ip -n "$(nsname a)" route add default via "$OUT4_B" || fail "default route in a"
KA=$(genkey); KB=$(genkey); PA=$(pubkey "$KA"); PB=$(pubkey "$KB")
daemon_start b "$IFB" "$REF_BIN"
tun_up b "$IFB" "$IN4_B" "$IN6_B"
check "configure B" wgx b set "$IFB" private-key "$(keyfile kb "$KB")" listen-port "$PORT_B" \
	peer "$PA" allowed-ips "$IN4_A/32,$IN6_A/128"
wait_udp_bound b "$PORT_B" || fail "B never bound its port"

# quick_up CONF: wg-quick up with our daemon, output through a pipe, bounded.
quick_up()
{
	local out rc
	T_IFS+=("$IFA")
	out=$(nsx a env -u LOG_LEVEL WG_QUICK_USERSPACE_IMPLEMENTATION="$UWG_BIN" \
		timeout 30 wg-quick up "$1" 2>&1 | cat; exit "${PIPESTATUS[0]}")
	rc=$?
	printf '%s\n' "$out" >>"$T_TMP/wg-quick.err"
	[ "$rc" != 124 ] || fail "wg-quick up $1 | cat hung (killed after 30 s)"
	[ "$rc" = 0 ] || fail "wg-quick up failed ($rc): $(printf '%s' "$out" | tail -n 5 | tr '\n' ' ')"
	grep -q "Falling back to slow userspace implementation" <<<"$out" ||
		fail "wg-quick did not use the userspace implementation: $out"
	daemon_register a "$IFA" || fail "no daemon listens on $WG_RUN/$IFA.sock after wg-quick up"
}

# quick_down CONF: wg-quick down; the daemon must exit and its socket disappear.
quick_down()
{
	local pid=${DPID[$IFA]} out
	out=$(nsx a timeout 30 wg-quick down "$1" 2>&1) ||
		fail "wg-quick down failed: $(printf '%s' "$out" | tail -n 5 | tr '\n' ' ')"
	wait_for 5 sh -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status" ||
		fail "daemon $pid still running 5 s after wg-quick down deleted $IFA"
	wait_for 2 test ! -e "$WG_RUN/$IFA.sock" || fail "$WG_RUN/$IFA.sock left behind after wg-quick down"
	ip -n "$(nsname a)" link show "$IFA" >/dev/null 2>&1 && fail "$IFA still exists after wg-quick down"
	return 0
}

conf="$T_TMP/$IFA.conf"
(umask 077; cat >"$conf" <<CONF)
[Interface]
PrivateKey = $KA
Address = $IN4_A/25, $IN6_A/64
ListenPort = $PORT_A

[Peer]
PublicKey = $PB
AllowedIPs = $IN4_B/32, $IN6_B/128
Endpoint = $EP_HOST:$PORT_B
PersistentKeepalive = 25
CONF

quick_up "$conf"
assert_eq "$(wg_field a "$IFA" endpoints)" "$EP_HOST:$PORT_B" "endpoint after wg-quick up"
assert_eq "$(wgx a show "$IFA" listen-port)" "$PORT_A" "listen port after wg-quick up"
ping_ok a "$IN4_B" 3 || fail "routed config: ping v4 through the wg-quick tunnel failed"
ping_ok a "$IN6_B" 3 || fail "routed config: ping v6 through the wg-quick tunnel failed"
tcp_xfer a b "$IN4_B" 3000000 30 || fail "routed config: TCP transfer not intact"
quick_down "$conf"
log "routed config: up, traffic, down ok"

# Full tunnel: wg-quick sets fwmark 51820 and policy rules; the endpoint is only reachable
# if the daemon's own packets carry the mark.
sed -i "s|^AllowedIPs = .*|AllowedIPs = 0.0.0.0/0, ::/0|" "$conf"
quick_up "$conf"
assert_eq "$(wgx a show "$IFA" fwmark)" 0xca6c "fwmark set by wg-quick"
rules=$(nsx a ip -4 rule)
[[ "$rules" == *"not from all fwmark 0xca6c lookup 51820"* ]] ||
	fail "wg-quick policy rule missing: $(tr '\n' ';' <<<"$rules")"
ping_ok a "$IN4_B" 3 || fail "full tunnel: ping v4 failed"
ping_ok a "$IN6_B" 3 || fail "full tunnel: ping v6 failed"
tcp_xfer b a "$IN6_A" 3000000 30 || fail "full tunnel: TCP transfer b->a not intact"
assert_eq "$(wg_field a "$IFA" endpoints)" "$EP_HOST:$PORT_B" "endpoint after full-tunnel traffic"
quick_down "$conf"
log "full tunnel config: up, traffic, down ok"
daemon_alive "$IFB" || fail "peer daemon died"
pass
