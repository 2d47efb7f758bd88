// SPDX-License-Identifier: MIT
/*
 * From a capture's ftrace text to a zpcisim trace.
 *
 * A DMA API call shows as several events on one CPU in one context: map
 * (size, direction), update (the table write, which has the physical
 * address), map_ret (the handle); alloc before the map of a coherent
 * allocation; free before the unmap it makes.  Since Linux 6.7 a coherent
 * allocation maps without a map call (alloc, update, alloc_ret: the
 * handle is the update's IOVA) and a free without an unmap call; the
 * returns end them.  An interrupt can run its own
 * calls in the middle of a task's, so the call in progress is kept per
 * context (task, softirq, hardirq, NMI), told apart by ftrace's flags.
 *
 * Requests (trace version 2) come from the virtio ring's call sequence
 * (FORMAT.md "Requests in captures"): in each context, a run of maps that
 * ends with a to-device map of 16 bytes per map before it, the request's
 * indirect descriptor table, is one request; the unmaps of its mappings
 * carry its req too.  A run's records, and whatever follows them, are held
 * back until it is known whether the run is a request.
 */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <zpci/u64map.h>
#include <ztrace/import.h>

#define DMA_MAPPING_ERROR	(~0ULL)
#define FH_ENABLED		0x80000000u

enum { CTX_TASK, CTX_SOFTIRQ, CTX_HARDIRQ, CTX_NMI, NR_CTX };

/* RPCITs a map issues (its own, a global flush when the allocator wraps). */
#define CALL_RPCITS	8

/* Records held back at most; a longer run is no request (FORMAT.md). */
#define HOLD_MAX	4096
#define NO_RUN		(-1)
#define NO_REQ		UINT64_MAX
/* A virtio indirect descriptor: what the table's map has per buffer. */
#define VRING_DESC_SIZE	16

/*
 * The call in progress in one context.  Its record is written when it
 * returns, with the time it was made, and the RPCITs it issued after it:
 * a replay expects a call's RPCITs after the call.
 */
struct call {
	bool mapping;		/* between map and map_ret */
	bool alloc;		/* ... for a coherent allocation of alloc_size */
	bool freeing;		/* between free and its unmap */
	u64 time, size, alloc_size, pa, iova;
	enum dma_data_direction dir;
	bool have_pa;
	struct ztrace_rec rpcits[CALL_RPCITS];
	unsigned int nr_rpcits;
};

/* A record held back, and the context whose open run it is a map of. */
struct held {
	struct ztrace_rec rec;
	int run;		/* NO_RUN: no run's */
};

struct importer {
	struct ztrace_pos pos;
	struct ztrace_diag *diag;
	struct ztrace_header h;
	struct ztrace_writer *w;
	struct zpci_u64map ids;		/* handle -> ID, of live mappings */
	struct zpci_u64map reqs;	/* ID -> req, of live mappings in a request */
	struct call ctx[NR_CTX];
	u32 run_maps[NR_CTX];		/* maps in each context's open run; 0: none */
	bool run_void[NR_CTX];		/* its run outgrew the hold: no part of it is a request */
	struct held *held;		/* in order, HOLD_MAX at most */
	u32 nr_held;
	u64 next_id, next_req, t0, last_time;
	unsigned long guest_line, fn_line;	/* the last line setting what each check reads */
	bool started;
	struct ztrace_import_stats *st;
};

/* "key=value" tokens of an event: the value of @key, or false. */
static bool arg(char **tok, int n, const char *key, u64 *val)
{
	size_t len = strlen(key);
	int i;

	for (i = 0; i < n; i++)
		if (!strncmp(tok[i], key, len) && tok[i][len] == '=')
			return !ztrace_parse_u64(tok[i] + len + 1, val);
	return false;
}

static int need(struct importer *im, char **tok, int n, const char *key, u64 *val)
{
	if (arg(tok, n, key, val))
		return 0;
	return ztrace_error(im->diag, &im->pos, "event without %s=", key);
}

/* The metadata keys a trace's header takes, and the most each field holds. */
enum meta_key { META_MEMORY, META_CPUS, META_FID, META_FH, META_PFGID, META_SDMA, META_EDMA,
		META_REFRESH, NR_META };

static const struct {
	const char *name;
	u64 max;
	size_t line;		/* where struct importer keeps the line that set it, or 0 */
} meta_keys[NR_META] = {
	[META_MEMORY]	= { "memory", UINT64_MAX, offsetof(struct importer, guest_line) },
	[META_CPUS]	= { "cpus", UINT32_MAX, offsetof(struct importer, guest_line) },
	[META_FID]	= { "fid", UINT32_MAX, 0 },
	[META_FH]	= { "fh", UINT32_MAX, 0 },
	[META_PFGID]	= { "pfgid", UINT8_MAX, 0 },
	[META_SDMA]	= { "sdma", UINT64_MAX, offsetof(struct importer, fn_line) },
	[META_EDMA]	= { "edma", UINT64_MAX, offsetof(struct importer, fn_line) },
	[META_REFRESH]	= { "refresh", 1, 0 },
};

static void meta_set(struct ztrace_header *h, enum meta_key k, u64 val)
{
	struct ztrace_fn *fn = &h->fn[0];

	switch (k) {
	case META_MEMORY: h->guest_mem = val; break;
	case META_CPUS: h->cpus = val; break;
	case META_FID: fn->fid = val; break;
	case META_FH: fn->fh = val & ~FH_ENABLED; break;
	case META_PFGID: fn->pfgid = val; break;
	case META_SDMA: fn->sdma = val; break;
	case META_EDMA: fn->edma = val; break;
	default: fn->refresh = val; break;
	}
}

/* "# zpcisim capture: k=v ...": the function and the guest. */
static int metadata(struct importer *im, char *line)
{
	char *tok[ZTRACE_TOKENS_MAX], *k, *v;
	int i, n, m;
	u64 val;

	line += strlen("# zpcisim capture:");
	n = ztrace_split(line, tok, &im->pos, im->diag);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (!ztrace_split_kv(tok[i], &k, &v) || ztrace_parse_u64(v, &val))
			continue;	/* words (workload=block, kernel=...) are for people */
		for (m = 0; m < NR_META && strcmp(k, meta_keys[m].name); m++)
			;
		if (m == NR_META)
			continue;
		/* Not cut to the field's width: pfgid=300 is no pfgid 44. */
		if (val > meta_keys[m].max)
			return ztrace_error(im->diag, &im->pos, "%s=%s is more than %" PRIu64, k, v,
					    meta_keys[m].max);
		meta_set(&im->h, m, val);
		if (meta_keys[m].line)
			*(unsigned long *)((char *)im + meta_keys[m].line) = im->pos.line;
	}
	return 0;
}

/*
 * The header the capture describes, by the rules a trace's reader applies,
 * named at the capture's line that last set the values refused.
 */
static int check_header(struct importer *im)
{
	struct ztrace_pos pos = { im->pos.file, im->guest_line };

	if (ztrace_guest_check(im->h.guest_mem, im->h.cpus, &pos, im->diag))
		return -EINVAL;
	pos.line = im->fn_line;
	return ztrace_fn_check(&im->h, 0, &pos, im->diag);
}

/* Write the held records up to the first map of a run still open. */
static int flush_held(struct importer *im)
{
	u32 n = 0;

	while (n < im->nr_held && im->held[n].run == NO_RUN)
		if (ztrace_write(im->w, &im->held[n++].rec, im->diag))
			return -EINVAL;
	memmove(im->held, im->held + n, (im->nr_held - n) * sizeof(*im->held));
	im->nr_held -= n;
	return 0;
}

/*
 * Context @run's run is over: a request @req (its maps get req=, and
 * their unmaps will), or none (NO_REQ).
 */
static int end_run(struct importer *im, int run, u64 req)
{
	u32 i;

	for (i = 0; i < im->nr_held; i++) {
		struct held *h = &im->held[i];

		if (h->run != run)
			continue;
		h->run = NO_RUN;
		if (req == NO_REQ)
			continue;
		h->rec.req = req;
		h->rec.flags |= ZTRACE_HAS_REQ;
		if (zpci_u64map_put(&im->reqs, h->rec.id, req))
			return ztrace_error(im->diag, &im->pos, "out of memory");
	}
	im->run_maps[run] = 0;
	return flush_held(im);
}

/* The hold is full (@overflow) or the capture over: no open run is a request. */
static int end_all_runs(struct importer *im, bool overflow)
{
	int i;

	for (i = 0; i < NR_CTX; i++) {
		if (!im->run_maps[i])
			continue;
		im->run_void[i] = overflow;
		if (end_run(im, i, NO_REQ))
			return -EINVAL;
	}
	return 0;
}

/* Context @run made a call other than a map: its run, if any, is over. */
static int break_run(struct importer *im, int run)
{
	im->run_void[run] = false;
	return im->run_maps[run] ? end_run(im, run, NO_REQ) : 0;
}

/*
 * Out, or held back behind a run not yet over (@run: the context whose
 * run @rec is a map of).  A call's record carries the time it was made,
 * but an interrupt's calls may have been written since: time must not go
 * backwards in a trace.
 */
static int emit_in(struct importer *im, struct ztrace_rec *rec, int run)
{
	if (rec->time < im->last_time)
		rec->time = im->last_time;
	im->last_time = rec->time;
	if (run == NO_RUN && !im->nr_held)
		return ztrace_write(im->w, rec, im->diag);
	/* Too long to be one request: none of the runs is. */
	if (im->nr_held == HOLD_MAX && end_all_runs(im, true))
		return -EINVAL;
	if (run == NO_RUN && !im->nr_held)
		return ztrace_write(im->w, rec, im->diag);
	im->held[im->nr_held++] = (struct held){ *rec, run };
	return 0;
}

static int emit(struct importer *im, struct ztrace_rec *rec)
{
	return emit_in(im, rec, NO_RUN);
}

/* A map in context @run: the next of its run, or the table that makes it a request. */
static int emit_map(struct importer *im, struct ztrace_rec *rec, int run)
{
	u32 maps;
	int rc;

	/* Too long to be one request: none of the runs is, nor their rest. */
	if (im->nr_held == HOLD_MAX && end_all_runs(im, true))
		return -EINVAL;
	if (im->run_void[run])
		return emit(im, rec);
	maps = im->run_maps[run];
	rc = emit_in(im, rec, run);
	if (rc)
		return rc;
	if (maps >= 2 && rec->dir == DMA_TO_DEVICE && rec->len == (u64)maps * VRING_DESC_SIZE) {
		im->st->requests++;
		return end_run(im, run, im->next_req++);
	}
	im->run_maps[run]++;
	return 0;
}

/* An unmap of a map still held in an open run: that run is no request. */
static int end_run_of(struct importer *im, u64 id)
{
	u32 i;

	for (i = 0; i < im->nr_held; i++)
		if (im->held[i].run != NO_RUN && im->held[i].rec.id == id &&
		    (im->held[i].rec.kind == ZTRACE_MAP))
			return end_run(im, im->held[i].run, NO_REQ);
	return 0;
}

/* The header is complete at the first event: write it and the attach. */
static int start(struct importer *im, const char *out, u64 now)
{
	struct ztrace_rec rec = { .kind = ZTRACE_ATTACH };
	const char *inputs[] = { im->pos.file, NULL };

	if (!im->h.guest_mem || !im->h.fn[0].edma)
		return ztrace_error(im->diag, &im->pos,
				    "no '# zpcisim capture:' lines with memory= and edma= before the events");
	if (check_header(im))
		return -EINVAL;
	if (ztrace_create(out, ztrace_encoding_for(out), &im->h, inputs, &im->w, im->diag))
		return -EINVAL;
	im->started = true;
	im->t0 = now;
	return emit(im, &rec);
}

/* ftrace's "SECONDS.MICROS:" as ns. */
static bool timestamp(const char *tok, u64 *ns)
{
	char *end;
	unsigned long long s = strtoull(tok, &end, 10), us;

	if (end == tok || *end != '.')
		return false;
	us = strtoull(end + 1, &end, 10);
	if (strcmp(end, ":"))
		return false;
	*ns = s * 1000000000ULL + us * 1000;
	return true;
}

static int context(const char *flags)
{
	switch (strlen(flags) > 2 ? flags[2] : '.') {
	case 's':
		return CTX_SOFTIRQ;
	case 'h':
	case 'H':
		return CTX_HARDIRQ;
	case 'z':
	case 'Z':
		return CTX_NMI;
	default:
		return CTX_TASK;
	}
}

/* The RPCITs the call issued, after it. */
static int flush_rpcits(struct importer *im, struct call *c)
{
	unsigned int i;

	for (i = 0; i < c->nr_rpcits; i++)
		if (emit(im, &c->rpcits[i]))
			return -EINVAL;
	c->nr_rpcits = 0;
	return 0;
}

/* A map's table update and handle are still to come. */
static void begin_map(struct call *c, u64 now)
{
	c->mapping = true;
	c->have_pa = false;
	c->time = now;
}

static int map_done(struct importer *im, struct call *c, u64 handle)
{
	struct ztrace_rec rec = { .time = c->time, .id = im->next_id, .iova = handle,
				  .flags = ZTRACE_HAS_IOVA };
	int run = c - im->ctx, rc;

	c->mapping = false;
	/* Only maps make a run: a failed one or an allocation ends it. */
	if ((handle == DMA_MAPPING_ERROR || c->alloc) && break_run(im, run))
		return -EINVAL;
	if (handle == DMA_MAPPING_ERROR) {
		im->st->failed_maps++;
		c->alloc = false;
		return flush_rpcits(im, c);
	}
	if (!c->have_pa)
		return ztrace_error(im->diag, &im->pos, "map returned with no table update before it");
	/*
	 * Up to 6.6 the update has the buffer's address, since only its page;
	 * the handle has the offset in the page either way.
	 */
	rec.pa = (c->pa & ZPCI_PAGE_MASK) | (handle & ~ZPCI_PAGE_MASK);
	if (c->alloc) {
		rec.kind = ZTRACE_ALLOC;
		rec.len = c->alloc_size;
		im->st->allocs++;
	} else {
		rec.kind = ZTRACE_MAP;
		rec.len = c->size;
		rec.dir = c->dir;
		im->st->maps++;
	}
	if (zpci_u64map_put(&im->ids, handle, im->next_id++))
		return ztrace_error(im->diag, &im->pos, "out of memory");
	rc = c->alloc ? emit(im, &rec) : emit_map(im, &rec, run);
	c->alloc = false;
	return rc ? -EINVAL : flush_rpcits(im, c);
}

/*
 * An unmap or free in context @run ends that context's run; one of a map
 * still held in another's run ends that one too (no request unmaps a
 * buffer before the device had it); one of a request's mapping is a step
 * of the request.
 */
static int unmap(struct importer *im, int run, enum ztrace_kind kind, u64 time, u64 handle)
{
	struct ztrace_rec rec = { .kind = kind, .time = time };
	u64 *id = zpci_u64map_find(&im->ids, handle), *req;

	if (break_run(im, run))
		return -EINVAL;
	if (!id) {
		im->st->unknown_unmaps++;
		return 0;
	}
	rec.id = *id;
	zpci_u64map_remove(&im->ids, handle);
	if (end_run_of(im, rec.id))
		return -EINVAL;
	req = zpci_u64map_find(&im->reqs, rec.id);
	if (req) {
		rec.req = *req;
		rec.flags |= ZTRACE_HAS_REQ;
		zpci_u64map_remove(&im->reqs, rec.id);
	}
	if (kind == ZTRACE_FREE)
		im->st->frees++;
	else
		im->st->unmaps++;
	return emit(im, &rec);
}

/* An event of a name the importer does not know (@name ends with ':'). */
static void count_unknown(struct ztrace_import_stats *st, const char *name)
{
	char shown[sizeof(st->unknown[0].name)];
	size_t len;
	u32 i;

	/* Names are input: shown escaped, as in any message. */
	ztrace_escape(shown, sizeof(shown), name);
	name = shown;
	len = strlen(name) - (name[strlen(name) - 1] == ':');

	st->unknown_events++;
	for (i = 0; i < st->nr_unknown; i++)
		if (strlen(st->unknown[i].name) == len && !strncmp(st->unknown[i].name, name, len))
			break;
	if (i == st->nr_unknown) {
		if (i == ZTRACE_IMPORT_UNKNOWN_NAMES)
			return;
		snprintf(st->unknown[i].name, sizeof(st->unknown[i].name), "%.*s", (int)len, name);
		st->nr_unknown++;
	}
	st->unknown[i].count++;
}

static int event(struct importer *im, const char *out, char **tok, int n)
{
	int i, ev = -1;
	u64 now, v, a, b;
	struct call *c;

	/* TASK-PID [CPU] FLAGS TIMESTAMP: NAME: (...) key=value... */
	for (i = 0; i + 1 < n && ev < 0; i++)
		if (timestamp(tok[i], &now))
			ev = i + 1;
	if (ev < 2 || ev >= n)
		return ztrace_error(im->diag, &im->pos, "not an ftrace event line");
	if (!im->started && start(im, out, now))
		return -EINVAL;
	im->st->events++;
	now -= im->t0;
	c = &im->ctx[context(tok[ev - 2])];
	const char *name = tok[ev];

	if (!strcmp(name, "alloc:")) {
		if (need(im, tok, n, "size", &c->alloc_size))
			return -EINVAL;
		c->alloc = true;
		begin_map(c, now);
	} else if (!strcmp(name, "alloc_ret:")) {
		if (need(im, tok, n, "addr", &v))
			return -EINVAL;
		if (!c->alloc)
			return 0;	/* its map call returned the handle */
		return map_done(im, c, v && c->have_pa ? c->iova : DMA_MAPPING_ERROR);
	} else if (!strcmp(name, "free_ret:")) {
		c->freeing = false;
	} else if (!strcmp(name, "map:")) {
		if (need(im, tok, n, "size", &c->size) || need(im, tok, n, "dir", &v))
			return -EINVAL;
		if (v > DMA_NONE)
			return ztrace_error(im->diag, &im->pos, "direction %" PRIu64 " is not one", v);
		c->dir = v;
		begin_map(c, now);
	} else if (!strcmp(name, "update:")) {
		/* Up to 6.6 the update also invalidates (flags); since, it only maps. */
		if (need(im, tok, n, "pa", &a) || need(im, tok, n, "iova", &b))
			return -EINVAL;
		if (!arg(tok, n, "flags", &v))
			v = 0;
		if (c->mapping && !c->have_pa && !(v & ZPCI_PTE_INVALID)) {
			c->pa = a;
			c->iova = b;
			c->have_pa = true;
		}
	} else if (!strcmp(name, "map_ret:")) {
		if (need(im, tok, n, "iova", &v))
			return -EINVAL;
		if (!c->mapping)
			return ztrace_error(im->diag, &im->pos, "map returned without a map");
		return map_done(im, c, v);
	} else if (!strcmp(name, "free:")) {
		if (need(im, tok, n, "iova", &v))
			return -EINVAL;
		c->freeing = true;
		return unmap(im, c - im->ctx, ZTRACE_FREE, now, v);
	} else if (!strcmp(name, "unmap:")) {
		if (need(im, tok, n, "iova", &v))
			return -EINVAL;
		if (c->freeing) {
			c->freeing = false;	/* the free's own: already written */
			return 0;
		}
		return unmap(im, c - im->ctx, ZTRACE_UNMAP, now, v);
	} else if (!strcmp(name, "rpcit:")) {
		struct ztrace_rec rec = { .kind = ZTRACE_RPCIT, .time = now };

		if (need(im, tok, n, "fn", &v) || need(im, tok, n, "addr", &a) ||
		    need(im, tok, n, "range", &b))
			return -EINVAL;
		if (((v >> 32) & ~FH_ENABLED) != im->h.fn[0].fh)
			return 0;	/* another function's */
		rec.iova = a;
		rec.len = b;
		im->st->rpcits++;
		if (!c->mapping)
			return emit(im, &rec);
		if (c->nr_rpcits == CALL_RPCITS)
			return ztrace_error(im->diag, &im->pos, "more than %d RPCITs in one map",
					    CALL_RPCITS);
		c->rpcits[c->nr_rpcits++] = rec;
		return 0;
	} else if (!strcmp(name, "tick:") || !strcmp(name, "timers:")) {
		struct ztrace_rec rec = { .kind = strcmp(name, "tick:") ? ZTRACE_TIMERS : ZTRACE_TICK,
					  .time = now };

		if (need(im, tok, n, "jiffies", &rec.jiffies))
			return -EINVAL;
		im->st->ticks += rec.kind == ZTRACE_TICK;
		return emit(im, &rec);
	} else if (!strcmp(name, "map_sg:") || !strcmp(name, "unmap_sg:")) {
		return ztrace_error(im->diag, &im->pos,
				    "%s scatter-gather lists are not imported: the capture has no elements",
				    name);
	}
	if (strcmp(name, "rpcit_ret:"))
		count_unknown(im->st, name);
	return 0;	/* rpcit_ret: nothing to write */
}

/* Every event unknown: a capture by other probes, nothing of it is a trace. */
static int none_known(struct importer *im)
{
	struct ztrace_pos pos = { im->pos.file, 0 };

	return ztrace_error(im->diag, &pos, "none of its %" PRIu64 " events is one the importer "
			    "knows (the first: '%s'); traces/capture/guest-init.sh names the probes",
			    im->st->events, im->st->unknown[0].name);
}

/* A compressed capture, told by its first bytes: named, not read as text. */
static int compressed(FILE *f, const struct ztrace_pos *pos, struct ztrace_diag *diag)
{
	unsigned char magic[8];
	size_t n = fread(magic, 1, sizeof(magic), f);
	const char *what = ztrace_compression(magic, n);

	rewind(f);
	if (what)
		return ztrace_error(diag, pos, "%s-compressed: decompress it first", what);
	return 0;
}

int ztrace_import_ftrace(const char *in, const char *out, struct ztrace_import_stats *st,
			 struct ztrace_diag *diag)
{
	struct importer im = { .pos = { in, 0 }, .diag = diag, .next_id = 1, .next_req = 1,
			       .st = st };
	struct ztrace_lines lines;
	char *line, *tok[ZTRACE_TOKENS_MAX];
	size_t len;
	FILE *f = fopen(in, "r");
	int rc, n;

	memset(st, 0, sizeof(*st));
	if (!f)
		return ztrace_error(diag, &im.pos, "cannot open: %s", strerror(errno));
	if (compressed(f, &im.pos, diag)) {
		fclose(f);
		return -EINVAL;
	}
	im.h.version = ZTRACE_VERSION;	/* its requests (2), its end marker (3) */
	im.h.cpus = 1;
	im.h.rpcit_log = true;
	im.h.nr_fns = 1;
	im.held = malloc(HOLD_MAX * sizeof(*im.held));
	if (!im.held || ztrace_lines_init(&lines, f, ZTRACE_LINE_MAX) ||
	    zpci_u64map_init(&im.ids) || zpci_u64map_init(&im.reqs)) {
		free(im.held);
		zpci_u64map_destroy(&im.ids);
		fclose(f);
		return ztrace_error(diag, &im.pos, "out of memory");
	}
	while ((rc = ztrace_lines_next(&lines, &im.pos, &line, &len, diag)) == 1) {
		if (!strncmp(line, "# zpcisim capture:", strlen("# zpcisim capture:"))) {
			rc = metadata(&im, line);
		} else {
			n = ztrace_split(line, tok, &im.pos, diag);
			rc = n <= 0 ? n : event(&im, out, tok, n);
		}
		if (rc)
			break;
	}
	if (!rc && !im.started)
		rc = ztrace_error(diag, &im.pos, "no events");
	if (!rc && st->unknown_events == st->events)
		rc = none_known(&im);
	/* The capture ends: a run still open is no request. */
	if (!rc)
		rc = end_all_runs(&im, false);
	if (!rc)
		rc = ztrace_commit(im.w, diag) ? -EINVAL : 0;
	else if (im.w)
		ztrace_abort(im.w);
	zpci_u64map_destroy(&im.ids);
	zpci_u64map_destroy(&im.reqs);
	free(im.held);
	ztrace_lines_destroy(&lines);
	fclose(f);
	return rc ? -EINVAL : 0;
}
