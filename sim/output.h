// SPDX-License-Identifier: MIT
// Output files, the same way for every command.
#pragma once

#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

struct ztrace_out;

namespace zpcisim {

// An output file (<ztrace/out_file.h>): opened when a command starts, so a
// path that can take no file fails before the work, and committed when it
// ends.  Dropped uncommitted, it leaves no trace of itself.
class OutputFile {
public:
	OutputFile() = default;
	~OutputFile();
	OutputFile(const OutputFile &) = delete;
	OutputFile &operator=(const OutputFile &) = delete;

	// 0, or the exit status with @err "PATH: what is wrong": kExitUsage for
	// a path that is no place for this file (@inputs are the files the
	// command reads), kExitResource when the place is out of room or barred.
	int open(const std::string &path, std::string *err,
		 const std::vector<std::string> &inputs = {});
	bool is_open() const { return out_ != nullptr; }
	// Where a writer that opens files by name must write; "" when the
	// target is written through (not a regular file).
	std::string tmp_path() const;
	void write(const std::string &bytes);
	// The file as a stream, for a writer that streams (the timeline).
	std::ostream &stream();
	// 0, or kExitResource with @err set.  Closes the file in any case.
	int commit(std::string *err);

private:
	// Hands what the stream is given to the file, unbuffered: the file buffers.
	struct Buf : std::streambuf {
		ztrace_out *out = nullptr;
		int_type overflow(int_type c) override;
		std::streamsize xsputn(const char *s, std::streamsize n) override;
	};

	ztrace_out *out_ = nullptr;
	Buf buf_;
	std::ostream stream_{ &buf_ };
};

// The exit status for an output file's negative errno @err: a path that can
// take no file is bad input, a place out of room or barred a resource fault.
int output_exit_code(int err);

// Whether @path can take an output now, for one written again and again
// (a sweep's results) and so not held open: OutputFile::open's status.
int check_output(const std::string &path, std::string *err,
		 const std::vector<std::string> &inputs = {});

// @content to @path, whole, as an OutputFile.  false with @err set.
bool write_file_atomic(const std::string &path, const std::string &content, std::string *err);

}  // namespace zpcisim
