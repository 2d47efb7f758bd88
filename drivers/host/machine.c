// SPDX-License-Identifier: MIT
/*
 * The machine under a guest, and the design in front of its functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zpci/machine.h>

static const char *const design_names[ZPCI_NR_DESIGNS] = {
	[ZPCI_DESIGN_BARE] = "bare",
	[ZPCI_DESIGN_INTERCEPT_USER] = "intercept-user",
	[ZPCI_DESIGN_INTERCEPT_KVM] = "intercept-kvm",
	[ZPCI_DESIGN_NESTED_PINNED] = "nested-pinned",
	[ZPCI_DESIGN_IDENTITY_PINNED] = "identity-pinned",
};

const char *zpci_design_name(enum zpci_design design)
{
	return design < ZPCI_NR_DESIGNS ? design_names[design] : "?";
}

int zpci_design_parse(const char *name, enum zpci_design *design)
{
	int d;

	for (d = 0; d < ZPCI_NR_DESIGNS; d++)
		if (!strcmp(name, design_names[d])) {
			*design = d;
			return 0;
		}
	return -EINVAL;
}

static bool is_bare(const struct zpci_machine *m)
{
	return m->cfg.design == ZPCI_DESIGN_BARE;
}

static u64 hypervisor_top(const struct zpci_machine *m)
{
	return is_bare(m) ? 0 : ZPCI_MACHINE_HYPERVISOR_TOP;
}

struct zpci_mem zpci_machine_host_mem(struct zpci_machine *m)
{
	return zpci_sparse_mem_view(m->host);
}

u64 zpci_machine_host_size(const struct zpci_machine *m)
{
	return hypervisor_top(m) + m->cfg.guest_mem;
}

struct zpci_mem zpci_machine_guest_mem(struct zpci_machine *m)
{
	return is_bare(m) ? zpci_machine_host_mem(m) : zpci_guest_view_mem(&m->gview);
}

static int build_memory(struct zpci_machine *m)
{
	u64 guest_mem = m->cfg.guest_mem;

	if (guest_mem <= ZPCI_MACHINE_TABLE_POOL || guest_mem & (ZPCI_MACHINE_CHUNK - 1))
		return -EINVAL;
	m->host = zpci_sparse_mem_create(zpci_machine_host_size(m));
	if (!m->host)
		return -ENOMEM;
	if (is_bare(m) ? zpci_layout_init_contiguous(&m->layout, guest_mem, 0)
		       : zpci_layout_init_scattered(&m->layout, guest_mem, ZPCI_MACHINE_CHUNK,
						    ZPCI_MACHINE_HYPERVISOR_TOP, 1))
		return -ENOMEM;
	if (zpci_frame_pool_init(&m->guest_pool, guest_mem - ZPCI_MACHINE_TABLE_POOL,
				 ZPCI_MACHINE_TABLE_POOL))
		return -ENOMEM;
	if (!is_bare(m) &&
	    zpci_frame_pool_init(&m->host_pool, ZPCI_MACHINE_HOST_POOL_BASE,
				 ZPCI_MACHINE_HYPERVISOR_TOP - ZPCI_MACHINE_HOST_POOL_BASE))
		return -ENOMEM;
	m->gview = (struct zpci_guest_view){ &m->layout, zpci_machine_host_mem(m) };
	return zpci_pin_init(&m->pins, &m->cfg.pin);
}

/* The hypervisor could not walk the guest's table: the function's error state. */
static void shadow_walk_failed(void *ctx, enum zpci_pec pec, dma_addr_t iova)
{
	struct zpci_machine_fn *mf = ctx;

	zpci_func_raise_error(&mf->func, pec, iova, false);
}

/* The design's hypervisor side of one function: what the guest talks to. */
static int build_design(struct zpci_machine *m, struct zpci_machine_fn *mf)
{
	enum zpci_design d = m->cfg.design;
	int rc;

	mf->guest_hw = zpci_func_hw(&mf->func);
	switch (d) {
	case ZPCI_DESIGN_BARE:
		return 0;
	case ZPCI_DESIGN_INTERCEPT_USER:
	case ZPCI_DESIGN_INTERCEPT_KVM:
		rc = zpci_shadow_init(&mf->shadow, zpci_func_hw(&mf->func), zpci_machine_host_mem(m),
				      &m->host_pool, zpci_machine_guest_mem(m), &m->layout,
				      &m->pins, m->cfg.mapping_limit,
				      d == ZPCI_DESIGN_INTERCEPT_KVM);
		if (rc)
			return rc;
		mf->shadowed = true;
		mf->shadow.on_error = (struct zpci_shadow_error_hook){ shadow_walk_failed, mf };
		mf->guest_hw = zpci_shadow_hw(&mf->shadow);
		return 0;
	case ZPCI_DESIGN_NESTED_PINNED:
	case ZPCI_DESIGN_IDENTITY_PINNED:
		rc = zpci_pinned_init(&mf->pinned_tables,
				      d == ZPCI_DESIGN_NESTED_PINNED ? ZPCI_PINNED_NESTED
								     : ZPCI_PINNED_IDENTITY,
				      &mf->func, zpci_machine_host_mem(m), &m->host_pool,
				      &m->layout, &m->pins);
		if (rc)
			return rc;
		mf->pinned = true;
		mf->guest_hw = zpci_pinned_hw(&mf->pinned_tables);
		/* One container pins the guest's memory once, however many functions. */
		m->pin_setup_pages = m->cfg.guest_mem >> ZPCI_PAGE_SHIFT;
		return 0;
	default:
		return -EINVAL;
	}
}

static int add_function(struct zpci_machine *m, const struct zpci_func_cfg *cfg)
{
	struct zpci_machine_fn *mf = &m->fns[m->nr_fns];
	struct zpci_func_cfg fc = *cfg;
	u32 i = m->nr_fns;
	int rc;

	fc.refresh = is_bare(m) && cfg->refresh;
	if (zpci_func_init(&mf->func, &fc, zpci_machine_host_mem(m), zpci_machine_host_size(m))) {
		snprintf(m->error, sizeof(m->error), "function %u: bad values", i);
		return -EINVAL;
	}
	m->nr_fns++;
	rc = build_design(m, mf);
	if (rc)
		snprintf(m->error, sizeof(m->error), "%s: %s", zpci_design_name(m->cfg.design),
			 rc == -ENOMEM ? "pinning guest memory failed, the guest cannot start"
				       : strerror(-rc));
	return rc;
}

int zpci_machine_init(struct zpci_machine *m, const struct zpci_machine_cfg *cfg,
		      const struct zpci_func_cfg *fns, u32 nr_fns)
{
	u32 i;
	int rc;

	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	if (m->cfg.design >= ZPCI_NR_DESIGNS) {
		snprintf(m->error, sizeof(m->error), "no design %d", m->cfg.design);
		return -EINVAL;
	}
	rc = build_memory(m);
	if (rc) {
		snprintf(m->error, sizeof(m->error),
			 "cannot build guest memory of %llu MiB (more than %llu MiB, in 2 MiB steps)",
			 (unsigned long long)(cfg->guest_mem >> 20),
			 (unsigned long long)(ZPCI_MACHINE_TABLE_POOL >> 20));
		goto fail;
	}
	m->fns = calloc(nr_fns ? nr_fns : 1, sizeof(*m->fns));
	if (!m->fns) {
		rc = -ENOMEM;
		snprintf(m->error, sizeof(m->error), "out of memory");
		goto fail;
	}
	for (i = 0; i < nr_fns; i++) {
		rc = add_function(m, &fns[i]);
		if (rc)
			goto fail;
	}
	return 0;
fail:
	zpci_machine_destroy(m);
	return rc;
}

void zpci_machine_destroy(struct zpci_machine *m)
{
	u32 i;

	for (i = 0; i < m->nr_fns; i++) {
		struct zpci_machine_fn *mf = &m->fns[i];

		if (mf->shadowed)
			zpci_shadow_destroy(&mf->shadow);
		if (mf->pinned)
			zpci_pinned_destroy(&mf->pinned_tables);
		zpci_func_destroy(&mf->func);
	}
	free(m->fns);
	m->fns = NULL;
	m->nr_fns = 0;
	zpci_pin_destroy(&m->pins);
	zpci_frame_pool_destroy(&m->host_pool);
	zpci_frame_pool_destroy(&m->guest_pool);
	zpci_layout_destroy(&m->layout);
	zpci_sparse_mem_destroy(m->host);
	m->host = NULL;
}

const char *zpci_isolation_text(enum zpci_isolation verdict)
{
	switch (verdict) {
	case ZPCI_ISOLATION_NOT_GUEST:
		return "which is not the guest's";
	case ZPCI_ISOLATION_NOT_PINNED:
		return "which is not pinned";
	default:
		return "";
	}
}
