/* SPDX-License-Identifier: MIT */
/*
 * The lexical layer shared by every zpcisim text format: comments, tokens,
 * numbers, and the "file:line: what" diagnostic.
 */
#ifndef ZTRACE_LEX_H
#define ZTRACE_LEX_H

#include <stdio.h>

#include <zpci/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZTRACE_LINE_MAX		4096
#define ZTRACE_TOKENS_MAX	16

/* Where a reader is, for diagnostics. */
struct ztrace_pos {
	const char *file;
	unsigned long line;
};

/* A diagnostic buffer: readers fill it with one line, no newline. */
struct ztrace_diag {
	char msg[512];
};

/* @src into @dst (@cap bytes): bytes outside printable ASCII as \\xNN (ztrace_error's). */
void ztrace_escape(char *dst, size_t cap, const char *src);

/* Format "file:line: " ("file: " before the first line) followed by the message into @diag.  Returns -EINVAL. */
int ztrace_error(struct ztrace_diag *diag, const struct ztrace_pos *pos,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Bytes read ahead from a stream, in large chunks: the unread ones are
 * buf[head, tail).  Both trace encodings and the image reader read
 * through one.
 */
struct ztrace_inbuf {
	FILE *f;
	char *buf;
	size_t cap, head, tail;
	bool eof;
};

int ztrace_inbuf_init(struct ztrace_inbuf *b, FILE *f, size_t cap);
void ztrace_inbuf_destroy(struct ztrace_inbuf *b);
/* Hand back @n bytes already read from the stream (nothing read through @b yet). */
void ztrace_inbuf_unread(struct ztrace_inbuf *b, const void *bytes, size_t n);
/* Move the unread bytes to the front and read once more, up to @room in all.  -EIO. */
int ztrace_inbuf_refill(struct ztrace_inbuf *b, size_t room);

/*
 * The compressor whose magic @bytes (@n of a file's first bytes) start
 * with: "gzip", "xz", "zstd", "bzip2", or NULL.  Readers of text name it
 * instead of failing on the first binary byte.
 */
const char *ztrace_compression(const void *bytes, size_t n);

/*
 * A buffered line reader: lines of up to @max_line bytes, returned in
 * place (NUL-terminated, without the newline).
 */
struct ztrace_lines {
	struct ztrace_inbuf in;
	size_t max_line;
};

int ztrace_lines_init(struct ztrace_lines *lr, FILE *f, size_t max_line);
void ztrace_lines_destroy(struct ztrace_lines *lr);
/*
 * The next line in *line (length *len), counted in @pos.  1 for a line,
 * 0 at end of file, -EINVAL with @diag filled (line too long, NUL byte,
 * read error).
 */
int ztrace_lines_next(struct ztrace_lines *lr, struct ztrace_pos *pos, char **line,
		      size_t *len, struct ztrace_diag *diag);

/*
 * Strip the comment ('#' to the end) of @line and split it at white space
 * into at most ZTRACE_TOKENS_MAX tokens.  Returns the count (0: blank) or
 * -EINVAL with @diag filled.
 */
int ztrace_split(char *line, char **tok, const struct ztrace_pos *pos,
		 struct ztrace_diag *diag);

/* Split "key=value" in place; false when there is no '='. */
bool ztrace_split_kv(char *tok, char **key, char **value);

/*
 * Parse an unsigned number: decimal or 0x-hex, '_' allowed between digits,
 * with an optional binary size suffix K, M, G or T.  Returns 0 or -EINVAL
 * (not a number, or it does not fit in 64 bits).
 */
int ztrace_parse_u64(const char *tok, u64 *val);

#ifdef __cplusplus
}
#endif

#endif /* ZTRACE_LEX_H */
