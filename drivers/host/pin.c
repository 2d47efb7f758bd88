// SPDX-License-Identifier: MIT
/*
 * Counted page pins with a limit and injected failures.
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
	return zpci_u64map_init(&p->count);
}

void zpci_pin_destroy(struct zpci_pinner *p)
{
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

int zpci_pin(struct zpci_pinner *p, phys_addr_t hpa)
{
	u64 page = hpa >> ZPCI_PAGE_SHIFT;
	u64 *count = zpci_u64map_find(&p->count, page);

	if (count) {
		(*count)++;
	} else {
		if (!first_pin_allowed(p) || zpci_u64map_put(&p->count, page, 1)) {
			p->stats.failures++;
			return -ENOMEM;
		}
		p->stats.pinned_pages++;
		if (p->stats.pinned_pages > p->stats.peak_pinned_pages)
			p->stats.peak_pinned_pages = p->stats.pinned_pages;
	}
	p->stats.pins++;
	return 0;
}

/* One pin of @page dropped; true when it was the last. */
static bool unpin_page(void *ctx, u64 page, u64 *count)
{
	struct zpci_pinner *p = ctx;

	(void)page;
	p->stats.unpins++;
	if (--*count)
		return false;
	p->stats.pinned_pages--;
	return true;
}

int zpci_unpin(struct zpci_pinner *p, phys_addr_t hpa)
{
	u64 page = hpa >> ZPCI_PAGE_SHIFT;
	u64 *count = zpci_u64map_find(&p->count, page);

	if (!count)
		return -EINVAL;
	if (unpin_page(p, page, count))
		zpci_u64map_remove(&p->count, page);
	return 0;
}

void zpci_unpin_range(struct zpci_pinner *p, phys_addr_t hpa, u64 len)
{
	u64 last = hpa + len - 1 < hpa ? UINT64_MAX : hpa + len - 1;

	if (len)
		zpci_u64map_update_range(&p->count, hpa >> ZPCI_PAGE_SHIFT, last >> ZPCI_PAGE_SHIFT,
					 unpin_page, p);
}

bool zpci_is_pinned(const struct zpci_pinner *p, phys_addr_t hpa)
{
	return zpci_u64map_find(&p->count, hpa >> ZPCI_PAGE_SHIFT) != NULL;
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
