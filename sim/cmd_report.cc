// SPDX-License-Identifier: MIT
// zpcisim report: plots of results, drawn by gnuplot (PNG and SVG, no
// display needed).  Sweep results (CSV) give cost and IOTLB hit rate per
// design across the swept values; full stats (a replay's or compare's
// --stats-json, a sweep's --json lines) give pinned memory over time, the
// stale-window distribution and the DMA latency distribution per run.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "options.h"
#include "output.h"
#include "sweep.h"

namespace zpcisim {

namespace {

const CommandSpec kSpec = {
	"report",
	"report RESULTS... [--out DIR]",
	"Draw plots of RESULTS into DIR (default: report/), each as NAME.png and\n"
	"NAME.svg, with gnuplot (Debian: gnuplot-nox).  RESULTS are sweep CSV files\n"
	"(cost_per_design: CPU time per design along the sweep's first numeric key;\n"
	"closed-loop sweeps, replay.timing=closed: throughput and\n"
	"request_latency_p99 likewise; iotlb_hit_rate and dma_latency_by_iotlb over\n"
	"iotlb.entries, when swept; exposure_vs_rpcits when replay.policy is) and\n"
	"full stats (JSON from replay or compare --stats-json, JSON lines from\n"
	"sweep --json: pinned_memory over trace time, stale_windows,\n"
	"exposure_windows and dma_latency histograms, one line per run).  A line\n"
	"joins the points that differ only along x; linear axes start at 0, and\n"
	"values spanning 1.5 decades or more get a log scale.  Prints each file\n"
	"written.",
};

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
	// Values whose range spans decades get a log scale (scale()); these
	// plots take one even where a value is 0, drawn at 1 and said so.
	bool logx_with_zero = false, logy_with_zero = false;
};

// A results file as rows of fields.
std::vector<std::vector<std::string>> read_csv(std::istream &in)
{
	std::vector<std::vector<std::string>> rows;
	for (std::string line; std::getline(in, line);)
		rows.push_back(csv_split(line));
	return rows;
}

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

bool numeric(const std::string &s)
{
	char *end;
	strtod(s.c_str(), &end);
	return !s.empty() && !*end;
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
	std::vector<std::string> order;
	std::map<std::string, Series> series;
	bool categorical = false;

	for (const auto &r : t.rows)
		categorical |= !numeric(r[x]);
	for (const auto &r : t.rows) {
		if (r[y].empty())
			continue;
		std::string key;
		for (int a : t.axes)
			if (a != x)
				key += (key.empty() ? "" : ", ") + r[a];
		if (key.empty())
			key = ylabel;
		double xv;
		if (categorical) {
			auto it = std::find(p.xticks.begin(), p.xticks.end(), r[x]);
			if (it == p.xticks.end())
				it = p.xticks.insert(p.xticks.end(), r[x]);
			xv = double(it - p.xticks.begin() + 1);
		} else {
			xv = strtod(r[x].c_str(), nullptr);
		}
		if (!series.count(key))
			order.push_back(key);
		series[key].label = key;
		series[key].points.push_back({ xv, strtod(r[y].c_str(), nullptr) * scale });
	}
	for (const std::string &k : order)
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

// The plots a sweep's rows give: cost per design (and, closed loop,
// throughput and request latency) along the sweep's axis, the IOTLB hit
// rate and DMA latency over its size, and each policy's exposure window
// against the RPCITs it costs.
bool sweep_plots(const std::string &path, std::vector<Plot> *plots, std::string *err)
{
	std::ifstream in(path);
	auto rows = read_csv(in);
	Table t;

	if (rows.empty() || rows[0].empty() || rows[0][0] != "point") {
		*err = path + ":1: not sweep results (no 'point' column)";
		return false;
	}
	t.head = rows[0];
	int status = t.col("status"), design = t.col("replay.design");
	for (size_t r = 1; r < rows.size(); r++)
		if (rows[r].size() == t.head.size() && rows[r][status] == "ok")
			t.rows.push_back(rows[r]);
	for (int c = 1; c < status; c++)
		t.axes.push_back(c);
	int x = x_axis(t, design);
	if (x < 0)
		return true;	// nothing swept
	std::string along = x == design ? "" : " over " + t.head[x];

	plots->push_back(figure(t, x, t.col("cpu_total_ns"), 1e-6, "cost_per_design",
				"CPU time per design" + along, "CPU time (ms)"));
	int rate = t.col("requests_per_s");
	if (t.has(rate)) {
		plots->push_back(figure(t, x, rate, 1e-3, "throughput",
					"Closed-loop throughput" + along, "thousand requests/s"));
		plots->push_back(figure(t, x, t.col("request_latency_ns_p99"), 1e-3,
					"request_latency_p99", "Request latency, p99" + along,
					"latency, p99 (us)"));
	}
	int entries = t.col("iotlb.entries");
	if (entries > 0 && entries < status) {
		plots->push_back(figure(t, entries, t.col("iotlb_hit_rate"), 1, "iotlb_hit_rate",
					"IOTLB hit rate", "hit rate"));
		int latency = t.col("dma_latency_ns_p99");
		if (t.has(latency))
			plots->push_back(figure(t, entries, latency, 1, "dma_latency_by_iotlb",
						"DMA latency, p99, over IOTLB size",
						"latency, p99 (ns)"));
	}
	int policy = t.col("replay.policy");
	if (policy > 0 && policy < status) {
		Plot p = figure(t, t.col("guest_rpcits"), t.col("exposure_window_ns_p50"), 1,
				"exposure_vs_rpcits", "Exposure window (median) against RPCITs",
				"exposure window, median (ns)");
		p.scatter = p.logx_with_zero = p.logy_with_zero = true;
		plots->push_back(p);
	}
	return true;
}

// A label for a run's stats: its design, and what else a sweep varied.
std::string run_label(const nlohmann::json &j)
{
	std::string label = j.value("design", "run");
	if (j.contains("sweep_values"))
		for (const auto &[k, v] : j["sweep_values"].items())
			if (k != "replay.design")
				label += " " + k + "=" + v.get<std::string>();
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
			add_histogram(&latency, label, j["models"]["dma_latency_histogram_ns"]);
	}
	for (Plot *p : { &pinned, &stale, &exposure, &latency })
		if (!p->series.empty())
			plots->push_back(*p);
}

bool read_stats(const std::string &path, std::vector<nlohmann::json> *runs, std::string *err)
{
	std::ifstream in(path);
	std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	auto whole = nlohmann::json::parse(text, nullptr, false);
	if (!whole.is_discarded()) {
		if (whole.is_array())
			runs->insert(runs->end(), whole.begin(), whole.end());
		else
			runs->push_back(whole);
		return true;
	}
	std::istringstream lines(text);
	size_t lineno = 0;
	for (std::string line; std::getline(lines, line);) {
		lineno++;
		auto j = nlohmann::json::parse(line, nullptr, false);
		if (j.is_discarded() || !j.is_object()) {
			*err = path + ":" + std::to_string(lineno) + ": not JSON stats";
			return false;
		}
		runs->push_back(j);
	}
	return true;
}

std::string quote(const std::string &s)
{
	std::string q = "\"";
	for (char c : s)
		q += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
	return q + "\"";
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
		g << "set format " << name << ' ' << '"' << s.format << '"' << "\n";
}

// The gnuplot script drawing @p, its data in @data, into @image in
// @terminal.
std::string script(const Plot &p, const Scale &x, const Scale &y, const std::string &data,
		   const std::string &terminal, const std::string &image)
{
	std::ostringstream g;
	size_t longest = 0;

	for (const Series &s : p.series)
		longest = std::max(longest, s.label.size());
	g << "set terminal " << terminal << " noenhanced size 900,540 font \"sans,11\"\n"
	  << "set output " << quote(image) << "\n"
	  << "set title " << quote(p.title) << "\n"
	  << "set xlabel " << quote(axis_label(p.xlabel, x)) << "\n"
	  << "set ylabel " << quote(axis_label(p.ylabel, y)) << "\n"
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
			g << (i ? ", " : "") << quote(p.xticks[i]) << " " << i + 1;
		g << ")\nset xrange [0.5:" << p.xticks.size() + 0.5 << "]\n";
	}
	axis(g, 'y', y);
	if (p.bars)
		g << "set boxwidth 0.6\nset style fill solid 0.6\n";
	const char *style = p.bars ? "boxes" : p.steps ? "steps" : p.scatter ? "points pointsize 2"
									     : "linespoints";
	g << "plot ";
	for (size_t i = 0; i < p.series.size(); i++)
		g << (i ? ", " : "") << quote(data) << " index " << i << " using 1:2 title "
		  << quote(p.series[i].label) << " with " << style;
	g << "\n";
	return g.str();
}

bool render(const Plot &p, const std::string &dir, std::ostream &out, std::string *err)
{
	std::vector<double> xs, ys;
	std::ostringstream data;

	for (const Series &s : p.series)
		for (const auto &[x, y] : s.points)
			xs.push_back(x), ys.push_back(y);
	Scale x = scale(xs, !p.xticks.empty(), p.logx_with_zero);
	Scale y = scale(ys, false, p.logy_with_zero);
	for (size_t i = 0; i < p.series.size(); i++) {
		data << "# " << p.series[i].label << '\n';
		for (const auto &[px, py] : p.series[i].points)
			data << (x.log && px <= 0 ? x.zero_at : px) << ' '
			     << (y.log && py <= 0 ? y.zero_at : py) << '\n';
		data << "\n\n";
	}
	// The data and the script are kept beside the images: a plot to redraw
	// to taste with `gnuplot NAME.gp`.
	std::string dat = dir + "/" + p.name + ".dat", base = dir + "/" + p.name;
	if (!write_file_atomic(dat, data.str(), err) ||
	    !write_file_atomic(base + ".gp", script(p, x, y, dat, "pngcairo", base + ".png"), err))
		return false;
	for (const auto &[ext, terminal] : { std::pair<const char *, const char *>{ "png", "pngcairo" },
					     { "svg", "svg" } }) {
		std::string image = dir + "/" + p.name + "." + ext;
		std::string log = dir + "/." + p.name + ".log";
		// gnuplot draws into the output's temporary, by name.
		OutputFile file;
		if (file.open(image, err))
			return false;
		std::string tmp = file.tmp_path();
		if (tmp.empty()) {
			*err = image + ": not a regular file (gnuplot writes images to files it names)";
			return false;
		}
		// gnuplot's chatter goes to a log, quoted only if it fails.
		FILE *g = popen(("gnuplot >'" + log + "' 2>&1").c_str(), "w");
		if (!g) {
			*err = "cannot run gnuplot";
			return false;
		}
		std::string s = script(p, x, y, dat, terminal, tmp);
		fwrite(s.data(), 1, s.size(), g);
		int status = pclose(g);
		std::ifstream said(log);
		std::string first;
		std::getline(said, first);
		unlink(log.c_str());
		if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			*err = WIFEXITED(status) && WEXITSTATUS(status) == 127
				       ? "gnuplot not found: install gnuplot-nox (scripts/setup.sh does)"
				       : "gnuplot failed drawing " + image + ": " + first;
			return false;
		}
		if (file.commit(err))
			return false;
		out << "wrote: " << image << '\n';
	}
	return true;
}

}  // namespace

int cmd_report(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	po::positional_options_description pos;
	po::variables_map vm;
	std::vector<std::string> inputs;
	std::string dir = "report", err;

	opts.add_options()
		("results", po::value(&inputs)->required(), "sweep CSV or stats JSON files")
		("out", po::value(&dir)->default_value(dir), "directory for the plots");
	pos.add("results", -1);
	if (auto rc = parse_options(kSpec, args, opts, pos, vm, io))
		return *rc;

	std::vector<Plot> plots;
	std::vector<nlohmann::json> runs;
	for (const std::string &path : inputs) {
		std::ifstream probe(path);
		if (!probe)
			return command_error(kSpec, io, path + ": cannot read", kExitUsage);
		bool csv = path.size() > 4 && path.compare(path.size() - 4, 4, ".csv") == 0;
		if (csv ? !sweep_plots(path, &plots, &err) : !read_stats(path, &runs, &err))
			return command_error(kSpec, io, err, kExitUsage);
	}
	stats_plots(runs, &plots);
	if (plots.empty())
		return command_error(kSpec, io, "nothing to plot in the results given");
	std::error_code ec;
	std::filesystem::create_directories(dir, ec);
	if (ec)
		return command_error(kSpec, io, dir + ": cannot create: " + ec.message());
	for (const Plot &p : plots)
		if (!render(p, dir, io.out, &err))
			return command_error(kSpec, io, err);
	return kExitOk;
}

}  // namespace zpcisim
