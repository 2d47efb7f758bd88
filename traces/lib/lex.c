// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <ztrace/lex.h>

/*
 * Messages quote input, and input may hold a terminal's escape codes: every
 * byte outside printable ASCII is shown as \xNN, never echoed raw.  An
 * escape that does not fit is left out whole.
 */
void ztrace_escape(char *dst, size_t cap, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (; *src; src++) {
		unsigned char c = *src;

		if (c >= 0x20 && c < 0x7f) {
			if (n + 1 >= cap)
				break;
			dst[n++] = c;
			continue;
		}
		if (n + 4 >= cap)
			break;
		dst[n++] = '\\';
		dst[n++] = 'x';
		dst[n++] = hex[c >> 4];
		dst[n++] = hex[c & 0xf];
	}
	dst[n] = '\0';
}

int ztrace_error(struct ztrace_diag *diag, const struct ztrace_pos *pos,
		 const char *fmt, ...)
{
	char raw[sizeof(diag->msg)];
	va_list ap;
	int n;

	if (pos->line)
		n = snprintf(raw, sizeof(raw), "%s:%lu: ", pos->file, pos->line);
	else
		n = snprintf(raw, sizeof(raw), "%s: ", pos->file);
	if (n < 0 || (size_t)n >= sizeof(raw))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(raw + n, sizeof(raw) - n, fmt, ap);
	va_end(ap);
	ztrace_escape(diag->msg, sizeof(diag->msg), raw);
	return -EINVAL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int ztrace_split(char *s, char **tok, const struct ztrace_pos *pos,
		 struct ztrace_diag *diag)
{
	char *hash = strchr(s, '#');
	int n = 0;

	if (hash)
		*hash = '\0';
	/* By hand: fields are short, and strspn()'s set-up costs more than them. */
	for (;;) {
		while (is_blank(*s))
			s++;
		if (!*s)
			return n;
		if (n == ZTRACE_TOKENS_MAX)
			return ztrace_error(diag, pos, "too many fields (at most %d)",
					    ZTRACE_TOKENS_MAX);
		tok[n++] = s;
		while (*s && !is_blank(*s))
			s++;
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

const char *ztrace_compression(const void *bytes, size_t n)
{
	static const struct {
		const char *name;
		const char *magic;
		size_t len;
	} magics[] = {
		{ "gzip", "\x1f\x8b", 2 },
		{ "xz", "\xfd" "7zXZ\0", 6 },
		{ "zstd", "\x28\xb5\x2f\xfd", 4 },
		{ "bzip2", "BZh", 3 },
	};
	size_t i;

	for (i = 0; i < ZPCI_ARRAY_SIZE(magics); i++)
		if (n >= magics[i].len && !memcmp(bytes, magics[i].magic, magics[i].len))
			return magics[i].name;
	return NULL;
}

int ztrace_inbuf_init(struct ztrace_inbuf *b, FILE *f, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->buf = malloc(cap);
	if (!b->buf)
		return -ENOMEM;
	b->f = f;
	b->cap = cap;
	return 0;
}

void ztrace_inbuf_destroy(struct ztrace_inbuf *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

void ztrace_inbuf_unread(struct ztrace_inbuf *b, const void *bytes, size_t n)
{
	memcpy(b->buf, bytes, n);
	b->head = 0;
	b->tail = n;
}

int ztrace_inbuf_refill(struct ztrace_inbuf *b, size_t room)
{
	size_t n;

	memmove(b->buf, b->buf + b->head, b->tail - b->head);
	b->tail -= b->head;
	b->head = 0;
	n = fread(b->buf + b->tail, 1, room - b->tail, b->f);
	b->tail += n;
	if (n == 0) {
		if (ferror(b->f))
			return -EIO;
		b->eof = true;
	}
	return 0;
}

int ztrace_lines_init(struct ztrace_lines *lr, FILE *f, size_t max_line)
{
	lr->max_line = max_line;
	return ztrace_inbuf_init(&lr->in, f, 2 * max_line + 2 > 65536 ? 2 * max_line + 2 : 65536);
}

void ztrace_lines_destroy(struct ztrace_lines *lr)
{
	ztrace_inbuf_destroy(&lr->in);
}

int ztrace_lines_next(struct ztrace_lines *lr, struct ztrace_pos *pos, char **line,
		      size_t *len, struct ztrace_diag *diag)
{
	struct ztrace_inbuf *b = &lr->in;
	char *start, *nl;
	size_t n;

	for (;;) {
		start = b->buf + b->head;
		nl = memchr(start, '\n', b->tail - b->head);
		if (nl || b->eof || b->tail - b->head > lr->max_line)
			break;
		/* One byte kept for the NUL that ends the last line. */
		if (ztrace_inbuf_refill(b, b->cap - 1)) {
			pos->line++;
			return ztrace_error(diag, pos, "read error: %s", strerror(errno));
		}
	}
	n = nl ? (size_t)(nl - start) : b->tail - b->head;
	if (!nl && n == 0)
		return 0;
	pos->line++;
	if (n > lr->max_line)
		return ztrace_error(diag, pos, "line longer than %zu bytes", lr->max_line);
	if (memchr(start, '\0', n))
		return ztrace_error(diag, pos, "NUL byte in line");
	start[n] = '\0';
	b->head += n + (nl ? 1 : 0);
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
		/* Not a division per digit: it cost more than the rest of the parse. */
		if (__builtin_mul_overflow(v, (u64)base, &v) || __builtin_add_overflow(v, (u64)d, &v))
			return -EINVAL;
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
