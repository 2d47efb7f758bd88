/* SPDX-License-Identifier: MIT */
/*
 * A histogram with a fixed relative resolution: each power of two is split
 * into 16 buckets, so a percentile is within 1/16 (6%) of the true value,
 * in constant memory whatever the number of samples.  The checkers' windows
 * (C) and the models' latencies (C++, through Histogram) both keep one.
 */
#ifndef ZPCI_HIST_H
#define ZPCI_HIST_H

#include <zpci/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZPCI_HIST_SUB		16	/* buckets per power of two */
#define ZPCI_HIST_BUCKETS	(64 * ZPCI_HIST_SUB)

struct zpci_hist {
	u64 bucket[ZPCI_HIST_BUCKETS];
	u64 count;
	u64 max;
};

/*
 * Values below ZPCI_HIST_SUB have a bucket each; above, the top 5 bits
 * choose one of the ZPCI_HIST_SUB buckets within their power of two.
 */
static inline unsigned int zpci_hist_bucket(u64 v)
{
	int msb;

	if (v < ZPCI_HIST_SUB)
		return v;
	msb = 63 - __builtin_clzll(v);
	return (msb - 3) * ZPCI_HIST_SUB + ((v >> (msb - 4)) & (ZPCI_HIST_SUB - 1));
}

/* Inline: every device access adds its latency. */
static inline void zpci_hist_add(struct zpci_hist *h, u64 v)
{
	h->bucket[zpci_hist_bucket(v)]++;
	h->count++;
	if (v > h->max)
		h->max = v;
}

/* The largest value zpci_hist_bucket() puts in bucket @b. */
u64 zpci_hist_upper(unsigned int b);
void zpci_hist_merge(struct zpci_hist *h, const struct zpci_hist *more);
/*
 * The value below which @p (0..1) of the samples lie, to the bucket's
 * upper bound (never above the largest sample); 0 when empty.
 */
u64 zpci_hist_percentile(const struct zpci_hist *h, double p);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_HIST_H */
