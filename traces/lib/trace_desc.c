// SPDX-License-Identifier: MIT
/*
 * Record kinds, header and text records.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "trace_internal.h"

static const char *const dir_names[] = {
	[DMA_BIDIRECTIONAL] = "bidirectional",
	[DMA_TO_DEVICE] = "to-device",
	[DMA_FROM_DEVICE] = "from-device",
	[DMA_NONE] = "none",
};

static const char *const access_names[] = {
	[ZPCI_DMA_READ] = "read",
	[ZPCI_DMA_WRITE] = "write",
};

/* Record keys: the name of ZTRACE_HAS_* bit k, its largest value and the version it came in. */
static const struct {
	const char *name;
	u64 max;
	u32 version;
} rec_keys[] = {
	{ "iova", UINT64_MAX, 1 },
	{ "cpu", UINT32_MAX, 1 },
	{ "req", ZTRACE_REQ_MAX, 2 },
};
#define NR_KEYS	ZPCI_ARRAY_SIZE(rec_keys)

const char *ztrace_kind_name(enum ztrace_kind kind)
{
	return (unsigned int)kind < ZTRACE_NR_KINDS ? ztrace_kinds[kind].name : "unknown";
}

/* Append printf output at *used; false when it does not fit. */
static bool append(char *buf, size_t len, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *used)
		return false;
	*used += n;
	return true;
}

/* Header */

struct header_key {
	const char *name;
	u64 max;
	bool required;
	u32 version;		/* the format version it came in */
};

/* A key of a later version than the trace says it is. */
static int too_new(const char *what, u32 key_version, u32 version, const struct ztrace_pos *pos,
		   struct ztrace_diag *diag)
{
	return ztrace_error(diag, pos, "%s needs 'zpci-trace %u', this trace is version %u", what,
			    key_version, version);
}

/* Parse key=value tokens [first, n) against @keys into @vals, for a trace of @version. */
static int parse_keys(int n, char **tok, int first, const struct header_key *keys, int nr_keys,
		      u64 *vals, u32 version, const struct ztrace_pos *pos,
		      struct ztrace_diag *diag)
{
	bool seen[8] = { false };
	char what[64];
	int i, k;

	for (i = first; i < n; i++) {
		char *key, *val;

		if (!ztrace_split_kv(tok[i], &key, &val))
			return ztrace_error(diag, pos, "'%s' is not KEY=VALUE", tok[i]);
		for (k = 0; k < nr_keys && strcmp(key, keys[k].name); k++)
			;
		if (k == nr_keys)
			return ztrace_error(diag, pos, "unknown key '%s' for '%s'", key, tok[0]);
		if (seen[k])
			return ztrace_error(diag, pos, "%s= given twice for '%s'", key, tok[0]);
		if (keys[k].version > version) {
			snprintf(what, sizeof(what), "%s=", key);
			return too_new(what, keys[k].version, version, pos, diag);
		}
		if (ztrace_parse_u64(val, &vals[k]) || vals[k] > keys[k].max)
			return ztrace_error(diag, pos, "%s=%s is not a number up to %" PRIu64,
					    key, val, keys[k].max);
		seen[k] = true;
	}
	for (k = 0; k < nr_keys; k++)
		if (keys[k].required && !seen[k])
			return ztrace_error(diag, pos, "'%s' needs %s=", tok[0], keys[k].name);
	return 0;
}

#define MAX_GUEST_MEM	(1ULL << 52)
#define MAX_CPUS	4096

int ztrace_guest_check(u64 memory, u64 cpus, const struct ztrace_pos *pos,
		       struct ztrace_diag *diag)
{
	if (!memory || memory % ZPCI_PAGE_SIZE)
		return ztrace_error(diag, pos, "guest memory %" PRIu64 " is not a multiple of 4K",
				    memory);
	if (memory > MAX_GUEST_MEM)
		return ztrace_error(diag, pos, "guest memory %#" PRIx64 " is more than %#llx", memory,
				    MAX_GUEST_MEM);
	if (!cpus)
		return ztrace_error(diag, pos, "guest cpus must be at least 1");
	if (cpus > MAX_CPUS)
		return ztrace_error(diag, pos, "guest cpus %" PRIu64 " is more than %d", cpus, MAX_CPUS);
	return 0;
}

int ztrace_fn_check(const struct ztrace_header *h, u32 i, const struct ztrace_pos *pos,
		    struct ztrace_diag *diag)
{
	const struct ztrace_fn *fn = &h->fn[i];

	if (fn->edma < fn->sdma)
		return ztrace_error(diag, pos, "function %u: edma below sdma", i);
	if (fn->queue_depth > ZTRACE_MAX_QUEUE_DEPTH)
		return ztrace_error(diag, pos, "function %u: queue depth %u is more than %d", i,
				    fn->queue_depth, ZTRACE_MAX_QUEUE_DEPTH);
	if (fn->queue_depth && ztrace_header_version(h) < 2)
		return ztrace_error(diag, pos, "function %u: a queue depth needs version 2", i);
	return 0;
}

static int header_guest(struct ztrace_header *h, int n, char **tok,
			const struct ztrace_pos *pos, struct ztrace_diag *diag)
{
	static const struct header_key keys[] = {
		{ "memory", MAX_GUEST_MEM, true, 1 },
		{ "cpus", MAX_CPUS, false, 1 },
		{ "rpcit-log", 1, false, 1 },
	};
	u64 v[3] = { 0, 1, 0 };
	int rc = parse_keys(n, tok, 1, keys, 3, v, h->version, pos, diag);

	if (rc)
		return rc;
	rc = ztrace_guest_check(v[0], v[1], pos, diag);
	if (rc)
		return rc;
	h->guest_mem = v[0];
	h->cpus = v[1];
	h->rpcit_log = v[2];
	return 0;
}

static int header_function(struct ztrace_header *h, int n, char **tok,
			   const struct ztrace_pos *pos, struct ztrace_diag *diag)
{
	static const struct header_key keys[] = {
		{ "fid", UINT32_MAX, true, 1 },
		{ "fh", UINT32_MAX, true, 1 },
		{ "pfgid", 255, false, 1 },
		{ "sdma", UINT64_MAX, true, 1 },
		{ "edma", UINT64_MAX, true, 1 },
		{ "refresh", 1, false, 1 },
		{ "queue-depth", ZTRACE_MAX_QUEUE_DEPTH, false, 2 },
	};
	u64 v[7] = { 0 }, nr;
	struct ztrace_fn *fn;
	int rc;

	if (n < 2 || ztrace_parse_u64(tok[1], &nr))
		return ztrace_error(diag, pos, "'function' needs its number first");
	if (nr != h->nr_fns)
		return ztrace_error(diag, pos, "function %s out of order, expected %u",
				    tok[1], h->nr_fns);
	if (h->nr_fns == ZTRACE_MAX_FNS)
		return ztrace_error(diag, pos, "more than %d functions", ZTRACE_MAX_FNS);
	rc = parse_keys(n, tok, 2, keys, 7, v, h->version, pos, diag);
	if (rc)
		return rc;
	fn = &h->fn[h->nr_fns];
	fn->fid = v[0];
	fn->fh = v[1];
	fn->pfgid = v[2];
	fn->sdma = v[3];
	fn->edma = v[4];
	fn->refresh = v[5];
	fn->queue_depth = v[6];
	rc = ztrace_fn_check(h, h->nr_fns, pos, diag);
	if (!rc)
		h->nr_fns++;
	return rc;
}

int ztrace_header_line(struct ztrace_header *h, bool *seen_guest, int n, char **tok,
		       const struct ztrace_pos *pos, struct ztrace_diag *diag)
{
	int rc;

	if (!strcmp(tok[0], "guest")) {
		if (*seen_guest)
			return ztrace_error(diag, pos, "'guest' given twice");
		*seen_guest = true;
		rc = header_guest(h, n, tok, pos, diag);
	} else if (!strcmp(tok[0], "function")) {
		rc = header_function(h, n, tok, pos, diag);
	} else {
		return 0;
	}
	return rc ? rc : 1;
}

int ztrace_header_finish(const struct ztrace_header *h, bool seen_guest,
			 const struct ztrace_pos *pos, struct ztrace_diag *diag)
{
	if (!seen_guest)
		return ztrace_error(diag, pos, "header has no 'guest' line");
	if (!h->nr_fns)
		return ztrace_error(diag, pos, "header has no 'function' line");
	return 0;
}

u32 ztrace_header_version(const struct ztrace_header *h)
{
	return h->version ? h->version : ZTRACE_VERSION;
}

int ztrace_text_end(const struct ztrace_header *h, int n, char **tok, u64 *records,
		    const struct ztrace_pos *pos, struct ztrace_diag *diag)
{
	static const struct header_key keys[] = { { "records", UINT64_MAX, true, 3 } };

	if (strcmp(tok[0], "end"))
		return 0;
	if (h->version < 3)
		return too_new("'end'", 3, h->version, pos, diag);
	if (parse_keys(n, tok, 1, keys, 1, records, h->version, pos, diag))
		return -EINVAL;
	return 1;
}

int ztrace_format_end(u64 records, char *buf, size_t len)
{
	size_t used = 0;

	return append(buf, len, &used, "end records=%" PRIu64 "\n", records) ? (int)used : -ENOSPC;
}

int ztrace_format_header(const struct ztrace_header *h, char *buf, size_t len)
{
	size_t used = 0;
	bool ok;
	u32 i;

	ok = append(buf, len, &used, "zpci-trace %u\nguest memory=%#" PRIx64 " cpus=%u rpcit-log=%d\n",
		    ztrace_header_version(h), h->guest_mem, h->cpus, h->rpcit_log);
	for (i = 0; ok && i < h->nr_fns; i++) {
		const struct ztrace_fn *f = &h->fn[i];

		ok = append(buf, len, &used,
			    "function %u fid=%#x fh=%#x pfgid=%u sdma=%#" PRIx64 " edma=%#" PRIx64
			    " refresh=%d", i, f->fid, f->fh, f->pfgid, f->sdma, f->edma, f->refresh);
		/* Written only when given: version 1 has no such key. */
		if (ok && f->queue_depth)
			ok = append(buf, len, &used, " queue-depth=%u", f->queue_depth);
		if (ok)
			ok = append(buf, len, &used, "\n");
	}
	return ok ? (int)used : -ENOSPC;
}

/* Text records */

/* Names differ in their first letter mostly: a call to strcmp() only then. */
static bool same_name(const char *a, const char *b)
{
	return a[0] == b[0] && !strcmp(a, b);
}

static int parse_enum(const char *tok, const char *const *names, int nr, int *out)
{
	int i;

	for (i = 0; i < nr; i++)
		if (same_name(tok, names[i])) {
			*out = i;
			return 0;
		}
	return -EINVAL;
}

static int parse_sg(char *tok, struct ztrace_rec *rec, struct ztrace_sg *sg,
		    const struct ztrace_pos *pos, struct ztrace_diag *diag)
{
	char *elem, *save = NULL;

	rec->nr_sg = 0;
	for (elem = strtok_r(tok, ",", &save); elem; elem = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(elem, ':');

		if (rec->nr_sg == ZTRACE_MAX_SG)
			return ztrace_error(diag, pos, "more than %d scatter-gather elements",
					    ZTRACE_MAX_SG);
		if (!colon)
			return ztrace_error(diag, pos, "scatter-gather element '%s' is not PA:LEN", elem);
		*colon = '\0';
		if (ztrace_parse_u64(elem, &sg[rec->nr_sg].pa) ||
		    ztrace_parse_u64(colon + 1, &sg[rec->nr_sg].len))
			return ztrace_error(diag, pos, "scatter-gather element '%s:%s' is not PA:LEN",
					    elem, colon + 1);
		rec->nr_sg++;
	}
	if (!rec->nr_sg)
		return ztrace_error(diag, pos, "empty scatter-gather list");
	rec->sg = sg;
	return 0;
}

static int parse_arg(const struct ztrace_kind_desc *d, enum ztrace_arg a, char *tok,
		     struct ztrace_rec *rec, struct ztrace_sg *sg,
		     const struct ztrace_pos *pos, struct ztrace_diag *diag)
{
	static const char *const arg_names[] = { "ID", "PA", "LEN", "OFF", "IOVA", "JIFFIES" };
	int v;

	switch (a) {
	case ARG_DIR:
		if (parse_enum(tok, dir_names, 4, &v))
			return ztrace_error(diag, pos, "direction '%s', expected bidirectional, "
					    "to-device, from-device or none", tok);
		rec->dir = v;
		return 0;
	case ARG_ACCESS:
		if (parse_enum(tok, access_names, 2, &v))
			return ztrace_error(diag, pos, "access '%s', expected read or write", tok);
		rec->access = v;
		return 0;
	case ARG_SG:
		return parse_sg(tok, rec, sg, pos, diag);
	default:
		if (ztrace_parse_u64(tok, ztrace_arg_slot(rec, a)))
			return ztrace_error(diag, pos, "%s: %s '%s' is not a number", d->name,
					    arg_names[a], tok);
		return 0;
	}
}

static int parse_key(const struct ztrace_header *h, const struct ztrace_kind_desc *d, char *tok,
		     struct ztrace_rec *rec, const struct ztrace_pos *pos,
		     struct ztrace_diag *diag)
{
	char *key, *val, what[64];
	u64 v;
	int k;

	if (!ztrace_split_kv(tok, &key, &val))
		return ztrace_error(diag, pos, "%s: unexpected '%s' after its arguments", d->name, tok);
	for (k = 0; k < (int)NR_KEYS && !same_name(key, rec_keys[k].name); k++)
		;
	if (k == (int)NR_KEYS || !(d->keys & (1 << k)))
		return ztrace_error(diag, pos, "%s: unknown key '%s'", d->name, key);
	/* Not the last one winning: which one the writer meant is unknown. */
	if (rec->flags & (1 << k))
		return ztrace_error(diag, pos, "%s: %s= given twice", d->name, key);
	if (rec_keys[k].version > h->version) {
		snprintf(what, sizeof(what), "%s: %s=", d->name, key);
		return too_new(what, rec_keys[k].version, h->version, pos, diag);
	}
	/* Version 1's keys say it as they always did. */
	if (ztrace_parse_u64(val, &v) || (v > rec_keys[k].max && rec_keys[k].version == 1))
		return ztrace_error(diag, pos, "%s: %s=%s is not a number", d->name, key, val);
	if (v > rec_keys[k].max)
		return ztrace_error(diag, pos, "%s: %s=%s is more than %" PRIu64, d->name, key, val,
				    rec_keys[k].max);
	rec->flags |= 1 << k;
	switch (1 << k) {
	case ZTRACE_HAS_IOVA:
		rec->iova = v;
		break;
	case ZTRACE_HAS_CPU:
		rec->cpu = v;
		break;
	default:
		rec->req = v;
	}
	return 0;
}

/* The kinds a record may be, from the table, so the message never falls behind it. */
static int unknown_kind(const char *tok, const struct ztrace_pos *pos, struct ztrace_diag *diag)
{
	char names[256];
	size_t used = 0;
	int i;

	names[0] = '\0';
	for (i = 0; i < ZTRACE_NR_KINDS; i++)
		append(names, sizeof(names), &used, "%s%s", i ? ", " : "", ztrace_kinds[i].name);
	return ztrace_error(diag, pos, "unknown record '%s', expected one of %s", tok, names);
}

int ztrace_text_parse(const struct ztrace_header *h, int n, char **tok, struct ztrace_rec *rec,
		      struct ztrace_sg *sg, const struct ztrace_pos *pos,
		      struct ztrace_diag *diag)
{
	const struct ztrace_kind_desc *d = NULL;
	u64 fn;
	int i, rc;

	ztrace_rec_clear(rec);
	if (n < 3)
		return ztrace_error(diag, pos, "record needs TIME FN KIND, found %d field%s", n,
				    n == 1 ? "" : "s");
	if (ztrace_parse_u64(tok[0], &rec->time))
		return ztrace_error(diag, pos, "time '%s' is not a number", tok[0]);
	if (ztrace_parse_u64(tok[1], &fn) || fn >= h->nr_fns)
		return ztrace_error(diag, pos, "function '%s' is not one of the header's 0-%u",
				    tok[1], h->nr_fns - 1);
	rec->fn = fn;
	for (i = 0; i < ZTRACE_NR_KINDS && !d; i++)
		if (same_name(tok[2], ztrace_kinds[i].name))
			d = &ztrace_kinds[i];
	if (!d)
		return unknown_kind(tok[2], pos, diag);
	rec->kind = d - ztrace_kinds;
	if (n - 3 < d->nr_args)
		return ztrace_error(diag, pos, "%s takes %d argument%s, found %d", d->name,
				    d->nr_args, d->nr_args == 1 ? "" : "s", n - 3);
	for (i = 0; i < d->nr_args; i++) {
		rc = parse_arg(d, d->args[i], tok[3 + i], rec, sg, pos, diag);
		if (rc)
			return rc;
	}
	for (i = 3 + d->nr_args; i < n; i++) {
		rc = parse_key(h, d, tok[i], rec, pos, diag);
		if (rc)
			return rc;
	}
	return 0;
}

int ztrace_rec_valid(const struct ztrace_header *h, const struct ztrace_rec *rec,
		     struct ztrace_diag *diag)
{
	const struct ztrace_pos none = { "record", 0 };

	if ((unsigned int)rec->kind >= ZTRACE_NR_KINDS)
		return ztrace_error(diag, &none, "unknown kind %d", rec->kind);
	if (rec->fn >= h->nr_fns)
		return ztrace_error(diag, &none, "function %u not in the header", rec->fn);
	if (rec->flags & ~ztrace_kinds[rec->kind].keys)
		return ztrace_error(diag, &none, "%s: keys not allowed for it", ztrace_kind_name(rec->kind));
	if ((rec->flags & ZTRACE_HAS_REQ) && ztrace_header_version(h) < 2)
		return ztrace_error(diag, &none, "%s: req= needs a version-2 trace",
				    ztrace_kind_name(rec->kind));
	if ((rec->flags & ZTRACE_HAS_REQ) && rec->req > ZTRACE_REQ_MAX)
		return ztrace_error(diag, &none, "%s: req %" PRIu64 " is reserved",
				    ztrace_kind_name(rec->kind), rec->req);
	if (rec->kind == ZTRACE_MAP_SG && (!rec->nr_sg || rec->nr_sg > ZTRACE_MAX_SG))
		return ztrace_error(diag, &none, "map-sg with %u elements", rec->nr_sg);
	if ((unsigned int)rec->dir > DMA_NONE || (unsigned int)rec->access > ZPCI_DMA_WRITE)
		return ztrace_error(diag, &none, "bad direction or access");
	return 0;
}


static bool format_arg(const struct ztrace_rec *rec, enum ztrace_arg a, char *buf, size_t len,
		       size_t *used)
{
	u32 i;
	bool ok;

	switch (a) {
	case ARG_DIR:
		return append(buf, len, used, " %s", dir_names[rec->dir]);
	case ARG_ACCESS:
		return append(buf, len, used, " %s", access_names[rec->access]);
	case ARG_SG:
		ok = true;
		for (i = 0; ok && i < rec->nr_sg; i++)
			ok = append(buf, len, used, "%s%#" PRIx64 ":%" PRIu64, i ? "," : " ",
				    rec->sg[i].pa, rec->sg[i].len);
		return ok;
	case ARG_ID:
	case ARG_LEN:
	case ARG_OFF:
	case ARG_JIFFIES:
		return append(buf, len, used, " %" PRIu64,
			      *ztrace_arg_slot((struct ztrace_rec *)rec, a));
	default:
		return append(buf, len, used, " %#" PRIx64,
			      *ztrace_arg_slot((struct ztrace_rec *)rec, a));
	}
}

int ztrace_format(const struct ztrace_rec *rec, char *buf, size_t len)
{
	const struct ztrace_kind_desc *d = &ztrace_kinds[rec->kind];
	size_t used = 0;
	bool ok;
	int i;

	ok = append(buf, len, &used, "%" PRIu64 " %u %s", rec->time, rec->fn, d->name);
	for (i = 0; ok && i < d->nr_args; i++)
		ok = format_arg(rec, d->args[i], buf, len, &used);
	if (ok && (rec->flags & ZTRACE_HAS_IOVA))
		ok = append(buf, len, &used, " iova=%#" PRIx64, rec->iova);
	if (ok && (rec->flags & ZTRACE_HAS_CPU))
		ok = append(buf, len, &used, " cpu=%u", rec->cpu);
	if (ok && (rec->flags & ZTRACE_HAS_REQ))
		ok = append(buf, len, &used, " req=%" PRIu64, rec->req);
	return ok ? (int)used : -ENOSPC;
}
