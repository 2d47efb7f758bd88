// SPDX-License-Identifier: MIT
// Every block's parameters, apart from the block's SystemC model: the program reads and
// documents them without loading SystemC (docs/performance.md, start-up).
#pragma once

#include <string>

#include "dtu/dtu_params.h"
#include "function/function_params.h"
#include "memory/memory_params.h"
#include "params/param.h"

namespace zpcisim {

// Every block's parameters, in one place.
struct SystemParams {
	MemoryParams memory;
	DtuParams dtu;
	ZpciFunctionParams function;
	// Write the device's and the DTU's signals as a VCD waveform to this
	// file ("": none).
	std::string vcd;
};

template <>
inline constexpr ParamDecl param_keys<SystemParams>[] = {
	block<&SystemParams::memory>("memory"),
	block<&SystemParams::dtu>("dtu"),
	block<&SystemParams::function>("function"),
};

}  // namespace zpcisim
