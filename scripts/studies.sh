#!/usr/bin/env bash
# The what-if studies of docs/experiments.md, regenerated: the results
# (CSV, tables) and plots (PNG, SVG) under docs/experiments/, the traces
# and full stats in a scratch directory.  `bash scripts/studies.sh
# [a|b|c|d|e|f]...` (default: all); prints each study's wall time.
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
	# What the collapse of the single queue behind a small aperture rests on.
	$Z sensitivity "$TMP/storage-16G.ztb" --mode cycle --designs bare,intercept-kvm \
		--set replay.guest=linux-6.7 --set guest.flush_queue=single \
		--set guest.fq_entries=32768 --set guest.fq_timeout_ms=1000 \
		--keys guest.fq_entries,guest.fq_timeout_ms,hypervisor.mapping_limit,device.retry_delay_ns,device.latency_ns,device.bandwidth_mb_s,cost.sie_exit_ns,cost.rpcit_base_ns \
		--out "$OUT/flush-queue/storage-sensitivity.csv" >"$OUT/flush-queue/storage-sensitivity.txt"
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
	# What the cliff just below the working set rests on (a shorter trace).
	$Z trace gen storage "$TMP/storage-100k.ztb" --records 100000 --seed 1 >/dev/null
	$Z sensitivity "$TMP/storage-100k.ztb" --mode cycle --designs bare,intercept-kvm \
		--set hypervisor.pin_limit=3M \
		--keys cost.walk_entry_ns,cost.pin_page_ns,cost.unpin_page_ns,cost.sie_exit_ns,cost.rpcit_base_ns,cost.rpcit_per_page_ns,hypervisor.pin_limit,device.retry_delay_ns \
		--out "$OUT/pin-limit/storage-sensitivity.csv" >"$OUT/pin-limit/storage-sensitivity.txt"
}

# e: IOTLB size x design on a network trace (descriptor rings + per-packet buffers).
studye() {
	$Z trace gen net "$TMP/net-4g.ztb" --records 1000000 --seed 1 >/dev/null
	sweep "$OUT/iotlb/results.csv" "$TMP/net-4g.ztb" --mode cycle \
		--designs bare,intercept-kvm,nested-pinned --set iotlb.entries=4,16,64,256,1024,4096
	$Z report "$OUT/iotlb/results.csv" --out "$OUT/iotlb" >/dev/null
}

# f: lazy vs strict vs flush-queue: exposure window against RPCITs.
studyf() {
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
((${#studies[@]})) || studies=(a b c d e f)
for s in "${studies[@]}"; do
	start=$(date +%s%N)
	"study$s"
	rm -f "$OUT"/*/*.dat "$OUT"/*/*/*.dat "$OUT"/*/*.gp "$OUT"/*/*/*.gp
	ms=$((($(date +%s%N) - start) / 1000000))
	printf 'study %s: %d.%d s\n' "$s" $((ms / 1000)) $((ms % 1000 / 100))
done
