// SPDX-License-Identifier: MIT
/*
 * The kernel generations a guest can run, by enum value and by name.
 */
#include <string.h>

#include "guest_gen.h"

static const struct zpci_guest_gen_ops *const guest_gens[ZPCI_NR_GUEST_GENS] = {
	[ZPCI_GUEST_LINUX_6_1] = &zpci_guest_linux_6_1,
	[ZPCI_GUEST_LINUX_6_7] = &zpci_guest_linux_6_7,
};

const struct zpci_guest_gen_ops *zpci_guest_gen_get(enum zpci_guest_gen gen)
{
	return (unsigned int)gen < ZPCI_NR_GUEST_GENS ? guest_gens[gen] : NULL;
}

const char *zpci_guest_gen_name(enum zpci_guest_gen gen)
{
	const struct zpci_guest_gen_ops *ops = zpci_guest_gen_get(gen);

	return ops ? ops->name : "?";
}

int zpci_guest_gen_parse(const char *name, enum zpci_guest_gen *gen)
{
	int g;

	for (g = 0; g < ZPCI_NR_GUEST_GENS; g++)
		if (!strcmp(name, guest_gens[g]->name)) {
			*gen = g;
			return 0;
		}
	return -EINVAL;
}

bool zpci_guest_gen_has_policy(enum zpci_guest_gen gen, enum zpci_flush_policy policy)
{
	const struct zpci_guest_gen_ops *ops = zpci_guest_gen_get(gen);

	return ops && (ops->policies & ZPCI_FLUSH_BIT(policy));
}
