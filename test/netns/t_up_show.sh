#!/usr/bin/env bash
# t_up_show: `uwg show` / `uwg showconf` print exactly what `wg show` / `wg showconf` print for
# the same running interface (every field form, dump, colours forced on and off), `uwg set`
# takes wg set's syntax (including allowed-ips +/- increments), `uwg genkey | uwg pubkey`
# agrees with `wg pubkey`, and `uwg strip` prints what `wg-quick strip` prints.
. "$(dirname "$0")/up_lib.sh"
need wg wg-quick

command -v wg >/dev/null || fail "wg (wireguard-tools) is needed as the reference"
topo_internet
SRV_EXTRA="FwMark = 0x1234" std_confs
uwgx srv up "$SRV_CONF" >/dev/null 2>&1 || fail "server up"
uwgx cli up "$CLI_CONF" >/dev/null 2>&1 || fail "client up"
ping_ok cli 10.100.0.1 || fail "ping"
# A second peer with a preshared key and no handshake, to cover more lines.
PSKF="$T_TMP/psk"
(umask 077; "$UWG" genpsk >"$PSKF")
NP=$("$UWG" genkey | "$UWG" pubkey)
uwgx srv set "$SRV_IF" peer "$NP" preshared-key "$PSKF" endpoint '[2001:db8:1::99]:7777' \
	persistent-keepalive 3725 allowed-ips 10.100.0.50/32,2001:db8:1000:cafe::50/128 ||
	fail "uwg set (new peer)"

# same NS ARGS...: `uwg ARGS` and `wg ARGS` print the same (retried: handshake ages tick).
same()
{
	local ns=$1 u w i
	shift
	for i in 1 2 3 4 5; do
		u=$(nsx "$ns" env WG_COLOR_MODE="${COLOR:-never}" "$UWG" "$@" 2>&1)
		w=$(nsx "$ns" env WG_COLOR_MODE="${COLOR:-never}" wg "$@" 2>&1 |
			sed 's/^Usage: wg /Usage: uwg /')
		[ "$u" = "$w" ] && return 0
		sleep 0.3
	done
	fail "uwg $* differs from wg $*:
$(diff <(printf '%s\n' "$w") <(printf '%s\n' "$u"))"
}

n=0
for ns_if in "srv $SRV_IF" "cli $CLI_IF"; do
	set -- $ns_if
	same "$1" show "$2"; n=$((n + 1))
	COLOR=always same "$1" show "$2"; n=$((n + 1))
	same "$1" showconf "$2"; n=$((n + 1))
	for f in public-key private-key listen-port fwmark peers preshared-keys endpoints \
		allowed-ips latest-handshakes persistent-keepalive transfer dump; do
		same "$1" show "$2" "$f"; n=$((n + 1))
	done
done
# Errors and the machine-wide forms (other interfaces may come and go: compare ours only).
same srv show "$SRV_IF" bogus-field
# (wg on a host without the kernel module says "Protocol not supported" here.)
out=$(uwgx srv show no-such-if0 2>&1) && fail "show of a missing interface succeeded"
[ "$out" = "Unable to access interface: No such device" ] || fail "missing interface: $out"
mine() { grep -E "^($SRV_IF|$CLI_IF)\b" | sort; }
# Counters (transfer, latest handshake) may move between the two reads: up to 3 tries.
ok=0
for _ in 1 2 3; do
	[ "$(uwgx srv show all dump | mine)" = "$(nsx srv wg show all dump | mine)" ] && { ok=1; break; }
	sleep 0.2
done
[ $ok = 1 ] || fail "show all dump: $(diff <(uwgx srv show all dump | mine) <(nsx srv wg show all dump | mine))"
[ "$(uwgx srv show interfaces | tr ' ' '\n' | mine)" = "$(printf '%s\n' "$CLI_IF" "$SRV_IF" | sort)" ] ||
	fail "show interfaces: $(uwgx srv show interfaces)"

# uwg set: the same changes as wg set, read back through wg.
uwgx srv set "$SRV_IF" listen-port 51821 fwmark off peer "$CP" persistent-keepalive 7 ||
	fail "uwg set (device)"
[ "$(nsx srv wg show "$SRV_IF" listen-port)" = 51821 ] || fail "listen-port not set"
[ "$(nsx srv wg show "$SRV_IF" fwmark)" = off ] || fail "fwmark not cleared"
[ "$(nsx srv wg show "$SRV_IF" persistent-keepalive | grep "^$CP" | cut -f2)" = 7 ] ||
	fail "keepalive not set"
uwgx srv set "$SRV_IF" peer "$NP" allowed-ips +10.100.0.77/32 || fail "allowed-ips +"
aips=$(nsx srv wg show "$SRV_IF" allowed-ips | grep "^$NP" | cut -f2)
[ "$(wc -w <<<"$aips")" = 3 ] || fail "allowed-ips + replaced instead of adding: $aips"
if uwgx srv set "$SRV_IF" peer "$NP" allowed-ips -10.100.0.50/32 2>/dev/null; then
	aips=$(nsx srv wg show "$SRV_IF" allowed-ips | grep "^$NP" | cut -f2)
	# (in the order they were added, as the kernel lists them)
	[ "$aips" = "2001:db8:1000:cafe::50/128 10.100.0.77/32" ] || fail "allowed-ips - : $aips"
elif [ -z "${UWG_DAEMON:-}" ]; then
	fail "uwg's daemon refused an allowed-ips removal"
fi
uwgx srv set "$SRV_IF" peer "$NP" remove || fail "peer remove"
has "$NP" nsx srv wg show "$SRV_IF" peers && fail "peer not removed"
out=$(uwgx srv set "$SRV_IF" listen-port 70000 2>&1) && fail "bad listen-port accepted"
grep -q 'listen-port: "70000" is not a port number' <<<"$out" || fail "set error: $out"

# Keys.
for i in 1 2 3; do
	k=$("$UWG" genkey)
	[ "$(printf '%s\n' "$k" | "$UWG" pubkey)" = "$(printf '%s\n' "$k" | wg pubkey)" ] ||
		fail "uwg pubkey differs from wg pubkey for $i"
	k=$(wg genkey)
	[ "$(printf '%s\n' "$k" | "$UWG" pubkey)" = "$(printf '%s\n' "$k" | wg pubkey)" ] ||
		fail "uwg pubkey of a wg key differs"
done
[ "$("$UWG" genpsk | wc -c)" = 45 ] || fail "genpsk length"
printf 'not a key\n' | "$UWG" pubkey 2>/dev/null && fail "pubkey accepted garbage"

# strip: the same lines as wg-quick strip.
STRIP_IF=$(ifname x)
STRIP=$(write_conf "$STRIP_IF" <<EOF
# leading comment
[Interface]
  privatekey = $SK   # comment kept
Address = 10.9.9.1/24
dns = 10.9.9.53
PostUp = echo hi # hook
MTU = 1400
Table = off
SaveConfig = false
ListenPort = 4242

[Peer]
PublicKey = $CP
AllowedIPs = 10.9.9.2/32
# Address in a peer section is not wg-quick's
EOF
)
[ "$("$UWG" strip "$STRIP")" = "$(wg-quick strip "$STRIP" 2>/dev/null)" ] ||
	fail "strip differs: $(diff <(wg-quick strip "$STRIP" 2>/dev/null) <("$UWG" strip "$STRIP"))"

uwgx cli down "$CLI_CONF" >/dev/null 2>&1 || fail "client down"
uwgx srv down "$SRV_CONF" >/dev/null 2>&1 || fail "server down"
pass "$n show/showconf forms identical to wg, set, keys, strip"
