/* SPDX-License-Identifier: MIT */
/*
 * Inside the trace library: the one table of record kinds that the text
 * and binary codecs both follow, and the codecs' entry points.
 */
#ifndef ZTRACE_TRACE_INTERNAL_H
#define ZTRACE_TRACE_INTERNAL_H

#include <stddef.h>

#include <ztrace/trace.h>

/* The numbers first, up to ARG_DIR: ztrace_arg_slot() relies on it. */
enum ztrace_arg {
	ARG_ID,
	ARG_PA,
	ARG_LEN,
	ARG_OFF,
	ARG_IOVA,
	ARG_JIFFIES,
	ARG_DIR,
	ARG_ACCESS,
	ARG_SG,
};

#define ZTRACE_MAX_ARGS	4

struct ztrace_kind_desc {
	const char *name;
	u8 nr_args;
	u8 args[ZTRACE_MAX_ARGS];
	u8 keys;		/* ZTRACE_HAS_* allowed */
};

/*
 * Here, not behind an extern: a decoder inlined for one kind reads its
 * arguments as constants and becomes straight-line code.
 */
static const struct ztrace_kind_desc ztrace_kinds[ZTRACE_NR_KINDS] = {
	[ZTRACE_ATTACH]		= { "attach", 0, { 0 }, 0 },
	[ZTRACE_DETACH]		= { "detach", 0, { 0 }, 0 },
	[ZTRACE_MAP]		= { "map", 4, { ARG_ID, ARG_PA, ARG_LEN, ARG_DIR },
				    ZTRACE_HAS_IOVA | ZTRACE_HAS_CPU | ZTRACE_HAS_REQ },
	[ZTRACE_UNMAP]		= { "unmap", 1, { ARG_ID }, ZTRACE_HAS_CPU | ZTRACE_HAS_REQ },
	[ZTRACE_MAP_SG]		= { "map-sg", 3, { ARG_ID, ARG_DIR, ARG_SG },
				    ZTRACE_HAS_CPU | ZTRACE_HAS_REQ },
	[ZTRACE_UNMAP_SG]	= { "unmap-sg", 1, { ARG_ID }, ZTRACE_HAS_CPU | ZTRACE_HAS_REQ },
	[ZTRACE_ALLOC]		= { "alloc", 3, { ARG_ID, ARG_PA, ARG_LEN },
				    ZTRACE_HAS_IOVA | ZTRACE_HAS_CPU | ZTRACE_HAS_REQ },
	[ZTRACE_FREE]		= { "free", 1, { ARG_ID }, ZTRACE_HAS_CPU | ZTRACE_HAS_REQ },
	[ZTRACE_DMA]		= { "dma", 4, { ARG_ID, ARG_OFF, ARG_LEN, ARG_ACCESS },
				    ZTRACE_HAS_REQ },
	[ZTRACE_DMA_IOVA]	= { "dma-iova", 3, { ARG_IOVA, ARG_LEN, ARG_ACCESS }, ZTRACE_HAS_REQ },
	[ZTRACE_RPCIT]		= { "rpcit", 2, { ARG_IOVA, ARG_LEN }, 0 },
	[ZTRACE_TICK]		= { "tick", 1, { ARG_JIFFIES }, 0 },
	[ZTRACE_TIMERS]		= { "timers", 1, { ARG_JIFFIES }, 0 },
};

/* The u64 field of @rec that numeric argument @a lives in (inline: every record asks). */
static inline u64 *ztrace_arg_slot(struct ztrace_rec *rec, enum ztrace_arg a)
{
	/* A table, not a switch: the binary decoder asks once per number. */
	static const size_t offset[] = {
		[ARG_ID] = offsetof(struct ztrace_rec, id),
		[ARG_PA] = offsetof(struct ztrace_rec, pa),
		[ARG_LEN] = offsetof(struct ztrace_rec, len),
		[ARG_OFF] = offsetof(struct ztrace_rec, off),
		[ARG_IOVA] = offsetof(struct ztrace_rec, iova),
		[ARG_JIFFIES] = offsetof(struct ztrace_rec, jiffies),
	};

	return a < ARG_DIR ? (u64 *)((char *)rec + offset[a]) : NULL;
}

/*
 * An empty record, for a decoder to start from: a copy of a constant, which
 * compilers inline as a few vector moves, where a memset of the size (or a
 * compound literal) becomes `rep stos`, slow to start for 104 bytes.
 */
static inline void ztrace_rec_clear(struct ztrace_rec *rec)
{
	static const struct ztrace_rec empty;

	*rec = empty;
}

/* Header lines: 1 consumed, 0 not a header line, -EINVAL. */
int ztrace_header_line(struct ztrace_header *h, bool *seen_guest, int n, char **tok,
		       const struct ztrace_pos *pos, struct ztrace_diag *diag);
int ztrace_header_finish(const struct ztrace_header *h, bool seen_guest,
			 const struct ztrace_pos *pos, struct ztrace_diag *diag);

/* Text record: parse @n tokens into @rec (sg elements into @sg). */
int ztrace_text_parse(const struct ztrace_header *h, int n, char **tok, struct ztrace_rec *rec,
		      struct ztrace_sg *sg, const struct ztrace_pos *pos,
		      struct ztrace_diag *diag);

/*
 * The end line of a version-3 text trace, "end records=N": 1 with *records
 * set, 0 when @tok is not one, -EINVAL (bad, or in an older version).
 */
int ztrace_text_end(const struct ztrace_header *h, int n, char **tok, u64 *records,
		    const struct ztrace_pos *pos, struct ztrace_diag *diag);
/* ... and its text, newline-terminated; its length or -ENOSPC. */
int ztrace_format_end(u64 records, char *buf, size_t len);

/* Checks both encodings apply to a record before writing it. */
int ztrace_rec_valid(const struct ztrace_header *h, const struct ztrace_rec *rec,
		     struct ztrace_diag *diag);

/* Binary record: encode into @buf (at least ZTRACE_BIN_REC_MAX bytes). */
#define ZTRACE_BIN_REC_MAX	(32 * 1024)
size_t ztrace_bin_encode(const struct ztrace_rec *rec, u64 prev_time, u8 *buf);
/* Decode from [buf, end): bytes used, 0 if truncated, -EINVAL with @what set. */
long ztrace_bin_decode(const struct ztrace_header *h, const u8 *buf, const u8 *end,
		       u64 prev_time, struct ztrace_rec *rec, struct ztrace_sg *sg,
		       const char **what);
/*
 * A version-3 binary trace's end marker: this byte (a kind no record has),
 * the record count as a varint, then the CRC-32 (zlib's) of every byte of
 * the file before the CRC, u32 LE.
 */
#define ZTRACE_BIN_END		0x0f
#define ZTRACE_BIN_END_MAX	(1 + 10 + 4)
/* Kind byte and count into @buf (at least ZTRACE_BIN_END_MAX bytes); their length. */
size_t ztrace_bin_encode_end(u64 records, u8 *buf);
/*
 * Decode the kind byte and count from [buf, end): their length (the CRC
 * follows), or -EINVAL with @what set (cut short, or not a count).
 */
long ztrace_bin_decode_end(const u8 *buf, const u8 *end, u64 *records, const char **what);

/*
 * The fast path, for all but a trace's last few records: with at least
 * ZTRACE_BIN_REC_MAX bytes at @buf, no read can run off the end, and none
 * needs a check.  It takes the common case only (numbers of up to eight
 * bytes, in range, key flags the kind allows): bytes used, or 0 for
 * anything else, which ztrace_bin_decode() then reads again and, if it is
 * wrong, says what is.
 */
long ztrace_bin_decode_fast(const struct ztrace_header *h, const u8 *buf, u64 prev_time,
			    struct ztrace_rec *rec, struct ztrace_sg *sg);

#endif /* ZTRACE_TRACE_INTERNAL_H */
