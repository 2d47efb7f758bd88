// SPDX-License-Identifier: MIT
// zpcisim_fuzz_config: any bytes as a configuration file, and each of its
// lines as a `--set` assignment.  A file loads, or is refused in one line
// that names the input and a line number; a loaded file either fails the
// cross-key checks in one line or dumps to a file that loads back to the
// same configuration.  An assignment is taken or refused in one line.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "config.h"
#include "targets.h"

namespace {

[[noreturn]] void fail(const char *what, const std::string &detail)
{
	fprintf(stderr, "zpcisim_fuzz_config: %s: %s\n", what, detail.c_str());
	abort();
}

void expect_one_line(const std::string &err)
{
	if (err.empty() || err.find('\n') != std::string::npos)
		fail("a refusal is not one line", err);
}

void fuzz_file(const std::string &text)
{
	const std::string name = ZPCISIM_FUZZ_INPUT;
	zpcisim::Config c, back;
	std::string err;

	if (!c.read(text, name, &err)) {
		expect_one_line(err);
		if (err.rfind(name + ":", 0) || !isdigit(static_cast<unsigned char>(err[name.size() + 1])))
			fail("a refusal does not name the input and a line", err);
		return;
	}
	if (!c.check(&err)) {
		expect_one_line(err);
		// Every key came from the input, and the defaults agree.
		if (err.rfind(name + ":", 0))
			fail("a cross-key refusal does not name the input and a line", err);
		return;
	}
	if (!back.read(c.dump(), "dump", &err))
		fail("the dump does not load back", err);
	if (back.json() != c.json())
		fail("the dump loads back to another configuration", back.json().dump());
}

void fuzz_assignments(const std::string &text)
{
	zpcisim::Config c;
	size_t start = 0;

	while (start < text.size()) {
		size_t end = text.find('\n', start);
		std::string line = text.substr(start, end == std::string::npos ? end : end - start);
		std::string err;

		if (!c.set(line, &err))
			expect_one_line(err);
		start = end == std::string::npos ? text.size() : end + 1;
	}
}

}  // namespace

extern "C" int zpcisim_fuzz_config(const uint8_t *data, size_t size)
{
	std::string text(reinterpret_cast<const char *>(data), size);

	fuzz_file(text);
	fuzz_assignments(text);
	return 0;
}
