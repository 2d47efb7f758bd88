// SPDX-License-Identifier: MIT
// EventQueue: a block's pending timed events, on one sc_event.
//
// A block with many things due at different times (requests in its
// pipeline, walks, data transfers) keeps them here, in time order and, at
// one time, in the order they were scheduled, and has one SC_METHOD
// sensitive to event() that takes what is due.  tlm_utils' payload event
// queues do the same with a multimap node allocated per item; a heap
// allocates nothing once grown.  The kernel still decides when the block
// runs: the order of events across blocks is SystemC's.
#pragma once

#include <cstdint>
#include <queue>
#include <systemc>
#include <vector>

namespace zpcisim {

template <typename T>
class EventQueue {
public:
	explicit EventQueue(const char *name) : event_(name) {}

	sc_core::sc_event &event() { return event_; }

	// @item falls due at @at (kernel time units), which is no earlier
	// than @now.
	void push(uint64_t now, uint64_t at, const T &item)
	{
		bool first = heap_.empty() || at < heap_.top().at;

		heap_.push(Due{ at, seq_++, item });
		if (first)
			notify(now);
	}
	// The next item due by @now, if any.
	bool pop_due(uint64_t now, T *item)
	{
		if (heap_.empty() || heap_.top().at > now)
			return false;
		*item = heap_.top().item;
		heap_.pop();
		return true;
	}
	// After taking what was due: wake again for the next.
	void rearm(uint64_t now)
	{
		if (!heap_.empty())
			notify(now);
	}
	bool empty() const { return heap_.empty(); }
	size_t size() const { return heap_.size(); }

private:
	struct Due {
		uint64_t at, seq;
		T item;
		bool operator>(const Due &o) const { return at != o.at ? at > o.at : seq > o.seq; }
	};

	// An earlier notification replaces a later one; a later one is
	// dropped while an earlier is pending (SystemC's rule), so the
	// kernel always holds the head's time.
	void notify(uint64_t now)
	{
		event_.notify(sc_core::sc_time::from_value(heap_.top().at - now));
	}

	sc_core::sc_event event_;
	std::priority_queue<Due, std::vector<Due>, std::greater<Due>> heap_;
	uint64_t seq_ = 0;
};

}  // namespace zpcisim
