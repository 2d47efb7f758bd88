// SPDX-License-Identifier: MIT
// Memory: the physical memory block of the DMA path, as a TLM-2.0 target.
//
// Models: one port with a fixed access latency and a bandwidth limit
// (bytes per cycle); a transfer takes the first free stretch of the port at
// or after it is ready, whatever order requests are made in (they come
// nearly, not exactly, in time order: a window of DMA requests, then each
// walk's dependent fetches).  Data lives in the C memory image (struct
// zpci_mem) shared with the driver code, so what the guest driver writes
// is what the walker reads.
// Does not model: banks, refresh, caches, byte enables, DMI.
// TLM_IGNORE_COMMAND is a timed access that moves no data.
#pragma once

#include <cerrno>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>

#include <zpci/mem.h>

#include "memory/memory_params.h"
#include "params/param.h"
#include "sockets/lt_target.h"
#include "stats/stats.h"
#include "time/periods.h"

namespace zpcisim {

// Indexed by tlm_command (read, write, ignore: timed, no data moved), not
// branched on: DMA reads and writes come in no order a predictor learns.
struct MemoryStats {
	uint64_t accesses[tlm::TLM_IGNORE_COMMAND + 1] = {};
	uint64_t bytes[tlm::TLM_IGNORE_COMMAND + 1] = {};
	uint64_t errors = 0;		// accesses outside memory, or unsupported commands
	uint64_t busy_cycles = 0;	// cycles the port spent transferring data
};

class Memory : public sc_core::sc_module, public LtTarget {
public:
	tlm::tlm_target_socket<> socket;

	// @backing holds @size bytes.
	Memory(sc_core::sc_module_name name, zpci_mem backing, uint64_t size,
	       const MemoryParams &params = {});

	const MemoryParams &params() const { return params_; }
	const MemoryStats &stats() const { return stats_; }
	void register_stats(StatsRegistry &reg);

	void b_transport(tlm::tlm_generic_payload &trans, sc_core::sc_time &delay) override;
	// b_transport() for a memory without contention (fast mode), without
	// the payload: @len bytes of @cmd at @addr (@data: what they come from
	// or go to).  The delay in kernel time units; false, having changed
	// nothing but what a failed move may, when b_transport() would refuse
	// the access.  Inline: every IOTLB hit that fast mode serves itself
	// comes here.
	bool access_fixed(tlm::tlm_command cmd, uint64_t addr, unsigned char *data, unsigned int len,
			  uint64_t *ticks)
	{
		if (move(cmd, addr, data, len))
			return false;
		*ticks = latency_.value() + account(cmd, len) * transfer_.ticks();
		return true;
	}
	// Debug accesses move data, untimed and uncounted.
	unsigned int transport_dbg(tlm::tlm_generic_payload &trans) override;

private:
	// (start, end) stretches in time order.  A deque: a request lands
	// among the last few and the horizon drops the first, so a node per
	// stretch and a tree to rebalance (a fifth of a cycle replay) bought
	// nothing.
	using Busy = std::deque<std::pair<sc_core::sc_time, sc_core::sc_time>>;

	// Delay for a @len-byte access of @cmd arriving @delay from now,
	// counted: queueing + latency + transfer.
	sc_core::sc_time schedule(const sc_core::sc_time &delay, tlm::tlm_command cmd,
				  unsigned int len);
	// Count an access that memory took; the cycles its data takes.
	uint64_t account(tlm::tlm_command cmd, unsigned int len)
	{
		uint64_t transfer = cycles(len);

		stats_.accesses[cmd]++;	// move() took only the three
		stats_.bytes[cmd] += len;
		stats_.busy_cycles += transfer;
		return transfer;
	}
	sc_core::sc_time queue(const sc_core::sc_time &delay, const sc_core::sc_time &length);
	// To transfer @len bytes.  A divide costs tens of cycles on every
	// access; widths are powers of two.
	uint64_t cycles(uint64_t len) const
	{
		uint64_t bytes = len + params_.bytes_per_cycle - 1;

		return per_cycle_shift_ >= 0 ? bytes >> per_cycle_shift_
					     : bytes / params_.bytes_per_cycle;
	}
	Busy::iterator first_after(const sc_core::sc_time &t);
	void occupy(Busy::iterator next, const sc_core::sc_time &start, const sc_core::sc_time &end);
	// The data of an access moved (TLM_IGNORE_COMMAND: its range checked
	// only): 0, -EFAULT outside memory, -EOPNOTSUPP for a command memory
	// does not do.
	int move(tlm::tlm_command cmd, uint64_t addr, unsigned char *data, unsigned int len)
	{
		switch (cmd) {
		case tlm::TLM_READ_COMMAND:
			return zpci_mem_read(&backing_, addr, data, len);
		case tlm::TLM_WRITE_COMMAND:
			return zpci_mem_write(&backing_, addr, data, len);
		case tlm::TLM_IGNORE_COMMAND:
			return zpci_range_inside(addr, len, size_) ? 0 : -EFAULT;
		default:
			return -EOPNOTSUPP;
		}
	}

	zpci_mem backing_;
	uint64_t size_;
	MemoryParams params_;
	MemoryStats stats_;
	sc_core::sc_time cycle_, latency_;
	int per_cycle_shift_;			// bytes to cycles, a power of two: -1 if not
	static constexpr uint64_t kTabled = 4096;	// bytes: a page, the longest DMA request
	Periods transfer_;			// a transfer's time by its cycles, tabled up to kTabled
	// When the port is busy: disjoint stretches.  Those that ended long
	// before the latest request are forgotten.
	Busy busy_;
	sc_core::sc_time latest_;
};

}  // namespace zpcisim
