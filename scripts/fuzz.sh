#!/usr/bin/env bash
# scripts/fuzz.sh - the long fuzzing run (CI runs each harness only ~20 s): builds every
# libFuzzer harness (clang, ASan+UBSan) in build/fuzz-long, runs them one after another for
# SECONDS each (default 3600) from the repository's seeds plus a working corpus kept in
# build/fuzz-long/corpus-NAME between runs, keeps crashes in build/fuzz-long/crashes/, and
# ends with a table: harness, executions, executions per second, coverage (cov/ft from
# libFuzzer's last stats line) and crashes. One harness at a time: each uses one core, and
# the table's rates stay comparable.
#   Usage: bash scripts/fuzz.sh [SECONDS_PER_HARNESS] [HARNESS...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-3600}
shift || true
bash scripts/deps.sh
. scripts/need.sh
need clang cmake

B=build/fuzz-long
cmake -S . -B $B -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DUWG_FUZZ=ON \
	-DUWG_SANITIZE=address,undefined >/dev/null
cmake --build $B -j"$(nproc)" >/dev/null
mkdir -p $B/crashes $B/logs

if [ $# -gt 0 ]; then
	harnesses=("$@")
else
	mapfile -t harnesses < <(ls test/fuzz/fuzz_*.c | xargs -n1 basename | sed 's/\.c$//')
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

rows=()
status=0
for h in "${harnesses[@]}"; do
	corpus=$B/corpus-$h
	mkdir -p "$corpus"
	seeds=()
	[ -d "test/fuzz/corpus/$h" ] && seeds=("test/fuzz/corpus/$h")
	echo "== $h: ${secs}s"
	rc=0
	"$B/test/$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$B/crashes/$h-" "$corpus" "${seeds[@]}" >"$B/logs/$h.log" 2>&1 || rc=$?
	last=$(grep -E '^#[0-9]+' "$B/logs/$h.log" | tail -1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/logs/$h.log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$B/logs/$h.log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' <<<"$last" | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' <<<"$last" | cut -d' ' -f2)
	crashes=$(find $B/crashes -name "$h-*" | wc -l)
	[ "$rc" = 0 ] || status=1
	rows+=("$(printf '%-20s %14s %10s %8s %8s %8s' "$h" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$crashes")")
done

printf '\n%-20s %14s %10s %8s %8s %8s\n' harness executions exec/s cov ft crashes
printf '%s\n' "${rows[@]}"
[ $status = 0 ] || echo "a harness failed: see $B/logs/ and $B/crashes/"
exit $status
