#!/usr/bin/env bash
# test/packaging/t_units.sh - uwg@.service and uwg.target pass `systemd-analyze verify`
# (static: PID 1 here need not be systemd). The units are checked as an instance
# (uwg@wg0.service) with /usr/bin/uwg pointed at the binary just built, since verify checks
# that every Exec* program exists. Any diagnostic at all fails, not only errors: a
# misspelt setting is only a warning to systemd, and a unit silently missing its hardening.
# Usage: t_units.sh SOURCE_DIR UWG_BINARY
set -u -o pipefail
src=$1 bin=$(realpath "$2")
. "$src/scripts/need.sh"
need systemd-analyze
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|/usr/bin/uwg|$bin|g" "$src/dist/systemd/uwg@.service" >"$tmp/uwg@wg0.service"
cp "$src/dist/systemd/uwg.target" "$tmp/uwg.target"
out=$(SYSTEMD_LOG_LEVEL=info systemd-analyze verify --man=no "$tmp/uwg@wg0.service" "$tmp/uwg.target" 2>&1)
rc=$?
if [ $rc != 0 ] || [ -n "$out" ]; then
	printf 'FAIL: t_units: systemd-analyze verify (exit %s):\n%s\n0 passed, 1 failed\n' "$rc" "$out"
	exit 1
fi
echo "1 passed, 0 failed"
