#!/usr/bin/env bash
# Set up, build and run the main job: replay a bundled trace.  README command (1).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default >/dev/null
./build/sim/zpcisim replay traces/samples/net-small.ztr
