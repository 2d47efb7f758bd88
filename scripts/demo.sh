#!/usr/bin/env bash
# Set up, build and run the main job: a real guest's capture (Debian's
# s390x Linux 6.1 with a virtio NIC behind zPCI) replayed through the five
# designs, side by side.  README command (1).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default >/dev/null
SC_COPYRIGHT_MESSAGE=DISABLE ./build/sim/zpcisim compare traces/samples/real/net-linux-6.1.ztr
