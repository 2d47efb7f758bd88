/* SPDX-License-Identifier: MIT */
/*
 * Guest layout: where each guest-physical range lives in host-physical
 * memory.  The pinned and nested designs translate through it; the
 * isolation checker asks it whether a host page belongs to the guest.
 *
 * A layout is a set of extents that together cover [0, guest_size) in
 * guest-physical space exactly once, and never overlap in host space.
 * The extents are all one chunk long and, on each side, back to back: a
 * look-up in either direction is an index, not a search.
 */
#ifndef ZPCI_LAYOUT_H
#define ZPCI_LAYOUT_H

#include <zpci/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zpci_extent {
	phys_addr_t gpa;
	phys_addr_t hpa;
	u64 len;
};

struct zpci_layout {
	u64 guest_size;
	u64 chunk;		/* every extent's length */
	unsigned int chunk_shift;	/* log2(chunk) when a power of two, else 0 */
	size_t nr_extents;
	struct zpci_extent *by_gpa;	/* sorted by gpa */
	struct zpci_extent *by_hpa;	/* the same extents, sorted by hpa */
};

/* Guest memory at host [host_base, host_base + guest_size). */
int zpci_layout_init_contiguous(struct zpci_layout *l, u64 guest_size,
				phys_addr_t host_base);
/*
 * Guest memory cut into @chunk-sized pieces placed in a seeded random
 * order in host [host_base, host_base + guest_size): a fragmented host.
 */
int zpci_layout_init_scattered(struct zpci_layout *l, u64 guest_size, u64 chunk,
			       phys_addr_t host_base, u64 seed);
void zpci_layout_destroy(struct zpci_layout *l);

/*
 * The extent holding @addr (host-physical if @by_hpa, else guest-physical),
 * or NULL.  An index, not a search; inline, as every device access asks
 * where it landed.
 */
static inline const struct zpci_extent *zpci_layout_extent(const struct zpci_layout *l,
							   phys_addr_t addr, bool by_hpa)
{
	const struct zpci_extent *v = by_hpa ? l->by_hpa : l->by_gpa;
	phys_addr_t base = by_hpa ? v[0].hpa : v[0].gpa;
	u64 off = addr - base;

	if (addr < base || off >= l->guest_size)
		return NULL;
	if (l->nr_extents == 1)
		return v;
	/* A shift, where a divide would take tens of cycles. */
	return &v[l->chunk_shift ? off >> l->chunk_shift : off / l->chunk];
}

/* Map @addr through the extent holding it, from one side to the other. */
static inline int zpci_layout_map(const struct zpci_layout *l, phys_addr_t addr, bool from_hpa,
				  phys_addr_t *out)
{
	const struct zpci_extent *e = zpci_layout_extent(l, addr, from_hpa);

	if (!e)
		return -EFAULT;
	*out = from_hpa ? e->gpa + (addr - e->hpa) : e->hpa + (addr - e->gpa);
	return 0;
}

/* 0 and *hpa set, or -EFAULT when @gpa is not guest memory. */
static inline int zpci_layout_gpa_to_hpa(const struct zpci_layout *l, phys_addr_t gpa,
					 phys_addr_t *hpa)
{
	return zpci_layout_map(l, gpa, false, hpa);
}

/* 0 and *gpa set, or -EFAULT when the guest does not own @hpa. */
static inline int zpci_layout_hpa_to_gpa(const struct zpci_layout *l, phys_addr_t hpa,
					 phys_addr_t *gpa)
{
	return zpci_layout_map(l, hpa, true, gpa);
}

/* Guest-physical memory, read and written through a layout into host memory. */
struct zpci_guest_view {
	const struct zpci_layout *layout;
	struct zpci_mem host;
};

struct zpci_mem zpci_guest_view_mem(struct zpci_guest_view *gv);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_LAYOUT_H */
