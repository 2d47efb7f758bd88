#!/bin/bash
# SPDX-License-Identifier: MIT
# A sweep on a real single-node Slurm cluster, started here: slurmctld and
# slurmd (Debian's slurm-wlm) for this host alone, from a generated
# slurm.conf in a temporary directory, stopped by PID at the end.  The sweep
# is submitted, waited for and collected; the merged files must equal a
# local run's byte for byte.  Then one task's results are lost: collect
# must name it, --resume must run it again, and the files come out the same.
# Skips (exit 77, one line on stderr) only when Slurm cannot start here.
#
#   tests/slurm/sweep_on_slurm.sh ZPCISIM [RECORDS [CHUNK]]
#
# RECORDS (default 20000) and CHUNK (default 2) size the sweep for
# measuring Slurm's overhead against the local run (docs/slurm.md).
set -euo pipefail

zpcisim=$(realpath "$1")
records=${2:-20000}
chunk=${3:-2}
work=$(mktemp -d /tmp/zpcisim-slurm.XXXXXX)
pids=()
stop() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap stop EXIT
skip() { echo "sweep_on_slurm: SKIP: $*" >&2; exit 77; }
fail() { echo "sweep_on_slurm: FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

command -v slurmctld >/dev/null && command -v slurmd >/dev/null ||
	skip "slurmctld/slurmd not installed (apt-get install slurm-wlm)"

# A cluster of this host alone, on ports of its own.
host=$(hostname -s)
port=$((20000 + RANDOM % 20000))
mkdir -p "$work/state" "$work/spool"
cat > "$work/slurm.conf" <<CONF
ClusterName=zpcisim-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
AuthType=auth/none
CredType=cred/none
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=zpcisim Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" > "$work/slurmctld.out" 2>&1 & pids+=($!)
slurmd -D -N "$host" -f "$SLURM_CONF" > "$work/slurmd.out" 2>&1 & pids+=($!)
for _ in $(seq 120); do
	sinfo -h -o %T 2>/dev/null | grep -q idle && break
	sleep 0.5
done
sinfo -h -o %T 2>/dev/null | grep -q idle ||
	skip "Slurm did not start: $(tail -n 1 "$work/slurmctld.log" "$work/slurmd.log" 2>/dev/null | tr '\n' ' ')"

# Wait for every task of the job ids given to leave the queue.
wait_jobs() {
	for _ in $(seq 600); do
		[ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
		sleep 0.5
	done
	fail "job $1 still queued after 5 minutes"
}

# Wait for the queue to empty (a collect job follows its array).
wait_all() {
	for _ in $(seq 600); do
		[ -z "$(squeue -h 2>/dev/null)" ] && return 0
		sleep 0.5
	done
	fail "jobs still queued after 5 minutes: $(squeue -h | tr '\n' ' ')"
}

export SC_COPYRIGHT_MESSAGE=DISABLE
cd "$work"
"$zpcisim" trace gen net trace.ztb --records "$records" > /dev/null
sweep=(sweep trace.ztb --set iotlb.entries=16,64,256 --designs bare,intercept-kvm,nested-pinned)

t0=$(now)
"$zpcisim" "${sweep[@]}" --out local.csv --json local.jsonl --jobs "$(nproc)" > /dev/null
t1=$(now)
"$zpcisim" "${sweep[@]}" --out slurm.csv --json slurm.jsonl --backend slurm --slurm-dir job \
	--chunk "$chunk" > submit.out
job=$(sed -n 's/^job: //p' submit.out)
[ -n "$job" ] || fail "no job id: $(cat submit.out)"
wait_jobs "$job"
"$zpcisim" sweep collect job > collect.out || fail "collect: $(cat collect.out)"
t2=$(now)
cmp local.csv slurm.csv || fail "the Slurm sweep's CSV differs from the local one"
cmp local.jsonl slurm.jsonl || fail "the Slurm sweep's JSON lines differ from the local ones"
"$zpcisim" sweep collect job > /dev/null || fail "a second collect failed"
cmp local.csv slurm.csv || fail "a second collect changed the results"

# --then-collect: a job after the tasks merges them, nobody polls.
"$zpcisim" "${sweep[@]}" --out auto.csv --json auto.jsonl --backend slurm --slurm-dir auto \
	--chunk "$chunk" --then-collect > auto.out
grep -qx "collected by a job after it into: $work/auto.csv" auto.out ||
	fail "--then-collect: $(cat auto.out)"
wait_all
cmp local.csv auto.csv || fail "the collect job's CSV differs: $(cat auto/collect.log)"
cmp local.jsonl auto.jsonl || fail "the collect job's JSON lines differ"

# A task whose results are lost is named, run again, and the files are the same.
rm job/task-0.csv
if "$zpcisim" sweep collect job 2> lost.err; then fail "collect succeeded with task 0 missing"; fi
grep -q "task 0: no results" lost.err || fail "collect did not name task 0: $(cat lost.err)"
"$zpcisim" sweep collect job --resume 2> resume.err && fail "collect --resume did not wait for the run"
again=$(sed -n 's/.*submitted again as job \([0-9]*\).*/\1/p' resume.err)
[ -n "$again" ] || fail "no resubmission: $(cat resume.err)"
wait_jobs "$again"
rm slurm.csv slurm.jsonl
"$zpcisim" sweep collect job > /dev/null || fail "collect after --resume: $(cat resume.err)"
cmp local.csv slurm.csv || fail "the resumed sweep's CSV differs from the local one"
cmp local.jsonl slurm.jsonl || fail "the resumed sweep's JSON lines differ"

points=$(( $(wc -l < local.csv) - 1 ))
echo "sweep_on_slurm: ok: $points points, $(sed -n 's/^tasks: //p' submit.out);" \
	"local $(seconds "$t0" "$t1") s, Slurm from submission to collected $(seconds "$t1" "$t2") s"
