// SPDX-License-Identifier: MIT
/*
 * Bitmap helpers, a word at a time.
 */
#include <zpci/bitmap.h>

static unsigned long first_word_mask(u64 start)
{
	return ~0UL << (start % ZPCI_BITS_PER_LONG);
}

static unsigned long last_word_mask(u64 end)
{
	return ~0UL >> (-end % ZPCI_BITS_PER_LONG);
}

/* Set (@set) or clear every bit of [start, start + nr). */
static void bitmap_fill_range(unsigned long *map, u64 start, u64 nr, bool set)
{
	u64 end = start + nr, w;

	if (!nr)
		return;
	for (w = start / ZPCI_BITS_PER_LONG; w <= (end - 1) / ZPCI_BITS_PER_LONG; w++) {
		unsigned long mask = ~0UL;

		if (w == start / ZPCI_BITS_PER_LONG)
			mask &= first_word_mask(start);
		if (w == (end - 1) / ZPCI_BITS_PER_LONG)
			mask &= last_word_mask(end);
		if (set)
			map[w] |= mask;
		else
			map[w] &= ~mask;
	}
}

void zpci_bitmap_set(unsigned long *map, u64 start, u64 nr)
{
	bitmap_fill_range(map, start, nr, true);
}

void zpci_bitmap_clear(unsigned long *map, u64 start, u64 nr)
{
	bitmap_fill_range(map, start, nr, false);
}

void zpci_bitmap_andnot(unsigned long *dst, const unsigned long *src, u64 nbits)
{
	u64 w;

	for (w = 0; w < ZPCI_BITS_TO_LONGS(nbits); w++)
		dst[w] &= ~src[w];
}

u64 zpci_bitmap_weight(const unsigned long *map, u64 nbits)
{
	u64 w, n = 0;

	for (w = 0; w < nbits / ZPCI_BITS_PER_LONG; w++)
		n += __builtin_popcountl(map[w]);
	if (nbits % ZPCI_BITS_PER_LONG)
		n += __builtin_popcountl(map[w] & last_word_mask(nbits));
	return n;
}

/* The search of both find_next_*: @invert looks for clear bits. */
static u64 find_next(const unsigned long *map, u64 size, u64 start, bool invert)
{
	unsigned long word;
	u64 w;

	if (start >= size)
		return size;
	w = start / ZPCI_BITS_PER_LONG;
	word = (invert ? ~map[w] : map[w]) & first_word_mask(start);
	while (!word) {
		if (++w >= ZPCI_BITS_TO_LONGS(size))
			return size;
		word = invert ? ~map[w] : map[w];
	}
	w = w * ZPCI_BITS_PER_LONG + __builtin_ctzl(word);
	return w < size ? w : size;
}

u64 zpci_find_next_bit(const unsigned long *map, u64 size, u64 start)
{
	return find_next(map, size, start, false);
}

u64 zpci_find_next_zero_bit(const unsigned long *map, u64 size, u64 start)
{
	return find_next(map, size, start, true);
}

u64 zpci_find_prev_bit(const unsigned long *map, u64 start, u64 end)
{
	unsigned long word;
	u64 w;

	if (start >= end)
		return end;
	w = (end - 1) / ZPCI_BITS_PER_LONG;
	word = map[w] & last_word_mask(end);
	for (;;) {
		if (w == start / ZPCI_BITS_PER_LONG)
			word &= first_word_mask(start);
		if (word)
			return w * ZPCI_BITS_PER_LONG + ZPCI_BITS_PER_LONG - 1 - __builtin_clzl(word);
		if (w == start / ZPCI_BITS_PER_LONG)
			return end;
		word = map[--w];
	}
}

u64 zpci_find_next_zero_area(const unsigned long *map, u64 size, u64 start, u64 nr,
			     u64 shift, u64 boundary)
{
	for (;;) {
		u64 index = zpci_find_next_zero_bit(map, size, start), busy;

		if (!nr || index >= size || nr > size - index)
			return size;
		if (boundary) {
			u64 next_boundary = ((index + shift) / boundary + 1) * boundary - shift;

			if (nr > boundary)
				return size;
			if (index + nr > next_boundary) {
				start = next_boundary;
				continue;
			}
		}
		busy = zpci_find_next_bit(map, index + nr, index);
		if (busy == index + nr)
			return index;
		start = busy + 1;
	}
}
