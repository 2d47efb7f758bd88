// SPDX-License-Identifier: MIT
// zpcisim report's plots: what results give to draw, and the gnuplot
// script and data that draw it.  Text in, text out: reading files and
// running gnuplot are the command's (cmd_report.cc), so that hostile
// results can be fuzzed here without either.
//
// Every string from the results (labels, tick names) reaches gnuplot only
// as a double-quoted string with every character but letters, digits and
// a few plain marks written as an octal escape: gnuplot 5.4 substitutes a
// `command` and an @macro in the line as read, before it sees the string,
// and its single-quoted strings cannot hold every string (a leading or
// doubled apostrophe breaks them).  Control characters and invalid UTF-8
// are drawn as U+FFFD.  Scripts name their files relative to the plot
// directory, which gnuplot runs in: no path from the command line reaches
// gnuplot (one starting with '<' or '|' would be run by a shell).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace zpcisim {

struct Series {
	std::string label;
	std::vector<std::pair<double, double>> points;
};

struct Plot {
	std::string name, title, xlabel, ylabel;
	std::vector<Series> series;
	// Categorical x: the names of x = 1, 2, ...; drawn as bars when there
	// is nothing else on the axis, as points over named ticks otherwise.
	std::vector<std::string> xticks;
	bool bars = false, scatter = false, steps = false;
	// Values whose range spans decades get a log scale; these plots take
	// one even where a value is 0, drawn at 1 and said so.
	bool logx_with_zero = false, logy_with_zero = false;
};

// The plots a sweep's CSV results @text give (appended to @plots); false
// with "@name:LINE: what is wrong" in @err.
bool sweep_plots(const std::string &text, const std::string &name, std::vector<Plot> *plots,
		 std::string *err);

// The runs in full stats @text: one JSON document (a run, or an array of
// runs) or JSON lines, each run checked for what the plots read.  false
// with "@name:LINE: what is wrong" (JSON lines) or "@name: run N: what is
// wrong" in @err.
bool read_stats(const std::string &text, const std::string &name,
		std::vector<nlohmann::json> *runs, std::string *err);

// The plots runs from read_stats() give (appended to @plots).
void stats_plots(const std::vector<nlohmann::json> &runs, std::vector<Plot> *plots);

// @p's data, NAME.dat: a block per series, headed by its label as a comment.
std::string plot_data(const Plot &p);

// The gnuplot script drawing @p from NAME.dat into @output (a name in the
// plot directory) on @terminal ("pngcairo", "svg").
std::string plot_script(const Plot &p, const char *terminal, const std::string &output);

// @s as a gnuplot string that is only ever data.
std::string gnuplot_string(const std::string &s);

}  // namespace zpcisim
