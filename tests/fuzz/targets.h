/* SPDX-License-Identifier: MIT */
/*
 * Fuzz targets: one function per input format, taking any bytes.  An input
 * must end in a result or in one diagnostic line that names the input;
 * anything else (a crash, a leak, undefined behaviour, a message without a
 * position or over several lines) aborts.  libFuzzer runs them in the fuzz
 * build; the corpus test runs every sample and every regression through
 * them in the ordinary builds.
 */
#ifndef ZPCISIM_FUZZ_TARGETS_H
#define ZPCISIM_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The name diagnostics must start with. */
#define ZPCISIM_FUZZ_INPUT	"fuzz-input"

/* A trace in either encoding, read to its end and checked for meaning. */
int zpcisim_fuzz_trace(const uint8_t *data, size_t size);
/* A table image, read, and every probe in it walked by the reference translator. */
int zpcisim_fuzz_image(const uint8_t *data, size_t size);
/*
 * A configuration file, and each line as a --set assignment (config_target.cc,
 * in C++: the configuration is the program's).
 */
int zpcisim_fuzz_config(const uint8_t *data, size_t size);
/*
 * Results for `zpcisim report` (sweep CSV, then full stats), and a message
 * for `zpcisim monitor` (report_target.cc, in C++: the program's).
 */
int zpcisim_fuzz_report(const uint8_t *data, size_t size);
int zpcisim_fuzz_telemetry(const uint8_t *data, size_t size);
/* A guest script against the harness server (harness_target.c). */
int zpcisim_fuzz_harness(const uint8_t *data, size_t size);
/*
 * An adversarial guest for it, from @seed: table entries plausible and wild
 * written into its tables, RPCITs up to the whole 4 TiB, device DMA all
 * over the aperture, error recovery.  The script's length (at most @cap).
 */
size_t zpcisim_fuzz_harness_script(uint64_t seed, uint8_t *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* ZPCISIM_FUZZ_TARGETS_H */
