// SPDX-License-Identifier: MIT
// Closed-loop replay: the trace's requests (requests.h) run on the
// simulated system's vCPUs, locks and devices (schedule.h), and each
// part's time is what its work costs there.
//
// A CPU phase's records are applied to the replay when the phase starts;
// the work they did (DMA-API calls, table entries, RPCITs, intercepts,
// guest entries walked, shadow mappings, pins) is costed by the cost
// table, record by record, as segments: the guest's own work, then the
// SIE exit, then the handler's, under the design's lock:
//   intercept-user   QEMU's big lock (one for the guest): QEMU handles the
//                    RPCIT, and the VFIO calls it makes, holding it
//   intercept-kvm    one lock per function: its shadow table's (assumption:
//                    KVM serialises a device's table updates, not the guest's)
//   others           no intercept, no lock: the guest's RPCIT is its own time
// A transfer holds its function's link for its bytes at the device's
// bandwidth plus, in the timed modes, the DTU's time for its accesses.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "replay.h"
#include "schedule.h"

namespace zpcisim {

struct ClosedLoopReport {
	ScheduleResult schedule;
	uint32_t cpus = 0;
	std::vector<uint32_t> queue_depth;	// per function
	std::vector<std::string> locks;		// what each lock is
	uint64_t dropped = 0;	// tick, timers and rpcit records: open loop's
	std::string bottleneck;	// the busiest resource, or the device's latency
	double bottleneck_share = 0;	// of the run's time it was busy

	double requests_per_s() const;
	double bytes_per_s() const;
	// @role's share of every vCPU's time over the run, and all roles' CPU
	// time per request (0 for none).
	double cpu_share(CpuRole role) const;
	double cpu_ns_per_request() const;
};

// 0.123 -> "12.3%".
std::string percent(double share);

class RequestReader;

// Run @reader's trace through @replay (built for @opts) closed-loop.
// Throws RequestReader::BadTrace for a record that makes no sense;
// @progress is called now and then with the records read.
ClosedLoopReport run_closed_loop(ztrace_reader *reader, Replay &replay, const ReplayOptions &opts,
				 const std::function<void(uint64_t)> &progress);

void print_closed_loop(std::ostream &out, const ClosedLoopReport &c);
nlohmann::ordered_json closed_loop_json(const ClosedLoopReport &c);

}  // namespace zpcisim
