// SPDX-License-Identifier: MIT
/*
 * The machine under a guest, the design in front of its functions, and the
 * instruments watching them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zpci/machine.h>

static bool hosted(const struct zpci_machine *m)
{
	return m->design->hosted;
}

static u64 hypervisor_top(const struct zpci_machine *m)
{
	return hosted(m) ? ZPCI_MACHINE_HYPERVISOR_TOP : 0;
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
	return hosted(m) ? zpci_guest_view_mem(&m->gview) : zpci_machine_host_mem(m);
}

static int build_memory(struct zpci_machine *m)
{
	u64 guest_mem = m->cfg.guest_mem;

	m->host = zpci_sparse_mem_create(zpci_machine_host_size(m));
	if (!m->host)
		return -ENOMEM;
	if (hosted(m) ? zpci_layout_init_scattered(&m->layout, guest_mem, ZPCI_MACHINE_CHUNK,
						   ZPCI_MACHINE_HYPERVISOR_TOP, 1)
		      : zpci_layout_init_contiguous(&m->layout, guest_mem, 0))
		return -ENOMEM;
	if (zpci_frame_pool_init(&m->guest_pool, guest_mem - ZPCI_MACHINE_TABLE_POOL,
				 ZPCI_MACHINE_TABLE_POOL))
		return -ENOMEM;
	if (hosted(m) &&
	    zpci_frame_pool_init(&m->host_pool, ZPCI_MACHINE_HOST_POOL_BASE,
				 ZPCI_MACHINE_HYPERVISOR_TOP - ZPCI_MACHINE_HOST_POOL_BASE))
		return -ENOMEM;
	m->gview = (struct zpci_guest_view){ &m->layout, zpci_machine_host_mem(m) };
	return zpci_pin_init(&m->pins, &m->cfg.pin);
}

static u64 div_round_up(u64 n, u64 d)
{
	return n / d + (n % d != 0);
}

/* Chunks are whole segments, so large frames leave no page table behind. */
zpci_static_assert(ZPCI_MACHINE_CHUNK % ZPCI_SEG_FRAME_SIZE == 0, "chunks map as 1 MiB frames");

u64 zpci_machine_pinned_table_bytes(u64 guest_mem, bool large_frames)
{
	u64 page_tables = large_frames ? 0 : div_round_up(guest_mem, ZPCI_SEG_FRAME_SIZE);
	u64 segment_tables = div_round_up(guest_mem, ZPCI_TABLE_SIZE_ST);

	/* Under the one region-third table every DMA table starts from. */
	return page_tables * ZPCI_PT_SIZE + (segment_tables + 1) * ZPCI_TABLE_SIZE;
}

u64 zpci_machine_state_bytes(const struct zpci_machine_cfg *cfg)
{
	const struct zpci_design_ops *d = zpci_design_get(cfg->design);
	u64 bytes = 0;

	if (d && d->hosted)
		bytes += cfg->guest_mem / ZPCI_MACHINE_CHUNK * 2 * sizeof(struct zpci_extent);
	/* Pins are a run per host range: the host table is what grows. */
	if (d && d->pins_all)
		bytes += zpci_machine_pinned_table_bytes(cfg->guest_mem, cfg->large_frames);
	return bytes;
}

#define MiB(x) ((unsigned long long)((x) >> 20))

/* @bytes in the largest binary unit that says it exactly, in @buf. */
static const char *size_text(u64 bytes, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned int u = 0;

	while (u + 1 < ZPCI_ARRAY_SIZE(units) && bytes && !(bytes & 1023)) {
		bytes >>= 10;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)bytes, units[u]);
	return buf;
}

/*
 * What cannot be simulated is refused before anything is built: a guest
 * the memory layout cannot hold, state beyond ZPCI_MACHINE_STATE_MAX, host
 * tables the hypervisor's pool cannot hold.
 */
static int check_cfg(struct zpci_machine *m, u32 nr_fns)
{
	u64 guest_mem = m->cfg.guest_mem, state, tables, pool;
	char size[32];

	if (guest_mem <= ZPCI_MACHINE_TABLE_POOL || guest_mem & (ZPCI_MACHINE_CHUNK - 1) ||
	    guest_mem > ZPCI_MACHINE_GUEST_MAX) {
		snprintf(m->error, sizeof(m->error),
			 "guest memory of %s: must be more than the %llu MiB its DMA tables come "
			 "from, in whole %llu MiB chunks, and below %llu PiB",
			 size_text(guest_mem, size, sizeof(size)), MiB(ZPCI_MACHINE_TABLE_POOL),
			 MiB(ZPCI_MACHINE_CHUNK), (ZPCI_MACHINE_GUEST_MAX >> 50) + 1);
		return -EINVAL;
	}
	state = zpci_machine_state_bytes(&m->cfg);
	if (state > ZPCI_MACHINE_STATE_MAX) {
		snprintf(m->error, sizeof(m->error),
			 "guest memory of %s: %s would keep %llu MiB of simulator state for it, "
			 "more than the %llu MiB a machine may",
			 size_text(guest_mem, size, sizeof(size)), m->design->name, MiB(state),
			 MiB(ZPCI_MACHINE_STATE_MAX));
		return -E2BIG;
	}
	tables = m->design->pins_all
			 ? zpci_machine_pinned_table_bytes(guest_mem, m->cfg.large_frames) * nr_fns
			 : 0;
	pool = ZPCI_MACHINE_HYPERVISOR_TOP - ZPCI_MACHINE_HOST_POOL_BASE;
	if (tables > pool) {
		char need[32];

		snprintf(m->error, sizeof(m->error),
			 "guest memory of %s: %s maps all of it up front in %s of host tables for "
			 "%u function(s), more than the hypervisor's %llu MiB table pool",
			 size_text(guest_mem, size, sizeof(size)), m->design->name,
			 size_text(tables, need, sizeof(need)), nr_fns, MiB(pool));
		return -E2BIG;
	}
	return 0;
}

/*
 * The design in front of function @i, and the monitor's tap where the
 * configuration puts it: behind the design, or in front of it.
 */
static int build_design(struct zpci_machine *m, u32 i)
{
	struct zpci_machine_fn *mf = &m->fns[i];
	struct zpci_hw func_hw = zpci_func_hw(&mf->func);
	int rc;

	if (m->cfg.tap_at == ZPCI_TAP_FUNCTION)
		return m->design->build(m, mf, zpci_monitor_tap(&m->mon, i, &mf->func, func_hw));
	rc = m->design->build(m, mf, func_hw);
	if (!rc)
		mf->guest_hw = zpci_monitor_tap(&m->mon, i, &mf->func, mf->guest_hw);
	return rc;
}

static int add_function(struct zpci_machine *m, const struct zpci_func_cfg *cfg)
{
	struct zpci_machine_fn *mf = &m->fns[m->nr_fns];
	struct zpci_func_cfg fc = *cfg;
	u32 i = m->nr_fns;
	int rc;

	fc.refresh = !hosted(m) && cfg->refresh;
	fc.large_frames = m->cfg.large_frames;
	if (zpci_func_init(&mf->func, &fc, zpci_machine_host_mem(m), zpci_machine_host_size(m))) {
		snprintf(m->error, sizeof(m->error), "function %u: bad values", i);
		return -EINVAL;
	}
	m->nr_fns++;
	rc = build_design(m, i);
	if (rc) {
		snprintf(m->error, sizeof(m->error), "%s: %s", m->design->name,
			 rc == -ENOMEM ? "pinning guest memory failed, the guest cannot start"
				       : strerror(-rc));
		return rc;
	}
	/* One container pins the guest's memory once, however many functions. */
	if (m->design->pins_all)
		m->pin_setup_pages = m->cfg.guest_mem >> ZPCI_PAGE_SHIFT;
	return 0;
}

int zpci_machine_init(struct zpci_machine *m, const struct zpci_machine_cfg *cfg,
		      const struct zpci_func_cfg *fns, u32 nr_fns)
{
	u32 i;
	int rc;

	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->design = zpci_design_get(cfg->design);
	if (!m->design) {
		snprintf(m->error, sizeof(m->error), "no design %d", m->cfg.design);
		return -EINVAL;
	}
	rc = check_cfg(m, nr_fns);
	if (rc)
		return rc;
	rc = build_memory(m);
	if (rc) {
		snprintf(m->error, sizeof(m->error), "out of memory building guest memory of %llu MiB",
			 MiB(cfg->guest_mem));
		goto fail;
	}
	m->fns = calloc(nr_fns ? nr_fns : 1, sizeof(*m->fns));
	rc = m->fns ? zpci_monitor_init(&m->mon, nr_fns, &m->layout, &m->pins,
					hosted(m), &m->pins.inject, &m->guest_pool.inject)
		    : -ENOMEM;
	if (rc) {
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

		if (mf->design && m->design->destroy)
			m->design->destroy(mf);
		zpci_func_destroy(&mf->func);
	}
	free(m->fns);
	m->fns = NULL;
	m->nr_fns = 0;
	zpci_monitor_destroy(&m->mon);
	zpci_pin_destroy(&m->pins);
	zpci_frame_pool_destroy(&m->host_pool);
	zpci_frame_pool_destroy(&m->guest_pool);
	zpci_layout_destroy(&m->layout);
	zpci_sparse_mem_destroy(m->host);
	m->host = NULL;
}
