#!/usr/bin/env bash
# scripts/fresh-check.sh - before a release: proves the README on a fresh machine. Builds a
# minimal Debian 12 root (debootstrap --variant=minbase bookworm), copies this checkout in
# (tracked and untracked-but-not-ignored files: no build directories), and inside it, as
# root in a chroot with its own mount and PID namespaces, runs the README's two commands
# exactly as written:
#     bash scripts/demo.sh
#     bash scripts/test.sh
# then builds the Debian package there (dpkg-buildpackage -b -us -uc), installs it with
# apt-get, and runs the demo again with the installed /usr/bin/uwg. Prints each step and what
# failed; exits non-zero on any failure; removes everything it created.
#
# Usage: bash scripts/fresh-check.sh [--demo-only | --release-only] [--deb | --no-deb] [--keep]
#   --demo-only     the demo, no test suite (a quick check of the root; ~2 min, ~6 with the package)
#   --release-only  the demo, then only the optimized build's suite instead of scripts/test.sh
#   --deb           the package step (the default; kept for scripts that ask for it)
#   --no-deb        skip the package step
#   --keep          keep the root (its path is printed)
# The package step needs debian/ in the checkout; without it the check fails and says so.
# The minbase root is cached in /var/cache/uwg-fresh/ (delete it to start from scratch).
# Needs root, network access to the host's Debian mirror, and ~3 GiB in /var/tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "fresh-check: run as root" >&2; exit 1; }

mode=all deb=1 keep=0
for a in "$@"; do
	case $a in
	--demo-only) mode=demo ;;
	--release-only) mode=release ;;
	--deb) deb=1 ;;
	--no-deb) deb=0 ;;
	--keep) keep=1 ;;
	*) echo "usage: $0 [--demo-only|--release-only] [--deb|--no-deb] [--keep]" >&2; exit 2 ;;
	esac
done

step() { printf '\n== fresh-check: %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }
die() { printf '\nFRESH-CHECK FAILED after %s s: %s\n' "$(( $(date +%s) - T0 ))" "$*" >&2; exit 1; }
T0=$(date +%s)

# Its own needs on the host (debootstrap, git) are in scripts/deps.sh with everything else.
. scripts/deps.sh
. scripts/need.sh
need debootstrap git
[ "$deb" = 0 ] || [ -f debian/control ] ||
	die "no debian/ in this checkout, so the package step cannot run (--no-deb skips it)"

# The host's Debian mirror, from its apt sources (deb822 or one-line format).
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
	grep -v -- '-security' | head -1)
# One-line format: "deb [options] URI bookworm ...".
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\)[[:space:]]\+bookworm[[:space:]].*/\2/p' \
	/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -1)
[ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list*"

ROOT=$(mktemp -d /var/tmp/uwg-fresh.XXXXXX)
cleanup()
{
	local rc=$?
	if findmnt -R "$ROOT" >/dev/null 2>&1; then
		echo "fresh-check: mounts left under $ROOT; not removing it" >&2
	elif [ "$keep" = 1 ]; then
		echo "fresh-check: root kept at $ROOT"
	else
		rm -rf "$ROOT"
	fi
	exit $rc
}
trap cleanup EXIT

CACHE=/var/cache/uwg-fresh/bookworm-minbase.tar
if [ -s "$CACHE" ]; then
	step "minimal Debian 12 root from the cache $CACHE"
	tar -C "$ROOT" -xpf "$CACHE" || die "cannot unpack $CACHE (delete it to debootstrap again)"
else
	step "debootstrap --variant=minbase bookworm $ROOT $mirror"
	debootstrap --variant=minbase bookworm "$ROOT" "$mirror" >"$ROOT.debootstrap.log" 2>&1 ||
		{ tail -20 "$ROOT.debootstrap.log"; die "debootstrap"; }
	rm -f "$ROOT.debootstrap.log"
	chmod 755 "$ROOT"
	mkdir -p "$(dirname "$CACHE")"
	tar -C "$ROOT" -cpf "$CACHE.tmp" . && mv "$CACHE.tmp" "$CACHE"
fi
# It becomes /: mktemp made it 0700 (and a cache written before this line carries that mode
# on its "./"), but the daemon, once no longer root, and apt's _apt user must traverse it.
chmod 755 "$ROOT"
# apt as the host has it (same mirror and suites), and name resolution for it
rm -f "$ROOT/etc/apt/sources.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] && cp "$f" "$ROOT$f"
done
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
[ -L "$ROOT/var/run" ] || die "the root's /var/run is not a link to /run"

step "copying the checkout to /src/uwg"
mkdir -p "$ROOT/src/uwg"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
	[ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -C "$ROOT/src/uwg" -xf -

# What runs inside, in the chroot: exactly the README's commands, then the package.
cat >"$ROOT/fresh-inner.sh" <<EOF # runs-elsewhere: inside the root, after deps.sh
#!/bin/bash
set -eo pipefail
cd /src/uwg
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
export DEBIAN_FRONTEND=noninteractive
echo "== inside: bash scripts/demo.sh"
bash scripts/demo.sh
case $mode in
all)
	echo "== inside: bash scripts/test.sh"
	bash scripts/test.sh ;;
release)
	echo "== inside: the optimized suite only"
	cmake -S . -B build/release -DUWG_WERROR=ON -DUWG_TEST_KNOBS=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=gcc >/dev/null
	cmake --build build/release -j\$(nproc) >/dev/null
	(cd build/release && ctest --output-on-failure -j\$(nproc) -LE fuzz --timeout 600) ;;
esac
if [ $deb = 1 ]; then
	echo "== inside: dpkg-buildpackage -b -us -uc"
	dpkg-buildpackage -b -us -uc >/tmp/dpkg-buildpackage.log 2>&1 || { tail -40 /tmp/dpkg-buildpackage.log; exit 1; }
	ls -l ../uwg_*.deb
	echo "== inside: apt-get install ./uwg_*.deb"
	(cd .. && apt-get install -y -qq ./uwg_*.deb >/dev/null)
	dpkg -L uwg | grep -E 'bin/uwg|uwg@.service|uwg.target|man8|man5|completions|examples' | head -20
	id uwg
	echo "== inside: the demo with the installed /usr/bin/uwg (\$(/usr/bin/uwg --version 2>&1 | head -1))"
	UWG_DEMO_BIN=/usr/bin/uwg bash scripts/demo.sh
fi
echo "== inside: all passed"
EOF
chmod 755 "$ROOT/fresh-inner.sh"

step "running inside the fresh root (mode $mode, package $deb)"
# Own mount namespace: the root is a mount point of its own, /run a tmpfs where `ip netns`
# can create its bind mounts; own PID namespace: every process started inside dies with it.
unshare --mount --propagation private --pid --fork /bin/bash -c '
	set -e
	R=$1
	mount --bind "$R" "$R"
	mount -t proc proc "$R/proc"
	mount --rbind /sys "$R/sys"
	mount --rbind /dev "$R/dev"
	mount -t tmpfs -o mode=755 tmpfs "$R/run"
	mkdir -p "$R/run/netns" "$R/run/lock"
	exec chroot "$R" /fresh-inner.sh
' fresh "$ROOT" || die "the README's commands failed in the fresh root (see above)"

step "passed in $(( $(date +%s) - T0 )) s (mode $mode, package $deb)"
