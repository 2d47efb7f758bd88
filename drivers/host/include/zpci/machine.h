/* SPDX-License-Identifier: MIT */
/*
 * The machine under a guest: host memory with the guest's memory in it,
 * the zPCI functions, the hypervisor side of one design (zpci/design.h)
 * in front of them, and the instruments that watch it all
 * (zpci/monitor.h).  The replay engine and the driver harness both build
 * it here, so a design, a check and an injected fault mean the same thing
 * to both.
 *
 * Without a hypervisor (bare): the guest's memory is all of host memory.
 * A hosted design: the guest sits above ZPCI_MACHINE_HYPERVISOR_TOP in 2 MiB chunks
 * scattered as a long-running host would have them, and the hypervisor's
 * tables come from below it.  The guest's own DMA tables come from the top
 * ZPCI_MACHINE_TABLE_POOL bytes of guest memory (trace generators and the
 * harness's buffer allocator leave it alone).
 */
#ifndef ZPCI_MACHINE_H
#define ZPCI_MACHINE_H

#include <zpci/design.h>
#include <zpci/frame_pool.h>
#include <zpci/func.h>
#include <zpci/layout.h>
#include <zpci/monitor.h>
#include <zpci/pin.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZPCI_MACHINE_TABLE_POOL		(64ULL << 20)
#define ZPCI_MACHINE_HOST_POOL_BASE	(64ULL << 20)
#define ZPCI_MACHINE_HYPERVISOR_TOP	(256ULL << 20)
#define ZPCI_MACHINE_CHUNK		(2ULL << 20)
/* The sparse host memory's reach, less the hypervisor's: 4 PiB in all. */
#define ZPCI_MACHINE_GUEST_MAX		((4ULL << 50) - ZPCI_MACHINE_HYPERVISOR_TOP)

/*
 * The bound on what a machine keeps in simulator memory in proportion to
 * guest memory, checked before anything is built (zpci_machine_state_bytes):
 * past it a run would swap or be killed long before its first record.
 */
#define ZPCI_MACHINE_STATE_MAX		(2ULL << 30)

struct zpci_machine_cfg {
	enum zpci_design design;
	u64 guest_mem;		/* bytes, more than ZPCI_MACHINE_TABLE_POOL */
	u32 mapping_limit;	/* intercepting designs: shadow mappings at once */
	/*
	 * The functions honour large frames (zpci_func_cfg), and so the pinned
	 * designs map guest memory with them in their host tables.
	 */
	bool large_frames;
	struct zpci_pin_cfg pin;
	enum zpci_tap_at tap_at;	/* where the instruments watch the instructions */
};

/* One function and what the design puts in front of it. */
struct zpci_machine_fn {
	struct zpci_func func;		/* the real function */
	struct zpci_hw guest_hw;	/* the function as the guest sees it */
	void *design;			/* the design's state for this function */
};

struct zpci_machine {
	struct zpci_machine_cfg cfg;
	const struct zpci_design_ops *design;
	struct zpci_sparse_mem *host;
	struct zpci_layout layout;
	struct zpci_guest_view gview;
	struct zpci_frame_pool guest_pool;	/* the guest's tables, in guest memory */
	struct zpci_frame_pool host_pool;	/* the hypervisor's, in host memory */
	struct zpci_pinner pins;
	struct zpci_machine_fn *fns;
	u32 nr_fns;
	u64 pin_setup_pages;	/* pinned up front by the pinned designs */
	struct zpci_monitor mon;	/* what is watched and injected */
	char error[160];	/* why init failed */
};

/*
 * The simulator memory @cfg's design keeps in proportion to guest memory,
 * before any record: the layout's extents and, for the designs that pin
 * all guest memory, its host table (its pins are a run per host range).
 * The one place that says what
 * guest memory a design can simulate: zpci_machine_init() refuses beyond
 * ZPCI_MACHINE_STATE_MAX.
 */
u64 zpci_machine_state_bytes(const struct zpci_machine_cfg *cfg);
/*
 * The host table a pinned design builds to map @guest_mem bytes: page by
 * page, or with @large_frames in 1 MiB frames (chunks are never 2 GiB
 * contiguous).
 */
u64 zpci_machine_pinned_table_bytes(u64 guest_mem, bool large_frames);

/*
 * Build the machine with one function per @fns entry.  The refresh bit of
 * a function is the machine's unless the design is hosted (then the design
 * decides it).  0, or -errno with m->error saying why: -EINVAL or -E2BIG
 * when @cfg asks for a machine that cannot be simulated (checked first,
 * before anything is allocated), -ENOMEM when a design cannot start.
 */
int zpci_machine_init(struct zpci_machine *m, const struct zpci_machine_cfg *cfg,
		      const struct zpci_func_cfg *fns, u32 nr_fns);
/*
 * zpci_machine_init()'s errors that mean "the configuration asks for what
 * cannot be simulated" (bad input), not "the design could not start".
 */
static inline bool zpci_machine_refused(int rc)
{
	return rc == -EINVAL || rc == -E2BIG;
}
void zpci_machine_destroy(struct zpci_machine *m);

struct zpci_mem zpci_machine_host_mem(struct zpci_machine *m);
u64 zpci_machine_host_size(const struct zpci_machine *m);
/* Guest-physical memory: host memory itself on bare metal. */
struct zpci_mem zpci_machine_guest_mem(struct zpci_machine *m);

/* The intercept work of @mf's design, or NULL: it intercepts none. */
static inline const struct zpci_shadow_stats *
zpci_machine_intercepts(const struct zpci_machine *m, const struct zpci_machine_fn *mf)
{
	return m->design->intercepts ? m->design->intercepts(mf) : NULL;
}

/*
 * The design's pin balance, once every function has detached: only the
 * pages it pinned up front may still be pinned.
 */
static inline bool zpci_machine_pins_balanced(const struct zpci_machine *m)
{
	return m->pins.stats.pinned_pages == m->pin_setup_pages;
}

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_MACHINE_H */
