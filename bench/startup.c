// SPDX-License-Identifier: MIT
/*
 * startup: what a zpcisim process costs before and beyond its work, for one
 * zpcisim or several (the baseline first), alternated run by run in one go
 * so that the ratios survive a noisy machine (issue 28, item 3).
 *
 *   startup DIR SAMPLES ZPCISIM [ZPCISIM...] [--runs N]
 *
 * Runs `help`, then a functional replay of each real capture in SAMPLES
 * (traces/samples/real: the .xz ones unpacked into DIR once), as the
 * capture's README replays it.  Per binary: the median wall and CPU time
 * (the child's user + system) and, for a replay, the capture's guest time
 * span (`trace stats`, by the last binary) over the median wall time: how
 * many times faster than the guest that produced it the replay runs.
 */
#define _DEFAULT_SOURCE

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "child.h"

#define MAX_BINS	4
#define MAX_RUNS	101

static void die(const char *what, const char *why)
{
	fprintf(stderr, "startup: %s: %s\n", what, why);
	exit(1);
}

/* What is run after the binary, and for a replay which capture. */
struct job {
	const char *name;
	const char *capture;	/* in SAMPLES; NULL: no trace */
	const char *args[6];	/* after the trace, NULL-terminated */
};

static const struct job jobs[] = {
	{ "help", NULL, { NULL } },
	{ "replay net-linux-6.1", "net-linux-6.1.ztr", { NULL } },
	{ "replay net-linux-6.12", "net-linux-6.12.ztr",
	  { "--guest", "linux-6.7", "--policy", "flush-queue", NULL } },
	{ "replay net-linux-6.12-strict", "net-linux-6.12-strict.ztr",
	  { "--guest", "linux-6.7", "--policy", "strict", NULL } },
	{ "replay block-linux-6.1", "block-linux-6.1.ztb.xz", { NULL } },
	{ "replay block-linux-6.12", "block-linux-6.12.ztb.xz",
	  { "--guest", "linux-6.7", "--policy", "flush-queue", NULL } },
	{ "replay block-linux-6.12-strict", "block-linux-6.12-strict.ztb.xz",
	  { "--guest", "linux-6.7", "--policy", "strict", NULL } },
};

/* @capture as a trace zpcisim reads, in @dir (unpacked once) or @samples. */
static void trace_path(const char *dir, const char *samples, const char *capture, char *path,
		       size_t len)
{
	size_t n = strlen(capture);
	struct stat st;
	char cmd[8192];

	if (n < 3 || strcmp(capture + n - 3, ".xz")) {
		snprintf(path, len, "%s/%s", samples, capture);
		return;
	}
	snprintf(path, len, "%s/%.*s", dir, (int)(n - 3), capture);
	if (stat(path, &st) == 0)
		return;
	snprintf(cmd, sizeof(cmd), "xz -dc '%s/%s' > '%s.tmp' && mv '%s.tmp' '%s'", samples,
		 capture, path, path, path);
	if (system(cmd))
		die(path, "xz -dc failed");
}

/* The guest time @trace spans, in seconds, as `zpcisim trace stats` says. */
static double span_s(const char *zpcisim, const char *trace)
{
	char cmd[8192], line[512];
	unsigned long long ns = 0;
	int found = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' trace stats '%s'", zpcisim, trace);
	p = popen(cmd, "r");
	if (!p)
		die(trace, "cannot run zpcisim trace stats");
	while (fgets(line, sizeof(line), p))
		found |= sscanf(line, "time_span_ns: %llu", &ns) == 1;
	if (pclose(p) || !found)
		die(trace, "zpcisim trace stats gave no time_span_ns");
	return ns / 1e9;
}

int main(int argc, char **argv)
{
	const char *dir = NULL, *samples = NULL;
	char *bins[MAX_BINS];
	int nbins = 0, runs = 21;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!dir)
			dir = argv[i];
		else if (!samples)
			samples = argv[i];
		else if (nbins < MAX_BINS)
			bins[nbins++] = argv[i];
		else
			die(argv[i], "too many binaries");
	}
	if (!nbins || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: startup DIR SAMPLES ZPCISIM [ZPCISIM...] [--runs 1-%d]\n",
			MAX_RUNS);
		return 2;
	}
	printf("start-up: median of %d alternated runs; wall ms, CPU ms (the child's user + "
	       "sys); a replay's guest span / wall: times faster than the guest; ratios to "
	       "binary 0\n", runs);
	for (int b = 0; b < nbins; b++)
		printf("binary %d: %s\n", b, bins[b]);
	for (size_t j = 0; j < sizeof(jobs) / sizeof(jobs[0]); j++) {
		double wall[MAX_BINS][MAX_RUNS], cpu[MAX_BINS][MAX_RUNS], mw[MAX_BINS], mc;
		char trace[4096] = "", *child[10];
		int failed[MAX_BINS] = { 0 }, n = 0;
		double span = 0;

		if (jobs[j].capture) {
			trace_path(dir, samples, jobs[j].capture, trace, sizeof(trace));
			span = span_s(bins[nbins - 1], trace);
		}
		for (int r = 0; r < runs; r++) {
			for (int b = 0; b < nbins; b++) {
				struct bench_sample x;

				n = 0;
				child[n++] = bins[b];
				if (jobs[j].capture) {
					child[n++] = "replay";
					child[n++] = trace;
					for (const char *const *a = jobs[j].args; *a; a++)
						child[n++] = (char *)*a;
				} else {
					child[n++] = "help";
				}
				child[n] = NULL;
				x = bench_run_child("startup", child);
				wall[b][r] = x.wall_s;
				cpu[b][r] = x.cpu_s;
				failed[b] |= x.status != 0;
			}
		}
		for (int b = 0; b < nbins; b++) {
			mw[b] = bench_median(wall[b], runs);
			mc = bench_median(cpu[b], runs);
			printf("%-30s binary %d: ", jobs[j].name, b);
			if (failed[b]) {
				printf("failed\n");
				continue;
			}
			printf("wall %7.2f ms  cpu %7.2f ms", mw[b] * 1e3, mc * 1e3);
			if (span > 0)
				printf("  span %9.1f ms  x%.0f faster than the guest", span * 1e3,
				       span / mw[b]);
			if (b && !failed[0])
				printf("  (x%.3f wall)", mw[b] / mw[0]);
			printf("\n");
		}
		fflush(stdout);
	}
	return 0;
}
