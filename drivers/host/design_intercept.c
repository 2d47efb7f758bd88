// SPDX-License-Identifier: MIT
/*
 * The intercepting designs: RPCIT exits SIE and the hypervisor shadows the
 * guest's table (zpci/shadow.h), in user space or in the kernel.
 */
#include <stdlib.h>

#include <zpci/machine.h>

/* The hypervisor could not walk the guest's table: the function's error state. */
static void shadow_walk_failed(void *ctx, enum zpci_pec pec, dma_addr_t iova)
{
	struct zpci_machine_fn *mf = ctx;

	zpci_func_raise_error(&mf->func, pec, iova, false);
}

/* In the kernel, the guest's table pages are pinned too. */
static int build_intercept(struct zpci_machine *m, struct zpci_machine_fn *mf,
			   struct zpci_hw host)
{
	struct zpci_shadow *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	rc = zpci_shadow_init(s, host, zpci_machine_host_mem(m), &m->host_pool,
			      zpci_machine_guest_mem(m), &m->layout, &m->pins, m->cfg.mapping_limit,
			      !m->design->user_space);
	if (rc) {
		free(s);
		return rc;
	}
	s->on_error = (struct zpci_shadow_error_hook){ shadow_walk_failed, mf };
	mf->design = s;
	mf->guest_hw = zpci_shadow_hw(s);
	return 0;
}

static void destroy_intercept(struct zpci_machine_fn *mf)
{
	zpci_shadow_destroy(mf->design);
	free(mf->design);
}

static const struct zpci_shadow_stats *intercepts(const struct zpci_machine_fn *mf)
{
	return &((const struct zpci_shadow *)mf->design)->stats;
}

const struct zpci_design_ops zpci_design_intercept_user = {
	.name = "intercept-user",
	.summary = "today's QEMU + VFIO: RPCIT intercepted, shadowed in user space",
	.hosted = true,
	.user_space = true,
	.build = build_intercept,
	.destroy = destroy_intercept,
	.intercepts = intercepts,
};

const struct zpci_design_ops zpci_design_intercept_kvm = {
	.name = "intercept-kvm",
	.summary = "the RPCIT intercept handled in the kernel, as proposed for a "
		   "KVM-owned IOMMU domain",
	.hosted = true,
	.build = build_intercept,
	.destroy = destroy_intercept,
	.intercepts = intercepts,
};
