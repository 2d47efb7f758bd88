#!/bin/bash
# SPDX-License-Identifier: MIT
# Capture what a real s390x Linux kernel does with a zPCI function: the
# Debian s390x kernel boots under QEMU (TCG) with a virtio device behind
# zPCI (iommu_platform=on, so its DMA goes through the s390 DMA layer),
# kprobe events record every map, unmap, table update and RPCIT while a
# workload runs, and the guest's ftrace text lands in OUT/WORKLOAD.ftrace.
# `zpcisim trace import` turns it into a zpcisim trace.
#
#   traces/capture/capture.sh [--suite SUITE] [--strict] OUT [block|net]...
#
# The kernel is the one Debian's linux-image-s390x points at in SUITE
# (default: the stable release's; bookworm-backports has a 6.7+ kernel,
# whose DMA goes through the generic DMA-IOMMU layer).  --strict boots
# with iommu.strict=1: an RPCIT per unmap instead of the flush queue, and
# the outputs are named WORKLOAD-strict.ftrace.  Workloads default to
# block and net.
#
# Offline after the first run: the kernel and busybox packages are kept in
# ${ZPCISIM_CAPTURE_CACHE:-~/.cache/zpcisim-capture}.  Installs what it
# needs when run as root (qemu-system-misc, cpio, the s390x architecture,
# SUITE's apt source).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
say() { echo "capture: $*" >&2; }
usage() { say "usage: capture.sh [--suite SUITE] [--strict] OUT [block|net]..."; exit 2; }
suite= strict=
while [ $# -gt 0 ]; do
	case $1 in
	--suite) [ $# -ge 2 ] || usage; suite=$2; shift 2 ;;
	--strict) strict=1; shift ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage
out=$(mkdir -p "$1" && cd "$1" && pwd)
shift
workloads=("${@:-block}")
[ $# -gt 0 ] || workloads=(block net)
cache=${ZPCISIM_CAPTURE_CACHE:-$HOME/.cache/zpcisim-capture}
memory_mib=256

# What the host needs.
if ! command -v qemu-system-s390x >/dev/null || ! command -v cpio >/dev/null ||
   ! dpkg --print-foreign-architectures | grep -qx s390x; then
	[ "$(id -u)" -eq 0 ] || { say "needs qemu-system-misc, cpio and dpkg's s390x architecture: run as root once"; exit 1; }
	export DEBIAN_FRONTEND=noninteractive
	dpkg --add-architecture s390x
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends qemu-system-misc cpio >/dev/null
fi
if [ -n "$suite" ] && ! grep -q " $suite/" <<< "$(apt-cache madison linux-image-s390x:s390x)"; then
	[ "$(id -u)" -eq 0 ] || { say "no apt source for $suite: run as root once"; exit 1; }
	echo "deb http://deb.debian.org/debian $suite main" > "/etc/apt/sources.list.d/zpcisim-$suite.list"
	apt-get update -qq
fi

# The kernel the Debian metapackage points at, and busybox: downloaded once, unpacked, never installed.
mkdir -p "$cache"
if [ -n "$suite" ]; then
	meta=$(apt-cache madison linux-image-s390x:s390x | awk -v s=" $suite/" 'index($0, s) {print $3; exit}')
else
	meta=$(apt-cache policy linux-image-s390x:s390x | awk '/Candidate:/ {print $2}')
fi
kpkg=$(apt-cache show "linux-image-s390x:s390x=$meta" 2>/dev/null |
       sed -n 's/^Depends: \(linux-image-[0-9][^ ,]*-s390x\).*/\1/p' | head -n 1)
[ -n "$kpkg" ] || { say "no s390x kernel package found${suite:+ in $suite} (apt-get update?)"; exit 1; }
kver=${kpkg#linux-image-}
if [ ! -d "$cache/$kver" ]; then
	say "downloading $kpkg and busybox-static for s390x"
	(cd "$cache" && apt-get download "$kpkg:s390x" busybox-static:s390x >/dev/null 2>&1)
	mkdir -p "$cache/$kver.part"
	dpkg-deb -x "$cache"/"$kpkg"_*_s390x.deb "$cache/$kver.part"
	dpkg-deb -x "$cache"/busybox-static_*_s390x.deb "$cache/$kver.part"
	mv "$cache/$kver.part" "$cache/$kver"
fi
root=$cache/$kver

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ir/bin" "$work/ir/lib/modules" "$work/ir"/{proc,sys,dev}
cp "$root/bin/busybox" "$work/ir/bin/"
n=0
for m in virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk failover net_failover virtio_net; do
	n=$((n + 1))
	f=$(find "$root/lib/modules" -name "$m.ko*" | head -n 1)
	if [ -z "$f" ]; then
		grep -q "/$m\.ko" "$root"/lib/modules/*/modules.builtin || { say "module $m not in $kpkg"; exit 1; }
		continue	# built in
	fi
	case $f in
	*.xz) xz -dc "$f" > "$work/ir/lib/modules/$n-$m.ko" ;;
	*) cp "$f" "$work/ir/lib/modules/$n-$m.ko" ;;
	esac
done
cp "$here/guest-init.sh" "$work/ir/init"
chmod +x "$work/ir/init"
(cd "$work/ir" && find . | cpio -o -H newc 2>/dev/null | gzip > "$work/initramfs.gz")
truncate -s 64M "$work/disk.img"

for w in "${workloads[@]}"; do
	case $w in
	block) dev=(-drive "file=$work/disk.img,if=none,id=d0,format=raw"
		    -device zpci,uid=1,fid=1,target=dev0
		    -device virtio-blk-pci,id=dev0,drive=d0,disable-legacy=on,iommu_platform=on) ;;
	net) dev=(-netdev user,id=n0
		  -device zpci,uid=1,fid=1,target=dev0
		  -device virtio-net-pci,id=dev0,netdev=n0,disable-legacy=on,iommu_platform=on,romfile=) ;;
	*) say "unknown workload '$w' (block, net)"; exit 2 ;;
	esac
	file=$out/$w${strict:+-strict}.ftrace
	say "$w: booting $kpkg under QEMU (TCG)"
	start=$(date +%s)
	timeout 540 qemu-system-s390x -M s390-ccw-virtio -cpu max -m "$memory_mib" -smp 1 \
		-nographic -no-reboot -kernel "$root/boot/vmlinuz-$kver" -initrd "$work/initramfs.gz" \
		-append "console=ttysclp0 quiet zpcisim.workload=$w${strict:+ iommu.strict=1}" "${dev[@]}" > "$work/$w.console" 2>&1 || true
	sed -n 's/^zpcisim-capture: \(cannot probe.*\)/\1/p' "$work/$w.console" | tr -d '\r' | while read -r l; do say "$w: $l"; done
	grep -q "^zpcisim-capture: trace ends" "$work/$w.console" ||
		{ say "$w: the guest did not finish; its console:"; tail -n 20 "$work/$w.console" >&2; exit 1; }
	{
		echo "# zpcisim capture: workload=$w kernel=$kver memory=${memory_mib}M cpus=1"
		# QEMU's zPCI defaults (hw/s390x/s390-pci-bus.h): the DMA range and the refresh bit.
		echo "# zpcisim capture: qemu=$(qemu-system-s390x --version | head -n 1 | awk '{print $4}') sdma=0x100000000 edma=0x1ffffffffffffff refresh=1"
		sed -n 's/^zpcisim-capture: \(function\|guest\) /# zpcisim capture: \1 /p' "$work/$w.console" | tr -d '\r'
		sed -n '/^zpcisim-capture: statistics/,/^zpcisim-capture: trace begins/p' "$work/$w.console" |
			sed '1d;$d' | tr -d '\r' | sed 's/^/# statistics: /'
		sed -n '/^zpcisim-capture: trace begins/,/^zpcisim-capture: trace ends/p' "$work/$w.console" |
			sed '1d;$d' | tr -d '\r'
	} > "$file"
	say "$w: $(grep -c ': [a-z_]*: (' "$file") events in $(( $(date +%s) - start )) s -> $file"
done
