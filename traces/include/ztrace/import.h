/* SPDX-License-Identifier: MIT */
/*
 * Import a capture of a real s390x guest (traces/capture/capture.sh): the
 * guest's ftrace text of the kprobe events on Linux 6.1's s390 DMA layer,
 * after the capture's "# zpcisim capture:" lines.  Out comes a zpcisim
 * trace with the function as the capture describes it, every map and
 * coherent allocation with the handle the kernel returned (iova=), every
 * unmap and free, and every RPCIT the kernel issued (rpcit-log=1), so that
 * a replay checks its guest layer's IOVAs and RPCITs against the kernel's.
 *
 * The trace is version 3: requests are inferred where the virtio ring's
 * call sequence shows them (a run of maps closed by its indirect
 * descriptor table, and their unmaps; traces/FORMAT.md "Requests in
 * captures"); everything else carries no req.
 *
 * Not in a capture, so not imported: device accesses (QEMU 7.2's zPCI code
 * has no translation trace events), scatter-gather lists (the kprobes
 * see the list pointer, not its elements: a map_sg is an error) and the
 * device's queue depth.
 */
#ifndef ZTRACE_IMPORT_H
#define ZTRACE_IMPORT_H

#include <ztrace/trace.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZTRACE_IMPORT_UNKNOWN_NAMES	8

/*
 * An import fails (-EINVAL) when no event of the capture is one it knows
 * (a capture whose probes have other names), and names a compressed file's
 * compressor.  Unknown events among known ones are counted, not refused.
 */
struct ztrace_import_stats {
	u64 events;		/* kprobe event lines read */
	u64 maps, allocs, unmaps, frees, rpcits, ticks;
	u64 failed_maps;	/* the kernel returned DMA_MAPPING_ERROR: not replayable */
	u64 unknown_unmaps;	/* of a handle mapped before the capture began */
	u64 requests;		/* inferred from the virtio ring's calls */
	u64 unknown_events;	/* of names the importer does not know: not imported */
	/* The first names of those (without the ':'), with their counts. */
	struct {
		char name[32];
		u64 count;
	} unknown[ZTRACE_IMPORT_UNKNOWN_NAMES];
	u32 nr_unknown;
};

/* Read the capture @in, write the trace @out (encoding by extension). */
int ztrace_import_ftrace(const char *in, const char *out, struct ztrace_import_stats *st,
			 struct ztrace_diag *diag);

#ifdef __cplusplus
}
#endif

#endif /* ZTRACE_IMPORT_H */
