#!/usr/bin/env bash
# t_keychange: replace a private key while up and give the other side the new public key:
# the very first ping afterwards must be answered (the old keypairs are expired, a new
# handshake runs at once; netns.sh scenario 9). Three rounds: the initiator changes its
# key; the responder changes its key; the initiator changes again and the other side,
# which has to re-learn where it is, sends first.
. "$(dirname "$0")/lib.sh"

# ping_once NS DST: a single echo request must be answered (no retries).
ping_once() { nsx "$1" timeout 10 ping -n -c 1 -W 5 "$2" >/dev/null 2>&1; }

# only_peer NS IF PUB: IF has exactly one peer, PUB, with a completed handshake.
only_peer()
{
	local hs
	hs=$(wgx "$1" show "$2" latest-handshakes) || fail "wg show $2 latest-handshakes failed"
	[ "$(printf '%s\n' "$hs" | wc -l)" = 1 ] || fail "$2: expected one peer, got: $hs"
	assert_eq "$(printf '%s\n' "$hs" | cut -f1)" "$3" "$2: peer"
	assert_match "$(printf '%s\n' "$hs" | cut -f2)" '^[1-9][0-9]*$' "$2: latest handshake with new key"
}

topo_veth
pair_setup "$UWG_BIN" "$UWG_BIN" 4 1 a
ping_ok a "$IN4_B" 3 || fail "initial ping failed"
ping_ok a "$IN6_B" 2 || fail "initial ping v6 failed"

# Round 1: A (initiator) gets a new key; B swaps the peer.
K3=$(genkey); P3=$(pubkey "$K3")
check "A: new private key" wgx a set "$IFA" private-key "$(keyfile k3 "$K3")"
check "B: swap peer" wgx b set "$IFB" peer "$PA" remove \
	peer "$P3" allowed-ips "$IN4_A/32,$IN6_A/128" preshared-key "$(keyfile psk "$PSK")"
ping_once a "$IN4_B" || fail "round 1 (initiator's key changed): first ping a->b not answered"
only_peer b "$IFB" "$P3"
assert_eq "$(wgx a show "$IFA" public-key)" "$P3" "A's public key after change"
log "round 1 ok: initiator key change"

# Round 2: B (responder) gets a new key; A swaps the peer (and keeps its endpoint).
K4=$(genkey); P4=$(pubkey "$K4")
check "B: new private key" wgx b set "$IFB" private-key "$(keyfile k4 "$K4")"
check "A: swap peer" wgx a set "$IFA" peer "$PB" remove \
	peer "$P4" allowed-ips "$IN4_B/32,$IN6_B/128" endpoint "$EP_B" preshared-key "$(keyfile psk "$PSK")"
ping_once a "$IN6_B" || fail "round 2 (responder's key changed): first ping a->b (v6) not answered"
only_peer a "$IFA" "$P4"
log "round 2 ok: responder key change"

# Round 3: A changes again; B swaps the peer with an endpoint and B sends first.
K5=$(genkey); P5=$(pubkey "$K5")
check "A: new private key" wgx a set "$IFA" private-key "$(keyfile k5 "$K5")"
check "B: swap peer" wgx b set "$IFB" peer "$P3" remove \
	peer "$P5" allowed-ips "$IN4_A/32,$IN6_A/128" endpoint "$EP_A" preshared-key "$(keyfile psk "$PSK")"
ping_once b "$IN4_A" || fail "round 3: first ping b->a after A's key change not answered"
only_peer b "$IFB" "$P5"
only_peer a "$IFA" "$P4"
log "round 3 ok: the other side initiates to the new key"

tcp_xfer a b "$IN4_B" 2000000 30 || fail "TCP transfer after key changes not intact"
daemon_alive "$IFA" && daemon_alive "$IFB" || fail "a daemon died"
pass
