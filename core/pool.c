/* pool.c — warm, single-use containers made ahead of demand. */
#include "pool.h"
#include "docker.h"
#include "exec.h"
#include "log.h"
#include "timefmt.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#define POOL_KEYS_MAX 64            /* distinct configurations with demand */
#define POOL_TICK_MS  1000
/* While a taken container runs, refilling waits (at most this long): a new
 * container's start and runtime boot would take the CPU the run needs. */
#define POOL_DEFER_MAX_MS 1000

struct entry {
	struct ig_exec_warm *w;
	char   *key;
	char    image_id[80];
	int64_t created_ms;
};

struct demand {
	char   *key;
	bool    pinned;             /* declared ahead (ig_pool_declare): never expires */
	int64_t last_ms;            /* last request for this key */
	int     failures;           /* consecutive creation failures (backoff) */
	int64_t retry_ms;
};

struct ig_pool {
	struct ig_pool_config cfg;
	pthread_mutex_t lock;
	pthread_cond_t  wake;
	pthread_t       thread;
	bool            stopping;
	struct entry   *entries;
	size_t          n, cap;
	struct demand   demands[POOL_KEYS_MAX];
	size_t          ndemands;
	size_t          active;     /* taken containers whose run has not ended */
	int64_t         defer_until;
};

static void
entry_drop(struct ig_docker *dk, struct entry *e)
{
	ig_exec_warm_discard(dk, e->w);
	free(e->key);
}

/* Image id of the "Image" of a configuration, or "" when unknown. */
static void
image_id_of(struct ig_docker *dk, const char *key, char *out, size_t len)
{
	struct json_object *cfg = json_tokener_parse(key), *img;
	struct ig_docker_image *info = NULL;

	out[0] = '\0';
	if (cfg != NULL && json_object_object_get_ex(cfg, "Image", &img) &&
	    ig_docker_image_inspect(dk, json_object_get_string(img), &info, NULL) == 0) {
		snprintf(out, len, "%s", info->id);
		ig_docker_image_free(info);
	}
	json_object_put(cfg);
}

static size_t
count_key(const struct ig_pool *p, const char *key)
{
	size_t i, n = 0;

	for (i = 0; i < p->n; i++)
		n += strcmp(p->entries[i].key, key) == 0;
	return n;
}

/* One refill round: expire, drop stale images, create what is missing.
 * Called with the lock held; drops it around engine calls. */
static void
refill(struct ig_pool *p, struct ig_docker *dk)
{
	int64_t now = ig_time_mono_ms();
	size_t i;

	/* Expire idle entries and keys nobody asked for lately. */
	for (i = 0; i < p->n; ) {
		if (now - p->entries[i].created_ms > p->cfg.idle_ms) {
			struct entry e = p->entries[i];
			p->entries[i] = p->entries[--p->n];
			pthread_mutex_unlock(&p->lock);
			entry_drop(dk, &e);
			pthread_mutex_lock(&p->lock);
		} else {
			i++;
		}
	}
	for (i = 0; i < p->ndemands; ) {
		if (!p->demands[i].pinned && now - p->demands[i].last_ms > p->cfg.idle_ms) {
			free(p->demands[i].key);
			p->demands[i] = p->demands[--p->ndemands];
		} else {
			i++;
		}
	}
	/* Fill each demanded key up to per_key, within the total bound. */
	for (i = 0; i < p->ndemands && !p->stopping; i++) {
		struct demand *d = &p->demands[i];

		while (!p->stopping && count_key(p, d->key) < p->cfg.per_key && p->n < p->cfg.max_total &&
		    ig_time_mono_ms() >= d->retry_ms &&
		    (p->active == 0 || ig_time_mono_ms() >= p->defer_until)) {
			struct json_object *config;
			struct ig_exec_warm *w = NULL;
			struct ig_err err = { 0 };
			char *key = strdup(d->key), image[80];
			int rc = -1;

			if (key == NULL)
				break;
			pthread_mutex_unlock(&p->lock);
			image_id_of(dk, key, image, sizeof(image));
			if ((config = json_tokener_parse(key)) != NULL)
				rc = ig_exec_start(dk, config, NULL, &w, &err);
			json_object_put(config);
			pthread_mutex_lock(&p->lock);
			/* The demand table may have changed while unlocked. */
			d = NULL;
			for (size_t j = 0; j < p->ndemands; j++)
				if (strcmp(p->demands[j].key, key) == 0)
					d = &p->demands[j];
			if (rc != 0) {
				ig_log(IG_LOG_WARN, "warm pool: cannot start a container", "error", err.msg, NULL);
				if (d != NULL) {
					d->failures++;
					d->retry_ms = ig_time_mono_ms() + (int64_t)1000 * (d->failures < 30 ? d->failures : 30);
				}
				free(key);
				break;
			}
			if (d != NULL)
				d->failures = 0;
			if (p->n == p->cap) {
				size_t ncap = p->cap ? p->cap * 2 : 8;
				struct entry *ne = realloc(p->entries, ncap * sizeof(*ne));
				if (ne == NULL) {
					pthread_mutex_unlock(&p->lock);
					ig_exec_warm_discard(dk, w);
					pthread_mutex_lock(&p->lock);
					free(key);
					break;
				}
				p->entries = ne;
				p->cap = ncap;
			}
			p->entries[p->n].w = w;
			p->entries[p->n].key = key;
			p->entries[p->n].created_ms = ig_time_mono_ms();
			memcpy(p->entries[p->n].image_id, image, sizeof(image));
			p->n++;
			if (d == NULL)
				break;
		}
	}
}

/* Drops entries whose image is no longer what their tag names. */
static void
drop_stale_images(struct ig_pool *p, struct ig_docker *dk)
{
	size_t i;

	for (i = 0; i < p->n; ) {
		char now_id[80], *key = p->entries[i].key;

		pthread_mutex_unlock(&p->lock);
		image_id_of(dk, key, now_id, sizeof(now_id));
		pthread_mutex_lock(&p->lock);
		if (i < p->n && p->entries[i].key == key && now_id[0] != '\0' &&
		    strcmp(now_id, p->entries[i].image_id) != 0) {
			struct entry e = p->entries[i];
			p->entries[i] = p->entries[--p->n];
			pthread_mutex_unlock(&p->lock);
			entry_drop(dk, &e);
			pthread_mutex_lock(&p->lock);
		} else {
			i++;
		}
	}
}

static void *
refill_thread(void *arg)
{
	struct ig_pool *p = arg;
	struct ig_docker_config dcfg = { 0 };
	struct ig_docker *dk = NULL;
	struct ig_err err = { 0 };
	int64_t last_check = 0;

	dcfg.endpoint = p->cfg.endpoint;
	if (ig_docker_new(&dcfg, &dk, &err) != 0) {
		ig_log(IG_LOG_ERROR, "warm pool: no Docker client", "error", err.msg, NULL);
		return NULL;
	}
	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		struct timespec ts;

		refill(p, dk);
		if (ig_time_mono_ms() - last_check > 10 * POOL_TICK_MS) {
			drop_stale_images(p, dk);
			last_check = ig_time_mono_ms();
		}
		if (p->stopping)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += POOL_TICK_MS / 1000;
		pthread_cond_timedwait(&p->wake, &p->lock, &ts);
	}
	/* Shutdown: nothing warm is left behind. */
	while (p->n > 0) {
		struct entry e = p->entries[--p->n];
		pthread_mutex_unlock(&p->lock);
		entry_drop(dk, &e);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	ig_docker_free(dk);
	return NULL;
}

int
ig_pool_new(const struct ig_pool_config *cfg, struct ig_pool **out, struct ig_err *err)
{
	struct ig_pool *p;

	if (cfg->per_key == 0 || cfg->endpoint == NULL) {
		ig_err_set(err, IG_EINVAL, "warm pool: per_key and endpoint are required");
		return -1;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	p->cfg = *cfg;
	if (p->cfg.max_total == 0)
		p->cfg.max_total = cfg->per_key * 8;
	if (p->cfg.idle_ms <= 0)
		p->cfg.idle_ms = 5 * 60 * 1000;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	if (pthread_create(&p->thread, NULL, refill_thread, p) != 0) {
		ig_err_sys(err, IG_EIO, "warm pool thread");
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

/* Records demand for key (a new key while there is room). Lock held.
 * Returns whether the key is tracked. */
static bool
note_demand(struct ig_pool *p, const char *key, bool pinned)
{
	size_t i;

	for (i = 0; i < p->ndemands; i++)
		if (strcmp(p->demands[i].key, key) == 0)
			break;
	if (i == p->ndemands && p->ndemands < POOL_KEYS_MAX) {
		p->demands[i].key = strdup(key);
		p->demands[i].pinned = false;
		p->demands[i].failures = 0;
		p->demands[i].retry_ms = 0;
		if (p->demands[i].key != NULL)
			p->ndemands++;
	}
	if (i == p->ndemands)
		return false;
	p->demands[i].last_ms = ig_time_mono_ms();
	p->demands[i].pinned |= pinned;
	return true;
}

int
ig_pool_declare(struct ig_pool *p, const char *key)
{
	int rc;

	pthread_mutex_lock(&p->lock);
	rc = note_demand(p, key, true) ? 0 : -1;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

void
ig_pool_unpin_all(struct ig_pool *p)
{
	size_t i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->ndemands; i++)
		p->demands[i].pinned = false;
	pthread_mutex_unlock(&p->lock);
}

struct ig_exec_warm *
ig_pool_take(struct ig_pool *p, struct ig_docker *dk, const char *key)
{
	struct ig_exec_warm *w = NULL;
	size_t i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->n; i++) {
		if (strcmp(p->entries[i].key, key) == 0) {
			w = p->entries[i].w;
			free(p->entries[i].key);
			p->entries[i] = p->entries[--p->n];
			p->active++;
			p->defer_until = ig_time_mono_ms() + POOL_DEFER_MAX_MS;
			break;
		}
	}
	note_demand(p, key, false);
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);

	/* A warm container that died while waiting is no use. Its stream says
	 * so without an engine call: a waiting launcher writes nothing, so only
	 * a stream with something to read (an end, or a runtime's warning)
	 * needs the engine asked. */
	if (w != NULL && !ig_exec_warm_quiet(w)) {
		struct ig_docker_state st;
		if (ig_docker_container_inspect(dk, ig_exec_warm_id(w), &st, NULL) != 0 || !st.running) {
			ig_exec_warm_discard(dk, w);
			w = NULL;
			ig_pool_done(p);
		}
	}
	return w;
}

void
ig_pool_done(struct ig_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->active > 0)
		p->active--;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

size_t
ig_pool_ready(struct ig_pool *p)
{
	size_t n;

	pthread_mutex_lock(&p->lock);
	n = p->n;
	pthread_mutex_unlock(&p->lock);
	return n;
}

void
ig_pool_free(struct ig_pool *p)
{
	size_t i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	for (i = 0; i < p->ndemands; i++)
		free(p->demands[i].key);
	free(p->entries);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
