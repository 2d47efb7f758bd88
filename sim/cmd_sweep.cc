// SPDX-License-Identifier: MIT
// zpcisim sweep: a trace at every point of a cartesian product of
// configuration values, the points run in parallel child processes (the
// SystemC kernel is one per process), one CSV row per point, written in
// point order so that a sweep interrupted and resumed writes the same file
// as one that ran through.
#include <csignal>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <map>
#include <memory>
#include <ostream>
#include <poll.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "interrupt.h"
#include "output.h"
#include "replay_cli.h"
#include "sweep.h"
#include "trace_io.h"

namespace zpcisim {

namespace {

const CommandSpec kSpec = {
	"sweep",
	"sweep TRACE --out RESULTS.csv [--set KEY=V1,V2,...]... [--designs LIST] [--jobs N]\n"
	"                    [--json RESULTS.jsonl] [--config FILE] [shorthand flags]",
	"Replay TRACE at every point of the cartesian product of the values given:\n"
	"a --set with a comma-separated list is an axis, one with a single value sets\n"
	"it for every point.  --designs is the axis replay.design (default: all five).\n"
	"Axes vary in the order given, the last fastest.  Points run N at a time in\n"
	"child processes (default: one per core).  RESULTS.csv gets one row per\n"
	"point: the point's number, its axis values, its status (ok, check_failed,\n"
	"cannot_start: why) and its figures, units in the column names; --json\n"
	"writes each point's full stats, one JSON object per line.  Both files are\n"
	"rewritten whole after each point, never half-written.\n"
	"\n"
	"Resumable: points already in RESULTS.csv are not run again, so an\n"
	"interrupted sweep (SIGINT: exit 130) continues where it stopped.  The same\n"
	"trace, configuration and axes give byte-identical files.",
};

// A point running in a child process; its result arrives as one JSON text.
struct Child {
	pid_t pid;
	int fd;
	size_t point;
	std::string out;
};

// In the child: replay point @i and write its result to @fd.
[[noreturn]] void run_point(const Sweep &sweep, const std::string &trace, size_t i, int fd)
{
	nlohmann::ordered_json result;
	ReplayRun run;
	Config c;
	std::string err;
	std::ostringstream out, errs;
	CommandIo cio{ out, errs };
	std::unique_ptr<Replay> replay;

	if (!sweep.config(i, &c, &err)) {
		result = { { "error", err }, { "exit", kExitUsage } };
	} else {
		run.trace = trace;
		run.opts = c.opts;
		int rc = run_replay(kSpec, run, cio, &replay);
		if (rc) {
			// "zpcisim sweep: TRACE: why": the row needs only the why.
			std::string msg = errs.str(), prefix = trace + ": ";
			msg = msg.substr(msg.find(": ") + 2);
			if (msg.rfind(prefix, 0) == 0)
				msg = msg.substr(prefix.size());
			msg.erase(msg.find_last_not_of('\n') + 1);
			result = { { "error", msg }, { "exit", rc } };
		} else if (run.partial) {
			result = { { "error", "interrupted" }, { "exit", kExitInterrupted } };
		} else {
			result = replay_json(run, *replay);
			result["checks_passed"] = replay->checks_passed();
		}
	}
	std::string text = result.dump();
	for (size_t done = 0; done < text.size();) {
		ssize_t n = write(fd, text.data() + done, text.size() - done);
		if (n <= 0)
			_exit(1);
		done += n;
	}
	_exit(0);
}

class Runner {
public:
	Runner(const Sweep &sweep, const std::string &trace, unsigned jobs)
		: sweep_(sweep), trace_(trace), jobs_(jobs)
	{
	}
	~Runner() { stop(); }

	bool start(size_t point, std::string *err)
	{
		int fds[2];
		if (pipe(fds)) {
			*err = std::string("pipe: ") + strerror(errno);
			return false;
		}
		pid_t pid = fork();
		if (pid < 0) {
			*err = std::string("fork: ") + strerror(errno);
			close(fds[0]);
			close(fds[1]);
			return false;
		}
		if (!pid) {
			close(fds[0]);
			run_point(sweep_, trace_, point, fds[1]);
		}
		close(fds[1]);
		children_.push_back({ pid, fds[0], point, "" });
		return true;
	}

	bool full() const { return children_.size() >= jobs_; }
	bool idle() const { return children_.empty(); }

	// Wait up to @ms for results; each finished point goes to @done.
	void collect(int ms, std::map<size_t, nlohmann::ordered_json> *done)
	{
		std::vector<pollfd> fds;
		for (const Child &c : children_)
			fds.push_back({ c.fd, POLLIN, 0 });
		if (poll(fds.data(), fds.size(), ms) <= 0)
			return;
		for (size_t k = 0; k < fds.size(); k++) {
			Child &c = children_[k];
			char buf[65536];
			if (!fds[k].revents)
				continue;
			ssize_t n = read(c.fd, buf, sizeof(buf));
			if (n > 0) {
				c.out.append(buf, n);
				continue;
			}
			int status = 0;
			close(c.fd);
			waitpid(c.pid, &status, 0);
			c.fd = -1;
			auto j = nlohmann::ordered_json::parse(c.out, nullptr, false);
			if (j.is_discarded() || !WIFEXITED(status) || WEXITSTATUS(status))
				j = { { "error", "the replay process died" }, { "exit", kExitFailure } };
			(*done)[c.point] = j;
		}
		children_.erase(std::remove_if(children_.begin(), children_.end(),
					       [](const Child &c) { return c.fd < 0; }),
				children_.end());
	}

	void stop()
	{
		for (Child &c : children_) {
			kill(c.pid, SIGKILL);
			close(c.fd);
			waitpid(c.pid, nullptr, 0);
		}
		children_.clear();
	}

private:
	const Sweep &sweep_;
	const std::string &trace_;
	unsigned jobs_;
	std::vector<Child> children_;
};

// Both files, whole, with the rows done so far (in point order).
bool write_results(const Sweep &sweep, const std::string &csv, const std::string &jsonl,
		   const std::vector<std::string> &rows, const std::vector<std::string> &json,
		   std::string *err)
{
	std::string text = sweep.csv_header() + "\n", lines;

	for (size_t i = 0; i < rows.size(); i++) {
		if (!rows[i].empty())
			text += rows[i] + "\n";
		if (!json[i].empty())
			lines += json[i] + "\n";
	}
	return write_file_atomic(csv, text, err) &&
	       (jsonl.empty() || write_file_atomic(jsonl, lines, err));
}

// An earlier --json file: its lines by point.
bool resume_json(const std::string &path, size_t points, std::vector<std::string> *json,
		 std::string *err)
{
	std::ifstream in(path);
	size_t lineno = 0;

	json->assign(points, "");
	for (std::string line; std::getline(in, line);) {
		lineno++;
		auto j = nlohmann::ordered_json::parse(line, nullptr, false);
		if (j.is_discarded() || !j.contains("point") || !j["point"].is_number_unsigned() ||
		    j["point"].get<size_t>() >= points) {
			*err = path + ":" + std::to_string(lineno) + ": not a point of this sweep";
			return false;
		}
		(*json)[j["point"].get<size_t>()] = line;
	}
	return true;
}

}  // namespace

int cmd_sweep(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	po::positional_options_description pos;
	po::variables_map vm;
	ConfigArgs config_args;
	Config base;
	std::string trace, out, jsonl, designs, err;
	unsigned jobs = std::max(1u, std::thread::hardware_concurrency());

	opts.add_options()
		("trace", po::value(&trace)->required(), "trace to replay (.ztr or .ztb)")
		("out", po::value(&out)->required(), "results, one CSV row per point")
		("json", po::value(&jsonl), "also each point's full stats, one JSON per line")
		("designs", po::value(&designs), "the designs axis, comma-separated (default: all)")
		("jobs", po::value(&jobs)->default_value(jobs), "points run at once");
	config_args.add_to(opts, false);
	pos.add("trace", 1);
	if (auto rc = parse_options(kSpec, args, opts, pos, vm, io))
		return *rc;
	if (!jobs)
		return command_error(kSpec, io, "--jobs must be at least 1", kExitUsage);

	// Single values configure every point; lists are the axes.
	std::vector<SweepAxis> axes;
	ConfigArgs fixed = config_args;
	fixed.sets.clear();
	std::vector<std::string> axis_args;
	if (vm.count("designs"))
		axis_args.push_back("replay.design=" + designs);
	else
		axis_args.push_back("replay.design=bare,intercept-user,intercept-kvm,"
				    "nested-pinned,identity-pinned");
	for (const std::string &s : config_args.sets)
		(s.find(',') == std::string::npos ? fixed.sets : axis_args).push_back(s);
	if (auto rc = fixed.apply(kSpec, vm, io, &base))
		return *rc;
	for (const std::string &a : axis_args) {
		SweepAxis axis;
		if (!parse_axis(a, &axis, &err))
			return command_error(kSpec, io, "--set " + err, kExitUsage);
		for (const SweepAxis &other : axes)
			if (other.key == axis.key)
				return command_error(kSpec, io, axis.key + " is swept twice",
						     kExitUsage);
		axes.push_back(axis);
	}
	Sweep sweep(base, axes);

	if (!open_trace(trace, &err))
		return command_error(kSpec, io, err, kExitUsage);
	std::vector<std::string> rows, json;
	if (!sweep.resume(out, &rows, &err))
		return command_error(kSpec, io, err, kExitUsage);
	if (!jsonl.empty() && !resume_json(jsonl, sweep.points(), &json, &err))
		return command_error(kSpec, io, err, kExitUsage);
	json.resize(sweep.points());

	std::vector<size_t> todo;
	for (size_t i = 0; i < sweep.points(); i++)
		if (rows[i].empty() || (!jsonl.empty() && json[i].empty()))
			todo.push_back(i);
	size_t resumed = sweep.points() - todo.size();

	InterruptScope interrupt;
	Progress progress(io.err, progress_wanted(io.err), "sweep", sweep.points(), "points");
	Runner runner(sweep, trace, jobs);
	std::map<size_t, nlohmann::ordered_json> done;
	size_t next = 0, written = 0, failed_checks = 0;
	auto t0 = std::chrono::steady_clock::now();
	while ((next < todo.size() || !runner.idle()) && !interrupted()) {
		while (next < todo.size() && !runner.full())
			if (!runner.start(todo[next++], &err))
				return command_error(kSpec, io, err);
		runner.collect(200, &done);
		bool changed = false;
		for (auto &[i, j] : done) {
			if (j.contains("exit") && j["exit"].get<int>() == kExitUsage)
				return command_error(kSpec, io, "point " + std::to_string(i) + ": " +
								j["error"].get<std::string>(),
						     kExitUsage);
			rows[i] = sweep.csv_row(i, j);
			nlohmann::ordered_json line = { { "point", i },
							{ "sweep_values", sweep.point_json(i) } };
			line.update(j);
			json[i] = line.dump();
			failed_checks += !j.contains("checks_passed") || !j["checks_passed"].get<bool>();
			written++;
			changed = true;
		}
		done.clear();
		if (changed && !write_results(sweep, out, jsonl, rows, json, &err))
			return command_error(kSpec, io, err);
		progress.update(resumed + written, resumed + written);
	}
	double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	io.out << "trace: " << trace << '\n'
	       << "points: " << sweep.points() << '\n'
	       << "resumed: " << resumed << '\n'
	       << "run: " << written << '\n'
	       << "not_ok: " << failed_checks << '\n'
	       << "results: " << out << '\n'
	       << "wall_s: " << std::fixed << std::setprecision(1) << wall << '\n';
	if (interrupted())
		return kExitInterrupted;
	return kExitOk;
}

}  // namespace zpcisim
