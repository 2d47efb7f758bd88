// SPDX-License-Identifier: MIT
#include "trace_io.h"

#include "cli.h"
#include "output.h"

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

int commit_trace(Writer &w, std::string *err)
{
	ztrace_diag diag;

	if (int rc = ztrace_commit(w.release(), &diag)) {
		*err = diag.msg;
		return output_exit_code(rc);
	}
	return kExitOk;
}

}  // namespace zpcisim
