/* ratelimit.c — token buckets per key and per address in bounded LRU
 * tables, and a concurrency limiter with a bounded wait. */
#include "ratelimit.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* Bucket levels are kept in units of 1/60000 request, so refilling at
 * `rate` requests per minute adds exactly `rate` units per millisecond and
 * all the arithmetic stays in integers. */
#define UNIT       60000
#define NIL        UINT32_MAX

struct entry {
	char id[IG_RATELIMIT_ID_MAX + 1];
	uint32_t hnext;                      /* hash chain, or the free list */
	uint32_t newer, older;               /* recency list */
	int64_t units;                       /* bucket level */
	int64_t last_ms;                     /* time of the last refill */
};

/* A bounded map from id to bucket; the least recently used id is dropped
 * when a new one arrives at a full table. */
struct table {
	pthread_mutex_t mu;
	struct entry *e;
	size_t cap, n;
	uint32_t *heads;
	size_t mask;                         /* heads has mask + 1 slots */
	uint32_t newest, oldest, free_list;
	uint64_t seed;                       /* random: chains cannot be aimed at */
	int64_t rate;                        /* requests per minute = units per ms */
	int64_t full;                        /* bucket size in units */
};

struct ig_ratelimit {
	struct table t;
};

struct ig_failures {
	struct table t;
};

static void
id_copy(char dst[IG_RATELIMIT_ID_MAX + 1], const char *src)
{
	size_t n = src ? strnlen(src, IG_RATELIMIT_ID_MAX) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

static uint64_t
id_hash(uint64_t seed, const char *id)
{
	uint64_t h = 1469598103934665603ULL ^ seed;
	const unsigned char *p = (const unsigned char *)id;

	for (; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

static int
table_init(struct table *t, int64_t rate, int64_t burst, size_t cap, struct ig_err *err)
{
	size_t i, nheads = 1;

	if (rate < 1 || rate > IG_RATELIMIT_RATE_MAX || burst < 1 || burst > IG_RATELIMIT_RATE_MAX) {
		ig_err_set(err, IG_EINVAL, "rate limits must be 1..%d", IG_RATELIMIT_RATE_MAX);
		return -1;
	}
	if (cap < 1 || cap > IG_RATELIMIT_TABLE_MAX) {
		ig_err_set(err, IG_EINVAL, "rate limit table size must be 1..%d", IG_RATELIMIT_TABLE_MAX);
		return -1;
	}
	while (nheads < cap)
		nheads <<= 1;
	memset(t, 0, sizeof(*t));
	t->e = calloc(cap, sizeof(*t->e));
	t->heads = malloc(nheads * sizeof(*t->heads));
	if (t->e == NULL || t->heads == NULL) {
		free(t->e);
		free(t->heads);
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != (ssize_t)sizeof(t->seed))
		t->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL;   /* only evens out chains */
	for (i = 0; i < nheads; i++)
		t->heads[i] = NIL;
	for (i = 0; i < cap; i++)
		t->e[i].hnext = i + 1 < cap ? (uint32_t)(i + 1) : NIL;
	t->free_list = 0;
	t->newest = t->oldest = NIL;
	t->cap = cap;
	t->mask = nheads - 1;
	t->rate = rate;
	t->full = burst * UNIT;
	pthread_mutex_init(&t->mu, NULL);
	return 0;
}

static void
table_destroy(struct table *t)
{
	pthread_mutex_destroy(&t->mu);
	free(t->e);
	free(t->heads);
}

static void
lru_unlink(struct table *t, uint32_t i)
{
	struct entry *e = &t->e[i];

	if (e->newer != NIL)
		t->e[e->newer].older = e->older;
	else
		t->newest = e->older;
	if (e->older != NIL)
		t->e[e->older].newer = e->newer;
	else
		t->oldest = e->newer;
}

static void
lru_push_newest(struct table *t, uint32_t i)
{
	struct entry *e = &t->e[i];

	e->newer = NIL;
	e->older = t->newest;
	if (t->newest != NIL)
		t->e[t->newest].newer = i;
	t->newest = i;
	if (t->oldest == NIL)
		t->oldest = i;
}

static void
chain_remove(struct table *t, uint32_t i)
{
	uint32_t *pp = &t->heads[id_hash(t->seed, t->e[i].id) & t->mask];

	while (*pp != NIL && *pp != i)
		pp = &t->e[*pp].hnext;
	if (*pp == i)
		*pp = t->e[i].hnext;
}

/* Finds id (already truncated); creates it with a full bucket when create
 * is set, dropping the least recently used id if the table is full.
 * Returns the entry or NULL. Call with t->mu held. */
static struct entry *
table_get(struct table *t, const char *id, int64_t now_ms, int create)
{
	size_t h = id_hash(t->seed, id) & t->mask;
	uint32_t i;

	for (i = t->heads[h]; i != NIL; i = t->e[i].hnext) {
		if (strcmp(t->e[i].id, id) == 0) {
			lru_unlink(t, i);
			lru_push_newest(t, i);
			return &t->e[i];
		}
	}
	if (!create)
		return NULL;
	if (t->free_list != NIL) {
		i = t->free_list;
		t->free_list = t->e[i].hnext;
		t->n++;
	} else {
		i = t->oldest;
		lru_unlink(t, i);
		chain_remove(t, i);
	}
	memcpy(t->e[i].id, id, sizeof(t->e[i].id));
	t->e[i].units = t->full;
	t->e[i].last_ms = now_ms;
	t->e[i].hnext = t->heads[h];
	t->heads[h] = i;
	lru_push_newest(t, i);
	return &t->e[i];
}

static void
refill(const struct table *t, struct entry *e, int64_t now_ms)
{
	int64_t elapsed;

	if (now_ms <= e->last_ms)
		return;          /* a clock that stands still (or steps back) adds nothing */
	elapsed = now_ms - e->last_ms;
	e->last_ms = now_ms;
	/* Compare before multiplying so a long idle time cannot overflow. */
	if (elapsed >= (t->full - e->units) / t->rate + 1)
		e->units = t->full;
	else
		e->units += elapsed * t->rate;
	if (e->units > t->full)
		e->units = t->full;
}

/* Seconds until the bucket holds one request, rounded up, at least 1. */
static unsigned
retry_after(const struct table *t, const struct entry *e)
{
	int64_t ms = (UNIT - e->units + t->rate - 1) / t->rate;
	int64_t s = (ms + 999) / 1000;

	return s < 1 ? 1 : (unsigned)s;
}

static size_t
table_count(struct table *t)
{
	size_t n;

	pthread_mutex_lock(&t->mu);
	n = t->n;
	pthread_mutex_unlock(&t->mu);
	return n;
}

/* ---- per-key buckets ---- */

int
ig_ratelimit_new(unsigned per_minute, unsigned burst, size_t table,
    struct ig_ratelimit **out, struct ig_err *err)
{
	struct ig_ratelimit *rl;

	*out = NULL;
	if ((rl = calloc(1, sizeof(*rl))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	if (table_init(&rl->t, per_minute, burst, table, err) != 0) {
		free(rl);
		return -1;
	}
	*out = rl;
	return 0;
}

bool
ig_ratelimit_take(struct ig_ratelimit *rl, const char *key_id, int64_t now_ms,
    unsigned *retry_after_s)
{
	char id[IG_RATELIMIT_ID_MAX + 1];
	struct entry *e;
	bool ok;

	id_copy(id, key_id);
	pthread_mutex_lock(&rl->t.mu);
	e = table_get(&rl->t, id, now_ms, 1);
	refill(&rl->t, e, now_ms);
	ok = e->units >= UNIT;
	if (ok)
		e->units -= UNIT;
	else if (retry_after_s != NULL)
		*retry_after_s = retry_after(&rl->t, e);
	pthread_mutex_unlock(&rl->t.mu);
	return ok;
}

size_t
ig_ratelimit_count(struct ig_ratelimit *rl)
{
	return table_count(&rl->t);
}

void
ig_ratelimit_free(struct ig_ratelimit *rl)
{
	if (rl == NULL)
		return;
	table_destroy(&rl->t);
	free(rl);
}

/* ---- authentication failures ---- */

int
ig_ratelimit_failures_new(unsigned per_minute, size_t table,
    struct ig_failures **out, struct ig_err *err)
{
	struct ig_failures *f;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	if (table_init(&f->t, per_minute, per_minute, table, err) != 0) {
		free(f);
		return -1;
	}
	*out = f;
	return 0;
}

bool
ig_ratelimit_failures_check(struct ig_failures *f, const char *addr, int64_t now_ms,
    unsigned *retry_after_s)
{
	char id[IG_RATELIMIT_ID_MAX + 1];
	struct entry *e;
	bool ok = true;

	id_copy(id, addr);
	pthread_mutex_lock(&f->t.mu);
	if ((e = table_get(&f->t, id, now_ms, 0)) != NULL) {
		refill(&f->t, e, now_ms);
		ok = e->units >= UNIT;
		if (!ok && retry_after_s != NULL)
			*retry_after_s = retry_after(&f->t, e);
	}
	pthread_mutex_unlock(&f->t.mu);
	return ok;
}

void
ig_ratelimit_failures_record(struct ig_failures *f, const char *addr, int64_t now_ms)
{
	char id[IG_RATELIMIT_ID_MAX + 1];
	struct entry *e;

	id_copy(id, addr);
	pthread_mutex_lock(&f->t.mu);
	e = table_get(&f->t, id, now_ms, 1);
	refill(&f->t, e, now_ms);
	/* No debt below empty: a blocked address is free again after one
	 * refill interval, however often it failed meanwhile. */
	e->units = e->units >= UNIT ? e->units - UNIT : 0;
	pthread_mutex_unlock(&f->t.mu);
}

size_t
ig_ratelimit_failures_count(struct ig_failures *f)
{
	return table_count(&f->t);
}

void
ig_ratelimit_failures_free(struct ig_failures *f)
{
	if (f == NULL)
		return;
	table_destroy(&f->t);
	free(f);
}

/* ---- executions in flight ---- */

struct slot {
	char id[IG_RATELIMIT_ID_MAX + 1];
	unsigned n;                          /* 0: free */
};

struct ig_concurrency {
	pthread_mutex_t mu;
	pthread_cond_t freed;
	unsigned global_max, per_key_max, inflight;
	struct slot *slots;                  /* global_max: one per possible key in flight */
};

int
ig_ratelimit_concurrency_new(unsigned global_max, unsigned per_key_max,
    struct ig_concurrency **out, struct ig_err *err)
{
	struct ig_concurrency *c;
	pthread_condattr_t ca;

	*out = NULL;
	if (global_max < 1 || global_max > IG_CONC_MAX) {
		ig_err_set(err, IG_EINVAL, "global concurrency must be 1..%d", IG_CONC_MAX);
		return -1;
	}
	if (per_key_max > IG_CONC_MAX) {
		ig_err_set(err, IG_EINVAL, "per-key concurrency must be 0..%d", IG_CONC_MAX);
		return -1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->slots = calloc(global_max, sizeof(*c->slots))) == NULL) {
		free(c);
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	c->global_max = global_max;
	c->per_key_max = per_key_max;
	pthread_mutex_init(&c->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->freed, &ca);
	pthread_condattr_destroy(&ca);
	*out = c;
	return 0;
}

static struct slot *
slot_find(struct ig_concurrency *c, const char *id)
{
	unsigned i;

	for (i = 0; i < c->global_max; i++)
		if (c->slots[i].n > 0 && strcmp(c->slots[i].id, id) == 0)
			return &c->slots[i];
	return NULL;
}

bool
ig_ratelimit_concurrency_acquire(struct ig_concurrency *c, const char *key_id,
    int64_t wait_ms, unsigned *retry_after_s)
{
	char id[IG_RATELIMIT_ID_MAX + 1];
	struct timespec deadline;
	struct slot *s;
	unsigned i;
	int timed_out = 0;

	id_copy(id, key_id);
	if (wait_ms < 0)
		wait_ms = 0;
	if (wait_ms > IG_CONC_WAIT_MS_MAX)
		wait_ms = IG_CONC_WAIT_MS_MAX;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += wait_ms / 1000;
	deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->mu);
	for (;;) {
		s = slot_find(c, id);
		if (c->inflight < c->global_max &&
		    (c->per_key_max == 0 || s == NULL || s->n < c->per_key_max))
			break;
		if (timed_out) {
			pthread_mutex_unlock(&c->mu);
			if (retry_after_s != NULL)
				*retry_after_s = IG_CONC_RETRY_AFTER_S;
			return false;
		}
		/* Spurious wakeups and broadcasts loop back to the check. */
		if (pthread_cond_timedwait(&c->freed, &c->mu, &deadline) == ETIMEDOUT)
			timed_out = 1;
	}
	if (s == NULL) {
		/* inflight < global_max, so a free slot exists. */
		for (i = 0; i < c->global_max && c->slots[i].n > 0; i++)
			;
		s = &c->slots[i];
		memcpy(s->id, id, sizeof(s->id));
	}
	s->n++;
	c->inflight++;
	pthread_mutex_unlock(&c->mu);
	return true;
}

void
ig_ratelimit_concurrency_release(struct ig_concurrency *c, const char *key_id)
{
	char id[IG_RATELIMIT_ID_MAX + 1];
	struct slot *s;

	id_copy(id, key_id);
	pthread_mutex_lock(&c->mu);
	if ((s = slot_find(c, id)) != NULL) {
		s->n--;
		c->inflight--;
		/* Waiters wait for different keys: wake them all to re-check. */
		pthread_cond_broadcast(&c->freed);
	}
	pthread_mutex_unlock(&c->mu);
}

unsigned
ig_ratelimit_concurrency_inflight(struct ig_concurrency *c, const char *key_id)
{
	char id[IG_RATELIMIT_ID_MAX + 1];
	struct slot *s;
	unsigned n;

	pthread_mutex_lock(&c->mu);
	if (key_id == NULL) {
		n = c->inflight;
	} else {
		id_copy(id, key_id);
		s = slot_find(c, id);
		n = s ? s->n : 0;
	}
	pthread_mutex_unlock(&c->mu);
	return n;
}

void
ig_ratelimit_concurrency_free(struct ig_concurrency *c)
{
	if (c == NULL)
		return;
	pthread_cond_destroy(&c->freed);
	pthread_mutex_destroy(&c->mu);
	free(c->slots);
	free(c);
}
