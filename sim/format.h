// SPDX-License-Identifier: MIT
// Number formatting for human-readable output.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace zpcisim {

// "0x1f000"; with @width, zero-padded to that many hex digits.
std::string hex(uint64_t v, int width = 0);
// "4 GiB", "16 KiB", "12345 B": exact binary units, never rounded.
std::string bytes(uint64_t v);
// "a, b, c" with @sep ", ": a list of names as help and messages give it.
std::string join(const std::vector<std::string> &names, const char *sep);

}  // namespace zpcisim
