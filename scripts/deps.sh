#!/usr/bin/env bash
# Installs every Debian 12 package uwg needs to build, test and demo. Idempotent:
# apt-get runs only when something is missing. Sourced by scripts/test.sh and scripts/demo.sh.
set -euo pipefail
UWG_PACKAGES=(build-essential cmake pkg-config clang libclang-rt-14-dev
	libsodium-dev libssl-dev libuv1-dev libnl-3-dev libnl-route-3-dev libupnp-dev
	iproute2 iputils-ping wireguard-tools wireguard-go miniupnpc iperf3 socat
	procps psmisc libcap2-bin python3 nftables python3-libtorrent python3-prometheus-client curl tcpdump util-linux
	natpmpc transmission-daemon transmission-cli
	systemd dpkg-dev debhelper fakeroot lintian debootstrap git)
missing=()
for p in "${UWG_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
