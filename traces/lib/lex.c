// SPDX-License-Identifier: MIT
#include <stdarg.h>
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

static int split_tokens(char *s, char **tok, struct ztrace_diag *diag,
			const struct ztrace_pos *pos)
{
	int n = 0;

	for (;;) {
		s += strspn(s, " \t\r\n");
		if (!*s)
			return n;
		if (n == ZTRACE_TOKENS_MAX)
			return ztrace_error(diag, pos, "too many fields (at most %d)",
					    ZTRACE_TOKENS_MAX);
		tok[n++] = s;
		s += strcspn(s, " \t\r\n");
		if (*s)
			*s++ = '\0';
	}
}

int ztrace_next_line(FILE *f, struct ztrace_pos *pos, char *buf, size_t bufsz,
		     char **tok, struct ztrace_diag *diag)
{
	bool nul = false;
	size_t len = 0;
	char *hash;
	int c;

	/* By hand rather than fgets(), which cannot see a NUL inside a line. */
	while ((c = getc(f)) != EOF && c != '\n') {
		if (len < bufsz - 1)
			buf[len] = (char)c;
		nul |= c == '\0';
		len++;
	}
	if (c == EOF && len == 0)
		return -1;
	pos->line++;
	if (len > bufsz - 1)
		return ztrace_error(diag, pos, "line longer than %zu bytes", bufsz - 1);
	if (nul)
		return ztrace_error(diag, pos, "NUL byte in line");
	buf[len] = '\0';
	hash = strchr(buf, '#');
	if (hash)
		*hash = '\0';
	return split_tokens(buf, tok, diag, pos);
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
