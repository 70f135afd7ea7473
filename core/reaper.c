/* reaper.c — container removal in the background, retried until done. */
#include "reaper.h"
#include "docker.h"
#include "log.h"
#include "timefmt.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REAPER_QUEUE_DEFAULT  4096
#define REAPER_RETRY_FIRST_MS 250
#define REAPER_RETRY_MAX_MS   5000
#define REAPER_DRAIN_PAUSE_MS 100

struct doomed {
	char    id[IG_DOCKER_ID_LEN + 1];
	int64_t due_ms;             /* not before this (monotonic) */
	int     attempts;           /* failed removals so far */
};

struct ig_reaper {
	struct ig_reaper_config cfg;
	pthread_mutex_t lock;
	pthread_cond_t  wake;
	pthread_t       thread;
	bool            stopping;
	int64_t         drain_until;
	struct doomed  *q;
	size_t          n, cap;
	size_t          busy;       /* taken off q, being removed now */
};

static bool
is_container_id(const char *id)
{
	size_t i;

	for (i = 0; i < IG_DOCKER_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return id[i] == '\0';
}

static int64_t
backoff_ms(const struct ig_reaper *r, int attempts)
{
	int64_t ms = REAPER_RETRY_FIRST_MS;

	while (--attempts > 0 && ms < r->cfg.retry_max_ms)
		ms *= 2;
	return ms < r->cfg.retry_max_ms ? ms : r->cfg.retry_max_ms;
}

/* Index of the entry due first, or -1 when the queue is empty. */
static long
next_due(const struct ig_reaper *r)
{
	size_t i, best = 0;

	if (r->n == 0)
		return -1;
	for (i = 1; i < r->n; i++)
		if (r->q[i].due_ms < r->q[best].due_ms)
			best = i;
	return (long)best;
}

static void
sleep_until(struct ig_reaper *r, int64_t due_ms)
{
	int64_t wait = due_ms - ig_time_mono_ms();
	struct timespec ts;

	if (wait <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait / 1000;
	ts.tv_nsec += (wait % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&r->wake, &r->lock, &ts);
}

/* One removal, with the lock dropped around the engine call. Returns false
 * when the engine is unreachable (the caller may stop draining). */
static bool
reap_one(struct ig_reaper *r, struct ig_docker *dk, long idx)
{
	struct doomed d = r->q[idx];
	struct ig_err err = { 0 };
	char attempts[16];
	int rc;

	r->q[idx] = r->q[--r->n];
	r->busy++;
	pthread_mutex_unlock(&r->lock);
	rc = ig_docker_container_remove(dk, d.id, &err);
	pthread_mutex_lock(&r->lock);
	r->busy--;
	if (rc == 0 || err.code == IG_ENOENT) {
		if (d.attempts > 0) {
			snprintf(attempts, sizeof(attempts), "%d", d.attempts + 1);
			ig_log(IG_LOG_INFO, "container removed after retries", "container", d.id,
			    "attempts", attempts, NULL);
		}
		return true;
	}
	if (d.attempts == 0)
		ig_log(IG_LOG_WARN, "cannot remove a container yet; retrying", "container", d.id,
		    "error", err.msg, NULL);
	d.attempts++;
	d.due_ms = ig_time_mono_ms() + (r->stopping ? REAPER_DRAIN_PAUSE_MS : backoff_ms(r, d.attempts));
	r->q[r->n++] = d;       /* there is room: it was just taken out */
	return err.code != IG_EDOCKER_DOWN;
}

static void *
reaper_thread(void *arg)
{
	struct ig_reaper *r = arg;
	struct ig_docker_config dcfg = { 0 };
	struct ig_docker *dk = NULL;
	struct ig_err err = { 0 };
	char left[32];

	dcfg.endpoint = r->cfg.endpoint;
	if (ig_docker_new(&dcfg, &dk, &err) != 0)
		ig_log(IG_LOG_ERROR, "container reaper: no Docker client; finished containers "
		    "stay until the next start-up sweep", "error", err.msg, NULL);
	pthread_mutex_lock(&r->lock);
	for (;;) {
		long idx = next_due(r);

		if (r->stopping && (idx < 0 || dk == NULL || ig_time_mono_ms() >= r->drain_until))
			break;
		if (idx < 0 || dk == NULL) {
			sleep_until(r, ig_time_mono_ms() + 60000);
			continue;
		}
		if (r->q[idx].due_ms > ig_time_mono_ms()) {
			int64_t due = r->q[idx].due_ms;
			if (r->stopping && due > r->drain_until)
				due = r->drain_until;
			sleep_until(r, due);
			continue;
		}
		if (!reap_one(r, dk, idx) && r->stopping)
			break;      /* no engine to drain to: the start-up sweep will do */
	}
	if (r->n > 0) {
		snprintf(left, sizeof(left), "%zu", r->n);
		ig_log(IG_LOG_WARN, "containers not removed at shutdown; the next start-up sweep "
		    "removes them", "count", left, NULL);
	}
	pthread_mutex_unlock(&r->lock);
	ig_docker_free(dk);
	return NULL;
}

int
ig_reaper_new(const struct ig_reaper_config *cfg, struct ig_reaper **out, struct ig_err *err)
{
	struct ig_reaper *r;

	if (cfg->endpoint == NULL) {
		ig_err_set(err, IG_EINVAL, "container reaper: an engine endpoint is required");
		return -1;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	r->cfg = *cfg;
	if (r->cfg.max_queue == 0)
		r->cfg.max_queue = REAPER_QUEUE_DEFAULT;
	if (r->cfg.retry_max_ms <= 0)
		r->cfg.retry_max_ms = REAPER_RETRY_MAX_MS;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	if (pthread_create(&r->thread, NULL, reaper_thread, r) != 0) {
		ig_err_sys(err, IG_EIO, "container reaper thread");
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->lock);
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

int
ig_reaper_add(struct ig_reaper *r, const char *id)
{
	int rc = -1;

	if (r == NULL || id == NULL || !is_container_id(id))
		return -1;
	pthread_mutex_lock(&r->lock);
	if (!r->stopping && r->n < r->cfg.max_queue) {
		if (r->n == r->cap) {
			size_t ncap = r->cap ? r->cap * 2 : 16;
			struct doomed *nq;
			if (ncap > r->cfg.max_queue)
				ncap = r->cfg.max_queue;
			if ((nq = realloc(r->q, ncap * sizeof(*nq))) == NULL)
				goto out;
			r->q = nq;
			r->cap = ncap;
		}
		memcpy(r->q[r->n].id, id, IG_DOCKER_ID_LEN + 1);
		r->q[r->n].due_ms = ig_time_mono_ms();
		r->q[r->n].attempts = 0;
		r->n++;
		pthread_cond_signal(&r->wake);
		rc = 0;
	}
out:
	pthread_mutex_unlock(&r->lock);
	return rc;
}

size_t
ig_reaper_pending(struct ig_reaper *r)
{
	size_t n;

	pthread_mutex_lock(&r->lock);
	n = r->n + r->busy;
	pthread_mutex_unlock(&r->lock);
	return n;
}

void
ig_reaper_free(struct ig_reaper *r, long drain_ms)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	r->drain_until = ig_time_mono_ms() + (drain_ms > 0 ? drain_ms : 0);
	/* What waits for a retry is due now: the drain gets one more go at it. */
	for (size_t i = 0; i < r->n; i++)
		r->q[i].due_ms = ig_time_mono_ms();
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	free(r->q);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
