// SPDX-License-Identifier: MIT
// zpcisim sweep: a trace at every point of a cartesian product of
// configuration values, the points run in parallel child processes (the
// SystemC kernel is one per process), one CSV row per point, written in
// point order so that a sweep interrupted and resumed writes the same file
// as one that ran through.
#include <algorithm>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
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

#include "format.h"
#include "interrupt.h"
#include "output.h"
#include "progress.h"
#include "replay_cli.h"
#include "slurm.h"
#include "sweep.h"
#include "trace_io.h"

namespace zpcisim {

namespace {

const CommandSpec kSpec = {
	"sweep",
	"sweep TRACE --out RESULTS.csv [--set KEY=V1,V2,...]... [--designs LIST] [--jobs N]\n"
	"                    [--json RESULTS.jsonl] [--config FILE] [--points FIRST-LAST]\n"
	"                    [--backend slurm --slurm-dir DIR [--chunk N] [--partition P]\n"
	"                     [--time-limit T] [--sbatch-arg ARG]... [--then-collect]]\n"
	"                    [shorthand flags]\n"
	"       zpcisim sweep collect DIR [--resume]",
	"Replay TRACE at every point of the cartesian product of the values given:\n"
	"a --set with a comma-separated list is an axis, one with a single value sets\n"
	"it for every point.  --designs is the axis replay.design (default: every design).\n"
	"Axes vary in the order given, the last fastest.  Points run N at a time in\n"
	"child processes (default: one per core).  RESULTS.csv gets one row per\n"
	"point: the point's number, its axis values, its status (ok, check_failed,\n"
	"invalid: why the values do not go together, cannot_start: why) and its\n"
	"figures, units in the column names; --json\n"
	"writes each point's full stats, one JSON object per line.  Both files are\n"
	"rewritten whole after each point, never half-written.\n"
	"\n"
	"Resumable: points already in RESULTS.csv are not run again, so an\n"
	"interrupted sweep (SIGINT: exit 130) continues where it stopped; a point\n"
	"run from another trace (by content), configuration or zpcisim build runs\n"
	"again (its row's inputs_digest says which inputs made it).  The same\n"
	"trace, configuration and axes give byte-identical files.  --points runs only\n"
	"points FIRST to LAST.  Exit 2 when every point run is invalid.\n"
	"\n"
	"--backend slurm: instead of running the points, write DIR/sweep.sh and\n"
	"submit it with sbatch as one job array, each task a sweep of --chunk points\n"
	"(default 16) into its own files in DIR, and return.  'zpcisim sweep collect\n"
	"DIR' merges the tasks' results into RESULTS.csv (and --json) exactly as a\n"
	"local sweep writes them, once every task is done; otherwise it names the\n"
	"missing tasks and exits 1, and with --resume submits those again (tasks\n"
	"Slurm still has pending or running are left to finish).  --then-collect also\n"
	"submits DIR/collect.sh, which collects once every task has ended (its\n"
	"output in DIR/collect.log), so that nobody need poll.  If sbatch fails,\n"
	"nothing is submitted and 'collect DIR --resume' submits it.",
};

const CommandSpec kCollectSpec = {
	"sweep collect",
	"sweep collect DIR [--resume]",
	"Merge the results of a sweep submitted with --backend slurm --slurm-dir DIR\n"
	"into its RESULTS.csv (and --json file), in point order, byte for byte what a\n"
	"local sweep writes.  Exit 0 when every point is there; else the missing\n"
	"tasks are named (with the last line of their Slurm log), and --resume submits\n"
	"them again.  Collecting twice writes the same files.",
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
		result = { { "invalid", err } };	// its values, each good, do not go together
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
			result = { { "error", "interrupted" }, { "exit", interrupted_exit_code() } };
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

// A sweep as its command line describes it.
struct SweepSetup {
	std::unique_ptr<Sweep> sweep;
	std::string trace, out, jsonl, backend = "local", points;
	unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
	size_t first = 0, last = SIZE_MAX;	// --points
	SlurmParams slurm;
	Args task_args;		// the arguments less backend and outputs: a Slurm task's
};

// Options a Slurm task does not get: the backend's, and its own outputs.
const char *const kNotForTasks[] = { "out", "json", "jobs", "points", "backend", "slurm-dir",
				     "chunk", "partition", "time-limit", "sbatch-arg", "then-collect" };

bool parse_points(const std::string &text, size_t *first, size_t *last)
{
	char *end;
	size_t dash = text.find('-');
	if (dash == std::string::npos || !dash || dash + 1 == text.size())
		return false;
	*first = strtoull(text.c_str(), &end, 10);
	if (end != text.c_str() + dash)
		return false;
	*last = strtoull(text.c_str() + dash + 1, &end, 10);
	return !*end && *first <= *last && isdigit(static_cast<unsigned char>(text[dash + 1]));
}

std::optional<int> setup_sweep(const Args &args, CommandIo &io, SweepSetup *s)
{
	po::options_description opts("options");
	po::positional_options_description pos;
	po::variables_map vm;
	ConfigArgs config_args;
	Config base;
	std::string designs, err;

	opts.add_options()
		("trace", po::value(&s->trace)->required(), "trace to replay (.ztr or .ztb)")
		("out", po::value(&s->out)->required(), "results, one CSV row per point")
		("json", po::value(&s->jsonl), "also each point's full stats, one JSON per line")
		("designs", po::value(&designs), "the designs axis, comma-separated (default: all)")
		("jobs", po::value(&s->jobs)->default_value(s->jobs), "points run at once")
		("points", po::value(&s->points), "run only points FIRST-LAST (from 0)")
		("backend", po::value(&s->backend)->default_value("local"), "local or slurm")
		("slurm-dir", po::value(&s->slurm.dir), "slurm: the job directory")
		("chunk", po::value(&s->slurm.chunk)->default_value(s->slurm.chunk),
		 "slurm: points per array task")
		("partition", po::value(&s->slurm.partition), "slurm: partition (default: the cluster's)")
		("time-limit", po::value(&s->slurm.time_limit), "slurm: time limit per task (sbatch --time)")
		("sbatch-arg", po::value(&s->slurm.sbatch_args), "slurm: one more sbatch option, as is")
		("then-collect", po::bool_switch(&s->slurm.then_collect),
		 "slurm: also submit a job that collects the results once every task has ended");
	config_args.add_to(opts, false);
	pos.add("trace", 1);
	if (auto rc = parse_options(kSpec, args, opts, pos, vm, io))
		return rc;
	if (!s->jobs)
		return command_error(kSpec, io, "--jobs must be at least 1", kExitUsage);
	if (vm.count("points") && !parse_points(s->points, &s->first, &s->last))
		return command_error(kSpec, io, "--points '" + s->points + "' is not FIRST-LAST",
				     kExitUsage);
	if (s->backend != "local" && s->backend != "slurm")
		return command_error(kSpec, io, "--backend '" + s->backend +
							"' is not local or slurm", kExitUsage);
	if (s->backend == "slurm" && (s->slurm.dir.empty() || !s->slurm.chunk))
		return command_error(kSpec, io, "--backend slurm needs --slurm-dir and a --chunk of 1 or more",
				     kExitUsage);

	// Single values configure every point; lists are the axes.
	std::vector<SweepAxis> axes;
	ConfigArgs fixed = config_args;
	fixed.sets.clear();
	std::vector<std::string> axis_args;
	axis_args.push_back("replay.design=" +
			    (vm.count("designs") ? designs : join(design_names(), ",")));
	for (const std::string &a : config_args.sets)
		(a.find(',') == std::string::npos ? fixed.sets : axis_args).push_back(a);
	// Keys that only make sense together are checked per point: an axis may
	// complete what the fixed settings leave.
	if (auto rc = fixed.apply(kSpec, vm, io, &base, false))
		return rc;
	for (const std::string &a : axis_args) {
		SweepAxis axis;
		if (!parse_axis(a, &axis, &err))
			return command_error(kSpec, io, "--set " + err, kExitUsage);
		for (const std::string &v : axis.values) {
			Config c = base;
			if (!c.set(axis.key, v, &err))
				return command_error(kSpec, io, "--set " + err, kExitUsage);
		}
		for (const SweepAxis &other : axes)
			if (other.key == axis.key)
				return command_error(kSpec, io, axis.key + " is swept twice",
						     kExitUsage);
		axes.push_back(axis);
	}
	std::string inputs;
	if (!open_trace(s->trace, &err))
		return command_error(kSpec, io, err, kExitUsage);
	if (!sweep_inputs(s->trace, &inputs, &err))
		return command_error(kSpec, io, err, kExitUsage);
	s->sweep = std::make_unique<Sweep>(base, axes, inputs);
	if (s->first >= s->sweep->points())
		return command_error(kSpec, io, "--points " + s->points + ": the sweep has " +
							std::to_string(s->sweep->points()) + " points",
				     kExitUsage);

	// The same options again, as given, less those a task must not get.
	auto parsed = po::command_line_parser(args).options(opts).positional(pos).run();
	for (const auto &o : parsed.options)
		if (std::find(std::begin(kNotForTasks), std::end(kNotForTasks), o.string_key) ==
		    std::end(kNotForTasks))
			s->task_args.insert(s->task_args.end(), o.original_tokens.begin(),
					    o.original_tokens.end());
	return std::nullopt;
}

int run_local(SweepSetup &s, CommandIo &io)
{
	const Sweep &sweep = *s.sweep;
	std::string err;
	std::vector<std::string> rows, json;

	// Before the first point runs: the results are written after it.
	std::vector<std::string> outputs = { s.out };
	if (!s.jsonl.empty())
		outputs.push_back(s.jsonl);
	for (const std::string &path : outputs)
		if (int rc = check_output(path, &err, { s.trace }))
			return command_error(kSpec, io, err, rc);
	size_t stale;
	if (!sweep.resume(s.out, &rows, &stale, &err))
		return command_error(kSpec, io, err, kExitUsage);
	if (!s.jsonl.empty() && !resume_json(s.jsonl, sweep.points(), &json, &err))
		return command_error(kSpec, io, err, kExitUsage);
	json.resize(sweep.points());

	std::vector<size_t> todo;
	size_t wanted = 0;
	for (size_t i = s.first; i < sweep.points() && i <= s.last; i++, wanted++)
		if (rows[i].empty() || (!s.jsonl.empty() && json[i].empty()))
			todo.push_back(i);
	size_t resumed = wanted - todo.size();
	if (stale)
		io.err << "sweep: " << stale << " points of " << s.out
		       << " were run from another trace, configuration or zpcisim build; "
			  "running them again\n";

	InterruptScope interrupt;
	Progress progress(io.err, progress_wanted(io.err), "sweep", wanted, "points");
	Runner runner(sweep, s.trace, s.jobs);
	std::map<size_t, nlohmann::ordered_json> done;
	size_t next = 0, written = 0, failed_checks = 0, invalid = 0;
	size_t first_invalid_at = SIZE_MAX;	// points finish in any order: name the lowest
	std::string first_invalid;
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
			invalid += j.contains("invalid");
			if (j.contains("invalid") && i < first_invalid_at) {
				first_invalid_at = i;
				first_invalid = "point " + std::to_string(i) + ": " +
						j["invalid"].get<std::string>();
			}
			written++;
			changed = true;
		}
		done.clear();
		if (changed && !write_results(sweep, s.out, s.jsonl, rows, json, &err))
			return command_error(kSpec, io, err, kExitResource);
		// Every turn, not only when a point ends: the clock moves.
		progress.update(resumed + written, resumed + written);
	}
	progress.finish();
	double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	io.out << "trace: " << s.trace << '\n'
	       << "points: " << wanted << '\n'
	       << "resumed: " << resumed << '\n'
	       << "rerun_stale: " << stale << '\n'
	       << "run: " << written << '\n'
	       << "not_ok: " << failed_checks << '\n'
	       << "results: " << s.out << '\n'
	       << "wall_s: " << std::fixed << std::setprecision(1) << wall << '\n';
	if (interrupted())
		return interrupted_exit_code();
	// A grid of nothing but contradictions is a bad command line, not results.
	if (written && invalid == written && !resumed)
		return command_error(kSpec, io, "every point is invalid; " + first_invalid,
				     kExitUsage);
	return kExitOk;
}

std::string absolute(const std::string &path)
{
	return path.empty() ? path : std::filesystem::absolute(path).lexically_normal().string();
}

std::string plan_path(const std::string &dir)
{
	return dir + "/sweep.json";
}

bool write_plan(const std::string &dir, const SlurmPlan &plan, std::string *err)
{
	return write_file_atomic(plan_path(dir), plan.to_json().dump(2) + "\n", err);
}

// Submit @array's tasks and record the job in the plan, also when only its
// collect job failed; std::nullopt when both went.
std::optional<int> submit_tasks(const std::string &dir, const std::string &array,
				const CommandSpec &spec, CommandIo &io, SlurmPlan *plan)
{
	std::string job, err, why;
	bool ok = slurm_submit(dir, *plan, array, &job, &why);

	if (!job.empty()) {
		plan->jobs.push_back(job);
		if (!write_plan(dir, *plan, &err))
			return command_error(spec, io, err);
	}
	if (ok)
		return std::nullopt;
	if (job.empty())
		why += "; nothing was submitted: `zpcisim sweep collect " + dir +
		       " --resume` submits it";
	return command_error(spec, io, why);
}

int submit_slurm(SweepSetup &s, CommandIo &io)
{
	std::string err, job;
	std::error_code ec;
	SlurmPlan plan;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return command_error(kSpec, io, std::string("cannot find this program: ") + strerror(errno));
	s.slurm.dir = absolute(s.slurm.dir);
	std::filesystem::create_directories(s.slurm.dir, ec);
	if (ec)
		return command_error(kSpec, io, s.slurm.dir + ": " + ec.message());
	plan.zpcisim = std::string(exe, n);
	plan.cwd = std::filesystem::current_path().string();
	plan.task_args = s.task_args;
	plan.out = absolute(s.out);
	plan.json = absolute(s.jsonl);
	plan.points = s.sweep->points();
	plan.chunk = s.slurm.chunk;
	plan.then_collect = s.slurm.then_collect;
	// The plan before sbatch: if submission fails, collect --resume submits
	// the tasks later, and says which ran.
	if (!slurm_write_scripts(s.slurm, plan, &err) || !write_plan(s.slurm.dir, plan, &err))
		return command_error(kSpec, io, err);
	std::string array = "0-" + std::to_string(plan.tasks() - 1);
	if (auto rc = submit_tasks(s.slurm.dir, array, kSpec, io, &plan))
		return *rc;
	io.out << "trace: " << s.trace << '\n'
	       << "points: " << plan.points << '\n'
	       << "tasks: " << plan.tasks() << " (up to " << plan.chunk << " points each)\n"
	       << "job: " << plan.jobs.back() << '\n'
	       << (plan.then_collect ? "collected by a job after it into: " + plan.out
				     : "collect: zpcisim sweep collect " + s.slurm.dir)
	       << '\n';
	return kExitOk;
}

// The last line a task's Slurm log holds, to say why it has no results.
std::string last_log_line(const std::string &dir, size_t k)
{
	std::ifstream in(slurm_task_file(dir, k, ".log"));
	std::string line, last = "no log";
	while (std::getline(in, line))
		if (!line.empty())
			last = line;
	return last;
}

int cmd_sweep_collect(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	po::positional_options_description pos;
	po::variables_map vm;
	std::string dir, err;
	bool resume = false;

	opts.add_options()
		("dir", po::value(&dir)->required(), "the job directory (--slurm-dir)")
		("resume", po::bool_switch(&resume), "submit the missing tasks again");
	pos.add("dir", 1);
	if (auto rc = parse_options(kCollectSpec, args, opts, pos, vm, io))
		return *rc;
	dir = absolute(dir);
	SlurmPlan plan;
	std::ifstream in(plan_path(dir));
	auto j = nlohmann::ordered_json::parse(in, nullptr, false);
	if (!in || j.is_discarded() || !SlurmPlan::from_json(j, &plan))
		return command_error(kCollectSpec, io, plan_path(dir) + ": not a sweep submitted to Slurm",
				     kExitUsage);

	// The sweep again, from the same arguments, where they were given.
	SweepSetup s;
	std::error_code ec;
	std::filesystem::path here = std::filesystem::current_path();
	std::filesystem::current_path(plan.cwd, ec);
	Args again = plan.task_args;
	again.insert(again.end(), { "--out", plan.out });
	std::ostringstream quiet_out, why;
	CommandIo quiet{ quiet_out, why };
	auto rc = ec ? std::optional<int>(kExitUsage) : setup_sweep(again, quiet, &s);
	std::filesystem::current_path(here, ec);
	if (rc || s.sweep->points() != plan.points)
		return command_error(kCollectSpec, io, plan_path(dir) + ": the sweep cannot be set up again: " +
							       why.str().substr(0, why.str().find('\n')),
				     kExitUsage);

	// Each task's points, from its own files.
	const Sweep &sweep = *s.sweep;
	std::vector<std::string> rows(plan.points), json(plan.points);
	std::set<size_t> missing;
	for (size_t k = 0; k < plan.tasks(); k++) {
		std::vector<std::string> task_rows, task_json;
		size_t stale;	// a task run by another build or on another trace: missing
		if (!sweep.resume(slurm_task_file(dir, k, ".csv"), &task_rows, &stale, &err) ||
		    (!plan.json.empty() &&
		     !resume_json(slurm_task_file(dir, k, ".jsonl"), plan.points, &task_json, &err)))
			return command_error(kCollectSpec, io, err);
		task_json.resize(plan.points);
		for (size_t i = k * plan.chunk; i < std::min(plan.points, (k + 1) * plan.chunk); i++) {
			if (task_rows[i].empty() || (!plan.json.empty() && task_json[i].empty()))
				missing.insert(k);
			rows[i] = task_rows[i];
			json[i] = task_json[i];
		}
	}
	if (missing.empty()) {
		if (!write_results(sweep, plan.out, plan.json, rows, json, &err))
			return command_error(kCollectSpec, io, err);
		io.out << "points: " << plan.points << '\n'
		       << "tasks: " << plan.tasks() << '\n'
		       << "results: " << plan.out << '\n';
		return kExitOk;
	}

	std::set<size_t> running = slurm_unfinished(plan.jobs);
	std::string again_list;
	for (size_t k : missing) {
		bool busy = running.count(k);
		io.err << "zpcisim sweep collect: task " << k << ": "
		       << (busy ? "still pending or running" : "no results: " + last_log_line(dir, k))
		       << '\n';
		if (!busy)
			again_list += (again_list.empty() ? "" : ",") + std::to_string(k);
	}
	if (!resume || again_list.empty()) {
		io.err << "zpcisim sweep collect: " << missing.size() << " of " << plan.tasks()
		       << " tasks incomplete" << (again_list.empty() ? "" : "; --resume submits them again")
		       << '\n';
		return kExitFailure;
	}
	if (auto rc = submit_tasks(dir, again_list, kCollectSpec, io, &plan))
		return *rc;
	io.err << "zpcisim sweep collect: tasks " << again_list << " submitted again as job "
	       << plan.jobs.back()
	       << (plan.then_collect ? "; a job after it collects" : "; collect once it has run")
	       << '\n';
	return kExitFailure;
}

}  // namespace

int cmd_sweep(const Args &args, CommandIo &io)
{
	if (!args.empty() && args[0] == "collect")
		return cmd_sweep_collect(Args(args.begin() + 1, args.end()), io);
	SweepSetup s;
	if (auto rc = setup_sweep(args, io, &s))
		return *rc;
	return s.backend == "slurm" ? submit_slurm(s, io) : run_local(s, io);
}

}  // namespace zpcisim
