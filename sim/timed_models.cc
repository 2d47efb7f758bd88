// SPDX-License-Identifier: MIT
#include "timed_models.h"

#include "plugin.h"

namespace zpcisim {

std::unique_ptr<TimedModels> make_timed_models(zpci_mem memory, uint64_t size,
					       const std::vector<zpci_func *> &funcs,
					       const SystemParams &p, ReplayMode mode)
{
	static MakeTimedModels *make =
		plugin_function<MakeTimedModels>(kModelsPlugin, kModelsEntry);

	return std::unique_ptr<TimedModels>(make(memory, size, funcs, p, mode));
}

}  // namespace zpcisim
