// SPDX-License-Identifier: MIT
/*
 * The 6.7+ IOVA allocator: the tree, then the caches in front of it.
 *
 * The kernel keeps allocated ranges in a red-black tree.  Here they are
 * two bitmaps over the aperture, pages in use and pages that begin a range,
 * which answer the same questions (the highest range below a point, the
 * range after a freed one) without a tree; outside the aperture all is
 * reserved, which is what the kernel's reserved ranges amount to.
 */
#include <stdlib.h>
#include <string.h>

#include <zpci/bitmap.h>
#include <zpci/iova_domain.h>

#define ANCHOR		UINT64_MAX	/* the kernel's sentinel above everything */
#define CACHE_MAX_PAGES	(1ULL << (ZPCI_IOVA_CACHE_ORDERS - 1))
#define DMA32_PFN	(1ULL << (32 - ZPCI_PAGE_SHIFT))

static unsigned int order_base_2(u64 n)
{
	return n <= 1 ? 0 : 64 - __builtin_clzll(n - 1);
}

/* Bit numbers are pfns less start_pfn. */
static u64 nbits(const struct zpci_iova_domain *d)
{
	return d->end_pfn - d->start_pfn + 1;
}

static u64 range_last(const struct zpci_iova_domain *d, u64 lo)
{
	u64 b = lo - d->start_pfn;
	u64 next_first = zpci_find_next_bit(d->first, nbits(d), b + 1);
	u64 next_free = zpci_find_next_zero_bit(d->used, nbits(d), b + 1);

	return d->start_pfn + (next_first < next_free ? next_first : next_free) - 1;
}

/* The range containing used pfn @pfn begins at the last range start at or below it. */
static u64 range_first(const struct zpci_iova_domain *d, u64 pfn)
{
	return d->start_pfn + zpci_find_prev_bit(d->first, 0, pfn - d->start_pfn + 1);
}

/* The range above the one ending at @hi: the next search starts below it. */
static void cache_next_range(struct zpci_iova_domain *d, u64 hi)
{
	u64 b = hi + 1 - d->start_pfn;

	if (hi < d->end_pfn && (b = zpci_find_next_bit(d->first, nbits(d), b)) < nbits(d)) {
		d->cached_lo = d->start_pfn + b;
		d->cached_hi = range_last(d, d->cached_lo);
	} else if (d->end_pfn + 1 < d->limit_pfn) {	/* the reserved range above */
		d->cached_lo = d->end_pfn + 1;
		d->cached_hi = d->limit_pfn - 1;
	} else {
		d->cached_lo = d->cached_hi = ANCHOR;
	}
}

/*
 * Highest @size-page range at a multiple of @align below @high and at or
 * above @low that overlaps nothing allocated: the kernel's walk down the
 * tree, one allocated range at a time.
 */
static bool tree_search(const struct zpci_iova_domain *d, u64 high, u64 low, u64 size,
			u64 align, u64 *pfn)
{
	if (high > d->end_pfn + 1)
		high = d->end_pfn + 1;
	if (low < d->start_pfn)
		low = d->start_pfn;
	for (;;) {
		u64 c, busy;

		if (high < size)
			return false;
		c = (high - size) & ~(align - 1);
		if (c < low)
			return false;
		busy = zpci_find_prev_bit(d->used, c - d->start_pfn, high - d->start_pfn);
		if (busy == high - d->start_pfn) {
			*pfn = c;
			return true;
		}
		high = range_first(d, d->start_pfn + busy);
	}
}

static bool tree_alloc(struct zpci_iova_domain *d, u64 size, u64 *pfn)
{
	u64 align = 1ULL << order_base_2(size);
	u64 high = d->cached_lo < d->limit_pfn ? d->cached_lo : d->limit_pfn;

	if (!tree_search(d, high, d->base_pfn, size, align, pfn)) {
		/* Once more over what lies above where the search began. */
		if (d->cached_hi >= d->limit_pfn - 1 ||
		    !tree_search(d, d->limit_pfn, d->cached_hi + 1, size, align, pfn))
			return false;
	}
	zpci_bitmap_set(d->used, *pfn - d->start_pfn, size);
	zpci_bitmap_set(d->first, *pfn - d->start_pfn, 1);
	/* Ranges under 4 GiB move the kernel's other, 32-bit search start. */
	if (*pfn + size - 1 >= DMA32_PFN) {
		d->cached_lo = *pfn;
		d->cached_hi = *pfn + size - 1;
	}
	d->stats.tree_allocs++;
	return true;
}

/* @pfn begins an allocated range: the callers have made sure. */
static void tree_free(struct zpci_iova_domain *d, u64 pfn)
{
	u64 hi = range_last(d, pfn);

	if (pfn >= d->cached_lo)
		cache_next_range(d, hi);
	zpci_bitmap_clear(d->used, pfn - d->start_pfn, hi - pfn + 1);
	zpci_bitmap_clear(d->first, pfn - d->start_pfn, 1);
}

/* Magazines */

static struct zpci_iova_mag *mag_new(void)
{
	return calloc(1, sizeof(struct zpci_iova_mag));
}

static void mag_give_back(struct zpci_iova_domain *d, struct zpci_iova_mag *m)
{
	u32 i;

	for (i = 0; m && i < m->size; i++) {
		zpci_bitmap_clear(d->cached, m->pfn[i] - d->start_pfn, 1);
		tree_free(d, m->pfn[i]);
	}
	if (m)
		m->size = 0;
}

static void swap_mags(struct zpci_iova_cpu_cache *c)
{
	struct zpci_iova_mag *t = c->loaded;

	c->loaded = c->prev;
	c->prev = t;
}

static void depot_push(struct zpci_iova_domain *d, struct zpci_iova_cache *k,
		       struct zpci_iova_mag *m, u64 now)
{
	m->next = k->depot;
	k->depot = m;
	k->depot_size++;
	d->stats.depot_pushes++;
	if (!k->trim_pending) {
		k->trim_pending = true;
		k->trim_at = zpci_timer_expiry(now, d->trim_delay);
	}
}

static struct zpci_iova_mag *depot_pop(struct zpci_iova_domain *d, struct zpci_iova_cache *k)
{
	struct zpci_iova_mag *m = k->depot;

	k->depot = m->next;
	k->depot_size--;
	d->stats.depot_pops++;
	return m;
}

/* A cached range of 2^order pages for @cpu: the most recently freed first. */
static bool cache_get(struct zpci_iova_domain *d, unsigned int order, u32 cpu, u64 *pfn)
{
	struct zpci_iova_cache *k = &d->cache[order];
	struct zpci_iova_cpu_cache *c = &k->cpu[cpu];

	if (!c->loaded->size) {
		if (c->prev->size) {
			swap_mags(c);
		} else if (k->depot) {
			free(c->loaded);
			c->loaded = depot_pop(d, k);
		} else {
			return false;
		}
	}
	*pfn = c->loaded->pfn[--c->loaded->size];
	zpci_bitmap_clear(d->cached, *pfn - d->start_pfn, 1);
	return true;
}

static int cache_put(struct zpci_iova_domain *d, unsigned int order, u32 cpu, u64 pfn,
		     u64 now)
{
	struct zpci_iova_cache *k = &d->cache[order];
	struct zpci_iova_cpu_cache *c = &k->cpu[cpu];

	if (c->loaded->size == ZPCI_IOVA_MAG_SIZE) {
		if (c->prev->size < ZPCI_IOVA_MAG_SIZE) {
			swap_mags(c);
		} else {
			struct zpci_iova_mag *m = mag_new();

			if (!m)
				return -ENOMEM;
			depot_push(d, k, c->loaded, now);
			c->loaded = m;
		}
	}
	c->loaded->pfn[c->loaded->size++] = pfn;
	zpci_bitmap_set(d->cached, pfn - d->start_pfn, 1);
	return 0;
}

/* After a failed search: every CPU's magazines, then every depot. */
static void purge_caches(struct zpci_iova_domain *d)
{
	unsigned int o;
	u32 cpu;

	d->stats.purges++;
	for (cpu = 0; cpu < d->nr_cpus; cpu++)
		for (o = 0; o < ZPCI_IOVA_CACHE_ORDERS; o++) {
			mag_give_back(d, d->cache[o].cpu[cpu].loaded);
			mag_give_back(d, d->cache[o].cpu[cpu].prev);
		}
	for (o = 0; o < ZPCI_IOVA_CACHE_ORDERS; o++)
		while (d->cache[o].depot) {
			struct zpci_iova_mag *m = depot_pop(d, &d->cache[o]);

			mag_give_back(d, m);
			free(m);
		}
}

/*
 * One run of @k's trim work, due at k->trim_at, run at jiffies @now: the
 * work re-arms itself as it ends (schedule_delayed_work() in the work
 * function), so from when it ran, not from when it was due.
 */
static void trim_once(struct zpci_iova_domain *d, struct zpci_iova_cache *k, u64 now)
{
	struct zpci_iova_mag *m;

	k->trim_pending = false;
	if (k->depot_size <= d->nr_cpus)
		return;
	m = depot_pop(d, k);
	mag_give_back(d, m);
	free(m);
	d->stats.trims++;
	k->trim_pending = true;
	k->trim_at = zpci_timer_expiry(now, d->trim_delay);
}

void zpci_iova_domain_advance(struct zpci_iova_domain *d, u64 now)
{
	for (;;) {
		struct zpci_iova_cache *next = NULL;
		unsigned int o;

		for (o = 0; o < ZPCI_IOVA_CACHE_ORDERS; o++) {
			struct zpci_iova_cache *k = &d->cache[o];

			if (k->trim_pending && k->trim_at <= now &&
			    (!next || k->trim_at < next->trim_at))
				next = k;
		}
		if (!next)
			return;
		trim_once(d, next, now);
	}
}

int zpci_iova_domain_alloc(struct zpci_iova_domain *d, u64 npages, u32 cpu, dma_addr_t *iova)
{
	unsigned int order;
	u64 pfn;

	if (!npages || cpu >= d->nr_cpus)
		return -EINVAL;
	if (npages < CACHE_MAX_PAGES)
		npages = 1ULL << order_base_2(npages);
	order = order_base_2(npages);
	d->stats.allocs++;
	if (order < ZPCI_IOVA_CACHE_ORDERS && cache_get(d, order, cpu, &pfn)) {
		d->stats.cache_hits++;
	} else if (!tree_alloc(d, npages, &pfn)) {
		purge_caches(d);
		if (!tree_alloc(d, npages, &pfn)) {
			d->stats.failures++;
			return -ENOSPC;
		}
	}
	*iova = pfn << ZPCI_PAGE_SHIFT;
	return 0;
}

int zpci_iova_domain_free(struct zpci_iova_domain *d, dma_addr_t iova, u64 npages, u32 cpu,
			  u64 now)
{
	u64 pfn = iova >> ZPCI_PAGE_SHIFT;
	unsigned int order = order_base_2(npages);

	if (!npages || cpu >= d->nr_cpus || pfn < d->start_pfn || pfn > d->end_pfn ||
	    !zpci_test_bit(d->first, pfn - d->start_pfn) ||
	    zpci_test_bit(d->cached, pfn - d->start_pfn))
		return -EINVAL;
	d->stats.frees++;
	if (order < ZPCI_IOVA_CACHE_ORDERS && !cache_put(d, order, cpu, pfn, now)) {
		d->stats.cached_frees++;
		return 0;
	}
	tree_free(d, pfn);
	return 0;
}

u64 zpci_iova_domain_used_pages(const struct zpci_iova_domain *d)
{
	return zpci_bitmap_weight(d->used, nbits(d));
}

static void cache_destroy(struct zpci_iova_cache *k, u32 nr_cpus)
{
	u32 cpu;

	while (k->depot) {
		struct zpci_iova_mag *m = k->depot;

		k->depot = m->next;
		free(m);
	}
	for (cpu = 0; k->cpu && cpu < nr_cpus; cpu++) {
		free(k->cpu[cpu].loaded);
		free(k->cpu[cpu].prev);
	}
	free(k->cpu);
}

void zpci_iova_domain_destroy(struct zpci_iova_domain *d)
{
	unsigned int o;

	for (o = 0; o < ZPCI_IOVA_CACHE_ORDERS; o++)
		cache_destroy(&d->cache[o], d->nr_cpus);
	free(d->used);
	free(d->first);
	free(d->cached);
	memset(d, 0, sizeof(*d));
}

static int cache_init(struct zpci_iova_cache *k, u32 nr_cpus)
{
	u32 cpu;

	k->cpu = calloc(nr_cpus, sizeof(*k->cpu));
	if (!k->cpu)
		return -ENOMEM;
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		k->cpu[cpu].loaded = mag_new();
		k->cpu[cpu].prev = mag_new();
		if (!k->cpu[cpu].loaded || !k->cpu[cpu].prev)
			return -ENOMEM;
	}
	return 0;
}

int zpci_iova_domain_init(struct zpci_iova_domain *d, const struct zpci_iova_domain_cfg *cfg)
{
	unsigned int o;
	u64 n;

	memset(d, 0, sizeof(*d));
	if (!cfg->nr_cpus || cfg->end_dma < cfg->start_dma || cfg->top < cfg->end_dma ||
	    cfg->top >> ZPCI_PAGE_SHIFT == ANCHOR >> ZPCI_PAGE_SHIFT ||
	    !cfg->hz || cfg->hz > ZPCI_HZ_MAX)
		return -EINVAL;
	d->base_pfn = 1;	/* pfn 0 is never handed out */
	d->start_pfn = cfg->start_dma >> ZPCI_PAGE_SHIFT;
	if (d->start_pfn < d->base_pfn)
		d->start_pfn = d->base_pfn;
	d->end_pfn = cfg->end_dma >> ZPCI_PAGE_SHIFT;
	d->limit_pfn = (cfg->top >> ZPCI_PAGE_SHIFT) + 1;
	if (d->end_pfn < d->start_pfn)
		return -EINVAL;
	d->nr_cpus = cfg->nr_cpus;
	d->trim_delay = zpci_jiffies_delay(cfg->hz, ZPCI_IOVA_DEPOT_DELAY_NS);
	d->cached_lo = d->cached_hi = ANCHOR;
	n = ZPCI_BITS_TO_LONGS(nbits(d));
	d->used = calloc(n, sizeof(unsigned long));
	d->first = calloc(n, sizeof(unsigned long));
	d->cached = calloc(n, sizeof(unsigned long));
	if (!d->used || !d->first || !d->cached)
		goto nomem;
	for (o = 0; o < ZPCI_IOVA_CACHE_ORDERS; o++)
		if (cache_init(&d->cache[o], d->nr_cpus))
			goto nomem;
	return 0;
nomem:
	zpci_iova_domain_destroy(d);
	return -ENOMEM;
}
