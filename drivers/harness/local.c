// SPDX-License-Identifier: MIT
/*
 * The in-process harness: the machine built here, the guest's instructions
 * logged and faulted on their way to the design.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* The injectable outcomes of the guest's RPCIT, in the order they are tried. */
enum { RPCIT_BUSY, RPCIT_INSUFF, RPCIT_ERROR, NR_RPCIT_FAULTS };

struct local_fn {
	struct local *l;
	u32 index;
	struct zpci_machine_fn *mf;
	struct zpci_rpcit_rec *log;	/* the guest's RPCITs, as issued */
	size_t nr_log, cap_log;
	struct zpci_fault_window rpcit_faults[NR_RPCIT_FAULTS];
	struct zpci_fault_window func_error;
	u64 rpcits_failed;
	u64 dma_faults;
};

struct local {
	struct zpci_harness h;
	struct zpci_machine m;
	struct local_fn fns[ZPCI_HARNESS_MAX_FNS];
	u64 violations;
	char first_violation[200];
};

static struct local *to_local(struct zpci_harness *h)
{
	return (struct local *)((char *)h - offsetof(struct local, h));
}

static const struct zpci_insn_result injected_outcome[NR_RPCIT_FAULTS] = {
	[RPCIT_BUSY] = { ZPCI_CC_BUSY, 0 },
	[RPCIT_INSUFF] = { ZPCI_CC_STATUS, ZPCI_RPCIT_ST_INSUFF_RES },
	[RPCIT_ERROR] = { ZPCI_CC_STATUS, ZPCI_RPCIT_ST_FUNC_IN_ERR },
};

/* Instructions other than RPCIT pass straight to the design. */
static int local_clp_query_fn(void *priv, u32 fid, struct zpci_clp_fn *fn)
{
	struct zpci_hw *below = &((struct local_fn *)priv)->mf->guest_hw;

	return below->ops->clp_query_fn(below->priv, fid, fn);
}

static int local_clp_query_group(void *priv, u8 pfgid, struct zpci_clp_group *grp)
{
	struct zpci_hw *below = &((struct local_fn *)priv)->mf->guest_hw;

	return below->ops->clp_query_group(below->priv, pfgid, grp);
}

static int local_clp_set_fn(void *priv, u32 fh, bool enable, u32 *new_fh)
{
	struct zpci_hw *below = &((struct local_fn *)priv)->mf->guest_hw;

	return below->ops->clp_set_fn(below->priv, fh, enable, new_fh);
}

static struct zpci_insn_result local_mpcifc(void *priv, u32 fh, u8 oc, const struct zpci_fib *fib)
{
	struct zpci_hw *below = &((struct local_fn *)priv)->mf->guest_hw;

	return below->ops->mpcifc(below->priv, fh, oc, fib);
}

static struct zpci_insn_result local_stpcifc(void *priv, u32 fh, struct zpci_fib *fib)
{
	struct zpci_hw *below = &((struct local_fn *)priv)->mf->guest_hw;

	return below->ops->stpcifc(below->priv, fh, fib);
}

static void log_rpcit(struct local_fn *lf, const struct zpci_rpcit_rec *rec)
{
	if (lf->nr_log == lf->cap_log) {
		size_t cap = lf->cap_log ? 2 * lf->cap_log : 64;
		struct zpci_rpcit_rec *log = realloc(lf->log, cap * sizeof(*log));

		if (!log)
			return;	/* the log is for the test; the guest goes on */
		lf->log = log;
		lf->cap_log = cap;
	}
	lf->log[lf->nr_log++] = *rec;
}

static struct zpci_insn_result local_rpcit(void *priv, u32 fh, dma_addr_t iova, u64 len)
{
	struct local_fn *lf = priv;
	struct zpci_hw *below = &lf->mf->guest_hw;
	struct zpci_rpcit_rec rec = { fh, iova, len, { ZPCI_CC_OK, 0 } };
	bool injected = false;
	int k;

	/* Every window counts every RPCIT; the first that fires decides. */
	for (k = 0; k < NR_RPCIT_FAULTS; k++)
		if (zpci_fault_window_hit(&lf->rpcit_faults[k]) && !injected) {
			rec.result = injected_outcome[k];
			injected = true;
		}
	if (!injected)
		rec.result = below->ops->rpcit(below->priv, fh, iova, len);
	/* The real function keeps its own log; here only the guest's counts. */
	lf->mf->func.nr_log = 0;
	if (rec.result.cc != ZPCI_CC_OK)
		lf->rpcits_failed++;
	log_rpcit(lf, &rec);
	return rec.result;
}

static const struct zpci_hw_ops local_hw_ops = {
	.clp_query_fn = local_clp_query_fn,
	.clp_query_group = local_clp_query_group,
	.clp_set_fn = local_clp_set_fn,
	.mpcifc = local_mpcifc,
	.stpcifc = local_stpcifc,
	.rpcit = local_rpcit,
};

static int local_mem_read(void *priv, phys_addr_t addr, void *buf, size_t len)
{
	struct zpci_mem mem = zpci_machine_guest_mem(&to_local(priv)->m);

	return zpci_mem_read(&mem, addr, buf, len);
}

static int local_mem_write(void *priv, phys_addr_t addr, const void *buf, size_t len)
{
	struct zpci_mem mem = zpci_machine_guest_mem(&to_local(priv)->m);

	return zpci_mem_write(&mem, addr, buf, len);
}

static const struct zpci_mem_ops local_mem_ops = {
	.read = local_mem_read,
	.write = local_mem_write,
};

/* The isolation checker, on every translation the device uses. */
static void local_observe(void *ctx, dma_addr_t iova, phys_addr_t addr, bool write)
{
	struct local_fn *lf = ctx;
	struct local *l = lf->l;
	enum zpci_isolation verdict;
	phys_addr_t gpa;

	(void)write;
	verdict = zpci_machine_check(&l->m, addr, &gpa);
	if (verdict == ZPCI_ISOLATION_OK || l->violations++)
		return;
	snprintf(l->first_violation, sizeof(l->first_violation),
		 "function %u: the device at IOVA %#llx reached host page %#llx, %s", lf->index,
		 (unsigned long long)iova, (unsigned long long)addr, zpci_isolation_text(verdict));
}

static int local_dma(struct zpci_harness *h, u32 fn, dma_addr_t iova, void *buf, u64 len,
		     enum zpci_dma_dir dir)
{
	struct local_fn *lf = &to_local(h)->fns[fn];
	struct zpci_func *f = &lf->mf->func;
	int rc;

	if (zpci_fault_window_hit(&lf->func_error))
		zpci_func_raise_error(f, ZPCI_PEC_SYSTEM_ERROR, iova, dir == ZPCI_DMA_WRITE);
	rc = zpci_func_dma(f, iova, buf, len, dir);
	if (rc) {
		lf->dma_faults++;
		zpci_harness_fail(h, "device DMA at IOVA %#llx: %s", (unsigned long long)iova,
				  f->error ? "function in the error state" : "blocked");
	}
	return rc;
}

static int local_inject(struct zpci_harness *h, u32 fn, enum zpci_harness_fault fault, u64 pass,
			u64 fail)
{
	struct local *l = to_local(h);
	struct local_fn *lf = &l->fns[fn];

	switch (fault) {
	case ZPCI_HFAULT_RPCIT_BUSY:
		zpci_fault_window_arm(&lf->rpcit_faults[RPCIT_BUSY], pass, fail);
		return 0;
	case ZPCI_HFAULT_RPCIT_INSUFF:
		zpci_fault_window_arm(&lf->rpcit_faults[RPCIT_INSUFF], pass, fail);
		return 0;
	case ZPCI_HFAULT_RPCIT_ERROR:
		zpci_fault_window_arm(&lf->rpcit_faults[RPCIT_ERROR], pass, fail);
		return 0;
	case ZPCI_HFAULT_PIN:
		zpci_fault_window_arm(&l->m.pins.inject, pass, fail);
		return 0;
	case ZPCI_HFAULT_FUNC_ERROR:
		zpci_fault_window_arm(&lf->func_error, pass, fail);
		return 0;
	default:
		zpci_harness_fail(h, "fault kind %d cannot be injected into the machine", fault);
		return -EINVAL;
	}
}

static int local_counters(struct zpci_harness *h, u32 fn, struct zpci_harness_counters *c)
{
	struct local *l = to_local(h);
	struct local_fn *lf = &l->fns[fn];
	const struct zpci_func_stats *fs = &lf->mf->func.stats;
	const struct zpci_pin_stats *ps = &l->m.pins.stats;
	int k;

	memset(c, 0, sizeof(*c));
	c->rpcits = lf->nr_log;
	c->rpcits_failed = lf->rpcits_failed;
	for (k = 0; k < NR_RPCIT_FAULTS; k++)
		c->injected += lf->rpcit_faults[k].fired;
	c->injected += lf->func_error.fired + l->m.pins.inject.fired;
	if (lf->mf->shadowed) {
		const struct zpci_shadow_stats *ss = &lf->mf->shadow.stats;

		c->intercepts = ss->intercepts;
		c->host_rpcits = ss->host_rpcits;
		c->shadow_maps = ss->maps;
		c->shadow_unmaps = ss->unmaps;
	}
	c->pins = ps->pins;
	c->unpins = ps->unpins;
	c->pinned_pages = ps->pinned_pages;
	c->pin_failures = ps->failures;
	c->iotlb_hits = fs->iotlb_hits;
	c->iotlb_misses = fs->iotlb_misses;
	c->stale_hits = fs->stale_hits;
	c->dma_read_bytes = fs->dma_read_bytes;
	c->dma_write_bytes = fs->dma_write_bytes;
	c->dma_faults = lf->dma_faults;
	c->error_events = fs->error_events;
	c->violations = l->violations;
	return 0;
}

static long local_rpcits(struct zpci_harness *h, u32 fn, u64 from, struct zpci_rpcit_rec *out,
			 size_t max)
{
	struct local_fn *lf = &to_local(h)->fns[fn];
	size_t n;

	if (from >= lf->nr_log)
		return 0;
	n = lf->nr_log - from < max ? lf->nr_log - from : max;
	memcpy(out, lf->log + from, n * sizeof(*out));
	return n;
}

static long long local_violations(struct zpci_harness *h, char *first, size_t len)
{
	struct local *l = to_local(h);

	if (first && len)
		snprintf(first, len, "%s", l->first_violation);
	return l->violations;
}

static void local_destroy(struct zpci_harness *h)
{
	struct local *l = to_local(h);
	u32 i;

	for (i = 0; i < h->cfg.nr_fns; i++)
		free(l->fns[i].log);
	zpci_machine_destroy(&l->m);
	zpci_harness_destroy_common(h);
	free(l);
}

static const struct zpci_harness_backend local_backend = {
	.hw_ops = &local_hw_ops,
	.mem_ops = &local_mem_ops,
	.dma = local_dma,
	.inject = local_inject,
	.counters = local_counters,
	.rpcits = local_rpcits,
	.violations = local_violations,
	.destroy = local_destroy,
};

struct zpci_harness *zpci_harness_create(const struct zpci_harness_cfg *cfg, char *err,
					 size_t errlen)
{
	struct zpci_func_cfg fns[ZPCI_HARNESS_MAX_FNS];
	struct zpci_machine_cfg mc;
	struct local *l;
	u32 i;

	if (zpci_harness_check_cfg(cfg, err, errlen))
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l || zpci_harness_init_common(&l->h, cfg)) {
		snprintf(err, errlen, "harness: out of memory");
		free(l);
		return NULL;
	}
	l->h.be = &local_backend;
	mc = (struct zpci_machine_cfg){ cfg->design, cfg->guest_mem, cfg->mapping_limit, cfg->pin };
	zpci_harness_fn_cfgs(cfg, fns);
	if (zpci_machine_init(&l->m, &mc, fns, cfg->nr_fns)) {
		snprintf(err, errlen, "harness: %s", l->m.error);
		zpci_harness_destroy_common(&l->h);
		free(l);
		return NULL;
	}
	for (i = 0; i < cfg->nr_fns; i++) {
		struct local_fn *lf = &l->fns[i];

		lf->l = l;
		lf->index = i;
		lf->mf = &l->m.fns[i];
		lf->mf->func.observer = (struct zpci_func_observer){ local_observe, lf };
		l->h.fn_priv[i] = lf;
	}
	return &l->h;
}
