// SPDX-License-Identifier: MIT
/*
 * The fixed-resolution histogram.
 */
#include <zpci/hist.h>

u64 zpci_hist_upper(unsigned int b)
{
	int msb;
	u64 lo;

	if (b < ZPCI_HIST_SUB)
		return b;
	msb = b / ZPCI_HIST_SUB + 3;
	lo = (1ULL << msb) | ((u64)(b % ZPCI_HIST_SUB) << (msb - 4));
	return lo + (1ULL << (msb - 4)) - 1;
}

void zpci_hist_merge(struct zpci_hist *h, const struct zpci_hist *more)
{
	unsigned int b;

	for (b = 0; b < ZPCI_HIST_BUCKETS; b++)
		h->bucket[b] += more->bucket[b];
	h->count += more->count;
	if (more->max > h->max)
		h->max = more->max;
}

u64 zpci_hist_percentile(const struct zpci_hist *h, double p)
{
	u64 want, seen = 0;
	unsigned int b;

	if (!h->count)
		return 0;
	want = (u64)(p * h->count + 0.5);
	if (want < 1)
		want = 1;
	for (b = 0; b < ZPCI_HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= want)
			return zpci_hist_upper(b) < h->max ? zpci_hist_upper(b) : h->max;
	}
	return h->max;
}
