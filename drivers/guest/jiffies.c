// SPDX-License-Identifier: MIT
/*
 * The guest's jiffies and its timer wheel (see zpci/jiffies.h).
 */
#include <zpci/jiffies.h>

#define NSEC_PER_SEC		1000000000ULL

/* The wheel: 64 buckets a level, each level 8 times coarser than the one below. */
#define WHEEL_LEVEL_BITS	6
#define WHEEL_CLK_SHIFT		3
#define WHEEL_DEPTH		9

static unsigned int level_shift(unsigned int lvl)
{
	return lvl * WHEEL_CLK_SHIFT;
}

/* The smallest delay filed in level @lvl (>= 1). */
static u64 level_start(unsigned int lvl)
{
	return ((1ULL << WHEEL_LEVEL_BITS) - 1) << level_shift(lvl - 1);
}

u64 zpci_jiffies_at(u32 hz, u64 ns)
{
	return ns / NSEC_PER_SEC * hz + ns % NSEC_PER_SEC * hz / NSEC_PER_SEC;
}

u64 zpci_jiffies_time(u32 hz, u64 j)
{
	return j / hz * NSEC_PER_SEC + (j % hz * NSEC_PER_SEC + hz - 1) / hz;
}

u64 zpci_jiffies_delay(u32 hz, u64 ns)
{
	return ns / NSEC_PER_SEC * hz + (ns % NSEC_PER_SEC * hz + NSEC_PER_SEC - 1) / NSEC_PER_SEC;
}

u64 zpci_timer_expiry(u64 now, u64 delay)
{
	unsigned int lvl = 0;

	while (lvl + 1 < WHEEL_DEPTH && delay >= level_start(lvl + 1))
		lvl++;
	/* The level's next bucket boundary strictly past the expiry. */
	return (((now + delay) >> level_shift(lvl)) + 1) << level_shift(lvl);
}
