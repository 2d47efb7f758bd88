// SPDX-License-Identifier: MIT
// Waveform: a VCD file of the signals a hardware engineer looks at, for
// blocks that are loosely timed.
//
// The blocks run each request to completion with annotated delays, so they
// know a signal's changes ahead of simulated time: a request's walk, say,
// from when it starts to when it ends, while the next request has yet to
// arrive.  They hand those changes here; the waveform holds them until the
// caller says no earlier change can come (settle()), then writes them in
// time order.  It needs no kernel time and holds only the changes not yet
// settled.
//
// Every signal is a count that changes by steps: an interval adds one from
// its start to its end (a request in flight, a busy walker); a strobe adds
// one for a clock cycle.  A 1-bit signal shows whether the count is above
// zero; a wider one shows the count, so strobes that fall in one cycle
// (lookups of requests issued together) add up rather than merge.
#pragma once

#include <cstdint>
#include <cstdio>
#include <queue>
#include <string>
#include <systemc>
#include <vector>

namespace zpcisim {

class Waveform {
public:
	using Signal = size_t;

	// Opens @path; throws std::runtime_error when it cannot.
	explicit Waveform(const std::string &path);
	// Writes what is left and closes the file.
	~Waveform();
	Waveform(const Waveform &) = delete;
	Waveform &operator=(const Waveform &) = delete;

	// A signal named @scope.@name (scopes nest at dots), @width bits wide,
	// whose count starts at @initial.  Declared before the first change.
	Signal wire(const std::string &scope, const std::string &name, unsigned width,
		    int64_t initial = 0);

	// @s's count changes by @delta at @t.
	void step(Signal s, const sc_core::sc_time &t, int64_t delta);
	// One from @from until @to (nothing when they are equal).
	void interval(Signal s, const sc_core::sc_time &from, const sc_core::sc_time &to)
	{
		if (from < to) {
			step(s, from, 1);
			step(s, to, -1);
		}
	}
	// One for a cycle of @clock from @t.
	void strobe(Signal s, const sc_core::sc_time &t, const sc_core::sc_time &clock)
	{
		interval(s, t, t + clock);
	}

	// No change before @t is still to come: write those.  A change given
	// later for an earlier time is written at the last time written.
	void settle(const sc_core::sc_time &t);
	// Every change: the file is complete.
	void settle_all();
	// false once a write failed.
	bool ok() const { return !ferror(out_); }

private:
	struct Wire {
		std::string scope, name, code;
		unsigned width;
		int64_t count;
		uint64_t shown;	// as last written
	};
	struct Change {
		uint64_t t;	// ps
		uint64_t seq;	// same time: in the order given
		Signal s;
		int64_t delta;
		bool operator>(const Change &o) const { return t != o.t ? t > o.t : seq > o.seq; }
	};

	void write_header();
	void write_value(const Wire &w);
	uint64_t shown(const Wire &w) const;
	void write_until(uint64_t end_ps, bool inclusive);

	FILE *out_;
	std::vector<Wire> wires_;
	std::priority_queue<Change, std::vector<Change>, std::greater<Change>> pending_;
	uint64_t seq_ = 0;
	uint64_t written_ps_ = 0;	// the last time written
	uint64_t stamped_ps_ = 0;	// the last time stamp ("#t") written
	bool started_ = false;		// header written
};

}  // namespace zpcisim
