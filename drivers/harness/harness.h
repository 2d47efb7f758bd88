/* SPDX-License-Identifier: MIT */
/*
 * Inside the harness: what a backend (in-process or remote) provides, and
 * the part every harness shares (configuration, buffers, the table pool).
 */
#ifndef ZPCI_HARNESS_PRIV_H
#define ZPCI_HARNESS_PRIV_H

#include <zpci/harness.h>
#include <zpci/monitor.h>

struct zpci_harness_backend {
	const struct zpci_mem_ops *mem_ops;	/* priv: the harness */
	int (*dma)(struct zpci_harness *h, u32 fn, dma_addr_t iova, void *buf, u64 len,
		   enum zpci_dma_dir dir, struct zpci_monitor_writes *writes);
	int (*inject)(struct zpci_harness *h, u32 fn, enum zpci_harness_fault fault, u64 pass,
		      u64 fail);
	int (*counters)(struct zpci_harness *h, u32 fn, struct zpci_harness_counters *c);
	long (*rpcits)(struct zpci_harness *h, u32 fn, u64 from, struct zpci_rpcit_rec *out,
		       size_t max);
	long long (*violations)(struct zpci_harness *h, char *first, size_t len);
	void (*destroy)(struct zpci_harness *h);
};

struct zpci_harness {
	const struct zpci_harness_backend *be;
	struct zpci_harness_cfg cfg;
	struct zpci_hw fn_hw[ZPCI_HARNESS_MAX_FNS];	/* each function's, as the guest's */
	struct zpci_frame_pool table_pool;	/* the guest's: on the driver's side */
	phys_addr_t next_buffer;
	char error[256];
};

/* Where a block's counters sit in struct zpci_harness_counters. */
struct zpci_harness_block {
	const struct zpci_counter *table;
	size_t offset;		/* of the stats struct the table describes */
};

/* Every block of the counters, ending with a NULL table: what crosses the wire. */
extern const struct zpci_harness_block zpci_harness_blocks[];

/* @dst = the counters of @src that the blocks' tables list; the rest 0. */
void zpci_harness_counters_copy(struct zpci_harness_counters *dst,
				const struct zpci_harness_counters *src);

/* 0, or -EINVAL with the reason in @err. */
int zpci_harness_check_cfg(const struct zpci_harness_cfg *cfg, char *err, size_t errlen);
/* Set up the shared part; the backend sets be and fn_hw. */
int zpci_harness_init_common(struct zpci_harness *h, const struct zpci_harness_cfg *cfg);
void zpci_harness_destroy_common(struct zpci_harness *h);
/* Record what went wrong (printf-style), for zpci_harness_error(). */
void zpci_harness_fail(struct zpci_harness *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * zpci_harness_dma(), and for a write, where each IOVA page of it landed, in
 * @writes (NULL: not asked): what a copy of guest memory needs to follow.
 */
int zpci_harness_dma_writes(struct zpci_harness *h, u32 fn, dma_addr_t iova, void *buf, u64 len,
			    enum zpci_dma_dir dir, struct zpci_monitor_writes *writes);

/*
 * Requests a remote harness sent so far, of op @op (enum zpci_wire_op), or
 * of every op for 0; 0 for an in-process harness.  What round trips cost.
 */
u64 zpci_harness_remote_requests(struct zpci_harness *h, u16 op);

/* The machine's function configurations for @cfg. */
void zpci_harness_fn_cfgs(const struct zpci_harness_cfg *cfg, struct zpci_func_cfg *out);

#endif /* ZPCI_HARNESS_PRIV_H */
