/* SPDX-License-Identifier: MIT */
/*
 * Physical memory as the DMA path sees it.
 *
 * struct zpci_mem is the one interface every component reads and writes
 * memory through: the reference translator, the guest driver's table code,
 * the hypervisor designs and (through an adapter) the SystemC memory model.
 * Accesses return 0 or -EFAULT (outside the memory) / -ENOMEM.
 *
 * zpci_sparse_mem is the backing store: page-granular, allocated on first
 * write, so a guest of many GiB costs only the pages it touches.  Reads of
 * untouched pages return zeros.  Multi-byte table entries are big-endian,
 * as on s390.
 */
#ifndef ZPCI_MEM_H
#define ZPCI_MEM_H

#include <zpci/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zpci_mem_ops {
	int (*read)(void *priv, phys_addr_t addr, void *buf, size_t len);
	int (*write)(void *priv, phys_addr_t addr, const void *buf, size_t len);
	/*
	 * Optional: one big-endian table entry at an 8-byte aligned address,
	 * for memories that can do it faster than read/write.
	 */
	int (*read64)(void *priv, phys_addr_t addr, u64 *val);
	int (*write64)(void *priv, phys_addr_t addr, u64 val);
};

struct zpci_mem {
	const struct zpci_mem_ops *ops;
	void *priv;
	/*
	 * Optional: a count that changes whenever the contents may have, so
	 * that what was computed from memory can be kept while it stays.  A
	 * pointer, not an op: every IOTLB hit's stale check reads it.
	 */
	const u64 *generation;
};

static inline int zpci_mem_read(const struct zpci_mem *m, phys_addr_t addr,
				void *buf, size_t len)
{
	return m->ops->read(m->priv, addr, buf, len);
}

static inline int zpci_mem_write(const struct zpci_mem *m, phys_addr_t addr,
				 const void *buf, size_t len)
{
	return m->ops->write(m->priv, addr, buf, len);
}

/* The memory's write generation; 0 when it keeps none (assume any change). */
static inline u64 zpci_mem_generation(const struct zpci_mem *m)
{
	return m->generation ? *m->generation : 0;
}

/* Read/write one 8-byte big-endian table entry. */
int zpci_mem_read64(const struct zpci_mem *m, phys_addr_t addr, u64 *val);
int zpci_mem_write64(const struct zpci_mem *m, phys_addr_t addr, u64 val);

/* True when [addr, addr + len) lies inside [0, size); safe against wrap. */
static inline bool zpci_range_inside(u64 addr, u64 len, u64 size)
{
	return addr <= size && len <= size - addr;
}

struct zpci_sparse_mem;

/* A sparse memory of @size bytes (a multiple of the page size), or NULL. */
struct zpci_sparse_mem *zpci_sparse_mem_create(u64 size);
void zpci_sparse_mem_destroy(struct zpci_sparse_mem *sm);
/* The zpci_mem view; valid until the sparse memory is destroyed. */
struct zpci_mem zpci_sparse_mem_view(struct zpci_sparse_mem *sm);
u64 zpci_sparse_mem_size(const struct zpci_sparse_mem *sm);
/* Number of 4 KiB pages that hold storage (have been written). */
u64 zpci_sparse_mem_pages(const struct zpci_sparse_mem *sm);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_MEM_H */
