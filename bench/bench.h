/* SPDX-License-Identifier: MIT */
/*
 * What every benchmark program measures the same way: wall time on the
 * monotonic clock and the process's peak resident memory.
 */
#ifndef ZPCISIM_BENCH_H
#define ZPCISIM_BENCH_H

#include <sys/resource.h>
#include <time.h>

static inline double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline long bench_peak_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

#endif /* ZPCISIM_BENCH_H */
