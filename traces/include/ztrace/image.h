/* SPDX-License-Identifier: MIT */
/*
 * Table images: a memory snapshot holding zPCI translation tables, plus the
 * IOTA and aperture a function registered and the accesses to probe.  The
 * text format is specified in traces/IMAGE.md.  Images let people reproduce
 * a guest's tables by hand, including malformed ones, and feed them to the
 * walker.
 */
#ifndef ZTRACE_IMAGE_H
#define ZTRACE_IMAGE_H

#include <stdio.h>

#include <zpci/xlate.h>
#include <ztrace/lex.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZTRACE_IMAGE_VERSION	1
#define ZTRACE_LABEL_MAX	64

struct ztrace_probe {
	dma_addr_t iova;
	enum zpci_dma_dir dir;
	char label[ZTRACE_LABEL_MAX];
};

/* The largest 'memory' an image may declare: 4 PiB, as a host's. */
#define ZTRACE_IMAGE_MEMORY_MAX	(1ULL << 52)

/* The memory the statements wrote (image.c); NULL before 'memory'. */
struct ztrace_image_mem;

struct ztrace_image {
	struct ztrace_image_mem *mem;
	struct zpci_dma_space space;
	struct ztrace_probe *probes;
	size_t nr_probes;
	u64 nr_entries;
};

/* Read an image from @f, named @name in diagnostics.  0, or -errno with @diag. */
int ztrace_image_read(FILE *f, const char *name, struct ztrace_image *img,
		      struct ztrace_diag *diag);
/* Open and read the image at @path. */
int ztrace_image_load(const char *path, struct ztrace_image *img,
		      struct ztrace_diag *diag);
void ztrace_image_free(struct ztrace_image *img);
/*
 * A loaded image's memory, for the translator: its size is the 'memory'
 * statement's, and it takes memory in proportion to the statements, not
 * to the pages they touch.
 */
struct zpci_mem ztrace_image_mem_view(struct ztrace_image *img);
u64 ztrace_image_mem_size(const struct ztrace_image *img);

#ifdef __cplusplus
}
#endif

#endif /* ZTRACE_IMAGE_H */
