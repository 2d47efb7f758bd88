// SPDX-License-Identifier: MIT
/*
 * harness_roundtrip: what driver code pays to reach the simulator through
 * the harness, in-process against remote (a `zpcisim serve` child over
 * loopback TCP), in one run so the ratio survives a noisy machine.
 *
 *   harness_roundtrip ZPCISIM [CALLS]     (default 20000 calls per figure)
 *
 * Figures per backend: round trip of the cheapest request (reading the
 * counters), RPCITs per second (a guest RPCIT over one page of a mapped
 * buffer, on the intercept-kvm design: intercept, shadow walk, host
 * RPCIT), and strict map+unmap pairs per second through the guest DMA layer.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zpci/dma.h>
#include <zpci/harness.h>

#include "bench.h"

struct figures {
	double rtt_us;
	double rpcits_per_s;
	double map_unmap_per_s;
};

static void die(const char *what, const char *why)
{
	fprintf(stderr, "harness_roundtrip: %s: %s\n", what, why);
	exit(1);
}

static double time_counters(struct zpci_harness *h, long calls)
{
	struct zpci_harness_counters c;
	double t0 = bench_now_s();
	long i;

	for (i = 0; i < calls; i++)
		if (zpci_harness_read_counters(h, 0, &c))
			die("counters", zpci_harness_error(h));
	return (bench_now_s() - t0) / calls * 1e6;
}

static void measure(struct zpci_harness *h, long calls, struct figures *f)
{
	struct zpci_dma_cfg cfg = zpci_dma_default_cfg(ZPCI_HARNESS_FID, ZPCI_FLUSH_STRICT,
						       256ULL << 20);
	struct zpci_dma_dev dev;
	struct zpci_hw hw = zpci_harness_hw(h, 0);
	dma_addr_t iova;
	phys_addr_t buf;
	double t0;
	long i;

	if (zpci_harness_alloc(h, ZPCI_PAGE_SIZE, &buf) ||
	    zpci_dma_attach(&dev, hw, zpci_harness_guest_mem(h), zpci_harness_table_pool(h), &cfg))
		die("attach", zpci_harness_error(h));
	f->rtt_us = time_counters(h, calls);

	if (zpci_dma_map_page(&dev, buf, ZPCI_PAGE_SIZE, DMA_BIDIRECTIONAL, &iova))
		die("map", zpci_harness_error(h));
	t0 = bench_now_s();
	for (i = 0; i < calls; i++)
		if (zpci_insn_errno(hw.ops->rpcit(hw.priv, dev.fh, iova, ZPCI_PAGE_SIZE)))
			die("rpcit", zpci_harness_error(h));
	f->rpcits_per_s = calls / (bench_now_s() - t0);
	zpci_dma_unmap_page(&dev, iova, ZPCI_PAGE_SIZE, DMA_BIDIRECTIONAL);

	t0 = bench_now_s();
	for (i = 0; i < calls / 4; i++) {
		if (zpci_dma_map_page(&dev, buf, ZPCI_PAGE_SIZE, DMA_BIDIRECTIONAL, &iova) ||
		    zpci_dma_unmap_page(&dev, iova, ZPCI_PAGE_SIZE, DMA_BIDIRECTIONAL))
			die("map/unmap", zpci_harness_error(h));
	}
	f->map_unmap_per_s = (calls / 4) / (bench_now_s() - t0);
	zpci_dma_detach(&dev);
}

/* Start `ZPCISIM serve` on a free loopback port; its endpoint into @endpoint. */
static pid_t start_server(const char *zpcisim, char *endpoint, size_t len)
{
	char line[256];
	int fds[2];
	pid_t pid;
	FILE *out;

	if (pipe(fds))
		die("pipe", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork", strerror(errno));
	if (!pid) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		execl(zpcisim, zpcisim, "serve", "--listen", "tcp://127.0.0.1:*", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	if (!out || !fgets(line, sizeof(line), out) || strncmp(line, "listening: ", 11))
		die(zpcisim, "serve did not start");
	line[strcspn(line, "\n")] = '\0';
	snprintf(endpoint, len, "%s", line + 11);
	return pid;
}

static void print(const char *name, const struct figures *f, const struct figures *base)
{
	printf("%-8s round trip %8.2f us (x%.1f)   rpcit %10.0f /s (x%.3f)   "
	       "map+unmap %9.0f /s (x%.3f)\n",
	       name, f->rtt_us, f->rtt_us / base->rtt_us, f->rpcits_per_s,
	       f->rpcits_per_s / base->rpcits_per_s, f->map_unmap_per_s,
	       f->map_unmap_per_s / base->map_unmap_per_s);
}

int main(int argc, char **argv)
{
	struct zpci_harness_cfg cfg = zpci_harness_default_cfg(ZPCI_DESIGN_INTERCEPT_KVM);
	long calls = argc > 2 ? atol(argv[2]) : 20000;
	struct figures local, remote;
	struct zpci_harness *h;
	char endpoint[256], err[256];
	pid_t server;

	if (argc < 2 || calls < 4) {
		fprintf(stderr, "usage: harness_roundtrip ZPCISIM [CALLS]\n");
		return 2;
	}
	h = zpci_harness_create(&cfg, err, sizeof(err));
	if (!h)
		die("create", err);
	measure(h, calls, &local);
	zpci_harness_destroy(h);

	server = start_server(argv[1], endpoint, sizeof(endpoint));
	h = zpci_harness_connect(endpoint, &cfg, 5000, err, sizeof(err));
	if (!h)
		die("connect", err);
	measure(h, calls, &remote);
	zpci_harness_destroy(h);
	kill(server, SIGINT);
	waitpid(server, NULL, 0);

	printf("harness, intercept-kvm, %ld calls per figure; ratios against in-process\n", calls);
	print("local", &local, &local);
	print("remote", &remote, &local);
	printf("peak RSS (client): %ld MiB\n", bench_peak_rss_kib() / 1024);
	return 0;
}
