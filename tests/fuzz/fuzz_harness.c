// SPDX-License-Identifier: MIT
// libFuzzer entry for zpcisim_fuzz_harness().
#include "targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return zpcisim_fuzz_harness(data, size);
}
