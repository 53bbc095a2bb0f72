#!/usr/bin/env bash
# t_uwg_uwg: uwg <-> uwg over outer IPv4 and IPv6 (veth) and loopback (kernel netns.sh
# topology A), with and without PSK: ping and 5 MB TCP transfers with checksum over inner
# IPv4 and IPv6; wg show / dump / showconf formats as for wireguard-go.
. "$(dirname "$0")/lib.sh"

n=0
for outer in 4 6; do
	for psk in 0 1; do
		pair_case "$UWG_BIN" "$UWG_BIN" veth "$outer" "$psk" "$( [ "$psk" = 0 ] && echo a || echo b)"
		n=$((n + 1))
	done
done
pair_case "$UWG_BIN" "$UWG_BIN" lo 4 1 a 2000000
pair_case "$UWG_BIN" "$UWG_BIN" lo 6 0 b 2000000
pass "$((n + 2)) cases"
