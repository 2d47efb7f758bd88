/* SPDX-License-Identifier: MIT */
/*
 * A small seeded generator (splitmix64) so that every random choice in the
 * simulator is reproducible from a seed, on any libc.
 */
#ifndef ZPCI_PRNG_H
#define ZPCI_PRNG_H

#include <zpci/types.h>

struct zpci_prng {
	u64 state;
};

static inline void zpci_prng_seed(struct zpci_prng *r, u64 seed)
{
	r->state = seed;
}

static inline u64 zpci_prng_next(struct zpci_prng *r)
{
	u64 z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, bound); bound > 0.  Rejection keeps it unbiased. */
static inline u64 zpci_prng_below(struct zpci_prng *r, u64 bound)
{
	u64 limit = -bound % bound;	/* 2^64 mod bound */
	u64 x;

	do
		x = zpci_prng_next(r);
	while (x < limit);
	return x % bound;
}

#endif /* ZPCI_PRNG_H */
