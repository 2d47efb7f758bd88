// SPDX-License-Identifier: MIT
/*
 * rx_ring_demo: the receive ring on every design, in this process or
 * against a `zpcisim serve` at ENDPOINT:
 *
 *	rx_ring_demo [ENDPOINT]
 *
 * The NIC receives packets whose lengths and bytes no two share; the driver
 * must deliver every one intact and in order, and the device must never
 * reach a page it was not given.  Prints one line per design.  Exit status:
 * 0 all delivered, 1 a check failed, 2 bad command line, 3 no harness (the
 * server cannot be reached, or the machine cannot be built).
 */
#include <stdio.h>
#include <string.h>

#include "fake_nic.h"
#include "rx_ring.h"

enum { EXIT_CHECK = 1, EXIT_USAGE = 2, EXIT_HARNESS = 3 };

#define ENTRIES		8
#define BUF_SIZE	2048
#define PACKETS		(3 * ENTRIES + 3)	/* wraps the ring three times, then some */
#define TIMEOUT_MS	10000

/* Packet @i's length and its byte @j. */
static u32 packet_len(u32 i)
{
	return 60 + (i * 97) % (BUF_SIZE - 60);
}

static u8 packet_byte(u32 i, u32 j)
{
	return (u8)(i * 31 + j * 7 + (j >> 8));
}

static void make_packet(u32 i, u8 *p)
{
	u32 j;

	for (j = 0; j < packet_len(i); j++)
		p[j] = packet_byte(i, j);
}

/* What the driver delivered, against what the NIC sent. */
struct receiver {
	u32 next;	/* the packet number expected next */
	u32 corrupt;	/* delivered with a wrong length or bytes */
};

static void receive(void *ctx, const void *data, u32 len)
{
	struct receiver *rx = ctx;
	u8 want[BUF_SIZE];

	make_packet(rx->next, want);
	if (len != packet_len(rx->next) || memcmp(data, want, len))
		rx->corrupt++;
	rx->next++;
}

static int open_ring(struct zpci_harness *h, const struct zpci_harness_cfg *hc,
		     struct rx_ring *ring)
{
	struct rx_ring_cfg cfg = {
		.fid = ZPCI_HARNESS_FID,
		.entries = ENTRIES,
		.buf_size = BUF_SIZE,
		.policy = ZPCI_FLUSH_STRICT,
		.identity = hc->design == ZPCI_DESIGN_IDENTITY_PINNED,
		.guest_mem = hc->guest_mem,
	};
	int err = zpci_harness_alloc(h, rx_ring_mem_size(ENTRIES, BUF_SIZE), &cfg.mem_pa);

	return err ? err : rx_ring_open(ring, zpci_harness_hw(h, 0), zpci_harness_guest_mem(h),
					zpci_harness_table_pool(h), &cfg);
}

/* Send every packet, polling whenever the ring is full and at the end. */
static const char *run_traffic(struct zpci_harness *h, struct rx_ring *ring,
			       struct receiver *rx)
{
	struct fake_nic nic = { h, 0, ring->desc_dma, ENTRIES, 0 };
	u8 p[BUF_SIZE];
	u32 i;

	for (i = 0; i < PACKETS; i++) {
		make_packet(i, p);
		if (fake_nic_receive(&nic, p, packet_len(i)) != FAKE_NIC_DELIVERED)
			return "the NIC could not deliver a packet";
		if ((nic.tail == 0 || i == PACKETS - 1) && rx_ring_poll(ring, ENTRIES, receive, rx) < 0)
			return "polling failed";
	}
	if (rx->next != PACKETS)
		return "packets lost";
	if (rx->corrupt)
		return "packets corrupted";
	return NULL;
}

static int check_design(struct zpci_harness *h, const struct zpci_harness_cfg *cfg)
{
	const char *name = zpci_design_name(cfg->design);
	struct rx_ring ring;
	struct receiver rx = { 0, 0 };
	const char *failed;
	char first[256] = "";
	long long violations;
	int err = open_ring(h, cfg, &ring);

	if (err) {
		fprintf(stderr, "rx_ring_demo: %s: opening the ring failed (%d) %s\n", name, err,
			zpci_harness_error(h));
		return EXIT_CHECK;
	}
	failed = run_traffic(h, &ring, &rx);
	rx_ring_close(&ring);
	violations = zpci_harness_violations(h, first, sizeof(first));
	if (!failed && violations < 0)
		failed = "reading the violations failed";
	else if (!failed && violations > 0)
		failed = "the device reached memory it was not given";
	if (failed) {
		fprintf(stderr, "rx_ring_demo: %s: %s (%u of %u delivered, %u corrupt) %s%s\n",
			name, failed, rx.next, PACKETS, rx.corrupt, first, zpci_harness_error(h));
		return EXIT_CHECK;
	}
	printf("%s: %u packets intact\n", name, rx.next);
	return 0;
}

static int run_design(enum zpci_design design, const char *endpoint)
{
	struct zpci_harness_cfg cfg = zpci_harness_default_cfg(design);
	char err[256] = "";
	struct zpci_harness *h = endpoint
		? zpci_harness_connect(endpoint, &cfg, TIMEOUT_MS, err, sizeof(err))
		: zpci_harness_create(&cfg, err, sizeof(err));
	int status;

	if (!h) {
		fprintf(stderr, "rx_ring_demo: %s: %s\n", zpci_design_name(design), err);
		return EXIT_HARNESS;
	}
	status = check_design(h, &cfg);
	zpci_harness_destroy(h);
	return status;
}

int main(int argc, char **argv)
{
	int design;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: rx_ring_demo [ENDPOINT]\n");
		return EXIT_USAGE;
	}
	for (design = 0; design < ZPCI_NR_DESIGNS; design++) {
		int status = run_design(design, argc == 2 ? argv[1] : NULL);

		if (status)
			return status;
	}
	return 0;
}
