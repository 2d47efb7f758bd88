// SPDX-License-Identifier: MIT
/*
 * guest_workload: drive the guest DMA layer with a seeded random map/unmap
 * workload on the functional function, once per flush policy, and print the
 * RPCIT counts, run time, operations per second and peak memory.
 *
 *   guest_workload [OPS [SEED]]      (default 1000000 operations, seed 1)
 *
 * The workload: at most 512 live mappings of 1..16 KiB at random offsets,
 * maps and unmaps in equal measure once warm, 1 us of guest time per
 * operation (drives flush-queue timeouts), two CPUs taking turns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zpci/dma.h>
#include <zpci/func.h>
#include <zpci/prng.h>

#include "bench.h"

#define GUEST_MEM	(1ULL << 30)
#define POOL_BASE	(768ULL << 20)
#define POOL_SIZE	(64ULL << 20)
#define MAX_LIVE	512
#define FID		0x10

struct run_spec {
	const char *name;
	enum zpci_flush_policy policy;
	struct zpci_fq_cfg fq;
};

/* Flush queues: per-CPU (2 CPUs here), and Linux's single one for shadowed functions. */
static const struct run_spec runs[] = {
	{ "lazy", ZPCI_FLUSH_LAZY, { 0, 0, 0 } },
	{ "strict", ZPCI_FLUSH_STRICT, { 0, 0, 0 } },
	{ "flush-queue", ZPCI_FLUSH_QUEUE,
	  { 2, ZPCI_FQ_PERCPU_ENTRIES, ZPCI_FQ_PERCPU_TIMEOUT_NS } },
	{ "flush-queue-single", ZPCI_FLUSH_QUEUE,
	  { 1, ZPCI_FQ_SINGLE_ENTRIES, ZPCI_FQ_SINGLE_TIMEOUT_NS } },
};

struct live {
	dma_addr_t handle;
	u64 size;
};

static int one_op(struct zpci_dma_dev *dev, struct zpci_prng *r, struct live *live,
		  unsigned int *nr_live)
{
	if (*nr_live == MAX_LIVE || (*nr_live && zpci_prng_below(r, 2))) {
		unsigned int k = zpci_prng_below(r, *nr_live);
		int rc = zpci_dma_unmap_page(dev, live[k].handle, live[k].size, DMA_BIDIRECTIONAL);

		live[k] = live[--*nr_live];
		return rc;
	} else {
		phys_addr_t pa = zpci_prng_below(r, (512ULL << 20) >> ZPCI_PAGE_SHIFT) << ZPCI_PAGE_SHIFT;
		u64 size = 1 + zpci_prng_below(r, 16384);
		dma_addr_t h;
		int rc;

		pa += zpci_prng_below(r, ZPCI_PAGE_SIZE);
		rc = zpci_dma_map_page(dev, pa, size, DMA_FROM_DEVICE, &h);
		if (!rc)
			live[(*nr_live)++] = (struct live){ h, size };
		return rc == -ENOSPC ? 0 : rc;
	}
}

static int run(const struct run_spec *spec, bool refresh, u64 ops, u64 seed)
{
	struct zpci_func_cfg fcfg = { FID, 0x100, 1, 0x100000000ULL, (1ULL << 57) - 1, refresh, false };
	struct zpci_dma_cfg cfg = zpci_dma_default_cfg(FID, spec->policy, GUEST_MEM);
	struct zpci_sparse_mem *sm = zpci_sparse_mem_create(GUEST_MEM);
	static struct live live[MAX_LIVE];
	unsigned int nr_live = 0;
	struct zpci_frame_pool pool;
	struct zpci_dma_dev dev;
	struct zpci_func func;
	struct zpci_prng r;
	double t0, t;
	u64 i;
	int rc;

	if (!sm || zpci_frame_pool_init(&pool, POOL_BASE, POOL_SIZE) ||
	    zpci_func_init(&func, &fcfg, zpci_sparse_mem_view(sm), GUEST_MEM))
		return -ENOMEM;
	cfg.fq = spec->fq;
	rc = zpci_dma_attach(&dev, zpci_func_hw(&func), zpci_sparse_mem_view(sm), &pool, &cfg);
	if (rc)
		return rc;
	zpci_prng_seed(&r, seed);
	t0 = bench_now_s();
	for (i = 0; i < ops && !rc; i++) {
		zpci_dma_set_time(&dev, i * 1000);
		zpci_dma_set_cpu(&dev, i & 1);
		rc = one_op(&dev, &r, live, &nr_live);
	}
	t = bench_now_s() - t0;
	if (!rc)
		printf("%-19s %-7s %9llu %10llu %10llu %8llu %9llu %9llu %7.3f %10.0f\n",
		       spec->name, refresh ? "refresh" : "bare", (unsigned long long)ops,
		       (unsigned long long)dev.stats.mapped_pages,
		       (unsigned long long)dev.stats.sync_rpcits,
		       (unsigned long long)dev.stats.sync_map_rpcits,
		       (unsigned long long)dev.stats.global_rpcits,
		       (unsigned long long)func.stats.rpcits, t, ops / t);
	zpci_dma_detach(&dev);
	zpci_func_destroy(&func);
	zpci_frame_pool_destroy(&pool);
	zpci_sparse_mem_destroy(sm);
	return rc;
}

int main(int argc, char **argv)
{
	u64 ops = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000;
	u64 seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	size_t i;
	int rc;

	if (argc > 3 || !ops) {
		fprintf(stderr, "usage: guest_workload [OPS [SEED]]\n");
		return 2;
	}
	printf("%-19s %-7s %9s %10s %10s %8s %9s %9s %7s %10s\n", "policy", "mode", "ops",
	       "mapped_pg", "sync_rpcit", "sync_map", "global", "rpcit_all", "time_s", "ops_per_s");
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		for (int refresh = 0; refresh < 2; refresh++) {
			rc = run(&runs[i], refresh, ops, seed);
			if (rc) {
				fprintf(stderr, "guest_workload: %s: %s\n", runs[i].name, strerror(-rc));
				return 1;
			}
		}
	}
	printf("peak_rss_kib: %ld\n", bench_peak_rss_kib());
	return 0;
}
