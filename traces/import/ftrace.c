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
 */
#include <errno.h>
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

struct importer {
	struct ztrace_pos pos;
	struct ztrace_diag *diag;
	struct ztrace_header h;
	struct ztrace_writer *w;
	struct zpci_u64map ids;		/* handle -> ID, of live mappings */
	struct call ctx[NR_CTX];
	u64 next_id, t0, last_time;
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

/* "# zpcisim capture: k=v ...": the function and the guest. */
static int metadata(struct importer *im, char *line)
{
	char *tok[ZTRACE_TOKENS_MAX], *k, *v;
	int i, n;
	u64 val;

	line += strlen("# zpcisim capture:");
	n = ztrace_split(line, tok, &im->pos, im->diag);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		if (!ztrace_split_kv(tok[i], &k, &v) || ztrace_parse_u64(v, &val))
			continue;	/* words (workload=block, kernel=...) are for people */
		if (!strcmp(k, "memory"))
			im->h.guest_mem = val;
		else if (!strcmp(k, "cpus"))
			im->h.cpus = val;
		else if (!strcmp(k, "fid"))
			im->h.fn[0].fid = val;
		else if (!strcmp(k, "fh"))
			im->h.fn[0].fh = val & ~FH_ENABLED;
		else if (!strcmp(k, "pfgid"))
			im->h.fn[0].pfgid = val;
		else if (!strcmp(k, "sdma"))
			im->h.fn[0].sdma = val;
		else if (!strcmp(k, "edma"))
			im->h.fn[0].edma = val;
		else if (!strcmp(k, "refresh"))
			im->h.fn[0].refresh = val;
	}
	return 0;
}

/*
 * A call's record carries the time it was made, but an interrupt's calls
 * may have been written since: time must not go backwards in a trace.
 */
static int emit(struct importer *im, struct ztrace_rec *rec)
{
	if (rec->time < im->last_time)
		rec->time = im->last_time;
	im->last_time = rec->time;
	return ztrace_write(im->w, rec, im->diag);
}

/* The header is complete at the first event: write it and the attach. */
static int start(struct importer *im, const char *out, u64 now)
{
	struct ztrace_rec rec = { .kind = ZTRACE_ATTACH };

	if (!im->h.guest_mem || !im->h.fn[0].edma)
		return ztrace_error(im->diag, &im->pos,
				    "no '# zpcisim capture:' lines with memory= and edma= before the events");
	if (ztrace_create(out, ztrace_encoding_for(out), &im->h, &im->w, im->diag))
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

	c->mapping = false;
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
	c->alloc = false;
	if (zpci_u64map_put(&im->ids, handle, im->next_id++))
		return ztrace_error(im->diag, &im->pos, "out of memory");
	return emit(im, &rec) ? -EINVAL : flush_rpcits(im, c);
}

static int unmap(struct importer *im, enum ztrace_kind kind, u64 time, u64 handle)
{
	struct ztrace_rec rec = { .kind = kind, .time = time };
	u64 *id = zpci_u64map_find(&im->ids, handle);

	if (!id) {
		im->st->unknown_unmaps++;
		return 0;
	}
	rec.id = *id;
	zpci_u64map_remove(&im->ids, handle);
	if (kind == ZTRACE_FREE)
		im->st->frees++;
	else
		im->st->unmaps++;
	return emit(im, &rec);
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
		return unmap(im, ZTRACE_FREE, now, v);
	} else if (!strcmp(name, "unmap:")) {
		if (need(im, tok, n, "iova", &v))
			return -EINVAL;
		if (c->freeing) {
			c->freeing = false;	/* the free's own: already written */
			return 0;
		}
		return unmap(im, ZTRACE_UNMAP, now, v);
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
	return 0;	/* rpcit_ret, unmap_sg and others: nothing to write */
}

int ztrace_import_ftrace(const char *in, const char *out, struct ztrace_import_stats *st,
			 struct ztrace_diag *diag)
{
	struct importer im = { .pos = { in, 0 }, .diag = diag, .next_id = 1, .st = st };
	struct ztrace_lines lines;
	char *line, *tok[ZTRACE_TOKENS_MAX];
	size_t len;
	FILE *f = fopen(in, "r");
	int rc, n;

	memset(st, 0, sizeof(*st));
	if (!f)
		return ztrace_error(diag, &im.pos, "cannot open: %s", strerror(errno));
	im.h.cpus = 1;
	im.h.rpcit_log = true;
	im.h.nr_fns = 1;
	if (ztrace_lines_init(&lines, f, ZTRACE_LINE_MAX) || zpci_u64map_init(&im.ids)) {
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
	if (!rc)
		rc = ztrace_commit(im.w, diag) ? -EINVAL : 0;
	else if (im.w)
		ztrace_abort(im.w);
	zpci_u64map_destroy(&im.ids);
	ztrace_lines_destroy(&lines);
	fclose(f);
	return rc ? -EINVAL : 0;
}
