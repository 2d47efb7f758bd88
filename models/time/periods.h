// SPDX-License-Identifier: MIT
// Periods: whole multiples of one period (a clock cycle, a nanosecond) as
// sc_time.
//
// Building an sc_time from a number is a call into the SystemC library
// (sc_time::from_value, which also checks the time resolution), and the
// models need one or two per DMA request: a tenth of a fast replay.  The
// first multiples are built once and looked up; longer ones still go
// through the library, with the same result.
#pragma once

#include <cstdint>
#include <systemc>
#include <vector>

namespace zpcisim {

class Periods {
public:
	// @period, and the multiples below @tabled ready-made.
	Periods(const sc_core::sc_time &period, uint64_t tabled) : ticks_(period.value())
	{
		table_.reserve(tabled);
		for (uint64_t n = 0; n < tabled; n++)
			table_.push_back(sc_core::sc_time::from_value(n * ticks_));
	}

	sc_core::sc_time operator()(uint64_t n) const
	{
		return n < table_.size() ? table_[n] : sc_core::sc_time::from_value(n * ticks_);
	}
	// The period in kernel time units.
	uint64_t ticks() const { return ticks_; }

private:
	uint64_t ticks_;
	std::vector<sc_core::sc_time> table_;
};

}  // namespace zpcisim
