// SPDX-License-Identifier: MIT
/*
 * The fully pinned designs: all guest memory pinned before the guest runs,
 * under a host table (zpci/pinned.h).
 */
#include <stdlib.h>

#include <zpci/machine.h>
#include <zpci/pinned.h>

static int build_pinned(struct zpci_machine *m, struct zpci_machine_fn *mf, struct zpci_hw host)
{
	enum zpci_pinned_mode mode = m->design->identity ? ZPCI_PINNED_IDENTITY : ZPCI_PINNED_NESTED;
	struct zpci_pinned *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return -ENOMEM;
	rc = zpci_pinned_init(p, mode, &mf->func, host, zpci_machine_host_mem(m), &m->host_pool,
			      &m->layout, &m->pins);
	if (rc) {
		free(p);
		return rc;
	}
	mf->design = p;
	mf->guest_hw = zpci_pinned_hw(p);
	return 0;
}

static void destroy_pinned(struct zpci_machine_fn *mf)
{
	zpci_pinned_destroy(mf->design);
	free(mf->design);
}

const struct zpci_design_ops zpci_design_nested_pinned = {
	.name = "nested-pinned",
	.summary = "all guest memory pinned; the guest's table walked through a host table",
	.hosted = true,
	.pins_all = true,
	.build = build_pinned,
	.destroy = destroy_pinned,
};

const struct zpci_design_ops zpci_design_identity_pinned = {
	.name = "identity-pinned",
	.summary = "QEMU's relaxed translation: all guest memory pinned, no guest translation",
	.hosted = true,
	.pins_all = true,
	.identity = true,
	.build = build_pinned,
	.destroy = destroy_pinned,
};
