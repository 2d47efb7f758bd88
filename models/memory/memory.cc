// SPDX-License-Identifier: MIT
#include "memory/memory.h"

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <stdexcept>

#include "time/now.h"

namespace zpcisim {

// log2(@n) for a power of two, else -1.
static int power_of_two_shift(unsigned int n)
{
	return n && !(n & (n - 1)) ? __builtin_ctz(n) : -1;
}

Memory::Memory(sc_core::sc_module_name name, zpci_mem backing, uint64_t size,
	       const MemoryParams &params)
	: sc_module(name), socket("socket"), backing_(backing), size_(size), params_(params),
	  cycle_(params.clock_ns, sc_core::SC_NS), latency_(params.latency_cycles * cycle_),
	  per_cycle_shift_(power_of_two_shift(params.bytes_per_cycle)),
	  transfer_(cycle_, params.bytes_per_cycle ? cycles(kTabled) + 1 : 0)	// else thrown below
{
	if (params_.clock_ns <= 0 || params_.bytes_per_cycle == 0)
		throw std::invalid_argument(std::string(this->name()) +
					    ": clock_ns and bytes_per_cycle must be positive");
	socket.bind(*this);
}

// Requests this far behind the latest one are not expected any more.
static const sc_core::sc_time kHorizon(1, sc_core::SC_MS);

// Inline: in fast mode it is all of the port's work.
inline sc_core::sc_time Memory::schedule(const sc_core::sc_time &delay, tlm::tlm_command cmd,
					  unsigned int len)
{
	const sc_core::sc_time length = transfer_(account(cmd, len));
	if (!params_.contention)
		return latency_ + length;
	return queue(delay, length);
}

// The port's first free stretch at or after the data is ready that fits
// @length: the delay from now to the transfer's end.
sc_core::sc_time Memory::queue(const sc_core::sc_time &delay, const sc_core::sc_time &length)
{
	sc_core::sc_time arrival = now(*this) + delay;
	sc_core::sc_time start = arrival + latency_;
	auto it = first_after(start);

	if (it != busy_.begin() && std::prev(it)->second > start)
		start = std::prev(it)->second;
	while (it != busy_.end() && it->first < start + length) {
		start = std::max(start, it->second);
		++it;
	}
	occupy(it, start, start + length);
	latest_ = std::max(latest_, arrival);
	while (!busy_.empty() && busy_.front().second + kHorizon < latest_)
		busy_.pop_front();
	return start + length - arrival;
}

// The first stretch starting after @t.  Requests come nearly in time
// order, so it is usually among the last few: looked for from the end, a
// step or two; else a binary search.
Memory::Busy::iterator Memory::first_after(const sc_core::sc_time &t)
{
	auto it = busy_.end();

	for (int steps = 0; it != busy_.begin(); steps++) {
		if (steps == 8)
			return std::upper_bound(busy_.begin(), it, t,
						[](const sc_core::sc_time &x, const Busy::value_type &b) {
							return x < b.first;
						});
		auto prev = std::prev(it);
		if (prev->first <= t)
			break;
		it = prev;
	}
	return it;
}

// Mark [start, end) busy, in the gap before @next.  A stretch that
// touches its neighbours joins them: a busy port's transfers come back to
// back, and one stretch for a run of them keeps the list short and its
// searches quick, with the same free gaps.
void Memory::occupy(Busy::iterator next, const sc_core::sc_time &start,
		    const sc_core::sc_time &end)
{
	auto prev = next == busy_.begin() ? busy_.end() : std::prev(next);
	bool joins_prev = prev != busy_.end() && prev->second == start;
	bool joins_next = next != busy_.end() && next->first == end;

	if (joins_prev) {
		prev->second = joins_next ? next->second : end;
		if (joins_next)
			busy_.erase(next);
	} else if (joins_next) {
		next->first = start;
	} else {
		busy_.emplace(next, start, end);
	}
}

static tlm::tlm_response_status response_for(int rc)
{
	switch (rc) {
	case 0:
		return tlm::TLM_OK_RESPONSE;
	case -EFAULT:
		return tlm::TLM_ADDRESS_ERROR_RESPONSE;
	case -EOPNOTSUPP:
		return tlm::TLM_COMMAND_ERROR_RESPONSE;
	default:
		return tlm::TLM_GENERIC_ERROR_RESPONSE;
	}
}

void Memory::b_transport(tlm::tlm_generic_payload &trans, sc_core::sc_time &delay)
{
	const unsigned int len = trans.get_data_length();

	if (trans.get_byte_enable_ptr() || trans.get_streaming_width() < len) {
		stats_.errors++;
		trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
		return;
	}
	const tlm::tlm_command cmd = trans.get_command();
	int rc = move(cmd, trans.get_address(), trans.get_data_ptr(), len);
	if (rc) {
		stats_.errors++;
		trans.set_response_status(response_for(rc));
		return;
	}
	delay += schedule(delay, cmd, len);
	trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int Memory::transport_dbg(tlm::tlm_generic_payload &trans)
{
	if (trans.get_byte_enable_ptr() || trans.get_command() == tlm::TLM_IGNORE_COMMAND ||
	    move(trans.get_command(), trans.get_address(), trans.get_data_ptr(),
		 trans.get_data_length()))
		return 0;
	return trans.get_data_length();
}

void Memory::register_stats(StatsRegistry &reg)
{
	std::string b = name();
	const auto reads = tlm::TLM_READ_COMMAND, writes = tlm::TLM_WRITE_COMMAND,
		   timed = tlm::TLM_IGNORE_COMMAND;

	reg.add(b, "reads", &stats_.accesses[reads], "accesses that read data");
	reg.add(b, "writes", &stats_.accesses[writes], "accesses that wrote data");
	reg.add(b, "timed_only", &stats_.accesses[timed],
		"accesses timed without their data (DMA when data does not move)");
	reg.add(b, "bytes_read", &stats_.bytes[reads], "bytes of the reads");
	reg.add(b, "bytes_written", &stats_.bytes[writes], "bytes of the writes");
	reg.add(b, "bytes_timed_only", &stats_.bytes[timed], "bytes of the timed-only accesses");
	reg.add(b, "errors", &stats_.errors, "accesses refused: outside memory, or no command");
	reg.add(b, "busy_cycles", &stats_.busy_cycles, "cycles the port spent transferring");
}

}  // namespace zpcisim
