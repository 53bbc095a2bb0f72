#!/usr/bin/env bash
# t_interop_wggo: uwg <-> Debian wireguard-go, outer IPv4 (veth, and loopback = kernel netns.sh
# topology A), with and without PSK, uwg as initiator and as responder: ping and a 5 MB TCP
# transfer with checksum over inner IPv4 and IPv6; `wg show` / `wg show dump` / `wg showconf`
# print the same fields and formats for both daemons. Outer IPv6: t_interop_wggo6.
. "$(dirname "$0")/lib.sh"

[ -x "$REF_BIN" ] || fail "reference $REF_BIN missing"
n=0
for psk in 0 1; do
	for init in a b; do
		pair_case "$UWG_BIN" "$REF_BIN" veth 4 "$psk" "$init"
		n=$((n + 1))
	done
done
pair_case "$UWG_BIN" "$REF_BIN" lo 4 1 a 2000000
pair_case "$UWG_BIN" "$REF_BIN" lo 4 0 b 2000000
pass "$((n + 2)) cases, outer IPv4"
