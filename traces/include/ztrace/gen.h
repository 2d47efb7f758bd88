/* SPDX-License-Identifier: MIT */
/*
 * Synthetic workload generators: seeded, deterministic traces that imitate
 * what real drivers do with the DMA API.  ztrace_gens[] lists them, each
 * with what it imitates.
 */
#ifndef ZTRACE_GEN_H
#define ZTRACE_GEN_H

#include <ztrace/trace.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ztrace_gen_cfg {
	u64 records;		/* records before the final drain (unmap all, detach) */
	u64 seed;
	u64 guest_mem;		/* at least 512 MiB */
	bool refresh;		/* the functions' refresh bit (shadowed guest) */
};

#define ZTRACE_GEN_DEFAULT_MEM	(4ULL << 30)

struct ztrace_gen_desc {
	const char *name;
	const char *imitates;	/* one line for --help and docs */
};

size_t ztrace_gen_count(void);
const struct ztrace_gen_desc *ztrace_gen_get(size_t i);

/* Write the @name workload to @path.  0, or -errno with @diag. */
int ztrace_generate(const char *name, const struct ztrace_gen_cfg *cfg, const char *path,
		    enum ztrace_encoding enc, struct ztrace_diag *diag);

#ifdef __cplusplus
}
#endif

#endif /* ZTRACE_GEN_H */
