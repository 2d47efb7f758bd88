// SPDX-License-Identifier: MIT
#include "help_docs.h"

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli.h"
#include "version.h"

namespace zpcisim {

namespace {

// One command or subcommand's help, and what completion offers after it.
struct HelpPage {
	std::string name;	// "trace gen"
	std::string summary;
	std::string text;	// what --help prints
	std::vector<std::string> flags;
	std::vector<std::string> subcommands;
};

std::string help_text(const Command &c, const std::vector<std::string> &sub)
{
	std::ostringstream out, err;
	CommandIo io{ out, err };
	Args args = sub;

	args.push_back("--help");
	c.run(args, io);
	return out.str();
}

// The flags of an options section ("  -h [ --help ]", "  --stats-json arg").
std::vector<std::string> flags_of(const std::string &text)
{
	static const std::regex flag(R"(^  (?:-\w \[ )?(--[a-z0-9][a-z0-9-]*))");
	std::vector<std::string> flags;
	std::istringstream in(text);
	std::smatch m;

	for (std::string line; std::getline(in, line);)
		if (std::regex_search(line, m, flag) && m[1] != "--action")
			flags.push_back(m[1]);
	return flags;
}

// Subcommands, as a command's help names them: "zpcisim NAME SUB ..." in
// its usage lines, or the rows of its "commands:" table.
std::vector<std::string> subcommands_of(const std::string &name, const std::string &text)
{
	const std::regex usage("^(?:usage: |       )zpcisim " + name + " ([a-z][a-z-]*)\\b");
	static const std::regex row(R"(^   ([a-z][a-z-]*)  )");
	std::vector<std::string> subs;
	std::istringstream in(text);
	std::smatch m;
	bool table = false;

	for (std::string line; std::getline(in, line);) {
		table = line == "commands:" || (table && !line.empty());
		if ((std::regex_search(line, m, usage) || (table && std::regex_search(line, m, row))) &&
		    std::find(subs.begin(), subs.end(), m[1]) == subs.end())
			subs.push_back(m[1]);
	}
	return subs;
}

std::vector<HelpPage> help_pages()
{
	std::vector<HelpPage> pages;

	for (const Command &c : commands()) {
		HelpPage p{ c.name, c.summary, help_text(c, {}), {}, {} };
		p.flags = flags_of(p.text);
		p.subcommands = subcommands_of(c.name, p.text);
		pages.push_back(p);
		for (const std::string &s : pages.back().subcommands) {
			HelpPage sub{ std::string(c.name) + " " + s, "", help_text(c, { s }), {}, {} };
			sub.flags = flags_of(sub.text);
			pages.push_back(sub);
		}
	}
	return pages;
}

// Text as roff shows it: backslashes escaped, no line read as a request.
std::string roff(const std::string &text)
{
	std::string out;
	std::istringstream in(text);

	for (std::string line; std::getline(in, line);) {
		std::string esc;
		for (char c : line)
			esc += c == '\\' ? std::string("\\e") : std::string(1, c);
		if (!esc.empty() && (esc[0] == '.' || esc[0] == '\''))
			esc = "\\&" + esc;
		out += esc + "\n";
	}
	return out;
}

}  // namespace

void print_man_page(std::ostream &out)
{
	out << ".TH ZPCISIM 1 \"\" \"zpcisim " << kVersion << "\" \"zpcisim manual\"\n"
	    << ".SH NAME\n"
	    << "zpcisim \\- a cycle-level simulator of the s390 zPCI IOMMU\n"
	    << ".SH SYNOPSIS\n"
	    << ".B zpcisim\n"
	    << ".I command\n"
	    << "[\\fIargs\\fR]\n"
	    << ".SH DESCRIPTION\n"
	    << "zpcisim replays guest DMA traces (maps, unmaps, RPCITs and device\n"
	    << "accesses) through a simulated zPCI function, IOTLB and DMA translation\n"
	    << "unit under five virtualization designs, and reports correctness,\n"
	    << "isolation and cost.\n"
	    << ".SH COMMANDS\n";
	for (const HelpPage &p : help_pages()) {
		out << ".SS \"zpcisim " << p.name << "\"\n";
		if (!p.summary.empty())
			out << roff(p.summary);
		out << ".PP\n.nf\n" << roff(p.text) << ".fi\n";
	}
	out << ".SH EXIT STATUS\n"
	    << "0 ok; 1 a check failed; 2 bad input; 3 a resource or environment fault;\n"
	    << "130 or 143 interrupted by SIGINT or SIGTERM.\n"
	    << ".SH SEE ALSO\n"
	    << "The README and docs/ of the zpcisim sources.\n";
}

void print_bash_completion(std::ostream &out)
{
	std::vector<HelpPage> pages = help_pages();
	std::string top;

	for (const Command &c : commands())
		top += std::string(top.empty() ? "" : " ") + c.name;
	out << "# bash completion for zpcisim, made by 'zpcisim help --completion bash'.\n"
	    << "_zpcisim()\n{\n"
	    << "\tlocal cur=${COMP_WORDS[COMP_CWORD]} words\n"
	    << "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	    << "\t\tCOMPREPLY=($(compgen -W \"" << top << "\" -- \"$cur\"))\n"
	    << "\t\treturn\n"
	    << "\tfi\n"
	    << "\tcase \"${COMP_WORDS[1]} ${COMP_WORDS[2]}\" in\n";
	// Subcommands first: "trace gen" before "trace *".
	for (const HelpPage &p : pages)
		if (p.name.find(' ') != std::string::npos) {
			std::string flags;
			for (const std::string &f : p.flags)
				flags += (flags.empty() ? "" : " ") + f;
			out << "\t\"" << p.name << "\")\n\t\twords=\"" << flags << "\";;\n";
		}
	for (const HelpPage &p : pages)
		if (p.name.find(' ') == std::string::npos) {
			std::string words;
			for (const std::string &s : p.subcommands)
				words += (words.empty() ? "" : " ") + s;
			for (const std::string &f : p.flags)
				words += (words.empty() ? "" : " ") + f;
			out << "\t\"" << p.name << " \"*)\n\t\twords=\"" << words << "\";;\n";
		}
	out << "\tesac\n"
	    << "\t# Flags and subcommands; anything else is a file.\n"
	    << "\tif [[ $cur == -* || ( $COMP_CWORD -eq 2 && -n $words && $words != --* ) ]]; then\n"
	    << "\t\tCOMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
	    << "\t\t[ ${#COMPREPLY[@]} -gt 0 ] && return\n"
	    << "\tfi\n"
	    << "\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	    << "}\n"
	    << "complete -o filenames -F _zpcisim zpcisim\n";
}

}  // namespace zpcisim
