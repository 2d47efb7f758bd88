// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include <ztrace/lex.h>

namespace {

uint64_t num(const char *s)
{
	uint64_t v = 0;
	EXPECT_EQ(ztrace_parse_u64(s, &v), 0) << s;
	return v;
}

bool bad(const char *s)
{
	uint64_t v;
	return ztrace_parse_u64(s, &v) == -EINVAL;
}

TEST(ParseU64, DecimalHexSeparatorsAndSuffixes)
{
	EXPECT_EQ(num("0"), 0u);
	EXPECT_EQ(num("4096"), 4096u);
	EXPECT_EQ(num("0x1_0000_0000"), 0x100000000ULL);
	EXPECT_EQ(num("0XfF"), 255u);
	EXPECT_EQ(num("64M"), 64ULL << 20);
	EXPECT_EQ(num("4k"), 4096u);
	EXPECT_EQ(num("2G"), 2ULL << 30);
	EXPECT_EQ(num("1T"), 1ULL << 40);
	EXPECT_EQ(num("0x10M"), 16ULL << 20);
	EXPECT_EQ(num("18446744073709551615"), UINT64_MAX);
	EXPECT_EQ(num("0xffff_ffff_ffff_ffff"), UINT64_MAX);
}

TEST(ParseU64, RejectsWhatIsNotANumber)
{
	for (const char *s : { "", "x", "0x", "-1", "1_", "_1", "1__0", "12Q", "4MB", "0xg",
			       "18446744073709551616", "0x1_0000_0000_0000_0000", "16777216T",
			       "1 2" })
		EXPECT_TRUE(bad(s)) << "'" << s << "'";
}

// Reads @text line by line with the shared reader, as every text format does.
class Lines {
public:
	Lines(const std::string &text, size_t max_line)
		: text_(text), f_(fmemopen(text_.data(), text_.size(), "r"))
	{
		EXPECT_EQ(ztrace_lines_init(&lr_, f_, max_line), 0);
	}
	~Lines()
	{
		ztrace_lines_destroy(&lr_);
		fclose(f_);
	}

	// Token count, 0 for a blank line, -1 at the end, or -EINVAL.
	int next(std::vector<std::string> *tokens = nullptr)
	{
		char *line, *tok[ZTRACE_TOKENS_MAX];
		size_t len;
		int rc = ztrace_lines_next(&lr_, &pos_, &line, &len, &diag_);
		if (rc <= 0)
			return rc == 0 ? -1 : rc;
		int n = ztrace_split(line, tok, &pos_, &diag_);
		if (tokens && n >= 0)
			tokens->assign(tok, tok + n);
		return n;
	}

	std::string error() const { return diag_.msg; }
	unsigned long line() const { return pos_.line; }

private:
	std::string text_;	// fmemopen reads it in place
	FILE *f_;
	ztrace_lines lr_{};
	ztrace_pos pos_{ "f", 0 };
	ztrace_diag diag_{};
};

TEST(Lines, StripsCommentsAndSplitsTokens)
{
	Lines in("  a  b\tc # d e\r\n\n# only comment\nlast", 64);
	std::vector<std::string> t;
	ASSERT_EQ(in.next(&t), 3);
	EXPECT_EQ(t, (std::vector<std::string>{ "a", "b", "c" }));
	EXPECT_EQ(in.next(), 0);
	EXPECT_EQ(in.next(), 0);
	ASSERT_EQ(in.next(&t), 1);
	EXPECT_EQ(t[0], "last");
	EXPECT_EQ(in.line(), 4u);
	EXPECT_EQ(in.next(), -1);
}

TEST(Lines, LongLineIsAnErrorWithItsPosition)
{
	Lines in("ok\n" + std::string(100, 'x') + "\n", 31);
	EXPECT_EQ(in.next(), 1);
	EXPECT_EQ(in.next(), -EINVAL);
	EXPECT_EQ(in.error(), "f:2: line longer than 31 bytes");
}

TEST(Lines, TooManyTokensAndNulBytesAreErrors)
{
	std::string many;
	for (int i = 0; i <= ZTRACE_TOKENS_MAX; i++)
		many += "t ";
	{
		Lines in(many + "\n", 256);
		EXPECT_EQ(in.next(), -EINVAL);
		EXPECT_EQ(in.error(), "f:1: too many fields (at most 16)");
	}
	Lines in("ok\n" + std::string("a\0b\n", 4), 256);
	EXPECT_EQ(in.next(), 1);
	EXPECT_EQ(in.next(), -EINVAL);
	EXPECT_EQ(in.error(), "f:2: NUL byte in line");
}

// A message quotes input: a terminal's escape codes in it (ESC, BEL, DEL,
// bytes past ASCII) come out as \xNN, and an escape that would not fit is
// left out whole.
TEST(Diag, NonPrintableBytesInQuotedInputAreEscaped)
{
	ztrace_diag diag;
	ztrace_pos pos{ "f\x1b", 3 };

	EXPECT_EQ(ztrace_error(&diag, &pos, "record '%s'", "a\x1b[2Jb\x07\x7f\xff"), -EINVAL);
	EXPECT_STREQ(diag.msg, "f\\x1b:3: record 'a\\x1b[2Jb\\x07\\x7f\\xff'");

	std::string full(sizeof(diag.msg) - 6, 'x');
	ztrace_pos none{ "f", 0 };
	ztrace_error(&diag, &none, "%s\x1b", full.c_str());
	EXPECT_EQ(std::string(diag.msg), "f: " + full);	// "\x1b" would not fit
}

// Lines that straddle the reader's internal refills come out whole.
TEST(Lines, LinesAcrossBufferRefillsStayWhole)
{
	std::string text;
	for (int i = 0; i < 20000; i++)
		text += std::to_string(i) + " " + std::string(i % 37, 'y') + "\n";
	Lines in(text, 4096);
	std::vector<std::string> t;
	for (int i = 0; i < 20000; i++) {
		ASSERT_GE(in.next(&t), 1) << i;
		ASSERT_EQ(t[0], std::to_string(i));
		ASSERT_EQ(t.size(), i % 37 ? 2u : 1u);
	}
	EXPECT_EQ(in.next(), -1);
}

}  // namespace
