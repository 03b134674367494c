// SPDX-License-Identifier: MIT
/* Kernel stamps to wall-clock time. CLOCK_TAI is neither namespaced nor
 * stopped in suspend and steps with the wall clock; CLOCK_BOOTTIME (before
 * kernel 6.1) needs its distance to the wall clock, measured without the time
 * namespace's offset, which user space sees and the kernel's stamps do not. */
#include <stdio.h>
#include <string.h>
#include <sys/timex.h>
#include <time.h>
#include "writer.h"

/* This process's time namespace offset for CLOCK_BOOTTIME (0 outside one). */
static int64_t timens_boottime_offset_ns(void)
{
	long long sec = 0, nsec = 0;
	char line[128], name[32];
	FILE *f = fopen("/proc/self/timens_offsets", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %lld %lld", name, &sec, &nsec) == 3 && !strcmp(name, "boottime"))
			break;
		else
			sec = nsec = 0;
	fclose(f);
	return sec * 1000000000LL + nsec;
}

void clock_anchor(struct sw_clock *c)
{
	struct timespec real, other;
	struct timex tx = { .modes = 0 };

	/* TAI is the wall clock plus a whole number of seconds (the kernel's TAI
	 * offset): exact, where two clock readings would differ by a microsecond */
	if (c->tai && adjtimex(&tx) >= 0) {
		c->offset_ns = (int64_t)tx.tai * 1000000000;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(c->tai ? CLOCK_TAI : CLOCK_BOOTTIME, &other);
	c->offset_ns = ((int64_t)other.tv_sec - real.tv_sec) * 1000000000 + (other.tv_nsec - real.tv_nsec);
	if (!c->tai)
		c->offset_ns -= timens_boottime_offset_ns();
}
