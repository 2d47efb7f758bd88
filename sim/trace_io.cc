// SPDX-License-Identifier: MIT
#include "trace_io.h"

namespace zpcisim {

Reader open_trace(const std::string &path, std::string *err)
{
	ztrace_reader *r = nullptr;
	ztrace_diag diag;

	if (ztrace_open(path.c_str(), &r, &diag)) {
		*err = diag.msg;
		return nullptr;
	}
	return Reader(r);
}

bool commit_trace(Writer &w, std::string *err)
{
	ztrace_diag diag;

	if (ztrace_commit(w.release(), &diag)) {
		*err = diag.msg;
		return false;
	}
	return true;
}

}  // namespace zpcisim
