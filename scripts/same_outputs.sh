#!/bin/bash
# SPDX-License-Identifier: MIT
# Whether two zpcisim binaries give byte-identical results: every bundled
# sample (the real captures decompressed) replayed under several designs in
# every mode, summary and stats JSON, plus variants that reach the rarer
# paths (faults, the error state, a small or random IOTLB, no stale check,
# a VCD and a timeline, closed-loop timing) and the golden commands.
# A change meant to leave results alone (a faster path) is checked with it.
#
#   scripts/same_outputs.sh BASE_ZPCISIM NEW_ZPCISIM [WORKDIR]
#
# Prints one line per differing run and the count compared; exit 0 when
# all agree, 1 when any differs.
set -u
base=$1 new=$2 work=${3:-$(mktemp -d)}
root=$(cd "$(dirname "$0")/.." && pwd)
export SC_COPYRIGHT_MESSAGE=DISABLE
mkdir -p "$work/samples" "$work/base" "$work/new"

for f in "$root"/traces/samples/*.zt* "$root"/traces/samples/real/*.zt*; do
	case $f in
	*.xz) out=$work/samples/$(basename "${f%.xz}")
	      [ -e "$out" ] || xz -dc "$f" >"$out" ;;
	*) ln -sf "$f" "$work/samples/" ;;
	esac
done

# The bundled samples have few IOTLB hits (the real captures have no
# device accesses): generated workloads add many, stale ones too.
for w in net storage coherent mixed churn; do
	out=$work/samples/gen-$w.ztb
	[ -e "$out" ] || "$base" trace gen "$w" "$out" --records 20000 >/dev/null || exit 2
done
[ -e "$work/samples/gen-coherent-refresh.ztb" ] ||
	"$base" trace gen coherent "$work/samples/gen-coherent-refresh.ztb" --records 20000 \
		--refresh >/dev/null || exit 2
# And one with many stale hits: each buffer used after its lazy unmap, at
# the IOVA the guest's allocator gave it (one page each, in order).
awk 'BEGIN {
	print "zpci-trace 1\nguest memory=1G cpus=1"
	print "function 0 fid=0x10 fh=0x100 pfgid=1 sdma=0x100000000 edma=0x1ffffffffffffff\n"
	print "0 0 attach"
	for (i = 1; i <= 300; i++) {
		t = i * 1000
		printf "%d 0 map %d 0x%x 4096 bidirectional\n", t, i, 2097152 + (i % 37) * 4096
		printf "%d 0 dma %d 0 64 write\n%d 0 dma %d 128 256 read\n", t + 1, i, t + 2, i
		printf "%d 0 unmap %d\n", t + 3, i
		for (k = 0; k < 3; k++)
			printf "%d 0 dma-iova 0x1%08x %d %s\n", t + 4 + k, (i - 1) * 4096,
				64 + k * 100, k % 2 ? "read" : "write"
	}
	print "400000 0 detach"
}' >"$work/samples/gen-stale.ztr"

compared=0 differ=0
# run NAME ARGS...: the same command with each binary, outputs compared.
# The first line of a summary names the trace's path, the same for both.
run() {
	local name=$1 side bin
	shift
	for side in base new; do
		bin=$base
		[ $side = new ] && bin=$new
		(cd "$work/$side" && "$bin" "$@" --stats-json "$name.json" >"$name.out" 2>"$name.err"
		 echo "rc $?" >>"$name.out")
	done
	for ext in out err json; do
		compared=$((compared + 1))
		if ! cmp -s "$work/base/$name.$ext" "$work/new/$name.$ext"; then
			differ=$((differ + 1))
			echo "differs: $name.$ext ($*)"
		fi
	done
}

# run with the trace's guest options (set per trace below)
vrun() {
	local name=$1
	shift
	run "$name" "$@" "${guest[@]}"
}

designs="bare intercept-user intercept-kvm nested-pinned identity-pinned"
for t in "$work"/samples/*; do
	s=$(basename "$t")
	# The 6.12 captures replay as they ran (tests/sim/replay_test.cc).
	guest=()
	case $s in
	*6.12-strict*) guest=(--guest linux-6.7 --policy strict) ;;
	*6.12*) guest=(--guest linux-6.7 --policy flush-queue) ;;
	esac
	for d in $designs; do
		for m in functional fast cycle; do
			run "$s-$d-$m" replay "$t" --design "$d" --mode "$m" "${guest[@]}"
		done
	done
	for m in fast cycle; do
		run "$s-strict-$m" replay "$t" --mode "$m" --policy strict \
			"${guest[@]:0:2}"
		vrun "$s-iotlb16-$m" replay "$t" --mode "$m" --set iotlb.entries=16
		vrun "$s-random-$m" replay "$t" --mode "$m" --set iotlb.replacement=random \
			--set iotlb.entries=64 --design nested-pinned
		vrun "$s-fifo-$m" replay "$t" --mode "$m" --set iotlb.replacement=fifo \
			--set iotlb.assoc=0 --set iotlb.entries=32
		vrun "$s-nostale-$m" replay "$t" --mode "$m" --set dtu.check_stale=false
		vrun "$s-noiotlb-$m" replay "$t" --mode "$m" --set iotlb.enabled=false
		vrun "$s-slowmem-$m" replay "$t" --mode "$m" --set memory.latency_cycles=7 \
			--set memory.bytes_per_cycle=3 --set dtu.iotlb_cycles=5 --set memory.clock_ns=0.7
		vrun "$s-error-$m" replay "$t" --mode "$m" --set inject.function_error_at_ns=2000000
		vrun "$s-busy-$m" replay "$t" --mode "$m" --set inject.rpcit_busy_every=7 \
			--set inject.rpcit_fail_every=11
		vrun "$s-pinfail-$m" replay "$t" --mode "$m" --design intercept-kvm --pin-fail-every 50
		vrun "$s-closed-$m" replay "$t" --mode "$m" --timing closed
		vrun "$s-timeline-$m" replay "$t" --mode "$m" --timeline "$s-$m.timeline.json"
		vrun "$s-vcd-$m" replay "$t" --mode "$m" --vcd "$s-$m.vcd"
		for f in "$s-$m.timeline.json" "$s-$m.vcd"; do
			compared=$((compared + 1))
			if ! cmp -s "$work/base/$f" "$work/new/$f"; then
				differ=$((differ + 1))
				echo "differs: $f"
			fi
		done
	done
	run "$s-compare" compare "$t"
done
# The golden files' commands, as tests/sim/replay_test.cc runs them.
for s in net-small.ztr storage-small.ztb rpcit-log.ztr; do
	run "golden-$s" replay "$work/samples/$s"
done

echo "compared: $compared files, differing: $differ (outputs in $work)"
[ $differ -eq 0 ]
