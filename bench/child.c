/* SPDX-License-Identifier: MIT */
/* wait4(): the child's own rusage, its peak RSS included. */
#define _DEFAULT_SOURCE

#include "child.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static void die(const char *who, const char *what, const char *why)
{
	fprintf(stderr, "%s: %s: %s\n", who, what, why);
	exit(1);
}

struct bench_sample bench_run_child(const char *who, char *const argv[])
{
	struct bench_sample s = { 0 };
	struct rusage ru;
	double t0 = bench_now_s();
	int st;
	pid_t pid;

	fflush(stdout);	/* or the child would write what is buffered again */
	pid = fork();

	if (pid < 0)
		die(who, "fork", strerror(errno));
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) != pid)
		die(who, "wait4", strerror(errno));
	s.wall_s = bench_now_s() - t0;
	s.cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		  ru.ru_stime.tv_usec / 1e6;
	s.rss_kib = ru.ru_maxrss;
	s.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
