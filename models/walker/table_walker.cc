// SPDX-License-Identifier: MIT
#include "walker/table_walker.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace zpcisim {

// One walk in progress: where fetches go and the time they have taken.
struct TableWalker::Fetch {
	EntryReader &mem;
	const zpci_dma_space *host;	// nested: guest addresses go through it
	uint32_t fh;			// whose caches
	sc_core::sc_time now;		// when the next fetch is issued
	uint32_t refs = 0;
	bool host_fault = false;
	zpci_fault fault = ZPCI_FAULT_NONE;
};

namespace {

const char *const kDimNames[kWalkDims] = { "guest", "host" };

int dim_index(WalkDim dim)
{
	return static_cast<int>(dim);
}

// The range of addresses one entry of @level covers: the walk caches' key.
uint64_t level_key(zpci_level level, uint64_t iova)
{
	return iova >> zpci_level_info(level)->shift;
}

// "rtx": a level as counters name it.
std::string level_name(zpci_level level)
{
	std::string name = zpci_level_info(level)->name;

	std::transform(name.begin(), name.end(), name.begin(),
		       [](unsigned char c) { return char(std::tolower(c)); });
	return name;
}

// A stage-2 cache entry: the host frame | kReadonly.
constexpr uint64_t kReadonly = 1;

std::optional<TaggedCache> make_cache(const CacheParams &p)
{
	std::optional<TaggedCache> c;

	if (p.enabled && p.entries)
		c.emplace(p);
	return c;
}

}  // namespace

CacheParams WalkCacheParams::level(zpci_level level) const
{
	const uint32_t entries[kCachedLevels] = { rfx, rsx, rtx, sx };

	return { enabled ? entries[level] : 0, assoc, policy, seed, enabled, index };
}

TableWalker::TableWalker(const TableWalkerParams &p, const sc_core::sc_time &clock)
	: p_(p), clock_(clock), stage2_(make_cache(p.stage2_cache)),
	  busy_until_(p.concurrent_walks, sc_core::SC_ZERO_TIME)
{
	const WalkCacheParams *dims[kWalkDims] = { &p.guest_walk_cache, &p.host_walk_cache };

	for (int d = 0; d < kWalkDims; d++)
		for (int l = 0; l < kCachedLevels; l++)
			walk_caches_[d][l] = make_cache(dims[d]->level(zpci_level(l)));
}

const TaggedCache *TableWalker::walk_cache(WalkDim dim, zpci_level level) const
{
	if (level >= kCachedLevels)
		return nullptr;
	const std::optional<TaggedCache> &c = walk_caches_[dim_index(dim)][level];
	return c ? &*c : nullptr;
}

// Read the entry of @level at @gaddr: host-physical, or guest-physical in
// a nested walk.
bool TableWalker::fetch(Fetch &f, WalkDim dim, zpci_level level, uint64_t gaddr, uint64_t *entry)
{
	uint64_t addr = gaddr;
	sc_core::sc_time d = sc_core::SC_ZERO_TIME;

	if (f.host && !host_translate(f, gaddr, ZPCI_DMA_READ, &addr))
		return false;
	f.refs++;
	stats_.refs[dim_index(dim)][level]++;
	if (!f.mem.read_entry(addr, f.now, entry, d)) {
		f.fault = ZPCI_FAULT_TABLE_ADDR;
		return false;
	}
	f.now += d;
	return true;
}

// The host's translation of a guest-physical address: the stage-2 cache,
// else a walk of the host's table, every fetch timed.
bool TableWalker::host_translate(Fetch &f, uint64_t gpa, zpci_dma_dir dir, uint64_t *hpa)
{
	uint64_t page = gpa >> ZPCI_PAGE_SHIFT;
	std::optional<uint64_t> hit = stage2_ ? stage2_->lookup(f.fh, page) : std::nullopt;
	WalkResult r;

	if (hit) {
		// What the walk that filled it ends in, protection included.
		r.addr = (*hit & ZPCI_PAGE_MASK) | (gpa & ~ZPCI_PAGE_MASK);
		r.readonly = *hit & kReadonly;
		if (dir == ZPCI_DMA_WRITE && r.readonly)
			r.fault = ZPCI_FAULT_PROTECTION;
	} else {
		Fetch hf{ f.mem, nullptr, f.fh, f.now };

		one_d(hf, WalkDim::Host, *f.host, gpa, dir, r);
		f.refs += hf.refs;
		f.now = hf.now;
		if (stage2_ && r.fault == ZPCI_FAULT_NONE)
			stage2_->insert(f.fh, page, (r.addr & ZPCI_PAGE_MASK) | (r.readonly ? kReadonly : 0));
	}
	if (r.fault != ZPCI_FAULT_NONE) {
		f.fault = r.fault;
		f.host_fault = true;
		return false;
	}
	*hpa = r.addr;
	return true;
}

// The deepest level of @dim's walk caches, at or below @w's top, that
// holds @iova's entry: @w restarts at that level, *entry is the entry.
bool TableWalker::cached_entry(WalkDim dim, uint32_t fh, uint64_t iova, zpci_walk &w,
			       uint64_t *entry)
{
	LevelCaches &caches = walk_caches_[dim_index(dim)];

	for (int l = kCachedLevels - 1; l >= int(w.level); l--) {
		if (!caches[l])
			continue;
		if (auto hit = caches[l]->lookup(fh, level_key(zpci_level(l), iova))) {
			w.level = zpci_level(l);
			w.readonly = false;	// the entry carries the path's protection
			*entry = *hit;
			return true;
		}
	}
	return false;
}

// Keep the @level entry a walk fetched, with the protection of the path
// down to it folded into its protection bit: applied again by
// zpci_walk_entry, it gives what the fetch gave.  Invalid entries and
// those that fault are not kept.
void TableWalker::remember(WalkDim dim, uint32_t fh, uint64_t iova, zpci_level level,
			   uint64_t entry, bool readonly)
{
	if (level >= kCachedLevels)
		return;
	std::optional<TaggedCache> &c = walk_caches_[dim_index(dim)][level];
	if (c)
		c->insert(fh, level_key(level, iova), entry | (readonly ? ZPCI_TABLE_PROTECTED : 0));
}

// A walk of one table: host-physical, or (f.host set) guest-physical.
void TableWalker::one_d(Fetch &f, WalkDim dim, const zpci_dma_space &space, uint64_t iova,
			zpci_dma_dir dir, WalkResult &r)
{
	zpci_walk w;
	uint64_t entry = 0;

	r.fault = zpci_walk_start(&space, iova, &w);
	if (r.fault)
		return;
	bool cached = cached_entry(dim, f.fh, iova, w, &entry);
	r.walk_cache_hit = cached;
	for (;;) {
		zpci_level level = w.level;
		uint64_t addr, frame_size = 0;
		zpci_fault fault;

		if (!cached) {
			r.fault = zpci_walk_entry_addr(&w, iova, &addr);
			if (r.fault)
				return;
			if (!fetch(f, dim, level, addr, &entry)) {
				r.fault = f.fault;
				r.host_fault = f.host_fault;
				return;
			}
		}
		zpci_walk_next next = zpci_walk_entry(&w, &space, iova, entry, &fault, &r.addr,
						      &frame_size);
		if (next == ZPCI_WALK_FAULT) {
			r.fault = fault;
			return;
		}
		if (!cached)
			remember(dim, f.fh, iova, level, entry, w.readonly);
		cached = false;
		if (next == ZPCI_WALK_FRAME)
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
	Fetch f{ mem, host, fh, start };
	WalkResult r;

	one_d(f, WalkDim::Guest, space, iova, dir, r);
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

// Only the guest dimension: an RPCIT is the guest's word on its own table.
// The host dimension and the stage-2 cache hold the hypervisor's table,
// which the pinned designs build at attach and drop at detach, both
// through zpci_func_set_nested(), which flushes the function; an IOAT
// change flushes it too.  Both reach invalidate_function().
void TableWalker::invalidate(uint32_t fh, uint64_t iova, uint64_t len)
{
	if (!len)
		return;
	uint64_t last = iova + len - 1 < iova ? UINT64_MAX : iova + len - 1;
	for (int l = 0; l < kCachedLevels; l++) {
		std::optional<TaggedCache> &c = walk_caches_[dim_index(WalkDim::Guest)][l];
		if (c)
			c->invalidate_range(fh, level_key(zpci_level(l), iova),
					    level_key(zpci_level(l), last));
	}
}

void TableWalker::invalidate_function(uint32_t fh)
{
	for (LevelCaches &caches : walk_caches_)
		for (std::optional<TaggedCache> &c : caches)
			if (c)
				c->invalidate_function(fh);
	if (stage2_)
		stage2_->invalidate_function(fh);
}

void TableWalker::register_stats(StatsRegistry &reg, const std::string &block)
{
	// The views call them table walks: the DTU's, among its other counters.
	reg.add(block, "walks", &stats_.walks, "table walks started",
		ZPCI_SHOW_SUMMARY | ZPCI_SHOW_SWEEP, "table_walks");
	reg.add(block, "walk_cache_hits", &stats_.walk_cache_hits,
		"walks whose guest table walk started below its top, at a cached entry",
		ZPCI_SHOW_SUMMARY);
	reg.add(block, "nested_walks", &stats_.nested_walks, "2-D walks (guest table over host table)");
	reg.add(block, "memory_refs", &stats_.memory_refs, "entries fetched, host walks included",
		ZPCI_SHOW_SWEEP);
	for (int d = 0; d < kWalkDims; d++)
		for (int l = 0; l < ZPCI_NR_LEVELS; l++) {
			reg.add(block + ".refs." + kDimNames[d], level_name(zpci_level(l)),
				&stats_.refs[d][l],
				std::string(zpci_level_info(zpci_level(l))->table) +
					"-table entries fetched, " + kDimNames[d] + " dimension");
		}
	reg.add(block, "faults", &stats_.faults, "walks that ended in a translation fault");
	reg.add(block, "queued", &stats_.queued, "walks that waited for a free walker");
	reg.add(block, "queue_cycles", &stats_.queue_cycles, "cycles walks spent waiting");
	for (int d = 0; d < kWalkDims; d++)
		for (int l = 0; l < kCachedLevels; l++) {
			std::optional<TaggedCache> &c = walk_caches_[d][l];
			if (c)
				c->register_stats(reg, block + ".walk_cache." + kDimNames[d] + "." +
							       level_name(zpci_level(l)));
		}
	if (stage2_)
		stage2_->register_stats(reg, block + ".stage2_cache");
}

}  // namespace zpcisim
