// SPDX-License-Identifier: MIT
// The Slurm backend of `zpcisim sweep`: the points cut into chunks, one
// task of one Slurm job array per chunk, each task a local sweep of its
// chunk (`--points FIRST-LAST`) writing its own results in the job
// directory; `zpcisim sweep collect` merges them in point order into the
// same files a local sweep writes.  Slurm does the scheduling; this is only
// the job script, sbatch and squeue.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace zpcisim {

struct SlurmParams {
	std::string dir;		// the job directory: plan, script, task results, logs
	size_t chunk = 16;		// points per task
	std::string partition;		// "": the cluster's default
	std::string time_limit;		// "": the partition's; else as sbatch --time takes it
	std::vector<std::string> sbatch_args;	// more #SBATCH lines, as they are
	bool then_collect = false;	// also a job that collects once the tasks end
};

// What a submitted sweep is, kept in DIR/sweep.json for collect.
struct SlurmPlan {
	std::string zpcisim;			// the program the tasks run
	std::string cwd;			// where they run (relative paths)
	std::vector<std::string> task_args;	// the sweep's arguments, less backend and outputs
	std::string out, json;			// the merged results (absolute)
	size_t points = 0, chunk = 0;
	std::vector<std::string> jobs;		// job ids, first submission first
	bool then_collect = false;		// SlurmParams::then_collect

	size_t tasks() const { return (points + chunk - 1) / chunk; }
	nlohmann::ordered_json to_json() const;
	static bool from_json(const nlohmann::ordered_json &j, SlurmPlan *plan);
};

// Task @k's results, under @dir.
std::string slurm_task_file(const std::string &dir, size_t k, const char *ext);

// Write DIR/sweep.sh, the array job script for @plan, and DIR/collect.sh,
// the job that runs `zpcisim sweep collect DIR`.
bool slurm_write_scripts(const SlurmParams &p, const SlurmPlan &plan, std::string *err);
// sbatch DIR/sweep.sh, for the tasks in @array ("0-7" or "1,5"), and when
// the plan says so DIR/collect.sh after it: the array's job id in *job, or
// false with *err (sbatch's own words).
bool slurm_submit(const std::string &dir, const SlurmPlan &plan, const std::string &array,
		  std::string *job, std::string *err);
// The array tasks of @jobs that Slurm still has pending or running.
std::set<size_t> slurm_unfinished(const std::vector<std::string> &jobs);

// Run @argv (no shell); its stdout in *out, stderr in *err.  The exit
// status, or -1 when it could not start (*err says why).
int run_program(const std::vector<std::string> &argv, std::string *out, std::string *err);

}  // namespace zpcisim
