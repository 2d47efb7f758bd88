// SPDX-License-Identifier: MIT
#include "iotlb/iotlb.h"

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace zpcisim {

namespace {
const char *const kReplacementNames[] = { "lru", "fifo", "random" };
const char *const kCacheIndexNames[] = { "page", "xor-fh", "xor-fh-reversed" };

template <size_t N>
std::vector<std::string> name_table(const char *const (&names)[N])
{
	return { std::begin(names), std::end(names) };
}
}

const char *replacement_name(Replacement r)
{
	return kReplacementNames[static_cast<int>(r)];
}

bool parse_replacement(const std::string &name, Replacement *r)
{
	for (int i = 0; i < 3; i++)
		if (name == kReplacementNames[i]) {
			*r = static_cast<Replacement>(i);
			return true;
		}
	return false;
}

const std::vector<std::string> &replacement_names()
{
	static const std::vector<std::string> names = name_table(kReplacementNames);
	return names;
}

const std::vector<std::string> &cache_index_names()
{
	static const std::vector<std::string> names = name_table(kCacheIndexNames);
	return names;
}

TaggedCache::TaggedCache(const CacheParams &p) : p_(p)
{
	if (p.entries == 0 || (p.assoc && p.entries % p.assoc))
		throw std::invalid_argument("cache: entries must be a non-zero multiple of assoc");
	ways_ = p.assoc ? p.assoc : p.entries;
	sets_ = p.entries / ways_;
	pow2_sets_ = (sets_ & (sets_ - 1)) == 0;
	set_mask_ = sets_ - 1;
	index_ = sets_ > 1 ? p.index : CacheIndex::Page;
	index_bits_ = 0;
	while ((uint64_t(1) << index_bits_) < sets_)
		index_bits_++;
	index_mask_ = (uint64_t(1) << index_bits_) - 1;
	lines_.resize(p.entries);
	zpci_prng_seed(&prng_, p.seed);
}

uint64_t TaggedCache::index_xor(uint32_t fh) const
{
	uint64_t f = fh;

	switch (index_) {
	case CacheIndex::Page:
		return 0;
	case CacheIndex::XorFh:
		return fh;
	case CacheIndex::XorFhReversed:
		break;
	}
	for (uint32_t s = index_bits_; s < 32; s *= 2)	// fold_n: field i ^= fields above
		f ^= f >> s;
	f &= index_mask_;
	uint64_t r = 0;
	for (uint32_t b = 0; b < index_bits_; b++)	// rev_n
		r |= (f >> b & 1) << (index_bits_ - 1 - b);
	return r;
}

// Where (@fh, @key) goes in its set: its own line if cached, else an
// invalid way, else the one the policy picks.  One pass over the ways.
TaggedCache::Line &TaggedCache::line_for(uint32_t fh, uint64_t key)
{
	Line *s = &lines_[set_of(fh, key) * ways_];
	Line *empty = nullptr, *oldest = &s[0];

	for (uint32_t w = 0; w < ways_; w++) {
		if (s[w].holds(fh, key))
			return s[w];
		if (!empty && !s[w].valid())
			empty = &s[w];
		if (s[w].stamp < oldest->stamp)
			oldest = &s[w];
	}
	if (empty)
		return *empty;
	stats_.evictions++;
	if (p_.policy == Replacement::Random)
		return s[zpci_prng_below(&prng_, ways_)];
	return *oldest;
}

void TaggedCache::insert(uint32_t fh, uint64_t key, uint64_t value)
{
	if (!p_.enabled)
		return;
	if (key == kNoKey)
		throw std::invalid_argument("cache: the key UINT64_MAX marks an empty line");
	stats_.inserts++;
	line_for(fh, key) = Line{ key, fh, value, ++clock_ };
}

void TaggedCache::invalidate_range(uint32_t fh, uint64_t first, uint64_t last)
{
	last = std::min(last, kNoKey - 1);	// the empty lines' key is no one's
	if (first > last)
		return;
	// A short range looks up its keys; a long one sweeps the cache.
	if (last - first < lines_.size()) {
		for (uint64_t k = first;; k++) {
			if (Line *l = find(fh, k)) {
				*l = Line{};
				stats_.invalidations++;
			}
			if (k == last)
				return;
		}
	}
	for (Line &l : lines_)
		if (l.valid() && l.fh == fh && l.key >= first && l.key <= last) {
			l = Line{};
			stats_.invalidations++;
		}
}

void TaggedCache::invalidate_function(uint32_t fh)
{
	for (Line &l : lines_)
		if (l.valid() && l.fh == fh) {
			l = Line{};
			stats_.invalidations++;
		}
}

void TaggedCache::invalidate_all()
{
	for (Line &l : lines_)
		if (l.valid()) {
			l = Line{};
			stats_.invalidations++;
		}
}

void TaggedCache::register_stats(StatsRegistry &reg, const std::string &block)
{
	reg.add(block, "lookups", &stats_.lookups, "lookups while enabled");
	reg.add(block, "hits", &stats_.hits, "lookups that found their entry");
	reg.add(block, "misses", &stats_.misses, "lookups that did not");
	reg.add(block, "inserts", &stats_.inserts, "entries filled");
	reg.add(block, "evictions", &stats_.evictions, "valid entries replaced to make room");
	reg.add(block, "invalidations", &stats_.invalidations, "entries dropped by invalidation");
}

}  // namespace zpcisim
