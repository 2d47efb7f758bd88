// SPDX-License-Identifier: MIT
#include "requests.h"

namespace zpcisim {

namespace {

bool is_device(ztrace_kind k)
{
	return k == ZTRACE_DMA || k == ZTRACE_DMA_IOVA;
}

// The req= key (trace format 2); none in version 1.
bool has_req(const ztrace_rec &rec, uint64_t *req)
{
#ifdef ZTRACE_HAS_REQ
	*req = rec.req;
	return rec.flags & ZTRACE_HAS_REQ;
#else
	(void)rec;
	*req = 0;
	return false;
#endif
}

}  // namespace

RequestReader::RequestReader(ztrace_reader *r, const ztrace_header &h)
	: reader_(r), header_(h), checker_(ztrace_checker_create(&h), ztrace_checker_destroy),
	  fns_(h.nr_fns)
{
	if (!checker_)
		throw std::bad_alloc();
}

RequestReader::~RequestReader() = default;

bool RequestReader::next(uint32_t fn, Job *job)
{
	Function &f = fns_[fn];

	while (f.items.empty() || !f.items.front()->ended) {
		if (eof_)
			return false;
		if (!read_one()) {
			eof_ = true;
			end_all();
		}
	}
	Item *it = f.items.front();
	f.items.pop_front();
	*job = job_of(*it);
	return true;
}

const std::vector<HeldRecord> &RequestReader::records(uint64_t handle) const
{
	return items_.at(handle)->recs;
}

void RequestReader::release(uint64_t handle)
{
	items_.erase(handle);
}

// One record into its request; false at the end of the trace.
bool RequestReader::read_one()
{
	ztrace_rec rec;
	ztrace_diag diag;
	char where[512];
	int rc = ztrace_next(reader_, &rec, &diag);

	if (rc < 0)
		throw BadTrace(diag.msg);
	if (rc == 0)
		return false;
	read_++;
	if (ztrace_check(checker_.get(), &rec, &diag)) {
		ztrace_reader_where(reader_, where, sizeof(where));
		throw BadTrace(std::string(where) + ": " + diag.msg);
	}
	place(rec);
	return true;
}

void RequestReader::place(const ztrace_rec &rec)
{
	uint32_t slot = ztrace_checker_slot(checker_.get());
	Function &f = fns_[rec.fn];
	Item *it;

	switch (rec.kind) {
	case ZTRACE_TICK:
	case ZTRACE_TIMERS:
	case ZTRACE_RPCIT:
		dropped_++;
		return;
	case ZTRACE_ATTACH:
	case ZTRACE_DETACH:
		it = begin(rec.fn, true);
		hold(it, rec, rec.id);
		end(it);
		return;
	case ZTRACE_ALLOC:
		if (slot >= live_.size())
			live_.resize(slot + 1);
		live_[slot] = { next_id_++, nullptr };
		it = begin(rec.fn, true);
		hold(it, rec, live_[slot].id);
		end(it);
		return;
	case ZTRACE_MAP:
	case ZTRACE_MAP_SG:
		if (slot >= live_.size())
			live_.resize(slot + 1);
		it = request_of(rec);
		live_[slot] = { next_id_++, it };
		it->open_maps++;
		hold(it, rec, live_[slot].id);
		return;
	default:
		break;
	}
	Live none;
	const Live &l = slot == ZTRACE_NO_SLOT ? none : live_[slot];
	bool streaming = l.owner != nullptr;
	if (rec.kind == ZTRACE_FREE || (!is_device(rec.kind) && !streaming)) {
		it = begin(rec.fn, true);
		hold(it, rec, l.id);
		end(it);
		return;
	}
	if (!is_device(rec.kind)) {
		it = l.owner;
		hold(it, rec, l.id);
		if (it == f.touched)
			f.touched = nullptr;
		if (!--it->open_maps)
			end(it);
		return;
	}
	// A device access: to a streaming mapping, its request's; else the
	// request the device is working on, if any.
	uint64_t req;
	it = streaming ? l.owner : has_req(rec, &req) ? request_of(rec) : f.touched;
	if (streaming)
		f.touched = it;
	uint64_t id = rec.kind == ZTRACE_DMA ? l.id : rec.id;
	if (!it) {
		f.orphans.push_back({ rec, {} });
		f.orphans.back().rec.id = id;
		return;
	}
	hold(it, rec, id);
}

// A new request takes the device's accesses that were waiting for one; a
// fence must not pass them, so they become a request of their own first.
RequestReader::Item *RequestReader::begin(uint32_t fn, bool fence)
{
	Function &f = fns_[fn];

	if (fence && !f.orphans.empty())
		end(begin(fn, false));
	auto owned = std::make_unique<Item>();
	Item *it = owned.get();
	it->handle = next_handle_++;
	it->fn = fn;
	it->fence = fence;
	items_.emplace(it->handle, std::move(owned));
	f.items.push_back(it);
	if (!fence && !f.orphans.empty()) {
		it->recs = std::move(f.orphans);
		f.orphans.clear();
	}
	return it;
}

// The request a map or a req= record joins: its req='s while open, else a
// new one.
RequestReader::Item *RequestReader::request_of(const ztrace_rec &rec)
{
	Function &f = fns_[rec.fn];
	uint64_t req;

	if (!has_req(rec, &req))
		return begin(rec.fn, false);
	auto [pos, fresh] = f.by_req.try_emplace(req, nullptr);
	if (fresh) {
		pos->second = begin(rec.fn, false);
		pos->second->has_req = true;
		pos->second->req = req;
	}
	return pos->second;
}

void RequestReader::hold(Item *it, const ztrace_rec &rec, uint64_t id)
{
	HeldRecord h{ rec, {} };

	h.rec.id = id;
	h.rec.flags &= ~ZTRACE_HAS_IOVA;	// another order allocates other IOVAs
	if (rec.kind == ZTRACE_MAP_SG)
		h.sg.assign(rec.sg, rec.sg + rec.nr_sg);
	h.rec.sg = nullptr;
	it->recs.push_back(std::move(h));
}

void RequestReader::end(Item *it)
{
	it->ended = true;
	if (it->has_req)
		fns_[it->fn].by_req.erase(it->req);
}

// The trace is over: what is still open runs as it is, and the device's
// last coherent accesses form a request of their own.
void RequestReader::end_all()
{
	for (uint32_t fn = 0; fn < fns_.size(); fn++) {
		Function &f = fns_[fn];
		if (!f.orphans.empty())
			begin(fn, false);
		for (Item *it : f.items)
			it->ended = true;
		f.by_req.clear();
		f.touched = nullptr;
	}
}

// Its phases: a new one wherever the work moves between the CPU and the
// device, on the vCPU its first call names.
Job RequestReader::job_of(const Item &it) const
{
	Job j;

	j.handle = it.handle;
	j.fn = it.fn;
	j.fence = it.fence;
	for (uint32_t i = 0; i < it.recs.size(); i++) {
		const HeldRecord &h = it.recs[i];
		bool dev = is_device(h.rec.kind);
		uint32_t cpu = (h.rec.flags & ZTRACE_HAS_CPU) ? h.rec.cpu : 0;
		if (j.phases.empty() || j.phases.back().device != dev)
			j.phases.push_back({ dev, cpu % header_.cpus, i, 0 });
		j.phases.back().count++;
		if (dev)
			j.bytes += h.rec.len;
	}
	return j;
}

}  // namespace zpcisim
