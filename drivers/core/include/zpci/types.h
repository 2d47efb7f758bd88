/* SPDX-License-Identifier: MIT */
/*
 * Kernel-compat shim: the handful of kernel types and helpers the driver
 * code is written against, so that drivers/ reads like kernel code while
 * building as plain C11 in user space.
 */
#ifndef ZPCI_TYPES_H
#define ZPCI_TYPES_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

typedef u64 dma_addr_t;		/* an IOVA, as the device sees it */
typedef u64 phys_addr_t;	/* a (guest- or host-) physical address */

/* The DMA API's directions, with the kernel's names and values. */
enum dma_data_direction {
	DMA_BIDIRECTIONAL = 0,
	DMA_TO_DEVICE = 1,	/* device reads: mapped read-only */
	DMA_FROM_DEVICE = 2,
	DMA_NONE = 3,
};

#ifdef __cplusplus
#define zpci_static_assert(expr, msg) static_assert(expr, msg)
#else
#define zpci_static_assert(expr, msg) _Static_assert(expr, msg)
#endif

#define ZPCI_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* s390 is big-endian; the simulator's memory images are too. */
static inline u64 cpu_to_be64(u64 v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

static inline u64 be64_to_cpu(u64 v)
{
	return cpu_to_be64(v);
}

static inline bool zpci_is_aligned(u64 x, u64 align)
{
	return (x & (align - 1)) == 0;
}

static inline u64 zpci_align_down(u64 x, u64 align)
{
	return x & ~(align - 1);
}

#endif /* ZPCI_TYPES_H */
