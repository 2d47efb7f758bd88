#!/usr/bin/env bash
# The what-if studies of docs/experiments.md, regenerated: the results
# (CSV, tables) and plots (PNG, SVG) under docs/experiments/, the traces
# and full stats in a scratch directory.  `bash scripts/studies.sh
# [a|b|c|d|1|2|3]...` (default: all); prints each study's wall time.
set -euo pipefail
cd "$(dirname "$0")/.."

Z=${ZPCISIM:-./build/sim/zpcisim}
OUT=docs/experiments
TMP=${TMPDIR:-/tmp}/zpcisim-studies
mkdir -p "$TMP" "$OUT"
[[ -x $Z ]] || { cmake --preset default >/dev/null && cmake --build --preset default >/dev/null; }

# A fresh sweep: the results file is resumable, so an old one would be kept.
sweep() {
	local out=$1
	shift
	mkdir -p "$(dirname "$out")"
	rm -f "$out"
	$Z sweep "$@" --out "$out" >/dev/null
}

# The closed-loop throughput table of `compare`.
closed() {
	local out=$1
	shift
	mkdir -p "$(dirname "$out")"
	$Z compare "$@" --timing closed --mode cycle | sed -n '/^closed loop:/,$p' >"$out"
}

# a: throughput per design, storage and network, each guest's default policy.
studya() {
	for w in storage net; do
		$Z trace gen $w "$TMP/$w.ztb" --records 1000000 --seed 1 >/dev/null
		for g in linux-6.1 linux-6.7; do
			closed "$OUT/throughput/$w-$g.txt" "$TMP/$w.ztb" --guest $g
		done
		$Z trace gen $w "$TMP/$w-100k.ztb" --records 100000 --seed 1 >/dev/null
		$Z sensitivity "$TMP/$w-100k.ztb" --mode cycle \
			--designs bare,intercept-user,intercept-kvm,nested-pinned \
			--out "$OUT/throughput/$w-sensitivity.csv" >"$OUT/throughput/$w-sensitivity.txt"
	done
}

# b: flush-queue shape x design x aperture.  The intercepting designs' aperture
# is what their mapping limit can map (QEMU shrinks it to the VFIO limit),
# the others' the guest's memory, so the limit sweeps their aperture only.
studyb() {
	mkdir -p "$OUT/flush-queue"
	for w in storage net; do
		$Z trace gen $w "$TMP/$w-16G.ztb" --records 300000 --seed 1 --guest-memory 16G >/dev/null
		sweep "$OUT/flush-queue/$w.csv" "$TMP/$w-16G.ztb" --mode cycle \
			--designs bare,intercept-user,intercept-kvm,nested-pinned \
			--set replay.timing=closed --set replay.guest=linux-6.7 \
			--set replay.policy=flush-queue --set guest.flush_queue=per-cpu,single \
			--set hypervisor.mapping_limit=65535,262144,1048576,4194304
		$Z report "$OUT/flush-queue/$w.csv" --out "$OUT/flush-queue/$w" >/dev/null
		table "$OUT/flush-queue/$w.csv" >"$OUT/flush-queue/$w.md"
	done
}

# A closed-loop sweep's results as a Markdown table: throughput against
# bare's at the same point, retries, p99 latency and the bottleneck.
table() {
	awk -F, '
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	{
		d = $col["replay.design"]; q = $col["guest.flush_queue"]
		lim = $col["hypervisor.mapping_limit"]; rate = $col["requests_per_s"]
		key = q SUBSEP lim
		if (d == "bare") bare[key] = rate
		row[NR] = $0
	}
	END {
		print "| design | flush queue | mapping limit | aperture (intercepting) | requests/s | vs bare | retries | p99 (us) | bottleneck |"
		print "|---|---|---|---|---|---|---|---|---|"
		for (r = 2; r <= NR; r++) {
			n = split(row[r], f, ",")
			d = f[col["replay.design"]]; q = f[col["guest.flush_queue"]]
			lim = f[col["hypervisor.mapping_limit"]]; rate = f[col["requests_per_s"]]
			printf "| %s | %s | %s | %.0f MiB | %s | %.3f | %s | %.0f | %s |\n", d, q, lim,
				lim / 256, rate, rate / bare[q SUBSEP lim], f[col["request_retries"]],
				f[col["request_latency_ns_p99"]] / 1000, f[col["bottleneck"]]
		}
	}' "$1"
}

# c: nested-pinned against intercept-kvm, on a 4 GiB and a 16 GiB guest.
studyc() {
	mkdir -p "$OUT/break-even"
	for w in storage net; do
		for mem in 4G 16G; do
			$Z trace gen $w "$TMP/$w-$mem.ztb" --records 1000000 --seed 1 \
				--guest-memory $mem >/dev/null
			$Z compare "$TMP/$w-$mem.ztb" --designs intercept-kvm,nested-pinned \
				--timing closed --mode cycle >"$OUT/break-even/$w-$mem.txt"
		done
	done
}

# d: throughput as the pin limit shrinks.
studyd() {
	$Z trace gen storage "$TMP/storage.ztb" --records 1000000 --seed 1 >/dev/null
	mkdir -p "$OUT/pin-limit"
	for lim in 0 4M 3M 2560K 2M; do
		$Z compare "$TMP/storage.ztb" --designs intercept-user,intercept-kvm \
			--set hypervisor.pin_limit=$lim --timing closed --mode cycle \
			| tail -n +2 >"$OUT/pin-limit/storage-$lim.txt"
	done
}

# 1: IOTLB size x design on a network trace (descriptor rings + per-packet buffers).
study1() {
	$Z trace gen net "$TMP/net-4g.ztb" --records 1000000 --seed 1 >/dev/null
	sweep "$OUT/iotlb/results.csv" "$TMP/net-4g.ztb" --mode cycle \
		--designs bare,intercept-kvm,nested-pinned --set iotlb.entries=4,16,64,256,1024,4096
	$Z report "$OUT/iotlb/results.csv" --out "$OUT/iotlb" >/dev/null
}

# 2: pin cost x design, on a 4 GiB and a 16 GiB guest.
study2() {
	for mem in 4G 16G; do
		$Z trace gen net "$TMP/net-$mem.ztb" --records 1000000 --seed 1 \
			--guest-memory $mem >/dev/null
		sweep "$OUT/pin-cost/guest-$mem.csv" "$TMP/net-$mem.ztb" \
			--designs intercept-user,intercept-kvm,nested-pinned \
			--set cost.pin_page_ns=25,50,100,170,400,1000,2000
		$Z report "$OUT/pin-cost/guest-$mem.csv" --out "$OUT/pin-cost/guest-$mem" >/dev/null
	done
}

# 3: lazy vs strict vs flush-queue: exposure window against RPCITs.
study3() {
	for w in net churn; do
		$Z trace gen $w "$TMP/$w-policy.ztb" --records 1000000 --seed 1 >/dev/null
		sweep "$OUT/policy/$w.csv" "$TMP/$w-policy.ztb" --json "$TMP/$w-policy.jsonl" \
			--designs bare,intercept-kvm --set replay.policy=lazy,strict,flush-queue
		$Z report "$OUT/policy/$w.csv" "$TMP/$w-policy.jsonl" --out "$OUT/policy/$w" >/dev/null
		# Only the plots of the policy question are kept.
		rm -f "$OUT/policy/$w"/{pinned_memory,dma_latency,stale_windows,cost_per_design}.*
	done
}

studies=("$@")
((${#studies[@]})) || studies=(a b c d 1 2 3)
for s in "${studies[@]}"; do
	start=$(date +%s%N)
	"study$s"
	rm -f "$OUT"/*/*.dat "$OUT"/*/*/*.dat "$OUT"/*/*.gp "$OUT"/*/*/*.gp
	ms=$((($(date +%s%N) - start) / 1000000))
	printf 'study %s: %d.%d s\n' "$s" $((ms / 1000)) $((ms % 1000 / 100))
done
