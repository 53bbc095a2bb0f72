#!/usr/bin/env bash
# t_up_hooks: PreUp/PostUp/PreDown/PostDown run with bash in current wg-quick's order (PreUp
# once the interface exists but before it is configured), %i expands to the interface name,
# hook text keeps '=' and '#'; SaveConfig = true writes the running configuration (a peer
# added with `uwg set`, the endpoint the server learned) back on `uwg down` with mode 600,
# and the saved file brings the same interface up again.
. "$(dirname "$0")/up_lib.sh"

topo_internet
HOOKLOG="$T_TMP/hooks.log"
has_addr='$(ip -4 addr show dev %i | grep -q 10.100.0.1 && echo addr || echo noaddr)'
exists='$(ip link show dev %i >/dev/null 2>&1 && echo exists || echo gone)'
SRV_EXTRA="PreUp = echo pre-up %i $exists $has_addr >> $HOOKLOG
PostUp = echo post-up %i $has_addr >> $HOOKLOG
PostUp = printf 'second a=%s #kept\\n' b >> $HOOKLOG
PreDown = echo pre-down %i $exists >> $HOOKLOG
PostDown = echo post-down %i $exists >> $HOOKLOG
SaveConfig = true" std_confs

uwgx srv up "$SRV_CONF" >"$T_TMP/up.log" 2>&1 || fail "server up: $(cat "$T_TMP/up.log")"
uwgx cli up "$CLI_CONF" >/dev/null 2>&1 || fail "client up"
ping_ok cli 10.100.0.1 || fail "ping"

# A peer added at run time, to be saved.
NK=$("$UWG" genkey)
NP=$(printf '%s\n' "$NK" | "$UWG" pubkey)
uwgx srv set "$SRV_IF" peer "$NP" allowed-ips 10.100.0.3/32,2001:db8:1000:cafe::3/128 \
	endpoint 203.0.114.50:4321 persistent-keepalive 15 || fail "uwg set"
cli_port=$(uwgx cli show "$CLI_IF" listen-port)

uwgx srv down "$SRV_CONF" >"$T_TMP/down.log" 2>&1 || fail "server down: $(cat "$T_TMP/down.log")"
wait_gone "$SRV_IF" || fail "server daemon still running"

want="pre-up $SRV_IF exists noaddr
post-up $SRV_IF addr
second a=b #kept
pre-down $SRV_IF exists
post-down $SRV_IF gone"
[ "$(cat "$HOOKLOG")" = "$want" ] || fail "hook order/expansion:
$(cat "$HOOKLOG")
--- want
$want"

# SaveConfig wrote the running state back.
[ "$(stat -c %a "$SRV_CONF")" = 600 ] || fail "saved config mode $(stat -c %a "$SRV_CONF")"
saved=$(cat "$SRV_CONF")
for l in "Address = 10.100.0.1/24" "Address = 2001:db8:1000:cafe::1/80" "SaveConfig = true" \
	"ListenPort = 51820" "PrivateKey = $SK" "PublicKey = $CP" "PublicKey = $NP" \
	"AllowedIPs = 10.100.0.3/32, 2001:db8:1000:cafe::3/128" "Endpoint = 203.0.114.50:4321" \
	"PersistentKeepalive = 15" "Endpoint = 203.0.114.18:$cli_port" \
	"PostUp = printf 'second a=%s #kept\\n' b >> $HOOKLOG" \
	"PreUp = echo pre-up %i $exists $has_addr >> $HOOKLOG"; do
	grep -qxF "$l" <<<"$saved" || fail "saved config lacks '$l':
$saved"
done
grep -q '^Address = fe80' <<<"$saved" && fail "saved the kernel's link-local address"

# Round trip: the saved file is a valid config that brings back both peers.
: >"$HOOKLOG"
uwgx srv up "$SRV_CONF" >/dev/null 2>&1 || fail "server up from the saved config"
[ "$(uwgx srv show "$SRV_IF" peers | sort)" = "$(printf '%s\n%s\n' "$CP" "$NP" | sort)" ] ||
	fail "peers after round trip: $(uwgx srv show "$SRV_IF" peers)"
# The client still holds the old session; the server initiates to the endpoint it saved.
ping_ok srv 10.100.0.2 || fail "ping after round trip"
uwgx cli down "$CLI_CONF" >/dev/null 2>&1 || fail "client down"
uwgx srv down "$SRV_CONF" >/dev/null 2>&1 || fail "server down (2)"

pass "hook order and %i, SaveConfig round trip"
