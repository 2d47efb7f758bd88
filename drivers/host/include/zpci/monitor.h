/* SPDX-License-Identifier: MIT */
/*
 * The machine's instruments: everything zpcisim watches on a run, owned by
 * the machine, so that the replay engine and the driver harness watch the
 * same way.
 *
 *  - A tap on each function's instruction path, at the one point the
 *    machine's user chooses (enum zpci_tap_at): the RPCIT log and the
 *    injected RPCIT outcomes.
 *  - The checkers, on every translation the device uses: isolation (the
 *    host page is the guest's and, under a hypervisor, pinned), the digest
 *    of the guest-physical pages reached (equal under every design for a
 *    correct guest), stale uses (through an IOVA page the guest unmapped
 *    and has not mapped again, with how long since), and from the log the
 *    exposure windows (from an unmap to the flush that drops it).
 *  - Injection: the machine's fault windows (zpci_monitor_window), and the
 *    function error state at a time.  (The pinner's seeded failure rate
 *    and every-Nth setting are its own configuration.)
 *
 * Time is the caller's: zpci_monitor_set_time() before the events it
 * dates.  The harness has no time and no unmaps to tell; its windows
 * stay empty.
 */
#ifndef ZPCI_MONITOR_H
#define ZPCI_MONITOR_H

#include <zpci/fault_window.h>
#include <zpci/func.h>
#include <zpci/hist.h>
#include <zpci/layout.h>
#include <zpci/pagemap.h>
#include <zpci/pin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where the tap watches a function's instructions. */
enum zpci_tap_at {
	/*
	 * Behind the design, as the real function receives them: the
	 * hypervisor's own RPCITs, and what a capture's RPCITs are checked
	 * against.  An injected outcome is the hardware's answer.
	 */
	ZPCI_TAP_FUNCTION,
	/* In front of the design, as the guest issues them: driver tests. */
	ZPCI_TAP_GUEST,
};

/* Everything the machine can be made to fail, each a fault window. */
enum zpci_inject {
	/* RPCIT outcomes, per function, tried in this order */
	ZPCI_INJECT_RPCIT_BUSY,		/* cc 2 */
	ZPCI_INJECT_RPCIT_INSUFF,	/* cc 1 status 16, insufficient resources */
	ZPCI_INJECT_RPCIT_ERROR,	/* cc 1 status 40, function in the error state */
	ZPCI_INJECT_FUNC_ERROR,		/* per function: a device access enters the error state */
	ZPCI_INJECT_PIN,		/* machine-wide: first pins of a page fail */
	ZPCI_INJECT_TABLE_NOMEM,	/* machine-wide: frames for the guest's DMA tables */
	ZPCI_NR_INJECT,
};

#define ZPCI_NR_RPCIT_FAULTS	(ZPCI_INJECT_FUNC_ERROR)

/* The isolation checker's verdict on a host page the device reached. */
enum zpci_isolation {
	ZPCI_ISOLATION_OK,
	ZPCI_ISOLATION_NOT_GUEST,	/* not the guest's page */
	ZPCI_ISOLATION_NOT_PINNED,	/* the guest's, but the design did not pin it */
};

struct zpci_monitor;

struct zpci_monitor_fn_stats {
	u64 rpcits;		/* at the tap, ever */
	u64 rpcits_failed;	/* ... answered cc != 0, injected ones included */
	u64 dma_faults;		/* zpci_monitor_dma() calls that failed */
};

/* The counters of struct zpci_monitor_fn_stats the replay's stats show. */
extern const struct zpci_counter zpci_monitor_fn_counters[];

/*
 * Where a device write landed, a record per IOVA page it wrote, in order:
 * the guest-physical page, or ZPCI_MONITOR_NOT_GUEST.  For whoever keeps a
 * copy of guest memory (the remote harness's client).  @nr counts every
 * record, those past @max too: then some went unrecorded.
 */
#define ZPCI_MONITOR_NOT_GUEST	(~(phys_addr_t)0)

struct zpci_monitor_writes {
	phys_addr_t *pages;
	u32 nr, max;
};

/* One function, watched. */
struct zpci_monitor_fn {
	struct zpci_monitor *mon;
	u32 index;
	struct zpci_func *func;		/* the real function */
	struct zpci_hw below;		/* where the tap passes instructions on */
	struct zpci_fault_window fault[ZPCI_INJECT_PIN];	/* the per-function ones */
	struct zpci_rpcit_rec *log;	/* RPCITs at the tap not yet taken */
	size_t nr_log, cap_log;
	u64 logged;			/* records ever put in the log: their numbers */
	struct zpci_monitor_fn_stats stats;
	bool error_injected;		/* by the machine-wide time */
	struct zpci_pagemap unmapped_at;	/* IOVA page -> when the guest unmapped it */
	struct zpci_monitor_writes *writes;	/* NULL: nobody asked */
};

/* The first isolation violation, as it happened. */
struct zpci_violation {
	u32 fn;
	dma_addr_t iova;
	phys_addr_t hpa;
	enum zpci_isolation verdict;
};

struct zpci_monitor {
	const struct zpci_layout *layout;
	const struct zpci_pinner *pins;
	bool hosted;			/* under a hypervisor: reached pages must be pinned */
	struct zpci_fault_window *machine_fault[ZPCI_NR_INJECT];	/* the machine-wide ones */
	u64 now;			/* ns */
	u64 func_error_at;		/* ns; 0: never */
	struct zpci_monitor_fn *fns;
	u32 nr_fns;
	/* what the checkers found */
	u64 violations;
	struct zpci_violation first;
	u64 digest;			/* zpci_digest_add of each guest-physical address */
	u64 stale_uses;
	struct zpci_hist stale_windows;	/* ns since the unmap, of each stale use */
	struct zpci_hist exposure_windows;	/* ns from an unmap to its flush */
};

/*
 * @pin_window and @table_window: the machine-wide fault windows (the
 * pinner's, the guest table pool's).  0, or -ENOMEM.
 */
int zpci_monitor_init(struct zpci_monitor *m, u32 nr_fns,
		      const struct zpci_layout *layout, const struct zpci_pinner *pins, bool hosted,
		      struct zpci_fault_window *pin_window,
		      struct zpci_fault_window *table_window);
void zpci_monitor_destroy(struct zpci_monitor *m);

/*
 * Put function @fn's tap in front of @below (the function or the design),
 * and watch @func's translations.  The instructions through the tap.
 */
struct zpci_hw zpci_monitor_tap(struct zpci_monitor *m, u32 fn, struct zpci_func *func,
				struct zpci_hw below);

/*
 * The window of @what: function @fn's, or the machine's (@fn ignored; NULL
 * when the machine gave the monitor none, as a lone function's test may).
 */
struct zpci_fault_window *zpci_monitor_window(struct zpci_monitor *m, u32 fn,
					      enum zpci_inject what);
/* Faults fired: function @fn's and the machine's; @fn < 0: every function's. */
u64 zpci_monitor_injected(const struct zpci_monitor *m, int fn);

/*
 * The time (ns) of what comes next.  Once it reaches func_error_at, every
 * function enters the error state, once.
 */
void zpci_monitor_set_time(struct zpci_monitor *m, u64 now);

/* The guest unmapped [iova, iova + len) now (stale uses count from here). */
int zpci_monitor_unmapped(struct zpci_monitor_fn *mf, dma_addr_t iova, u64 len);
/* ... or mapped it again. */
void zpci_monitor_mapped(struct zpci_monitor_fn *mf, dma_addr_t iova, u64 len);

/*
 * The RPCITs logged at @mf's tap since the last take, oldest first, in
 * *nr; each successful one closes the exposure windows of the unmapped
 * pages it flushed.  The log empties: a long run keeps only one take's.
 * Valid until the next RPCIT.
 */
const struct zpci_rpcit_rec *zpci_monitor_take_rpcits(struct zpci_monitor_fn *mf, size_t *nr);
/* Copy up to @max logged RPCITs from number @from (never taken ones only). */
size_t zpci_monitor_rpcits(const struct zpci_monitor_fn *mf, u64 from, struct zpci_rpcit_rec *out,
			   size_t max);

/* A device access of @fn, through the function-error window. 0 or -EIO. */
int zpci_monitor_dma(struct zpci_monitor_fn *mf, dma_addr_t iova, void *buf, u64 len,
		     enum zpci_dma_dir dir);

/* Judge @hpa; *gpa gets the guest-physical address when it is the guest's. */
static inline enum zpci_isolation zpci_monitor_check(const struct zpci_monitor *m,
						     phys_addr_t hpa, phys_addr_t *gpa)
{
	if (zpci_layout_hpa_to_gpa(m->layout, hpa, gpa))
		return ZPCI_ISOLATION_NOT_GUEST;
	if (m->hosted && !zpci_is_pinned(m->pins, hpa))
		return ZPCI_ISOLATION_NOT_PINNED;
	return ZPCI_ISOLATION_OK;
}

/* The first violation in words ("function 0: the device at IOVA ..."), or "". */
void zpci_monitor_describe_violation(const struct zpci_monitor *m, char *buf, size_t len);

/* Every translation the device uses (the function's probe). */
void zpci_monitor_seen(struct zpci_monitor_fn *mf, dma_addr_t iova, phys_addr_t addr,
		       bool write);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_MONITOR_H */
