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
	return p - buf;
}

struct decoder {
	const u8 *p, *end;
	const char *what;	/* the first problem met */
	/*
	 * The buffer holds a whole record's worth beyond the start (all but
	 * the trace's last few records): no read can run off its end, and none
	 * needs a check.  A constant in each copy of the decoder.
	 */
	bool roomy;
};

static u64 get_varint_any(struct decoder *dc, u64 max)
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

/*
 * Most numbers in a trace (small ids, lengths, offsets) take one or two
 * bytes, time deltas often three: away from the end of the buffer none
 * needs a check but its last byte's, which the general loop's checks (for
 * the last record and for damage) would add to every byte.  Inlined: a
 * record has four or five, and the call cost more than the common case.
 */
static inline __attribute__((always_inline)) u64 get_varint(struct decoder *dc, u64 max)
{
	const u8 *p = dc->p;
	u64 v;
	int shift;

	if (!dc->roomy && dc->end - p < VARINT_MAX)
		return get_varint_any(dc, max);
	if (p[0] < 0x80) {
		v = p[0], p += 1;
	} else if (p[1] < 0x80) {
		v = (p[0] & 0x7f) | (u64)p[1] << 7, p += 2;
	} else {
		v = (p[0] & 0x7f) | (u64)(p[1] & 0x7f) << 7, p += 2;
		for (shift = 14;; shift += 7) {
			if (shift == 63)
				return get_varint_any(dc, max);
			v |= (u64)(*p & 0x7f) << shift;
			if (*p++ < 0x80)
				break;
		}
	}
	if (v > max)
		return get_varint_any(dc, max);
	dc->p = p;
	return v;
}

static inline __attribute__((always_inline)) u8 get_byte(struct decoder *dc, u8 max,
							const char *what)
{
	u8 b;

	if (!dc->roomy && dc->p == dc->end) {
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
 * kept, not acted on at once: later reads stop at the end.  Inlined for
 * each kind with @d constant, so that the loop and the switch fold away.
 */
static inline __attribute__((always_inline)) void
decode_args(struct decoder *dc, struct ztrace_rec *rec, struct ztrace_sg *sg,
	    const struct ztrace_kind_desc *d)
{
	int a;

#pragma GCC unroll 4	/* ZTRACE_MAX_ARGS: -O2 does not unroll what grows */
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
	if ((d->keys & ZTRACE_HAS_IOVA) && (rec->flags & ZTRACE_HAS_IOVA))
		rec->iova = get_varint(dc, UINT64_MAX);
	if ((d->keys & ZTRACE_HAS_CPU) && (rec->flags & ZTRACE_HAS_CPU))
		rec->cpu = get_varint(dc, UINT32_MAX);
}

#define DECODE_KIND(kind)						\
	case kind:							\
		if (rec->flags & ~ztrace_kinds[kind].keys)		\
			goto bad_flags;					\
		decode_args(&dc, rec, sg, &ztrace_kinds[kind]);		\
		break

static inline __attribute__((always_inline)) long
decode(const struct ztrace_header *h, const u8 *buf, const u8 *end, u64 prev_time,
       struct ztrace_rec *rec, struct ztrace_sg *sg, const char **what, bool roomy)
{
	struct decoder dc = { .p = buf, .end = end, .roomy = roomy };
	const struct ztrace_kind_desc *d;
	u64 delta;
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
	delta = get_varint(&dc, UINT64_MAX - prev_time);
	rec->time = prev_time + delta;
	rec->fn = get_varint(&dc, UINT32_MAX);
	if (!dc.what && rec->fn >= h->nr_fns)
		dc.what = "function not in the header";
	switch (rec->kind) {
	DECODE_KIND(ZTRACE_ATTACH);
	DECODE_KIND(ZTRACE_DETACH);
	DECODE_KIND(ZTRACE_MAP);
	DECODE_KIND(ZTRACE_UNMAP);
	DECODE_KIND(ZTRACE_MAP_SG);
	DECODE_KIND(ZTRACE_UNMAP_SG);
	DECODE_KIND(ZTRACE_ALLOC);
	DECODE_KIND(ZTRACE_FREE);
	DECODE_KIND(ZTRACE_DMA);
	DECODE_KIND(ZTRACE_DMA_IOVA);
	DECODE_KIND(ZTRACE_RPCIT);
	DECODE_KIND(ZTRACE_TICK);
	DECODE_KIND(ZTRACE_TIMERS);
	default:	/* a kind not listed: right, only slower */
		if (rec->flags & ~d->keys)
			goto bad_flags;
		decode_args(&dc, rec, sg, d);
		break;
	}
	if (dc.what) {
		*what = dc.what;
		return -EINVAL;
	}
	return dc.p - buf;

bad_flags:
	*what = "key flags not allowed for this kind";
	return -EINVAL;
}

long ztrace_bin_decode(const struct ztrace_header *h, const u8 *buf, const u8 *end,
		       u64 prev_time, struct ztrace_rec *rec, struct ztrace_sg *sg,
		       const char **what)
{
	ztrace_rec_clear(rec);
	if (end - buf >= ZTRACE_BIN_REC_MAX)
		return decode(h, buf, end, prev_time, rec, sg, what, true);
	return decode(h, buf, end, prev_time, rec, sg, what, false);
}
