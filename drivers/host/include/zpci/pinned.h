/* SPDX-License-Identifier: MIT */
/*
 * The fully-pinned designs' hypervisor side: all guest memory is pinned
 * before the guest runs, and a host table maps guest-physical addresses to
 * the host pages holding them.
 *
 *   identity  (QEMU's relaxed translation) the function's table is the host
 *             table: the guest does no translation, its DMA address is the
 *             guest-physical address, and it never needs RPCIT.
 *   nested    (RPCIT without leaving SIE) the function walks the guest's own
 *             table, every guest-physical table address and frame through
 *             the host table (a 2-D walk); the guest's RPCITs go straight to
 *             the function, which only drops cached translations.
 *
 * "And if pinning fails?": it fails before the guest starts; the design
 * cannot run at all (zpci_pinned_init returns -ENOMEM, nothing stays pinned).
 */
#ifndef ZPCI_PINNED_H
#define ZPCI_PINNED_H

#include <zpci/dma_table.h>
#include <zpci/func.h>
#include <zpci/layout.h>
#include <zpci/pin.h>

#ifdef __cplusplus
extern "C" {
#endif

enum zpci_pinned_mode {
	ZPCI_PINNED_IDENTITY,
	ZPCI_PINNED_NESTED,
};

struct zpci_pinned {
	enum zpci_pinned_mode mode;
	struct zpci_func *func;		/* the real function */
	struct zpci_hw host;		/* its instructions, as the hypervisor issues them */
	const struct zpci_layout *layout;
	struct zpci_pinner *pins;
	struct zpci_dma_table table;	/* guest-physical -> host, in host memory */
	struct zpci_dma_space space;	/* that table, as the function registers it */
};

/*
 * @func: the real function, reached through @host (which may watch its
 * instructions on the way); the rest as zpci_shadow_init() has them.
 */
int zpci_pinned_init(struct zpci_pinned *p, enum zpci_pinned_mode mode, struct zpci_func *func,
		     struct zpci_hw host, struct zpci_mem host_mem, struct zpci_frame_pool *host_pool,
		     const struct zpci_layout *layout, struct zpci_pinner *pins);
/* Unpins all guest memory and frees the host table. */
void zpci_pinned_destroy(struct zpci_pinned *p);

/* The function as the guest sees it. */
struct zpci_hw zpci_pinned_hw(struct zpci_pinned *p);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_PINNED_H */
