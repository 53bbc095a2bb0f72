# shellcheck shell=bash
# scripts/need.sh - `need CMD...`: a script or test states the external commands it runs;
# a missing one fails at once, naming the Debian package to add to the installer
# (scripts/commands.tsv maps them). Sourced by test/netns/*lib.sh, scripts/*.sh, bench/run.sh.
# `need py:MODULE` is a Python module instead: `import MODULE` must work in $PY_BIN
# (default python3), e.g. `need py:libtorrent`.
UWG_COMMANDS_TSV=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/commands.tsv

need()
{
	local c pkg inst
	for c in "$@"; do
		if [[ "$c" == py:* ]]; then
			"${PY_BIN:-python3}" -c "import ${c#py:}" >/dev/null 2>&1 && continue
		else
			command -v "$c" >/dev/null 2>&1 && continue
		fi
		read -r pkg inst < <(awk -F'\t' -v c="$c" '$1 == c { print $2, $3; exit }' "$UWG_COMMANDS_TSV") || true
		if [ -n "${pkg:-}" ]; then
			printf 'FAIL: %s: missing command %s (Debian package %s): add %s to %s\n' \
				"$(basename "$0" .sh)" "$c" "$pkg" "$pkg" "$inst" >&2
		else
			printf 'FAIL: %s: missing command %s, which scripts/commands.tsv does not map to a Debian package: add it there and the package to scripts/deps.sh\n' \
				"$(basename "$0" .sh)" "$c" >&2
		fi
		exit 1
	done
}
