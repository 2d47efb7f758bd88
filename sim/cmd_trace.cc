// SPDX-License-Identifier: MIT
// zpcisim trace: gen, convert, validate, stats, head.
#include <algorithm>
#include <array>
#include <cinttypes>
#include <functional>
#include <ostream>

#include <zpci/u64map.h>
#include <ztrace/gen.h>
#include <ztrace/import.h>

#include "format.h"
#include "options.h"
#include "output.h"
#include "trace_io.h"

namespace zpcisim {

namespace {

using TraceFn = int (*)(const Args &args, CommandIo &io);

struct TraceCommand {
	const char *name;
	const char *summary;
	TraceFn run;
};

int trace_gen(const Args &args, CommandIo &io);
int trace_convert(const Args &args, CommandIo &io);
int trace_import(const Args &args, CommandIo &io);
int trace_validate(const Args &args, CommandIo &io);
int trace_stats(const Args &args, CommandIo &io);
int trace_head(const Args &args, CommandIo &io);

const TraceCommand kTraceCommands[] = {
	{ "gen", "write a synthetic workload trace", trace_gen },
	{ "convert", "convert between the text (.ztr) and binary (.ztb) encodings", trace_convert },
	{ "import", "turn a capture of a real s390x kernel into a trace", trace_import },
	{ "validate", "check a trace's syntax and meaning", trace_validate },
	{ "stats", "count records and measure footprint and reuse", trace_stats },
	{ "head", "print the header and first records as text", trace_head },
};

// The reader's position, as readers and checkers put it in diagnostics.
std::string where(const ztrace_reader *r)
{
	char buf[512];
	ztrace_reader_where(r, buf, sizeof(buf));
	return buf;
}

// Call @fn on each record of @r, at most @limit of them.  @fn returns 0 to
// go on, or an exit status it has reported.  A bad record is reported here
// (exit 2).  Returns 0 when the records ran out or the limit was reached.
int for_each_record(const CommandSpec &spec, ztrace_reader *r, CommandIo &io,
		    const std::function<int(const ztrace_rec &)> &fn, uint64_t limit = UINT64_MAX)
{
	ztrace_rec rec;
	ztrace_diag diag;
	int rc = 1;

	for (uint64_t n = 0; n < limit && (rc = ztrace_next(r, &rec, &diag)) == 1; n++)
		if (int status = fn(rec))
			return status;
	return rc < 0 ? command_error(spec, io, diag.msg, kExitUsage) : 0;
}

const CommandSpec kGenSpec = {
	"trace gen",
	"trace gen WORKLOAD OUT [--records N] [--seed S] [--guest-memory SIZE] [--refresh]",
	"Write a seeded synthetic trace of WORKLOAD to OUT (.ztb: binary, else text).\n"
	"The same workload, records, seed and memory give the same bytes.  The trace is\n"
	"version 3: each I/O is a request (req=), each function says its queue depth\n"
	"(traces/FORMAT.md says what a request is for each workload), and it ends with\n"
	"its end marker (a copy cut short is an error).  Workloads:",
};

int trace_gen(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	po::positional_options_description pos;
	po::variables_map vm;
	std::string workload, out, mem = "4G";
	uint64_t records = 100000, seed = 1;
	bool refresh = false;

	opts.add_options()
		("workload", po::value(&workload)->required(), "workload to generate")
		("out", po::value(&out)->required(), "output trace")
		("records", po::value(&records), "records before the final drain (default 100000)")
		("seed", po::value(&seed), "random seed (default 1)")
		("guest-memory", po::value(&mem), "guest memory size (default 4G)")
		("refresh", po::bool_switch(&refresh), "set the functions' refresh bit");
	pos.add("workload", 1).add("out", 1);
	std::string desc = kGenSpec.description;
	for (size_t i = 0; i < ztrace_gen_count(); i++)
		desc += std::string("\n  ") + ztrace_gen_get(i)->name + ": " + ztrace_gen_get(i)->imitates;
	CommandSpec spec = kGenSpec;
	spec.description = desc.c_str();
	if (auto rc = parse_options(spec, args, opts, pos, vm, io))
		return *rc;

	ztrace_gen_cfg cfg{ records, seed, 0, refresh };
	if (ztrace_parse_u64(mem.c_str(), &cfg.guest_mem))
		return command_error(spec, io, "--guest-memory '" + mem + "' is not a size", kExitUsage);
	ztrace_diag diag;
	if (int rc = ztrace_generate(workload.c_str(), &cfg, out.c_str(),
				     ztrace_encoding_for(out.c_str()), &diag))
		return command_error(spec, io, diag.msg, output_exit_code(rc));
	io.out << "wrote: " << out << '\n';
	return kExitOk;
}

const CommandSpec kImportSpec = {
	"trace import", "trace import CAPTURE OUT",
	"Turn CAPTURE, a real s390x kernel's ftrace text from traces/capture/capture.sh,\n"
	"into the trace OUT (.ztb: binary, else text): every map and coherent allocation\n"
	"with the handle the kernel returned, every unmap and free, every RPCIT it issued.\n"
	"Replaying OUT checks the replayed guest's IOVAs and RPCITs against the kernel's\n"
	"(rpcit_check, iova_check).  The trace is version 3: virtio requests (a run of\n"
	"maps closed by the ring's indirect descriptor table, and their unmaps) carry\n"
	"req= (traces/FORMAT.md).  Device accesses, scatter-gather lists and the queue\n"
	"depth are not in a capture.  Events of names it does not know are left out\n"
	"with a warning naming them; a capture with none it knows, a header a trace\n"
	"cannot hold (cpus=0, pfgid=300) or a compressed file is an error (exit 2).",
};

int trace_import(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	po::positional_options_description pos;
	po::variables_map vm;
	std::string in, out;

	opts.add_options()
		("in", po::value(&in)->required(), "the capture (WORKLOAD.ftrace)")
		("out", po::value(&out)->required(), "output trace");
	pos.add("in", 1).add("out", 1);
	if (auto rc = parse_options(kImportSpec, args, opts, pos, vm, io))
		return *rc;
	ztrace_import_stats st;
	ztrace_diag diag;
	if (ztrace_import_ftrace(in.c_str(), out.c_str(), &st, &diag))
		return command_error(kImportSpec, io, diag.msg, kExitUsage);
	// Events of other names were left out: say which, or a capture by
	// probes of other names would pass for a quiet one.
	for (uint32_t i = 0; i < st.nr_unknown; i++)
		io.err << "zpcisim trace import: warning: " << st.unknown[i].count << " '"
		       << st.unknown[i].name << "' events not imported: not an event it knows\n";
	io.out << "events: " << st.events << '\n'
	       << "maps: " << st.maps << '\n'
	       << "allocs: " << st.allocs << '\n'
	       << "unmaps: " << st.unmaps << '\n'
	       << "frees: " << st.frees << '\n'
	       << "rpcits: " << st.rpcits << '\n'
	       << "ticks: " << st.ticks << '\n'
	       << "failed_maps: " << st.failed_maps << '\n'
	       << "unknown_unmaps: " << st.unknown_unmaps << '\n'
	       << "requests: " << st.requests << '\n'
	       << "unknown_events: " << st.unknown_events << '\n'
	       << "wrote: " << out << '\n';
	return kExitOk;
}

const CommandSpec kConvertSpec = {
	"trace convert", "trace convert IN OUT",
	"Convert IN to OUT; the encoding follows OUT's extension (.ztb binary, else text).\n"
	"Every record is checked on the way; OUT appears only if all of IN converted.\n"
	"Exit status: 0 converted; 2 a bad record, or OUT is IN or can take no file;\n"
	"3 OUT could not be written (disk full).",
};

int trace_convert(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	po::positional_options_description pos;
	po::variables_map vm;
	std::string in, out, err;

	opts.add_options()
		("in", po::value(&in)->required(), "input trace")
		("out", po::value(&out)->required(), "output trace");
	pos.add("in", 1).add("out", 1);
	if (auto rc = parse_options(kConvertSpec, args, opts, pos, vm, io))
		return *rc;

	Reader r = open_trace(in, &err);
	if (!r)
		return command_error(kConvertSpec, io, err, kExitUsage);
	// The newest version holds every older one's content, and ends with
	// the end marker that makes a cut-short copy an error.
	ztrace_header h = *ztrace_reader_header(r.get());
	h.version = ZTRACE_VERSION;
	ztrace_writer *raw;
	ztrace_diag diag;
	const char *inputs[] = { in.c_str(), nullptr };
	if (int rc = ztrace_create(out.c_str(), ztrace_encoding_for(out.c_str()), &h, inputs, &raw,
				   &diag))
		return command_error(kConvertSpec, io, diag.msg, output_exit_code(rc));
	Writer w(raw);
	int rc = for_each_record(kConvertSpec, r.get(), io, [&](const ztrace_rec &rec) {
		int wrc = ztrace_write(w.get(), &rec, &diag);
		return wrc ? command_error(kConvertSpec, io, diag.msg, output_exit_code(wrc)) : 0;
	});
	if (rc)
		return rc;
	if (int crc = commit_trace(w, &err))
		return command_error(kConvertSpec, io, err, crc);
	io.out << "records: " << ztrace_reader_records(r.get()) << '\n' << "wrote: " << out << '\n';
	return kExitOk;
}

// For the commands that read one TRACE: parse @opts and the TRACE operand
// (into *path), then open it.
std::optional<int> open_trace_operand(const CommandSpec &spec, const Args &args, CommandIo &io,
				      po::options_description &opts, std::string *path, Reader *r)
{
	po::positional_options_description pos;
	po::variables_map vm;
	std::string err;

	opts.add_options()("trace", po::value(path)->required(), "trace to read");
	pos.add("trace", 1);
	if (auto rc = parse_options(spec, args, opts, pos, vm, io))
		return rc;
	*r = open_trace(*path, &err);
	if (!*r)
		return command_error(spec, io, err, kExitUsage);
	return std::nullopt;
}

const CommandSpec kValidateSpec = {
	"trace validate", "trace validate TRACE",
	"Read every record of TRACE and check its meaning: IDs live between map and\n"
	"unmap, device accesses inside live mappings, addresses inside guest memory,\n"
	"functions attached before use; in a version-2 trace, requests (req=) on one\n"
	"function each, no new buffers once one releases its own, at most the queue\n"
	"depth open at once (traces/FORMAT.md).  Exit 0 if valid, 2 at the first problem.",
};

int trace_validate(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	std::string path;
	Reader r;

	if (auto rc = open_trace_operand(kValidateSpec, args, io, opts, &path, &r))
		return *rc;
	std::unique_ptr<ztrace_checker, void (*)(ztrace_checker *)> c(
		ztrace_checker_create(ztrace_reader_header(r.get())), ztrace_checker_destroy);
	if (!c)
		return command_error(kValidateSpec, io, "out of memory");
	ztrace_diag diag;
	int rc = for_each_record(kValidateSpec, r.get(), io, [&](const ztrace_rec &rec) {
		if (!ztrace_check(c.get(), &rec, &diag))
			return 0;
		return command_error(kValidateSpec, io, where(r.get()) + ": " + diag.msg, kExitUsage);
	});
	if (rc)
		return rc;
	io.out << "records: " << ztrace_reader_records(r.get()) << "\nvalid: yes\n";
	return kExitOk;
}

// Reuse intervals in records, in power-of-two buckets.
struct ReuseHistogram {
	std::array<uint64_t, 65> bucket{};

	void add(uint64_t interval)
	{
		int b = 0;
		while (b < 64 && (1ULL << b) <= interval)
			b++;
		bucket[b]++;
	}
};

struct TraceStats {
	std::array<uint64_t, ZTRACE_NR_KINDS> kinds{};
	uint64_t dma_bytes[2] = {};
	uint64_t mapped_bytes = 0, live_bytes = 0, peak_live_bytes = 0;
	uint64_t live = 0, peak_live = 0;
	uint64_t iova_pages = 0;
	uint64_t first_ns = UINT64_MAX, last_ns = 0;	// the records' times
	ReuseHistogram reuse;
	// Version 2: requests as the checker delimits them (FORMAT.md "Requests").
	uint64_t requests = 0, request_records = 0;
	std::array<uint32_t, ZTRACE_MAX_FNS> peak_open{};
	bool requests_valid = true;
};

// Requests need their meaning: the checker says where each opens and
// closes.  A record it refuses stops the count (trace validate says why).
void count_request(TraceStats &st, ztrace_checker *c, const ztrace_rec &rec)
{
	ztrace_diag diag;

	if (!st.requests_valid)
		return;
	if (ztrace_check(c, &rec, &diag)) {
		st.requests_valid = false;
		return;
	}
	if (!(rec.flags & ZTRACE_HAS_REQ))
		return;
	st.request_records++;
	if (ztrace_checker_req_event(c) & ZTRACE_REQ_OPENED)
		st.requests++;
	// A request that closed on this record was open until it.
	uint32_t open = ztrace_checker_open_requests(c, rec.fn) +
			((ztrace_checker_req_event(c) & ZTRACE_REQ_CLOSED) ? 1 : 0);
	st.peak_open[rec.fn] = std::max(st.peak_open[rec.fn], open);
}

// Bytes of each live ID per function, and the last record that touched
// each IOVA page.  Stats do not check meaning (that is validate's job): a
// record about an unknown ID just does not count.
struct StatsState {
	zpci_u64map live_len[ZTRACE_MAX_FNS]{};
	zpci_u64map last_use{};
	bool out_of_memory = false;

	StatsState()
	{
		out_of_memory = zpci_u64map_init(&last_use) != 0;
		for (auto &m : live_len)
			out_of_memory |= zpci_u64map_init(&m) != 0;
	}
	~StatsState()
	{
		for (auto &m : live_len)
			zpci_u64map_destroy(&m);
		zpci_u64map_destroy(&last_use);
	}
	void put(zpci_u64map *m, uint64_t key, uint64_t val)
	{
		if (zpci_u64map_put(m, key, val) == -ENOMEM)
			out_of_memory = true;
	}
};

uint64_t sg_bytes(const ztrace_rec &rec)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < rec.nr_sg; i++)
		n += rec.sg[i].len;
	return n;
}

void touch_iova(TraceStats &st, StatsState &ss, uint64_t iova, uint64_t len, uint64_t now)
{
	if (!len)
		return;
	for (uint64_t p = iova >> ZPCI_PAGE_SHIFT; p <= (iova + len - 1) >> ZPCI_PAGE_SHIFT; p++) {
		uint64_t *last = zpci_u64map_find(&ss.last_use, p);
		if (last)
			st.reuse.add(now - *last);
		else
			st.iova_pages++;
		ss.put(&ss.last_use, p, now);
	}
}

void account(TraceStats &st, StatsState &ss, const ztrace_rec &rec, uint64_t n)
{
	zpci_u64map *live = &ss.live_len[rec.fn];

	st.kinds[rec.kind]++;
	st.first_ns = std::min(st.first_ns, rec.time);
	st.last_ns = std::max(st.last_ns, rec.time);
	switch (rec.kind) {
	case ZTRACE_MAP:
	case ZTRACE_ALLOC:
	case ZTRACE_MAP_SG: {
		uint64_t len = rec.kind == ZTRACE_MAP_SG ? sg_bytes(rec) : rec.len;
		st.mapped_bytes += len;
		st.live_bytes += len;
		st.live++;
		st.peak_live = std::max(st.peak_live, st.live);
		st.peak_live_bytes = std::max(st.peak_live_bytes, st.live_bytes);
		ss.put(live, rec.id, len);
		if (rec.flags & ZTRACE_HAS_IOVA)
			touch_iova(st, ss, rec.iova, len, n);
		break;
	}
	case ZTRACE_UNMAP:
	case ZTRACE_UNMAP_SG:
	case ZTRACE_FREE: {
		uint64_t *len = zpci_u64map_find(live, rec.id);
		if (len) {
			st.live_bytes -= *len;
			st.live--;
			zpci_u64map_remove(live, rec.id);
		}
		break;
	}
	case ZTRACE_DMA:
		st.dma_bytes[rec.access] += rec.len;
		break;
	case ZTRACE_DMA_IOVA:
		st.dma_bytes[rec.access] += rec.len;
		touch_iova(st, ss, rec.iova, rec.len, n);
		break;
	default:
		break;
	}
}

const CommandSpec kStatsSpec = {
	"trace stats", "trace stats TRACE",
	"Count TRACE's records by kind and measure it: the guest time it spans (first\n"
	"record to last), bytes mapped and moved, peak live mappings, and, where the\n"
	"trace records IOVAs (map iova=, dma-iova), the IOVA footprint in pages and\n"
	"the reuse interval of IOVA pages in records (power-of-two buckets).  A version-2 trace: its requests, the records that\n"
	"carry req=, and each function's most requests open at once.",
};

int trace_stats(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	std::string path;
	Reader r;

	if (auto rc = open_trace_operand(kStatsSpec, args, io, opts, &path, &r))
		return *rc;
	TraceStats st;
	StatsState ss;
	const ztrace_header *h = ztrace_reader_header(r.get());
	std::unique_ptr<ztrace_checker, void (*)(ztrace_checker *)> c(
		h->version >= 2 ? ztrace_checker_create(h) : nullptr, ztrace_checker_destroy);
	if (h->version >= 2 && !c)
		return command_error(kStatsSpec, io, "out of memory");
	int rc = for_each_record(kStatsSpec, r.get(), io, [&](const ztrace_rec &rec) {
		account(st, ss, rec, ztrace_reader_records(r.get()));
		if (c)
			count_request(st, c.get(), rec);
		return ss.out_of_memory ? command_error(kStatsSpec, io, "out of memory") : 0;
	});
	if (rc)
		return rc;

	io.out << "trace: " << path << '\n'
	       << "encoding: " << (ztrace_reader_encoding(r.get()) == ZTRACE_BINARY ? "binary" : "text")
	       << '\n'
	       << "functions: " << h->nr_fns << '\n'
	       << "guest_memory_bytes: " << h->guest_mem << '\n'
	       << "records: " << ztrace_reader_records(r.get()) << '\n'
	       << "time_span_ns: " << (st.last_ns >= st.first_ns ? st.last_ns - st.first_ns : 0)
	       << '\n';
	for (int k = 0; k < ZTRACE_NR_KINDS; k++)
		io.out << "records_" << ztrace_kind_name(static_cast<ztrace_kind>(k)) << ": "
		       << st.kinds[k] << '\n';
	io.out << "mapped_bytes: " << st.mapped_bytes << '\n'
	       << "peak_live_mappings: " << st.peak_live << '\n'
	       << "peak_live_bytes: " << st.peak_live_bytes << '\n'
	       << "dma_read_bytes: " << st.dma_bytes[ZPCI_DMA_READ] << '\n'
	       << "dma_write_bytes: " << st.dma_bytes[ZPCI_DMA_WRITE] << '\n'
	       << "iova_footprint_pages: " << st.iova_pages << '\n';
	for (int b = 0; b < 65; b++)
		if (st.reuse.bucket[b])
			io.out << "iova_reuse_records_lt_2^" << b << ": " << st.reuse.bucket[b] << '\n';
	if (!c)
		return kExitOk;
	if (!st.requests_valid) {
		io.out << "requests: invalid (see trace validate)\n";
		return kExitOk;
	}
	io.out << "requests: " << st.requests << '\n'
	       << "request_records: " << st.request_records << '\n';
	for (uint32_t f = 0; f < h->nr_fns; f++)
		io.out << "function_" << f << "_queue_depth: " << h->fn[f].queue_depth << '\n'
		       << "function_" << f << "_peak_open_requests: " << st.peak_open[f] << '\n';
	return kExitOk;
}

const CommandSpec kHeadSpec = {
	"trace head", "trace head TRACE [-n N]",
	"Print TRACE's header and its first N records (default 20) in the text encoding.",
};

int trace_head(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	std::string path;
	Reader r;
	uint64_t n = 20;

	opts.add_options()("lines,n", po::value(&n), "records to print (default 20)");
	if (auto rc = open_trace_operand(kHeadSpec, args, io, opts, &path, &r))
		return *rc;
	std::string text(ZTRACE_TEXT_LINE_MAX, '\0');
	if (ztrace_format_header(ztrace_reader_header(r.get()), text.data(), text.size()) < 0)
		return command_error(kHeadSpec, io, "header too long");
	io.out << text.c_str();
	return for_each_record(kHeadSpec, r.get(), io, [&](const ztrace_rec &rec) {
		ztrace_format(&rec, text.data(), text.size());
		io.out << text.c_str() << '\n';
		return 0;
	}, n);
}

void print_trace_overview(std::ostream &out)
{
	out << "usage: zpcisim trace <command> [<args>]\n\ncommands:\n";
	for (const TraceCommand &c : kTraceCommands) {
		std::string name = c.name;
		name.resize(10, ' ');
		out << "   " << name << c.summary << '\n';
	}
}

}  // namespace

int cmd_trace(const Args &args, CommandIo &io)
{
	if (args.empty() || args[0] == "--help" || args[0] == "-h") {
		print_trace_overview(args.empty() ? io.err : io.out);
		return args.empty() ? kExitUsage : kExitOk;
	}
	for (const TraceCommand &c : kTraceCommands)
		if (args[0] == c.name)
			return c.run(Args(args.begin() + 1, args.end()), io);
	io.err << "zpcisim trace: '" << args[0] << "' is not a trace command; see 'zpcisim trace --help'\n";
	return kExitUsage;
}

}  // namespace zpcisim
