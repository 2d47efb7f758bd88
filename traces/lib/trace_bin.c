// SPDX-License-Identifier: MIT
/*
 * Binary records: a kind/flags byte and LEB128 varints (FORMAT.md).
 */
#include <string.h>

#include "trace_internal.h"

#define VARINT_MAX	10

static u8 *put_varint(u8 *p, u64 v)
{
	while (v >= 0x80) {
		*p++ = (u8)(v | 0x80);
		v >>= 7;
	}
	*p++ = (u8)v;
	return p;
}

size_t ztrace_bin_encode(const struct ztrace_rec *rec, u64 prev_time, u8 *buf)
{
	const struct ztrace_kind_desc *d = &ztrace_kinds[rec->kind];
	u8 *p = buf;
	u32 i;
	int a;

	*p++ = (u8)(rec->kind | rec->flags << 4);
	p = put_varint(p, rec->time - prev_time);
	p = put_varint(p, rec->fn);
	for (a = 0; a < d->nr_args; a++) {
		switch (d->args[a]) {
		case ARG_DIR:
			*p++ = (u8)rec->dir;
			break;
		case ARG_ACCESS:
			*p++ = (u8)rec->access;
			break;
		case ARG_SG:
			p = put_varint(p, rec->nr_sg);
			for (i = 0; i < rec->nr_sg; i++) {
				p = put_varint(p, rec->sg[i].pa);
				p = put_varint(p, rec->sg[i].len);
			}
			break;
		default:
			p = put_varint(p, *ztrace_arg_slot((struct ztrace_rec *)rec, d->args[a]));
		}
	}
	if (rec->flags & ZTRACE_HAS_IOVA)
		p = put_varint(p, rec->iova);
	if (rec->flags & ZTRACE_HAS_CPU)
		p = put_varint(p, rec->cpu);
	if (rec->flags & ZTRACE_HAS_REQ)
		p = put_varint(p, rec->req);
	return p - buf;
}

size_t ztrace_bin_encode_end(u64 records, u8 *buf)
{
	buf[0] = ZTRACE_BIN_END;
	return put_varint(buf + 1, records) - buf;
}

/* The careful decoder: any bytes, any place in the buffer. */
struct decoder {
	const u8 *p, *end;
	const char *what;	/* the first problem met */
};

static u64 get_varint(struct decoder *dc, u64 max)
{
	u64 v = 0;
	int shift;

	for (shift = 0; shift < 7 * VARINT_MAX; shift += 7) {
		u8 b;

		if (dc->p == dc->end) {
			dc->what = dc->what ? dc->what : "truncated record";
			return 0;
		}
		b = *dc->p++;
		if (shift == 63 && b > 1) {
			dc->what = dc->what ? dc->what : "number does not fit in 64 bits";
			return 0;
		}
		v |= (u64)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	if (v > max)
		dc->what = dc->what ? dc->what : "value out of range";
	return v;
}

static u8 get_byte(struct decoder *dc, u8 max, const char *what)
{
	u8 b;

	if (dc->p == dc->end) {
		dc->what = dc->what ? dc->what : "truncated record";
		return 0;
	}
	b = *dc->p++;
	if (b > max)
		dc->what = dc->what ? dc->what : what;
	return b;
}

static void decode_sg(struct decoder *dc, struct ztrace_rec *rec, struct ztrace_sg *sg)
{
	u32 i;

	rec->nr_sg = get_varint(dc, ZTRACE_MAX_SG);
	if (!rec->nr_sg)
		dc->what = dc->what ? dc->what : "empty scatter-gather list";
	for (i = 0; !dc->what && i < rec->nr_sg; i++) {
		sg[i].pa = get_varint(dc, UINT64_MAX);
		sg[i].len = get_varint(dc, UINT64_MAX);
	}
	rec->sg = sg;
}

/*
 * @d's arguments and optional keys, in its table's order.  A problem is
 * kept, not acted on at once: later reads stop at the end.
 */
static void decode_args(struct decoder *dc, struct ztrace_rec *rec, struct ztrace_sg *sg,
			const struct ztrace_kind_desc *d)
{
	int a;

	for (a = 0; a < d->nr_args; a++) {
		switch (d->args[a]) {
		case ARG_DIR:
			rec->dir = get_byte(dc, DMA_NONE, "bad direction");
			break;
		case ARG_ACCESS:
			rec->access = get_byte(dc, ZPCI_DMA_WRITE, "bad access");
			break;
		case ARG_SG:
			decode_sg(dc, rec, sg);
			break;
		default:
			*ztrace_arg_slot(rec, d->args[a]) = get_varint(dc, UINT64_MAX);
		}
	}
	if (rec->flags & ZTRACE_HAS_IOVA)
		rec->iova = get_varint(dc, UINT64_MAX);
	if (rec->flags & ZTRACE_HAS_CPU)
		rec->cpu = get_varint(dc, UINT32_MAX);
	if (rec->flags & ZTRACE_HAS_REQ)
		rec->req = get_varint(dc, ZTRACE_REQ_MAX);
}

long ztrace_bin_decode_end(const u8 *buf, const u8 *end, u64 *records, const char **what)
{
	struct decoder dc = { .p = buf + 1, .end = end };

	*records = get_varint(&dc, UINT64_MAX);
	if (dc.what) {
		*what = dc.p == end ? "end record cut short" : dc.what;
		return -EINVAL;
	}
	return dc.p - buf;
}

static long decode(const struct ztrace_header *h, const u8 *buf, const u8 *end, u64 prev_time,
		   struct ztrace_rec *rec, struct ztrace_sg *sg, const char **what)
{
	struct decoder dc = { .p = buf, .end = end };
	const struct ztrace_kind_desc *d;
	u8 b;

	if (buf == end)
		return 0;
	b = *dc.p++;
	if ((b & 0xf) >= ZTRACE_NR_KINDS) {
		*what = "unknown record kind";
		return -EINVAL;
	}
	rec->kind = b & 0xf;
	rec->flags = b >> 4;
	d = &ztrace_kinds[rec->kind];
	rec->time = prev_time + get_varint(&dc, UINT64_MAX - prev_time);
	rec->fn = get_varint(&dc, UINT32_MAX);
	if (!dc.what && rec->fn >= h->nr_fns)
		dc.what = "function not in the header";
	if (rec->flags & ~d->keys) {
		*what = "key flags not allowed for this kind";
		return -EINVAL;
	}
	if ((rec->flags & ZTRACE_HAS_REQ) && h->version < 2) {
		*what = "req key in a version-1 trace";
		return -EINVAL;
	}
	decode_args(&dc, rec, sg, d);
	if (dc.what) {
		*what = dc.what;
		return -EINVAL;
	}
	return dc.p - buf;
}

/* The fast path (trace_internal.h). */

static inline u64 load_le64(const u8 *p)
{
	u64 w;

	memcpy(&w, p, sizeof(w));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* The low seven bits of each byte of @w, packed together: LEB128's payload. */
static inline u64 gather7(u64 w)
{
	w &= 0x7f7f7f7f7f7f7f7fULL;
	w = (w & 0x007f007f007f007fULL) | (w & 0x7f007f007f007f00ULL) >> 1;
	w = (w & 0x00003fff00003fffULL) | (w & 0x3fff00003fff0000ULL) >> 2;
	return (w & 0x000000000fffffffULL) | (w & 0x0fffffff00000000ULL) >> 4;
}

/*
 * Most numbers (ids, lengths, offsets) take one or two bytes, time deltas
 * often three: the first two are tested byte by byte, longer ones are
 * read as a word, without a branch per byte.
 */
static inline __attribute__((always_inline)) bool fast_varint(const u8 **pp, u64 max, u64 *v)
{
	const u8 *p = *pp;
	u64 w, last;

	if (p[0] < 0x80) {
		*v = p[0];
		*pp = p + 1;
	} else if (p[1] < 0x80) {
		*v = (p[0] & 0x7f) | (u64)p[1] << 7;
		*pp = p + 2;
	} else {
		w = load_le64(p);
		last = ~w & 0x8080808080808080ULL;	/* bytes without a continuation bit */
		if (!last)
			return false;		/* nine or ten bytes */
		*pp = p + __builtin_ctzll(last) / 8 + 1;
		*v = gather7(w & (last ^ (last - 1)));
	}
	return *v <= max;
}

/*
 * Zero the fields that @d's records do not carry: each field is written
 * once, where clearing the whole record first writes the carried ones twice.
 */
static inline __attribute__((always_inline)) void
clear_uncarried(struct ztrace_rec *rec, const struct ztrace_kind_desc *d)
{
	unsigned int args = 0;
	int a;

#pragma GCC unroll 4
	for (a = 0; a < d->nr_args; a++)
		args |= 1u << d->args[a];
#pragma GCC unroll 6
	for (a = ARG_ID; a < ARG_DIR; a++)	/* the numbers; the iova's key sets it later */
		if (!(args & 1u << a))
			*ztrace_arg_slot(rec, a) = 0;
	if (!(args & 1u << ARG_DIR))
		rec->dir = 0;
	if (!(args & 1u << ARG_ACCESS))
		rec->access = 0;
	if (!(args & 1u << ARG_SG)) {
		rec->nr_sg = 0;
		rec->sg = NULL;
	}
	rec->cpu = 0;			/* only ever keys */
	rec->req = 0;
}

/* Inlined for each kind with @d constant, so that the loops and the switch fold away. */
static inline __attribute__((always_inline)) long
decode_fast_args(const u8 *buf, const u8 *p, struct ztrace_rec *rec, struct ztrace_sg *sg,
		 const struct ztrace_kind_desc *d)
{
	u64 v;
	u32 i;
	int a;

	if (rec->flags & ~d->keys)
		return 0;
	clear_uncarried(rec, d);
#pragma GCC unroll 4	/* ZTRACE_MAX_ARGS: -O2 does not unroll what grows */
	for (a = 0; a < d->nr_args; a++) {
		switch (d->args[a]) {
		case ARG_DIR:
			if (*p > DMA_NONE)
				return 0;
			rec->dir = *p++;
			break;
		case ARG_ACCESS:
			if (*p > ZPCI_DMA_WRITE)
				return 0;
			rec->access = *p++;
			break;
		case ARG_SG:
			if (!fast_varint(&p, ZTRACE_MAX_SG, &v) || !v)
				return 0;
			for (i = 0; i < v; i++)
				if (!fast_varint(&p, UINT64_MAX, &sg[i].pa) ||
				    !fast_varint(&p, UINT64_MAX, &sg[i].len))
					return 0;
			rec->nr_sg = v;
			rec->sg = sg;
			break;
		default:
			if (!fast_varint(&p, UINT64_MAX, ztrace_arg_slot(rec, d->args[a])))
				return 0;
		}
	}
	if ((d->keys & ZTRACE_HAS_IOVA) && (rec->flags & ZTRACE_HAS_IOVA) &&
	    !fast_varint(&p, UINT64_MAX, &rec->iova))
		return 0;
	if ((d->keys & ZTRACE_HAS_CPU) && (rec->flags & ZTRACE_HAS_CPU)) {
		if (!fast_varint(&p, UINT32_MAX, &v))
			return 0;
		rec->cpu = v;
	}
	if ((d->keys & ZTRACE_HAS_REQ) && (rec->flags & ZTRACE_HAS_REQ) &&
	    !fast_varint(&p, ZTRACE_REQ_MAX, &rec->req))
		return 0;
	return p - buf;
}

/* Out of line: its loop would cost every other kind's registers. */
static __attribute__((noinline)) long decode_fast_map_sg(const u8 *buf, const u8 *p,
							 struct ztrace_rec *rec,
							 struct ztrace_sg *sg)
{
	return decode_fast_args(buf, p, rec, sg, &ztrace_kinds[ZTRACE_MAP_SG]);
}

#define DECODE_FAST(kind)						\
	case kind:							\
		return decode_fast_args(buf, p, rec, sg, &ztrace_kinds[kind])

long ztrace_bin_decode_fast(const struct ztrace_header *h, const u8 *buf, u64 prev_time,
			    struct ztrace_rec *rec, struct ztrace_sg *sg)
{
	const u8 *p = buf + 1;
	u64 delta, fn;

	/* A version-1 trace with a req key: the careful decoder says so. */
	if (!fast_varint(&p, UINT64_MAX - prev_time, &delta) ||
	    !fast_varint(&p, UINT64_MAX, &fn) || fn >= h->nr_fns ||
	    ((buf[0] & ZTRACE_HAS_REQ << 4) && h->version < 2))
		return 0;
	rec->kind = buf[0] & 0xf;
	rec->flags = buf[0] >> 4;
	rec->time = prev_time + delta;
	rec->fn = fn;
	switch (rec->kind) {
	DECODE_FAST(ZTRACE_ATTACH);
	DECODE_FAST(ZTRACE_DETACH);
	DECODE_FAST(ZTRACE_MAP);
	DECODE_FAST(ZTRACE_UNMAP);
	case ZTRACE_MAP_SG:
		return decode_fast_map_sg(buf, p, rec, sg);
	DECODE_FAST(ZTRACE_UNMAP_SG);
	DECODE_FAST(ZTRACE_ALLOC);
	DECODE_FAST(ZTRACE_FREE);
	DECODE_FAST(ZTRACE_DMA);
	DECODE_FAST(ZTRACE_DMA_IOVA);
	DECODE_FAST(ZTRACE_RPCIT);
	DECODE_FAST(ZTRACE_TICK);
	DECODE_FAST(ZTRACE_TIMERS);
	default:	/* unknown, or a kind not listed: the careful decoder's */
		return 0;
	}
}

long ztrace_bin_decode(const struct ztrace_header *h, const u8 *buf, const u8 *end,
		       u64 prev_time, struct ztrace_rec *rec, struct ztrace_sg *sg,
		       const char **what)
{
	ztrace_rec_clear(rec);
	return decode(h, buf, end, prev_time, rec, sg, what);
}
