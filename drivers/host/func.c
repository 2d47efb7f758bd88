// SPDX-License-Identifier: MIT
/*
 * The functional zPCI function.
 */
#include <stdlib.h>
#include <string.h>

#include <zpci/digest.h>
#include <zpci/func.h>
#include <zpci/grow.h>
#include <zpci/monitor.h>

static const struct zpci_insn_result insn_ok = { ZPCI_CC_OK, 0 };
static const struct zpci_insn_result insn_not_op = { ZPCI_CC_NOT_OP, 0 };
/* MPCIFC refusals: the status values are not modelled. */
static const struct zpci_insn_result insn_refused = { ZPCI_CC_STATUS, 0 };

int zpci_func_init(struct zpci_func *f, const struct zpci_func_cfg *cfg, struct zpci_mem mem,
		   u64 mem_size)
{
	memset(f, 0, sizeof(*f));
	f->stats.digest = ZPCI_DIGEST_INIT;
	if (cfg->fh & ZPCI_FH_ENABLED || cfg->edma < cfg->sdma)
		return -EINVAL;
	f->cfg = *cfg;
	f->mem = mem;
	f->mem_size = mem_size;
	f->fh = cfg->fh;
	f->memo = calloc(ZPCI_REF_MEMO_SIZE, sizeof(*f->memo));
	if (!f->memo || zpci_ftlb_init(&f->tlb)) {
		free(f->memo);
		f->memo = NULL;
		return -ENOMEM;
	}
	return 0;
}

void zpci_func_destroy(struct zpci_func *f)
{
	zpci_ftlb_destroy(&f->tlb);
	free(f->memo);
	free(f->events);
	memset(f, 0, sizeof(*f));
}

static bool handle_ok(const struct zpci_func *f, u32 fh)
{
	return f->enabled && fh == f->fh;
}

void zpci_func_used(struct zpci_func *f, dma_addr_t iova, phys_addr_t addr, bool write)
{
	f->stats.digest = zpci_digest_fold(f->stats.digest, addr);
	if (f->probe)
		zpci_monitor_seen(f->probe, iova, addr, write);
}

static void notify_flush(struct zpci_func *f, dma_addr_t iova, u64 len)
{
	if (f->hook.flush)
		f->hook.flush(f->hook.ctx, f->fh, iova, len);
}

/* What the function translates through changed without a memory write. */
static void forget_references(struct zpci_func *f)
{
	if (f->memo)
		memset(f->memo, 0, ZPCI_REF_MEMO_SIZE * sizeof(*f->memo));
}

/*
 * A new host table (attach) or none (detach): what caches the old one's
 * entries or translations through it (the models' host walk and stage-2
 * caches) drops them; an RPCIT never does, it is the guest's.
 */
void zpci_func_set_nested(struct zpci_func *f, const struct zpci_dma_space *host)
{
	forget_references(f);
	notify_flush(f, 0, 0);
	f->nested_host = host;
	f->nested_view.mem = f->mem;
	f->nested_view.space = host;
}

/* zpci_func_reference(), reading the tables through @mem. */
static enum zpci_fault reference_through(const struct zpci_func *f, const struct zpci_mem *mem,
					 dma_addr_t iova, enum zpci_dma_dir dir,
					 struct zpci_xlate *x)
{
	struct zpci_xlate_view view = f->nested_view;
	struct zpci_mem guest;
	phys_addr_t gpa;

	if (!f->nested_host)
		return zpci_translate(mem, &f->space, iova, dir, x);
	/* 2-D: the guest's table through the host's, then the frame through it too. */
	view.mem = *mem;
	guest = zpci_xlate_view_mem(&view);
	if (zpci_translate(&guest, &f->space, iova, dir, x))
		return x->fault;
	gpa = x->addr;
	return zpci_translate(mem, f->nested_host, gpa, dir, x);
}

enum zpci_fault zpci_func_reference(const struct zpci_func *f, dma_addr_t iova,
				    enum zpci_dma_dir dir, struct zpci_xlate *x)
{
	return reference_through(f, &f->mem, iova, dir, x);
}

void zpci_func_raise_error(struct zpci_func *f, enum zpci_pec pec, dma_addr_t faddr, bool write)
{
	struct zpci_error_event ev = {
		.pec = pec, .fid = f->cfg.fid, .fh = f->fh, .faddr = faddr, .write = write,
	};

	f->error = true;
	f->blocked = true;
	f->stats.error_events++;
	/* Losing an event to memory exhaustion must not lose the error state. */
	if (!zpci_grow((void **)&f->events, &f->cap_events, f->nr_events, sizeof(ev)))
		f->events[f->nr_events++] = ev;
}

/* CLP */

static int func_clp_query_fn(void *priv, u32 fid, struct zpci_clp_fn *fn)
{
	struct zpci_func *f = priv;

	if (fid != f->cfg.fid)
		return -ENODEV;
	fn->fid = fid;
	fn->fh = f->cfg.fh;
	fn->pfgid = f->cfg.pfgid;
	fn->sdma = f->cfg.sdma;
	fn->edma = f->cfg.edma;
	return 0;
}

static int func_clp_query_group(void *priv, u8 pfgid, struct zpci_clp_group *grp)
{
	struct zpci_func *f = priv;

	if (pfgid != f->cfg.pfgid)
		return -ENODEV;
	grp->pfgid = pfgid;
	grp->refresh = f->cfg.refresh;
	return 0;
}

static void flush_all(struct zpci_func *f)
{
	forget_references(f);
	f->stats.iotlb_flushed += zpci_ftlb_flush_all(&f->tlb);
	notify_flush(f, 0, 0);
}

static void reset_dma_state(struct zpci_func *f)
{
	memset(&f->space, 0, sizeof(f->space));
	flush_all(f);
	f->error = false;
	f->blocked = false;
}

static int func_clp_set_fn(void *priv, u32 fh, bool enable, u32 *new_fh)
{
	struct zpci_func *f = priv;

	if (fh != f->fh || enable == f->enabled)
		return -EIO;
	reset_dma_state(f);
	f->enabled = enable;
	f->fh = enable ? f->cfg.fh | ZPCI_FH_ENABLED : f->cfg.fh;
	*new_fh = f->fh;
	return 0;
}

/* MPCIFC / STPCIFC */

static struct zpci_insn_result func_mpcifc(void *priv, u32 fh, u8 oc, const struct zpci_fib *fib)
{
	struct zpci_func *f = priv;
	bool registered;

	if (!handle_ok(f, fh))
		return insn_not_op;
	registered = zpci_iota_enabled(f->space.iota);
	switch (oc) {
	case ZPCI_MOD_FC_REG_IOAT:
	case ZPCI_MOD_FC_REREG_IOAT:
		if (registered != (oc == ZPCI_MOD_FC_REREG_IOAT) || fib->pal < fib->pba ||
		    !zpci_iota_enabled(fib->iota))
			return insn_refused;
		flush_all(f);
		f->space.iota = fib->iota;
		f->space.pba = fib->pba;
		f->space.pal = fib->pal;
		f->space.large_frames = f->cfg.large_frames;
		return insn_ok;
	case ZPCI_MOD_FC_DEREG_IOAT:
		if (!registered)
			return insn_refused;
		flush_all(f);
		memset(&f->space, 0, sizeof(f->space));
		return insn_ok;
	case ZPCI_MOD_FC_RESET_ERROR:
		if (!f->error)
			return insn_refused;
		f->error = false;
		return insn_ok;
	case ZPCI_MOD_FC_RESET_BLOCK:
		if (f->error || !f->blocked)
			return insn_refused;
		f->blocked = false;
		return insn_ok;
	default:
		return insn_refused;
	}
}

static struct zpci_insn_result func_stpcifc(void *priv, u32 fh, struct zpci_fib *fib)
{
	struct zpci_func *f = priv;

	if (fh != f->fh)
		return insn_not_op;
	memset(fib, 0, sizeof(*fib));
	fib->pba = f->space.pba;
	fib->pal = f->space.pal;
	fib->iota = f->space.iota;
	fib->enabled = f->enabled;
	fib->blocked = f->blocked;
	fib->error = f->error;
	fib->dma_read_bytes = f->stats.dma_read_bytes;
	fib->dma_write_bytes = f->stats.dma_write_bytes;
	return insn_ok;
}

/* RPCIT */

static struct zpci_insn_result func_rpcit(void *priv, u32 fh, dma_addr_t iova, u64 len)
{
	static const struct zpci_insn_result in_error = { ZPCI_CC_STATUS,
							   ZPCI_RPCIT_ST_FUNC_IN_ERR };
	struct zpci_func *f = priv;

	f->stats.rpcits++;
	if (!handle_ok(f, fh))
		return insn_not_op;
	if (f->error)
		return in_error;
	f->stats.iotlb_flushed += zpci_ftlb_flush(&f->tlb, iova, len);
	notify_flush(f, iova, len);
	return insn_ok;
}

static const struct zpci_hw_ops func_hw_ops = {
	.clp_query_fn = func_clp_query_fn,
	.clp_query_group = func_clp_query_group,
	.clp_set_fn = func_clp_set_fn,
	.mpcifc = func_mpcifc,
	.stpcifc = func_stpcifc,
	.rpcit = func_rpcit,
};

struct zpci_hw zpci_func_hw(struct zpci_func *f)
{
	struct zpci_hw hw = { .ops = &func_hw_ops, .priv = f };

	return hw;
}

/* Device DMA */

#define ZPCI_REF_FAULT	(~0ULL)

/*
 * A memory that reads through another and notes the table entries read
 * (8-byte aligned reads).  Any other read leaves the walk not kept.
 */
struct ref_trail {
	struct zpci_mem under;
	struct zpci_ref_memo *memo;
};

static void trail_note(struct ref_trail *t, phys_addr_t addr, u64 entry, bool kept)
{
	struct zpci_ref_memo *m = t->memo;

	if (m->nr_entries > ZPCI_REF_ENTRIES)
		return;
	if (!kept || m->nr_entries == ZPCI_REF_ENTRIES) {
		m->nr_entries = ZPCI_REF_ENTRIES + 1;
		return;
	}
	m->entry_addr[m->nr_entries] = addr;
	m->entry[m->nr_entries++] = entry;
}

static int trail_read64(void *priv, phys_addr_t addr, u64 *val)
{
	struct ref_trail *t = priv;
	int rc = zpci_mem_read64(&t->under, addr, val);

	trail_note(t, addr, *val, !rc && zpci_is_aligned(addr, 8));
	return rc;
}

static int trail_read(void *priv, phys_addr_t addr, void *buf, size_t len)
{
	struct ref_trail *t = priv;

	trail_note(t, addr, 0, false);
	return zpci_mem_read(&t->under, addr, buf, len);
}

static int trail_write(void *priv, phys_addr_t addr, const void *buf, size_t len)
{
	(void)priv, (void)addr, (void)buf, (void)len;
	return -EPERM;		/* a walk only reads */
}

static const struct zpci_mem_ops trail_ops = {
	.read = trail_read,
	.write = trail_write,
	.read64 = trail_read64,
};

static u64 reference_frame(const struct zpci_func *f, const struct zpci_mem *mem,
			   dma_addr_t iova, enum zpci_dma_dir dir)
{
	struct zpci_xlate now;

	if (reference_through(f, mem, iova, dir, &now))
		return ZPCI_REF_FAULT;
	return zpci_align_down(now.addr, ZPCI_PAGE_SIZE);
}

/* Walk for @m's key at @generation, noting the entries the walk reads. */
static void remember_reference(const struct zpci_func *f, dma_addr_t iova, enum zpci_dma_dir dir,
			       u64 generation, struct zpci_ref_memo *m)
{
	struct ref_trail t = { f->mem, m };
	struct zpci_mem trail = { .ops = &trail_ops, .priv = &t };

	m->key = zpci_ref_memo_key(iova, dir);
	m->generation = generation;
	/* A 2-D walk reads more entries than are kept: no trail to note. */
	m->nr_entries = f->nested_host ? ZPCI_REF_ENTRIES + 1 : 0;
	m->frame = reference_frame(f, f->nested_host ? &f->mem : &trail, iova, dir);
}

/* Whether @m, made before writes to memory, still holds: its entries unchanged. */
static bool reference_holds(const struct zpci_func *f, const struct zpci_ref_memo *m)
{
	unsigned int i;
	u64 entry;

	if (m->nr_entries > ZPCI_REF_ENTRIES)
		return false;
	for (i = 0; i < m->nr_entries; i++)
		if (zpci_mem_read64(&f->mem, m->entry_addr[i], &entry) || entry != m->entry[i])
			return false;
	return true;
}

bool zpci_func_stale_walk(const struct zpci_func *f, dma_addr_t iova, enum zpci_dma_dir dir,
			  phys_addr_t addr)
{
	u64 generation = zpci_mem_generation(&f->mem);
	u64 key = zpci_ref_memo_key(iova, dir);
	u64 frame = zpci_align_down(addr, ZPCI_PAGE_SIZE);
	struct zpci_ref_memo *m;

	if (!generation || !f->memo)
		return reference_frame(f, &f->mem, iova, dir) != frame;
	/* Past the inline check: made at another generation, or for another key. */
	m = &f->memo[key % ZPCI_REF_MEMO_SIZE];
	if (m->generation && m->key == key && reference_holds(f, m))
		m->generation = generation;
	else
		remember_reference(f, iova, dir, generation, m);
	return m->frame != frame;
}

/*
 * The lookup both translate and peek do.  Returns true on an IOTLB hit
 * (filled in @out); a write through a cached read-only translation is
 * not a hit: it re-walks.
 */
static bool lookup(const struct zpci_func *f, dma_addr_t iova, enum zpci_dma_dir dir,
		   struct zpci_func_xlate *out)
{
	struct zpci_ftlb_entry e;

	out->hit = false;
	out->stale = false;
	out->blocked = !f->enabled || f->blocked;
	if (out->blocked) {
		out->x.fault = ZPCI_FAULT_NONE;
		out->x.nr_steps = 0;
		return false;
	}
	if (!zpci_ftlb_lookup(&f->tlb, iova, &e) || (e.readonly && dir == ZPCI_DMA_WRITE)) {
		zpci_func_reference(f, iova, dir, &out->x);
		return false;
	}
	out->hit = true;
	out->x.fault = ZPCI_FAULT_NONE;
	out->x.pec = ZPCI_PEC_NONE;
	out->x.nr_steps = 0;
	out->x.addr = e.frame | (iova & ~ZPCI_PAGE_MASK);
	out->x.frame_size = ZPCI_PAGE_SIZE;
	out->x.readonly = e.readonly;
	out->stale = zpci_func_hit_is_stale(f, iova, dir, out->x.addr);
	return true;
}

void zpci_func_peek(const struct zpci_func *f, dma_addr_t iova, enum zpci_dma_dir dir,
		    struct zpci_func_xlate *out)
{
	lookup(f, iova, dir, out);
}

void zpci_func_translate(struct zpci_func *f, dma_addr_t iova, enum zpci_dma_dir dir,
			 struct zpci_func_xlate *out)
{
	if (lookup(f, iova, dir, out)) {
		f->stats.iotlb_hits++;
		f->stats.stale_hits += out->stale;
		zpci_func_used(f, iova, out->x.addr, dir == ZPCI_DMA_WRITE);
		return;
	}
	if (out->blocked) {
		f->stats.blocked_dmas++;
		return;
	}
	f->stats.iotlb_misses++;
	if (out->x.fault != ZPCI_FAULT_NONE) {
		zpci_func_raise_error(f, out->x.pec, iova, dir == ZPCI_DMA_WRITE);
		return;
	}
	/* A frame outside memory reaches nothing: a system error, not a use. */
	if (!zpci_range_inside(zpci_align_down(out->x.addr, ZPCI_PAGE_SIZE), ZPCI_PAGE_SIZE,
			       f->mem_size)) {
		zpci_func_raise_error(f, ZPCI_PEC_SYSTEM_ERROR, iova, dir == ZPCI_DMA_WRITE);
		out->blocked = true;
		return;
	}
	zpci_func_used(f, iova, out->x.addr, dir == ZPCI_DMA_WRITE);
	/* Cache the 4 KiB page, whatever frame size the tables used. */
	zpci_ftlb_insert(&f->tlb, iova, zpci_align_down(out->x.addr, ZPCI_PAGE_SIZE),
			 out->x.readonly);
}

int zpci_func_dma(struct zpci_func *f, dma_addr_t iova, void *buf, u64 len,
		  enum zpci_dma_dir dir)
{
	u8 *p = buf;

	while (len) {
		u64 chunk = ZPCI_PAGE_SIZE - (iova & ~ZPCI_PAGE_MASK);
		struct zpci_func_xlate t;
		u64 write_mask;
		int rc;

		if (chunk > len)
			chunk = len;
		zpci_func_translate(f, iova, dir, &t);
		if (t.blocked || t.x.fault != ZPCI_FAULT_NONE)
			return -EIO;
		if (!p)
			rc = zpci_range_inside(t.x.addr, chunk, f->mem_size) ? 0 : -EFAULT;
		else if (dir == ZPCI_DMA_WRITE)
			rc = zpci_mem_write(&f->mem, t.x.addr, p, chunk);
		else
			rc = zpci_mem_read(&f->mem, t.x.addr, p, chunk);
		if (rc) {
			/* The translated frame is outside memory: a system error. */
			zpci_func_raise_error(f, ZPCI_PEC_SYSTEM_ERROR, iova, dir == ZPCI_DMA_WRITE);
			return -EIO;
		}
		/*
		 * Both added to through a mask, not a branch (which gcc keeps
		 * for a conditional): directions come in no order to predict.
		 */
		write_mask = -(u64)(dir == ZPCI_DMA_WRITE);
		f->stats.dma_write_bytes += chunk & write_mask;
		f->stats.dma_read_bytes += chunk & ~write_mask;
		if (p)
			p += chunk;
		iova += chunk;
		len -= chunk;
	}
	return 0;
}

const struct zpci_counter zpci_func_counters[] = {
	ZPCI_COUNTER(struct zpci_func_stats, iotlb_hits, "iotlb_hits", "translations",
		     "device translations the functional IOTLB gave",
		     ZPCI_SHOW_SUMMARY | ZPCI_SHOW_SWEEP | ZPCI_SHOW_LIVE),
	ZPCI_COUNTER(struct zpci_func_stats, iotlb_misses, "iotlb_misses", "translations",
		     "device translations that walked the tables",
		     ZPCI_SHOW_SUMMARY | ZPCI_SHOW_SWEEP | ZPCI_SHOW_LIVE),
	ZPCI_COUNTER(struct zpci_func_stats, iotlb_flushed, "iotlb_flushed_entries", "entries",
		     "cached translations RPCITs and IOAT changes dropped", 0),
	ZPCI_COUNTER(struct zpci_func_stats, stale_hits, "stale_translations", "translations",
		     "IOTLB hits the current tables would not give", ZPCI_SHOW_SUMMARY),
	ZPCI_COUNTER(struct zpci_func_stats, dma_read_bytes, "dma_read_bytes", "bytes",
		     "bytes the device read from memory (the measurement block's)", 0),
	ZPCI_COUNTER(struct zpci_func_stats, dma_write_bytes, "dma_write_bytes", "bytes",
		     "bytes the device wrote to memory (the measurement block's)", 0),
	ZPCI_COUNTER(struct zpci_func_stats, error_events, "error_events", "events",
		     "error events the function reported", ZPCI_SHOW_SUMMARY),
	ZPCI_COUNTER(struct zpci_func_stats, rpcits, "function_rpcits", "RPCITs",
		     "RPCITs that reached the function itself, behind the design and the tap "
		     "(an injected outcome stops at the tap)", 0),
	ZPCI_COUNTER_END
};
