// SPDX-License-Identifier: MIT
/*
 * The meaning of a trace: each ID live exactly between its map and its
 * unmap, device accesses inside live mappings, addresses inside guest
 * memory, functions attached before use; and (version 2) requests as
 * FORMAT.md "Requests" defines them: where each opens and closes, one
 * function each, no new buffers once one releases its own, no more open
 * than the function's queue depth.  Memory grows with the number of live
 * mappings and open requests, never with trace length.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>

#include <zpci/u64map.h>

#include "trace_internal.h"

/* A live ID: what mapped it and its length in bytes. */
enum live_kind { LIVE_MAP = 1, LIVE_SG = 2, LIVE_ALLOC = 3 };

struct live {
	u64 len;
	enum live_kind kind;
	u32 holder;		/* the slot of the request holding it, or ZTRACE_NO_SLOT */
};

/* An open request (FORMAT.md "Requests"). */
struct request {
	u64 req;
	u32 fn;
	u32 held;		/* live streaming mappings it holds */
	bool open;
	bool cpu;		/* it has made a DMA API call */
	bool dev;		/* ... a device access */
	bool releasing;		/* it has ended a mapping it held: no new ones */
};

/*
 * Dense numbers for live things (IDs, requests): a small array indexed by
 * them, an ended one's number given out again first.
 */
struct slots {
	void *v;		/* the things, by slot */
	u32 *free;		/* slots of ended things, to reuse first */
	u32 nr, nr_free, cap;
};

struct ztrace_checker {
	struct ztrace_header h;
	bool attached[ZTRACE_MAX_FNS];
	struct zpci_u64map ids[ZTRACE_MAX_FNS];	/* live ID -> its slot */
	struct slots live;	/* struct live */
	u32 slot;		/* the last record's, or ZTRACE_NO_SLOT */
	struct zpci_u64map reqs;	/* open req -> its slot, any function's */
	struct slots rq;	/* struct request */
	u32 open[ZTRACE_MAX_FNS];	/* requests open, per function */
	u32 req_slot, req_event;	/* the last record's */
	bool ticked;
	u64 jiffies;		/* at the last tick */
};

static inline struct live *live_at(const struct ztrace_checker *c, u32 slot)
{
	return (struct live *)c->live.v + slot;
}

static inline struct request *rq_at(const struct ztrace_checker *c, u32 slot)
{
	return (struct request *)c->rq.v + slot;
}

struct ztrace_checker *ztrace_checker_create(const struct ztrace_header *h)
{
	struct ztrace_checker *c = calloc(1, sizeof(*c));
	u32 i;

	if (!c)
		return NULL;
	c->h = *h;
	c->slot = ZTRACE_NO_SLOT;
	c->req_slot = ZTRACE_NO_SLOT;
	for (i = 0; i < h->nr_fns; i++) {
		if (zpci_u64map_init(&c->ids[i])) {
			ztrace_checker_destroy(c);
			return NULL;
		}
	}
	if (zpci_u64map_init(&c->reqs)) {
		ztrace_checker_destroy(c);
		return NULL;
	}
	return c;
}

void ztrace_checker_destroy(struct ztrace_checker *c)
{
	u32 i;

	if (!c)
		return;
	for (i = 0; i < c->h.nr_fns; i++)
		zpci_u64map_destroy(&c->ids[i]);
	zpci_u64map_destroy(&c->reqs);
	free(c->live.v);
	free(c->live.free);
	free(c->rq.v);
	free(c->rq.free);
	free(c);
}

u32 ztrace_checker_slot(const struct ztrace_checker *c)
{
	return c->slot;
}

u32 ztrace_checker_req_event(const struct ztrace_checker *c)
{
	return c->req_event;
}

u32 ztrace_checker_req_slot(const struct ztrace_checker *c)
{
	return c->req_slot;
}

u32 ztrace_checker_open_requests(const struct ztrace_checker *c, u32 fn)
{
	return fn < ZTRACE_MAX_FNS ? c->open[fn] : 0;
}

/* A slot for a new thing of @size bytes: an ended one's, else a new one.  NO_SLOT: no memory. */
static u32 slot_get(struct slots *s, size_t size)
{
	if (s->nr_free)
		return s->free[--s->nr_free];
	if (s->nr == s->cap) {
		u32 cap = s->cap ? 2 * s->cap : 64;
		void *v = realloc(s->v, cap * size);
		u32 *slots;

		if (!v)
			return ZTRACE_NO_SLOT;
		s->v = v;
		slots = realloc(s->free, cap * sizeof(*slots));
		if (!slots)
			return ZTRACE_NO_SLOT;
		s->free = slots;
		s->cap = cap;
	}
	return s->nr++;
}

/* @slot's thing ended: the slot is the next new one's. */
static void slot_put(struct slots *s, u32 slot)
{
	s->free[s->nr_free++] = slot;
}

static const char *const live_names[] = { "", "map", "map-sg", "alloc" };

/* The live kind @rec ends, for unmap/unmap-sg/free. */
static enum live_kind ending_kind(enum ztrace_kind k)
{
	return k == ZTRACE_UNMAP ? LIVE_MAP : k == ZTRACE_UNMAP_SG ? LIVE_SG : LIVE_ALLOC;
}

static bool in_guest(const struct ztrace_checker *c, u64 pa, u64 len)
{
	return len && zpci_range_inside(pa, len, c->h.guest_mem);
}

struct check {
	struct ztrace_checker *c;
	const struct ztrace_rec *rec;
	struct zpci_u64map *ids;	/* the record's function's */
	struct ztrace_diag *diag;
};

static int check_fail(const struct check *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int check_fail(const struct check *k, const char *fmt, ...)
{
	int n = snprintf(k->diag->msg, sizeof(k->diag->msg), "%s: ",
			 ztrace_kind_name(k->rec->kind));
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->diag->msg + n, sizeof(k->diag->msg) - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int check_new_id(struct check *k, enum live_kind kind)
{
	const struct ztrace_rec *rec = k->rec;
	u64 len = rec->len;
	u32 i, slot;

	if (rec->id == ZPCI_U64MAP_EMPTY)
		return check_fail(k, "ID %" PRIu64 " is reserved", rec->id);
	if (zpci_u64map_find(k->ids, rec->id))
		return check_fail(k, "ID %" PRIu64 " is already live", rec->id);
	if (kind == LIVE_SG) {
		for (i = 0, len = 0; i < rec->nr_sg; i++) {
			if (!rec->sg[i].len)
				return check_fail(k, "element %u is zero-length", i);
			if (!in_guest(k->c, rec->sg[i].pa, rec->sg[i].len))
				return check_fail(k, "element %u [%#" PRIx64 ", +%" PRIu64
						  ") is not inside guest memory", i,
						  rec->sg[i].pa, rec->sg[i].len);
			if (len + rec->sg[i].len < len)
				return check_fail(k, "length too large");
			len += rec->sg[i].len;
		}
	} else if (!rec->len) {
		return check_fail(k, "zero-length %s", live_names[kind]);
	} else if (!in_guest(k->c, rec->pa, rec->len)) {
		return check_fail(k, "[%#" PRIx64 ", +%" PRIu64 ") is not inside guest memory",
				  rec->pa, rec->len);
	}
	slot = slot_get(&k->c->live, sizeof(struct live));
	if (slot == ZTRACE_NO_SLOT || zpci_u64map_put(k->ids, rec->id, slot)) {
		if (slot != ZTRACE_NO_SLOT)
			slot_put(&k->c->live, slot);
		return check_fail(k, "out of memory");
	}
	*live_at(k->c, slot) = (struct live){ len, kind, ZTRACE_NO_SLOT };
	k->c->slot = slot;
	return 0;
}

/* The slot of the record's ID, or NO_SLOT when it is not live. */
static u32 live_slot(const struct check *k)
{
	const u64 *slot = zpci_u64map_find(k->ids, k->rec->id);

	return slot ? *slot : ZTRACE_NO_SLOT;
}

static int check_end_id(struct check *k)
{
	enum live_kind want = ending_kind(k->rec->kind);
	u32 slot = live_slot(k), holder;
	const struct live *l;

	if (slot == ZTRACE_NO_SLOT)
		return check_fail(k, "ID %" PRIu64 " is not live", k->rec->id);
	l = live_at(k->c, slot);
	if (l->kind != want)
		return check_fail(k, "ID %" PRIu64 " was made by %s", k->rec->id, live_names[l->kind]);
	/* A request's buffer is ended by the request: the end is its step. */
	holder = l->holder;
	if (holder != ZTRACE_NO_SLOT &&
	    (!(k->rec->flags & ZTRACE_HAS_REQ) || rq_at(k->c, holder)->req != k->rec->req))
		return check_fail(k, "ID %" PRIu64 " is held by request %" PRIu64
				  ", which must end it", k->rec->id, rq_at(k->c, holder)->req);
	zpci_u64map_remove(k->ids, k->rec->id);
	slot_put(&k->c->live, slot);
	k->c->slot = slot;
	return 0;
}

static int check_dma(struct check *k)
{
	const struct ztrace_rec *rec = k->rec;
	u32 slot = live_slot(k);
	u64 len;

	if (slot == ZTRACE_NO_SLOT)
		return check_fail(k, "ID %" PRIu64 " is not live", rec->id);
	len = live_at(k->c, slot)->len;
	if (!rec->len || rec->off > len || rec->len > len - rec->off)
		return check_fail(k, "[%" PRIu64 ", +%" PRIu64 ") is outside ID %" PRIu64
				  " of %" PRIu64 " bytes", rec->off, rec->len, rec->id, len);
	k->c->slot = slot;
	return 0;
}

/* What the record says about IDs: the checks of every version. */
static int check_ids(struct check *k)
{
	const struct ztrace_rec *rec = k->rec;

	switch (rec->kind) {
	case ZTRACE_MAP:
		return check_new_id(k, LIVE_MAP);
	case ZTRACE_MAP_SG:
		return check_new_id(k, LIVE_SG);
	case ZTRACE_ALLOC:
		return check_new_id(k, LIVE_ALLOC);
	case ZTRACE_UNMAP:
	case ZTRACE_UNMAP_SG:
	case ZTRACE_FREE:
		return check_end_id(k);
	case ZTRACE_DMA:
		return check_dma(k);
	case ZTRACE_DMA_IOVA:
	case ZTRACE_RPCIT:
		if (!rec->len)
			return check_fail(k, "zero length");
		return 0;
	default:
		return check_fail(k, "unknown record");
	}
}

/* Requests (FORMAT.md "Requests") */

static bool is_device_work(enum ztrace_kind kind)
{
	return kind == ZTRACE_DMA || kind == ZTRACE_DMA_IOVA;
}

static bool makes_mapping(enum ztrace_kind kind)
{
	return kind == ZTRACE_MAP || kind == ZTRACE_MAP_SG || kind == ZTRACE_ALLOC;
}

/* The slot of the open request @req, or NO_SLOT. */
static u32 req_find(const struct ztrace_checker *c, u64 req)
{
	const u64 *slot = zpci_u64map_find(&c->reqs, req);

	return slot ? *slot : ZTRACE_NO_SLOT;
}

static void req_close(struct ztrace_checker *c, u32 slot)
{
	struct request *rq = rq_at(c, slot);

	zpci_u64map_remove(&c->reqs, rq->req);
	c->open[rq->fn]--;
	rq->open = false;
	slot_put(&c->rq, slot);
}

/* A record of an open request, before its ID checks: does it fit the request? */
static int req_continues(struct check *k, const struct request *rq, u32 slot)
{
	const struct ztrace_rec *rec = k->rec;
	u32 id_slot;

	if (rq->fn != rec->fn)
		return check_fail(k, "req %" PRIu64 " is open on function %u", rec->req, rq->fn);
	if (!rq->releasing)
		return 0;
	/* Past its first release a request only ends and uses what it holds. */
	if (makes_mapping(rec->kind))
		return check_fail(k, "req %" PRIu64 " has begun ending its mappings: a new one "
				  "starts a new request, which may reuse the ID only once this "
				  "one is over", rec->req);
	if (rec->kind == ZTRACE_DMA) {
		id_slot = live_slot(k);
		if (id_slot != ZTRACE_NO_SLOT && live_at(k->c, id_slot)->holder != slot)
			return check_fail(k, "req %" PRIu64 " has begun ending its mappings: "
					  "an access to ID %" PRIu64 ", which it does not hold, "
					  "starts a new request, which may reuse the ID only once "
					  "this one is over", rec->req, rec->id);
	}
	return 0;
}

/* A new request: within its function's queue depth. */
static int req_open(struct check *k, u32 *slot)
{
	struct ztrace_checker *c = k->c;
	const struct ztrace_rec *rec = k->rec;
	u32 depth = c->h.fn[rec->fn].queue_depth;

	if (depth && c->open[rec->fn] >= depth)
		return check_fail(k, "req %" PRIu64 " would be function %u's request %u at once, "
				  "beyond its queue depth", rec->req, rec->fn, depth + 1);
	*slot = slot_get(&c->rq, sizeof(struct request));
	if (*slot == ZTRACE_NO_SLOT || zpci_u64map_put(&c->reqs, rec->req, *slot)) {
		if (*slot != ZTRACE_NO_SLOT)
			slot_put(&c->rq, *slot);
		return check_fail(k, "out of memory");
	}
	*rq_at(c, *slot) = (struct request){ .req = rec->req, .fn = rec->fn, .open = true };
	c->open[rec->fn]++;
	c->req_event = ZTRACE_REQ_OPENED;
	return 0;
}

/* Before the ID checks: the request the record joins, or opens. */
static int req_begin(struct check *k)
{
	u32 slot = req_find(k->c, k->rec->req);
	int rc;

	rc = slot == ZTRACE_NO_SLOT ? req_open(k, &slot) : req_continues(k, rq_at(k->c, slot), slot);
	if (!rc)
		k->c->req_slot = slot;
	return rc;
}

/* @rq holds the streaming mapping in ID slot @id_slot, if no request does. */
static void req_hold(struct ztrace_checker *c, struct request *rq, u32 slot, u32 id_slot)
{
	struct live *l = live_at(c, id_slot);

	if (l->holder == ZTRACE_NO_SLOT && l->kind != LIVE_ALLOC) {
		l->holder = slot;
		rq->held++;
	}
}

/*
 * After the ID checks passed: what the record did to its request, and
 * whether that was the request's last record.
 */
static void req_step(struct ztrace_checker *c, const struct ztrace_rec *rec)
{
	u32 slot = c->req_slot;
	struct request *rq = rq_at(c, slot);
	bool ended = false, over;

	if (is_device_work(rec->kind)) {
		if (rec->kind == ZTRACE_DMA)
			req_hold(c, rq, slot, c->slot);
		rq->dev = true;
		/* Device work alone on memory no request holds: a poll of a ring. */
		over = !rq->cpu && !rq->held;
	} else {
		if (makes_mapping(rec->kind) && !rq->dev)
			req_hold(c, rq, slot, c->slot);
		if (!makes_mapping(rec->kind)) {
			ended = true;
			if (live_at(c, c->slot)->holder == slot) {
				rq->held--;
				rq->releasing = true;
			}
		}
		rq->cpu = true;
		over = !rq->held && (rq->dev || ended);
	}
	if (over) {
		req_close(c, slot);
		c->req_event |= ZTRACE_REQ_CLOSED;
	}
}

/* A request that opened on a record the ID checks then refused never was. */
static void req_undo(struct ztrace_checker *c)
{
	if (c->req_event & ZTRACE_REQ_OPENED)
		req_close(c, c->req_slot);
	c->req_slot = ZTRACE_NO_SLOT;
	c->req_event = 0;
}

/* Detach: a function's open requests end with it (they hold nothing: no ID is live). */
static void req_close_fn(struct ztrace_checker *c, u32 fn)
{
	u32 i;

	for (i = 0; c->open[fn] && i < c->rq.nr; i++)
		if (rq_at(c, i)->open && rq_at(c, i)->fn == fn)
			req_close(c, i);
}

int ztrace_check(struct ztrace_checker *c, const struct ztrace_rec *rec,
		 struct ztrace_diag *diag)
{
	struct check k = { c, rec, &c->ids[rec->fn], diag };
	bool *attached = &c->attached[rec->fn];
	int rc;

	c->slot = ZTRACE_NO_SLOT;
	c->req_slot = ZTRACE_NO_SLOT;
	c->req_event = 0;
	/* Ticks and timers are the guest's, whichever function they name. */
	if (rec->kind == ZTRACE_TICK || rec->kind == ZTRACE_TIMERS) {
		if (c->ticked && rec->jiffies < c->jiffies)
			return check_fail(&k, "jiffies %" PRIu64 " before the last tick's %" PRIu64,
					  rec->jiffies, c->jiffies);
		c->ticked = true;
		c->jiffies = rec->jiffies;
		return 0;
	}
	if (rec->kind == ZTRACE_ATTACH) {
		if (*attached)
			return check_fail(&k, "function %u is already attached", rec->fn);
		*attached = true;
		return 0;
	}
	if (!*attached)
		return check_fail(&k, "function %u is not attached", rec->fn);
	if (rec->kind == ZTRACE_DETACH) {
		if (k.ids->nr)
			return check_fail(&k, "function %u still has %" PRIu64 " live mappings",
					  rec->fn, k.ids->nr);
		*attached = false;
		req_close_fn(c, rec->fn);
		return 0;
	}
	if (!(rec->flags & ZTRACE_HAS_REQ))
		return check_ids(&k);
	rc = req_begin(&k);
	if (rc)
		return rc;
	rc = check_ids(&k);
	if (rc)
		req_undo(c);
	else
		req_step(c, rec);
	return rc;
}
