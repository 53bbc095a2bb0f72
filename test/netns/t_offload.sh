#!/usr/bin/env bash
# t_offload: the offloaded data path end to end. Two uwg daemons over a veth: TCP from the
# kernel reaches the sender's TUN as TSO super-packets (split, checksummed, encrypted, sent
# with UDP GSO), arrives through UDP GRO and leaves the receiver's TUN as coalesced
# super-packets; a UDP flood rides USO the same way. Bulk transfers in both directions over
# inner IPv4 and IPv6 must arrive intact (SHA-256), and the stats=1 counters must show every
# offload in use. Then the fallback: one side started with UWG_NO_OFFLOAD=1 (plain packets,
# no GSO/GRO on its sockets) talks to an offloading peer over outer IPv6, intact both ways;
# with the TUN's default MTU (datagrams larger than the veth) GSO is given up, losslessly;
# and with AEAD spread over a worker thread (UWG_CRYPTO_THREADS=1) nothing changes but speed.
. "$(dirname "$0")/lib.sh"
need iperf3 python3

require_uwg "offload counters"

# stat_sum IF KEY: one stats=1 counter, 0 if absent.
stat_of() { stat_get "$1" "$2" 2>/dev/null || echo 0; }

# udp_flood SRC_NS DST_ADDR: one second of 1300-byte datagrams as fast as iperf3 can;
# prints the number the receiver got.
udp_flood()
{
	local port=5301 out="$T_TMP/iperf-udp.json"
	bg_run b /dev/null "$T_TMP/iperf-s.err" timeout 30 iperf3 -s -1 -p "$port" -B "$2"
	wait_for 5 sh -c "ip netns exec $(nsname b) ss -Htln 'sport = :$port' | grep -q ." ||
		fail "iperf3 server did not come up"
	nsx "$1" timeout 20 iperf3 -c "$2" -p "$port" -u -b 0 -l 1300 -t 1 -J >"$out" 2>&1 ||
		fail "iperf3 UDP client failed: $(tail -c 300 "$out")"
	wait "$BG_PID" 2>/dev/null
	python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["end"]["sum"]; print(int(e["packets"] - e["lost_packets"]))' "$out"
}

# Tunnel MTU as wg-quick sets it (1500 - 80), so encrypted datagrams fit the veth and GSO
# can carry them; with the TUN default of 1500 the kernel refuses GSO sends (checked below).
mtu_1420() { ip -n "$(nsname a)" link set "$IFA" mtu 1420 && ip -n "$(nsname b)" link set "$IFB" mtu 1420; }

topo_veth

# ---- case 1: offloads on both sides, outer IPv4 ----
IFA=$(ifname a1); IFB=$(ifname b1)
pair_setup "$UWG_BIN" "$UWG_BIN" 4 0 a
mtu_1420 || fail "MTU 1420 on the tunnels"
ping_ok a "$IN4_B" 3 || fail "ping a->b failed"
tcp_xfer a b "$IN4_B" 20000000 60 || fail "20 MB TCP a->b over inner v4 (offloaded) not intact"
tcp_xfer b a "$IN6_A" 20000000 60 || fail "20 MB TCP b->a over inner v6 (offloaded) not intact"
for k in io_tun_gso_reads io_udp_tx_gso_sends io_tun_gro_writes io_udp_rx_gro_msgs; do
	for ifn in "$IFA" "$IFB"; do
		assert_ge "$(stat_of "$ifn" "$k")" 1 "$k on $ifn after bulk TCP both ways"
	done
done
gro0=$(stat_of "$IFB" io_tun_gro_writes)
got=$(udp_flood a "$IN4_B")
assert_ge "$got" 100 "UDP datagrams through the tunnel"
assert_ge "$(stat_of "$IFB" io_tun_gro_writes)" $((gro0 + 1)) "coalesced TUN writes of UDP on B"
for ifn in "$IFA" "$IFB"; do
	assert_eq "$(stat_of "$ifn" io_tun_bad_offload)" 0 "io_tun_bad_offload on $ifn"
	assert_eq "$(stat_of "$ifn" io_tun_gro_refused)" 0 "io_tun_gro_refused on $ifn"
	assert_eq "$(stat_of "$ifn" io_udp_tx_gso_off)" 0 "io_udp_tx_gso_off on $ifn"
	assert_eq "$(stat_of "$ifn" io_udp_rx_truncated)" 0 "io_udp_rx_truncated on $ifn"
done
ping_ok b "$IN6_A" 3 || fail "ping b->a after the floods failed"
log "case 1: offloaded both ways, $got UDP datagrams, $(stat_of "$IFA" io_tun_gso_reads) super-packets split on A"
daemons_stop

# uwg_with NAME VAR=VALUE: path of a wrapper that starts uwg with VAR set (one side only;
# DAEMON_ENV would set it for both).
uwg_with()
{
	printf '#!/bin/sh\n%s exec %q "$@"\n' "$2" "$UWG_BIN" >"$T_TMP/uwg-$1"
	chmod +x "$T_TMP/uwg-$1"
	printf '%s\n' "$T_TMP/uwg-$1"
}

# ---- case 2: A without offloads (fallback), B with; outer IPv6 ----
plain=$(uwg_with plain UWG_NO_OFFLOAD=1)
IFA=$(ifname a2); IFB=$(ifname b2)
pair_setup "$plain" "$UWG_BIN" 6 1 b
mtu_1420 || fail "MTU 1420 on the tunnels"
ping_ok b "$IN4_A" 3 || fail "ping b->a (fallback side) failed"
tcp_xfer a b "$IN4_B" 10000000 60 || fail "10 MB TCP from the plain side over inner v4 not intact"
tcp_xfer b a "$IN6_A" 10000000 60 || fail "10 MB TCP to the plain side over inner v6 not intact"
for k in io_tun_gso_reads io_udp_tx_gso_sends io_tun_gro_writes io_udp_rx_gro_msgs; do
	assert_eq "$(stat_of "$IFA" "$k")" 0 "$k on the plain side"
done
assert_ge "$(stat_of "$IFB" io_tun_gso_reads)" 1 "super-packets split on the offloading side"
assert_ge "$(stat_of "$IFB" io_udp_tx_gso_sends)" 1 "GSO sends from the offloading side"
daemon_alive "$IFA" || fail "plain daemon died"
daemon_alive "$IFB" || fail "offloading daemon died"
daemons_stop

# ---- case 3: tunnel MTU 1500 over a 1500 veth: datagrams too big for GSO ----
IFA=$(ifname a3); IFB=$(ifname b3)
pair_setup "$UWG_BIN" "$UWG_BIN" 4 0 a
tcp_xfer a b "$IN4_B" 5000000 60 || fail "5 MB TCP a->b with oversized datagrams not intact"
tcp_xfer b a "$IN6_A" 5000000 60 || fail "5 MB TCP b->a with oversized datagrams not intact"
assert_eq "$(stat_of "$IFA" io_udp_tx_gso_off)" 1 "GSO given up on A after refused sends"
assert_eq "$(stat_of "$IFA" io_udp_tx_errors)" 0 "datagrams lost to refused GSO sends on A"
daemons_stop

# ---- case 4: AEAD on a worker thread as well (UWG_CRYPTO_THREADS=1) on both sides ----
threaded=$(uwg_with threaded UWG_CRYPTO_THREADS=1)
IFA=$(ifname a4); IFB=$(ifname b4)
pair_setup "$threaded" "$threaded" 4 1 a
mtu_1420 || fail "MTU 1420 on the tunnels"
tcp_xfer a b "$IN4_B" 20000000 60 || fail "20 MB TCP a->b with crypto threads not intact"
tcp_xfer b a "$IN6_A" 20000000 60 || fail "20 MB TCP b->a with crypto threads not intact"
udp_flood a "$IN4_B" >/dev/null
for ifn in "$IFA" "$IFB"; do
	assert_ge "$(stat_of "$ifn" io_crypt_batches)" 1 "batches offered to the crypto thread on $ifn"
	assert_ge "$(stat_of "$ifn" io_crypt_jobs_helped)" 1 "jobs the crypto thread ran on $ifn"
done
ping_ok a "$IN6_B" 3 || fail "ping a->b with crypto threads failed"
pass "offloaded path intact both ways (v4/v6 inner, v4/v6 outer), UDP over USO, plain fallback, GSO given up when refused, crypto thread"
