#!/usr/bin/env bash
# t_uwg_uwg: uwg <-> uwg over outer IPv4 and IPv6 (veth) and loopback (kernel netns.sh
# topology A), with and without PSK: ping and 5 MB TCP transfers with checksum over inner
# IPv4 and IPv6; wg show / dump / showconf formats as for wireguard-go; one case with
# UWG_AEAD=libsodium on both sides.
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
# The libsodium AEAD end to end (the cases above use the build's default, OpenSSL's
# assembly where it links; the wireguard-go interop tests pit that against Go's).
DAEMON_ENV=(UWG_AEAD=libsodium)
pair_case "$UWG_BIN" "$UWG_BIN" lo 4 1 b 2000000
DAEMON_ENV=()
grep -q "ChaCha20-Poly1305 on libsodium" "$T_TMP/daemon-$IFA.log" ||
	fail "UWG_AEAD=libsodium: the daemon does not say it uses libsodium"
pass "$((n + 3)) cases"
