// SPDX-License-Identifier: MIT
// zpcisim replay: run a trace through a design and report what happened.
#include "interrupt.h"
#include "output.h"
#include "plugin.h"
#include "replay_cli.h"

namespace zpcisim {

namespace {

const CommandSpec kSpec = {
	"replay",
	"replay TRACE [--config FILE] [--set KEY=VALUE]... [--design D] [--policy P] [--mode M]\n"
	"                     [--timing T] [--stats-json OUT] [fault options]",
	"Replay TRACE: its DMA API calls go to zpcisim's guest DMA layer, its device\n"
	"accesses to the simulated function (IOTLB, then table walks), through the\n"
	"chosen design.  Where the trace recorded them, the RPCITs and IOVAs of the\n"
	"replayed guest are checked against it; every device access is checked for\n"
	"isolation (a host page the guest owns, pinned where the design pins).\n"
	"Prints a summary of key: value lines; timed modes add simulated time, DMA\n"
	"latency percentiles, IOTLB and walk figures.\n"
	"\n"
	"--timing closed lets the simulated system decide when each request's work\n"
	"happens: its calls and the hypervisor's work for them cost time on their\n"
	"vCPU (the cost table), the design's lock serialises its handlers, the\n"
	"device serves queue_depth requests over its link; the summary adds\n"
	"throughput, request latency, CPU by guest, hypervisor and user space, and\n"
	"the bottleneck (docs/closed-loop.md).  The RPCIT and IOVA checks need the\n"
	"trace's own order, --timing trace (the default).\n"
	"\n"
	"Every parameter (model blocks, CPU costs, hypervisor limits) is a key of the\n"
	"configuration: a TOML --config file, --set KEY=VALUE, or a shorthand flag\n"
	"below (the designs, policies and modes are there); 'zpcisim config dump'\n"
	"lists them with their defaults.\n"
	"\n"
	"An output file (--stats-json, --timeline, --vcd) that is a regular file or new\n"
	"is replaced whole when the run ends, through any symlink; a FIFO or device\n"
	"is written through; '-' is standard output, after the summary.\n"
	"\n"
	"Exit status: 0 replayed and every check passed; 1 a check failed (an RPCIT\n"
	"or IOVA differs from the trace, an isolation violation, unbalanced pins)\n"
	"or the design could not start; 2 bad input (command line, trace, an output\n"
	"path that can take no file or is the trace); 3 an output could not be\n"
	"written (disk full): the summary is printed first; 130, 143, 129\n"
	"interrupted (SIGINT, SIGTERM, SIGHUP): the summary and stats cover the\n"
	"records before it.",
	designs_help,
};

// --vcd: the waveform writes its file by name: the output's temporary.
std::optional<int> open_waveform(const po::variables_map &vm, CommandIo &io,
				 const std::vector<std::string> &inputs, OutputFile *f,
				 ReplayOptions *opts)
{
	if (!vm.count("vcd"))
		return std::nullopt;
	const std::string &path = vm["vcd"].as<std::string>();
	if (opts->mode == ReplayMode::Functional)
		return command_error(kSpec, io, "--vcd needs a timed mode: --mode fast or cycle",
				     kExitUsage);
	if (auto rc = open_output(kSpec, io, vm, "vcd", f, inputs))
		return rc;
	opts->system.vcd = f->tmp_path();
	if (opts->system.vcd.empty())
		return command_error(kSpec, io, "--vcd: " + path + ": not a regular file "
					       "(the waveform is written to a file it names)",
				     kExitUsage);
	return std::nullopt;
}

}  // namespace

int cmd_replay(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	po::positional_options_description pos;
	po::variables_map vm;
	ReplayRun run;
	ConfigArgs config_args;
	Config config;
	std::string stats_out, telemetry_at, timeline_out, vcd_out, err;
	unsigned telemetry_ms = 100;
	uint64_t timeline_limit = 1000000;

	opts.add_options()
		("trace", po::value(&run.trace)->required(), "trace to replay (.ztr or .ztb)")
		("stats-json", po::value(&stats_out), "also write the stats as JSON to this file")
		("telemetry", po::value(&telemetry_at),
		 "publish live counters on this ZeroMQ endpoint (PUB), e.g. tcp://127.0.0.1:5556")
		("telemetry-interval-ms", po::value(&telemetry_ms)->default_value(telemetry_ms),
		 "at most one message per this many ms")
		("timeline", po::value(&timeline_out),
		 "write a Chrome/Perfetto trace-event JSON of the run to this file")
		("timeline-limit", po::value(&timeline_limit)->default_value(timeline_limit),
		 "events the timeline keeps at most")
		("vcd", po::value(&vcd_out),
		 "timed modes: write the device's and the DTU's signals as a VCD waveform");
	config_args.add_to(opts, true);
	pos.add("trace", 1);
	if (auto rc = parse_options(kSpec, args, opts, pos, vm, io))
		return *rc;
	if (auto rc = config_args.apply(kSpec, vm, io, &config))
		return *rc;
	run.opts = config.opts;
	// Every output is opened now: a path that can take no file fails before the run.
	const std::vector<std::string> inputs = { run.trace };
	OutputFile stats_file, timeline_file, vcd_file;
	if (auto rc = open_output(kSpec, io, vm, "stats-json", &stats_file, inputs))
		return *rc;
	if (auto rc = open_output(kSpec, io, vm, "timeline", &timeline_file, inputs))
		return *rc;
	if (auto rc = open_waveform(vm, io, inputs, &vcd_file, &run.opts))
		return *rc;
	std::unique_ptr<Telemetry> telemetry;
	if (!telemetry_at.empty()) {
		TelemetryParams tp;
		tp.interval = std::chrono::milliseconds(telemetry_ms);
		try {
			telemetry = std::make_unique<Telemetry>(
				telemetry_at, "replay " + run.trace + " " + design_name(run.opts.design), tp);
		} catch (const PluginError &e) {
			return command_error(kSpec, io, e.what(), kExitResource);
		} catch (const std::exception &e) {
			return command_error(kSpec, io, e.what(), kExitUsage);
		}
		run.telemetry = telemetry.get();
		warn_if_reachable(kSpec, io, telemetry_at);
	}

	std::unique_ptr<Replay> replay;
	std::unique_ptr<Timeline> timeline;
	if (timeline_file.is_open())
		timeline = std::make_unique<Timeline>(timeline_file.stream(), timeline_limit,
						      std::string("zpcisim ") + design_name(run.opts.design));
	run.timeline = timeline.get();
	if (int rc = run_replay(kSpec, run, io, &replay))
		return rc;
	// The summary first: whatever becomes of the files, the run is reported.
	print_replay_summary(io.out, run, *replay);
	io.out.flush();	// "-" is the same standard output
	int rc = run.partial ? interrupted_exit_code() : replay->checks_passed() ? kExitOk : kExitFailure;
	if (timeline) {
		timeline->finish({ { "trace", run.trace },
				   { "design", design_name(run.opts.design) },
				   { "policy", policy_name(run.opts.policy) },
				   { "mode", mode_name(run.opts.mode) },
				   { "partial", run.partial } });
		if (timeline->truncated())
			io.err << "zpcisim replay: " << timeline_out << ": the timeline stops at "
			       << timeline->events() << " events (--timeline-limit); later ones are not in it\n";
	}
	if (stats_file.is_open())
		stats_file.write(replay_json(run, *replay).dump(2) + "\n");
	replay.reset();	// closes the waveform
	for (OutputFile *f : { &timeline_file, &stats_file, &vcd_file })
		if (f->is_open() && f->commit(&err))
			return command_error(kSpec, io, err, kExitResource);
	return rc;
}

}  // namespace zpcisim
