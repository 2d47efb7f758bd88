// SPDX-License-Identifier: MIT
/*
 * The table of designs, and bare metal, which has no hypervisor to build.
 */
#include <string.h>

#include <zpci/machine.h>

static int build_bare(struct zpci_machine *m, struct zpci_machine_fn *mf, struct zpci_hw host)
{
	(void)m;
	mf->guest_hw = host;
	return 0;
}

const struct zpci_design_ops zpci_design_bare = {
	.name = "bare",
	.summary = "an LPAR: no hypervisor, the function walks the guest's table",
	.build = build_bare,
};

static const struct zpci_design_ops *designs[ZPCI_MAX_DESIGNS] = {
	[ZPCI_DESIGN_BARE] = &zpci_design_bare,
	[ZPCI_DESIGN_INTERCEPT_USER] = &zpci_design_intercept_user,
	[ZPCI_DESIGN_INTERCEPT_KVM] = &zpci_design_intercept_kvm,
	[ZPCI_DESIGN_NESTED_PINNED] = &zpci_design_nested_pinned,
	[ZPCI_DESIGN_IDENTITY_PINNED] = &zpci_design_identity_pinned,
};
static u32 nr_designs = ZPCI_NR_DESIGNS;

u32 zpci_nr_designs(void)
{
	return nr_designs;
}

const struct zpci_design_ops *zpci_design_get(enum zpci_design design)
{
	return (u32)design < nr_designs ? designs[design] : NULL;
}

const char *zpci_design_name(enum zpci_design design)
{
	const struct zpci_design_ops *ops = zpci_design_get(design);

	return ops ? ops->name : "?";
}

int zpci_design_parse(const char *name, enum zpci_design *design)
{
	u32 d;

	for (d = 0; d < nr_designs; d++)
		if (!strcmp(name, designs[d]->name)) {
			*design = d;
			return 0;
		}
	return -EINVAL;
}

int zpci_design_register(const struct zpci_design_ops *ops)
{
	enum zpci_design taken;

	if (!zpci_design_parse(ops->name, &taken))
		return -EEXIST;
	if (nr_designs == ZPCI_MAX_DESIGNS)
		return -ENOSPC;
	designs[nr_designs] = ops;
	return nr_designs++;
}

int zpci_design_unregister(const struct zpci_design_ops *ops)
{
	if (nr_designs == ZPCI_NR_DESIGNS || designs[nr_designs - 1] != ops)
		return -EINVAL;
	designs[--nr_designs] = NULL;
	return 0;
}
