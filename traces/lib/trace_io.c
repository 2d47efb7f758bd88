// SPDX-License-Identifier: MIT
/*
 * Streaming trace readers and writers, both encodings.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <ztrace/out_file.h>

#include "trace_internal.h"

#define BIN_BUF		(256 * 1024)
#define OUT_BUF		(256 * 1024)

struct ztrace_reader {
	enum ztrace_encoding enc;
	FILE *f;
	bool own_f;
	struct ztrace_pos pos;		/* text: line numbers */
	struct ztrace_header h;
	u64 records;
	u64 last_time;
	u64 bytes;
	struct ztrace_sg *sg;
	bool ended;			/* version 3: the end marker read, and right */
	/* The first bytes, read to tell the encodings apart; no seek back, so pipes work. */
	u8 peek[8];
	size_t peeked;
	/* text */
	struct ztrace_lines lines;
	bool has_pending;
	struct ztrace_rec pending;
	/* binary */
	struct ztrace_inbuf bin;
	u64 offset;			/* file offset of bin.buf[bin.head] */
	u64 record_offset;		/* ... of the last record read */
	u32 crc;			/* version 3: of bin.buf[0, crc_from) and all before */
	size_t crc_from;
};

const struct ztrace_header *ztrace_reader_header(const struct ztrace_reader *r)
{
	return &r->h;
}

enum ztrace_encoding ztrace_reader_encoding(const struct ztrace_reader *r)
{
	return r->enc;
}

u64 ztrace_reader_records(const struct ztrace_reader *r)
{
	return r->records;
}

u64 ztrace_reader_bytes(const struct ztrace_reader *r)
{
	return r->enc == ZTRACE_BINARY ? r->offset : r->bytes;
}

static void bin_where(const struct ztrace_reader *r, u64 record, u64 offset, char *buf,
		      size_t len)
{
	snprintf(buf, len, "%s: record %" PRIu64 " (byte offset %" PRIu64 ")", r->pos.file, record,
		 offset);
}

void ztrace_reader_where(const struct ztrace_reader *r, char *buf, size_t len)
{
	if (r->enc == ZTRACE_TEXT)
		snprintf(buf, len, "%s:%lu", r->pos.file, r->pos.line);
	else
		bin_where(r, r->records, r->record_offset, buf, len);
}

/* Binary-reader diagnostics name the record that starts at @offset. */
static int bin_error(struct ztrace_reader *r, u64 offset, struct ztrace_diag *diag,
		     const char *what)
{
	char where[256];
	struct ztrace_pos pos = { where, 0 };

	bin_where(r, r->records + 1, offset, where, sizeof(where));
	return ztrace_error(diag, &pos, "%s", what);
}

/* Version 3 ends at its end marker: without one, the trace was cut short. */
static int check_ended(struct ztrace_reader *r, struct ztrace_diag *diag)
{
	static const char what[] = "the trace ends without its %s (after %" PRIu64 " records): cut short?";
	char msg[160];

	if (r->ended || r->h.version < 3)
		return 0;
	if (r->enc == ZTRACE_TEXT)
		return ztrace_error(diag, &r->pos, what, "'end records=N' line", r->records);
	snprintf(msg, sizeof(msg), what, "end record", r->records);
	return bin_error(r, r->offset, diag, msg);
}

/* The version in "zpci-trace N": one this reader knows. */
static int version_line(struct ztrace_reader *r, const char *tok, const struct ztrace_pos *pos,
			struct ztrace_diag *diag)
{
	u64 v;

	if (ztrace_parse_u64(tok, &v))
		return ztrace_error(diag, pos, "expected 'zpci-trace %d' first", ZTRACE_VERSION);
	if (v < 1 || v > ZTRACE_VERSION)
		return ztrace_error(diag, pos, "trace version %" PRIu64 ", this reader knows 1 to %d",
				    v, ZTRACE_VERSION);
	r->h.version = v;
	return 0;
}

/* Text */

/*
 * A line after the header: 1 a record in *rec, 0 the end line (version 3),
 * which must count the records before it and be the last.
 */
static int text_record(struct ztrace_reader *r, int n, char **tok, struct ztrace_rec *rec,
		       struct ztrace_diag *diag)
{
	u64 records;
	int rc;

	if (r->ended)
		return ztrace_error(diag, &r->pos, "'%s' after the 'end' line", tok[0]);
	rc = ztrace_text_end(&r->h, n, tok, &records, &r->pos, diag);
	if (rc < 0)
		return rc;
	if (!rc)
		return ztrace_text_parse(&r->h, n, tok, rec, r->sg, &r->pos, diag) ? -EINVAL : 1;
	if (records != r->records)
		return ztrace_error(diag, &r->pos, "'end' says records=%" PRIu64 ", the trace has %" PRIu64,
				    records, r->records);
	r->ended = true;
	return 0;
}

/* Parse lines until the first record, which is kept as pending. */
static int text_open(struct ztrace_reader *r, struct ztrace_diag *diag)
{
	char *line, *tok[ZTRACE_TOKENS_MAX];
	bool seen_header = false, seen_guest = false;
	size_t len;
	int rc, n;

	if (ztrace_lines_init(&r->lines, r->f, ZTRACE_TEXT_LINE_MAX))
		return ztrace_error(diag, &r->pos, "out of memory");
	ztrace_inbuf_unread(&r->lines.in, r->peek, r->peeked);
	while ((rc = ztrace_lines_next(&r->lines, &r->pos, &line, &len, diag)) == 1) {
		r->bytes += len + 1;
		n = ztrace_split(line, tok, &r->pos, diag);
		if (n <= 0) {
			if (n < 0)
				return n;
			continue;
		}
		if (!seen_header) {
			if (strcmp(tok[0], "zpci-trace") || n != 2)
				return ztrace_error(diag, &r->pos, "expected 'zpci-trace %d' first",
						    ZTRACE_VERSION);
			rc = version_line(r, tok[1], &r->pos, diag);
			if (rc)
				return rc;
			seen_header = true;
			continue;
		}
		rc = ztrace_header_line(&r->h, &seen_guest, n, tok, &r->pos, diag);
		if (rc < 0)
			return rc;
		if (rc)
			continue;
		rc = ztrace_header_finish(&r->h, seen_guest, &r->pos, diag);
		if (!rc)
			rc = text_record(r, n, tok, &r->pending, diag);
		r->has_pending = rc == 1;
		return rc < 0 ? rc : 0;
	}
	if (rc < 0)
		return rc;
	if (!seen_header)
		return ztrace_error(diag, &r->pos, "empty file, expected 'zpci-trace %d'",
				    ZTRACE_VERSION);
	return ztrace_header_finish(&r->h, seen_guest, &r->pos, diag);
}

static int text_next(struct ztrace_reader *r, struct ztrace_rec *rec, struct ztrace_diag *diag)
{
	char *line, *tok[ZTRACE_TOKENS_MAX];
	size_t len;
	int rc, n;

	if (r->has_pending) {
		r->has_pending = false;
		*rec = r->pending;
		return 1;
	}
	while ((rc = ztrace_lines_next(&r->lines, &r->pos, &line, &len, diag)) == 1) {
		r->bytes += len + 1;
		n = ztrace_split(line, tok, &r->pos, diag);
		if (n < 0)
			return n;
		if (n == 0)
			continue;
		rc = text_record(r, n, tok, rec, diag);
		if (rc < 0)
			return rc;
		if (!rc)
			continue;	/* the end line: only blank lines may follow */
		/* (A binary record's time is a step forward: it cannot go back.) */
		if (rec->time < r->last_time)
			return ztrace_error(diag, &r->pos,
					    "time %" PRIu64 " is before the previous record's %" PRIu64,
					    rec->time, r->last_time);
		return 1;
	}
	return rc ? rc : check_ended(r, diag);
}

/* Binary */

static int bin_refill(struct ztrace_inbuf *b)
{
	while (!b->eof && b->tail - b->head < b->cap)
		if (ztrace_inbuf_refill(b, b->cap))
			return -EIO;
	return 0;
}

/* A whole record's worth of bytes buffered: no decoder can read past them. */
static inline bool bin_roomy(const struct ztrace_inbuf *b)
{
	return b->tail - b->head >= ZTRACE_BIN_REC_MAX;
}

/* Version 3: the checksum takes in the buffered bytes up to @upto. */
static void bin_sum(struct ztrace_reader *r, size_t upto)
{
	if (r->h.version >= 3)
		r->crc = crc32(r->crc, (const Bytef *)r->bin.buf + r->crc_from, upto - r->crc_from);
	r->crc_from = upto;
}

/* Keep at least one whole record's worth of bytes buffered, or all that is left. */
static inline int bin_fill(struct ztrace_reader *r)
{
	struct ztrace_inbuf *b = &r->bin;

	if (b->eof || bin_roomy(b))
		return 0;
	/* The refill moves the read bytes out: sum them first, in bulk. */
	bin_sum(r, b->head);
	r->crc_from = 0;
	return bin_refill(b);
}

static int bin_header(struct ztrace_reader *r, char *text, struct ztrace_diag *diag)
{
	char *line, *save = NULL, *tok[ZTRACE_TOKENS_MAX];
	struct ztrace_pos pos = { r->pos.file, 0 };
	bool seen_guest = false;
	int n, rc;

	r->h.version = 1;	/* the first writers' headers always said so; read them as 1 */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		pos.line++;
		n = ztrace_split(line, tok, &pos, diag);
		if (n < 0)
			return n;
		if (n == 0)
			continue;
		if (pos.line == 1 && !strcmp(tok[0], "zpci-trace")) {
			rc = n == 2 ? version_line(r, tok[1], &pos, diag)
				    : ztrace_error(diag, &pos, "expected 'zpci-trace %d' first",
						   ZTRACE_VERSION);
			if (rc)
				return rc;
			continue;
		}
		rc = ztrace_header_line(&r->h, &seen_guest, n, tok, &pos, diag);
		if (rc < 0)
			return rc;
		if (!rc)
			return ztrace_error(diag, &pos, "binary header: unexpected '%s'", tok[0]);
	}
	return ztrace_header_finish(&r->h, seen_guest, &pos, diag);
}

static int bin_open(struct ztrace_reader *r, struct ztrace_diag *diag)
{
	const u8 *p;
	u32 hdr_len;
	char *text;
	int rc;

	if (ztrace_inbuf_init(&r->bin, r->f, BIN_BUF))
		return ztrace_error(diag, &r->pos, "out of memory");
	ztrace_inbuf_unread(&r->bin, r->peek, r->peeked);
	if (bin_fill(r))
		return ztrace_error(diag, &r->pos, "read error");
	if (r->bin.tail < 12)
		return ztrace_error(diag, &r->pos, "binary trace shorter than its header");
	p = (const u8 *)r->bin.buf;
	hdr_len = p[8] | p[9] << 8 | p[10] << 16 | (u32)p[11] << 24;
	if (hdr_len > 64 * 1024 || r->bin.tail < 12 + (size_t)hdr_len)
		return ztrace_error(diag, &r->pos, "binary header length %u is wrong", hdr_len);
	text = malloc(hdr_len + 1);
	if (!text)
		return ztrace_error(diag, &r->pos, "out of memory");
	memcpy(text, p + 12, hdr_len);
	text[hdr_len] = '\0';
	rc = memchr(text, '\0', hdr_len) ? ztrace_error(diag, &r->pos, "NUL byte in binary header")
					 : bin_header(r, text, diag);
	free(text);
	r->bin.head = 12 + hdr_len;
	r->offset = r->bin.head;
	return rc;
}

/* Past @n bytes of records. */
static inline void bin_advance(struct ztrace_reader *r, long n)
{
	r->bin.head += n;
	r->offset += n;
}

static inline u32 load_le32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

/* The end marker (bin.buf[bin.head] is its kind byte): count, checksum, nothing after. */
static int bin_end(struct ztrace_reader *r, struct ztrace_diag *diag)
{
	struct ztrace_inbuf *b = &r->bin;
	const u8 *buf = (const u8 *)b->buf + b->head;
	const char *what = NULL;
	char msg[128];
	u64 records;
	long n = ztrace_bin_decode_end(buf, (const u8 *)b->buf + b->tail, &records, &what);

	if (n >= 0 && b->tail - b->head < (size_t)n + 4)
		what = "end record cut short";
	if (what)
		return bin_error(r, r->offset, diag, what);
	bin_sum(r, b->head + n);
	/* The checksum first: damage explains a wrong count, not the reverse. */
	if (load_le32(buf + n) != r->crc) {
		snprintf(msg, sizeof(msg), "checksum %#010x, the trace sums to %#010x: damaged",
			 load_le32(buf + n), r->crc);
		return bin_error(r, r->offset, diag, msg);
	}
	if (records != r->records) {
		snprintf(msg, sizeof(msg), "end record says %" PRIu64 " records, the trace has %" PRIu64,
			 records, r->records);
		return bin_error(r, r->offset, diag, msg);
	}
	bin_advance(r, n + 4);
	/* A whole record's worth is buffered unless at the end: what is left is all there is. */
	if (b->head != b->tail)
		return bin_error(r, r->offset, diag, "bytes after the end record");
	r->ended = true;
	return 0;
}

/* The buffer's end, a refill, or a record the fast path leaves. */
static int bin_next(struct ztrace_reader *r, struct ztrace_rec *rec, struct ztrace_diag *diag)
{
	const char *what = NULL;
	const u8 *buf;
	long n;

	if (r->ended)
		return 0;
	if (bin_fill(r))
		return bin_error(r, r->offset, diag, "read error");
	buf = (const u8 *)r->bin.buf;
	if (r->bin.head == r->bin.tail)
		return check_ended(r, diag);
	if (buf[r->bin.head] == ZTRACE_BIN_END && r->h.version >= 3)
		return bin_end(r, diag);
	n = ztrace_bin_decode(&r->h, buf + r->bin.head, buf + r->bin.tail, r->last_time, rec,
			      r->sg, &what);
	if (n < 0)
		return bin_error(r, r->offset, diag, what);
	bin_advance(r, n);
	return 1;
}

/* Open and close */

static int reader_open(struct ztrace_reader *r, struct ztrace_diag *diag)
{
	r->sg = calloc(ZTRACE_MAX_SG, sizeof(*r->sg));
	if (!r->sg)
		return ztrace_error(diag, &r->pos, "out of memory");
	/* The binary magic, or text. */
	r->peeked = fread(r->peek, 1, sizeof(r->peek), r->f);
	if (ferror(r->f))
		return ztrace_error(diag, &r->pos, "read error: %s", strerror(errno));
	if (ztrace_compression(r->peek, r->peeked))
		return ztrace_error(diag, &r->pos, "%s-compressed: decompress it first",
				    ztrace_compression(r->peek, r->peeked));
	r->enc = r->peeked == sizeof(r->peek) && !memcmp(r->peek, ZTRACE_BIN_MAGIC, 8) ?
		 ZTRACE_BINARY : ZTRACE_TEXT;
	return r->enc == ZTRACE_BINARY ? bin_open(r, diag) : text_open(r, diag);
}

int ztrace_open_stream(FILE *f, const char *name, struct ztrace_reader **out,
		       struct ztrace_diag *diag)
{
	struct ztrace_reader *r = calloc(1, sizeof(*r));
	char *own_name = strdup(name);
	int rc;

	if (!r || !own_name) {
		struct ztrace_pos pos = { name, 0 };

		free(r);
		free(own_name);
		return ztrace_error(diag, &pos, "out of memory");
	}
	r->f = f;
	r->pos.file = own_name;	/* messages outlive the caller's string */
	rc = reader_open(r, diag);
	if (rc) {
		ztrace_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

int ztrace_open(const char *path, struct ztrace_reader **out, struct ztrace_diag *diag)
{
	struct ztrace_pos pos = { path, 0 };
	FILE *f = fopen(path, "rb");
	int rc;

	if (!f)
		return ztrace_error(diag, &pos, "cannot open: %s", strerror(errno));
	rc = ztrace_open_stream(f, path, out, diag);
	if (rc) {
		fclose(f);
		return rc;
	}
	(*out)->own_f = true;
	return 0;
}

/* What the reader keeps of a record read from @start (a file offset, binary only). */
static inline void took(struct ztrace_reader *r, const struct ztrace_rec *rec, u64 start)
{
	r->last_time = rec->time;
	r->records++;
	r->record_offset = start;
}

/* Out of line: the fast path in ztrace_next() then needs no stack frame. */
static __attribute__((noinline)) int next_slow(struct ztrace_reader *r, struct ztrace_rec *rec,
					       struct ztrace_diag *diag)
{
	u64 start = r->offset;
	int rc = r->enc == ZTRACE_BINARY ? bin_next(r, rec, diag) : text_next(r, rec, diag);

	if (rc != 1)
		return rc;
	took(r, rec, start);
	return 1;
}

int ztrace_next(struct ztrace_reader *r, struct ztrace_rec *rec, struct ztrace_diag *diag)
{
	struct ztrace_inbuf *b = &r->bin;
	long n;

	/* Binary records away from the buffer's end (a text reader's is empty). */
	if (bin_roomy(b)) {
		n = ztrace_bin_decode_fast(&r->h, (const u8 *)b->buf + b->head, r->last_time, rec,
					   r->sg);
		if (n) {
			took(r, rec, r->offset);
			bin_advance(r, n);
			return 1;
		}
	}
	return next_slow(r, rec, diag);
}

void ztrace_close(struct ztrace_reader *r)
{
	if (!r)
		return;
	ztrace_lines_destroy(&r->lines);
	if (r->own_f)
		fclose(r->f);
	ztrace_inbuf_destroy(&r->bin);
	free(r->sg);
	free((char *)r->pos.file);
	free(r);
}

/* Writing */

struct ztrace_writer {
	enum ztrace_encoding enc;
	struct ztrace_out *out;
	char *path;
	struct ztrace_header h;
	u64 last_time;
	u64 records;
	u32 crc;		/* binary version 3: of every byte written */
	u8 *buf;
	size_t used;
};

enum ztrace_encoding ztrace_encoding_for(const char *path)
{
	size_t n = strlen(path);

	return n >= 4 && !strcmp(path + n - 4, ".ztb") ? ZTRACE_BINARY : ZTRACE_TEXT;
}

static int writer_flush(struct ztrace_writer *w)
{
	int rc;

	if (w->enc == ZTRACE_BINARY && w->h.version >= 3)
		w->crc = crc32(w->crc, w->buf, w->used);
	rc = ztrace_out_write(w->out, w->buf, w->used);
	w->used = 0;
	return rc;
}

static void writer_free(struct ztrace_writer *w)
{
	free(w->buf);
	free(w->path);
	free(w);
}

static int writer_header(struct ztrace_writer *w)
{
	char text[4096];
	int n = ztrace_format_header(&w->h, text, sizeof(text));

	if (n < 0)
		return n;
	if (w->enc == ZTRACE_BINARY) {
		memcpy(w->buf, ZTRACE_BIN_MAGIC, 8);
		w->buf[8] = n & 0xff;
		w->buf[9] = (n >> 8) & 0xff;
		w->buf[10] = (n >> 16) & 0xff;
		w->buf[11] = (n >> 24) & 0xff;
		w->used = 12;
	}
	memcpy(w->buf + w->used, text, n);
	w->used += n;
	return 0;
}

/*
 * A header a reader would refuse, or that the version it asks for cannot
 * hold: a writer refuses it, by the reader's rules, so that nothing writes
 * a trace that cannot be read.
 */
static int header_invalid(const struct ztrace_header *h, const struct ztrace_pos *pos,
			  struct ztrace_diag *diag)
{
	u32 version = ztrace_header_version(h), i;
	int rc;

	if (version > ZTRACE_VERSION)
		return ztrace_error(diag, pos, "trace version %u, this writer knows 1 to %d",
				    version, ZTRACE_VERSION);
	if (!h->nr_fns || h->nr_fns > ZTRACE_MAX_FNS)
		return ztrace_error(diag, pos, "header needs 1-%d functions", ZTRACE_MAX_FNS);
	rc = ztrace_guest_check(h->guest_mem, h->cpus, pos, diag);
	for (i = 0; !rc && i < h->nr_fns; i++)
		rc = ztrace_fn_check(h, i, pos, diag);
	return rc;
}

int ztrace_create(const char *path, enum ztrace_encoding enc, const struct ztrace_header *h,
		  const char *const *inputs, struct ztrace_writer **out,
		  struct ztrace_diag *diag)
{
	struct ztrace_pos pos = { path, 0 };
	struct ztrace_writer *w = calloc(1, sizeof(*w));
	int rc;

	if (!w || !(w->buf = malloc(OUT_BUF)) || !(w->path = strdup(path))) {
		if (w)
			writer_free(w);
		return ztrace_error(diag, &pos, "out of memory");
	}
	if (header_invalid(h, &pos, diag)) {
		writer_free(w);
		return -EINVAL;
	}
	rc = ztrace_out_open(path, inputs, &w->out, diag);
	if (rc) {
		writer_free(w);
		return rc;
	}
	w->enc = enc;
	w->h = *h;
	w->h.version = ztrace_header_version(h);
	writer_header(w);
	*out = w;
	return 0;
}

int ztrace_write(struct ztrace_writer *w, const struct ztrace_rec *rec, struct ztrace_diag *diag)
{
	struct ztrace_pos pos = { w->path, 0 };
	int rc = ztrace_rec_valid(&w->h, rec, diag);

	if (rc)
		return rc;
	if (rec->time < w->last_time)
		return ztrace_error(diag, &pos, "record time %" PRIu64 " goes backwards", rec->time);
	if (OUT_BUF - w->used < ZTRACE_BIN_REC_MAX + ZTRACE_TEXT_LINE_MAX) {
		rc = writer_flush(w);
		if (rc) {
			ztrace_error(diag, &pos, "cannot write: %s", strerror(-rc));
			return rc;
		}
	}
	if (w->enc == ZTRACE_BINARY) {
		w->used += ztrace_bin_encode(rec, w->last_time, w->buf + w->used);
	} else {
		int n = ztrace_format(rec, (char *)w->buf + w->used, ZTRACE_TEXT_LINE_MAX);

		if (n < 0)
			return ztrace_error(diag, &pos, "record too long for a text line");
		w->used += n;
		w->buf[w->used++] = '\n';
	}
	w->last_time = rec->time;
	w->records++;
	return 0;
}

/* Version 3's end marker: the record count, and in binary the checksum of all before it. */
static int writer_end(struct ztrace_writer *w)
{
	u8 *p;
	int rc;

	if (w->h.version < 3)
		return 0;
	rc = writer_flush(w);
	if (rc)
		return rc;
	if (w->enc == ZTRACE_TEXT) {
		w->used = ztrace_format_end(w->records, (char *)w->buf, OUT_BUF);
		return 0;
	}
	w->used = ztrace_bin_encode_end(w->records, w->buf);
	rc = writer_flush(w);
	if (rc)
		return rc;
	p = w->buf;
	p[0] = w->crc & 0xff;
	p[1] = (w->crc >> 8) & 0xff;
	p[2] = (w->crc >> 16) & 0xff;
	p[3] = (w->crc >> 24) & 0xff;
	w->used = 4;
	return 0;
}

int ztrace_commit(struct ztrace_writer *w, struct ztrace_diag *diag)
{
	int rc = writer_end(w);

	if (!rc)
		rc = writer_flush(w);

	if (rc) {
		struct ztrace_pos pos = { w->path, 0 };

		ztrace_out_abort(w->out);
		ztrace_error(diag, &pos, "cannot write: %s", strerror(-rc));
	} else {
		rc = ztrace_out_commit(w->out, diag);
	}
	writer_free(w);
	return rc;
}

void ztrace_abort(struct ztrace_writer *w)
{
	ztrace_out_abort(w->out);
	writer_free(w);
}
