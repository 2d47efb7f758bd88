// SPDX-License-Identifier: MIT
/*
 * Fully-pinned designs: identity and nested.
 */
#include <string.h>

#include <zpci/pinned.h>

static const struct zpci_insn_result insn_refused = { ZPCI_CC_STATUS, 0 };

/*
 * The guest's memory from host extent @i on, as one host range: the
 * extents that follow back to back.  Returns the index after them.
 */
static size_t host_range(const struct zpci_layout *l, size_t i, phys_addr_t *hpa, u64 *len)
{
	*hpa = l->by_hpa[i].hpa;
	*len = 0;
	do
		*len += l->by_hpa[i++].len;
	while (i < l->nr_extents && l->by_hpa[i].hpa == *hpa + *len);
	return i;
}

/* Drop the pins of the host ranges that start below extent @end (by host address). */
static void unpin_guest(struct zpci_pinned *p, size_t end)
{
	phys_addr_t hpa;
	size_t i = 0;
	u64 len;

	while (i < end) {
		i = host_range(p->layout, i, &hpa, &len);
		zpci_unpin_range(p->pins, hpa, len);
	}
}

/* Pin guest memory a host range at a time and map each extent of it in the host table. */
static int pin_and_map_guest(struct zpci_pinned *p)
{
	phys_addr_t hpa;
	size_t i, e;
	u64 len;
	int rc;

	for (i = 0; i < p->layout->nr_extents; i = e) {
		e = host_range(p->layout, i, &hpa, &len);
		rc = zpci_pin_range(p->pins, hpa, len);
		if (rc) {
			unpin_guest(p, i);
			return rc;
		}
	}
	for (e = 0; e < p->layout->nr_extents; e++) {
		const struct zpci_extent *x = &p->layout->by_gpa[e];

		rc = zpci_dma_table_map(&p->table, x->gpa, x->hpa, x->len >> ZPCI_PAGE_SHIFT, false);
		if (rc) {
			unpin_guest(p, p->layout->nr_extents);
			return rc;
		}
	}
	return 0;
}

int zpci_pinned_init(struct zpci_pinned *p, enum zpci_pinned_mode mode, struct zpci_func *func,
		     struct zpci_hw host, struct zpci_mem host_mem, struct zpci_frame_pool *host_pool,
		     const struct zpci_layout *layout, struct zpci_pinner *pins)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->func = func;
	p->host = host;
	p->layout = layout;
	p->pins = pins;
	rc = zpci_dma_table_init(&p->table, host_mem, host_pool);
	if (rc)
		return rc;
	p->table.large_frames = zpci_func_large_frames(func);
	rc = pin_and_map_guest(p);
	if (rc) {
		zpci_dma_table_destroy(&p->table);
		return rc;
	}
	p->space = (struct zpci_dma_space){ .iota = zpci_dma_table_iota(&p->table), .pba = 0,
					    .pal = layout->guest_size - 1,
					    .large_frames = p->table.large_frames };
	if (mode == ZPCI_PINNED_NESTED)
		zpci_func_set_nested(func, &p->space);
	return 0;
}

void zpci_pinned_destroy(struct zpci_pinned *p)
{
	if (p->mode == ZPCI_PINNED_NESTED)
		zpci_func_set_nested(p->func, NULL);
	unpin_guest(p, p->layout->nr_extents);
	zpci_dma_table_destroy(&p->table);
	memset(p, 0, sizeof(*p));
}

/* Identity: the guest's DMA addresses are guest-physical, all of them. */
static int pinned_clp_query_fn(void *priv, u32 fid, struct zpci_clp_fn *fn)
{
	struct zpci_pinned *p = priv;
	int rc = p->host.ops->clp_query_fn(p->host.priv, fid, fn);

	if (!rc && p->mode == ZPCI_PINNED_IDENTITY) {
		fn->sdma = p->space.pba;
		fn->edma = p->space.pal;
	}
	return rc;
}

static int pinned_clp_query_group(void *priv, u8 pfgid, struct zpci_clp_group *grp)
{
	struct zpci_pinned *p = priv;

	return p->host.ops->clp_query_group(p->host.priv, pfgid, grp);
}

/* Identity: the host table goes in as soon as the guest enables the function. */
static int pinned_clp_set_fn(void *priv, u32 fh, bool enable, u32 *new_fh)
{
	struct zpci_pinned *p = priv;
	struct zpci_fib fib = { .pba = p->space.pba, .pal = p->space.pal, .iota = p->space.iota };
	int rc = p->host.ops->clp_set_fn(p->host.priv, fh, enable, new_fh);

	if (!rc && enable && p->mode == ZPCI_PINNED_IDENTITY)
		rc = zpci_insn_errno(p->host.ops->mpcifc(p->host.priv, *new_fh, ZPCI_MOD_FC_REG_IOAT,
							 &fib));
	return rc;
}

/* Identity: the guest has no table to register.  Nested: its table goes in as is. */
static struct zpci_insn_result pinned_mpcifc(void *priv, u32 fh, u8 oc, const struct zpci_fib *fib)
{
	struct zpci_pinned *p = priv;
	bool ioat = oc == ZPCI_MOD_FC_REG_IOAT || oc == ZPCI_MOD_FC_REREG_IOAT ||
		    oc == ZPCI_MOD_FC_DEREG_IOAT;

	if (ioat && p->mode == ZPCI_PINNED_IDENTITY)
		return insn_refused;
	return p->host.ops->mpcifc(p->host.priv, fh, oc, fib);
}

static struct zpci_insn_result pinned_stpcifc(void *priv, u32 fh, struct zpci_fib *fib)
{
	struct zpci_pinned *p = priv;

	return p->host.ops->stpcifc(p->host.priv, fh, fib);
}

/* Interpreted: straight to the function, no exit. */
static struct zpci_insn_result pinned_rpcit(void *priv, u32 fh, dma_addr_t iova, u64 len)
{
	struct zpci_pinned *p = priv;

	return p->host.ops->rpcit(p->host.priv, fh, iova, len);
}

static const struct zpci_hw_ops pinned_hw_ops = {
	.clp_query_fn = pinned_clp_query_fn,
	.clp_query_group = pinned_clp_query_group,
	.clp_set_fn = pinned_clp_set_fn,
	.mpcifc = pinned_mpcifc,
	.stpcifc = pinned_stpcifc,
	.rpcit = pinned_rpcit,
};

struct zpci_hw zpci_pinned_hw(struct zpci_pinned *p)
{
	struct zpci_hw hw = { .ops = &pinned_hw_ops, .priv = p };

	return hw;
}
