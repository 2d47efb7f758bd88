/* SPDX-License-Identifier: MIT */
/*
 * The driver harness: a simulated machine for DMA code under development.
 *
 * A harness is one guest's view of a machine built by zpcisim: guest memory,
 * one or more zPCI functions, and the hypervisor of a chosen design in
 * between.  Your driver code gets, per function, the struct zpci_hw it issues
 * its instructions through (CLP, MPCIFC, STPCIFC, RPCIT), plus the guest's
 * memory to build its DMA tables and buffers in.  The test then plays the
 * device (zpci_harness_dma()), injects faults at chosen points, and reads
 * back what the machine saw: counters, the RPCIT log, isolation violations.
 *
 * Two backends with one API: zpci_harness_create() builds the machine in
 * this process; zpci_harness_connect() asks a `zpcisim serve` process for
 * one over ZeroMQ (drivers/harness/PROTOCOL.md), so the same test runs
 * against a simulator elsewhere.  Every call that crosses to a remote
 * simulator may fail: instructions then answer cc 3 (the function is gone,
 * as it would look to a real driver), memory and harness calls -EIO, and
 * zpci_harness_error() says what happened.
 *
 * A harness is not thread-safe; use one per thread.
 *
 *	struct zpci_harness_cfg cfg = zpci_harness_default_cfg(ZPCI_DESIGN_INTERCEPT_KVM);
 *	struct zpci_harness *h = zpci_harness_create(&cfg, err, sizeof(err));
 *	struct zpci_dma_dev dev;
 *
 *	zpci_dma_attach(&dev, zpci_harness_hw(h, 0), zpci_harness_guest_mem(h),
 *			zpci_harness_table_pool(h), &dma_cfg);
 *	... map a buffer, then play the device writing it:
 *	zpci_harness_dma(h, 0, iova, data, len, ZPCI_DMA_WRITE);
 */
#ifndef ZPCI_HARNESS_H
#define ZPCI_HARNESS_H

#include <stddef.h>

#include <zpci/frame_pool.h>
#include <zpci/func.h>
#include <zpci/machine.h>
#include <zpci/shadow.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZPCI_HARNESS_MAX_FNS	8
/* Function i: fid ZPCI_HARNESS_FID + i, disabled handle ZPCI_HARNESS_FH + i. */
#define ZPCI_HARNESS_FID	0x10
#define ZPCI_HARNESS_FH		0x100
/* Guest memory below this stays free for the driver's own use. */
#define ZPCI_HARNESS_BUFFER_BASE	(1ULL << 20)
/* Pinned designs pin all of it up front: a server must not be asked for more. */
#define ZPCI_HARNESS_MAX_GUEST_MEM	(16ULL << 30)
/* The most one zpci_harness_dma() call moves. */
#define ZPCI_HARNESS_MAX_DMA	(1ULL << 20)

struct zpci_harness_cfg {
	enum zpci_design design;
	u64 guest_mem;		/* bytes: over 65 MiB, at most 16 GiB, in 2 MiB steps */
	u32 nr_fns;		/* 1..ZPCI_HARNESS_MAX_FNS */
	dma_addr_t sdma, edma;	/* every function's DMA range (CLP) */
	bool refresh;		/* bare metal: the group's refresh bit */
	u32 mapping_limit;	/* intercepting designs: shadow mappings at once */
	struct zpci_pin_cfg pin;	/* pin limit and random pin failures */
};

/* 256 MiB of guest memory, one function, the aperture Linux gets from QEMU. */
struct zpci_harness_cfg zpci_harness_default_cfg(enum zpci_design design);

struct zpci_harness;

/* NULL on failure, with the reason in @err. */
struct zpci_harness *zpci_harness_create(const struct zpci_harness_cfg *cfg, char *err,
					 size_t errlen);
/*
 * The same machine, built by `zpcisim serve` at @endpoint (for example
 * "tcp://127.0.0.1:5555").  Every request waits at most @timeout_ms.
 */
struct zpci_harness *zpci_harness_connect(const char *endpoint,
					  const struct zpci_harness_cfg *cfg, int timeout_ms,
					  char *err, size_t errlen);
void zpci_harness_destroy(struct zpci_harness *h);

/* What went wrong last, or "". */
const char *zpci_harness_error(const struct zpci_harness *h);

/* The instructions of function @fn, through the design, as the guest issues them. */
struct zpci_hw zpci_harness_hw(struct zpci_harness *h, u32 fn);
/* Guest-physical memory. */
struct zpci_mem zpci_harness_guest_mem(struct zpci_harness *h);
/* Frames for the driver's DMA tables, at the top of guest memory. */
struct zpci_frame_pool *zpci_harness_table_pool(struct zpci_harness *h);
/*
 * @size bytes of page-aligned guest memory for buffers, never reused.
 * 0, or -ENOMEM once the memory below the table pool is gone.
 */
int zpci_harness_alloc(struct zpci_harness *h, u64 size, phys_addr_t *gpa);

/*
 * Play the device: DMA of @len bytes at @iova of function @fn, to memory
 * from @buf (ZPCI_DMA_WRITE) or from memory into @buf (ZPCI_DMA_READ).
 * 0; -EIO if a page faulted or the function blocks DMA (the pages before
 * it moved, the function is in the error state); -EINVAL for @fn or a
 * @len over ZPCI_HARNESS_MAX_DMA.
 */
int zpci_harness_dma(struct zpci_harness *h, u32 fn, dma_addr_t iova, void *buf, u64 len,
		     enum zpci_dma_dir dir);

/*
 * Faults to inject (see inject).  The RPCIT ones stand in for the answer of
 * a function that would take the RPCIT (enabled, its handle, not in the
 * error state), tried in this order: each counts the RPCITs the ones
 * before it let through.
 */
enum zpci_harness_fault {
	ZPCI_HFAULT_RPCIT_BUSY,		/* the guest's RPCITs of @fn answer cc 2 */
	ZPCI_HFAULT_RPCIT_INSUFF,	/* ... cc 1, insufficient resources */
	ZPCI_HFAULT_RPCIT_ERROR,	/* ... cc 1, function in the error state */
	ZPCI_HFAULT_PIN,		/* the hypervisor's pins of new pages fail */
	ZPCI_HFAULT_FUNC_ERROR,		/* a device DMA of @fn puts it in the error state */
	ZPCI_HFAULT_NOMEM,		/* the table pool's allocations fail */
	ZPCI_NR_HFAULTS,
};

/*
 * Let @pass events of @fault's kind through, then fail the next @fail
 * (0 disarms).  Re-arming replaces the previous window.  0, or -EINVAL.
 */
int zpci_harness_inject(struct zpci_harness *h, u32 fn, enum zpci_harness_fault fault,
			u64 pass, u64 fail);

/*
 * What function @fn and the machine saw: each block's stats, holding the
 * counters its table lists (<zpci/counter.h>, which says what each
 * counts); a field no table lists reads 0.  A counter a table gains is
 * here, and on the wire, with no other change.  Machine-wide ones (pins,
 * violations) are the same for every @fn.
 */
struct zpci_harness_counters {
	struct zpci_monitor_fn_stats tap;	/* the guest's RPCITs, failed device DMA */
	struct zpci_func_stats func;		/* the function's own: IOTLB, bytes, errors */
	struct zpci_shadow_stats hypervisor;	/* an intercepting design's; else 0 */
	struct zpci_pin_stats pins;
	u64 injected;		/* faults fired for @fn (and the machine's) */
	u64 violations;		/* device accesses the isolation checker refused */
};

int zpci_harness_read_counters(struct zpci_harness *h, u32 fn, struct zpci_harness_counters *c);

/*
 * Copy up to @max of function @fn's RPCITs, oldest first, starting at
 * number @from.  The number copied, or -errno.
 */
long zpci_harness_rpcits(struct zpci_harness *h, u32 fn, u64 from, struct zpci_rpcit_rec *out,
			 size_t max);

/*
 * The number of isolation violations so far; the first one described in
 * @first (may be NULL).  -errno if it cannot be asked.
 */
long long zpci_harness_violations(struct zpci_harness *h, char *first, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_HARNESS_H */
