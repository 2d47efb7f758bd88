// SPDX-License-Identifier: MIT
// zpcisim report: the plots results give (report.cc), drawn by gnuplot (PNG
// and SVG, no display needed).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <ostream>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "options.h"
#include "output.h"
#include "report.h"

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

// Run gnuplot in @dir on @script, given on its standard input from a file
// (no pipe to fill, no SIGPIPE), through no shell: the script is the only
// code it sees.  false with why in @err.
bool run_gnuplot(const std::string &dir, const std::string &script, const std::string &image,
		 std::string *err)
{
	std::unique_ptr<FILE, int (*)(FILE *)> in(tmpfile(), fclose), said(tmpfile(), fclose);
	char *argv[] = { const_cast<char *>("gnuplot"), nullptr };
	posix_spawn_file_actions_t fa;
	int rc, status;
	pid_t pid;

	if (!in || !said || fwrite(script.data(), 1, script.size(), in.get()) != script.size() ||
	    fflush(in.get()) || lseek(fileno(in.get()), 0, SEEK_SET)) {
		*err = std::string("cannot run gnuplot: temporary file: ") + strerror(errno);
		return false;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fileno(in.get()), 0);
	posix_spawn_file_actions_adddup2(&fa, fileno(said.get()), 1);
	posix_spawn_file_actions_adddup2(&fa, fileno(said.get()), 2);
	posix_spawn_file_actions_addchdir_np(&fa, dir.c_str());
	rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		*err = rc == ENOENT ? "gnuplot not found: install gnuplot-nox (scripts/setup.sh does)"
				    : std::string("cannot run gnuplot: ") + strerror(rc);
		return false;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			*err = std::string("cannot wait for gnuplot: ") + strerror(errno);
			return false;
		}
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return true;
	// gnuplot's chatter is quoted only when it fails: its last line says why.
	std::string last;
	char line[512];
	rewind(said.get());
	while (fgets(line, sizeof(line), said.get()))
		if (line[strspn(line, " \t\n")])
			last = line;
	last.erase(last.find_last_not_of('\n') + 1);
	*err = "gnuplot failed drawing " + image + ": " + last;
	return false;
}

bool render(const Plot &p, const std::string &dir, std::ostream &out, std::string *err)
{
	// The data and the script are kept beside the images: a plot to redraw
	// to taste with `gnuplot NAME.gp` in DIR.
	std::string dat = dir + "/" + p.name + ".dat", base = dir + "/" + p.name;
	if (!write_file_atomic(dat, plot_data(p), err) ||
	    !write_file_atomic(base + ".gp", plot_script(p, "pngcairo", p.name + ".png"), err))
		return false;
	for (const auto &[ext, terminal] : { std::pair<const char *, const char *>{ "png", "pngcairo" },
					     { "svg", "svg" } }) {
		std::string image = dir + "/" + p.name + "." + ext;
		// gnuplot draws into the output's temporary, named relative to @dir.
		OutputFile file;
		if (file.open(image, err))
			return false;
		std::string tmp = file.tmp_path();
		if (tmp.empty()) {
			*err = image + ": not a regular file (gnuplot writes images to files it names)";
			return false;
		}
		std::string script = plot_script(p, terminal, tmp.substr(tmp.rfind('/') + 1));
		if (!run_gnuplot(dir, script, image, err))
			return false;
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
		std::ifstream in(path, std::ios::binary);
		if (!in)
			return command_error(kSpec, io, path + ": cannot read", kExitUsage);
		std::string text{ std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>() };
		bool csv = path.size() > 4 && path.compare(path.size() - 4, 4, ".csv") == 0;
		if (csv ? !sweep_plots(text, path, &plots, &err) : !read_stats(text, path, &runs, &err))
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
		// The results were good: what fails now is the machine (files,
		// gnuplot).
		if (!render(p, dir, io.out, &err))
			return command_error(kSpec, io, err, kExitResource);
	return kExitOk;
}

}  // namespace zpcisim
