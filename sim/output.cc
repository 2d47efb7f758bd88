// SPDX-License-Identifier: MIT
#include "output.h"

#include <cerrno>
#include <unistd.h>

#include <ztrace/out_file.h>

#include "cli.h"

namespace zpcisim {

OutputFile::~OutputFile()
{
	if (out_)
		ztrace_out_abort(out_);
}

int OutputFile::open(const std::string &path, std::string *err,
		     const std::vector<std::string> &inputs)
{
	std::vector<const char *> in;
	ztrace_diag diag;

	for (const std::string &i : inputs)
		in.push_back(i.c_str());
	in.push_back(nullptr);
	if (int rc = ztrace_out_open(path.c_str(), in.data(), &out_, &diag)) {
		out_ = nullptr;
		*err = diag.msg;
		return output_exit_code(rc);
	}
	return kExitOk;
}

std::string OutputFile::tmp_path() const
{
	const char *tmp = ztrace_out_tmp_path(out_);
	return tmp ? tmp : "";
}

void OutputFile::write(const std::string &bytes)
{
	ztrace_out_write(out_, bytes.data(), bytes.size());
}

std::ostream &OutputFile::stream()
{
	buf_.out = out_;
	return stream_;
}

OutputFile::Buf::int_type OutputFile::Buf::overflow(int_type c)
{
	char ch = traits_type::to_char_type(c);

	if (traits_type::eq_int_type(c, traits_type::eof()))
		return traits_type::not_eof(c);
	return ztrace_out_write(out, &ch, 1) ? traits_type::eof() : c;
}

std::streamsize OutputFile::Buf::xsputn(const char *s, std::streamsize n)
{
	return ztrace_out_write(out, s, n) ? 0 : n;
}

int OutputFile::commit(std::string *err)
{
	ztrace_diag diag;
	int rc = ztrace_out_commit(out_, &diag);

	out_ = nullptr;
	if (!rc)
		return kExitOk;
	*err = diag.msg;
	return kExitResource;
}

int output_exit_code(int err)
{
	switch (-err) {
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
	case EIO:
	case ENOMEM:
	case EMFILE:
	case ENFILE:
	case EACCES:
	case EPERM:
	case EROFS:
	case EPIPE:
		return kExitResource;
	default:
		return kExitUsage;
	}
}

int check_output(const std::string &path, std::string *err,
		 const std::vector<std::string> &inputs)
{
	OutputFile probe;

	return probe.open(path, err, inputs);
}

bool write_file_atomic(const std::string &path, const std::string &content, std::string *err)
{
	OutputFile f;

	if (f.open(path, err))
		return false;
	f.write(content);
	return f.commit(err) == kExitOk;
}

}  // namespace zpcisim
