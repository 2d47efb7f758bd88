// SPDX-License-Identifier: MIT
#include "options.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <ostream>
#include <sstream>

#include "progress.h"

namespace {

// A decimal whole number that fits T: no sign, no space, nothing after it.
template <typename T>
void validate_whole(boost::any &v, const std::vector<std::string> &xs)
{
	namespace po = boost::program_options;
	po::validators::check_first_occurrence(v);
	const std::string &s = po::validators::get_single_string(xs);
	T n;
	auto r = std::from_chars(s.data(), s.data() + s.size(), n);

	if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
		po::error_with_option_name e("the argument ('%value%') for option "
					     "'%canonical_option%' is not a whole number from 0 to " +
					     std::to_string(std::numeric_limits<T>::max()));
		e.set_substitute("value", s);
		throw e;
	}
	v = n;
}

}  // namespace

namespace boost {

void validate(boost::any &v, const std::vector<std::string> &xs, unsigned int *, int)
{
	validate_whole<unsigned int>(v, xs);
}

void validate(boost::any &v, const std::vector<std::string> &xs, unsigned long *, int)
{
	validate_whole<unsigned long>(v, xs);
}

void validate(boost::any &v, const std::vector<std::string> &xs, unsigned long long *, int)
{
	validate_whole<unsigned long long>(v, xs);
}

}  // namespace boost

namespace zpcisim {

namespace {

constexpr size_t kHelpWidth = 80;

// Where a help line's continuation lines start: under the description of a
// table row ("  name    what it is"), under the arguments of the usage
// line, else under the line's own first word.
size_t hanging_indent(const std::string &line, const CommandSpec &spec)
{
	const std::string usage = std::string("usage: zpcisim ") + spec.name + " ";
	size_t lead = line.find_first_not_of(' ');

	if (line.rfind(usage, 0) == 0)
		return usage.size();
	if (lead == 0 || lead == std::string::npos)
		return 0;
	size_t name_end = line.find(' ', lead);
	size_t text = name_end == std::string::npos ? name_end : line.find_first_not_of(' ', name_end);
	if (text != std::string::npos && text - name_end >= 2 && text < kHelpWidth / 2)
		return text;
	return lead + 2;
}

// @line cut at spaces into lines of at most kHelpWidth columns (a word
// longer than that keeps its own line whole).
void wrap_line(std::ostream &out, const std::string &line, const CommandSpec &spec)
{
	size_t indent = hanging_indent(line, spec), start = 0;
	// A usage line breaks between its [bracketed] parts, never inside one.
	const char *gap = line.rfind("usage: ", 0) == 0 ? " [" : " ";
	std::string rest = line;

	while (rest.size() > kHelpWidth) {
		size_t cut = rest.rfind(gap, kHelpWidth);
		if (cut == std::string::npos || cut <= indent)
			cut = rest.find(' ', kHelpWidth);
		if (cut == std::string::npos)
			break;
		out << rest.substr(0, cut) << '\n';
		start = rest.find_first_not_of(' ', cut);
		if (start == std::string::npos)
			return;
		rest = std::string(indent, ' ') + rest.substr(start);
	}
	out << rest << '\n';
}

void print_help(std::ostream &out, const std::string &text, const CommandSpec &spec)
{
	std::istringstream in(text);
	for (std::string line; std::getline(in, line);)
		wrap_line(out, line, spec);
}

// "the option '--trace' is required" names an option the user never sees
// when it is a positional argument: name it as the usage line does.
std::string missing_argument(const po::required_option &e,
			     const po::positional_options_description &pos)
{
	std::string name = e.get_option_name();

	name.erase(0, name.find_first_not_of('-'));
	for (unsigned i = 0; i < pos.max_total_count() && i < 16; i++)
		if (pos.name_for_position(i) == name) {
			std::transform(name.begin(), name.end(), name.begin(),
				       [](unsigned char c) { return std::toupper(c); });
			return "missing " + name;
		}
	return e.what();
}

}  // namespace

std::optional<int> parse_options(const CommandSpec &spec, const Args &args,
				 po::options_description &opts,
				 const po::positional_options_description &pos,
				 po::variables_map &vm, CommandIo &io)
{
	opts.add_options()("help,h", "show this help");
	try {
		po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
		if (vm.count("help")) {
			std::ostringstream options;
			options << opts;
			print_help(io.out, std::string("usage: zpcisim ") + spec.usage + "\n\n" +
						   spec.description + "\n\n" +
						   (spec.tables ? spec.tables() + "\n" : "") +
						   options.str(),
				   spec);
			return kExitOk;
		}
		po::notify(vm);
	} catch (const po::required_option &e) {
		io.err << "zpcisim " << spec.name << ": " << missing_argument(e, pos)
		       << " (see 'zpcisim " << spec.name << " --help')\n";
		return kExitUsage;
	} catch (const po::error &e) {
		io.err << "zpcisim " << spec.name << ": " << e.what()
		       << " (see 'zpcisim " << spec.name << " --help')\n";
		return kExitUsage;
	}
	return std::nullopt;
}

void warn_if_reachable(const CommandSpec &spec, CommandIo &io, const std::string &endpoint)
{
	for (const char *local : { "tcp://127.", "tcp://[::1]", "tcp://localhost:", "ipc://",
				   "inproc://" })
		if (endpoint.rfind(local, 0) == 0)
			return;
	io.err << "zpcisim " << spec.name << ": " << endpoint
	       << " is reachable beyond this machine: whoever reaches it sees or drives the run\n";
}

std::optional<int> open_output(const CommandSpec &spec, CommandIo &io,
			       const po::variables_map &vm, const char *name, OutputFile *f,
			       const std::vector<std::string> &inputs)
{
	std::string err;

	if (!vm.count(name))
		return std::nullopt;
	if (int rc = f->open(vm[name].as<std::string>(), &err, inputs))
		return command_error(spec, io, std::string("--") + name + ": " + err, rc);
	return std::nullopt;
}

int command_error(const CommandSpec &spec, CommandIo &io, const std::string &message,
		  int code)
{
	progress_clear();
	io.err << "zpcisim " << spec.name << ": " << message << '\n';
	return code;
}

}  // namespace zpcisim
