// SPDX-License-Identifier: MIT
// A trace as closed-loop jobs: its records grouped into I/O requests, in
// the order the requests began, read as the scheduler asks for them.
//
// A request is one streaming mapping's life: its map (or map-sg), the
// device's accesses to it, its unmap.  Records the trace marks with the
// same req= key form one request however many mappings it has.  A device
// access to coherent memory or to an absolute IOVA (a ring descriptor, a
// completion) belongs to the request whose buffer the device touched last,
// while that request is open, else to the next request to begin.  Attach,
// detach, alloc and free are fences: each runs alone.  tick, timers and
// rpcit records are dropped: jiffies follow the simulated time, and a
// capture's RPCITs are checked by open-loop replay only.
//
// Trace IDs are renamed, one fresh ID per mapping, because requests run in
// another order than the trace's and an ID may be reused while its first
// holder is still in flight.  The reader checks every record in trace order
// first, so bad input is named by its file and line.  Memory grows with
// the requests begun and not yet ended in the trace, not with its length.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include <ztrace/trace.h>

#include "schedule.h"

namespace zpcisim {

// A record kept until its request runs, with its scatter-gather list.
struct HeldRecord {
	ztrace_rec rec;
	std::vector<ztrace_sg> sg;
};

class RequestReader : public JobSource {
public:
	// Reads @r (the caller's), whose header is @h.  A record that makes no
	// sense makes next() throw BadTrace, naming its place.
	RequestReader(ztrace_reader *r, const ztrace_header &h);
	~RequestReader() override;

	bool next(uint32_t fn, Job *job) override;
	// The records of job @handle, in order; valid until release(@handle).
	const std::vector<HeldRecord> &records(uint64_t handle) const;
	void release(uint64_t handle);

	uint64_t dropped() const { return dropped_; }	// tick, timers, rpcit
	uint64_t read() const { return read_; }

	struct BadTrace : std::runtime_error {
		using std::runtime_error::runtime_error;
	};

private:
	struct Item {
		uint64_t handle;
		uint32_t fn;
		bool fence = false;
		uint32_t open_maps = 0;	// streaming mappings not yet unmapped
		bool has_req = false;
		uint64_t req = 0;
		bool ended = false;
		std::vector<HeldRecord> recs;
	};
	struct Function {
		std::deque<Item *> items;	// begun, in order; the front is next
		Item *touched = nullptr;	// whose buffer the device touched last
		std::vector<HeldRecord> orphans;	// coherent accesses awaiting a request
		std::unordered_map<uint64_t, Item *> by_req;	// open req= requests
	};
	struct Live {
		uint64_t id = 0;	// the fresh ID
		Item *owner = nullptr;	// streaming mappings' request; null: coherent
	};

	bool read_one();
	void place(const ztrace_rec &rec);
	Item *begin(uint32_t fn, bool fence);
	Item *request_of(const ztrace_rec &rec);
	void hold(Item *it, const ztrace_rec &rec, uint64_t id);
	void end(Item *it);
	void end_all();
	Job job_of(const Item &it) const;

	ztrace_reader *reader_;
	ztrace_header header_;
	std::unique_ptr<ztrace_checker, void (*)(ztrace_checker *)> checker_;
	std::vector<Function> fns_;
	std::vector<Live> live_;	// by the checker's slot
	std::unordered_map<uint64_t, std::unique_ptr<Item>> items_;	// by handle
	uint64_t next_handle_ = 0, next_id_ = 0;
	uint64_t dropped_ = 0, read_ = 0;
	bool eof_ = false;
};

}  // namespace zpcisim
