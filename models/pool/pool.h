// SPDX-License-Identifier: MIT
// Pool: things in flight (requests, walks, accesses), each by a small
// index that stays valid while it lives.
//
// A freed slot is taken again, last freed first, before the vector grows,
// so a steady load allocates nothing.  Indexes, not pointers: a take() may
// move the slots.
#pragma once

#include <cstdint>
#include <vector>

namespace zpcisim {

template <typename T>
class Pool {
public:
	uint32_t take(const T &t)
	{
		if (free_.empty()) {
			slots_.push_back(t);
			return uint32_t(slots_.size() - 1);
		}
		uint32_t i = free_.back();
		free_.pop_back();
		slots_[i] = t;
		return i;
	}
	void put(uint32_t i) { free_.push_back(i); }
	T &operator[](uint32_t i) { return slots_[i]; }
	const T &operator[](uint32_t i) const { return slots_[i]; }
	// Taken and not put back.
	size_t live() const { return slots_.size() - free_.size(); }

private:
	std::vector<T> slots_;
	std::vector<uint32_t> free_;
};

}  // namespace zpcisim
