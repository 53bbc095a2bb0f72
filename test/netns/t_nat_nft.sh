#!/usr/bin/env bash
# t_nat_nft: the admin's own kernel masquerade (the article's PostUp: forwarding on plus a
# MASQUERADE rule; iptables is not installed here, so its nft equivalent) next to uwg's NAT.
# With Masquerade = off, a PortForward still reaches the client with the remote's real
# address and 1 MiB passes both ways, while the client's other traffic leaves through the
# kernel's NAT (the remote sees the public address with a non-pool port). Reconfigured over
# the UAPI with Masquerade on, the client's new connections take uwg's pool instead, and
# forwards keep working. PostDown removes the nft table; `uwg down` removes the filters.
. "$(dirname "$0")/nat_lib.sh"
need nft

command -v nft >/dev/null || fail "nft is not installed"
topo_nat
TBL="uwgt$T_ID"
SRV_NAT="Masquerade = off
PortForward = tcp 8080 -> 10.100.0.2:80
PostUp = sysctl -qw net.ipv4.ip_forward=1; nft add table ip $TBL; nft add chain ip $TBL post '{ type nat hook postrouting priority srcnat; }'; nft add rule ip $TBL post oifname v-rtr masquerade
PostDown = nft delete table ip $TBL; sysctl -qw net.ipv4.ip_forward=0"
nat_confs
nat_bg rmt timeout 120 socat TCP4-LISTEN:7000,fork,reuseaddr SYSTEM:'echo "tcp $SOCAT_PEERADDR $SOCAT_PEERPORT"'
nat_up
has masquerade nsx srv nft list table ip "$TBL" || fail "PostUp did not install the nft rule"
[ "$(filters)" = 2 ] || fail "expected 2 filters, got $(filters)"

nat_bg cli timeout 60 socat TCP4-LISTEN:80,bind=10.100.0.2,reuseaddr,fork SYSTEM:'echo "fwd saw $SOCAT_PEERADDR"'
listening cli tcp 80 && listening rmt tcp 7000 || fail "listeners"
forward_ok()
{
	local r
	r=$(nsx rmt timeout 10 socat -T3 - TCP4:$PUB:8080 </dev/null 2>&1)
	[ "$r" = "fwd saw $RMT" ] || fail "$1: forward: '$r'"
}
forward_ok "kernel masquerade"
# The client's own traffic goes through the kernel: public address, its own port.
r=$(nsx cli timeout 10 socat -T3 - TCP4:$RMT:7000 </dev/null 2>&1)
read -r proto who port <<<"$r"
[ "$who" = "$PUB" ] || fail "kernel masquerade: remote saw '$r'"
{ [ "$port" -lt 61440 ] || [ "$port" -gt 61951 ]; } || fail "kernel masquerade used a pool port: $r"
[ "$(nat_stat "$SRV_IF" not_ours)" -gt 0 ] || fail "nothing went the kernel's way"

# 1 MiB both ways over the forward while conntrack (nft nat) is active.
head -c 1048576 /dev/urandom >"$T_TMP/a"
head -c 1048576 /dev/urandom >"$T_TMP/b"
nat_bg cli timeout 60 socat -u TCP4-LISTEN:81,bind=10.100.0.2,reuseaddr OPEN:"$T_TMP/got-a",creat,trunc
printf 'set=1\nnat_enable=true\nnat_inside=10.100.0.1/24\nnat_masquerade=false\nnat_forward=tcp:8080:10.100.0.2:80\nnat_forward=tcp:8081:10.100.0.2:81\nnat_forward=tcp:8082:10.100.0.2:82\n\n' |
	timeout 5 socat - "UNIX-CONNECT:/var/run/wireguard/$SRV_IF.sock" | grep -qx 'errno=0' ||
	fail "reconfiguring forwards over the UAPI"
nat_bg cli timeout 60 socat -u OPEN:"$T_TMP/b" TCP4-LISTEN:82,bind=10.100.0.2,reuseaddr
listening cli tcp 81 && listening cli tcp 82 || fail "client listeners"
nsx rmt timeout 30 socat -u OPEN:"$T_TMP/a" TCP4:$PUB:8081 || fail "1 MiB remote -> client"
same_file "$T_TMP/got-a" "$T_TMP/a" || fail "1 MiB remote -> client differs"
nsx rmt timeout 30 socat -u TCP4:$PUB:8082 OPEN:"$T_TMP/got-b",creat,trunc || fail "1 MiB client -> remote"
same_file "$T_TMP/got-b" "$T_TMP/b" || fail "1 MiB client -> remote differs"
[ "$(filters)" = 6 ] || fail "after reconfiguration: expected 6 filters, got $(filters)"

# uwg's masquerade on top: the client's new connections now leave from the pool.
printf 'set=1\nnat_enable=true\nnat_inside=10.100.0.1/24\nnat_masquerade=true\nnat_forward=tcp:8080:10.100.0.2:80\n\n' |
	timeout 5 socat - "UNIX-CONNECT:/var/run/wireguard/$SRV_IF.sock" | grep -qx 'errno=0' ||
	fail "turning Masquerade on over the UAPI"
[ "$(filters)" = 7 ] || fail "with masquerade: expected 7 filters, got $(filters)"
r=$(nsx cli timeout 10 socat -T3 - TCP4:$RMT:7000 </dev/null 2>&1)
read -r proto who port <<<"$r"
[ "$who" = "$PUB" ] && [ "$port" -ge 61440 ] && [ "$port" -le 61951 ] ||
	fail "uwg masquerade next to the kernel's: remote saw '$r'"
forward_ok "both masquerades"
# A bad reconfiguration is refused and leaves NAT off (filters gone), not half-built.
out=$(printf 'set=1\nnat_enable=true\nnat_external_interface=nosuchif0\nnat_forward=tcp:8080:10.100.0.2:80\n\n' |
	timeout 5 socat - "UNIX-CONNECT:/var/run/wireguard/$SRV_IF.sock")
grep -qx 'errno=-19' <<<"$out" || fail "a missing interface: '$out'"
[ "$(filters)" = 0 ] || fail "filters left after a refused reconfiguration: $(filters)"
out=$(printf 'set=1\nnat_forwrd=tcp:1:10.100.0.2:1\n\n' |
	timeout 5 socat - "UNIX-CONNECT:/var/run/wireguard/$SRV_IF.sock")
grep -qx 'errno=-22' <<<"$out" || fail "an unknown nat_ key: '$out'"

uwgx cli down "$CLI_CONF" >/dev/null 2>&1 || fail "client down"
uwgx srv down "$SRV_CONF" >/dev/null 2>&1 || fail "server down"
wait_gone "$SRV_IF" || fail "server daemon still running"
[ "$(filters)" = 0 ] || fail "filters left after down: $(filters)"
nsx srv nft list table ip "$TBL" >/dev/null 2>&1 && fail "PostDown left the nft table"

pass "forwards next to the kernel's nft masquerade, 1 MiB each way, both masquerades, UAPI reconfiguration"
