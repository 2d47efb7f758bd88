// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

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

struct Lines {
	explicit Lines(const std::string &text)
		: f(fmemopen(const_cast<char *>(text.data()), text.size(), "r"))
	{
	}
	~Lines() { fclose(f); }
	FILE *f;
};

TEST(NextLine, StripsCommentsAndSplitsTokens)
{
	std::string text = "  a  b\tc # d e\n\n# only comment\nlast";
	Lines in(text);
	ztrace_pos pos{ "t", 0 };
	ztrace_diag diag;
	char buf[64], *tok[ZTRACE_TOKENS_MAX];

	ASSERT_EQ(ztrace_next_line(in.f, &pos, buf, sizeof(buf), tok, &diag), 3);
	EXPECT_STREQ(tok[0], "a");
	EXPECT_STREQ(tok[2], "c");
	EXPECT_EQ(ztrace_next_line(in.f, &pos, buf, sizeof(buf), tok, &diag), 0);
	EXPECT_EQ(ztrace_next_line(in.f, &pos, buf, sizeof(buf), tok, &diag), 0);
	ASSERT_EQ(ztrace_next_line(in.f, &pos, buf, sizeof(buf), tok, &diag), 1);
	EXPECT_STREQ(tok[0], "last");
	EXPECT_EQ(pos.line, 4u);
	EXPECT_EQ(ztrace_next_line(in.f, &pos, buf, sizeof(buf), tok, &diag), -1);
}

TEST(NextLine, LongLineIsAnErrorWithItsPosition)
{
	std::string text = "ok\n" + std::string(100, 'x') + "\n";
	Lines in(text);
	ztrace_pos pos{ "f.zimg", 0 };
	ztrace_diag diag;
	char buf[32], *tok[ZTRACE_TOKENS_MAX];

	EXPECT_EQ(ztrace_next_line(in.f, &pos, buf, sizeof(buf), tok, &diag), 1);
	EXPECT_EQ(ztrace_next_line(in.f, &pos, buf, sizeof(buf), tok, &diag), -EINVAL);
	EXPECT_STREQ(diag.msg, "f.zimg:2: line longer than 31 bytes");
}

TEST(NextLine, TooManyTokensAndNulBytesAreErrors)
{
	std::string many;
	for (int i = 0; i <= ZTRACE_TOKENS_MAX; i++)
		many += "t ";
	std::string text = many + "\n" + std::string("a\0b\n", 4);
	Lines in(text);
	ztrace_pos pos{ "f", 0 };
	ztrace_diag diag;
	char buf[256], *tok[ZTRACE_TOKENS_MAX];

	EXPECT_EQ(ztrace_next_line(in.f, &pos, buf, sizeof(buf), tok, &diag), -EINVAL);
	EXPECT_STREQ(diag.msg, "f:1: too many fields (at most 16)");
	EXPECT_EQ(ztrace_next_line(in.f, &pos, buf, sizeof(buf), tok, &diag), -EINVAL);
	EXPECT_STREQ(diag.msg, "f:2: NUL byte in line");
}

}  // namespace
