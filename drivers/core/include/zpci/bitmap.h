/* SPDX-License-Identifier: MIT */
/*
 * Kernel-compat bitmaps: arrays of unsigned long, bit n in word n / 64.
 * Ranges are [start, start + nr); "not found" is the size.
 */
#ifndef ZPCI_BITMAP_H
#define ZPCI_BITMAP_H

#include <zpci/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZPCI_BITS_PER_LONG	64
#define ZPCI_BITS_TO_LONGS(n)	(((n) + ZPCI_BITS_PER_LONG - 1) / ZPCI_BITS_PER_LONG)

zpci_static_assert(sizeof(unsigned long) * 8 == ZPCI_BITS_PER_LONG, "LP64 only");

static inline bool zpci_test_bit(const unsigned long *map, u64 n)
{
	return (map[n / ZPCI_BITS_PER_LONG] >> (n % ZPCI_BITS_PER_LONG)) & 1;
}

void zpci_bitmap_set(unsigned long *map, u64 start, u64 nr);
void zpci_bitmap_clear(unsigned long *map, u64 start, u64 nr);
/* dst = dst & ~src over @nbits bits */
void zpci_bitmap_andnot(unsigned long *dst, const unsigned long *src, u64 nbits);
u64 zpci_bitmap_weight(const unsigned long *map, u64 nbits);

/* First set (zero) bit at or after @start below @size, or @size. */
u64 zpci_find_next_bit(const unsigned long *map, u64 size, u64 start);
u64 zpci_find_next_zero_bit(const unsigned long *map, u64 size, u64 start);
/* Last set bit of [start, end), or @end: the search downwards. */
u64 zpci_find_prev_bit(const unsigned long *map, u64 start, u64 end);

/*
 * First run of @nr clear bits at or after @start below @size that does not
 * cross a multiple of @boundary once @shift is added to its bit numbers
 * (boundary 0: no constraint).  Returns its start, or @size.
 */
u64 zpci_find_next_zero_area(const unsigned long *map, u64 size, u64 start, u64 nr,
			     u64 shift, u64 boundary);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_BITMAP_H */
