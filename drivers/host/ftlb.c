// SPDX-License-Identifier: MIT
/*
 * Flush-tracking IOTLB: open addressing with linear probing, deletion by
 * backward shift (no tombstones), doubling at half load.
 */
#include <stdlib.h>
#include <string.h>

#include <zpci/ftlb.h>

#define FTLB_INITIAL	1024

static u64 key_of(dma_addr_t iova)
{
	return (iova >> ZPCI_PAGE_SHIFT) + 1;
}

static u64 hash(u64 key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	return key ^ (key >> 33);
}

static int ftlb_alloc(struct zpci_ftlb *tlb, u64 capacity)
{
	tlb->slot = calloc(capacity, sizeof(*tlb->slot));
	if (!tlb->slot)
		return -ENOMEM;
	tlb->mask = capacity - 1;
	tlb->used = 0;
	return 0;
}

int zpci_ftlb_init(struct zpci_ftlb *tlb)
{
	return ftlb_alloc(tlb, FTLB_INITIAL);
}

void zpci_ftlb_destroy(struct zpci_ftlb *tlb)
{
	free(tlb->slot);
	memset(tlb, 0, sizeof(*tlb));
}

static u64 find_slot(const struct zpci_ftlb *tlb, u64 key)
{
	u64 i = hash(key) & tlb->mask;

	while (tlb->slot[i].page && tlb->slot[i].page != key)
		i = (i + 1) & tlb->mask;
	return i;
}

const struct zpci_ftlb_entry *zpci_ftlb_lookup(const struct zpci_ftlb *tlb, dma_addr_t iova)
{
	const struct zpci_ftlb_entry *e = &tlb->slot[find_slot(tlb, key_of(iova))];

	return e->page ? e : NULL;
}

static int ftlb_grow(struct zpci_ftlb *tlb)
{
	struct zpci_ftlb old = *tlb;
	u64 i;
	int rc;

	rc = ftlb_alloc(tlb, 2 * (old.mask + 1));
	if (rc) {
		*tlb = old;
		return rc;
	}
	for (i = 0; i <= old.mask; i++) {
		if (!old.slot[i].page)
			continue;
		tlb->slot[find_slot(tlb, old.slot[i].page)] = old.slot[i];
		tlb->used++;
	}
	free(old.slot);
	return 0;
}

int zpci_ftlb_insert(struct zpci_ftlb *tlb, dma_addr_t iova, phys_addr_t frame, bool readonly)
{
	u64 key = key_of(iova);
	struct zpci_ftlb_entry *e;
	int rc;

	if (2 * (tlb->used + 1) > tlb->mask + 1) {
		rc = ftlb_grow(tlb);
		if (rc)
			return rc;
	}
	e = &tlb->slot[find_slot(tlb, key)];
	if (!e->page)
		tlb->used++;
	e->page = key;
	e->frame = frame & ZPCI_PAGE_MASK;
	e->readonly = readonly;
	return 0;
}

/* Empty slot @i and pull later entries of its probe run back into the hole. */
static void remove_slot(struct zpci_ftlb *tlb, u64 i)
{
	u64 j = i;

	tlb->slot[i].page = 0;
	tlb->used--;
	for (;;) {
		u64 home;

		j = (j + 1) & tlb->mask;
		if (!tlb->slot[j].page)
			return;
		home = hash(tlb->slot[j].page) & tlb->mask;
		/* Entry j may move to i only if i lies on its probe path home..j. */
		if (((j - home) & tlb->mask) >= ((j - i) & tlb->mask)) {
			tlb->slot[i] = tlb->slot[j];
			tlb->slot[j].page = 0;
			i = j;
		}
	}
}

static bool in_range(u64 key, u64 first, u64 last)
{
	return key >= first && key <= last;
}

u64 zpci_ftlb_flush(struct zpci_ftlb *tlb, dma_addr_t iova, u64 len)
{
	u64 first, last, dropped = 0, i;

	if (!len)
		return 0;
	first = key_of(iova);
	last = key_of(iova + len - 1 < iova ? UINT64_MAX : iova + len - 1);
	if (last - first <= tlb->used) {
		/* Small range: look each page up. */
		for (i = first;; i++) {
			u64 s = find_slot(tlb, i);

			if (tlb->slot[s].page) {
				remove_slot(tlb, s);
				dropped++;
			}
			if (i == last)
				return dropped;
		}
	}
	/* Large range: sweep the table; a removal may pull an entry into i. */
	for (i = 0; i <= tlb->mask; i++) {
		while (tlb->slot[i].page && in_range(tlb->slot[i].page, first, last)) {
			remove_slot(tlb, i);
			dropped++;
		}
	}
	return dropped;
}

u64 zpci_ftlb_flush_all(struct zpci_ftlb *tlb)
{
	u64 dropped = tlb->used;

	memset(tlb->slot, 0, (tlb->mask + 1) * sizeof(*tlb->slot));
	tlb->used = 0;
	return dropped;
}
