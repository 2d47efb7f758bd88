// SPDX-License-Identifier: MIT
// Output files, the same way for every command.
#pragma once

#include <string>

namespace zpcisim {

// Write @content to @path through a temporary file renamed into place, so
// that a failure leaves no half-written file.  false with @err set.
bool write_file_atomic(const std::string &path, const std::string &content, std::string *err);

}  // namespace zpcisim
