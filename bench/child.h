/* SPDX-License-Identifier: MIT */
/*
 * Benchmarks that time whole zpcisim processes: a child run with its output
 * discarded, its wall time, its CPU time (user + system, the child's own
 * time base: a busy machine stretches wall time, not CPU time) and peak
 * RSS; and the median the tables report.
 */
#ifndef ZPCISIM_BENCH_CHILD_H
#define ZPCISIM_BENCH_CHILD_H

struct bench_sample {
	double wall_s, cpu_s;
	long rss_kib;
	int status;	/* the exit status, 128 + signal */
};

/* Run @argv (argv[0] a path) with stdout and stderr discarded; exits on a
 * fork or wait failure, naming @who. */
struct bench_sample bench_run_child(const char *who, char *const argv[]);

/* Sorts @v. */
double bench_median(double *v, int n);

#endif /* ZPCISIM_BENCH_CHILD_H */
