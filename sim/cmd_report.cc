// SPDX-License-Identifier: MIT
// zpcisim report: plots of results, drawn by gnuplot (PNG and SVG, no
// display needed).  Sweep results (CSV) give cost and IOTLB hit rate per
// design across the swept values; full stats (a replay's or compare's
// --stats-json, a sweep's --json lines) give pinned memory over time, the
// stale-window distribution and the DMA latency distribution per run.
#include <cstdio>
#include <fstream>
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <sys/stat.h>
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
	"(cost_per_design: CPU time per design over the first swept key;\n"
	"iotlb_hit_rate: hit rate over iotlb.entries, when swept) and full stats\n"
	"(JSON from replay or compare --stats-json, JSON lines from sweep --json:\n"
	"pinned_memory over trace time, stale_windows and dma_latency histograms,\n"
	"one line per run).  Prints each file written.",
};

struct Series {
	std::string label;
	std::vector<std::pair<double, double>> points;
};

struct Plot {
	std::string name, title, xlabel, ylabel;
	bool logx = false, steps = false;
	std::vector<Series> series;
	// Categorical x: the names of x = 1, 2, ...; drawn as bars when there
	// is nothing else on the axis, as points over named ticks otherwise.
	std::vector<std::string> xticks;
	bool bars = false, scatter = false, logy = false;
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

	int col(const std::string &name) const
	{
		for (size_t i = 0; i < head.size(); i++)
			if (head[i] == name)
				return int(i);
		return -1;
	}
};

bool numeric(const std::string &s)
{
	char *end;
	strtod(s.c_str(), &end);
	return !s.empty() && !*end;
}

// A plot's name, title and axes; no series yet.
Plot plot(const char *name, const std::string &title, const char *xlabel, const char *ylabel)
{
	Plot p;

	p.name = name;
	p.title = title;
	p.xlabel = xlabel;
	p.ylabel = ylabel;
	return p;
}

// @y (scaled) over column @x, one series per value of column @by (-1: one),
// or of @by and @by2 together.
Plot figure(const Table &t, int x, int y, int by, double scale, const char *name,
	    const std::string &title, const char *ylabel, int by2 = -1)
{
	Plot p = plot(name, title, t.head[x].c_str(), ylabel);
	std::vector<std::string> order;
	std::map<std::string, Series> series;
	bool categorical = false;

	for (const auto &r : t.rows)
		categorical |= !numeric(r[x]);
	for (const auto &r : t.rows) {
		if (r[y].empty())
			continue;
		std::string key = by >= 0 ? r[by] : t.head[y];
		if (by2 >= 0)
			key = r[by2] + ", " + key;
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
	return p;
}

// The plots a sweep's rows give: cost per design over the first other axis,
// the IOTLB hit rate over its size, and each policy's exposure window
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
	// The axes sit between "point" and "status".
	int other = -1;
	for (int c = 1; c < status && other < 0; c++)
		if (c != design)
			other = c;

	int cost = t.col("cpu_total_ns");
	if (other >= 0) {
		Plot p = figure(t, other, cost, design, 1e-6, "cost_per_design",
				"CPU time per design over " + t.head[other], "CPU time (ms)");
		p.logx = p.xlabel == "iotlb.entries" || p.xlabel.find("_ns") != std::string::npos;
		plots->push_back(p);
	} else if (design >= 0) {
		Plot p = figure(t, design, cost, -1, 1e-6, "cost_per_design", "CPU time per design",
				"CPU time (ms)");
		p.bars = true;
		plots->push_back(p);
	}
	int entries = t.col("iotlb.entries");
	if (entries > 0 && entries < status) {
		Plot p = figure(t, entries, t.col("iotlb_hit_rate"), design, 1, "iotlb_hit_rate",
				"IOTLB hit rate", "hit rate");
		p.logx = true;
		plots->push_back(p);
		int latency = t.col("dma_latency_ns_p50");
		if (!t.rows.empty() && !t.rows[0][latency].empty()) {
			p = figure(t, entries, latency, design, 1, "dma_latency_by_iotlb",
				   "DMA latency (median) over IOTLB size", "latency, median (ns)");
			p.logx = true;
			plots->push_back(p);
		}
	}
	int policy = t.col("replay.policy");
	if (policy > 0 && policy < status) {
		Plot p = figure(t, t.col("guest_rpcits"), t.col("exposure_window_ns_p50"), policy, 1,
				"exposure_vs_rpcits",
				"Exposure window (median) against RPCITs (log scales; 0 drawn at 1)",
				"exposure window, median (ns)", design);
		p.scatter = p.logx = p.logy = true;
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
	stale.logx = exposure.logx = latency.logx = true;
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

// The gnuplot script drawing @p from @data into @image in @terminal.
std::string script(const Plot &p, const std::string &data, const std::string &terminal,
		   const std::string &image)
{
	std::ostringstream g;
	g << "set terminal " << terminal << " noenhanced size 900,540 font \"sans,11\"\n"
	  << "set output " << quote(image) << "\n"
	  << "set title " << quote(p.title) << "\n"
	  << "set xlabel " << quote(p.xlabel) << "\nset ylabel " << quote(p.ylabel) << "\n"
	  << "set grid\nset key outside right top\nset offsets graph 0.05, graph 0.05, graph 0.05, "
	  << (p.logy ? "graph 0.05" : "0") << "\n";
	if (p.logx)
		g << "set logscale x " << (p.scatter ? 10 : 2) << "\n";
	if (p.logy)
		g << "set logscale y 10\n";
	if (!p.xticks.empty()) {
		g << "set xtics (";
		for (size_t i = 0; i < p.xticks.size(); i++)
			g << (i ? ", " : "") << quote(p.xticks[i]) << " " << i + 1;
		g << ")\n";
	}
	if (p.bars)
		g << "set boxwidth 0.6\nset style fill solid 0.6\nset yrange [0:*]\n";
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
	std::ostringstream data;
	for (size_t i = 0; i < p.series.size(); i++) {
		data << "# " << p.series[i].label << '\n';
		for (const auto &[x, y] : p.series[i].points)
			// A log scale cannot show 0: it is drawn at 1.
			data << (p.logx ? std::max(x, 1.0) : x) << ' ' << (p.logy ? std::max(y, 1.0) : y)
			     << '\n';
		data << "\n\n";
	}
	std::string dat = dir + "/" + p.name + ".dat";
	if (!write_file_atomic(dat, data.str(), err))
		return false;
	for (const auto &[ext, terminal] : { std::pair<const char *, const char *>{ "png", "pngcairo" },
					     { "svg", "svg" } }) {
		std::string image = dir + "/" + p.name + "." + ext, tmp = image + ".tmp";
		std::string log = dir + "/." + p.name + ".log";
		// gnuplot's chatter goes to a log, quoted only if it fails.
		FILE *g = popen(("gnuplot >'" + log + "' 2>&1").c_str(), "w");
		if (!g) {
			*err = "cannot run gnuplot";
			return false;
		}
		std::string s = script(p, dat, terminal, tmp);
		fwrite(s.data(), 1, s.size(), g);
		int status = pclose(g);
		std::ifstream said(log);
		std::string first;
		std::getline(said, first);
		unlink(log.c_str());
		if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			unlink(tmp.c_str());
			*err = WIFEXITED(status) && WEXITSTATUS(status) == 127
				       ? "gnuplot not found: install gnuplot-nox (scripts/setup.sh does)"
				       : "gnuplot failed drawing " + image + ": " + first;
			return false;
		}
		if (rename(tmp.c_str(), image.c_str())) {
			*err = "cannot write " + image;
			return false;
		}
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
	mkdir(dir.c_str(), 0777);
	for (const Plot &p : plots)
		if (!render(p, dir, io.out, &err))
			return command_error(kSpec, io, err);
	return kExitOk;
}

}  // namespace zpcisim
