#!/usr/bin/env bash
# t_interop_wggo6: as t_interop_wggo, over outer IPv6 ([2001:db8:114::x] on veth, and [::1]
# in kernel netns.sh topology A).
. "$(dirname "$0")/lib.sh"

[ -x "$REF_BIN" ] || fail "reference $REF_BIN missing"
n=0
for psk in 0 1; do
	for init in a b; do
		pair_case "$UWG_BIN" "$REF_BIN" veth 6 "$psk" "$init"
		n=$((n + 1))
	done
done
pair_case "$UWG_BIN" "$REF_BIN" lo 6 0 a 2000000
pair_case "$UWG_BIN" "$REF_BIN" lo 6 1 b 2000000
pass "$((n + 2)) cases, outer IPv6"
