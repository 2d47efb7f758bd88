// SPDX-License-Identifier: MIT
/*
 * The harness API, whatever the backend: argument checks, guest buffers,
 * the table pool and table-memory exhaustion live on the driver's side.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

/* The DMA range QEMU's zPCI function reports to a Linux guest. */
#define HARNESS_SDMA	0x100000000ULL
#define HARNESS_EDMA	((1ULL << 57) - 1)

struct zpci_harness_cfg zpci_harness_default_cfg(enum zpci_design design)
{
	return (struct zpci_harness_cfg){
		.design = design,
		.guest_mem = 256ULL << 20,
		.nr_fns = 1,
		.sdma = HARNESS_SDMA,
		.edma = HARNESS_EDMA,
		.mapping_limit = ZPCI_SHADOW_MAPPING_LIMIT_DEFAULT,
	};
}

int zpci_harness_check_cfg(const struct zpci_harness_cfg *cfg, char *err, size_t errlen)
{
	const char *why = NULL;

	if (!zpci_design_get(cfg->design))
		why = "no such design";
	else if (!cfg->nr_fns || cfg->nr_fns > ZPCI_HARNESS_MAX_FNS)
		why = "nr_fns must be 1..8";
	else if (cfg->guest_mem <= ZPCI_MACHINE_TABLE_POOL + ZPCI_HARNESS_BUFFER_BASE ||
		 cfg->guest_mem > ZPCI_HARNESS_MAX_GUEST_MEM || cfg->guest_mem % ZPCI_MACHINE_CHUNK)
		why = "guest_mem must be over 65 MiB and at most 16 GiB, in 2 MiB steps";
	else if (cfg->sdma > cfg->edma || cfg->sdma % ZPCI_PAGE_SIZE ||
		 (cfg->edma + 1) % ZPCI_PAGE_SIZE)
		why = "sdma..edma must be whole pages, sdma <= edma";
	else if (cfg->pin.fail_permille > 1000)
		why = "pin.fail_permille must be 0..1000";
	if (why)
		snprintf(err, errlen, "harness config: %s", why);
	return why ? -EINVAL : 0;
}

void zpci_harness_fn_cfgs(const struct zpci_harness_cfg *cfg, struct zpci_func_cfg *out)
{
	u32 i;

	for (i = 0; i < cfg->nr_fns; i++)
		out[i] = (struct zpci_func_cfg){
			.fid = ZPCI_HARNESS_FID + i,
			.fh = ZPCI_HARNESS_FH + i,
			.pfgid = 1,
			.sdma = cfg->sdma,
			.edma = cfg->edma,
			.refresh = cfg->refresh,
		};
}

int zpci_harness_init_common(struct zpci_harness *h, const struct zpci_harness_cfg *cfg)
{
	h->cfg = *cfg;
	h->next_buffer = ZPCI_HARNESS_BUFFER_BASE;
	return zpci_frame_pool_init(&h->table_pool, cfg->guest_mem - ZPCI_MACHINE_TABLE_POOL,
				    ZPCI_MACHINE_TABLE_POOL);
}

void zpci_harness_destroy_common(struct zpci_harness *h)
{
	zpci_frame_pool_destroy(&h->table_pool);
}

void zpci_harness_fail(struct zpci_harness *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->error, sizeof(h->error), fmt, ap);
	va_end(ap);
}

void zpci_harness_destroy(struct zpci_harness *h)
{
	if (h)
		h->be->destroy(h);
}

const char *zpci_harness_error(const struct zpci_harness *h)
{
	return h->error;
}

static bool fn_ok(struct zpci_harness *h, u32 fn)
{
	if (fn < h->cfg.nr_fns)
		return true;
	zpci_harness_fail(h, "no function %u (the harness has %u)", fn, h->cfg.nr_fns);
	return false;
}

struct zpci_hw zpci_harness_hw(struct zpci_harness *h, u32 fn)
{
	if (!fn_ok(h, fn))
		return (struct zpci_hw){ NULL, NULL };
	return h->fn_hw[fn];
}

struct zpci_mem zpci_harness_guest_mem(struct zpci_harness *h)
{
	return (struct zpci_mem){ .ops = h->be->mem_ops, .priv = h };
}

struct zpci_frame_pool *zpci_harness_table_pool(struct zpci_harness *h)
{
	return &h->table_pool;
}

int zpci_harness_alloc(struct zpci_harness *h, u64 size, phys_addr_t *gpa)
{
	u64 top = h->cfg.guest_mem - ZPCI_MACHINE_TABLE_POOL;
	u64 len = zpci_align_down((size ? size : 1) + ZPCI_PAGE_SIZE - 1, ZPCI_PAGE_SIZE);

	if (size > top || len > top - h->next_buffer) {
		zpci_harness_fail(h, "no guest memory left for %llu more bytes",
				  (unsigned long long)size);
		return -ENOMEM;
	}
	*gpa = h->next_buffer;
	h->next_buffer += len;
	return 0;
}

int zpci_harness_dma(struct zpci_harness *h, u32 fn, dma_addr_t iova, void *buf, u64 len,
		     enum zpci_dma_dir dir)
{
	return zpci_harness_dma_writes(h, fn, iova, buf, len, dir, NULL);
}

int zpci_harness_dma_writes(struct zpci_harness *h, u32 fn, dma_addr_t iova, void *buf, u64 len,
			    enum zpci_dma_dir dir, struct zpci_monitor_writes *writes)
{
	if (!fn_ok(h, fn))
		return -EINVAL;
	if (len > ZPCI_HARNESS_MAX_DMA || (dir != ZPCI_DMA_READ && dir != ZPCI_DMA_WRITE)) {
		zpci_harness_fail(h, "device DMA of %llu bytes: at most %llu, read or write",
				  (unsigned long long)len, (unsigned long long)ZPCI_HARNESS_MAX_DMA);
		return -EINVAL;
	}
	return h->be->dma(h, fn, iova, buf, len, dir, writes);
}

int zpci_harness_inject(struct zpci_harness *h, u32 fn, enum zpci_harness_fault fault, u64 pass,
			u64 fail)
{
	if (!fn_ok(h, fn))
		return -EINVAL;
	if (fault >= ZPCI_NR_HFAULTS) {
		zpci_harness_fail(h, "no fault kind %d", fault);
		return -EINVAL;
	}
	/* The table pool is the driver's: its exhaustion happens here. */
	if (fault == ZPCI_HFAULT_NOMEM) {
		zpci_frame_pool_fail_after(&h->table_pool, pass, fail);
		return 0;
	}
	return h->be->inject(h, fn, fault, pass, fail);
}

/* The harness's own counters: the machine's, beside the blocks'. */
static const struct zpci_counter harness_counters[] = {
	ZPCI_COUNTER(struct zpci_harness_counters, injected, "injected", "faults",
		     "faults fired for the function, the machine's and the table pool's included",
		     0),
	ZPCI_COUNTER(struct zpci_harness_counters, violations, "isolation_violations", "accesses",
		     "device accesses the isolation checker refused", 0),
	ZPCI_COUNTER_END
};

const struct zpci_harness_block zpci_harness_blocks[] = {
	{ zpci_monitor_fn_counters, offsetof(struct zpci_harness_counters, tap) },
	{ zpci_func_counters, offsetof(struct zpci_harness_counters, func) },
	{ zpci_shadow_counters, offsetof(struct zpci_harness_counters, hypervisor) },
	{ zpci_pin_counters, offsetof(struct zpci_harness_counters, pins) },
	{ harness_counters, 0 },
	{ NULL, 0 },
};

void zpci_harness_counters_copy(struct zpci_harness_counters *dst,
				const struct zpci_harness_counters *src)
{
	const struct zpci_harness_block *b;

	memset(dst, 0, sizeof(*dst));
	for (b = zpci_harness_blocks; b->table; b++)
		zpci_counters_add(b->table, (char *)dst + b->offset, (const char *)src + b->offset);
}

int zpci_harness_read_counters(struct zpci_harness *h, u32 fn, struct zpci_harness_counters *c)
{
	int rc;

	if (!fn_ok(h, fn))
		return -EINVAL;
	rc = h->be->counters(h, fn, c);
	if (!rc)
		c->injected += h->table_pool.inject.fired;
	return rc;
}

long zpci_harness_rpcits(struct zpci_harness *h, u32 fn, u64 from, struct zpci_rpcit_rec *out,
			 size_t max)
{
	if (!fn_ok(h, fn))
		return -EINVAL;
	return h->be->rpcits(h, fn, from, out, max);
}

long long zpci_harness_violations(struct zpci_harness *h, char *first, size_t len)
{
	if (first && len)
		first[0] = '\0';
	return h->be->violations(h, first, len);
}
