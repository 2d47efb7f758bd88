// SPDX-License-Identifier: MIT
#include "params/param.h"

namespace zpcisim {

namespace {

void add_keys(const ParamDecl *keys, size_t n, const std::string &section, const char *block_doc,
	      std::vector<void *(*)(void *)> &path, std::vector<ParamKey> &out)
{
	for (const ParamDecl *d = keys; d != keys + n; d++) {
		if (d->kind != ParamKind::Block) {
			out.push_back({ section.empty() ? d->name : section + "." + d->name, d,
					d->doc ? d->doc : block_doc, path });
			continue;
		}
		path.push_back(d->field);
		add_keys(d->keys, d->nkeys, d->name, d->doc, path, out);
		path.pop_back();
	}
}

}  // namespace

void *ParamKey::field(void *root) const
{
	for (auto step : path)
		root = step(root);
	return decl->field(root);
}

std::vector<ParamKey> find_keys(const ParamDecl *keys, size_t n)
{
	std::vector<ParamKey> out;
	std::vector<void *(*)(void *)> path;

	add_keys(keys, n, "", nullptr, path, out);
	return out;
}

}  // namespace zpcisim
