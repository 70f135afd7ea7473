/*
 * timefmt.h — the clock readings and timestamp format Ignite uses everywhere.
 */
#ifndef IG_TIMEFMT_H
#define IG_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define IG_ISO_TIME_LEN 32   /* room for "2026-11-28T20:00:00.000Z" and NUL */

/* Formats ts (CLOCK_REALTIME) as "2026-11-28T20:00:00.000Z" into buf of len
 * bytes (at least 25). Returns buf. */
char *ig_time_iso(const struct timespec *ts, char *buf, size_t len);

/* As ig_time_iso for the current time. */
char *ig_time_iso_now(char *buf, size_t len);

/* Milliseconds of CLOCK_MONOTONIC, for durations and deadlines. */
int64_t ig_time_mono_ms(void);

#endif
