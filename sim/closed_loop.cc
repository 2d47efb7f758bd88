// SPDX-License-Identifier: MIT
#include "closed_loop.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <iomanip>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "format.h"
#include "requests.h"

namespace zpcisim {

namespace {

// Requests in flight when neither the option nor the trace says.
constexpr uint32_t kQueueDepthDefault = 32;
// Below this share of the run busy, no resource limits throughput: the
// device's latency at the queue depth does.
constexpr double kBusyBound = 0.5;

uint64_t ns(double v)
{
	return static_cast<uint64_t>(std::llround(v));
}

uint32_t queue_depth(const ztrace_fn &fn, const DeviceParams &d)
{
	if (d.queue_depth)
		return d.queue_depth;
	return fn.queue_depth ? fn.queue_depth : kQueueDepthDefault;
}

// Applies each phase's records to the replay and costs the work they did.
class ReplayRunner : public Runner {
public:
	ReplayRunner(Replay &replay, RequestReader &reader, const ReplayOptions &opts,
		     const std::function<void(uint64_t)> &progress)
		: replay_(replay), reader_(reader), opts_(opts), progress_(progress),
		  intercepted_(replay.design().intercepts != nullptr),
		  user_space_(replay.design().user_space), last_(replay.work())
	{
	}

	void cpu(const Job &job, size_t phase, uint64_t now, std::vector<Segment> *out) override
	{
		const Phase &ph = job.phases[phase];
		const auto &recs = reader_.records(job.handle);

		for (uint32_t i = ph.first; i < ph.first + ph.count; i++) {
			step(job, recs[i], now);
			cost(job.fn, out);
		}
	}

	uint64_t transfer(const Job &job, size_t phase, uint64_t now) override
	{
		const Phase &ph = job.phases[phase];
		const auto &recs = reader_.records(job.handle);
		uint64_t bytes = 0;

		for (uint32_t i = ph.first; i < ph.first + ph.count; i++)
			if (step(job, recs[i], now))
				bytes += recs[i].rec.len;
		replay_.settle_device();
		Work w = replay_.work();
		uint64_t dtu = w.device_done_ns > now ? w.device_done_ns - now : 0;
		last_ = w;
		// The link and the DMA path behind it are stages of one pipeline:
		// the slower sets the pace (the DTU's time already overlaps its
		// requests up to function.outstanding).
		return std::max(ns(bytes * 1e3 / opts_.device.bandwidth_mb_s), dtu);
	}

	Outcome done(const Job &job, uint64_t) override
	{
		auto it = failed_.find(job.handle);
		Outcome o = Outcome::Done;

		if (it != failed_.end()) {
			o = it->second && retryable(job) ? Outcome::Retry : Outcome::Failed;
			failed_.erase(it);
		}
		if (o != Outcome::Retry)
			reader_.release(job.handle);
		return o;
	}

private:
	// Apply @h for @job at @now; false when it did nothing because a
	// mapping failed (then so did the job: its driver got an error).
	bool step(const Job &job, const HeldRecord &h, uint64_t now)
	{
		const ReplayStats &s = replay_.stats();
		uint64_t map_failures = s.map_failures, skipped = s.skipped;
		ztrace_rec rec = h.rec;
		std::string err;

		rec.time = now;
		rec.sg = h.sg.data();
		if (!replay_.step(rec, nullptr, &err))
			throw RequestReader::BadTrace(err);
		if ((++stepped_ & 0xffff) == 0)
			progress_(reader_.read());
		if (s.map_failures == map_failures && s.skipped == skipped)
			return true;
		// Its own map failing is what a retry may cure.
		failed_[job.handle] |= s.map_failures != map_failures;
		return false;
	}

	// Whether @job can run again as it is: every mapping it makes, it
	// ends, so that its IDs are free again (a ring buffer another request
	// takes over is not).
	bool retryable(const Job &job) const
	{
		std::unordered_set<uint64_t> open;

		for (const HeldRecord &h : reader_.records(job.handle)) {
			ztrace_kind k = h.rec.kind;
			if (k == ZTRACE_MAP || k == ZTRACE_MAP_SG)
				open.insert(h.rec.id);
			else if (k == ZTRACE_UNMAP || k == ZTRACE_UNMAP_SG)
				open.erase(h.rec.id);
		}
		return open.empty();
	}

	// The work since the last record, as segments: the guest's, the SIE
	// exit, the handler's under the design's lock.
	void cost(uint32_t fn, std::vector<Segment> *out)
	{
		Work w = replay_.work();
		CpuWork d = w.cpu.since(last_.cpu);

		d.calls = 1;
		double rpcit = w.rpcit_ns - last_.rpcit_ns;
		last_ = w;

		CpuTime t = replay_.cpu_cost().time(d);
		if (!intercepted_) {
			add(out, t.guest_ns + rpcit, CpuRole::Guest, kNoLock);
			return;
		}
		int lock = user_space_ ? 0 : (int)fn;
		add(out, t.guest_ns, CpuRole::Guest, kNoLock);
		add(out, t.exit_ns, CpuRole::Hypervisor, kNoLock);
		add(out, t.user_ns, CpuRole::User, lock);
		add(out, t.kernel_ns + rpcit, CpuRole::Hypervisor, lock);
	}

	static void add(std::vector<Segment> *out, double v, CpuRole role, int lock)
	{
		if (v > 0)
			out->push_back({ ns(v), role, lock });
	}

	Replay &replay_;
	RequestReader &reader_;
	const ReplayOptions &opts_;
	const std::function<void(uint64_t)> &progress_;
	bool intercepted_, user_space_;
	Work last_;
	uint64_t stepped_ = 0;
	// Jobs a failed mapping stopped: whether one of their own maps failed.
	std::unordered_map<uint64_t, bool> failed_;
};

// The busiest resource, or the device's latency when none is busy enough
// to limit the run.
void find_bottleneck(ClosedLoopReport *c)
{
	const ScheduleResult &s = c->schedule;
	double end = s.end_ns ? double(s.end_ns) : 1;
	auto consider = [&](uint64_t busy, const std::string &what) {
		if (busy / end > c->bottleneck_share) {
			c->bottleneck_share = busy / end;
			c->bottleneck = what;
		}
	};

	for (size_t i = 0; i < s.vcpu_busy_ns.size(); i++)
		consider(s.vcpu_busy_ns[i], "vcpu " + std::to_string(i));
	for (size_t i = 0; i < s.lock_held_ns.size(); i++)
		consider(s.lock_held_ns[i], "lock: " + c->locks[i]);
	for (size_t i = 0; i < s.link_busy_ns.size(); i++)
		consider(s.link_busy_ns[i], "transfers of function " + std::to_string(i));
	for (size_t i = 0; i < s.retry_wait_ns.size(); i++)
		consider(s.retry_wait_ns[i], "failing maps: function " + std::to_string(i) +
						     "'s requests waiting to retry");
	if (c->bottleneck_share < kBusyBound)
		c->bottleneck = "device latency";
}

std::vector<std::string> lock_names(const zpci_design_ops &d, uint32_t fns)
{
	std::vector<std::string> v;

	if (!d.intercepts)
		return v;
	if (d.user_space)
		return { "QEMU's big lock" };
	for (uint32_t i = 0; i < fns; i++)
		v.push_back("function " + std::to_string(i) + "'s shadow table");
	return v;
}

}  // namespace

std::string percent(double share)
{
	std::ostringstream s;
	s << std::fixed << std::setprecision(1) << share * 100 << '%';
	return s.str();
}

double ClosedLoopReport::cpu_share(CpuRole role) const
{
	double all = double(schedule.end_ns) * cpus;

	return all ? schedule.cpu_ns[static_cast<int>(role)] / all : 0;
}

double ClosedLoopReport::cpu_ns_per_request() const
{
	uint64_t busy = 0;

	for (uint64_t ns : schedule.cpu_ns)
		busy += ns;
	return schedule.requests ? double(busy) / schedule.requests : 0;
}

double ClosedLoopReport::requests_per_s() const
{
	return schedule.end_ns ? schedule.requests * 1e9 / schedule.end_ns : 0;
}

double ClosedLoopReport::bytes_per_s() const
{
	return schedule.end_ns ? schedule.bytes * 1e9 / schedule.end_ns : 0;
}

ClosedLoopReport run_closed_loop(ztrace_reader *r, Replay &replay, const ReplayOptions &opts,
				 const std::function<void(uint64_t)> &progress)
{
	const ztrace_header &h = *ztrace_reader_header(r);
	RequestReader reader(r, h);
	ReplayRunner runner(replay, reader, opts, progress);
	ClosedLoopReport c;
	ScheduleParams p;

	c.cpus = p.cpus = h.cpus ? h.cpus : 1;
	c.locks = lock_names(replay.design(), h.nr_fns);
	p.locks = c.locks.size();
	for (uint32_t i = 0; i < h.nr_fns; i++)
		p.queue_depth.push_back(queue_depth(h.fn[i], opts.device));
	c.queue_depth = p.queue_depth;
	p.device_latency_ns = ns(opts.device.latency_ns);
	p.retry_delay_ns = ns(opts.device.retry_delay_ns);
	p.max_idle_retries = opts.device.idle_retries;
	Scheduler sched(p, reader, runner);
	c.schedule = sched.run();
	c.dropped = reader.dropped();
	find_bottleneck(&c);
	return c;
}

void print_closed_loop(std::ostream &out, const ClosedLoopReport &c)
{
	const ScheduleResult &s = c.schedule;
	auto share = [&](CpuRole r) { return percent(c.cpu_share(r)); };

	out << "timing: closed\n"
	    << "requests: " << s.requests << '\n'
	    << "failed_requests: " << s.failed << '\n'
	    << "request_retries: " << s.retries << '\n'
	    << "run_ns: " << s.end_ns << '\n'
	    << "throughput_requests_per_s: " << std::llround(c.requests_per_s()) << '\n'
	    << "throughput_bytes_per_s: " << std::llround(c.bytes_per_s()) << '\n'
	    << "request_latency_ns_p50: " << s.latency_ns.percentile(0.50) << '\n'
	    << "request_latency_ns_p99: " << s.latency_ns.percentile(0.99) << '\n'
	    << "cpu_guest: " << share(CpuRole::Guest) << '\n'
	    << "cpu_hypervisor: " << share(CpuRole::Hypervisor) << '\n'
	    << "cpu_user: " << share(CpuRole::User) << '\n'
	    << "bottleneck: " << c.bottleneck << " (" << percent(c.bottleneck_share) << " busy)\n";
}

nlohmann::ordered_json closed_loop_json(const ClosedLoopReport &c)
{
	const ScheduleResult &s = c.schedule;
	nlohmann::ordered_json locks = nlohmann::ordered_json::array();

	for (size_t i = 0; i < c.locks.size(); i++)
		locks.push_back({ { "what", c.locks[i] }, { "held_ns", s.lock_held_ns[i] } });
	return {
		{ "requests", s.requests },
		{ "failed_requests", s.failed },
		{ "retries", s.retries },
		{ "fences", s.fences },
		{ "bytes", s.bytes },
		{ "run_ns", s.end_ns },
		{ "requests_per_s", c.requests_per_s() },
		{ "bytes_per_s", c.bytes_per_s() },
		{ "latency_ns", { { "p50", s.latency_ns.percentile(0.50) },
				  { "p99", s.latency_ns.percentile(0.99) },
				  { "max", s.latency_ns.max() } } },
		{ "cpu_ns", { { "guest", s.cpu_ns[static_cast<int>(CpuRole::Guest)] },
			      { "hypervisor", s.cpu_ns[static_cast<int>(CpuRole::Hypervisor)] },
			      { "user", s.cpu_ns[static_cast<int>(CpuRole::User)] } } },
		{ "cpu_ns_per_request", c.cpu_ns_per_request() },
		{ "cpus", c.cpus },
		{ "vcpu_busy_ns", s.vcpu_busy_ns },
		{ "vcpu_blocked_ns", s.vcpu_blocked_ns },
		{ "locks", locks },
		{ "queue_depth", c.queue_depth },
		{ "link_busy_ns", s.link_busy_ns },
		{ "retry_wait_ns", s.retry_wait_ns },
		{ "bottleneck", c.bottleneck },
		{ "bottleneck_busy", c.bottleneck_share },
		{ "dropped_records", c.dropped },
	};
}

}  // namespace zpcisim
