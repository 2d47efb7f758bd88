// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <ztrace/lex.h>

int ztrace_error(struct ztrace_diag *diag, const struct ztrace_pos *pos,
		 const char *fmt, ...)
{
	va_list ap;
	int n;

	if (pos->line)
		n = snprintf(diag->msg, sizeof(diag->msg), "%s:%lu: ", pos->file, pos->line);
	else
		n = snprintf(diag->msg, sizeof(diag->msg), "%s: ", pos->file);
	if (n < 0 || (size_t)n >= sizeof(diag->msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(diag->msg + n, sizeof(diag->msg) - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int ztrace_split(char *s, char **tok, const struct ztrace_pos *pos,
		 struct ztrace_diag *diag)
{
	char *hash = strchr(s, '#');
	int n = 0;

	if (hash)
		*hash = '\0';
	for (;;) {
		s += strspn(s, " \t\r");
		if (!*s)
			return n;
		if (n == ZTRACE_TOKENS_MAX)
			return ztrace_error(diag, pos, "too many fields (at most %d)",
					    ZTRACE_TOKENS_MAX);
		tok[n++] = s;
		s += strcspn(s, " \t\r");
		if (*s)
			*s++ = '\0';
	}
}

bool ztrace_split_kv(char *tok, char **key, char **value)
{
	char *eq = strchr(tok, '=');

	if (!eq)
		return false;
	*eq = '\0';
	*key = tok;
	*value = eq + 1;
	return true;
}

int ztrace_lines_init(struct ztrace_lines *lr, FILE *f, size_t max_line)
{
	memset(lr, 0, sizeof(*lr));
	lr->cap = 2 * max_line + 2 > 65536 ? 2 * max_line + 2 : 65536;
	lr->buf = malloc(lr->cap);
	if (!lr->buf)
		return -ENOMEM;
	lr->f = f;
	lr->max_line = max_line;
	return 0;
}

void ztrace_lines_destroy(struct ztrace_lines *lr)
{
	free(lr->buf);
	memset(lr, 0, sizeof(*lr));
}

/* Move the unread part to the front and read more after it. */
static int lines_refill(struct ztrace_lines *lr)
{
	size_t n;

	memmove(lr->buf, lr->buf + lr->head, lr->tail - lr->head);
	lr->tail -= lr->head;
	lr->head = 0;
	n = fread(lr->buf + lr->tail, 1, lr->cap - 1 - lr->tail, lr->f);
	lr->tail += n;
	if (n == 0) {
		if (ferror(lr->f))
			return -EIO;
		lr->eof = true;
	}
	return 0;
}

int ztrace_lines_next(struct ztrace_lines *lr, struct ztrace_pos *pos, char **line,
		      size_t *len, struct ztrace_diag *diag)
{
	char *start, *nl;
	size_t n;

	for (;;) {
		start = lr->buf + lr->head;
		nl = memchr(start, '\n', lr->tail - lr->head);
		if (nl || lr->eof || lr->tail - lr->head > lr->max_line)
			break;
		if (lines_refill(lr)) {
			pos->line++;
			return ztrace_error(diag, pos, "read error: %s", strerror(errno));
		}
	}
	n = nl ? (size_t)(nl - start) : lr->tail - lr->head;
	if (!nl && n == 0)
		return 0;
	pos->line++;
	if (n > lr->max_line)
		return ztrace_error(diag, pos, "line longer than %zu bytes", lr->max_line);
	if (memchr(start, '\0', n))
		return ztrace_error(diag, pos, "NUL byte in line");
	start[n] = '\0';
	lr->head += n + (nl ? 1 : 0);
	*line = start;
	*len = n;
	return 1;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

static int size_shift(const char *s)
{
	static const char suffixes[] = "KMGT";
	const char *p;

	if (!s[0] || s[1])
		return -1;
	p = strchr(suffixes, s[0] & ~0x20);
	return p ? 10 * (int)(p - suffixes + 1) : -1;
}

int ztrace_parse_u64(const char *tok, u64 *val)
{
	unsigned int base = 10;
	bool digit_seen = false, last_sep = false;
	u64 v = 0;
	int shift;

	if (tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) {
		base = 16;
		tok += 2;
	}
	for (; *tok; tok++) {
		int d = digit_value(*tok);

		if (*tok == '_' && digit_seen && !last_sep) {
			last_sep = true;
			continue;
		}
		if (d >= (int)base)
			break;
		if (v > (UINT64_MAX - d) / base)
			return -EINVAL;
		v = v * base + d;
		digit_seen = true;
		last_sep = false;
	}
	if (!digit_seen || last_sep)
		return -EINVAL;
	if (*tok) {
		shift = size_shift(tok);
		if (shift < 0 || (v << shift) >> shift != v)
			return -EINVAL;
		v <<= shift;
	}
	*val = v;
	return 0;
}
