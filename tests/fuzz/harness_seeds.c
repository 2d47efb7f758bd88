// SPDX-License-Identifier: MIT
/*
 * harness_seeds DIR [N]: write N (default 32) adversarial guest scripts into
 * DIR, the starting corpus of the harness fuzzer.
 */
#include <stdio.h>
#include <stdlib.h>

#include "targets.h"

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 16];
	int n = argc > 2 ? atoi(argv[2]) : 32;
	char path[4096];
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: harness_seeds DIR [N]\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		size_t len = zpcisim_fuzz_harness_script(i, buf, sizeof(buf));
		FILE *f;

		snprintf(path, sizeof(path), "%s/seed-%03d", argv[1], i);
		f = fopen(path, "wb");
		if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
			fprintf(stderr, "harness_seeds: %s: cannot write\n", path);
			return 1;
		}
	}
	return 0;
}
