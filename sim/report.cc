// SPDX-License-Identifier: MIT
// Sweep results (CSV) give cost and IOTLB hit rate per design across the
// swept values; full stats (a replay's or compare's --stats-json, a sweep's
// --json lines) give pinned memory over time, the stale-window distribution
// and the DMA latency distribution per run.
#include "report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

#include "sweep.h"

namespace zpcisim {

namespace {

// A sweep's results, by column name.
struct Table {
	std::vector<std::string> head;
	std::vector<std::vector<std::string>> rows;	// the points that ran ("ok")
	std::vector<int> axes;	// the swept keys' columns, between "point" and "status"

	int col(const std::string &name) const
	{
		for (size_t i = 0; i < head.size(); i++)
			if (head[i] == name)
				return int(i);
		return -1;
	}

	// Whether column @c has a value in some row.
	bool has(int c) const
	{
		for (const auto &r : rows)
			if (c >= 0 && !r[c].empty())
				return true;
		return false;
	}
};

// A finite number: a value to draw.  "nan" and "inf" are left out as an
// empty field is.
bool number(const std::string &s, double *v)
{
	char *end;

	*v = strtod(s.c_str(), &end);
	return !s.empty() && !*end && std::isfinite(*v);
}

bool numeric(const std::string &s)
{
	double v;

	return number(s, &v);
}

// A plot's name, title and axes; no series yet.
Plot plot(const char *name, const std::string &title, const std::string &xlabel,
	  const char *ylabel)
{
	Plot p;

	p.name = name;
	p.title = title;
	p.xlabel = xlabel;
	p.ylabel = ylabel;
	return p;
}

// @y (scaled) over column @x, a series per combination of the other swept
// keys' values, so that no line joins points that differ in anything but x.
Plot figure(const Table &t, int x, int y, double scale, const char *name,
	    const std::string &title, const char *ylabel)
{
	Plot p = plot(name, title, t.head[x], ylabel);
	// Keyed by the values themselves, not their joined label: values with
	// commas in them must not merge two series.
	std::vector<std::vector<std::string>> order;
	std::map<std::vector<std::string>, Series> series;
	bool categorical = false;

	for (const auto &r : t.rows)
		categorical |= !numeric(r[x]);
	for (const auto &r : t.rows) {
		double xv, yv;
		if (!number(r[y], &yv) || (!categorical && !number(r[x], &xv)))
			continue;
		std::vector<std::string> key;
		std::string label;
		for (int a : t.axes)
			if (a != x) {
				key.push_back(r[a]);
				label += (label.empty() ? "" : ", ") + r[a];
			}
		if (categorical) {
			auto it = std::find(p.xticks.begin(), p.xticks.end(), r[x]);
			if (it == p.xticks.end())
				it = p.xticks.insert(p.xticks.end(), r[x]);
			xv = double(it - p.xticks.begin() + 1);
		}
		if (!series.count(key))
			order.push_back(key);
		Series &s = series[key];
		s.label = label.empty() ? ylabel : label;
		s.points.push_back({ xv, yv * scale });
	}
	for (const auto &k : order)
		p.series.push_back(series[k]);
	// Bars only where each x has one value: a design-only sweep.
	p.bars = categorical && p.series.size() == 1;
	return p;
}

// The axis a sweep's figures run along: its first numeric swept key other
// than the design, else its first other key, else the design.
int x_axis(const Table &t, int design)
{
	int first = -1;

	for (int a : t.axes) {
		if (a == design)
			continue;
		bool all_numeric = !t.rows.empty();
		for (const auto &r : t.rows)
			all_numeric &= numeric(r[a]);
		if (all_numeric)
			return a;
		if (first < 0)
			first = a;
	}
	return first >= 0 ? first : design;
}

// Column @name of @t's results, which a plot needs.
bool need(const Table &t, const std::string &file, const char *name, int *col, std::string *err)
{
	*col = t.col(name);
	if (*col < 0)
		*err = file + ":1: no '" + name + "' column";
	return *col >= 0;
}

// The table of a sweep's CSV: its header, its axes and the rows that ran.
bool read_table(const std::string &text, const std::string &name, Table *t, std::string *err)
{
	std::istringstream in(text);
	std::string line;
	int status;

	if (!std::getline(in, line) || (t->head = csv_split(line))[0] != "point") {
		*err = name + ":1: not sweep results (no 'point' column)";
		return false;
	}
	if (!need(*t, name, "status", &status, err))
		return false;
	// A row of another width is one being written: a sweep still running.
	while (std::getline(in, line)) {
		auto row = csv_split(line);
		if (row.size() == t->head.size() && row[status] == "ok")
			t->rows.push_back(std::move(row));
	}
	for (int c = 1; c < status; c++)
		t->axes.push_back(c);
	return true;
}

// A JSON value that holds [[x, y], ...] when present (null: absent).
bool pairs(const nlohmann::json &run, const nlohmann::json::json_pointer &at, std::string *what)
{
	if (!run.contains(at) || run[at].is_null())
		return true;
	const nlohmann::json &v = run[at];
	bool ok = v.is_array();
	for (size_t i = 0; ok && i < v.size(); i++)
		ok = v[i].is_array() && v[i].size() == 2 && v[i][0].is_number() &&
		     v[i][1].is_number();
	if (!ok)
		*what = "'" + at.to_string().substr(1) + "' is not [[number, number], ...]";
	return ok;
}

// Whether @run holds what stats_plots() reads, in the types it reads.
bool check_run(const nlohmann::json &run, std::string *what)
{
	if (!run.is_object()) {
		*what = "not a run's stats (a JSON object)";
		return false;
	}
	if (run.contains("design") && !run["design"].is_string()) {
		*what = "'design' is not a string";
		return false;
	}
	if (run.contains("sweep_values") && !run["sweep_values"].is_object()) {
		*what = "'sweep_values' is not an object";
		return false;
	}
	if (run.contains("models") && !run["models"].is_object() && !run["models"].is_null()) {
		*what = "'models' is not an object";
		return false;
	}
	for (const char *at : { "/pinned_bytes_series", "/stale_window_histogram_ns",
				"/exposure_window_histogram_ns", "/models/dma_latency_histogram_ns" })
		if (!pairs(run, nlohmann::json::json_pointer(at), what))
			return false;
	return true;
}

// A label for a run's stats: its design, and what else a sweep varied.
std::string run_label(const nlohmann::json &j)
{
	std::string label = j.value("design", "run");
	if (j.contains("sweep_values"))
		for (const auto &[k, v] : j["sweep_values"].items())
			if (k != "replay.design")
				label += " " + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
	return label;
}

// A histogram's (upper bound, count) buckets as one series of @p, if any.
void add_histogram(Plot *p, const std::string &label, const nlohmann::json &buckets)
{
	Series s{ label, {} };

	for (const auto &b : buckets)
		s.points.push_back({ b[0].get<double>(), b[1].get<double>() });
	if (!s.points.empty())
		p->series.push_back(s);
}

// How one axis is drawn, from the values on it.
struct Scale {
	bool log = false;
	bool zero = false;	// a log scale showing 0 values, at zero_at
	double zero_at = 1;
	int base = 10;
	std::string format;	// gnuplot's tic format; empty: its default
	double min = 0;		// the least value
};

bool near_power_of_two(double v)
{
	double e = std::round(std::log2(v));

	return v > 0 && std::fabs(v - std::exp2(e)) <= 0.01 * v;
}

// Linear from zero, unless the positive values span 1.5 decades or more
// (and there is no 0, or the plot takes 0 at 1): then logarithmic, in
// powers of two where the values are, with SI or binary prefixes so that
// no tic label is a long row of digits.
Scale scale(const std::vector<double> &v, bool categorical, bool with_zero)
{
	Scale s;
	double lo = 0, hi = 0;
	bool zero = false, pow2 = true;

	s.min = v.empty() ? 0 : *std::min_element(v.begin(), v.end());
	for (double x : v) {
		if (x <= 0) {
			zero = true;
			continue;
		}
		lo = lo ? std::min(lo, x) : x;
		hi = std::max(hi, x);
		pow2 &= near_power_of_two(x);
	}
	if (categorical || !lo || (zero && !with_zero) || (hi / lo < 30 && !with_zero))
		return s;
	s.log = true;
	s.zero = zero;
	s.zero_at = lo >= 1 ? 1 : lo / 2;
	s.base = pow2 && hi / lo <= 4096 * 1024.0 ? 2 : 10;
	if (s.base == 2)
		s.format = hi >= 8192 ? "%.0b%B" : "%.0f";
	else if (lo >= 1 && hi >= 1e5)
		s.format = "%.0s%c";	// 1k, 10M: a unit's prefix on the label's unit
	else
		s.format = "%g";
	return s;
}

// The scales of @p's axes, from its values.
std::pair<Scale, Scale> scales(const Plot &p)
{
	std::vector<double> xs, ys;

	for (const Series &s : p.series)
		for (const auto &[x, y] : s.points)
			xs.push_back(x), ys.push_back(y);
	return { scale(xs, !p.xticks.empty(), p.logx_with_zero), scale(ys, false, p.logy_with_zero) };
}

std::string axis_label(const std::string &label, const Scale &s)
{
	if (!s.log)
		return label;
	if (!s.zero)
		return label + " (log scale)";
	std::ostringstream l;
	l << label << " (log scale; 0 drawn at " << s.zero_at << ")";
	return l.str();
}

// One axis's settings: its scale, tic format and, linear, a range from 0.
void axis(std::ostream &g, char name, const Scale &s)
{
	if (s.log)
		g << "set logscale " << name << ' ' << s.base << "\n";
	else if (s.min >= 0)
		g << "set " << name << "range [0:*]\n";
	if (!s.format.empty())
		g << "set format " << name << ' ' << gnuplot_string(s.format) << "\n";
}

// The length of the UTF-8 sequence starting @s[i], or 0 when it is not
// one (overlong forms and surrogates included).
size_t utf8_length(const std::string &s, size_t i)
{
	auto at = [&](size_t k) { return i + k < s.size() ? (unsigned char)s[i + k] : 0u; };
	auto cont = [](unsigned c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; };
	unsigned c = at(0);

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return cont(at(1), 0x80, 0xbf) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		return cont(at(1), lo, hi) && cont(at(2), 0x80, 0xbf) ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		return cont(at(1), lo, hi) && cont(at(2), 0x80, 0xbf) && cont(at(3), 0x80, 0xbf) ? 4 : 0;
	}
	return 0;
}

// @s with every control character and byte that is not UTF-8 drawn as
// U+FFFD: one line, and text an SVG file can hold.
std::string printable(const std::string &s)
{
	std::string out;

	for (size_t i = 0; i < s.size();) {
		size_t n = utf8_length(s, i);
		unsigned char c = s[i];
		if (!n || c < 0x20 || c == 0x7f) {
			out += "\xef\xbf\xbd";
			i++;
		} else {
			out.append(s, i, n);
			i += n;
		}
	}
	return out;
}

}  // namespace

bool sweep_plots(const std::string &text, const std::string &name, std::vector<Plot> *plots,
		 std::string *err)
{
	Table t;
	int cost;

	if (!read_table(text, name, &t, err) || !need(t, name, "cpu_total_ns", &cost, err))
		return false;
	int status = t.col("status"), design = t.col("replay.design");
	int x = x_axis(t, design);
	if (x < 0)
		return true;	// nothing swept
	std::string along = x == design ? "" : " over " + t.head[x];

	plots->push_back(figure(t, x, cost, 1e-6, "cost_per_design", "CPU time per design" + along,
				"CPU time (ms)"));
	int rate = t.col("requests_per_s"), latency;
	if (t.has(rate)) {
		if (!need(t, name, "request_latency_ns_p99", &latency, err))
			return false;
		plots->push_back(figure(t, x, rate, 1e-3, "throughput",
					"Closed-loop throughput" + along, "thousand requests/s"));
		plots->push_back(figure(t, x, latency, 1e-3, "request_latency_p99",
					"Request latency, p99" + along, "latency, p99 (us)"));
	}
	int entries = t.col("iotlb.entries"), hit_rate;
	if (entries > 0 && entries < status) {
		if (!need(t, name, "iotlb_hit_rate", &hit_rate, err))
			return false;
		plots->push_back(figure(t, entries, hit_rate, 1, "iotlb_hit_rate", "IOTLB hit rate",
					"hit rate"));
		int dma_latency = t.col("dma_latency_ns_p99");
		if (t.has(dma_latency))
			plots->push_back(figure(t, entries, dma_latency, 1, "dma_latency_by_iotlb",
						"DMA latency, p99, over IOTLB size",
						"latency, p99 (ns)"));
	}
	int policy = t.col("replay.policy"), rpcits, exposure;
	if (policy > 0 && policy < status) {
		if (!need(t, name, "guest_rpcits", &rpcits, err) ||
		    !need(t, name, "exposure_window_ns_p50", &exposure, err))
			return false;
		Plot p = figure(t, rpcits, exposure, 1, "exposure_vs_rpcits",
				"Exposure window (median) against RPCITs", "exposure window, median (ns)");
		p.scatter = p.logx_with_zero = p.logy_with_zero = true;
		plots->push_back(p);
	}
	return true;
}

bool read_stats(const std::string &text, const std::string &name,
		std::vector<nlohmann::json> *runs, std::string *err)
{
	std::string what;
	auto whole = nlohmann::json::parse(text, nullptr, false);
	if (!whole.is_discarded()) {
		if (!whole.is_array())
			whole = nlohmann::json::array({ whole });
		for (size_t i = 0; i < whole.size(); i++)
			if (!check_run(whole[i], &what)) {
				*err = name + ": run " + std::to_string(i + 1) + ": " + what;
				return false;
			}
		runs->insert(runs->end(), whole.begin(), whole.end());
		return true;
	}
	std::istringstream lines(text);
	size_t lineno = 0;
	for (std::string line; std::getline(lines, line);) {
		lineno++;
		auto j = nlohmann::json::parse(line, nullptr, false);
		bool ok = !j.is_discarded() && j.is_object();
		if (!ok)
			what = "not JSON stats";
		if (!ok || !check_run(j, &what)) {
			*err = name + ":" + std::to_string(lineno) + ": " + what;
			return false;
		}
		runs->push_back(j);
	}
	return true;
}

void stats_plots(const std::vector<nlohmann::json> &runs, std::vector<Plot> *plots)
{
	Plot pinned = plot("pinned_memory", "Pinned memory over trace time", "trace time (ms)",
			   "pinned (MiB)");
	Plot stale = plot("stale_windows", "Stale uses: time since the unmap", "window (ns)",
			  "stale uses");
	Plot exposure = plot("exposure_windows",
			     "Exposure windows: unmap to the flush that drops the translation",
			     "window (ns)", "pages");
	Plot latency = plot("dma_latency", "DMA latency", "latency (ns)", "requests");
	const auto none = nlohmann::json::array();

	pinned.steps = true;
	stale.logx_with_zero = exposure.logx_with_zero = latency.logx_with_zero = true;
	for (const auto &j : runs) {
		std::string label = run_label(j);
		Series p{ label, {} };
		for (const auto &pt : j.value("pinned_bytes_series", none))
			p.points.push_back({ pt[0].get<double>() / 1e6, pt[1].get<double>() / (1 << 20) });
		if (!p.points.empty())
			pinned.series.push_back(p);
		add_histogram(&stale, label, j.value("stale_window_histogram_ns", none));
		add_histogram(&exposure, label, j.value("exposure_window_histogram_ns", none));
		if (j.contains("models") && j["models"].is_object())
			add_histogram(&latency, label, j["models"].value("dma_latency_histogram_ns", none));
	}
	for (Plot *p : { &pinned, &stale, &exposure, &latency })
		if (!p->series.empty())
			plots->push_back(*p);
}

std::string plot_data(const Plot &p)
{
	auto [x, y] = scales(p);
	std::ostringstream data;

	for (const Series &s : p.series) {
		data << "# " << printable(s.label) << '\n';
		for (const auto &[px, py] : s.points)
			data << (x.log && px <= 0 ? x.zero_at : px) << ' '
			     << (y.log && py <= 0 ? y.zero_at : py) << '\n';
		data << "\n\n";
	}
	return data.str();
}

std::string plot_script(const Plot &p, const char *terminal, const std::string &output)
{
	auto [x, y] = scales(p);
	std::ostringstream g;
	size_t longest = 0;

	for (const Series &s : p.series)
		longest = std::max(longest, s.label.size());
	g << "set terminal " << terminal << " noenhanced size 900,540 font \"sans,11\"\n"
	  << "set output " << gnuplot_string(output) << "\n"
	  << "set title " << gnuplot_string(p.title) << "\n"
	  << "set xlabel " << gnuplot_string(axis_label(p.xlabel, x)) << "\n"
	  << "set ylabel " << gnuplot_string(axis_label(p.ylabel, y)) << "\n"
	  << "set grid\n"
	  // Many or long names would squeeze the plot: they go below it.
	  << (p.series.size() > 4 || longest > 20 ? "set key outside below\n"
						  : "set key outside right top\n")
	  << "set offsets graph 0.05, graph 0.05, graph 0.05, " << (y.log ? "graph 0.05" : "0")
	  << "\n";
	if (p.xticks.empty())
		axis(g, 'x', x);
	else {
		g << "set xtics (";
		for (size_t i = 0; i < p.xticks.size(); i++)
			g << (i ? ", " : "") << gnuplot_string(p.xticks[i]) << " " << i + 1;
		g << ")\nset xrange [0.5:" << p.xticks.size() + 0.5 << "]\n";
	}
	axis(g, 'y', y);
	if (p.bars)
		g << "set boxwidth 0.6\nset style fill solid 0.6\n";
	const char *style = p.bars ? "boxes" : p.steps ? "steps" : p.scatter ? "points pointsize 2"
									     : "linespoints";
	std::string data = gnuplot_string(p.name + ".dat");
	g << "plot ";
	for (size_t i = 0; i < p.series.size(); i++)
		g << (i ? ", " : "") << data << " index " << i << " using 1:2 title "
		  << gnuplot_string(p.series[i].label) << " with " << style;
	g << "\n";
	return g.str();
}

std::string gnuplot_string(const std::string &s)
{
	static const char kPlain[] = " .,-_:/()+=%";
	std::string q = "\"";

	for (char c : printable(s)) {
		unsigned char u = c;
		if (isalnum(u) || (u && strchr(kPlain, u))) {
			q += c;
		} else {
			char octal[5];
			snprintf(octal, sizeof(octal), "\\%03o", u);
			q += octal;
		}
	}
	return q + "\"";
}

}  // namespace zpcisim
