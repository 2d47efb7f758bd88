// SPDX-License-Identifier: MIT
#include "walker/table_walker.h"

#include <algorithm>
#include <stdexcept>

namespace zpcisim {

// One walk in progress: where fetches go and the time they have taken.
struct TableWalker::Fetch {
	EntryReader &mem;
	const zpci_dma_space *host;	// nested: guest addresses go through it
	sc_core::sc_time now;		// when the next fetch is issued
	uint32_t refs = 0;
	bool host_fault = false;
	zpci_fault fault = ZPCI_FAULT_NONE;
};

TableWalker::TableWalker(const TableWalkerParams &p, const sc_core::sc_time &clock)
	: p_(p), clock_(clock), walk_cache_(p.walk_cache),
	  busy_until_(p.concurrent_walks, sc_core::SC_ZERO_TIME)
{
}

// Read the entry at @gaddr: host-physical, or guest-physical in a nested walk.
bool TableWalker::fetch(Fetch &f, uint64_t gaddr, uint64_t *entry)
{
	uint64_t addr = gaddr;
	sc_core::sc_time d = sc_core::SC_ZERO_TIME;

	if (f.host && !host_translate(f, gaddr, ZPCI_DMA_READ, &addr))
		return false;
	f.refs++;
	if (!f.mem.read_entry(addr, f.now, entry, d)) {
		f.fault = ZPCI_FAULT_TABLE_ADDR;
		return false;
	}
	f.now += d;
	return true;
}

// The host's walk of a guest-physical address: every fetch is timed.
bool TableWalker::host_translate(Fetch &f, uint64_t gpa, zpci_dma_dir dir, uint64_t *hpa)
{
	Fetch hf{ f.mem, nullptr, f.now };
	WalkResult r;

	one_d(hf, *f.host, gpa, dir, false, 0, r);
	f.refs += hf.refs;
	f.now = hf.now;
	if (r.fault != ZPCI_FAULT_NONE) {
		f.fault = r.fault;
		f.host_fault = true;
		return false;
	}
	*hpa = r.addr;
	return true;
}

// A walk of one table: host-physical, or (f.host set) guest-physical.
void TableWalker::one_d(Fetch &f, const zpci_dma_space &space, uint64_t iova, zpci_dma_dir dir,
			bool use_walk_cache, uint32_t fh, WalkResult &r)
{
	zpci_walk w;
	uint64_t seg = iova >> ZPCI_SX_SHIFT;

	r.fault = zpci_walk_start(&space, iova, &w);
	if (r.fault)
		return;
	// The walk cache keeps the page-table origin and the protection above it.
	if (use_walk_cache) {
		if (auto hit = walk_cache_.lookup(fh, seg)) {
			w.level = ZPCI_LEVEL_PX;
			w.table = *hit & ZPCI_STE_ADDR_MASK;
			w.toff = 0;
			w.tlen = ZPCI_TABLE_LEN_FULL;
			w.readonly = *hit & 1;
			r.walk_cache_hit = true;
		}
	}
	for (;;) {
		uint64_t addr, entry, frame_size = 0;
		zpci_fault fault;

		r.fault = zpci_walk_entry_addr(&w, iova, &addr);
		if (r.fault)
			return;
		if (!fetch(f, addr, &entry)) {
			r.fault = f.fault;
			r.host_fault = f.host_fault;
			return;
		}
		zpci_level level = w.level;
		switch (zpci_walk_entry(&w, &space, iova, entry, &fault, &r.addr, &frame_size)) {
		case ZPCI_WALK_FAULT:
			r.fault = fault;
			return;
		case ZPCI_WALK_TABLE:
			if (use_walk_cache && level == ZPCI_LEVEL_SX)
				walk_cache_.insert(fh, seg, w.table | (w.readonly ? 1 : 0));
			continue;
		case ZPCI_WALK_FRAME:
			break;
		}
		break;
	}
	r.readonly = w.readonly;
	r.fault = zpci_walk_finish(&w, dir);
	// Nested: the frame is guest-physical; the host translates it too.
	if (!r.fault && f.host && !host_translate(f, r.addr, dir, &r.addr)) {
		r.fault = f.fault;
		r.host_fault = true;
	}
}

WalkResult TableWalker::walk(uint32_t fh, const zpci_dma_space &space, const zpci_dma_space *host,
			     uint64_t iova, zpci_dma_dir dir, EntryReader &mem,
			     const sc_core::sc_time &when)
{
	// The walker that frees first takes the walk; the wait is queueing.
	// Without a limit every walk has its own walker.
	sc_core::sc_time unlimited = sc_core::SC_ZERO_TIME;
	auto walker = busy_until_.empty() ? &unlimited
					  : &*std::min_element(busy_until_.begin(), busy_until_.end());
	sc_core::sc_time start = std::max(when, *walker);
	if (start > when) {
		stats_.queued++;
		stats_.queue_cycles += static_cast<uint64_t>((start - when) / clock_);
	}
	Fetch f{ mem, host, start };
	WalkResult r;

	// The walk cache holds host-physical page-table origins: 1-D walks only.
	one_d(f, space, iova, dir, host == nullptr, fh, r);
	*walker = f.now;
	if (walker != &unlimited)
		r.slot = int(walker - busy_until_.data());
	r.start = start;
	r.memory_refs = f.refs;
	r.latency = f.now - when;
	stats_.walks++;
	stats_.nested_walks += host != nullptr;
	stats_.memory_refs += f.refs;
	stats_.faults += r.fault != ZPCI_FAULT_NONE;
	stats_.walk_cache_hits += r.walk_cache_hit;
	return r;
}

void TableWalker::invalidate(uint32_t fh, uint64_t iova, uint64_t len)
{
	if (!len)
		return;
	uint64_t last = iova + len - 1 < iova ? UINT64_MAX : iova + len - 1;
	walk_cache_.invalidate_range(fh, iova >> ZPCI_SX_SHIFT, last >> ZPCI_SX_SHIFT);
}

void TableWalker::invalidate_function(uint32_t fh)
{
	walk_cache_.invalidate_function(fh);
}

void TableWalker::register_stats(StatsRegistry &reg, const std::string &block)
{
	// The views call them table walks: the DTU's, among its other counters.
	reg.add(block, "walks", &stats_.walks, "table walks started",
		ZPCI_SHOW_SUMMARY | ZPCI_SHOW_SWEEP, "table_walks");
	reg.add(block, "walk_cache_hits", &stats_.walk_cache_hits,
		"walks that started at the page table", ZPCI_SHOW_SUMMARY);
	reg.add(block, "nested_walks", &stats_.nested_walks, "2-D walks (guest table over host table)");
	reg.add(block, "memory_refs", &stats_.memory_refs, "entries fetched, host walks included",
		ZPCI_SHOW_SWEEP);
	reg.add(block, "faults", &stats_.faults, "walks that ended in a translation fault");
	reg.add(block, "queued", &stats_.queued, "walks that waited for a free walker");
	reg.add(block, "queue_cycles", &stats_.queue_cycles, "cycles walks spent waiting");
	walk_cache_.register_stats(reg, block + ".walk_cache");
}

}  // namespace zpcisim
