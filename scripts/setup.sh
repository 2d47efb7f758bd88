#!/usr/bin/env bash
# Install every Debian package zpcisim needs to build and test.
# Idempotent: installs only what is missing, and refreshes the package
# lists only when something is.  Run as root on Debian 12 (bookworm).
set -euo pipefail

packages=(
	build-essential cmake ninja-build pkg-config
	libsystemc-dev
	libboost-program-options-dev
	libgtest-dev libgmock-dev
	libbenchmark-dev
	libzmq3-dev cppzmq-dev
	nlohmann-json3-dev
	libtomlplusplus-dev
	zlib1g-dev
	valgrind
	gnuplot-nox
	clang
	slurm-wlm
	xz-utils
	groff-base
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
	echo "setup: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi

echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
