// SPDX-License-Identifier: MIT
// Iotlb: the DMA translation unit's translation cache, and its walk cache.
//
// Models: a set-associative cache of 4 KiB translations tagged by function
// handle and IOVA page, with LRU, FIFO or seeded random replacement;
// invalidation by range, by function and globally (what RPCIT and IOAT
// changes do); an optional walk cache of segment-table entries (the
// page-table origin for a 1 MiB region), so that a miss there costs one
// memory reference instead of a full walk.
// Does not model: large-frame entries (translations are cached per 4 KiB
// page whatever the frame size), prefetching, ECC, timing (the Dtu adds the
// lookup latency).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <zpci/prng.h>

#include "params/param.h"
#include "stats/stats.h"

namespace zpcisim {

enum class Replacement { Lru, Fifo, Random };

// "lru", "fifo", "random".
const char *replacement_name(Replacement r);
bool parse_replacement(const std::string &name, Replacement *r);
// The same names, by value.
const std::vector<std::string> &replacement_names();

// The most entries a cache may have: its lines are allocated up front,
// 32 MiB at this bound, 512 times gem5's SMMUv3 main TLB.
constexpr uint32_t kCacheEntriesMax = 1u << 20;

// Parameters of one cache (the IOTLB or the walk cache); the defaults are
// the IOTLB's.
struct CacheParams {
	uint32_t entries = 2048;
	uint32_t assoc = 4;
	Replacement policy = Replacement::Lru;
	uint64_t seed = 1;
	bool enabled = true;
};

template <>
inline constexpr ParamDecl param_keys<CacheParams>[] = {
	// What a cache's entries hold, and how many, its holder says.
	number<&CacheParams::entries>("entries", "entries", 1, kCacheEntriesMax, nullptr),
	number<&CacheParams::assoc>(
		"assoc", "ways",
		"ways per set; 0: fully associative; source: gem5's SMMUv3 TLB and walk cache, 4"),
	choice<&CacheParams::policy>(
		"replacement", replacement_names,
		"replacement policy; assumption: LRU (gem5's SMMUv3 uses round-robin)"),
	number<&CacheParams::seed>(
		"seed", "",
		"seed of random replacement; assumption: any fixed seed, for repeatable runs"),
	flag<&CacheParams::enabled>(
		"enabled", "off: nothing is cached; assumption: on, as every IOMMU caches"),
};

struct CacheStats {
	uint64_t lookups = 0;
	uint64_t hits = 0;
	uint64_t misses = 0;
	uint64_t inserts = 0;
	uint64_t evictions = 0;
	uint64_t invalidations = 0;	// entries dropped by invalidate_*
};

// A set-associative cache from (fh, key) to a u64 value.  The IOTLB keys
// by IOVA page, the walk cache by IOVA segment; both use this one class.
class TaggedCache {
	struct Line;

public:
	TaggedCache(const CacheParams &p);

	// Inline: every request to the DTU looks up.
	std::optional<uint64_t> lookup(uint32_t fh, uint64_t key)
	{
		if (!p_.enabled)
			return std::nullopt;
		Entry e = probe(fh, key);
		if (!e) {
			stats_.lookups++;
			stats_.misses++;
			return std::nullopt;
		}
		use(e);
		return e.value();
	}
	// lookup() in two steps, for a caller that serves hits itself and
	// hands anything else to a path that calls lookup(): probe() finds the
	// entry and counts nothing; use() counts it as lookup()'s hit, before
	// the cache next changes.  Inline: every fast-mode hit comes here.
	class Entry {
	public:
		explicit operator bool() const { return l_ != nullptr; }
		uint64_t value() const { return l_->value; }

	private:
		friend class TaggedCache;
		explicit Entry(Line *l) : l_(l) {}
		Line *l_;
	};
	Entry probe(uint32_t fh, uint64_t key)
	{
		return Entry(p_.enabled && key != kNoKey ? find(fh, key) : nullptr);
	}
	void use(Entry e)
	{
		stats_.lookups++;
		stats_.hits++;
		if (p_.policy == Replacement::Lru)
			e.l_->stamp = ++clock_;
	}
	// @key: anything but UINT64_MAX.
	void insert(uint32_t fh, uint64_t key, uint64_t value);
	// Drop @fh's entries with key in [first, last].
	void invalidate_range(uint32_t fh, uint64_t first, uint64_t last);
	void invalidate_function(uint32_t fh);
	void invalidate_all();

	const CacheParams &params() const { return p_; }
	const CacheStats &stats() const { return stats_; }
	void register_stats(StatsRegistry &reg, const std::string &block);

private:
	// An empty line's key is one no caller uses (keys are pages or
	// segments), so a look-up compares key and handle, not a valid bit too.
	static constexpr uint64_t kNoKey = UINT64_MAX;
	struct Line {
		uint64_t key = kNoKey;
		uint32_t fh = 0;
		uint64_t value = 0;
		uint64_t stamp = 0;	// last use (LRU) or fill (FIFO)
		bool valid() const { return key != kNoKey; }
		bool holds(uint32_t f, uint64_t k) const { return key == k && fh == f; }
	};

	// A power-of-two number of sets (the usual case) takes a mask, not a
	// division.
	uint32_t set_of(uint64_t key) const { return pow2_sets_ ? key & set_mask_ : key % sets_; }
	Line *find(uint32_t fh, uint64_t key)
	{
		Line *set = &lines_[set_of(key) * ways_];

		for (uint32_t w = 0; w < ways_; w++)
			if (set[w].holds(fh, key))
				return &set[w];
		return nullptr;
	}
	Line &line_for(uint32_t fh, uint64_t key);

	CacheParams p_;
	uint32_t sets_, ways_, set_mask_;
	bool pow2_sets_;
	std::vector<Line> lines_;
	uint64_t clock_ = 0;
	zpci_prng prng_;
	CacheStats stats_;
};

}  // namespace zpcisim
