/* test_ratelimit.c — token buckets with an injected clock, the failure
 * limiter, table bounds, and the concurrency limiter with real threads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "ratelimit.h"

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- per-key buckets ---------------------------------------------------- */

static void
test_bucket_burst_and_refill(void **state)
{
	struct ig_ratelimit *rl;
	struct ig_err err = { 0 };
	unsigned retry = 0;
	int64_t t = 1000000;

	(void)state;
	/* 6 per minute = one every 10 s; 2 at once. */
	assert_int_equal(ig_ratelimit_new(6, 2, 16, &rl, &err), 0);
	assert_true(ig_ratelimit_take(rl, "k1", t, &retry));
	assert_true(ig_ratelimit_take(rl, "k1", t, &retry));
	assert_false(ig_ratelimit_take(rl, "k1", t, &retry));
	assert_int_equal(retry, 10);
	/* 9.999 s later: 0.9999 of a request, 1 ms missing → retry in 1 s. */
	assert_false(ig_ratelimit_take(rl, "k1", t + 9999, &retry));
	assert_int_equal(retry, 1);
	assert_true(ig_ratelimit_take(rl, "k1", t + 10000, &retry));
	assert_false(ig_ratelimit_take(rl, "k1", t + 10000, &retry));
	/* 4.5 s into the next interval: 5.5 s to go, rounded up. */
	assert_false(ig_ratelimit_take(rl, "k1", t + 14500, &retry));
	assert_int_equal(retry, 6);
	/* A long idle time fills the bucket only up to the burst. */
	t += 1000LL * 1000 * 1000 * 1000;
	assert_true(ig_ratelimit_take(rl, "k1", t, NULL));
	assert_true(ig_ratelimit_take(rl, "k1", t, NULL));
	assert_false(ig_ratelimit_take(rl, "k1", t, NULL));
	/* A clock that steps back adds nothing (and breaks nothing). */
	assert_false(ig_ratelimit_take(rl, "k1", t - 60000, &retry));
	assert_true(retry >= 1);
	/* Keys are independent. */
	assert_true(ig_ratelimit_take(rl, "k2", t, NULL));
	assert_int_equal(ig_ratelimit_count(rl), 2);
	ig_ratelimit_free(rl);
}

static void
test_bucket_default_rate(void **state)
{
	struct ig_ratelimit *rl;
	struct ig_err err = { 0 };
	unsigned retry = 0;
	int64_t t = 5;
	int i;

	(void)state;
	assert_int_equal(ig_ratelimit_new(IG_RATELIMIT_PER_MINUTE, IG_RATELIMIT_BURST,
	    IG_RATELIMIT_KEYS_TABLE, &rl, &err), 0);
	for (i = 0; i < IG_RATELIMIT_BURST; i++)
		assert_true(ig_ratelimit_take(rl, "abc", t, NULL));
	assert_false(ig_ratelimit_take(rl, "abc", t, &retry));
	assert_int_equal(retry, 1);                      /* 60/min: one a second */
	assert_false(ig_ratelimit_take(rl, "abc", t + 999, NULL));
	assert_true(ig_ratelimit_take(rl, "abc", t + 1000, NULL));
	/* Sustained: exactly one per second over a minute. */
	for (i = 0; i < 60; i++) {
		t += 1000;
		assert_true(ig_ratelimit_take(rl, "abc", t + 1000, NULL));
		assert_false(ig_ratelimit_take(rl, "abc", t + 1000, NULL));
	}
	ig_ratelimit_free(rl);
}

static void
test_bucket_fast_rate(void **state)
{
	struct ig_ratelimit *rl;
	struct ig_err err = { 0 };
	unsigned retry = 0;
	int i, ok = 0;

	(void)state;
	/* 120000/min = 2 per ms. */
	assert_int_equal(ig_ratelimit_new(120000, 1, 4, &rl, &err), 0);
	for (i = 0; i < 10; i++)
		ok += ig_ratelimit_take(rl, "k", 100, &retry);
	assert_int_equal(ok, 1);
	assert_int_equal(retry, 1);                      /* never 0 */
	assert_true(ig_ratelimit_take(rl, "k", 101, NULL));
	ig_ratelimit_free(rl);
}

static void
test_bucket_table_bound_and_lru(void **state)
{
	struct ig_ratelimit *rl;
	struct ig_err err = { 0 };
	char id[32];
	int i;

	(void)state;
	assert_int_equal(ig_ratelimit_new(1, 1, 4, &rl, &err), 0);
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "key%d", i);
		assert_true(ig_ratelimit_take(rl, id, 0, NULL));
		assert_true(ig_ratelimit_count(rl) <= 4);
	}
	assert_int_equal(ig_ratelimit_count(rl), 4);
	ig_ratelimit_free(rl);

	/* Table of 2: the least recently used id is the one forgotten. */
	assert_int_equal(ig_ratelimit_new(1, 1, 2, &rl, &err), 0);
	assert_true(ig_ratelimit_take(rl, "a", 0, NULL));
	assert_true(ig_ratelimit_take(rl, "b", 0, NULL));
	assert_false(ig_ratelimit_take(rl, "a", 0, NULL));    /* a is now newest */
	assert_true(ig_ratelimit_take(rl, "c", 0, NULL));     /* evicts b */
	assert_false(ig_ratelimit_take(rl, "a", 0, NULL));    /* a remembered: still empty */
	assert_true(ig_ratelimit_take(rl, "b", 0, NULL));     /* b forgotten: full again; evicts c */
	assert_false(ig_ratelimit_take(rl, "a", 0, NULL));
	assert_int_equal(ig_ratelimit_count(rl), 2);
	ig_ratelimit_free(rl);
}

static void
test_bucket_long_and_null_ids(void **state)
{
	char a[200], b[200];
	struct ig_ratelimit *rl;
	struct ig_err err = { 0 };

	(void)state;
	memset(a, 'x', sizeof(a));
	memcpy(b, a, sizeof(b));
	a[sizeof(a) - 1] = b[sizeof(b) - 1] = '\0';
	b[150] = 'y';                                        /* differs past the first 64 bytes */
	assert_int_equal(ig_ratelimit_new(1, 1, 8, &rl, &err), 0);
	assert_true(ig_ratelimit_take(rl, a, 0, NULL));
	assert_false(ig_ratelimit_take(rl, b, 0, NULL));     /* same bucket: limits more, never less */
	assert_true(ig_ratelimit_take(rl, NULL, 0, NULL));
	assert_false(ig_ratelimit_take(rl, "", 0, NULL));
	ig_ratelimit_free(rl);
}

static void
test_bucket_bad_config(void **state)
{
	struct ig_ratelimit *rl = (struct ig_ratelimit *)&rl;
	struct ig_err err = { 0 };

	(void)state;
	assert_int_equal(ig_ratelimit_new(0, 1, 8, &rl, &err), -1);
	assert_null(rl);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(ig_ratelimit_new(1, 0, 8, &rl, &err), -1);
	assert_int_equal(ig_ratelimit_new(IG_RATELIMIT_RATE_MAX + 1, 1, 8, &rl, &err), -1);
	assert_int_equal(ig_ratelimit_new(1, IG_RATELIMIT_RATE_MAX + 1, 8, &rl, &err), -1);
	assert_int_equal(ig_ratelimit_new(1, 1, 0, &rl, &err), -1);
	assert_int_equal(ig_ratelimit_new(1, 1, IG_RATELIMIT_TABLE_MAX + 1, &rl, &err), -1);
	ig_ratelimit_free(NULL);
}

/* Many threads on a few keys: the total allowed is exactly the burst. */
struct bucket_race {
	struct ig_ratelimit *rl;
	int allowed;
};

static void *
bucket_worker(void *arg)
{
	struct bucket_race *r = arg;
	char id[8];
	int i;

	for (i = 0; i < 2000; i++) {
		snprintf(id, sizeof(id), "k%d", i % 3);
		r->allowed += ig_ratelimit_take(r->rl, id, 42, NULL);
	}
	return NULL;
}

static void
test_bucket_threads(void **state)
{
	struct bucket_race r[4];
	pthread_t th[4];
	struct ig_ratelimit *rl;
	struct ig_err err = { 0 };
	int i, total = 0;

	(void)state;
	assert_int_equal(ig_ratelimit_new(10, 100, 16, &rl, &err), 0);
	for (i = 0; i < 4; i++) {
		r[i] = (struct bucket_race){ rl, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, bucket_worker, &r[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		total += r[i].allowed;
	}
	assert_int_equal(total, 300);
	ig_ratelimit_free(rl);
}

/* ---- authentication failures ------------------------------------------- */

static void
test_failures(void **state)
{
	struct ig_failures *f;
	struct ig_err err = { 0 };
	unsigned retry = 0;
	int64_t t = 777;
	int i;

	(void)state;
	/* 3 failures per minute: then one every 20 s. */
	assert_int_equal(ig_ratelimit_failures_new(3, 64, &f, &err), 0);
	assert_true(ig_ratelimit_failures_check(f, "192.0.2.1", t, &retry));
	assert_int_equal(ig_ratelimit_failures_count(f), 0);   /* checking records nothing */
	for (i = 0; i < 3; i++) {
		assert_true(ig_ratelimit_failures_check(f, "192.0.2.1", t, &retry));
		ig_ratelimit_failures_record(f, "192.0.2.1", t);
	}
	assert_false(ig_ratelimit_failures_check(f, "192.0.2.1", t, &retry));
	assert_int_equal(retry, 20);
	/* Another address is not affected. */
	assert_true(ig_ratelimit_failures_check(f, "2001:db8::1", t, &retry));
	/* Failures while blocked do not push the block further out. */
	for (i = 0; i < 50; i++)
		ig_ratelimit_failures_record(f, "192.0.2.1", t + 1000);
	assert_false(ig_ratelimit_failures_check(f, "192.0.2.1", t + 1000 + 18999, &retry));
	assert_int_equal(retry, 2);                          /* 1001 ms, rounded up */
	assert_false(ig_ratelimit_failures_check(f, "192.0.2.1", t + 1000 + 19999, &retry));
	assert_int_equal(retry, 1);
	assert_true(ig_ratelimit_failures_check(f, "192.0.2.1", t + 1000 + 20000, &retry));
	/* A minute of quiet restores the full allowance. */
	t += 1000 + 20000 + 60000;
	for (i = 0; i < 3; i++) {
		assert_true(ig_ratelimit_failures_check(f, "192.0.2.1", t, NULL));
		ig_ratelimit_failures_record(f, "192.0.2.1", t);
	}
	assert_false(ig_ratelimit_failures_check(f, "192.0.2.1", t, NULL));
	assert_int_equal(ig_ratelimit_failures_count(f), 1);
	ig_ratelimit_failures_free(f);
	ig_ratelimit_failures_free(NULL);

	assert_int_equal(ig_ratelimit_failures_new(0, 64, &f, &err), -1);
	assert_int_equal(ig_ratelimit_failures_new(3, 0, &f, &err), -1);
}

/* A flood of addresses cannot grow the table past its size. */
static void
test_failures_table_bound(void **state)
{
	struct ig_failures *f;
	struct ig_err err = { 0 };
	char addr[64];
	int i;

	(void)state;
	assert_int_equal(ig_ratelimit_failures_new(1, 128, &f, &err), 0);
	for (i = 0; i < 100000; i++) {
		snprintf(addr, sizeof(addr), "2001:db8::%x:%x", i >> 16, i & 0xffff);
		ig_ratelimit_failures_record(f, addr, i);
	}
	assert_int_equal(ig_ratelimit_failures_count(f), 128);
	/* The most recent addresses are the ones remembered. */
	assert_false(ig_ratelimit_failures_check(f, addr, 100000, NULL));
	ig_ratelimit_failures_free(f);
}

/* ---- concurrency ------------------------------------------------------- */

static void
test_concurrency_limits(void **state)
{
	struct ig_concurrency *c;
	struct ig_err err = { 0 };
	unsigned retry = 0;
	int64_t t0, waited;

	(void)state;
	assert_int_equal(ig_ratelimit_concurrency_new(2, 1, &c, &err), 0);
	assert_true(ig_ratelimit_concurrency_acquire(c, "a", 0, &retry));
	/* Per key: a second "a" does not fit, even with global room. */
	assert_false(ig_ratelimit_concurrency_acquire(c, "a", 0, &retry));
	assert_int_equal(retry, IG_CONC_RETRY_AFTER_S);
	assert_true(ig_ratelimit_concurrency_acquire(c, "b", 0, NULL));
	assert_int_equal(ig_ratelimit_concurrency_inflight(c, NULL), 2);
	assert_int_equal(ig_ratelimit_concurrency_inflight(c, "a"), 1);
	/* Global: "c" waits its bounded time, then is busy. */
	t0 = mono_ms();
	assert_false(ig_ratelimit_concurrency_acquire(c, "c", 60, &retry));
	waited = mono_ms() - t0;
	assert_true(waited >= 55);
	assert_true(waited < 1000);
	assert_int_equal(retry, IG_CONC_RETRY_AFTER_S);
	/* A negative wait is no wait. */
	t0 = mono_ms();
	assert_false(ig_ratelimit_concurrency_acquire(c, "c", -5, NULL));
	assert_true(mono_ms() - t0 < 50);
	ig_ratelimit_concurrency_release(c, "a");
	assert_true(ig_ratelimit_concurrency_acquire(c, "c", 0, NULL));
	/* Releasing what is not held changes nothing. */
	ig_ratelimit_concurrency_release(c, "nobody");
	assert_int_equal(ig_ratelimit_concurrency_inflight(c, NULL), 2);
	ig_ratelimit_concurrency_release(c, "b");
	ig_ratelimit_concurrency_release(c, "c");
	assert_int_equal(ig_ratelimit_concurrency_inflight(c, NULL), 0);
	ig_ratelimit_concurrency_free(c);

	/* per_key_max 0: only the global limit. */
	assert_int_equal(ig_ratelimit_concurrency_new(3, 0, &c, &err), 0);
	assert_true(ig_ratelimit_concurrency_acquire(c, "a", 0, NULL));
	assert_true(ig_ratelimit_concurrency_acquire(c, "a", 0, NULL));
	assert_true(ig_ratelimit_concurrency_acquire(c, "a", 0, NULL));
	assert_false(ig_ratelimit_concurrency_acquire(c, "a", 0, NULL));
	assert_int_equal(ig_ratelimit_concurrency_inflight(c, "a"), 3);
	ig_ratelimit_concurrency_release(c, "a");
	ig_ratelimit_concurrency_release(c, "a");
	ig_ratelimit_concurrency_release(c, "a");
	ig_ratelimit_concurrency_free(c);
	ig_ratelimit_concurrency_free(NULL);

	assert_int_equal(ig_ratelimit_concurrency_new(0, 0, &c, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(ig_ratelimit_concurrency_new(IG_CONC_MAX + 1, 0, &c, &err), -1);
	assert_int_equal(ig_ratelimit_concurrency_new(2, IG_CONC_MAX + 1, &c, &err), -1);
}

struct holder {
	struct ig_concurrency *c;
	int hold_ms;
};

static void *
hold_then_release(void *arg)
{
	struct holder *h = arg;

	usleep((useconds_t)h->hold_ms * 1000);
	ig_ratelimit_concurrency_release(h->c, "k");
	return NULL;
}

/* A waiter gets the slot as soon as it is released, within its wait. */
static void
test_concurrency_wait_for_release(void **state)
{
	struct ig_concurrency *c;
	struct ig_err err = { 0 };
	struct holder h;
	pthread_t th;
	int64_t t0, waited;

	(void)state;
	assert_int_equal(ig_ratelimit_concurrency_new(1, 1, &c, &err), 0);
	assert_true(ig_ratelimit_concurrency_acquire(c, "k", 0, NULL));
	h = (struct holder){ c, 100 };
	assert_int_equal(pthread_create(&th, NULL, hold_then_release, &h), 0);
	t0 = mono_ms();
	assert_true(ig_ratelimit_concurrency_acquire(c, "other", 5000, NULL));
	waited = mono_ms() - t0;
	pthread_join(th, NULL);
	assert_true(waited >= 80);
	assert_true(waited < 3000);
	ig_ratelimit_concurrency_release(c, "other");
	ig_ratelimit_concurrency_free(c);
}

/* Threads hammering acquire/release: the limits hold at every moment. */
struct stress {
	struct ig_concurrency *c;
	pthread_mutex_t *mu;
	int *inflight, *per_key, *max_inflight, *max_per_key;
	int key, acquired, busy;
};

static void *
stress_worker(void *arg)
{
	struct stress *s = arg;
	char id[8];
	int i;

	snprintf(id, sizeof(id), "k%d", s->key);
	for (i = 0; i < 300; i++) {
		if (!ig_ratelimit_concurrency_acquire(s->c, id, 20, NULL)) {
			s->busy++;
			continue;
		}
		s->acquired++;
		pthread_mutex_lock(s->mu);
		++*s->inflight;
		++s->per_key[s->key];
		if (*s->inflight > *s->max_inflight)
			*s->max_inflight = *s->inflight;
		if (s->per_key[s->key] > *s->max_per_key)
			*s->max_per_key = s->per_key[s->key];
		pthread_mutex_unlock(s->mu);
		usleep(100);
		pthread_mutex_lock(s->mu);
		--*s->inflight;
		--s->per_key[s->key];
		pthread_mutex_unlock(s->mu);
		ig_ratelimit_concurrency_release(s->c, id);
	}
	return NULL;
}

static void
test_concurrency_threads(void **state)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	int inflight = 0, per_key[3] = { 0 }, max_inflight = 0, max_per_key = 0, acquired = 0, i;
	struct stress s[8];
	pthread_t th[8];
	struct ig_concurrency *c;
	struct ig_err err = { 0 };

	(void)state;
	assert_int_equal(ig_ratelimit_concurrency_new(3, 2, &c, &err), 0);
	for (i = 0; i < 8; i++) {
		s[i] = (struct stress){ c, &mu, &inflight, per_key, &max_inflight, &max_per_key, i % 3, 0, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, stress_worker, &s[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		acquired += s[i].acquired;
	}
	assert_true(max_inflight <= 3);
	assert_true(max_per_key <= 2);
	assert_true(acquired > 0);
	assert_int_equal(ig_ratelimit_concurrency_inflight(c, NULL), 0);
	ig_ratelimit_concurrency_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_burst_and_refill),
		cmocka_unit_test(test_bucket_default_rate),
		cmocka_unit_test(test_bucket_fast_rate),
		cmocka_unit_test(test_bucket_table_bound_and_lru),
		cmocka_unit_test(test_bucket_long_and_null_ids),
		cmocka_unit_test(test_bucket_bad_config),
		cmocka_unit_test(test_bucket_threads),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_failures_table_bound),
		cmocka_unit_test(test_concurrency_limits),
		cmocka_unit_test(test_concurrency_wait_for_release),
		cmocka_unit_test(test_concurrency_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
