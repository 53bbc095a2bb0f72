#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this):
#   1. optimized gcc build with -Werror, all tests (unit + netns interop);
#   2. clang ASan+UBSan build, all tests again;
#   3. clang ThreadSanitizer build of the threaded code (crypto pool unit test, a daemon with
#      a crypto thread under traffic);
#   4. clang libFuzzer build, every harness for a bounded time.
# Needs root (network namespaces). Installs its own packages.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "test.sh: run as root (tests create network namespaces)" >&2; exit 1; }
bash scripts/deps.sh
. scripts/need.sh
need cmake ctest gcc clang

jobs=$(nproc)
fuzz_seconds=${UWG_FUZZ_SECONDS:-20}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run_suite() {
	local dir=$1; shift
	echo "=== build $dir ($*)"
	cmake -S . -B "$dir" -DUWG_WERROR=ON -DUWG_TEST_KNOBS=ON "$@" >/dev/null
	cmake --build "$dir" -j"$jobs" 2>&1 | grep -vE '^\[ *[0-9]+%\]' || true
	cmake --build "$dir" -j"$jobs" >/dev/null
	echo "=== test $dir"
	(cd "$dir" && ctest --output-on-failure -j"$jobs" -LE fuzz --timeout 600)
}

run_suite build/release -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=gcc
run_suite build/asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DUWG_SANITIZE=address,undefined

# The threaded code (the crypto pool's workers) under ThreadSanitizer: its unit test, and a
# daemon with a crypto thread carrying real traffic (t_offload's crypto-thread case).
echo "=== build build/tsan (clang ThreadSanitizer: the threaded code only)"
cmake -S . -B build/tsan -DUWG_WERROR=ON -DUWG_TEST_KNOBS=ON -DCMAKE_BUILD_TYPE=Debug \
	-DCMAKE_C_COMPILER=clang -DUWG_SANITIZE=thread >/dev/null
cmake --build build/tsan -j"$jobs" --target test_crypt_pool uwg udp_relay udp_inject nat_probe >/dev/null
echo "=== test build/tsan"
# Reports go to files, not stderr: a daemon's stderr is not the test's, so any report from
# any process fails the stage here, even one the test itself would not notice.
rm -rf build/tsan/reports && mkdir -p build/tsan/reports
tsan_rc=0
(cd build/tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:log_path=$PWD/reports/tsan \
	ctest --output-on-failure -R 'unit.test_crypt_pool|netns.t_offload' --timeout 600) || tsan_rc=$?
if [ -n "$(ls build/tsan/reports)" ]; then
	cat build/tsan/reports/*
	echo "=== ThreadSanitizer reports (build/tsan/reports/)" >&2
	exit 1
fi
[ $tsan_rc = 0 ] || exit $tsan_rc

echo "=== fuzz (${fuzz_seconds}s per harness)"
cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DUWG_FUZZ=ON \
	-DUWG_SANITIZE=address,undefined -DUWG_FUZZ_SECONDS="$fuzz_seconds" >/dev/null
cmake --build build/fuzz -j"$jobs" >/dev/null
(cd build/fuzz && ctest --output-on-failure -j"$jobs" -L fuzz)
echo "=== all suites passed"
