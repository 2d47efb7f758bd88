#!/bin/bash
# SPDX-License-Identifier: MIT
# The commands that need neither SystemC nor ZeroMQ load neither (issue 28
# item 3): the dynamic loader's own account (LD_DEBUG=libs) of what `help`,
# `config dump`, `trace stats` and a functional replay load.  A fast replay
# and `replay --telemetry` must load theirs, so that a loader which said
# nothing could not pass the test.
#
#   tests/sim/startup_libs.sh ZPCISIM SAMPLES_DIR
set -euo pipefail

z=$1
samples=$2
export SC_COPYRIGHT_MESSAGE=DISABLE
fail() { echo "startup_libs: FAIL: $*" >&2; exit 1; }

# loaded ARGS...: the libraries the run of zpcisim ARGS initialised.
loaded() {
	LD_DEBUG=libs "$z" "$@" 2>&1 >/dev/null | sed -n 's/.*calling init: //p'
}

for args in "help" "config dump" "trace stats $samples/net-small.ztr" \
	    "replay $samples/net-small.ztr" "replay $samples/rpcit-log.ztr --design intercept-kvm"; do
	# shellcheck disable=SC2086
	libs=$(loaded $args)
	[[ -n $libs ]] || fail "zpcisim $args: LD_DEBUG=libs reported nothing"
	if grep -E 'libsystemc|libzmq' <<<"$libs"; then
		fail "zpcisim $args loads SystemC or ZeroMQ"
	fi
done
grep -q libsystemc <<<"$(loaded replay "$samples/net-small.ztr" --mode fast)" ||
	fail "zpcisim replay --mode fast: libsystemc not seen loading"
grep -q libzmq <<<"$(loaded replay "$samples/net-small.ztr" --telemetry 'tcp://127.0.0.1:*')" ||
	fail "zpcisim replay --telemetry: libzmq not seen loading"
echo "startup_libs: ok"
