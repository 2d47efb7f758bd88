// SPDX-License-Identifier: MIT
#include "schedule.h"

#include <stdexcept>

namespace zpcisim {

Scheduler::Scheduler(const ScheduleParams &p, JobSource &source, Runner &runner)
	: p_(p), source_(source), runner_(runner), vcpus_(p.cpus), locks_(p.locks),
	  fns_(p.queue_depth.size())
{
	if (!p.cpus)
		throw std::invalid_argument("closed-loop timing needs a vCPU");
	for (size_t fn = 0; fn < fns_.size(); fn++)
		fns_[fn].depth = p.queue_depth[fn] ? p.queue_depth[fn] : 1;
	r_.vcpu_busy_ns.resize(p.cpus);
	r_.vcpu_blocked_ns.resize(p.cpus);
	r_.lock_held_ns.resize(p.locks);
	r_.link_busy_ns.resize(fns_.size());
	r_.retry_wait_ns.resize(fns_.size());
}

void Scheduler::post(uint64_t t, Ev type, uint32_t who)
{
	events_.push({ t, seq_++, type, who });
}

const ScheduleResult &Scheduler::run()
{
	for (uint32_t fn = 0; fn < fns_.size(); fn++)
		admit(fn, 0);
	while (!events_.empty()) {
		Event e = events_.top();
		events_.pop();
		switch (e.type) {
		case Ev::SegmentDone:
			segment_done(e.who, e.t);
			break;
		case Ev::LinkDone: {
			Function &f = fns_[e.who];
			uint32_t slot = f.link_ready.front();
			f.link_ready.pop_front();
			f.link_busy = false;
			// Nothing sent (every access's mapping failed): no device time.
			post(e.t + (f.link_sent ? p_.device_latency_ns : 0), Ev::PhaseDone, slot);
			start_link(e.who, e.t);
			break;
		}
		case Ev::PhaseDone:
			advance(e.who, e.t);
			break;
		case Ev::Retry:
			retry(e.who, e.t);
			break;
		}
	}
	for (const Vcpu &v : vcpus_)
		if (v.busy || !v.ready.empty())
			throw std::logic_error("closed-loop schedule ended with work left on a vCPU");
	// A retry waits for a completion only while another job is in flight,
	// and a job another waits for cannot be retried (its mapping outlives
	// it): no request is left behind.
	for (const Function &f : fns_)
		if (f.in_flight || !f.exhausted)
			throw std::logic_error("closed-loop schedule ended with requests not done");
	return r_;
}

// Jobs enter in order while slots are free; a fence waits for the function
// to drain and holds the next job back until it is done.
void Scheduler::admit(uint32_t fn, uint64_t now)
{
	Function &f = fns_[fn];

	while (!f.fence_running && !f.exhausted) {
		if (!f.have_next && !(f.have_next = source_.next(fn, &f.next))) {
			f.exhausted = true;
			break;
		}
		if (f.next.fence ? f.in_flight > 0 : f.in_flight >= f.depth)
			break;
		f.have_next = false;
		f.in_flight++;
		f.fence_running = f.next.fence;
		start_job(std::move(f.next), now);
	}
}

void Scheduler::start_job(Job &&job, uint64_t now)
{
	uint32_t slot;

	if (job.phases.empty())
		throw std::logic_error("closed-loop job without work");
	if (free_slots_.empty()) {
		slot = jobs_.size();
		jobs_.emplace_back();
	} else {
		slot = free_slots_.back();
		free_slots_.pop_back();
	}
	jobs_[slot] = { std::move(job), 0, now, 0 };
	Active &a = jobs_[slot];
	for (uint64_t h : a.job.after) {
		auto dep = running_.find(h);
		if (dep == running_.end())
			continue;
		dep->second.push_back(slot);
		a.waiting++;
	}
	running_[a.job.handle];
	if (!a.waiting)
		ready(slot, now);
}

void Scheduler::ready(uint32_t slot, uint64_t now)
{
	const Active &a = jobs_[slot];
	const Phase &ph = a.job.phases[a.phase];

	if (ph.device) {
		fns_[a.job.fn].link_ready.push_back(slot);
		start_link(a.job.fn, now);
		return;
	}
	uint32_t c = ph.cpu % p_.cpus;
	vcpus_[c].ready.push_back(slot);
	start_vcpu(c, now);
}

void Scheduler::advance(uint32_t slot, uint64_t now)
{
	Active &a = jobs_[slot];

	if (++a.phase < a.job.phases.size())
		ready(slot, now);
	else
		complete(slot, now);
}

void Scheduler::complete(uint32_t slot, uint64_t now)
{
	Active &a = jobs_[slot];
	Function &f = fns_[a.job.fn];

	r_.end_ns = now;
	Outcome o = runner_.done(a.job, now);
	if (o == Outcome::Retry && !a.job.fence &&
	    f.idle_retries < uint64_t(p_.max_idle_retries) * f.depth) {
		retry_later(slot, now);
		return;
	}
	if (a.job.fence) {
		r_.fences++;
		f.fence_running = false;
	} else if (o != Outcome::Done) {
		r_.failed++;
	} else {
		r_.requests++;
		r_.bytes += a.job.bytes;
		r_.latency_ns.add(now - a.admitted);
		f.idle_retries = 0;
	}
	f.in_flight--;
	// blk-mq's restart: a request's completion runs the queue again.
	for (uint32_t s : f.restart)
		post(now, Ev::Retry, s);
	f.restart.clear();
	uint32_t fn = a.job.fn;
	auto waiters = running_.extract(a.job.handle);
	free_slots_.push_back(slot);
	// Waking a job may run it to completion and admit others: @a is
	// not to be touched from here.
	for (uint32_t w : waiters.mapped())
		if (!--jobs_[w].waiting)
			ready(w, now);
	admit(fn, now);
}

// @slot's job runs again from its first phase, keeping its slot and its
// admission time: at the next completion in its function, or after the
// retry delay when every other job in flight waits to retry too.
void Scheduler::retry_later(uint32_t slot, uint64_t now)
{
	Active &a = jobs_[slot];
	Function &f = fns_[a.job.fn];

	r_.retries++;
	f.idle_retries++;
	a.phase = 0;
	if (!f.retrying++)
		f.retrying_since = now;
	if (f.in_flight > f.retrying)
		f.restart.push_back(slot);
	else
		post(now + p_.retry_delay_ns, Ev::Retry, slot);
}

void Scheduler::retry(uint32_t slot, uint64_t now)
{
	Active &a = jobs_[slot];
	Function &f = fns_[a.job.fn];

	if (!--f.retrying)
		r_.retry_wait_ns[a.job.fn] += now - f.retrying_since;
	ready(slot, now);
}

void Scheduler::start_vcpu(uint32_t c, uint64_t now)
{
	Vcpu &v = vcpus_[c];

	if (v.busy || v.ready.empty())
		return;
	v.busy = true;
	v.slot = v.ready.front();
	v.ready.pop_front();
	v.segs.clear();
	v.seg = 0;
	const Active &a = jobs_[v.slot];
	runner_.cpu(a.job, a.phase, now, &v.segs);
	for (const Segment &s : v.segs) {
		if (s.lock >= (int)locks_.size())
			throw std::logic_error("closed-loop segment holds a lock that does not exist");
		r_.cost_ns += s.ns;
	}
	run_segment(c, now);
}

// The vCPU's next segment, or its phase is done and it takes the next one.
void Scheduler::run_segment(uint32_t c, uint64_t now)
{
	Vcpu &v = vcpus_[c];

	if (v.seg == v.segs.size()) {
		uint32_t slot = v.slot;
		v.busy = false;
		advance(slot, now);
		start_vcpu(c, now);
		return;
	}
	const Segment &s = v.segs[v.seg];
	if (s.lock != kNoLock) {
		Lock &l = locks_[s.lock];
		if (l.holder >= 0 && l.holder != (int)c) {
			l.waiting.push_back(c);
			v.blocked_since = now;
			return;
		}
		l.holder = c;
		r_.lock_held_ns[s.lock] += s.ns;
	}
	r_.cpu_ns[static_cast<int>(s.role)] += s.ns;
	r_.vcpu_busy_ns[c] += s.ns;
	post(now + s.ns, Ev::SegmentDone, c);
}

// A lock goes to its longest waiter before its last holder moves on, so
// that a vCPU taking it again queues behind the others.
void Scheduler::segment_done(uint32_t c, uint64_t now)
{
	Vcpu &v = vcpus_[c];
	int lock = v.segs[v.seg].lock;

	v.seg++;
	if (lock != kNoLock && (v.seg == v.segs.size() || v.segs[v.seg].lock != lock)) {
		Lock &l = locks_[lock];
		l.holder = -1;
		if (!l.waiting.empty()) {
			uint32_t w = l.waiting.front();
			l.waiting.pop_front();
			r_.vcpu_blocked_ns[w] += now - vcpus_[w].blocked_since;
			run_segment(w, now);
		}
	}
	run_segment(c, now);
}

void Scheduler::start_link(uint32_t fn, uint64_t now)
{
	Function &f = fns_[fn];

	if (f.link_busy || f.link_ready.empty())
		return;
	f.link_busy = true;
	const Active &a = jobs_[f.link_ready.front()];
	uint64_t ns = runner_.transfer(a.job, a.phase, now);
	f.link_sent = ns > 0;
	r_.link_busy_ns[fn] += ns;
	post(now + ns, Ev::LinkDone, fn);
}

}  // namespace zpcisim
