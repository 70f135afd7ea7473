/*
 * ratelimit.h — the daemon's request limits, all thread-safe:
 *
 *   struct ig_ratelimit    a token bucket per API key id: `rate` requests per
 *                          minute, at most `burst` at once.
 *   struct ig_failures     failed authentications per client address
 *                          (REMOTE_ADDR from nginx, never X-Forwarded-For):
 *                          past `per_minute` failures the address is refused
 *                          before any scrypt work is done for it.
 *   struct ig_concurrency  executions in flight, globally and per key, with a
 *                          short bounded wait for a free slot.
 *
 * The first two take the current time as a CLOCK_MONOTONIC reading in
 * milliseconds (ig_time_mono_ms()), so tests can drive them with any clock.
 * Their tables hold at most a fixed number of ids; when full, the least
 * recently used id is forgotten (its bucket starts full again), so a flood
 * of addresses costs bounded memory. Ids longer than IG_RATELIMIT_ID_MAX
 * bytes are keyed by their first IG_RATELIMIT_ID_MAX bytes (which can only
 * merge ids, i.e. limit more).
 *
 * "retry after" values are whole seconds, rounded up, at least 1: what a 429
 * puts in its Retry-After header.
 */
#ifndef IG_RATELIMIT_H
#define IG_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "bounds.h"

struct ig_ratelimit;
struct ig_failures;
struct ig_concurrency;

/* ---- per-key token buckets ---- */

/* Creates the per-key limiter: each key id may make `burst` requests at
 * once, refilled at `per_minute` requests per minute; `table` ids are
 * remembered. Limits: 1..IG_RATELIMIT_RATE_MAX for rates, 1..
 * IG_RATELIMIT_TABLE_MAX for the table. Returns 0 with *out owned by the
 * caller (ig_ratelimit_free), or -1 with IG_EINVAL / IG_ENOMEM. */
int ig_ratelimit_new(unsigned per_minute, unsigned burst, size_t table,
    struct ig_ratelimit **out, struct ig_err *err);

/* Takes one request from key_id's bucket at time now_ms. Returns true when
 * allowed; false when the bucket is empty, with *retry_after_s (may be
 * NULL) set to the seconds until one request is available. */
bool ig_ratelimit_take(struct ig_ratelimit *rl, const char *key_id, int64_t now_ms,
    unsigned *retry_after_s);

/* Number of ids currently tracked (for tests and metrics). */
size_t ig_ratelimit_count(struct ig_ratelimit *rl);

/* Frees the limiter. NULL-safe. */
void ig_ratelimit_free(struct ig_ratelimit *rl);

/* ---- authentication failures per address ---- */

/* Creates the failure limiter: an address may fail `per_minute` times in a
 * burst, then once per 60/per_minute seconds; `table` addresses are
 * remembered. Returns 0 with *out owned by the caller
 * (ig_ratelimit_failures_free), or -1 with IG_EINVAL / IG_ENOMEM. */
int ig_ratelimit_failures_new(unsigned per_minute, size_t table,
    struct ig_failures **out, struct ig_err *err);

/* Asks, before authenticating, whether addr may try at time now_ms. Returns
 * true when it may; false when its failures are used up, with
 * *retry_after_s (may be NULL) set. Does not count anything. */
bool ig_ratelimit_failures_check(struct ig_failures *f, const char *addr, int64_t now_ms,
    unsigned *retry_after_s);

/* Records one failed authentication of addr at time now_ms. */
void ig_ratelimit_failures_record(struct ig_failures *f, const char *addr, int64_t now_ms);

/* Number of addresses currently tracked. */
size_t ig_ratelimit_failures_count(struct ig_failures *f);

/* Frees the limiter. NULL-safe. */
void ig_ratelimit_failures_free(struct ig_failures *f);

/* ---- executions in flight ---- */

/* Creates the concurrency limiter: at most global_max executions at once
 * (1..IG_CONC_MAX), and at most per_key_max per key id (0: no per-key
 * limit; up to IG_CONC_MAX, above global_max it changes nothing). Returns 0 with *out owned by the caller
 * (ig_ratelimit_concurrency_free), or -1 with IG_EINVAL / IG_ENOMEM. */
int ig_ratelimit_concurrency_new(unsigned global_max, unsigned per_key_max,
    struct ig_concurrency **out, struct ig_err *err);

/* Takes a slot for key_id, waiting up to wait_ms (0..IG_CONC_WAIT_MS_MAX;
 * larger values are treated as the maximum) for one to free up. Returns
 * true with the slot held (give it back with ig_ratelimit_concurrency_release),
 * or false when none became free in time, with *retry_after_s (may be NULL)
 * set to IG_CONC_RETRY_AFTER_S. */
bool ig_ratelimit_concurrency_acquire(struct ig_concurrency *c, const char *key_id,
    int64_t wait_ms, unsigned *retry_after_s);

/* Gives back a slot taken for key_id and wakes waiters. */
void ig_ratelimit_concurrency_release(struct ig_concurrency *c, const char *key_id);

/* Executions in flight: in total, or for key_id when it is non-NULL. */
unsigned ig_ratelimit_concurrency_inflight(struct ig_concurrency *c, const char *key_id);

/* Frees the limiter; no slot may be held. NULL-safe. */
void ig_ratelimit_concurrency_free(struct ig_concurrency *c);

#endif
