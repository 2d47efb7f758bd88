/* SPDX-License-Identifier: MIT */
/*
 * A running digest of 64-bit values, order-sensitive: equal digests mean,
 * with overwhelming probability, the same values in the same order.  Used
 * for "the device reached the same pages" across designs and modes, on
 * every translation, so it costs one multiply per value.  Not for security.
 */
#ifndef ZPCI_DIGEST_H
#define ZPCI_DIGEST_H

#include <zpci/types.h>

#define ZPCI_DIGEST_INIT	0xcbf29ce484222325ULL

static inline u64 zpci_digest_fold(u64 digest, u64 v)
{
	digest = (digest ^ v) * 0x9e3779b97f4a7c15ULL;	/* 2^64 / golden ratio, odd */
	return digest ^ (digest >> 32);
}

#endif /* ZPCI_DIGEST_H */
