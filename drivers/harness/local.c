// SPDX-License-Identifier: MIT
/*
 * The in-process harness: the machine built here, its instruments watching
 * the guest's instructions in front of the design.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

struct local {
	struct zpci_harness h;
	struct zpci_machine m;
};

static struct local *to_local(struct zpci_harness *h)
{
	return (struct local *)((char *)h - offsetof(struct local, h));
}

static struct zpci_monitor_fn *watched(struct zpci_harness *h, u32 fn)
{
	return &to_local(h)->m.mon.fns[fn];
}

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

static int local_dma(struct zpci_harness *h, u32 fn, dma_addr_t iova, void *buf, u64 len,
		     enum zpci_dma_dir dir, struct zpci_monitor_writes *writes)
{
	struct zpci_monitor_fn *mf = watched(h, fn);
	int rc;

	mf->writes = writes;
	rc = zpci_monitor_dma(mf, iova, buf, len, dir);
	mf->writes = NULL;

	if (rc)
		zpci_harness_fail(h, "device DMA at IOVA %#llx: %s", (unsigned long long)iova,
				  mf->func->error ? "function in the error state" : "blocked");
	return rc;
}

/* The harness's fault kinds, as the machine's. */
static const enum zpci_inject machine_fault[ZPCI_NR_HFAULTS] = {
	[ZPCI_HFAULT_RPCIT_BUSY] = ZPCI_INJECT_RPCIT_BUSY,
	[ZPCI_HFAULT_RPCIT_INSUFF] = ZPCI_INJECT_RPCIT_INSUFF,
	[ZPCI_HFAULT_RPCIT_ERROR] = ZPCI_INJECT_RPCIT_ERROR,
	[ZPCI_HFAULT_PIN] = ZPCI_INJECT_PIN,
	[ZPCI_HFAULT_FUNC_ERROR] = ZPCI_INJECT_FUNC_ERROR,
	[ZPCI_HFAULT_NOMEM] = ZPCI_NR_INJECT,	/* the driver's table pool: harness.c */
};

static int local_inject(struct zpci_harness *h, u32 fn, enum zpci_harness_fault fault, u64 pass,
			u64 fail)
{
	enum zpci_inject what = machine_fault[fault];

	if (what == ZPCI_NR_INJECT) {
		zpci_harness_fail(h, "fault kind %d cannot be injected into the machine", fault);
		return -EINVAL;
	}
	zpci_fault_window_arm(zpci_monitor_window(&to_local(h)->m.mon, fn, what), pass, fail);
	return 0;
}

static int local_counters(struct zpci_harness *h, u32 fn, struct zpci_harness_counters *c)
{
	struct zpci_machine *m = &to_local(h)->m;
	const struct zpci_monitor_fn *mf = watched(h, fn);
	const struct zpci_shadow_stats *ss = zpci_machine_intercepts(m, &m->fns[fn]);
	struct zpci_harness_counters all = {
		.tap = mf->stats,
		.func = mf->func->stats,
		.pins = m->pins.stats,
		.injected = zpci_monitor_injected(&m->mon, fn),
		.violations = m->mon.violations,
	};

	if (ss)
		all.hypervisor = *ss;
	/* What the tables list, as the wire carries it: a remote harness reads the same. */
	zpci_harness_counters_copy(c, &all);
	return 0;
}

static long local_rpcits(struct zpci_harness *h, u32 fn, u64 from, struct zpci_rpcit_rec *out,
			 size_t max)
{
	return zpci_monitor_rpcits(watched(h, fn), from, out, max);
}

static long long local_violations(struct zpci_harness *h, char *first, size_t len)
{
	const struct zpci_monitor *mon = &to_local(h)->m.mon;

	if (first)
		zpci_monitor_describe_violation(mon, first, len);
	return mon->violations;
}

static void local_destroy(struct zpci_harness *h)
{
	zpci_machine_destroy(&to_local(h)->m);
	zpci_harness_destroy_common(h);
	free(to_local(h));
}

static const struct zpci_harness_backend local_backend = {
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
	struct zpci_machine_cfg mc = {
		.design = cfg->design,
		.guest_mem = cfg->guest_mem,
		.mapping_limit = cfg->mapping_limit,
		.pin = cfg->pin,
		.tap_at = ZPCI_TAP_GUEST,
	};
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
	zpci_harness_fn_cfgs(cfg, fns);
	if (zpci_machine_init(&l->m, &mc, fns, cfg->nr_fns)) {
		snprintf(err, errlen, "harness: %s", l->m.error);
		zpci_harness_destroy_common(&l->h);
		free(l);
		return NULL;
	}
	for (i = 0; i < cfg->nr_fns; i++)
		l->h.fn_hw[i] = l->m.fns[i].guest_hw;
	return &l->h;
}
