// SPDX-License-Identifier: MIT
/*
 * Counted page pins with a limit and injected failures.  A page's count is
 * its per-page pins plus its range pins; it is pinned ("distinct", for the
 * stats and the limit) while either is non-zero.
 */
#include <string.h>

#include <zpci/arch.h>
#include <zpci/pin.h>

int zpci_pin_init(struct zpci_pinner *p, const struct zpci_pin_cfg *cfg)
{
	memset(p, 0, sizeof(*p));
	if (cfg->fail_permille > 1000)
		return -EINVAL;
	p->cfg = *cfg;
	zpci_prng_seed(&p->prng, cfg->seed);
	zpci_runmap_init(&p->ranges);
	return zpci_u64map_init(&p->count);
}

void zpci_pin_destroy(struct zpci_pinner *p)
{
	zpci_runmap_destroy(&p->ranges);
	zpci_u64map_destroy(&p->count);
	memset(p, 0, sizeof(*p));
}

/* Whether the next new page may be pinned: the limit, then injection. */
static bool first_pin_allowed(struct zpci_pinner *p)
{
	u64 n = ++p->first_pins;

	if (p->cfg.limit_bytes &&
	    (p->stats.pinned_pages + 1) * ZPCI_PAGE_SIZE > p->cfg.limit_bytes)
		return false;
	if (zpci_fault_window_hit(&p->inject))
		return false;
	if (p->cfg.fail_every && n % p->cfg.fail_every == 0)
		return false;
	if (p->cfg.fail_permille && zpci_prng_below(&p->prng, 1000) < p->cfg.fail_permille)
		return false;
	return true;
}

static void pinned_pages_add(struct zpci_pinner *p, u64 n)
{
	p->stats.pinned_pages += n;
	if (p->stats.pinned_pages > p->stats.peak_pinned_pages)
		p->stats.peak_pinned_pages = p->stats.pinned_pages;
}

int zpci_pin(struct zpci_pinner *p, phys_addr_t hpa)
{
	u64 page = hpa >> ZPCI_PAGE_SHIFT;
	u64 *count = zpci_u64map_find(&p->count, page);

	if (count) {
		(*count)++;
	} else if (p->ranges.nr && zpci_runmap_get(&p->ranges, page)) {
		/* Pinned already, by a range: no first pin. */
		if (zpci_u64map_put(&p->count, page, 1)) {
			p->stats.failures++;
			return -ENOMEM;
		}
	} else {
		if (!first_pin_allowed(p) || zpci_u64map_put(&p->count, page, 1)) {
			p->stats.failures++;
			return -ENOMEM;
		}
		pinned_pages_add(p, 1);
	}
	p->stats.pins++;
	return 0;
}

/* One per-page pin of @page dropped; true when it was the last of them. */
static bool unpin_page(void *ctx, u64 page, u64 *count)
{
	struct zpci_pinner *p = ctx;

	p->stats.unpins++;
	if (--*count)
		return false;
	p->stats.pinned_pages -= !zpci_runmap_get(&p->ranges, page);
	return true;
}

/* For zpci_unpin_range: only pages no range pins, whose one pin to drop is theirs. */
static bool unpin_page_outside_ranges(void *ctx, u64 page, u64 *count)
{
	struct zpci_pinner *p = ctx;

	return !zpci_runmap_get(&p->ranges, page) && unpin_page(p, page, count);
}

static bool count_key(void *ctx, u64 page, u64 *count)
{
	(void)page;
	(void)count;
	++*(u64 *)ctx;
	return false;
}

/* Pages of [first, last] with per-page pins. */
static u64 per_page_pinned(struct zpci_pinner *p, u64 first, u64 last)
{
	u64 n = 0;

	if (p->count.nr)
		zpci_u64map_update_range(&p->count, first, last, count_key, &n);
	return n;
}

/* Drop one range pin of pages [first, last], each of which has one. */
static int unpin_run(struct zpci_pinner *p, u64 first, u64 last)
{
	u64 before = p->ranges.pages;
	int rc = zpci_runmap_add(&p->ranges, first, last, -1);

	if (rc)
		return rc;
	p->stats.unpins += last - first + 1;
	/* Pages whose last range pin went are unpinned unless pinned per page. */
	if (before != p->ranges.pages)
		p->stats.pinned_pages -= (before - p->ranges.pages) -
					 per_page_pinned(p, first, last);
	return 0;
}

int zpci_unpin(struct zpci_pinner *p, phys_addr_t hpa)
{
	u64 page = hpa >> ZPCI_PAGE_SHIFT;
	u64 *count = zpci_u64map_find(&p->count, page);

	if (count) {
		if (unpin_page(p, page, count))
			zpci_u64map_remove(&p->count, page);
		return 0;
	}
	if (p->ranges.nr && zpci_runmap_get(&p->ranges, page))
		return unpin_run(p, page, page);
	return -EINVAL;
}

/* Pages [first, last]: the last page of a range of @len bytes at @hpa. */
static bool range_pages(phys_addr_t hpa, u64 len, u64 *first, u64 *last)
{
	if (!len || hpa + len - 1 < hpa)
		return false;
	*first = hpa >> ZPCI_PAGE_SHIFT;
	*last = (hpa + len - 1) >> ZPCI_PAGE_SHIFT;
	return true;
}

/* Counts @n first pins that all pass, as first_pin_allowed() would. */
static void first_pins_pass(struct zpci_pinner *p, u64 n)
{
	p->first_pins += n;
	zpci_fault_window_skip(&p->inject, n);
}

static u64 min_u64(u64 a, u64 b)
{
	return a < b ? a : b;
}

/*
 * first_pin_allowed() for @n pages at once, with its counters as after the
 * calls one page at a time: true, or false after the one that refuses.
 * The checks that are counts say where they would refuse; only the seeded
 * rate is drawn page by page, and a refusal ends it (about 1000/permille
 * draws at most, on average).
 */
static bool first_pins_allowed(struct zpci_pinner *p, u64 n)
{
	u64 at_limit = UINT64_MAX, refuse, i, w = zpci_fault_window_next(&p->inject);

	if (p->cfg.limit_bytes) {
		u64 room = p->cfg.limit_bytes / ZPCI_PAGE_SIZE;

		at_limit = room > p->stats.pinned_pages ? room - p->stats.pinned_pages + 1 : 1;
	}
	refuse = min_u64(at_limit, w ? w : UINT64_MAX);
	if (p->cfg.fail_every)
		refuse = min_u64(refuse, p->cfg.fail_every - p->first_pins % p->cfg.fail_every);
	for (i = 1; p->cfg.fail_permille && i < refuse && i <= n; i++)
		if (zpci_prng_below(&p->prng, 1000) < p->cfg.fail_permille) {
			first_pins_pass(p, i);
			return false;
		}
	if (refuse > n) {
		first_pins_pass(p, n);
		return true;
	}
	/* The refused page: the limit stops its checks before injection's. */
	first_pins_pass(p, refuse - 1);
	p->first_pins++;
	if (refuse < at_limit)
		zpci_fault_window_hit(&p->inject);
	return false;
}

int zpci_pin_range(struct zpci_pinner *p, phys_addr_t hpa, u64 len)
{
	u64 first, last, page, end, fresh = 0;

	if (!range_pages(hpa, len, &first, &last))
		return -EINVAL;
	/* Pages pinned neither by a range nor per page take a first pin. */
	for (page = first;; page = end + 1) {
		if (!zpci_runmap_piece(&p->ranges, page, last, &end))
			fresh += end - page + 1 - per_page_pinned(p, page, end);
		if (end == last)
			break;
	}
	if (!first_pins_allowed(p, fresh) || zpci_runmap_add(&p->ranges, first, last, 1)) {
		p->stats.failures++;
		return -ENOMEM;
	}
	pinned_pages_add(p, fresh);
	p->stats.pins += last - first + 1;
	return 0;
}

int zpci_unpin_range(struct zpci_pinner *p, phys_addr_t hpa, u64 len)
{
	u64 first, last, page, end;
	int rc;

	if (!range_pages(hpa, len, &first, &last))
		return 0;
	if (p->count.nr)
		zpci_u64map_update_range(&p->count, first, last, unpin_page_outside_ranges, p);
	for (page = first;; page = end + 1) {
		if (zpci_runmap_piece(&p->ranges, page, last, &end)) {
			rc = unpin_run(p, page, end);
			if (rc)
				return rc;
		}
		if (end == last)
			return 0;
	}
}

u64 zpci_pin_count(const struct zpci_pinner *p, phys_addr_t hpa)
{
	u64 page = hpa >> ZPCI_PAGE_SHIFT;
	const u64 *count = zpci_u64map_find(&p->count, page);

	return (count ? *count : 0) + zpci_runmap_get(&p->ranges, page);
}

const struct zpci_counter zpci_pin_counters[] = {
	ZPCI_COUNTER(struct zpci_pin_stats, pins, "pins", "pins", "successful pins of a page",
		     ZPCI_SHOW_SUMMARY | ZPCI_SHOW_COMPARE | ZPCI_SHOW_SWEEP),
	ZPCI_COUNTER(struct zpci_pin_stats, unpins, "unpins", "pins", "pins dropped",
		     ZPCI_SHOW_SUMMARY | ZPCI_SHOW_COMPARE | ZPCI_SHOW_SWEEP),
	ZPCI_COUNTER(struct zpci_pin_stats, failures, "pin_failures", "pins",
		     "pins refused: the limit, or injected", ZPCI_SHOW_SUMMARY),
	ZPCI_COUNTER_BYTES(struct zpci_pin_stats, peak_pinned_pages, "peak_pinned_bytes",
			   "the most memory pinned at once", ZPCI_SHOW_SUMMARY |
			   ZPCI_SHOW_COMPARE | ZPCI_SHOW_SWEEP | ZPCI_SHOW_LIVE),
	ZPCI_COUNTER_BYTES(struct zpci_pin_stats, pinned_pages, "pinned_bytes_at_end",
			   "memory still pinned at the end (telemetry: now)",
			   ZPCI_SHOW_SUMMARY | ZPCI_SHOW_LIVE),
	ZPCI_COUNTER_END
};
