// SPDX-License-Identifier: MIT
/*
 * The machine's instruments: taps, checkers and injection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zpci/digest.h>
#include <zpci/grow.h>
#include <zpci/monitor.h>

static const struct zpci_insn_result injected_outcome[ZPCI_NR_RPCIT_FAULTS] = {
	[ZPCI_INJECT_RPCIT_BUSY] = { ZPCI_CC_BUSY, 0 },
	[ZPCI_INJECT_RPCIT_INSUFF] = { ZPCI_CC_STATUS, ZPCI_RPCIT_ST_INSUFF_RES },
	[ZPCI_INJECT_RPCIT_ERROR] = { ZPCI_CC_STATUS, ZPCI_RPCIT_ST_FUNC_IN_ERR },
};

int zpci_monitor_init(struct zpci_monitor *m, u32 nr_fns,
		      const struct zpci_layout *layout, const struct zpci_pinner *pins, bool hosted,
		      struct zpci_fault_window *pin_window,
		      struct zpci_fault_window *table_window)
{
	u32 i;

	memset(m, 0, sizeof(*m));
	m->fns = calloc(nr_fns ? nr_fns : 1, sizeof(*m->fns));
	if (!m->fns)
		return -ENOMEM;
	m->nr_fns = nr_fns;
	m->layout = layout;
	m->pins = pins;
	m->hosted = hosted;
	m->machine_fault[ZPCI_INJECT_PIN] = pin_window;
	m->machine_fault[ZPCI_INJECT_TABLE_NOMEM] = table_window;
	m->digest = ZPCI_DIGEST_INIT;
	for (i = 0; i < nr_fns; i++) {
		m->fns[i].mon = m;
		m->fns[i].index = i;
		zpci_pagemap_init(&m->fns[i].unmapped_at);
	}
	return 0;
}

void zpci_monitor_destroy(struct zpci_monitor *m)
{
	u32 i;

	for (i = 0; i < m->nr_fns; i++) {
		free(m->fns[i].log);
		zpci_pagemap_destroy(&m->fns[i].unmapped_at);
	}
	free(m->fns);
	memset(m, 0, sizeof(*m));
}

/* The tap: instructions other than RPCIT pass straight through. */

static int tap_clp_query_fn(void *priv, u32 fid, struct zpci_clp_fn *fn)
{
	struct zpci_hw *below = &((struct zpci_monitor_fn *)priv)->below;

	return below->ops->clp_query_fn(below->priv, fid, fn);
}

static int tap_clp_query_group(void *priv, u8 pfgid, struct zpci_clp_group *grp)
{
	struct zpci_hw *below = &((struct zpci_monitor_fn *)priv)->below;

	return below->ops->clp_query_group(below->priv, pfgid, grp);
}

static int tap_clp_set_fn(void *priv, u32 fh, bool enable, u32 *new_fh)
{
	struct zpci_hw *below = &((struct zpci_monitor_fn *)priv)->below;

	return below->ops->clp_set_fn(below->priv, fh, enable, new_fh);
}

static struct zpci_insn_result tap_mpcifc(void *priv, u32 fh, u8 oc, const struct zpci_fib *fib)
{
	struct zpci_hw *below = &((struct zpci_monitor_fn *)priv)->below;

	return below->ops->mpcifc(below->priv, fh, oc, fib);
}

static struct zpci_insn_result tap_stpcifc(void *priv, u32 fh, struct zpci_fib *fib)
{
	struct zpci_hw *below = &((struct zpci_monitor_fn *)priv)->below;

	return below->ops->stpcifc(below->priv, fh, fib);
}

static void log_rpcit(struct zpci_monitor_fn *mf, const struct zpci_rpcit_rec *rec)
{
	if (zpci_grow((void **)&mf->log, &mf->cap_log, mf->nr_log, sizeof(*rec)))
		return;	/* the log is the instruments'; the guest goes on */
	mf->log[mf->nr_log++] = *rec;
	mf->logged++;
}

/*
 * An injected outcome stands in for the answer of a function that would
 * take the RPCIT: one with a wrong handle or in the error state answers
 * as the architecture says.  Each window counts the RPCITs the windows
 * before it let through.
 */
static struct zpci_insn_result tap_rpcit(void *priv, u32 fh, dma_addr_t iova, u64 len)
{
	struct zpci_monitor_fn *mf = priv;
	struct zpci_rpcit_rec rec = { .fh = fh, .iova = iova, .len = len };
	int k = ZPCI_NR_RPCIT_FAULTS;

	if (zpci_func_takes_rpcit(mf->func, fh))
		for (k = 0; k < ZPCI_NR_RPCIT_FAULTS; k++)
			if (zpci_fault_window_hit(&mf->fault[k]))
				break;
	if (k < ZPCI_NR_RPCIT_FAULTS)
		rec.result = injected_outcome[k];
	else
		rec.result = mf->below.ops->rpcit(mf->below.priv, fh, iova, len);
	mf->stats.rpcits++;
	mf->stats.rpcits_failed += rec.result.cc != ZPCI_CC_OK;
	log_rpcit(mf, &rec);
	return rec.result;
}

static const struct zpci_hw_ops tap_ops = {
	.clp_query_fn = tap_clp_query_fn,
	.clp_query_group = tap_clp_query_group,
	.clp_set_fn = tap_clp_set_fn,
	.mpcifc = tap_mpcifc,
	.stpcifc = tap_stpcifc,
	.rpcit = tap_rpcit,
};

struct zpci_hw zpci_monitor_tap(struct zpci_monitor *m, u32 fn, struct zpci_func *func,
				struct zpci_hw below)
{
	struct zpci_monitor_fn *mf = &m->fns[fn];

	mf->func = func;
	mf->below = below;
	func->probe = mf;
	return (struct zpci_hw){ &tap_ops, mf };
}

struct zpci_fault_window *zpci_monitor_window(struct zpci_monitor *m, u32 fn,
					      enum zpci_inject what)
{
	if (what >= ZPCI_INJECT_PIN)
		return m->machine_fault[what];
	return &m->fns[fn].fault[what];
}

u64 zpci_monitor_injected(const struct zpci_monitor *m, int fn)
{
	u64 n = 0;
	int k;
	u32 i;

	for (k = ZPCI_INJECT_PIN; k < ZPCI_NR_INJECT; k++)
		if (m->machine_fault[k])
			n += m->machine_fault[k]->fired;
	for (i = 0; i < m->nr_fns; i++) {
		const struct zpci_monitor_fn *mf = &m->fns[i];

		if (fn >= 0 && i != (u32)fn)
			continue;
		for (k = 0; k < ZPCI_INJECT_PIN; k++)
			n += mf->fault[k].fired;
		n += mf->error_injected;
	}
	return n;
}

void zpci_monitor_set_time(struct zpci_monitor *m, u64 now)
{
	u32 i;

	m->now = now;
	if (!m->func_error_at || now < m->func_error_at)
		return;
	for (i = 0; i < m->nr_fns; i++) {
		zpci_func_raise_error(m->fns[i].func, ZPCI_PEC_SYSTEM_ERROR, 0, false);
		m->fns[i].error_injected = true;
	}
	m->func_error_at = 0;
}

static void page_range(dma_addr_t iova, u64 len, u64 *first, u64 *last)
{
	*first = iova >> ZPCI_PAGE_SHIFT;
	*last = (iova + len - 1) >> ZPCI_PAGE_SHIFT;
}

int zpci_monitor_unmapped(struct zpci_monitor_fn *mf, dma_addr_t iova, u64 len)
{
	u64 first, last;

	if (!len)
		return 0;
	page_range(iova, len, &first, &last);
	return zpci_pagemap_set(&mf->unmapped_at, first, last, mf->mon->now);
}

void zpci_monitor_mapped(struct zpci_monitor_fn *mf, dma_addr_t iova, u64 len)
{
	u64 first, last;

	if (!len)
		return;
	page_range(iova, len, &first, &last);
	zpci_pagemap_clear(&mf->unmapped_at, first, last);
}

static void exposure_closed(void *ctx, u64 page, u64 unmapped_at)
{
	struct zpci_monitor *m = ctx;

	(void)page;
	zpci_hist_add(&m->exposure_windows, m->now - unmapped_at);
}

const struct zpci_rpcit_rec *zpci_monitor_take_rpcits(struct zpci_monitor_fn *mf, size_t *nr)
{
	struct zpci_pagemap_visitor closing = { exposure_closed, mf->mon };
	u64 first, last;
	size_t i;

	for (i = 0; i < mf->nr_log; i++) {
		const struct zpci_rpcit_rec *rec = &mf->log[i];

		if (rec->result.cc != ZPCI_CC_OK || !rec->len)
			continue;
		page_range(rec->iova, rec->len, &first, &last);
		zpci_pagemap_drain(&mf->unmapped_at, first, last, &closing);
	}
	*nr = mf->nr_log;
	mf->nr_log = 0;
	return mf->log;
}

size_t zpci_monitor_rpcits(const struct zpci_monitor_fn *mf, u64 from, struct zpci_rpcit_rec *out,
			   size_t max)
{
	u64 base = mf->logged - mf->nr_log;	/* the number of the oldest kept */
	size_t n;

	if (from < base || from >= mf->logged)
		return 0;
	n = mf->logged - from < max ? mf->logged - from : max;
	memcpy(out, mf->log + (from - base), n * sizeof(*out));
	return n;
}

int zpci_monitor_dma(struct zpci_monitor_fn *mf, dma_addr_t iova, void *buf, u64 len,
		     enum zpci_dma_dir dir)
{
	int rc;

	if (zpci_fault_window_hit(&mf->fault[ZPCI_INJECT_FUNC_ERROR]))
		zpci_func_raise_error(mf->func, ZPCI_PEC_SYSTEM_ERROR, iova, dir == ZPCI_DMA_WRITE);
	rc = zpci_func_dma(mf->func, iova, buf, len, dir);
	mf->stats.dma_faults += rc != 0;
	return rc;
}

static const char *isolation_text(enum zpci_isolation verdict)
{
	switch (verdict) {
	case ZPCI_ISOLATION_NOT_GUEST:
		return "which is not the guest's";
	case ZPCI_ISOLATION_NOT_PINNED:
		return "which is not pinned";
	default:
		return "";
	}
}

void zpci_monitor_describe_violation(const struct zpci_monitor *m, char *buf, size_t len)
{
	if (!len)
		return;
	buf[0] = 0;
	if (m->violations)
		snprintf(buf, len, "function %u: the device at IOVA 0x%llx reached host page 0x%llx, %s",
			 m->first.fn, (unsigned long long)m->first.iova,
			 (unsigned long long)m->first.hpa, isolation_text(m->first.verdict));
}

void zpci_monitor_seen(struct zpci_monitor_fn *mf, dma_addr_t iova, phys_addr_t addr,
		       bool write)
{
	struct zpci_monitor *m = mf->mon;
	phys_addr_t gpa = 0;
	enum zpci_isolation verdict = zpci_monitor_check(m, addr, &gpa);
	u64 unmapped_at;

	if (write && mf->writes) {
		struct zpci_monitor_writes *w = mf->writes;

		if (w->nr < w->max)
			w->pages[w->nr] = verdict == ZPCI_ISOLATION_NOT_GUEST
						  ? ZPCI_MONITOR_NOT_GUEST
						  : zpci_align_down(gpa, ZPCI_PAGE_SIZE);
		w->nr++;
	}
	if (verdict != ZPCI_ISOLATION_OK && !m->violations++)
		m->first = (struct zpci_violation){ mf->index, iova, addr, verdict };
	if (zpci_pagemap_get(&mf->unmapped_at, iova >> ZPCI_PAGE_SHIFT, &unmapped_at)) {
		m->stale_uses++;
		zpci_hist_add(&m->stale_windows, m->now - unmapped_at);
	}
	m->digest = zpci_digest_add(m->digest, verdict == ZPCI_ISOLATION_OK ? gpa : addr);
}

const struct zpci_counter zpci_monitor_fn_counters[] = {
	ZPCI_COUNTER(struct zpci_monitor_fn_stats, rpcits, "rpcits", "RPCITs",
		     "RPCITs at the tap (replay: reaching the function), injected outcomes "
		     "included", ZPCI_SHOW_SUMMARY),
	ZPCI_COUNTER(struct zpci_monitor_fn_stats, rpcits_failed, "rpcits_failed", "RPCITs",
		     "RPCITs at the tap answered cc != 0, injected outcomes included", 0),
	ZPCI_COUNTER(struct zpci_monitor_fn_stats, dma_faults, "dma_faults", "accesses",
		     "device accesses through the tap that failed: the functional path's only "
		     "(the timed modes count theirs in dma_faults and models.faults)", 0),
	ZPCI_COUNTER_END
};
