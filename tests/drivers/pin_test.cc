// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include <zpci/arch.h>
#include <zpci/pin.h>
#include <zpci/prng.h>

namespace {

class Pinner : public ::testing::Test {
protected:
	void init(zpci_pin_cfg cfg) { ASSERT_EQ(zpci_pin_init(&p_, &cfg), 0); }
	~Pinner() override { zpci_pin_destroy(&p_); }
	zpci_pinner p_{};
};

// A page mapped twice is pinned once and stays until both unpin.
TEST_F(Pinner, PinsAreCountedPerPage)
{
	init({});
	ASSERT_EQ(zpci_pin(&p_, 0x5000), 0);
	ASSERT_EQ(zpci_pin(&p_, 0x5fff), 0);
	EXPECT_EQ(p_.stats.pinned_pages, 1u);
	EXPECT_EQ(zpci_unpin(&p_, 0x5000), 0);
	EXPECT_TRUE(zpci_is_pinned(&p_, 0x5800));
	EXPECT_EQ(zpci_unpin(&p_, 0x5000), 0);
	EXPECT_FALSE(zpci_is_pinned(&p_, 0x5800));
	EXPECT_EQ(zpci_unpin(&p_, 0x5000), -EINVAL);
	EXPECT_EQ(p_.stats.pins, 2u);
	EXPECT_EQ(p_.stats.unpins, 2u);
	EXPECT_EQ(p_.stats.peak_pinned_pages, 1u);
}

TEST_F(Pinner, TheLimitCountsDistinctPages)
{
	zpci_pin_cfg cfg{};
	cfg.limit_bytes = 3 * ZPCI_PAGE_SIZE;
	init(cfg);
	for (uint64_t i = 0; i < 3; i++)
		ASSERT_EQ(zpci_pin(&p_, i << 12), 0);
	EXPECT_EQ(zpci_pin(&p_, 0x10000), -ENOMEM);
	EXPECT_EQ(zpci_pin(&p_, 0x1000), 0);	// already pinned: no new page
	ASSERT_EQ(zpci_unpin(&p_, 0x2000), 0);
	EXPECT_EQ(zpci_pin(&p_, 0x10000), 0);
	EXPECT_EQ(p_.stats.failures, 1u);
}

TEST_F(Pinner, EveryNthFirstPinFailsAndRatesAreSeeded)
{
	zpci_pin_cfg cfg{};
	cfg.fail_every = 3;
	init(cfg);
	int failed = 0;
	for (uint64_t i = 0; i < 30; i++)
		failed += zpci_pin(&p_, i << 12) != 0;
	EXPECT_EQ(failed, 10);

	zpci_pinner a, b;
	zpci_pin_cfg rate{};
	rate.fail_permille = 250;
	rate.seed = 9;
	ASSERT_EQ(zpci_pin_init(&a, &rate), 0);
	ASSERT_EQ(zpci_pin_init(&b, &rate), 0);
	int fa = 0;
	for (uint64_t i = 0; i < 4000; i++) {
		int ra = zpci_pin(&a, i << 12), rb = zpci_pin(&b, i << 12);
		ASSERT_EQ(ra, rb);
		fa += ra != 0;
	}
	EXPECT_GT(fa, 850);	// about a quarter
	EXPECT_LT(fa, 1150);
	zpci_pin_destroy(&a);
	zpci_pin_destroy(&b);
	zpci_pin_cfg bad{};
	bad.fail_permille = 1001;
	EXPECT_EQ(zpci_pin_init(&a, &bad), -EINVAL);
}

// The independent reference: one count per page in a plain array, every
// range taken a page at a time, each first pin checked as the pinner
// documents (the limit, the injection window, every Nth, the seeded rate).
class PerPageReference {
public:
	PerPageReference(const zpci_pin_cfg &cfg, uint64_t pages) : cfg_(cfg), count_(pages)
	{
		zpci_prng_seed(&prng_, cfg.seed);
	}

	zpci_fault_window inject{};
	uint64_t pinned = 0, peak = 0, failures = 0, first_pins = 0, pins = 0, unpins = 0;

	uint64_t count(uint64_t page) const { return count_[page]; }

	int pin(uint64_t page)
	{
		if (!count_[page] && !first_pin_allowed()) {
			failures++;
			return -ENOMEM;
		}
		take(page);
		peak = std::max(peak, pinned);
		return 0;
	}

	int unpin(uint64_t page)
	{
		if (!count_[page])
			return -EINVAL;
		drop(page);
		return 0;
	}

	int pin_range(uint64_t first, uint64_t last)
	{
		std::vector<uint64_t> taken;
		for (uint64_t page = first; page <= last; page++) {
			if (!count_[page] && !first_pin_allowed()) {
				for (uint64_t t : taken)
					undo(t);
				failures++;
				return -ENOMEM;
			}
			take(page);
			taken.push_back(page);
		}
		peak = std::max(peak, pinned);	// all or nothing: the peak too
		return 0;
	}

	void unpin_range(uint64_t first, uint64_t last)
	{
		for (uint64_t page = first; page <= last; page++)
			if (count_[page])
				drop(page);
	}

private:
	bool first_pin_allowed()
	{
		uint64_t n = ++first_pins;
		if (cfg_.limit_bytes && (pinned + 1) * ZPCI_PAGE_SIZE > cfg_.limit_bytes)
			return false;
		if (zpci_fault_window_hit(&inject))
			return false;
		if (cfg_.fail_every && n % cfg_.fail_every == 0)
			return false;
		return !cfg_.fail_permille || zpci_prng_below(&prng_, 1000) >= cfg_.fail_permille;
	}

	void take(uint64_t page)
	{
		pinned += !count_[page]++;
		pins++;
	}

	void drop(uint64_t page)
	{
		pinned -= !--count_[page];
		unpins++;
	}

	// A pin of a failed range goes back without counting as dropped.
	void undo(uint64_t page)
	{
		pinned -= !--count_[page];
		pins--;
	}

	zpci_pin_cfg cfg_;
	zpci_prng prng_{};
	std::vector<uint64_t> count_;
};

struct PinScenario {
	const char *name;
	zpci_pin_cfg cfg;
	uint64_t window_pass, window_fail, window_every;
};

// Random pins and unpins of pages and of ranges, against the per-page
// reference: after every step each page's count, whether it is pinned, and
// every counter agree, whatever failed on the way.
TEST_F(Pinner, RangesAndPagesAgreeWithAPerPageReference)
{
	constexpr uint64_t kPages = 512;
	const PinScenario scenarios[] = {
		{ "unbounded", { 0, 0, 0, 1 }, 0, 0, 0 },
		{ "limit", { 300 * ZPCI_PAGE_SIZE, 0, 0, 1 }, 0, 0, 0 },
		{ "every", { 0, 97, 0, 1 }, 0, 0, 0 },
		{ "rate", { 0, 0, 3, 7 }, 0, 0, 0 },
		{ "window", { 0, 0, 0, 1 }, 150, 2, 0 },
		{ "window-every", { 400 * ZPCI_PAGE_SIZE, 0, 0, 1 }, 0, 0, 211 },
		{ "all", { 350 * ZPCI_PAGE_SIZE, 131, 2, 5 }, 90, 1, 173 },
	};
	for (const PinScenario &sc : scenarios) {
		SCOPED_TRACE(sc.name);
		zpci_pinner p;
		ASSERT_EQ(zpci_pin_init(&p, &sc.cfg), 0);
		PerPageReference ref(sc.cfg, kPages);
		for (zpci_fault_window *w : { &p.inject, &ref.inject }) {
			zpci_fault_window_arm(w, sc.window_pass, sc.window_fail);
			zpci_fault_window_every(w, sc.window_every);
		}
		zpci_prng rng;
		zpci_prng_seed(&rng, 42);
		for (int step = 0; step < 3000; step++) {
			uint64_t first = zpci_prng_below(&rng, kPages);
			uint64_t last = first + zpci_prng_below(&rng, zpci_prng_below(&rng, 4) ? 8 : 200);
			if (last >= kPages)
				last = kPages - 1;
			uint64_t hpa = first << ZPCI_PAGE_SHIFT, len = (last - first + 1) << ZPCI_PAGE_SHIFT;
			switch (zpci_prng_below(&rng, 4)) {
			case 0:
				ASSERT_EQ(zpci_pin(&p, hpa + 0x10), ref.pin(first)) << step;
				break;
			case 1:
				ASSERT_EQ(zpci_unpin(&p, hpa), ref.unpin(first)) << step;
				break;
			case 2:
				ASSERT_EQ(zpci_pin_range(&p, hpa, len), ref.pin_range(first, last))
					<< step;
				break;
			default:
				ASSERT_EQ(zpci_unpin_range(&p, hpa, len), 0) << step;
				ref.unpin_range(first, last);
				break;
			}
			for (uint64_t page = 0; page < kPages; page++) {
				ASSERT_EQ(zpci_pin_count(&p, page << ZPCI_PAGE_SHIFT), ref.count(page))
					<< "step " << step << " page " << page;
				ASSERT_EQ(zpci_is_pinned(&p, page << ZPCI_PAGE_SHIFT), ref.count(page) > 0);
			}
			ASSERT_EQ(p.stats.pinned_pages, ref.pinned) << step;
			ASSERT_EQ(p.stats.peak_pinned_pages, ref.peak) << step;
			ASSERT_EQ(p.stats.failures, ref.failures) << step;
			ASSERT_EQ(p.stats.pins, ref.pins) << step;
			ASSERT_EQ(p.stats.unpins, ref.unpins) << step;
			ASSERT_EQ(p.first_pins, ref.first_pins) << step;
			ASSERT_EQ(p.inject.seen, ref.inject.seen) << step;
			ASSERT_EQ(p.inject.fired, ref.inject.fired) << step;
		}
		// Pin balance: dropping what is left leaves nothing, and no run behind.
		zpci_unpin_range(&p, 0, kPages << ZPCI_PAGE_SHIFT);
		ref.unpin_range(0, kPages - 1);
		while (p.stats.pinned_pages)
			for (uint64_t page = 0; page < kPages; page++)
				if (ref.count(page)) {
					ASSERT_EQ(zpci_unpin(&p, page << ZPCI_PAGE_SHIFT), 0);
					ref.unpin(page);
				}
		EXPECT_EQ(p.ranges.nr, 0u);
		EXPECT_EQ(p.count.nr, 0u);
		zpci_pin_destroy(&p);
	}
}

// A whole 1 TiB guest is one run: what the pinner keeps does not grow with it.
TEST_F(Pinner, ARangeIsOneRunHoweverLarge)
{
	init({});
	const uint64_t base = 256ULL << 20, size = 1ULL << 40;
	ASSERT_EQ(zpci_pin_range(&p_, base, size), 0);
	EXPECT_EQ(p_.ranges.nr, 1u);
	EXPECT_EQ(p_.stats.pinned_pages, size >> ZPCI_PAGE_SHIFT);
	EXPECT_EQ(p_.stats.pins, size >> ZPCI_PAGE_SHIFT);
	EXPECT_TRUE(zpci_is_pinned(&p_, base));
	EXPECT_TRUE(zpci_is_pinned(&p_, base + size - 1));
	EXPECT_FALSE(zpci_is_pinned(&p_, base - 1));
	EXPECT_FALSE(zpci_is_pinned(&p_, base + size));
	// A page pinned again on top of the range splits nothing.
	ASSERT_EQ(zpci_pin(&p_, base + (5ULL << 30)), 0);
	EXPECT_EQ(zpci_pin_count(&p_, base + (5ULL << 30)), 2u);
	EXPECT_EQ(p_.ranges.nr, 1u);
	ASSERT_EQ(zpci_unpin(&p_, base + (5ULL << 30)), 0);
	ASSERT_EQ(zpci_unpin_range(&p_, base, size), 0);
	EXPECT_EQ(p_.stats.pinned_pages, 0u);
	EXPECT_EQ(p_.ranges.nr, 0u);
	EXPECT_EQ(zpci_pin_range(&p_, base, 0), -EINVAL);
	EXPECT_EQ(zpci_pin_range(&p_, UINT64_MAX - 4095, 8192), -EINVAL);
}

}  // namespace
