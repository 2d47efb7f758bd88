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

/* Format "file:line: " ("file: " before the first line) followed by the message into @diag.  Returns -EINVAL. */
int ztrace_error(struct ztrace_diag *diag, const struct ztrace_pos *pos,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Read the next line of @f into @buf, strip its comment ('#' to the end)
 * and split it at white space into at most ZTRACE_TOKENS_MAX tokens.
 * Returns the token count (0 for a blank line), -1 at end of file, or
 * -EINVAL with @diag filled (line too long, too many tokens, NUL byte).
 */
int ztrace_next_line(FILE *f, struct ztrace_pos *pos, char *buf, size_t bufsz,
		     char **tok, struct ztrace_diag *diag);

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
