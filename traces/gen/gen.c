// SPDX-License-Identifier: MIT
/*
 * Workload generators.  Each workload runs on one function as a small
 * state machine (init, step, drain) with its own state, so that several
 * can interleave in one trace.  Guest buffers come from page pools in
 * guest memory below the top 128 MiB, which the replayed guest layer keeps
 * for its own tables.
 *
 * The traces are version 3 (version 2's requests, and an end marker):
 * every I/O a workload does is a request (req=, FORMAT.md "Requests"),
 * numbered 1, 2, ... in the order requests
 * start, over all functions; each function's header line says its
 * workload's queue depth.  What one request is, per workload, is said
 * above the workload's code; set-up and tear-down (posting the first RX
 * buffers, allocating rings, the final unmaps) belong to no request.
 */
#include <stdlib.h>
#include <string.h>

#include <zpci/prng.h>
#include <ztrace/gen.h>

#define GEN_DATA_BASE		(16ULL << 20)
#define GEN_MIN_MEM		(512ULL << 20)
#define GEN_SDMA		0x100000000ULL
#define GEN_EDMA		((1ULL << 57) - 1)
#define GEN_FID			0x10
#define GEN_FH			0x100

struct gen {
	struct ztrace_writer *out;
	struct ztrace_diag *diag;
	struct zpci_prng r;
	u64 time;
	u64 next_id;
	u64 next_req;
	u64 emitted;
	int err;
};

/* A record of no request (a real req ID is never this). */
#define NO_REQ	UINT64_MAX

/* A pool of guest pages, handed out in a seeded random order. */
struct page_pool {
	phys_addr_t base;
	u32 *free;
	u32 nr_free;
};

/* One workload running on one function. */
struct work {
	const struct workload *wl;
	u32 fn;
	struct page_pool pool;
	void *state;
};

struct workload {
	const char *name;
	u64 region;		/* bytes of guest memory its pages come from */
	u32 queue_depth;	/* the most requests it has open at once */
	size_t state_size;
	void (*init)(struct gen *g, struct work *w);
	void (*step)(struct gen *g, struct work *w);
	void (*drain)(struct gen *g, struct work *w);
};

struct mapping {
	u64 id;
	phys_addr_t pa;
	u64 len;
	u64 req;	/* the request that will end it, if one will */
};

/* Emission */

static void emit(struct gen *g, struct ztrace_rec *rec, u64 req)
{
	if (g->err)
		return;
	rec->time = g->time;
	if (req != NO_REQ) {
		rec->req = req;
		rec->flags |= ZTRACE_HAS_REQ;
	}
	g->err = ztrace_write(g->out, rec, g->diag);
	g->emitted++;
}

static u64 new_req(struct gen *g)
{
	return ++g->next_req;
}

static void tick(struct gen *g, u64 min_ns, u64 max_ns)
{
	g->time += min_ns + zpci_prng_below(&g->r, max_ns - min_ns + 1);
}

static u64 pick(struct gen *g, u64 bound)
{
	return zpci_prng_below(&g->r, bound);
}

static void emit_map(struct gen *g, struct work *w, struct mapping *m, enum dma_data_direction dir,
		     u32 cpu, u64 req)
{
	struct ztrace_rec rec = { .kind = ZTRACE_MAP, .fn = w->fn, .pa = m->pa, .len = m->len,
				  .dir = dir, .cpu = cpu, .flags = ZTRACE_HAS_CPU };

	m->id = rec.id = ++g->next_id;
	emit(g, &rec, req);
}

static void emit_id(struct gen *g, struct work *w, enum ztrace_kind kind, u64 id, u64 req)
{
	struct ztrace_rec rec = { .kind = kind, .fn = w->fn, .id = id };

	emit(g, &rec, req);
}

static void emit_dma(struct gen *g, struct work *w, u64 id, u64 off, u64 len,
		     enum zpci_dma_dir access, u64 req)
{
	struct ztrace_rec rec = { .kind = ZTRACE_DMA, .fn = w->fn, .id = id, .off = off,
				  .len = len, .access = access };

	emit(g, &rec, req);
}

/* Pages */

static int pool_init(struct page_pool *p, phys_addr_t base, u64 size, struct zpci_prng *r)
{
	u32 n = size >> ZPCI_PAGE_SHIFT, i;

	p->free = malloc(n * sizeof(*p->free));
	if (!p->free)
		return -ENOMEM;
	p->base = base;
	p->nr_free = n;
	for (i = 0; i < n; i++)
		p->free[i] = i;
	/* Fragment like a long-running guest: hand pages out in random order. */
	for (i = n - 1; i > 0; i--) {
		u32 j = zpci_prng_below(r, i + 1), t = p->free[i];

		p->free[i] = p->free[j];
		p->free[j] = t;
	}
	return 0;
}

static phys_addr_t page_get(struct page_pool *p)
{
	return p->base + ((u64)p->free[--p->nr_free] << ZPCI_PAGE_SHIFT);
}

static void page_put(struct page_pool *p, phys_addr_t pa)
{
	p->free[p->nr_free++] = (pa - p->base) >> ZPCI_PAGE_SHIFT;
}

/*
 * net: an RX ring of posted 2 KiB buffers, TX mapped per packet.  The
 * descriptors live in two coherent pages, one per direction: the device
 * reads a descriptor before each buffer and writes it back after, as a
 * virtio-net or NIC ring does.
 *
 * Requests, one per packet.  RX: the device writes the packet into the
 * slot's posted buffer and writes the descriptor back; the driver maps a
 * replacement buffer, which the device fetches as the slot's new
 * descriptor, and unmaps the filled one.  The replacement comes first,
 * as in drivers that never leave a slot empty (if it cannot be had, the
 * packet is dropped and its buffer posted again); so the refill is the
 * packet's CPU work, and its buffer, mapped after the packet's device
 * work, is not the packet's: the next packet in that slot uses it.  TX:
 * map, the device reads the descriptor and the packet and writes the
 * descriptor back; the unmap comes with a later completion.  Queue depth:
 * the 256 RX buffers plus the 64 TX packets in flight.
 */

#define NET_RX_RING	256
#define NET_TX_MAX	64
#define NET_DESC	16	/* bytes per descriptor */

struct net_state {
	struct mapping rx[NET_RX_RING];
	u32 rx_next;
	struct mapping tx[NET_TX_MAX];	/* FIFO: completions come in order */
	u32 tx_head, tx_count, tx_next;
	struct mapping rx_ring, tx_ring;	/* the descriptors, coherent */
};

static void alloc_coherent_page(struct gen *g, struct work *w, struct mapping *m)
{
	struct ztrace_rec rec = { .kind = ZTRACE_ALLOC, .fn = w->fn, .len = ZPCI_PAGE_SIZE };

	m->pa = rec.pa = page_get(&w->pool);
	m->len = ZPCI_PAGE_SIZE;
	m->id = rec.id = ++g->next_id;
	emit(g, &rec, NO_REQ);
}

/* The device fetches descriptor @slot of @ring, or writes it back. */
static void net_desc(struct gen *g, struct work *w, struct mapping *ring, u32 slot,
		     enum zpci_dma_dir access, u64 req)
{
	emit_dma(g, w, ring->id, (u64)slot * NET_DESC % ZPCI_PAGE_SIZE, NET_DESC, access, req);
}

static u64 net_packet_len(struct gen *g)
{
	/* Bimodal, as on real links: small control packets and full frames. */
	return pick(g, 10) < 4 ? 64 + pick(g, 65) : 1200 + pick(g, 315);
}

static void net_post_rx(struct gen *g, struct work *w, struct mapping *m, u64 req)
{
	m->pa = page_get(&w->pool);
	m->len = 2048;
	emit_map(g, w, m, DMA_FROM_DEVICE, 0, req);
}

static void net_init(struct gen *g, struct work *w)
{
	struct net_state *s = w->state;
	u32 i;

	alloc_coherent_page(g, w, &s->rx_ring);
	alloc_coherent_page(g, w, &s->tx_ring);
	for (i = 0; i < NET_RX_RING; i++)
		net_post_rx(g, w, &s->rx[i], NO_REQ);
}

static void net_rx(struct gen *g, struct work *w, struct net_state *s)
{
	struct mapping *m = &s->rx[s->rx_next], filled = *m;
	u64 req = new_req(g);

	emit_dma(g, w, filled.id, 0, net_packet_len(g), ZPCI_DMA_WRITE, req);
	net_desc(g, w, &s->rx_ring, s->rx_next, ZPCI_DMA_WRITE, req);
	tick(g, 100, 400);
	net_post_rx(g, w, m, req);
	net_desc(g, w, &s->rx_ring, s->rx_next, ZPCI_DMA_READ, req);
	emit_id(g, w, ZTRACE_UNMAP, filled.id, req);
	page_put(&w->pool, filled.pa);
	s->rx_next = (s->rx_next + 1) % NET_RX_RING;
}

static void net_tx_complete(struct gen *g, struct work *w, struct net_state *s)
{
	struct mapping *m = &s->tx[s->tx_head];

	emit_id(g, w, ZTRACE_UNMAP, m->id, m->req);
	page_put(&w->pool, m->pa & ZPCI_PAGE_MASK);
	s->tx_head = (s->tx_head + 1) % NET_TX_MAX;
	s->tx_count--;
}

static void net_tx(struct gen *g, struct work *w, struct net_state *s)
{
	struct mapping *m;

	if (s->tx_count == NET_TX_MAX || (s->tx_count && pick(g, 3) == 0)) {
		net_tx_complete(g, w, s);
		return;
	}
	m = &s->tx[(s->tx_head + s->tx_count++) % NET_TX_MAX];
	m->len = net_packet_len(g);
	m->pa = page_get(&w->pool) + pick(g, ZPCI_PAGE_SIZE - m->len + 1);
	m->req = new_req(g);
	emit_map(g, w, m, DMA_TO_DEVICE, 1, m->req);
	tick(g, 50, 200);
	net_desc(g, w, &s->tx_ring, s->tx_next, ZPCI_DMA_READ, m->req);
	emit_dma(g, w, m->id, 0, m->len, ZPCI_DMA_READ, m->req);
	net_desc(g, w, &s->tx_ring, s->tx_next, ZPCI_DMA_WRITE, m->req);
	s->tx_next = (s->tx_next + 1) % (ZPCI_PAGE_SIZE / NET_DESC);
}

static void net_step(struct gen *g, struct work *w)
{
	if (pick(g, 10) < 6)
		net_rx(g, w, w->state);
	else
		net_tx(g, w, w->state);
	tick(g, 300, 1500);
}

static void net_drain(struct gen *g, struct work *w)
{
	struct net_state *s = w->state;
	u32 i;

	while (s->tx_count)
		net_tx_complete(g, w, s);
	for (i = 0; i < NET_RX_RING; i++)
		emit_id(g, w, ZTRACE_UNMAP, s->rx[i].id, NO_REQ);
	emit_id(g, w, ZTRACE_FREE, s->rx_ring.id, NO_REQ);
	emit_id(g, w, ZTRACE_FREE, s->tx_ring.id, NO_REQ);
}

/*
 * storage: scatter-gather requests kept 32 deep.  A request: map-sg, the
 * device's one transfer (it reads the list for a write, writes it for a
 * read), and, with a completion some requests later, unmap-sg.  Queue
 * depth 32.
 */

#define STORAGE_QD	32
#define STORAGE_MAX_PAGES 64

struct storage_req {
	u64 id, req;
	u32 nr_pages;
	phys_addr_t page[STORAGE_MAX_PAGES];
};

struct storage_state {
	struct storage_req req[STORAGE_QD];
	u32 nr;
};

static void storage_submit(struct gen *g, struct work *w, struct storage_state *s)
{
	static const u32 sizes[] = { 1, 1, 2, 8, 8, 8, 16, 32, 64 };
	struct storage_req *q = &s->req[s->nr++];
	struct ztrace_sg sg[STORAGE_MAX_PAGES];
	struct ztrace_rec rec = { .kind = ZTRACE_MAP_SG, .fn = w->fn, .sg = sg };
	bool write = pick(g, 10) < 3;
	u32 i;

	q->nr_pages = sizes[pick(g, ZPCI_ARRAY_SIZE(sizes))];
	for (i = 0; i < q->nr_pages; i++) {
		q->page[i] = page_get(&w->pool);
		sg[i].pa = q->page[i];
		sg[i].len = ZPCI_PAGE_SIZE;
	}
	rec.nr_sg = q->nr_pages;
	rec.dir = write ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
	q->id = rec.id = ++g->next_id;
	q->req = new_req(g);
	emit(g, &rec, q->req);
	tick(g, 1000, 5000);
	emit_dma(g, w, q->id, 0, (u64)q->nr_pages << ZPCI_PAGE_SHIFT,
		 write ? ZPCI_DMA_READ : ZPCI_DMA_WRITE, q->req);
}

static void storage_complete(struct gen *g, struct work *w, struct storage_state *s, u32 k)
{
	struct storage_req *q = &s->req[k];
	u32 i;

	emit_id(g, w, ZTRACE_UNMAP_SG, q->id, q->req);
	for (i = 0; i < q->nr_pages; i++)
		page_put(&w->pool, q->page[i]);
	*q = s->req[--s->nr];
}

static void storage_step(struct gen *g, struct work *w)
{
	struct storage_state *s = w->state;

	if (s->nr == STORAGE_QD || (s->nr && pick(g, 2)))
		storage_complete(g, w, s, pick(g, s->nr));
	else
		storage_submit(g, w, s);
	tick(g, 2000, 20000);
}

static void storage_drain(struct gen *g, struct work *w)
{
	struct storage_state *s = w->state;

	while (s->nr)
		storage_complete(g, w, s, 0);
}

/*
 * coherent: rings the device polls and completes into.  A request: one
 * device access (a descriptor fetched or a completion written: the CPU's
 * side is plain loads and stores, no DMA API call), or a queue reset,
 * which allocates the ring anew and then frees the old one, so that the
 * queue is never without a ring.  Queue depth: one access per ring.
 */

#define COHERENT_RINGS	4
#define COHERENT_BYTES	(4 * ZPCI_PAGE_SIZE)

struct coherent_state {
	struct mapping ring[COHERENT_RINGS];
	u32 generation[COHERENT_RINGS];
};

/* Coherent memory is contiguous: ring k lives in one of two fixed places. */
static void coherent_alloc(struct gen *g, struct work *w, struct coherent_state *s, u32 k,
			   u64 req)
{
	struct mapping *m = &s->ring[k];
	struct ztrace_rec rec = { .kind = ZTRACE_ALLOC, .fn = w->fn, .len = COHERENT_BYTES };

	m->pa = w->pool.base + (2 * k + s->generation[k]++ % 2) * COHERENT_BYTES;
	m->len = COHERENT_BYTES;
	m->id = rec.id = ++g->next_id;
	rec.pa = m->pa;
	emit(g, &rec, req);
}

static void coherent_init(struct gen *g, struct work *w)
{
	u32 k;

	for (k = 0; k < COHERENT_RINGS; k++)
		coherent_alloc(g, w, w->state, k, NO_REQ);
}

static void coherent_step(struct gen *g, struct work *w)
{
	struct coherent_state *s = w->state;
	u32 k = pick(g, COHERENT_RINGS);
	u64 req = new_req(g), old;

	if (pick(g, 1000) == 0) {
		/* A queue reset: the ring is allocated anew, the old one freed. */
		old = s->ring[k].id;
		coherent_alloc(g, w, s, k, req);
		emit_id(g, w, ZTRACE_FREE, old, req);
	} else {
		emit_dma(g, w, s->ring[k].id, pick(g, COHERENT_BYTES / 64) * 64, 16 + pick(g, 3) * 24,
			 pick(g, 2) ? ZPCI_DMA_READ : ZPCI_DMA_WRITE, req);
	}
	tick(g, 200, 2000);
}

static void coherent_drain(struct gen *g, struct work *w)
{
	struct coherent_state *s = w->state;
	u32 k;

	for (k = 0; k < COHERENT_RINGS; k++)
		emit_id(g, w, ZTRACE_FREE, s->ring[k].id, NO_REQ);
}

/*
 * churn: large, short-lived mappings.  A request: the map, the device's
 * first and last 64 bytes, and the unmap, which comes after some other
 * requests' steps.  Queue depth 64, the most live at once.
 */

#define CHURN_LIVE	64

struct churn_state {
	struct mapping m[CHURN_LIVE];
	u32 nr;
};

static void churn_step(struct gen *g, struct work *w)
{
	struct churn_state *s = w->state;
	struct mapping *m;

	if (s->nr == CHURN_LIVE || (s->nr && pick(g, 2))) {
		u32 k = pick(g, s->nr);

		emit_id(g, w, ZTRACE_UNMAP, s->m[k].id, s->m[k].req);
		s->m[k] = s->m[--s->nr];
	} else {
		m = &s->m[s->nr++];
		m->len = (16ULL << 10) << pick(g, 7);	/* 16 KiB - 1 MiB */
		m->pa = w->pool.base + (pick(g, 4096) << ZPCI_PAGE_SHIFT);
		m->req = new_req(g);
		emit_map(g, w, m, DMA_BIDIRECTIONAL, 0, m->req);
		emit_dma(g, w, m->id, 0, 64, ZPCI_DMA_WRITE, m->req);
		emit_dma(g, w, m->id, m->len - 64, 64, ZPCI_DMA_READ, m->req);
	}
	tick(g, 500, 3000);
}

static void churn_drain(struct gen *g, struct work *w)
{
	struct churn_state *s = w->state;

	while (s->nr) {
		s->nr--;
		emit_id(g, w, ZTRACE_UNMAP, s->m[s->nr].id, s->m[s->nr].req);
	}
}

static void no_init(struct gen *g, struct work *w)
{
	(void)g;
	(void)w;
}

static const struct workload workloads[] = {
	{ "net", 64ULL << 20, NET_RX_RING + NET_TX_MAX, sizeof(struct net_state), net_init,
	  net_step, net_drain },
	{ "storage", 256ULL << 20, STORAGE_QD, sizeof(struct storage_state), no_init, storage_step,
	  storage_drain },
	{ "coherent", 1ULL << 20, COHERENT_RINGS, sizeof(struct coherent_state), coherent_init,
	  coherent_step, coherent_drain },
	{ "churn", 32ULL << 20, CHURN_LIVE, sizeof(struct churn_state), no_init, churn_step,
	  churn_drain },
};

/* Traces: which workloads run on which functions */

struct plan {
	struct ztrace_gen_desc desc;
	const char *work[2];		/* per function; NULL ends */
	u64 aperture;			/* 0: the function's full range */
};

static const struct plan plans[] = {
	{ { "net", "a NIC with per-packet streaming mappings: a 256-buffer RX ring refilled as "
		   "packets arrive, TX buffers mapped per packet, each packet's descriptor read "
		   "and written back in a coherent ring page (virtio-net, drivers without page "
		   "pools)" }, { "net" }, 0 },
	{ { "storage", "a block device 32 requests deep: scatter-gather lists of 4 KiB pages, "
		       "4-256 KiB per request, 70% reads (NVMe, virtio-blk)" }, { "storage" }, 0 },
	{ { "coherent", "descriptor and completion rings in coherent memory that the device "
			"polls and writes, rarely reallocated (NVMe queues, virtio rings)" },
	  { "coherent" }, 0 },
	{ { "mixed", "two functions at once: the NIC on function 0 and the block device on "
		     "function 1, interleaved" }, { "net", "storage" }, 0 },
	{ { "churn", "large short-lived mappings (16 KiB-1 MiB, 64 live) on a 64 MiB aperture: "
		     "allocator wraps and exhaustion, as behind a hypervisor with a mapping "
		     "limit" }, { "churn" }, 64ULL << 20 },
};

size_t ztrace_gen_count(void)
{
	return ZPCI_ARRAY_SIZE(plans);
}

const struct ztrace_gen_desc *ztrace_gen_get(size_t i)
{
	return i < ZPCI_ARRAY_SIZE(plans) ? &plans[i].desc : NULL;
}

static const struct workload *find_workload(const char *name)
{
	size_t i;

	for (i = 0; i < ZPCI_ARRAY_SIZE(workloads); i++)
		if (!strcmp(workloads[i].name, name))
			return &workloads[i];
	return NULL;
}

static void fill_header(const struct plan *p, const struct ztrace_gen_cfg *cfg,
			struct ztrace_header *h, u32 nr_fns)
{
	u32 i;

	memset(h, 0, sizeof(*h));
	h->version = ZTRACE_VERSION;
	h->guest_mem = cfg->guest_mem;
	h->cpus = 2;
	h->nr_fns = nr_fns;
	for (i = 0; i < nr_fns; i++) {
		h->fn[i] = (struct ztrace_fn){
			.fid = GEN_FID + i, .fh = GEN_FH + i, .pfgid = 1, .sdma = GEN_SDMA,
			.edma = p->aperture ? GEN_SDMA + p->aperture - 1 : GEN_EDMA,
			.refresh = cfg->refresh,
			.queue_depth = find_workload(p->work[i])->queue_depth,
		};
	}
}

/* Give each function's workload its state and its own stretch of guest memory. */
static int works_init(struct gen *g, const struct plan *p, struct work *works, u32 nr_fns)
{
	phys_addr_t base = GEN_DATA_BASE;
	u32 i;

	for (i = 0; i < nr_fns; i++) {
		struct work *w = &works[i];

		w->wl = find_workload(p->work[i]);
		w->fn = i;
		w->state = calloc(1, w->wl->state_size);
		if (!w->state || pool_init(&w->pool, base, w->wl->region, &g->r))
			return -ENOMEM;
		base += w->wl->region;
	}
	return 0;
}

static void works_free(struct work *works, u32 nr_fns)
{
	u32 i;

	for (i = 0; i < nr_fns; i++) {
		free(works[i].state);
		free(works[i].pool.free);
	}
}

static void run(struct gen *g, struct work *works, u32 nr_fns, u64 records)
{
	struct ztrace_rec attach = { .kind = ZTRACE_ATTACH };
	u32 i;

	for (i = 0; i < nr_fns; i++) {
		attach.fn = i;
		emit(g, &attach, NO_REQ);
		works[i].wl->init(g, &works[i]);
	}
	while (!g->err && g->emitted < records) {
		struct work *w = &works[pick(g, nr_fns)];

		w->wl->step(g, w);
	}
	for (i = 0; i < nr_fns; i++) {
		works[i].wl->drain(g, &works[i]);
		emit_id(g, &works[i], ZTRACE_DETACH, 0, NO_REQ);
	}
}

int ztrace_generate(const char *name, const struct ztrace_gen_cfg *cfg, const char *path,
		    enum ztrace_encoding enc, struct ztrace_diag *diag)
{
	struct gen g = { .diag = diag };
	struct ztrace_pos pos = { path, 0 };
	struct work works[2] = { 0 };
	struct ztrace_header h;
	const struct plan *p = NULL;
	u32 nr_fns;
	size_t i;
	int rc;

	for (i = 0; i < ZPCI_ARRAY_SIZE(plans); i++)
		if (!strcmp(plans[i].desc.name, name))
			p = &plans[i];
	if (!p)
		return ztrace_error(diag, &pos, "unknown workload '%s'", name);
	if (cfg->guest_mem < GEN_MIN_MEM || cfg->guest_mem % ZPCI_PAGE_SIZE)
		return ztrace_error(diag, &pos, "guest memory must be a multiple of 4K, "
				    "at least 512M");
	nr_fns = p->work[1] ? 2 : 1;
	fill_header(p, cfg, &h, nr_fns);
	zpci_prng_seed(&g.r, cfg->seed);
	rc = works_init(&g, p, works, nr_fns);
	if (rc) {
		works_free(works, nr_fns);
		return ztrace_error(diag, &pos, "out of memory");
	}
	rc = ztrace_create(path, enc, &h, NULL, &g.out, diag);
	if (!rc) {
		run(&g, works, nr_fns, cfg->records);
		if (g.err)
			ztrace_abort(g.out);
		else
			rc = ztrace_commit(g.out, diag);
	}
	works_free(works, nr_fns);
	return rc ? rc : g.err;
}
