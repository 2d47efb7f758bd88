// SPDX-License-Identifier: MIT
// libFuzzer entry for zpcisim_fuzz_config().
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return zpcisim_fuzz_config(data, size);
}

// libsystemc, linked for the program's library, wants its entry point;
// libFuzzer's main() runs instead, so this never does.
extern "C" int sc_main(int, char **)
{
	return 1;
}
