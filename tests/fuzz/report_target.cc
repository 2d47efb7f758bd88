// SPDX-License-Identifier: MIT
// zpcisim_fuzz_report and zpcisim_fuzz_telemetry: results for `zpcisim
// report` and messages for `zpcisim monitor`, any bytes.  Results give
// plots or one line naming the input; every plot's gnuplot script holds
// nothing from the input but escaped strings (nothing gnuplot would run)
// and its data only numbers under one-line labels.  A message is taken, with
// every field of its type, or refused in one line.
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

#include "report.h"
#include "targets.h"
#include "telemetry.h"

namespace {

[[noreturn]] void fail(const char *what, const std::string &detail)
{
	fprintf(stderr, "%s: %s\n", what, detail.c_str());
	abort();
}

void expect_refusal(const std::string &err)
{
	if (err.rfind(ZPCISIM_FUZZ_INPUT, 0) || err.find('\n') != std::string::npos)
		fail("a refusal is not one line naming the input", err);
}

// A script line: gnuplot's words and numbers, and strings of plain
// characters and octal escapes only.
void expect_inert(const std::string &line)
{
	static const char kPlain[] = " .,-_:/()+=%";
	bool quoted = false;

	if (line.rfind("set ", 0) && line.rfind("plot ", 0))
		fail("a script line is not a command of ours", line);
	for (size_t i = 0; i < line.size(); i++) {
		unsigned char c = line[i];
		if (c == '"') {
			quoted = !quoted;
		} else if (quoted && c == '\\') {
			bool octal = i + 3 < line.size();
			for (size_t k = 1; octal && k <= 3; k++)
				octal = line[i + k] >= '0' && line[i + k] <= '7';
			if (!octal)
				fail("a string holds a backslash that is no octal escape", line);
			i += 3;
		} else if (!isalnum(c) && (!c || !strchr(quoted ? kPlain : "[]*: .,-_/()+=%", c))) {
			fail("a script line holds a character gnuplot could act on", line);
		}
	}
	if (quoted)
		fail("a string does not end on its line", line);
}

// A data line: a label comment, a block's end, or two finite numbers.
void expect_data(const std::string &line)
{
	if (line.empty())
		return;
	if (line.rfind("# ", 0) == 0) {
		for (unsigned char c : line)
			if (c < 0x20 || c == 0x7f)
				fail("a label holds a control character", line);
		return;
	}
	std::istringstream in(line);
	std::string x, y, more;
	in >> x >> y >> more;
	char *end;
	for (const std::string &v : { x, y })
		if (v.empty() || !std::isfinite(strtod(v.c_str(), &end)) || *end)
			fail("a data line is not two finite numbers", line);
	if (!more.empty())
		fail("a data line is not two finite numbers", line);
}

void expect_drawable(const std::vector<zpcisim::Plot> &plots)
{
	for (const zpcisim::Plot &p : plots) {
		std::istringstream script(zpcisim::plot_script(p, "svg", p.name + ".svg"));
		for (std::string line; std::getline(script, line);)
			expect_inert(line);
		std::istringstream data(zpcisim::plot_data(p));
		for (std::string line; std::getline(data, line);)
			expect_data(line);
	}
}

}  // namespace

extern "C" int zpcisim_fuzz_report(const uint8_t *data, size_t size)
{
	std::string text(reinterpret_cast<const char *>(data), size), err;
	std::vector<zpcisim::Plot> plots;
	std::vector<nlohmann::json> runs;

	if (zpcisim::sweep_plots(text, ZPCISIM_FUZZ_INPUT, &plots, &err))
		expect_drawable(plots);
	else
		expect_refusal(err);
	plots.clear();
	if (zpcisim::read_stats(text, ZPCISIM_FUZZ_INPUT, &runs, &err)) {
		zpcisim::stats_plots(runs, &plots);
		expect_drawable(plots);
	} else {
		expect_refusal(err);
	}
	return 0;
}

extern "C" int zpcisim_fuzz_telemetry(const uint8_t *data, size_t size)
{
	zpcisim::TelemetryMessage m;
	std::string why;

	if (!zpcisim::parse_telemetry(std::string(reinterpret_cast<const char *>(data), size), &m, &why)) {
		if (why.empty() || why.find('\n') != std::string::npos)
			fail("a refused message is not said in one line", why);
		return 0;
	}
	if (!std::isfinite(m.elapsed_s) || (m.progress && !std::isfinite(*m.progress)))
		fail("a message's time is not finite", std::to_string(m.elapsed_s));
	for (const auto &[k, v] : m.stats.items())
		if (!v.is_null())
			(void)v.get<double>();	// what the monitor reads of each counter
	return 0;
}
