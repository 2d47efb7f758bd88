/* SPDX-License-Identifier: MIT */
/*
 * The designs under test, as one table: each entry says what the design
 * is, how the machine puts it in front of a function, and what it
 * reports.  Everything that lists, builds or describes designs (the
 * machine, replay, compare, sweep, the harness, the help texts) reads it;
 * a new design is one entry and its own file (or one
 * zpci_design_register() call, as a test does).
 *
 * The names, for people meeting them first:
 *   bare             an LPAR: no hypervisor, the guest's RPCIT goes to the
 *                    hardware, the function walks the guest's own table.
 *   intercept-user   today's QEMU + VFIO: every RPCIT exits SIE and goes
 *                    up to QEMU, which walks the guest's table, pins what
 *                    it maps and keeps a shadow table the hardware walks.
 *   intercept-kvm    the same in the kernel, as proposed on the mailing
 *                    list this project comes from: KVM owns the IOMMU
 *                    domain of the function (a "KVM-owned domain") and
 *                    handles the RPCIT intercept without going to user
 *                    space; the guest's table pages are pinned too.
 *   nested-pinned    all guest memory pinned up front; the hardware walks
 *                    the guest's table through a host table (a 2-D walk),
 *                    and RPCIT never leaves SIE.
 *   identity-pinned  QEMU's relaxed translation: all guest memory pinned
 *                    and mapped, the guest's DMA address is its
 *                    guest-physical address, no guest translation at all.
 */
#ifndef ZPCI_DESIGN_H
#define ZPCI_DESIGN_H

#include <zpci/hw.h>
#include <zpci/shadow.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The built-in designs, in the order compare lists them. */
enum zpci_design {
	ZPCI_DESIGN_BARE,
	ZPCI_DESIGN_INTERCEPT_USER,
	ZPCI_DESIGN_INTERCEPT_KVM,
	ZPCI_DESIGN_NESTED_PINNED,
	ZPCI_DESIGN_IDENTITY_PINNED,
	ZPCI_NR_DESIGNS,
};

/* The most designs, built-in and registered. */
#define ZPCI_MAX_DESIGNS	16

struct zpci_machine;
struct zpci_machine_fn;

struct zpci_design_ops {
	const char *name;
	const char *summary;	/* one line, for help texts */
	/*
	 * Under a hypervisor: guest memory lies scattered in host memory,
	 * the function's refresh bit is the design's to set, and a page the
	 * device reaches must be pinned.
	 */
	bool hosted;
	bool pins_all;		/* all guest memory is pinned before the guest runs */
	bool identity;		/* the guest translates nothing: DMA address = guest-physical */
	bool user_space;	/* its intercepts are handled in user space */
	/*
	 * Put the design in front of @mf's function, which it reaches
	 * through @host: set mf->guest_hw (and mf->design, its state, which
	 * destroy is given).  0; or -errno, having freed what it built and
	 * left mf->design NULL.
	 */
	int (*build)(struct zpci_machine *m, struct zpci_machine_fn *mf, struct zpci_hw host);
	void (*destroy)(struct zpci_machine_fn *mf);	/* may be NULL */
	/* Its intercept handling of @mf's RPCITs; NULL: it intercepts none. */
	const struct zpci_shadow_stats *(*intercepts)(const struct zpci_machine_fn *mf);
};

/* The designs, built-in first, then the registered ones. */
u32 zpci_nr_designs(void);
/* NULL for a design there is not. */
const struct zpci_design_ops *zpci_design_get(enum zpci_design design);
const char *zpci_design_name(enum zpci_design design);
/* 0, or -EINVAL for a name no design has. */
int zpci_design_parse(const char *name, enum zpci_design *design);
/*
 * Add @ops (which must outlive every machine built with it) to the table:
 * its number, or -EEXIST for a name taken, -ENOSPC for a full table.
 */
int zpci_design_register(const struct zpci_design_ops *ops);
/* Take the last registered design out again (a test's clean-up): 0, or -EINVAL. */
int zpci_design_unregister(const struct zpci_design_ops *ops);

/* The built-in designs' entries, each in the file of its own. */
extern const struct zpci_design_ops zpci_design_bare;
extern const struct zpci_design_ops zpci_design_intercept_user;
extern const struct zpci_design_ops zpci_design_intercept_kvm;
extern const struct zpci_design_ops zpci_design_nested_pinned;
extern const struct zpci_design_ops zpci_design_identity_pinned;

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_DESIGN_H */
