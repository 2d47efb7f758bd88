// SPDX-License-Identifier: MIT
#include "slurm.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "output.h"

namespace zpcisim {

namespace {

// One word for sh, whatever it holds.
std::string sh_quote(const std::string &s)
{
	std::string q = "'";
	for (char c : s)
		q += c == '\'' ? std::string("'\\''") : std::string(1, c);
	return q + "'";
}

}  // namespace

nlohmann::ordered_json SlurmPlan::to_json() const
{
	return { { "zpcisim_sweep_plan", 1 }, { "zpcisim", zpcisim }, { "cwd", cwd },
		 { "task_args", task_args }, { "out", out }, { "json", json },
		 { "points", points }, { "chunk", chunk }, { "jobs", jobs },
		 { "then_collect", then_collect } };
}

bool SlurmPlan::from_json(const nlohmann::ordered_json &j, SlurmPlan *plan)
{
	try {
		if (j.at("zpcisim_sweep_plan").get<int>() != 1)
			return false;
		plan->zpcisim = j.at("zpcisim").get<std::string>();
		plan->cwd = j.at("cwd").get<std::string>();
		plan->task_args = j.at("task_args").get<std::vector<std::string>>();
		plan->out = j.at("out").get<std::string>();
		plan->json = j.at("json").get<std::string>();
		plan->points = j.at("points").get<size_t>();
		plan->chunk = j.at("chunk").get<size_t>();
		plan->jobs = j.at("jobs").get<std::vector<std::string>>();
		plan->then_collect = j.value("then_collect", false);
	} catch (const nlohmann::json::exception &) {
		return false;
	}
	return plan->chunk > 0 && plan->points > 0;
}

std::string slurm_task_file(const std::string &dir, size_t k, const char *ext)
{
	return dir + "/task-" + std::to_string(k) + ext;
}

namespace {

// The collect job: it runs once every task has ended, successfully or not,
// so that a task's failure is named in its log instead of holding the job
// back for good (afterok would).
bool write_collect_script(const SlurmParams &p, const SlurmPlan &plan, std::string *err)
{
	std::ostringstream s;

	s << "#!/bin/sh\n"
	  << "# zpcisim sweep: merge the tasks' results once they have run.\n"
	  << "#SBATCH --job-name=zpcisim-collect\n"
	  << "#SBATCH --output=" << p.dir << "/collect.log\n"
	  << "#SBATCH --chdir=" << plan.cwd << "\n"
	  << "#SBATCH --ntasks=1\n"
	  << "#SBATCH --cpus-per-task=1\n";
	if (!p.partition.empty())
		s << "#SBATCH --partition=" << p.partition << "\n";
	s << "export SC_COPYRIGHT_MESSAGE=DISABLE\n"
	  << "exec " << sh_quote(plan.zpcisim) << " sweep collect " << sh_quote(p.dir) << "\n";
	return write_file_atomic(p.dir + "/collect.sh", s.str(), err);
}

// sbatch @script with @options: its job id, or false with *err.
bool sbatch(const std::string &script, const std::vector<std::string> &options, std::string *job,
	    std::string *err)
{
	std::vector<std::string> argv = { "sbatch", "--parsable" };
	std::string out, why;

	argv.insert(argv.end(), options.begin(), options.end());
	argv.push_back(script);
	int rc = run_program(argv, &out, &why);
	if (rc) {
		why.erase(why.find_last_not_of(" \n") + 1);
		std::replace(why.begin(), why.end(), '\n', ' ');
		*err = "sbatch: " + (why.empty() ? "exit " + std::to_string(rc) : why);
		return false;
	}
	// --parsable: "JOBID" or "JOBID;CLUSTER".
	*job = out.substr(0, out.find_first_of(";\n"));
	if (job->empty()) {
		*err = "sbatch printed no job id";
		return false;
	}
	return true;
}

}  // namespace

bool slurm_write_scripts(const SlurmParams &p, const SlurmPlan &plan, std::string *err)
{
	std::ostringstream s;
	std::string task = p.dir + "/task-$SLURM_ARRAY_TASK_ID";

	s << "#!/bin/sh\n"
	  << "# zpcisim sweep, one chunk of " << plan.chunk << " points per array task.\n"
	  << "#SBATCH --job-name=zpcisim-sweep\n"
	  << "#SBATCH --array=0-" << plan.tasks() - 1 << "\n"
	  << "#SBATCH --output=" << p.dir << "/task-%a.log\n"
	  << "#SBATCH --chdir=" << plan.cwd << "\n"
	  << "#SBATCH --ntasks=1\n"
	  << "#SBATCH --cpus-per-task=1\n";
	if (!p.partition.empty())
		s << "#SBATCH --partition=" << p.partition << "\n";
	if (!p.time_limit.empty())
		s << "#SBATCH --time=" << p.time_limit << "\n";
	for (const std::string &a : p.sbatch_args)
		s << "#SBATCH " << a << "\n";
	s << "first=$((SLURM_ARRAY_TASK_ID * " << plan.chunk << "))\n"
	  << "last=$((first + " << plan.chunk - 1 << "))\n"
	  << "[ \"$last\" -lt " << plan.points << " ] || last=" << plan.points - 1 << "\n"
	  << "export SC_COPYRIGHT_MESSAGE=DISABLE\n"
	  << "exec " << sh_quote(plan.zpcisim) << " sweep";
	for (const std::string &a : plan.task_args)
		s << ' ' << sh_quote(a);
	s << " --out \"" << task << ".csv\"";
	if (!plan.json.empty())
		s << " --json \"" << task << ".jsonl\"";
	s << " --points \"$first-$last\" --jobs 1\n";
	return write_file_atomic(p.dir + "/sweep.sh", s.str(), err) &&
	       write_collect_script(p, plan, err);
}

int run_program(const std::vector<std::string> &argv, std::string *out, std::string *err)
{
	int o[2], e[2];

	if (pipe(o))
		return *err = std::string("pipe: ") + strerror(errno), -1;
	if (pipe(e)) {
		close(o[0]);
		close(o[1]);
		return *err = std::string("pipe: ") + strerror(errno), -1;
	}
	pid_t pid = fork();
	if (!pid) {
		std::vector<char *> args;
		for (const std::string &a : argv)
			args.push_back(const_cast<char *>(a.c_str()));
		args.push_back(nullptr);
		dup2(o[1], 1);
		dup2(e[1], 2);
		close(o[0]);
		close(e[0]);
		close(o[1]);
		close(e[1]);
		execvp(args[0], args.data());
		dprintf(2, "%s: %s", argv[0].c_str(), strerror(errno));
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	if (pid < 0) {
		close(o[0]);
		close(e[0]);
		return *err = std::string("fork: ") + strerror(errno), -1;
	}
	out->clear();
	err->clear();
	pollfd fds[2] = { { o[0], POLLIN, 0 }, { e[0], POLLIN, 0 } };
	for (int open = 2; open;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < 2; k++) {
			char buf[4096];
			if (fds[k].fd < 0 || !fds[k].revents)
				continue;
			ssize_t n = read(fds[k].fd, buf, sizeof(buf));
			if (n > 0) {
				(k ? err : out)->append(buf, n);
				continue;
			}
			close(fds[k].fd);
			fds[k].fd = -1;
			open--;
		}
	}
	int status = 0;
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !err->empty())
		return -1;	// could not run it: *err says why
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool slurm_submit(const std::string &dir, const SlurmPlan &plan, const std::string &array,
		  std::string *job, std::string *err)
{
	std::string collect;

	if (!sbatch(dir + "/sweep.sh", { "--array=" + array }, job, err))
		return false;
	if (plan.then_collect &&
	    !sbatch(dir + "/collect.sh", { "--dependency=afterany:" + *job }, &collect, err)) {
		*err = "job " + *job + " submitted, but not its collect job: " + *err;
		return false;
	}
	return true;
}

std::set<size_t> slurm_unfinished(const std::vector<std::string> &jobs)
{
	std::set<size_t> tasks;
	std::string ids, out, err;

	for (const std::string &j : jobs)
		ids += (ids.empty() ? "" : ",") + j;
	// One line per array task still known: its index and state.
	if (ids.empty() || run_program({ "squeue", "-h", "-r", "-j", ids, "-o", "%K %T" }, &out,
				       &err))
		return tasks;
	std::istringstream in(out);
	for (std::string index, state; in >> index >> state;)
		if (state == "PENDING" || state == "RUNNING" || state == "CONFIGURING" ||
		    state == "COMPLETING" || state == "REQUEUED" || state == "SUSPENDED")
			tasks.insert(strtoull(index.c_str(), nullptr, 10));
	return tasks;
}

}  // namespace zpcisim
