// SPDX-License-Identifier: MIT
// libFuzzer entry for a target over the program's library (the build names
// it: ZPCISIM_FUZZ_ENTRY, e.g. zpcisim_fuzz_config).
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return ZPCISIM_FUZZ_ENTRY(data, size);
}

