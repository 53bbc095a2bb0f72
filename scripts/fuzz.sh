#!/usr/bin/env bash
# scripts/fuzz.sh - the long fuzzing run (CI gives each harness only ~20 s).
#   Usage: bash scripts/fuzz.sh [SECONDS_PER_HARNESS] [HARNESS...]     (default 3600, all)
#   UWG_FUZZ_RUNS=N stops each harness after N executions (libFuzzer's -runs) or SECONDS,
#   whichever comes first: `UWG_FUZZ_RUNS=10000000 bash scripts/fuzz.sh 14400` is the
#   "10 M executions per harness" run.
# Builds every libFuzzer harness of test/fuzz/ (clang, ASan+UBSan) in build/fuzz-long and
# runs each for SECONDS from the repository's seeds (test/fuzz/corpus/NAME, read only) plus a
# working corpus kept between runs in build/fuzz-long/corpus-NAME (new inputs go there).
# Crashes, leaks, timeouts and OOMs are saved as build/fuzz-long/crashes/NAME-*, libFuzzer's
# output as build/fuzz-long/logs/NAME.log. At the end a table: executions, executions per
# second, coverage (cov: edges and ft: features, from libFuzzer's last status line), corpus
# size and the crashes this run found. Exit status 1 if any harness crashed or failed.
#
# Scheduling: one process per harness, UWG_FUZZ_PARALLEL harnesses at a time (default nproc),
# so the whole run takes ceil(harnesses / parallel) x SECONDS. That spends the cores as well as
# -jobs/-workers would, keeps each harness's exec/s its own (one core each), and a crash in
# one harness does not stop the others. A harness stops at its first crash (libFuzzer's way).
# Each run is bounded: libFuzzer's -max_total_time, and `timeout` a few minutes later in
# case a harness hangs outside an input (-timeout=10 catches hangs inside one).
#
# -O1: the build is Debug (assertions on) plus -O1, as libFuzzer and OSS-Fuzz advise. BLAKE2s
# and the Noise KDFs at -O0 under ASan, UBSan and coverage dominate the handshake harnesses;
# -O1 makes them 6-8 times faster with the same sanitizer checks. Needs no network.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/need.sh
need clang cmake

secs=${1:-3600}
shift || true
[[ "$secs" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SECONDS_PER_HARNESS] [HARNESS...]" >&2; exit 2; }
par=${UWG_FUZZ_PARALLEL:-$(nproc)}
runs=${UWG_FUZZ_RUNS:--1}
[[ "$runs" =~ ^(-1|[1-9][0-9]*)$ ]] || { echo "fuzz.sh: UWG_FUZZ_RUNS must be a positive count" >&2; exit 2; }
B=build/fuzz-long

cmake -S . -B $B -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_C_FLAGS=-O1 \
	-DUWG_FUZZ=ON -DUWG_SANITIZE=address,undefined >/dev/null
cmake --build $B -j"$(nproc)" 2>&1 | grep -E 'error|warning:' || true
cmake --build $B -j"$(nproc)" >/dev/null
mkdir -p $B/crashes $B/logs

if [ $# -gt 0 ]; then
	harnesses=("$@")
else
	harnesses=()
	for f in test/fuzz/fuzz_*.c; do
		harnesses+=("$(basename "$f" .c)")
	done
fi
for h in "${harnesses[@]}"; do
	[ -x "$B/test/$h" ] || { echo "fuzz.sh: no harness $h (test/fuzz/$h.c)" >&2; exit 2; }
done
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

stamp=$B/logs/.started
touch "$stamp"
rounds=$(((${#harnesses[@]} + par - 1) / par))
echo "fuzz: ${#harnesses[@]} harnesses, ${secs}s each, $par at a time: about $(((rounds * secs + 59) / 60)) min"

# One harness; its exit status goes to logs/NAME.rc.
run_one()
{
	local h=$1 rc=0 seeds=()
	mkdir -p "$B/corpus-$h"
	[ -d "test/fuzz/corpus/$h" ] && seeds=("test/fuzz/corpus/$h")
	timeout -s INT -k 60 $((secs + 300)) "$B/test/$h" -max_total_time="$secs" -runs="$runs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$B/crashes/$h-" \
		"$B/corpus-$h" "${seeds[@]}" >"$B/logs/$h.log" 2>&1 || rc=$?
	echo $rc >"$B/logs/$h.rc"
	echo "== $h done (exit $rc)"
}

for h in "${harnesses[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$par" ]; do
		wait -n || true
	done
	echo "== $h: ${secs}s"
	run_one "$h" &
done
wait

row()
{
	printf '%-20s %14s %9s %7s %8s %8s %8s\n' "$@"
}
status=0
echo
row harness executions exec/s cov ft corpus crashes
for h in "${harnesses[@]}"; do
	log=$B/logs/$h.log
	last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	# Without final stats (a crash): the last status line's counters.
	[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
	[ -n "$rate" ] || rate=$(grep -o 'exec/s: [0-9]*' <<<"$last" | cut -d' ' -f2 || true)
	cov=$(grep -o 'cov: [0-9]*' <<<"$last" | cut -d' ' -f2 || true)
	ft=$(grep -o 'ft: [0-9]*' <<<"$last" | cut -d' ' -f2 || true)
	corpus=$(find "$B/corpus-$h" -type f | wc -l)
	crashes=$(find $B/crashes -name "$h-*" -newer "$stamp" | wc -l)
	[ "$(cat "$B/logs/$h.rc")" = 0 ] && [ "$crashes" = 0 ] || status=1
	row "$h" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$corpus" "$crashes"
done
if [ $status != 0 ]; then
	echo "fuzz: a harness crashed or failed: see $B/logs/ and $B/crashes/ (reproduce:" \
		"$B/test/NAME $B/crashes/FILE)"
fi
exit $status
