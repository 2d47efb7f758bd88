/* SPDX-License-Identifier: MIT */
/*
 * The guest's jiffies and its timer wheel.
 *
 * Guest timers (the flush queue's timeout, the IOVA caches' trim) run on
 * timer ticks, HZ a second, and the kernel's timer wheel files a timer in
 * a bucket whose granularity grows with the delay: 1 tick below 63 ticks,
 * 8 ticks below 504, 64 below 4032, and so on, the expiry always rounded
 * up past itself so that no timer runs early.  So a 1 s timeout at HZ=250
 * runs at the first multiple of 8 jiffies after jiffies + 250, 251 to 258
 * ticks after it was armed, depending on where jiffies stood.
 *
 * A captured trace records the guest's ticks (tick records), and they
 * drive its jiffies; a trace without them gets jiffies from its time.
 */
#ifndef ZPCI_JIFFIES_H
#define ZPCI_JIFFIES_H

#include <zpci/arch.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZPCI_HZ_DEFAULT		250	/* Debian's s390x kernels (the s390 defconfig has 100) */
#define ZPCI_HZ_MAX		1000

/* jiffies at @ns, counting from 0 at time 0, for a trace without ticks. */
u64 zpci_jiffies_at(u32 hz, u64 ns);
/* When, counting so, jiffies reaches @j. */
u64 zpci_jiffies_time(u32 hz, u64 j);
/* A delay of @ns in jiffies, rounded up, as msecs_to_jiffies() does. */
u64 zpci_jiffies_delay(u32 hz, u64 ns);
/* The jiffies at which a timer armed at jiffies @now to expire @delay later runs. */
u64 zpci_timer_expiry(u64 now, u64 delay);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_JIFFIES_H */
