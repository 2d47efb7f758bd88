// SPDX-License-Identifier: MIT
// zpcisim walk: translate IOVAs through a table image with the reference
// translator, showing every entry read and the architected outcome.
#include <memory>
#include <ostream>

#include <zpci/xlate.h>
#include <ztrace/image.h>

#include "format.h"
#include "options.h"

namespace zpcisim {

namespace {

const CommandSpec kSpec = {
	"walk",
	"walk IMAGE [IOVA[:read|write]]...",
	"Translate each IOVA through the tables of a table image (traces/IMAGE.md)\n"
	"the way the zPCI function does, printing each entry read and the result or\n"
	"the error event the function would report.  Without IOVAs, the image's own\n"
	"probes are walked.",
};

struct ImageDeleter {
	void operator()(ztrace_image *img) const
	{
		ztrace_image_free(img);
		delete img;
	}
};
using ImagePtr = std::unique_ptr<ztrace_image, ImageDeleter>;

// "0x1000", "0x1000:read", "0x1000:write"
bool parse_probe(const std::string &arg, ztrace_probe *p)
{
	std::string num = arg, dir = "read";
	auto colon = arg.find(':');

	if (colon != std::string::npos) {
		num = arg.substr(0, colon);
		dir = arg.substr(colon + 1);
	}
	if (ztrace_parse_u64(num.c_str(), &p->iova) || (dir != "read" && dir != "write"))
		return false;
	p->dir = dir == "write" ? ZPCI_DMA_WRITE : ZPCI_DMA_READ;
	p->label[0] = '\0';
	return true;
}

const char *dir_name(zpci_dma_dir dir)
{
	return dir == ZPCI_DMA_WRITE ? "write" : "read";
}

std::string iota_summary(uint64_t iota)
{
	static const char *const dt_tables[] = { "segment", "region-third", "region-second",
						  "region-first" };
	std::string s = hex(iota, 16);
	unsigned int dt = zpci_iota_dt(iota);

	if (!zpci_iota_enabled(iota))
		return s + " (translation not enabled)";
	if (dt >= sizeof(dt_tables) / sizeof(dt_tables[0]))
		return s + " (reserved designation type " + std::to_string(dt) + ")";
	return s + " (" + dt_tables[dt] + " table at " + hex(zpci_iota_origin(iota)) + ")";
}

void print_header(std::ostream &out, const std::string &path, const ztrace_image &img)
{
	const zpci_dma_space &sp = img.space;

	out << "image: " << path << '\n'
	    << "memory: " << bytes(ztrace_image_mem_size(&img)) << '\n'
	    << "iota: " << iota_summary(sp.iota) << '\n'
	    << "aperture: " << hex(sp.pba) << '-' << hex(sp.pal);
	if (sp.pal - sp.pba < UINT64_MAX)
		out << " (" << bytes(sp.pal - sp.pba + 1) << ')';
	out << '\n'
	    << "large-frames: " << (sp.large_frames ? "on" : "off") << '\n'
	    << "entries: " << img.nr_entries << '\n';
}

// What an entry that was read leads to, in words.
std::string step_meaning(const zpci_xlate &x, unsigned int i)
{
	const zpci_walk_step &s = x.steps[i];
	const zpci_level_desc *d = zpci_level_info(s.level);
	bool last = i + 1 == x.nr_steps;

	if (last && x.fault != ZPCI_FAULT_NONE && x.fault != ZPCI_FAULT_PROTECTION)
		return std::string("stops: ") + zpci_fault_name(x.fault);
	if (last)
		return "-> " + bytes(x.frame_size) + " frame " +
		       hex(zpci_align_down(x.addr, x.frame_size)) +
		       ((s.entry & ZPCI_TABLE_PROTECTED) ? ", protected" : "");
	const zpci_level_desc *next = zpci_level_info(x.steps[i + 1].level);
	return std::string("-> ") + next->table + " table " + hex(s.entry & d->origin_mask) +
	       ((s.entry & ZPCI_TABLE_PROTECTED) ? ", protected" : "");
}

void print_walk(std::ostream &out, unsigned int n, const ztrace_probe &p, const zpci_xlate &x)
{
	out << "\nprobe " << n << ": " << hex(p.iova) << ' ' << dir_name(p.dir);
	if (p.label[0])
		out << "  (" << p.label << ')';
	out << '\n';
	for (unsigned int i = 0; i < x.nr_steps; i++) {
		const zpci_walk_step &s = x.steps[i];
		std::string idx = std::string(zpci_level_info(s.level)->name) + '[' +
				  std::to_string(s.index) + ']';

		idx.resize(std::max<size_t>(idx.size(), 10), ' ');
		out << "    " << idx << " @" << hex(s.entry_addr, 12) << "  " << hex(s.entry, 16)
		    << "  " << step_meaning(x, i) << '\n';
	}
	if (x.fault == ZPCI_FAULT_NONE)
		out << "  result: " << hex(x.addr) << (x.readonly ? " (read-only)" : "") << '\n';
	else
		out << "  result: fault " << zpci_fault_name(x.fault) << ", error event "
		    << hex(x.pec) << " " << zpci_pec_name(x.pec) << " (" << zpci_pec_text(x.pec)
		    << ")\n";
}

}  // namespace

int cmd_walk(const Args &args, CommandIo &io)
{
	po::options_description opts("options");
	po::positional_options_description pos;
	po::variables_map vm;
	std::vector<std::string> iovas;
	std::string path;

	opts.add_options()
		("image", po::value(&path)->required(), "table image to walk")
		("iova", po::value(&iovas), "IOVA[:read|write] to translate");
	pos.add("image", 1).add("iova", -1);
	if (auto rc = parse_options(kSpec, args, opts, pos, vm, io))
		return *rc;

	std::vector<ztrace_probe> probes;
	for (const std::string &a : iovas) {
		ztrace_probe p;
		if (!parse_probe(a, &p))
			return command_error(kSpec, io, "'" + a +
					     "' is not IOVA[:read|write]", kExitUsage);
		probes.push_back(p);
	}

	ImagePtr img(new ztrace_image());
	ztrace_diag diag;
	if (ztrace_image_load(path.c_str(), img.get(), &diag))
		return command_error(kSpec, io, diag.msg, kExitUsage);
	if (probes.empty())
		probes.assign(img->probes, img->probes + img->nr_probes);

	print_header(io.out, path, *img);
	zpci_mem mem = ztrace_image_mem_view(img.get());
	unsigned int translated = 0;
	for (size_t i = 0; i < probes.size(); i++) {
		zpci_xlate x;

		if (zpci_translate(&mem, &img->space, probes[i].iova, probes[i].dir, &x) ==
		    ZPCI_FAULT_NONE)
			translated++;
		print_walk(io.out, i + 1, probes[i], x);
	}
	io.out << "\nprobes: " << probes.size() << '\n'
	       << "translated: " << translated << '\n'
	       << "faulted: " << probes.size() - translated << '\n';
	return kExitOk;
}

}  // namespace zpcisim
