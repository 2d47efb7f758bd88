/* SPDX-License-Identifier: MIT */
/*
 * Page pinning, as a hypervisor does it for DMA: a host page stays resident
 * while any mapping uses it (pins are counted per page), the total is
 * bounded like a locked-memory limit, and failures can be injected — every
 * Nth pin, or a seeded rate — to answer "and if pinning fails?".
 *
 * Pins taken a page at a time (the intercepting designs') are kept per
 * page; pins taken over a range (the pinned designs' whole guest) are kept
 * as runs of pages, so that pinning 1 TiB costs one run, not 2^28 slots.
 * A page's pin count is the sum of both; every query is per page.
 */
#ifndef ZPCI_PIN_H
#define ZPCI_PIN_H

#include <zpci/arch.h>
#include <zpci/counter.h>
#include <zpci/fault_window.h>
#include <zpci/prng.h>
#include <zpci/runmap.h>
#include <zpci/u64map.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zpci_pin_cfg {
	u64 limit_bytes;	/* 0: no limit (RLIMIT_MEMLOCK-like otherwise) */
	u32 fail_every;		/* fail every Nth first pin of a page; 0: never */
	u32 fail_permille;	/* fail this share of first pins, seeded; 0: never */
	u64 seed;
};

struct zpci_pin_stats {
	u64 pins;		/* successful pin calls */
	u64 unpins;
	u64 failures;		/* refused: limit or injected */
	u64 pinned_pages;	/* distinct pages pinned now */
	u64 peak_pinned_pages;
};

/* The counters of struct zpci_pin_stats the reports show. */
extern const struct zpci_counter zpci_pin_counters[];

struct zpci_pinner {
	struct zpci_pin_cfg cfg;
	struct zpci_u64map count;	/* host page number -> its zpci_pin() count */
	struct zpci_runmap ranges;	/* host page runs -> their zpci_pin_range() count */
	struct zpci_prng prng;
	u64 first_pins;			/* attempts to pin a page not yet pinned */
	struct zpci_fault_window inject;	/* first pins to fail, at chosen points */
	struct zpci_pin_stats stats;
};

int zpci_pin_init(struct zpci_pinner *p, const struct zpci_pin_cfg *cfg);
void zpci_pin_destroy(struct zpci_pinner *p);

/* Pin the page holding @hpa.  0, or -ENOMEM (limit reached or injected). */
int zpci_pin(struct zpci_pinner *p, phys_addr_t hpa);
/* Drop one pin of the page holding @hpa.  -EINVAL if it is not pinned. */
int zpci_unpin(struct zpci_pinner *p, phys_addr_t hpa);
/*
 * Pin every page of [@hpa, @hpa + @len), all or nothing: each page not yet
 * pinned is a first pin, checked in page order as zpci_pin() checks it, and
 * the limit and injection counters move on as they would.  0; -ENOMEM (a
 * page refused: nothing of the range stays pinned); -EINVAL for an empty
 * or wrapping range.
 */
int zpci_pin_range(struct zpci_pinner *p, phys_addr_t hpa, u64 len);
/*
 * zpci_unpin for each pinned page of [@hpa, @hpa + @len), at once.  0, or
 * -ENOMEM when a run could not be split (part of the range is unpinned).
 */
int zpci_unpin_range(struct zpci_pinner *p, phys_addr_t hpa, u64 len);
/* The pins the page holding @hpa has. */
u64 zpci_pin_count(const struct zpci_pinner *p, phys_addr_t hpa);
static inline bool zpci_is_pinned(const struct zpci_pinner *p, phys_addr_t hpa)
{
	u64 page = hpa >> ZPCI_PAGE_SHIFT;

	/* Per device access: the per-page map first, runs only when there are any. */
	return zpci_u64map_find(&p->count, page) ||
	       (p->ranges.nr && zpci_runmap_get(&p->ranges, page));
}

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_PIN_H */
