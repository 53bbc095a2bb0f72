# shellcheck shell=bash
# scripts/need.sh - `need CMD...`: a script or test states the external commands it runs;
# a missing one fails at once, naming the Debian package to add to the installer
# (scripts/commands.tsv maps them). Sourced by test/netns/*lib.sh, scripts/*.sh, bench/run.sh.
UWG_COMMANDS_TSV=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/commands.tsv

need()
{
	local c row
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 && continue
		row=$(awk -F'\t' -v c="$c" '$1 == c { print $2 " " $3; exit }' "$UWG_COMMANDS_TSV")
		printf 'FAIL: %s: missing command %s (Debian package %s): add %s to %s\n' \
			"$(basename "$0" .sh)" "$c" "${row%% *}" "${row%% *}" "${row#* }" >&2
		exit 1
	done
}
