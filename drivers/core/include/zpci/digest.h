/* SPDX-License-Identifier: MIT */
/*
 * A running digest of 64-bit values, order-sensitive: equal digests mean,
 * with overwhelming probability, the same values in the same order.  Used
 * for "the device reached the same pages" across designs and modes, on
 * every translation, so it costs one multiply per value.  Not for security.
 */
#ifndef ZPCI_DIGEST_H
#define ZPCI_DIGEST_H

#include <stddef.h>
#include <zpci/types.h>

#define ZPCI_DIGEST_INIT	0xcbf29ce484222325ULL

static inline u64 zpci_digest_fold(u64 digest, u64 v)
{
	digest = (digest ^ v) * 0x9e3779b97f4a7c15ULL;	/* 2^64 / golden ratio, odd */
	return digest ^ (digest >> 32);
}

/*
 * A digest of a multiset of values, order-insensitive: each value mixed
 * (splitmix64's finaliser), then summed.  Equal digests mean the same
 * values, each as often, in any order: what "the device reached the same
 * pages" means once concurrent requests may finish in any order (cycle
 * mode).  Start from ZPCI_DIGEST_INIT too.
 */
static inline u64 zpci_digest_add(u64 digest, u64 v)
{
	v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ULL;
	v = (v ^ (v >> 27)) * 0x94d049bb133111ebULL;
	return digest + (v ^ (v >> 31));
}

/*
 * @n bytes, eight at a time as little-endian values (the same digest on
 * every host), then the length, so that trailing zeros count.
 */
static inline u64 zpci_digest_bytes(u64 digest, const void *p, size_t n)
{
	const unsigned char *b = (const unsigned char *)p;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		u64 v = 0;

		for (int k = 7; k >= 0; k--)
			v = v << 8 | b[i + k];
		digest = zpci_digest_fold(digest, v);
	}
	for (; i < n; i++)
		digest = zpci_digest_fold(digest, b[i]);
	return zpci_digest_fold(digest, n);
}

#endif /* ZPCI_DIGEST_H */
