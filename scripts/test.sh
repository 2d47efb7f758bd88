#!/usr/bin/env bash
# Set up, build and run every test: the normal build, then the same tests
# under AddressSanitizer + UndefinedBehaviorSanitizer, then each libFuzzer
# target for a fixed, seeded number of runs (the same inputs every time).
# This is README command (2) and exactly what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
for preset in default asan; do
	echo "== $preset: configure, build, test" >&2
	cmake --preset "$preset" >/dev/null
	cmake --build --preset "$preset"
	ctest --preset "$preset" --parallel "$(nproc)"
done
echo "== fuzz: each target, ${ZPCISIM_FUZZ_RUNS:=2000} seeded runs" >&2
cmake --preset fuzz -DZPCISIM_FUZZ_RUNS="$ZPCISIM_FUZZ_RUNS" >/dev/null
cmake --build --preset fuzz --target fuzz
