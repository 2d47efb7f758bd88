#!/bin/bash
# SPDX-License-Identifier: MIT
# The harness as a user gets it: this build installed into a temporary
# prefix (not the one it was configured for, so the package files must find
# their own place), then examples/rx_ring built out of tree against that
# prefix alone, with gcc and with clang, through find_package(zpcisim) and
# through pkg-config, with -Wall -Wextra -Werror.  Each rx_ring_demo must
# run every design in this process and against the installed
# `zpcisim serve`, and load the installed library.
#
#   tests/install/install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail

build=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d /tmp/zpcisim-install.XXXXXX)
prefix=$work/prefix
server=
stop() {
	if [[ -n $server ]]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap stop EXIT
fail() { echo "install_test: FAIL: $*" >&2; exit 1; }
export SC_COPYRIGHT_MESSAGE=DISABLE

compilers=(gcc clang)
for cc in "${compilers[@]}"; do
	command -v "$cc" >/dev/null || fail "$cc not found (scripts/setup.sh installs it)"
done

cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 ||
	fail "cmake --install: $(tail -n 3 "$work/install.log")"

pc=$(find "$prefix" -name zpcisim-harness.pc -path '*/pkgconfig/*' 2>/dev/null || true)
[[ -n $pc ]] || fail "no zpcisim-harness.pc under $prefix"
libdir=$(dirname "$(dirname "$pc")")
for f in "$prefix/bin/zpcisim" "$prefix/include/zpcisim/zpci/harness.h" \
	 "$prefix/include/zpcisim/zpci/dma.h" "$libdir/libzpcisim-harness.so" \
	 "$libdir/cmake/zpcisim/zpcisimConfig.cmake" "$prefix/share/man/man1/zpcisim.1" \
	 "$prefix/share/bash-completion/completions/zpcisim"; do
	[[ -e $f ]] || fail "$f not installed"
done

# The installed program opens its plugins from beside it ($ORIGIN-relative),
# not from the build tree: a timed replay loads the installed models.
for p in libzpcisim-models.so libzpcisim-net.so; do
	[[ -e $libdir/zpcisim/$p ]] || fail "$libdir/zpcisim/$p not installed"
done
trace=$(LD_DEBUG=libs "$prefix/bin/zpcisim" replay "$src/traces/samples/net-small.ztr" \
	--mode fast 2>&1 >/dev/null) || fail "installed zpcisim replay --mode fast: exit $?"
plugin=$(sed -n 's/.*calling init: \(.*libzpcisim-models\.so\)$/\1/p' <<<"$trace")
[[ -n $plugin && $(realpath "$plugin") == $(realpath "$libdir/zpcisim/libzpcisim-models.so") ]] ||
	fail "installed zpcisim loads the models from '$plugin', not $libdir/zpcisim"

# Every installed header stands alone, in C11, for both compilers.
for cc in "${compilers[@]}"; do
	for h in "$prefix"/include/zpcisim/zpci/*.h; do
		echo "#include <zpci/$(basename "$h")>" |
			"$cc" -std=c11 -Wall -Wextra -Werror -fsyntax-only \
			      -I"$prefix/include/zpcisim" -x c - ||
			fail "$cc: <zpci/$(basename "$h")> does not compile on its own"
	done
done

# The installed server, on a free loopback port.
"$prefix/bin/zpcisim" serve --listen 'tcp://127.0.0.1:*' >"$work/serve.out" 2>&1 &
server=$!
endpoint=
for _ in $(seq 100); do
	endpoint=$(sed -n 's/^listening: //p' "$work/serve.out")
	[[ -n $endpoint ]] && break
	kill -0 "$server" 2>/dev/null || fail "zpcisim serve exited: $(cat "$work/serve.out")"
	sleep 0.1
done
[[ -n $endpoint ]] || fail "zpcisim serve did not say where it listens"

# What rx_ring_demo must print: every design, every packet it sends
# (3 * 8 + 3, see rx_ring_demo.c).
expected=$(printf '%s: 27 packets intact\n' bare intercept-user intercept-kvm \
		  nested-pinned identity-pinned)

# check_demo HOW BINARY: the binary loads the installed library and
# delivers every packet in-process and remotely.
check_demo() {
	local how=$1 bin=$2 mode out loaded
	loaded=$(ldd "$bin" | sed -n 's/.*libzpcisim-harness\.so.* => \(.*\) (0x.*/\1/p')
	[[ -n $loaded && $(realpath "$loaded") == $(realpath "$libdir"/libzpcisim-harness.so) ]] ||
		fail "$how: $bin does not load $libdir/libzpcisim-harness.so: $(ldd "$bin")"
	for mode in in-process remote; do
		if [[ $mode == remote ]]; then
			out=$("$bin" "$endpoint" 2>&1) || fail "$how, $mode: exit $?: $out"
		else
			out=$("$bin" 2>&1) || fail "$how, $mode: exit $?: $out"
		fi
		[[ $out == "$expected" ]] || fail "$how, $mode: got
$out
expected
$expected"
	done
}

for cc in "${compilers[@]}"; do
	out=$work/cmake-$cc
	cmake -S "$src/examples/rx_ring" -B "$out" -G Ninja -DCMAKE_C_COMPILER="$cc" \
	      -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
	      -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$out.log" 2>&1 &&
		cmake --build "$out" >>"$out.log" 2>&1 ||
		fail "$cc, find_package: $(tail -n 20 "$out.log")"
	check_demo "$cc, find_package" "$out/rx_ring_demo"

	out=$work/make-$cc
	PKG_CONFIG_PATH="$libdir/pkgconfig" make -s -C "$src/examples/rx_ring" \
		O="$out" CC="$cc" >"$out.log" 2>&1 ||
		fail "$cc, pkg-config: $(tail -n 20 "$out.log")"
	check_demo "$cc, pkg-config" "$out/rx_ring_demo"
done
echo "install_test: ok: ${compilers[*]}, find_package and pkg-config, in-process and remote"
