#!/bin/bash
# test/netns/t_privsep.sh - issue 11: after setup the daemon runs as an unprivileged user with
# only the capabilities its features need, with a root monitor that holds nothing of its own
# (topology in igd_lib.sh: a NAT + UPnP server, the heaviest user of privileges).
#
# Proves: the worker (the process holding the UAPI socket) has a non-root uid, exactly
# CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BIND_SERVICE (bounding set too), no_new_privs, and
# still does everything (tunnel, a UPnP map carrying a remote host's connection); the
# monitor is root with no descriptor beyond stdio; the SSDP child has no capability at all;
# the worker and the SSDP child run under the system-call allow-list (seccomp filter mode,
# cli/daemon/seccomp.h) and the whole exchange below makes no call outside it (lib.sh fails any test
# whose daemon log says "seccomp refused"); the monitor runs without it;
# kill -9 of the worker: the monitor (its child) removes the socket and exits;
# UWG_USER=root keeps root; UWG_SECCOMP=0 turns the filter off.
set -u -o pipefail
. "$(dirname "$0")/igd_lib.sh"
need pgrep

NEEDED=0000000000003400 # CAP_NET_ADMIN (12), CAP_NET_RAW (13), CAP_NET_BIND_SERVICE (10)

igd_up
worker=$(nsx srv ss -xlpn | grep -F "/wireguard/$SRV_IF.sock " | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$worker" ] || fail "cannot find the server daemon"
field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
uid=$(field "$worker" Uid | awk '{print $1, $2, $3, $4}')
! grep -qw 0 <<<"$uid" || fail "the worker has uid $uid"
for f in CapEff CapPrm CapBnd; do
	[ "$(field "$worker" $f)" = $NEEDED ] || fail "worker $f = $(field "$worker" $f), want $NEEDED"
done
[ "$(field "$worker" NoNewPrivs)" = 1 ] || fail "worker without no_new_privs"
[ "$(field "$worker" Seccomp)" = 2 ] || fail "worker Seccomp = $(field "$worker" Seccomp), want 2 (filter)"
log "ok: worker $worker: uid $(field "$worker" Uid | cut -f1), CapEff=CapBnd=$NEEDED, NoNewPrivs 1, seccomp filter"

mon=
for p in $(pgrep -P "$worker"); do grep -qx uwg-monitor "/proc/$p/comm" && mon=$p; done
[ -n "$mon" ] || fail "no uwg-monitor under the worker"
[ "$(field "$mon" Uid | cut -f1)" = 0 ] || fail "the monitor is not root"
fds=$(ls -l "/proc/$mon/fd" | awk 'NR > 1 { print $NF }')
# stdio, its channel to the worker and its own namespace: nothing of the daemon's
[ "$(wc -l <<<"$fds")" -le 5 ] && ! grep -qE 'tun|wireguard|UDP|anon_inode' <<<"$fds" ||
	fail "the monitor holds: $fds"
[ "$(field "$mon" Seccomp)" = 0 ] || fail "the monitor runs under a seccomp filter (it was forked before it)"
log "ok: monitor $mon: root, holds only $(tr '\n' ' ' <<<"$fds")"

child=
for p in $(pgrep -P "$worker"); do [ "$p" != "$mon" ] && child=$p; done
[ -n "$child" ] || fail "no SSDP child"
[ "$(field "$child" CapEff)" = 0000000000000000 ] && [ "$(field "$child" CapAmb)" = 0000000000000000 ] ||
	fail "the SSDP child keeps capabilities: $(grep ^Cap "/proc/$child/status")"
[ "$(field "$child" Seccomp)" = 2 ] || fail "the SSDP child runs without the allow-list"
log "ok: SSDP child $child: uid $(field "$child" Uid | cut -f1), no capabilities, seccomp filter"

# everything still works unprivileged: a map and a remote host reaching the client through it
o=$(upnpc_in cli -n 10.100.0.2 8043 8043 tcp 300)
grep -q 'is redirected to internal 10.100.0.2:8043' <<<"$o" || fail "map as an unprivileged daemon: $o"
bg cli "$T_TMP/listen.out" timeout 30 socat -u TCP-LISTEN:8043,reuseaddr OPEN:"$T_TMP/got",creat
wait_listen cli t 8043 || fail "socat did not listen"
echo "through the map" | nsx rmt timeout 10 socat -u - TCP:$SRV_PUB:8043 || fail "remote connect through the map"
for _ in $(seq 1 50); do [ -s "$T_TMP/got" ] && break; sleep 0.1; done
grep -q 'through the map' "$T_TMP/got" || fail "nothing arrived through the map"
log "ok: a UPnP map carries a remote host's connection"

kill -9 "$worker"
for _ in $(seq 1 50); do kill -0 "$mon" 2>/dev/null || break; sleep 0.1; done
kill -0 "$mon" 2>/dev/null && fail "the monitor outlived its worker"
[ -e "/var/run/wireguard/$SRV_IF.sock" ] && fail "the socket is left after kill -9 of the worker"
log "ok: kill -9 of the worker: the monitor removed the socket and exited"

# UWG_USER=root: no monitor, full root as before
nsx cl2 env UWG_USER=root "$UWG" "${SRV_IF}r" || fail "UWG_USER=root daemon"
p=$(nsx cl2 ss -xlpn | grep -F "/wireguard/${SRV_IF}r.sock " | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$p" ] && [ "$(field "$p" Uid | cut -f1)" = 0 ] || fail "UWG_USER=root: not root"
[ "$(field "$p" Seccomp)" = 2 ] || fail "UWG_USER=root: no seccomp filter"
nsx cl2 ip link del "${SRV_IF}r"
nsx cl2 env UWG_SECCOMP=0 "$UWG" "${SRV_IF}s" || fail "UWG_SECCOMP=0 daemon"
p=$(nsx cl2 ss -xlpn | grep -F "/wireguard/${SRV_IF}s.sock " | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[ -n "$p" ] && [ "$(field "$p" Seccomp)" = 0 ] || fail "UWG_SECCOMP=0: a filter anyway"
nsx cl2 ip link del "${SRV_IF}s"
o=$(nsx cl2 env UWG_USER=no-such-user-here "$UWG" "${SRV_IF}q" 2>&1) && fail "an unknown UWG_USER started"
grep -q 'no such user' <<<"$o" || fail "unknown UWG_USER: $o"
log "ok: UWG_USER=root keeps root (and the filter); UWG_SECCOMP=0 runs without; an unknown user is an error"
pass
