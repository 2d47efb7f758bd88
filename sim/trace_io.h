// SPDX-License-Identifier: MIT
// C++ owners for the C trace reader and writer: whatever path a command
// leaves by, the reader is closed and an unfinished output file removed.
#pragma once

#include <memory>
#include <string>

#include <ztrace/trace.h>

namespace zpcisim {

struct ReaderCloser {
	void operator()(ztrace_reader *r) const { ztrace_close(r); }
};
using Reader = std::unique_ptr<ztrace_reader, ReaderCloser>;

struct WriterAborter {
	void operator()(ztrace_writer *w) const { ztrace_abort(w); }
};
using Writer = std::unique_ptr<ztrace_writer, WriterAborter>;

// Open @path; on failure returns nullptr with @err set to the one-line error.
Reader open_trace(const std::string &path, std::string *err);

// Commit @w (releasing it): 0, or the exit status with @err set.
int commit_trace(Writer &w, std::string *err);

}  // namespace zpcisim
