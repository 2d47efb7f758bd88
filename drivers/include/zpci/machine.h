/* SPDX-License-Identifier: MIT */
/*
 * The machine under a guest: host memory with the guest's memory in it,
 * the zPCI functions, and the hypervisor side of one design in front of
 * them.  The replay engine and the driver harness both build it here, so
 * a design means the same thing to both.
 *
 * Bare metal: the guest's memory is all of host memory.  Every other
 * design: the guest sits above ZPCI_MACHINE_HYPERVISOR_TOP in 2 MiB chunks
 * scattered as a long-running host would have them, and the hypervisor's
 * tables come from below it.  The guest's own DMA tables come from the top
 * ZPCI_MACHINE_TABLE_POOL bytes of guest memory (trace generators and the
 * harness's buffer allocator leave it alone).
 */
#ifndef ZPCI_MACHINE_H
#define ZPCI_MACHINE_H

#include <zpci/frame_pool.h>
#include <zpci/func.h>
#include <zpci/layout.h>
#include <zpci/pin.h>
#include <zpci/pinned.h>
#include <zpci/shadow.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The designs under test (ARCHITECTURE.md), in the order compare lists them. */
enum zpci_design {
	ZPCI_DESIGN_BARE,
	ZPCI_DESIGN_INTERCEPT_USER,	/* RPCIT intercepted, shadowed in user space */
	ZPCI_DESIGN_INTERCEPT_KVM,	/* ... in the kernel, table pages pinned too */
	ZPCI_DESIGN_NESTED_PINNED,	/* guest table walked through a host table */
	ZPCI_DESIGN_IDENTITY_PINNED,	/* no guest translation at all */
	ZPCI_NR_DESIGNS,
};

#define ZPCI_MACHINE_TABLE_POOL		(64ULL << 20)
#define ZPCI_MACHINE_HOST_POOL_BASE	(64ULL << 20)
#define ZPCI_MACHINE_HYPERVISOR_TOP	(256ULL << 20)
#define ZPCI_MACHINE_CHUNK		(2ULL << 20)

const char *zpci_design_name(enum zpci_design design);
/* 0, or -EINVAL for a name no design has. */
int zpci_design_parse(const char *name, enum zpci_design *design);

struct zpci_machine_cfg {
	enum zpci_design design;
	u64 guest_mem;		/* bytes, more than ZPCI_MACHINE_TABLE_POOL */
	u32 mapping_limit;	/* intercepting designs: shadow mappings at once */
	struct zpci_pin_cfg pin;
};

/* One function and what the design puts in front of it. */
struct zpci_machine_fn {
	struct zpci_func func;		/* the real function */
	struct zpci_hw guest_hw;	/* the function as the guest sees it */
	bool shadowed, pinned;		/* which of the two below is live */
	struct zpci_shadow shadow;
	struct zpci_pinned pinned_tables;
};

struct zpci_machine {
	struct zpci_machine_cfg cfg;
	struct zpci_sparse_mem *host;
	struct zpci_layout layout;
	struct zpci_guest_view gview;
	struct zpci_frame_pool guest_pool;	/* the guest's tables, in guest memory */
	struct zpci_frame_pool host_pool;	/* the hypervisor's, in host memory */
	struct zpci_pinner pins;
	struct zpci_machine_fn *fns;
	u32 nr_fns;
	u64 pin_setup_pages;	/* pinned up front by the pinned designs */
	char error[160];	/* why init failed */
};

/*
 * Build the machine with one function per @fns entry.  The refresh bit of
 * a function is the machine's on bare metal only; the other designs decide
 * it themselves.  0, or -errno with m->error saying why.
 */
int zpci_machine_init(struct zpci_machine *m, const struct zpci_machine_cfg *cfg,
		      const struct zpci_func_cfg *fns, u32 nr_fns);
void zpci_machine_destroy(struct zpci_machine *m);

struct zpci_mem zpci_machine_host_mem(struct zpci_machine *m);
u64 zpci_machine_host_size(const struct zpci_machine *m);
/* Guest-physical memory: host memory itself on bare metal. */
struct zpci_mem zpci_machine_guest_mem(struct zpci_machine *m);

/* The isolation checker's verdict on a host page the device reached. */
enum zpci_isolation {
	ZPCI_ISOLATION_OK,
	ZPCI_ISOLATION_NOT_GUEST,	/* not the guest's page */
	ZPCI_ISOLATION_NOT_PINNED,	/* the guest's, but the design did not pin it */
};

/*
 * Judge @hpa; *gpa gets the guest-physical address when it is the guest's.
 * Inline: every device access is judged.
 */
static inline enum zpci_isolation zpci_machine_check(const struct zpci_machine *m,
						     phys_addr_t hpa, phys_addr_t *gpa)
{
	if (zpci_layout_hpa_to_gpa(&m->layout, hpa, gpa))
		return ZPCI_ISOLATION_NOT_GUEST;
	if (m->cfg.design != ZPCI_DESIGN_BARE && !zpci_is_pinned(&m->pins, hpa))
		return ZPCI_ISOLATION_NOT_PINNED;
	return ZPCI_ISOLATION_OK;
}
const char *zpci_isolation_text(enum zpci_isolation verdict);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_MACHINE_H */
