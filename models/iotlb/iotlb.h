// SPDX-License-Identifier: MIT
// Iotlb: the DMA translation unit's translation cache, and its walk cache.
//
// Models: a set-associative cache of 4 KiB translations tagged by function
// handle and IOVA page, with LRU, FIFO or seeded random replacement;
// invalidation by range, by function and globally (what RPCIT and IOAT
// changes do); a set index that hashes the function handle with the key
// (`index`, below); an optional walk cache of segment-table entries (the
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

// How a cache picks the set of (fh, key), of S sets, n = ceil(log2 S) bits
// of set number (0 when S is 1):
//   page:            key mod S
//   xor-fh:          (key XOR fh) mod S
//   xor-fh-reversed: (key XOR rev_n(fold_n(fh))) mod S, where fold_n(fh) is
//                    the XOR of fh's n-bit fields (bits 0..n-1, n..2n-1, ...)
//                    and rev_n reverses the order of n bits.
// Every guest's allocator hands out IOVAs upward from the same start, so
// functions' footprints are the same run of keys; handles differ in their
// low bits (enabled handles 0x80000100, 0x80000101, ...).  `page` puts
// every function's key k in one set; `xor-fh` (a real design's choice, see
// the `index` key) only permutes keys within aligned blocks of 2^b when
// the handles differ in their b low bits, so it does no better.  Reversing
// the handle brings its low bits to the top of the set number: 2^m
// functions with aligned runs of keys fill 2^m equal slices of the sets.
enum class CacheIndex { Page, XorFh, XorFhReversed };
// "page", "xor-fh", "xor-fh-reversed", by value.
const std::vector<std::string> &cache_index_names();

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
	CacheIndex index = CacheIndex::XorFhReversed;
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
	choice<&CacheParams::index>(
		"index", cache_index_names,
		"set of (fh, key) among S = entries/assoc sets, n = ceil(log2 S): page: key mod "
		"S; xor-fh: (key ^ fh) mod S, as the Renesas SH7709S TLB (VPN ^ ASID, manual "
		"3.3.2) and gem5's SMMUv3 IPA cache and TLB ((va>>12) ^ vmid [^ asid]); "
		"xor-fh-reversed: (key ^ rev_n(fold_n(fh))) mod S, fold_n: XOR of fh's n-bit "
		"fields, rev_n: n bits reversed; assumption: xor-fh-reversed, so that functions "
		"with dense handles and IOVAs from one base share the sets evenly (zPCI's index "
		"is not public)"),
};

struct CacheStats {
	uint64_t lookups = 0;
	uint64_t hits = 0;
	uint64_t misses = 0;
	uint64_t inserts = 0;
	uint64_t evictions = 0;
	uint64_t invalidations = 0;	// entries dropped by invalidate_*
};

// A set-associative cache from (fh, key) to a u64 value, the set by
// CacheParams::index (the formulas above CacheIndex).  The IOTLB keys by
// IOVA page, the walk cache by IOVA segment; both use this one class.
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

	// What set_of() XORs into the key for @fh, by the index's formula.
	uint64_t index_xor(uint32_t fh) const;
	// Requests come in runs from one function, so the last handle's XOR
	// is kept: a compare on the look-up path instead of the formula.  A
	// power-of-two number of sets (the usual case) takes a mask, not a
	// division.
	uint32_t set_of(uint32_t fh, uint64_t key)
	{
		if (fh != last_fh_) {
			last_fh_ = fh;
			last_xor_ = index_xor(fh);
		}
		key ^= last_xor_;
		return pow2_sets_ ? key & set_mask_ : key % sets_;
	}
	Line *find(uint32_t fh, uint64_t key)
	{
		Line *set = &lines_[set_of(fh, key) * ways_];

		for (uint32_t w = 0; w < ways_; w++)
			if (set[w].holds(fh, key))
				return &set[w];
		return nullptr;
	}
	Line &line_for(uint32_t fh, uint64_t key);

	CacheParams p_;
	uint32_t sets_, ways_, set_mask_;
	bool pow2_sets_;
	// One set needs no index (and reversed() no n of 0): as `page`.
	CacheIndex index_;
	uint32_t index_bits_;	// n
	uint64_t index_mask_;	// 2^n - 1
	uint32_t last_fh_ = 0;	// every index XORs 0 for handle 0
	uint64_t last_xor_ = 0;
	std::vector<Line> lines_;
	uint64_t clock_ = 0;
	zpci_prng prng_;
	CacheStats stats_;
};

}  // namespace zpcisim
