// SPDX-License-Identifier: MIT
// Closed-loop timing: when each part of each I/O request happens, decided
// by the resources it needs rather than by the trace's timestamps.
//
// A job (one request, or a fence such as attach) is a list of phases, each
// either CPU work on a vCPU or a transfer on its function's device.  The
// scheduler admits a function's jobs in order, at most queue_depth at once;
// a phase starts when the one before it is done and its resource is free.
//
// Resources, and the serialisation they stand for:
//   vCPU    runs one phase at a time, first come first served; a phase is
//           a run of segments (guest work, hypervisor work, user-space
//           work), and while the hypervisor works for a vCPU that vCPU
//           does nothing else.
//   lock    a segment may need a lock (QEMU's big lock, a shadow table's
//           mutex); a vCPU waiting for it is blocked, not busy.
//   link    each function's device moves one transfer at a time (bytes /
//           bandwidth plus the DTU's translation time); the device's
//           per-request latency follows and overlaps other transfers.
//   slots   queue_depth requests in flight per function; the next enters
//           when one completes.  A fence runs alone: after every earlier
//           job of its function, before any later one.
//
// A job whose I/O could not start (the driver could not map a buffer)
// either fails or, as blk-mq requeues a request the driver answered
// BLK_STS_RESOURCE, runs again from its first phase in its slot: when
// another request of its function completes, or after retry_delay_ns when
// none is in flight to complete (blk-mq's restart and its 3 ms delay).
//
// The work itself (what a phase costs, what a transfer takes) is the
// Runner's: the scheduler calls it when a phase starts, in time order, so
// the functional state the runner changes sees events in simulated order.
#pragma once

#include <cstdint>
#include <deque>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "stats/histogram.h"

namespace zpcisim {

// Whose time a segment of CPU work is.
enum class CpuRole { Guest, Hypervisor, User, NR };

constexpr int kNoLock = -1;

struct Segment {
	uint64_t ns;
	CpuRole role;
	int lock;	// kNoLock, or the lock it holds while it runs
};

struct Phase {
	bool device;	// a transfer on the function's link; else CPU work
	uint32_t cpu;	// CPU work: the vCPU
	uint32_t first, count;	// the runner's: its records
};

struct Job {
	uint64_t handle;	// the runner's
	uint32_t fn;
	std::vector<Phase> phases;
	bool fence = false;	// runs alone (attach, detach, coherent alloc and free)
	uint64_t bytes = 0;	// its transfers', for throughput
	// Earlier jobs of its function it must wait for: one made a mapping
	// this one uses (a ring buffer posted by one request, filled under
	// the next).
	std::vector<uint64_t> after;
};

// Where a function's jobs come from, in order.
class JobSource {
public:
	virtual ~JobSource() = default;
	// The function's next job; false when it has no more.
	virtual bool next(uint32_t fn, Job *job) = 0;
};

// What became of a job (Runner::done).
enum class Outcome {
	Done,	// did its I/O
	Failed,	// did not: the driver gave up
	Retry,	// did not: run it again, from its first phase
};

// What the phases do and cost.
class Runner {
public:
	virtual ~Runner() = default;
	// Do CPU phase @phase of @job, starting at @now; its segments, in order.
	virtual void cpu(const Job &job, size_t phase, uint64_t now, std::vector<Segment> *out) = 0;
	// Do transfer @phase of @job, starting at @now; how long it holds the link.
	virtual uint64_t transfer(const Job &job, size_t phase, uint64_t now) = 0;
	// @job's last phase ended at @now.  Unless it is to run again, its
	// handle may be reused from here; a failed job counts in neither the
	// throughput nor the latency.
	virtual Outcome done(const Job &job, uint64_t now) = 0;
};

struct ScheduleParams {
	uint32_t cpus = 1;
	uint32_t locks = 0;
	std::vector<uint32_t> queue_depth;	// per function
	uint64_t device_latency_ns = 0;
	uint64_t retry_delay_ns = 0;	// a retry with nothing in flight to wake it
	// A function's retries in a row without a request completing, per
	// queue slot, after which its jobs fail instead: a bound for runs whose
	// maps never succeed (blk-mq itself retries without end).
	uint32_t max_idle_retries = 1000;
};

// What happened, for the report and for the conservation checks.
struct ScheduleResult {
	uint64_t end_ns = 0;		// the last job's completion
	uint64_t requests = 0;		// jobs completed, fences not counted
	uint64_t failed = 0;		// jobs whose I/O did not happen (Runner::done)
	uint64_t retries = 0;		// runs again of jobs that could not start
	uint64_t fences = 0;
	uint64_t bytes = 0;		// the requests' transfers
	uint64_t cost_ns = 0;		// every segment the runner returned, summed
	uint64_t cpu_ns[static_cast<int>(CpuRole::NR)] = {};	// busy, by role
	std::vector<uint64_t> vcpu_busy_ns;
	std::vector<uint64_t> vcpu_blocked_ns;	// waiting for a lock
	std::vector<uint64_t> lock_held_ns;
	std::vector<uint64_t> link_busy_ns;	// per function
	std::vector<uint64_t> retry_wait_ns;	// per function: some request waited to retry
	Histogram latency_ns;		// admission to completion, per request
};

class Scheduler {
public:
	Scheduler(const ScheduleParams &p, JobSource &source, Runner &runner);
	// Run every job of every function to completion.
	const ScheduleResult &run();

private:
	enum class Ev { SegmentDone, LinkDone, PhaseDone, Retry };
	struct Event {
		uint64_t t, seq;
		Ev type;
		uint32_t who;	// vCPU, function, or job slot
		bool operator>(const Event &o) const { return t != o.t ? t > o.t : seq > o.seq; }
	};
	struct Active {
		Job job;
		size_t phase = 0;
		uint64_t admitted = 0;
		uint32_t waiting = 0;	// jobs of job.after not yet completed
	};
	struct Vcpu {
		std::deque<uint32_t> ready;	// job slots
		bool busy = false;
		uint32_t slot = 0;
		std::vector<Segment> segs;
		size_t seg = 0;
		uint64_t blocked_since = 0;
	};
	struct Lock {
		int holder = -1;
		std::deque<uint32_t> waiting;	// vCPUs
	};
	struct Function {
		uint32_t depth = 1, in_flight = 0;
		bool fence_running = false, have_next = false, exhausted = false;
		Job next;
		bool link_busy = false, link_sent = false;
		std::deque<uint32_t> link_ready;	// job slots
		std::vector<uint32_t> restart;	// slots to retry at the next completion
		uint32_t retrying = 0;		// jobs waiting to run again
		uint64_t retrying_since = 0;
		uint64_t idle_retries = 0;	// retries since a request completed
	};

	void post(uint64_t t, Ev type, uint32_t who);
	void admit(uint32_t fn, uint64_t now);
	void start_job(Job &&job, uint64_t now);
	void ready(uint32_t slot, uint64_t now);
	void advance(uint32_t slot, uint64_t now);
	void complete(uint32_t slot, uint64_t now);
	void retry_later(uint32_t slot, uint64_t now);
	void retry(uint32_t slot, uint64_t now);
	void start_vcpu(uint32_t c, uint64_t now);
	void run_segment(uint32_t c, uint64_t now);
	void segment_done(uint32_t c, uint64_t now);
	void start_link(uint32_t fn, uint64_t now);

	ScheduleParams p_;
	JobSource &source_;
	Runner &runner_;
	std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
	uint64_t seq_ = 0;
	std::vector<Active> jobs_;
	std::vector<uint32_t> free_slots_;
	std::vector<Vcpu> vcpus_;
	std::vector<Lock> locks_;
	std::vector<Function> fns_;
	std::unordered_map<uint64_t, std::vector<uint32_t>> running_;	// handle -> waiters' slots
	ScheduleResult r_;
};

}  // namespace zpcisim
