/* SPDX-License-Identifier: MIT */
/*
 * Room for one more element in an array that grows by doubling: the
 * function's error events, the monitor's RPCIT log, the frame pool's
 * free lists.  One helper, so that they all grow alike.
 */
#ifndef ZPCI_GROW_H
#define ZPCI_GROW_H

#include <stdlib.h>

#include <zpci/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Make room in *@v, which holds @nr of *@cap elements of @elem bytes, for
 * element @nr: doubled when full, 64 the first time.  0, or -ENOMEM with
 * *@v and *@cap as they were.
 */
static inline int zpci_grow(void **v, size_t *cap, size_t nr, size_t elem)
{
	size_t ncap;
	void *nv;

	if (nr < *cap)
		return 0;
	ncap = *cap ? 2 * *cap : 64;
	nv = realloc(*v, ncap * elem);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_GROW_H */
