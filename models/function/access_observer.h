// SPDX-License-Identifier: MIT
// What a ZpciFunction tells whoever submitted a device access, cycle mode,
// apart from the block's SystemC model: the replay hears it through the
// models plugin without loading SystemC (docs/performance.md, start-up).
#pragma once

#include <cstddef>
#include <cstdint>

namespace zpcisim {

// An access finished (cycle mode): @tag as submitted; times in kernel
// time units.
struct AccessDone {
	uint64_t tag;
	bool ok;
	uint64_t arrival, done;
	uint32_t walks, memory_refs;	// the walks its requests started
};

class AccessObserver {
public:
	virtual ~AccessObserver() = default;
	virtual void access_done(size_t function, const AccessDone &a) = 0;
};

}  // namespace zpcisim
