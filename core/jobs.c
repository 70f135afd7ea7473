/* jobs.c — async runs: bounded queue, workers, cancellation, idempotency,
 * callbacks. */
#include "jobs.h"
#include "docker.h"
#include "bounds.h"
#include "log.h"
#include "request.h"
#include "metrics.h"
#include "ratelimit.h"
#include "runtime.h"
#include "service.h"
#include "timefmt.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SLOT_POLL_MS 1000            /* a worker waiting for an execution slot rechecks cancel */

struct job {
	struct job *next, *prev;
	struct ig_job_spec s;
	volatile int cancel;
	char queued_at[IG_ISO_TIME_LEN];
};

struct idem {
	unsigned char key[32];          /* SHA-256 of key id, "\n", Idempotency-Key */
	unsigned char fp[32];
	char    run_id[IG_RUN_ID_LEN + 1];
	int64_t expires;                /* ig_time_mono_ms */
	int64_t made;
};

struct job_list {
	struct job *head, *tail;
	size_t n;
};

struct ig_jobs {
	struct ig_jobs_config cfg;
	struct ig_webhooks *wh;
	unsigned char secret[IG_WEBHOOK_SECRET_BYTES];
	pthread_mutex_t mu;
	pthread_cond_t  work_cv;        /* a job was queued, or stopping */
	pthread_cond_t  done_cv;        /* a job left the running list, or a worker exited */
	struct job_list queue, running;
	size_t   reserved;              /* queue places promised to a submit in progress */
	bool     stopping;
	int64_t  deadline;
	unsigned active;                /* workers alive */
	pthread_t *threads;
	unsigned nthreads;
	struct idem *idem;
	size_t   idem_n;
};

/* ---- lists ---------------------------------------------------------------- */

static void
list_push(struct job_list *l, struct job *j)
{
	j->next = NULL;
	j->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->n++;
}

static void
list_remove(struct job_list *l, struct job *j)
{
	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		l->head = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	else
		l->tail = j->prev;
	j->next = j->prev = NULL;
	l->n--;
}

static struct job *
list_find(const struct job_list *l, const char *id)
{
	struct job *j;

	for (j = l->head; j != NULL; j = j->next)
		if (strcmp(j->s.run_id, id) == 0)
			return j;
	return NULL;
}

void
ig_job_spec_free(struct ig_job_spec *spec)
{
	if (spec == NULL)
		return;
	ig_adhoc_run_free(&spec->run);
	free(spec->input);
	free(spec->stdin_data);
	json_object_put(spec->extra);
	free(spec->callback_url);
	memset(spec, 0, sizeof(*spec));
}

static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	ig_job_spec_free(&j->s);
	free(j);
}

/* ---- reports of the states a job goes through ------------------------------ */

/* The fields every state shares. A new reference, or NULL. */
static struct json_object *
state_report(const struct job *j, const char *status, const char *started)
{
	const struct ig_run_prepared *p = &j->s.run.prep;
	struct json_object *r = json_object_new_object(), *rt;
	char url[64];

	if (r == NULL)
		return NULL;
	snprintf(url, sizeof(url), "/runs/%s", j->s.run_id);
	json_object_object_add(r, "runId", json_object_new_string(j->s.run_id));
	json_object_object_add(r, "serviceName", json_object_new_string(
	    p->svc != NULL ? p->svc->name : "unknown"));
	json_object_object_add(r, "reportUrl", json_object_new_string(url));
	json_object_object_add(r, "kind", json_object_new_string(j->s.kind ? j->s.kind : "service"));
	json_object_object_add(r, "status", json_object_new_string(status));
	json_object_object_add(r, "async", json_object_new_boolean(1));
	json_object_object_add(r, "startedAt", json_object_new_string(started));
	if (p->rt != NULL) {
		rt = json_object_new_object();
		json_object_object_add(rt, "name", json_object_new_string(p->rt->name));
		json_object_object_add(rt, "version", json_object_new_string(p->rt->version));
		json_object_object_add(rt, "image", json_object_new_string(p->rt->image));
		json_object_object_add(r, "runtime", rt);
	}
	json_object_object_add(r, "audit", json_object_new_boolean(j->s.audit));
	if (j->s.extra != NULL) {
		json_object_object_foreach(j->s.extra, k, v)
			json_object_object_add(r, k, json_object_get(v));
	}
	return r;
}

/* A final report for a job that never ran (cancelled, or no engine). */
static struct json_object *
ended_report(const struct job *j, const char *status, const char *code, const char *message)
{
	struct json_object *r, *e;
	char now[IG_ISO_TIME_LEN];

	ig_time_iso_now(now, sizeof(now));
	if ((r = state_report(j, status, j->queued_at)) == NULL)
		return NULL;
	json_object_object_add(r, "success", json_object_new_boolean(0));
	e = json_object_new_object();
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(r, "error", e);
	json_object_object_add(r, "finishedAt", json_object_new_string(now));
	return r;
}

static void
store_put(struct ig_jobs *jobs, const char *id, struct json_object *r)
{
	struct ig_err err = { 0 };

	if (r != NULL && ig_store_put(jobs->cfg.store, id, r, &err) != 0)
		ig_log(IG_LOG_ERROR, "async run: cannot store its report", "run", id, "error", err.msg, NULL);
}

/* Hands the final report to the deliverer when the job has a callback. */
static void
send_callback(struct ig_jobs *jobs, const struct job *j, struct json_object *report)
{
	struct json_object *sent = NULL;
	struct ig_err err = { 0 };
	const char *text = NULL;
	size_t len = 0;

	if (j->s.callback_url == NULL || report == NULL || jobs->wh == NULL)
		return;
	/* The receiver is a client: it gets what GET /api/runs/{id} shows,
	 * engine and storage failures in fixed words, never server paths. */
	if (json_object_deep_copy(report, &sent, NULL) == 0) {
		ig_request_failure_hide(sent);
		text = json_object_to_json_string_length(sent, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	}
	if (text == NULL || ig_webhooks_enqueue(jobs->wh, j->s.run_id, j->s.key_id,
	    j->s.callback_url, text, len, &err) != 0) {
		struct json_object *c = json_object_new_object();
		json_object_object_add(c, "delivered", json_object_new_boolean(0));
		json_object_object_add(c, "attempts", json_object_new_int(0));
		json_object_object_add(c, "error", json_object_new_string(err.msg[0] ? err.msg : "out of memory"));
		json_object_object_add(report, "callback", c);
		store_put(jobs, j->s.run_id, report);
	}
	json_object_put(sent);
}

/* The deliverer's verdict, recorded in the stored report. */
static void
callback_done(void *arg, const char *run_id, const struct ig_webhook_outcome *o)
{
	struct ig_jobs *jobs = arg;
	struct json_object *r = NULL, *c;

	if (ig_store_get(jobs->cfg.store, run_id, &r, NULL) != 0)
		return;
	c = json_object_new_object();
	json_object_object_add(c, "delivered", json_object_new_boolean(o->delivered));
	json_object_object_add(c, "attempts", json_object_new_int(o->attempts));
	json_object_object_add(c, "httpStatus", o->http_status > 0 ? json_object_new_int64(o->http_status) : NULL);
	if (!o->delivered)
		json_object_object_add(c, "error", json_object_new_string(o->error));
	json_object_object_add(r, "callback", c);
	store_put(jobs, run_id, r);
	json_object_put(r);
}

/* ---- workers ---------------------------------------------------------------- */

static int
default_run(void *arg, const struct ig_run_ctx *ctx, const struct ig_run_prepared *prep,
    const struct ig_run_request *req, struct json_object **report, struct ig_err *err)
{
	(void)arg;
	return ig_run_prepared(ctx, prep, req, report, err);
}

static void
run_job(struct ig_jobs *jobs, struct job *j, struct ig_docker *docker)
{
	struct ig_run_ctx ctx = { jobs->cfg.registry, docker, jobs->cfg.store, NULL, NULL };
	struct ig_run_request req;
	struct json_object *report = NULL, *v;
	struct ig_err err = { 0 };
	char now[IG_ISO_TIME_LEN];
	bool slot = false;
	int64_t t0;

	if (jobs->cfg.slots != NULL) {
		while (!j->cancel) {
			if (ig_ratelimit_concurrency_acquire(jobs->cfg.slots, j->s.key_id, SLOT_POLL_MS, NULL)) {
				slot = true;
				break;
			}
			pthread_mutex_lock(&jobs->mu);
			if (jobs->stopping && ig_time_mono_ms() >= jobs->deadline)
				j->cancel = 1;
			pthread_mutex_unlock(&jobs->mu);
		}
	}
	if (j->cancel) {
		if (slot)
			ig_ratelimit_concurrency_release(jobs->cfg.slots, j->s.key_id);
		report = ended_report(j, "cancelled", "cancelled", "cancelled before it started");
		store_put(jobs, j->s.run_id, report);
		goto done;
	}
	ig_time_iso_now(now, sizeof(now));
	report = state_report(j, "running", now);
	store_put(jobs, j->s.run_id, report);
	json_object_put(report);
	report = NULL;

	/* Warm containers fit services only: an ad-hoc run's mount is new each time. */
	if (j->s.run.dir.name[0] == '\0')
		ctx.pool = jobs->cfg.pool;
	ctx.reaper = jobs->cfg.reaper;
	memset(&req, 0, sizeof(req));
	req.audit = j->s.audit;
	req.skip_preflight = j->s.skip_preflight;
	req.input_json = j->s.input;
	req.input_len = j->s.input_len;
	req.stdin_data = j->s.stdin_data;
	req.stdin_len = j->s.stdin_len;
	req.max_memory_mb = j->s.max_memory_mb;
	req.max_timeout_ms = j->s.max_timeout_ms;
	req.max_cpu = j->s.max_cpu;
	req.output_max = j->s.output_max;
	req.pids_limit = j->s.pids_limit;
	req.cancel = &j->cancel;
	req.run_id = j->s.run_id;
	req.kind = j->s.kind;
	req.extra = j->s.extra;
	t0 = ig_time_mono_ms();
	ig_metrics_inflight(1);
	jobs->cfg.run(jobs->cfg.run_arg, &ctx, &j->s.run.prep, &req, &report, &err);
	ig_metrics_inflight(-1);
	if (slot)
		ig_ratelimit_concurrency_release(jobs->cfg.slots, j->s.key_id);
	if (report == NULL) {
		/* Not even an error report could be stored: try once more. */
		report = ended_report(j, "error", ig_err_name(err.code), err.msg[0] ? err.msg :
		    "the run could not be recorded");
		store_put(jobs, j->s.run_id, report);
	}
	if (json_object_object_get_ex(report, "status", &v))
		ig_metrics_execution(j->s.run.prep.svc ? j->s.run.prep.svc->name : "unknown",
		    json_object_get_string(v), (double)(ig_time_mono_ms() - t0) / 1000.0);
done:
	/* The ad-hoc directory goes as soon as the container has. */
	ig_adhoc_run_free(&j->s.run);
	send_callback(jobs, j, report);
	json_object_put(report);
}

static void *
worker(void *arg)
{
	struct ig_jobs *jobs = arg;
	struct ig_docker *docker = NULL;
	struct ig_err err = { 0 };

	if (jobs->cfg.endpoint != NULL) {
		struct ig_docker_config dc = { 0 };
		dc.endpoint = jobs->cfg.endpoint;
		if (ig_docker_new(&dc, &docker, &err) != 0)
			ig_log(IG_LOG_ERROR, "async worker: docker client", "error", err.msg, NULL);
	}
	pthread_mutex_lock(&jobs->mu);
	for (;;) {
		struct job *j;

		while (jobs->queue.head == NULL && !jobs->stopping)
			pthread_cond_wait(&jobs->work_cv, &jobs->mu);
		if (jobs->queue.head == NULL)
			break;
		if (jobs->stopping && ig_time_mono_ms() >= jobs->deadline)
			break;
		j = jobs->queue.head;
		list_remove(&jobs->queue, j);
		list_push(&jobs->running, j);
		pthread_mutex_unlock(&jobs->mu);

		run_job(jobs, j, docker);

		pthread_mutex_lock(&jobs->mu);
		list_remove(&jobs->running, j);
		pthread_cond_broadcast(&jobs->done_cv);
		pthread_mutex_unlock(&jobs->mu);
		job_free(j);
		pthread_mutex_lock(&jobs->mu);
	}
	jobs->active--;
	pthread_cond_broadcast(&jobs->done_cv);
	pthread_mutex_unlock(&jobs->mu);
	ig_docker_free(docker);
	return NULL;
}

/* ---- start-up recovery ------------------------------------------------------ */

/* Runs a dead daemon left queued or running can never finish. */
static void
recover(struct ig_store *st)
{
	char before[IG_RUN_ID_LEN + 1] = "", now[IG_ISO_TIME_LEN];
	size_t seen = 0;

	ig_time_iso_now(now, sizeof(now));
	while (seen < IG_JOBS_RECOVER_MAX) {
		struct json_object *list = NULL, *runs, *next;
		size_t i, n;

		if (ig_store_list(st, NULL, 1000, before[0] ? before : NULL, &list, NULL) != 0)
			return;
		if (!json_object_object_get_ex(list, "runs", &runs))
			n = 0;
		else
			n = json_object_array_length(runs);
		for (i = 0; i < n; i++) {
			struct json_object *s = json_object_array_get_idx(runs, i), *v, *r = NULL, *e;
			const char *status, *id;

			if (!json_object_object_get_ex(s, "status", &v) || !json_object_object_get_ex(s, "runId", &e))
				continue;
			status = json_object_get_string(v);
			id = json_object_get_string(e);
			if (strcmp(status, "queued") != 0 && strcmp(status, "running") != 0)
				continue;
			if (ig_store_get(st, id, &r, NULL) != 0)
				continue;
			json_object_object_add(r, "status", json_object_new_string("error"));
			json_object_object_add(r, "success", json_object_new_boolean(0));
			e = json_object_new_object();
			json_object_object_add(e, "code", json_object_new_string("interrupted"));
			json_object_object_add(e, "message", json_object_new_string(
			    "the daemon stopped before this run finished"));
			json_object_object_add(r, "error", e);
			json_object_object_add(r, "finishedAt", json_object_new_string(now));
			ig_store_put(st, id, r, NULL);
			ig_log(IG_LOG_WARN, "async run left unfinished by a previous daemon marked interrupted",
			    "run", id, NULL);
			json_object_put(r);
		}
		seen += n;
		if (!json_object_object_get_ex(list, "next", &next) || next == NULL || n == 0) {
			json_object_put(list);
			return;
		}
		snprintf(before, sizeof(before), "%s", json_object_get_string(next));
		json_object_put(list);
	}
}

/* ---- start, submit, cancel, stop ------------------------------------------- */

int
ig_jobs_start(const struct ig_jobs_config *cfg, struct ig_jobs **out, struct ig_err *err)
{
	struct ig_jobs *jobs;
	struct ig_webhooks_config wc;
	unsigned i;

	if (cfg->store == NULL) {
		ig_err_set(err, IG_EINTERNAL, "async runs need a run store");
		return -1;
	}
	if ((jobs = calloc(1, sizeof(*jobs))) == NULL ||
	    (jobs->idem = calloc(IG_IDEM_TABLE, sizeof(*jobs->idem))) == NULL) {
		free(jobs);
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	jobs->cfg = *cfg;
	if (jobs->cfg.queue_max == 0)
		jobs->cfg.queue_max = IG_JOBS_QUEUE_DEFAULT;
	if (jobs->cfg.workers == 0)
		jobs->cfg.workers = IG_JOBS_WORKERS_DEFAULT;
	if (jobs->cfg.idem_ttl_s <= 0)
		jobs->cfg.idem_ttl_s = IG_IDEM_TTL_S_DEFAULT;
	if (jobs->cfg.run == NULL)
		jobs->cfg.run = default_run;
	memcpy(jobs->secret, cfg->webhook.server_secret, sizeof(jobs->secret));
	jobs->cfg.webhook.allow = NULL;
	OPENSSL_cleanse(jobs->cfg.webhook.server_secret, sizeof(jobs->cfg.webhook.server_secret));
	pthread_mutex_init(&jobs->mu, NULL);
	pthread_cond_init(&jobs->work_cv, NULL);
	pthread_cond_init(&jobs->done_cv, NULL);

	recover(cfg->store);
	wc = cfg->webhook;
	wc.on_done = callback_done;
	wc.arg = jobs;
	if (ig_webhooks_start(&wc, &jobs->wh, err) != 0) {
		OPENSSL_cleanse(wc.server_secret, sizeof(wc.server_secret));
		ig_jobs_stop(jobs, 0);
		return -1;
	}
	OPENSSL_cleanse(wc.server_secret, sizeof(wc.server_secret));
	if ((jobs->threads = calloc(jobs->cfg.workers, sizeof(*jobs->threads))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		ig_jobs_stop(jobs, 0);
		return -1;
	}
	for (i = 0; i < jobs->cfg.workers; i++) {
		pthread_mutex_lock(&jobs->mu);
		jobs->active++;
		pthread_mutex_unlock(&jobs->mu);
		if (pthread_create(&jobs->threads[i], NULL, worker, jobs) != 0) {
			pthread_mutex_lock(&jobs->mu);
			jobs->active--;
			pthread_mutex_unlock(&jobs->mu);
			ig_err_sys(err, IG_EIO, "pthread_create");
			ig_jobs_stop(jobs, 0);
			return -1;
		}
		jobs->nthreads = i + 1;
	}
	*out = jobs;
	return 0;
}

int
ig_jobs_submit(struct ig_jobs *jobs, struct ig_job_spec *specs, size_t n, struct ig_err *err)
{
	struct job **made = NULL;
	size_t i;
	int rc = -1;

	pthread_mutex_lock(&jobs->mu);
	if (jobs->stopping) {
		pthread_mutex_unlock(&jobs->mu);
		ig_err_set(err, IG_EINVAL, "the daemon is stopping; no new runs are accepted");
		return -1;
	}
	if (jobs->queue.n + jobs->reserved + n > jobs->cfg.queue_max) {
		pthread_mutex_unlock(&jobs->mu);
		ig_err_set(err, IG_ETOOBIG, "the async queue is full (%zu runs waiting); retry later",
		    jobs->cfg.queue_max);
		return -1;
	}
	jobs->reserved += n;
	pthread_mutex_unlock(&jobs->mu);

	if ((made = calloc(n > 0 ? n : 1, sizeof(*made))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct json_object *r;
		struct job *j;

		if (specs[i].run_id[0] == '\0' && ig_store_new_id(specs[i].run_id, err) != 0)
			goto undo;
		if ((j = calloc(1, sizeof(*j))) == NULL) {
			ig_err_set(err, IG_ENOMEM, "out of memory");
			goto undo;
		}
		made[i] = j;
		j->s = specs[i];
		ig_time_iso_now(j->queued_at, sizeof(j->queued_at));
		if (j->s.extra == NULL && (j->s.extra = json_object_new_object()) == NULL) {
			ig_err_set(err, IG_ENOMEM, "out of memory");
			goto undo;
		}
		json_object_object_add(j->s.extra, "queuedAt", json_object_new_string(j->queued_at));
		json_object_object_add(j->s.extra, "async", json_object_new_boolean(1));
		if ((r = state_report(j, "queued", j->queued_at)) == NULL) {
			ig_err_set(err, IG_ENOMEM, "out of memory");
			goto undo;
		}
		if (ig_store_put(jobs->cfg.store, j->s.run_id, r, err) != 0) {
			json_object_put(r);
			goto undo;
		}
		json_object_put(r);
	}
	/* Everything stored: the jobs own the specs from here on. */
	pthread_mutex_lock(&jobs->mu);
	for (i = 0; i < n; i++) {
		char id[IG_RUN_ID_LEN + 1];
		memcpy(id, specs[i].run_id, sizeof(id));
		memset(&specs[i], 0, sizeof(specs[i]));
		memcpy(specs[i].run_id, id, sizeof(id));
		list_push(&jobs->queue, made[i]);
	}
	jobs->reserved -= n;
	pthread_cond_broadcast(&jobs->work_cv);
	pthread_mutex_unlock(&jobs->mu);
	free(made);
	return 0;
undo:
	/* Reports already stored say the run never started. */
	for (i = 0; i < n && made != NULL; i++) {
		struct job *j = made[i];
		if (j == NULL)
			continue;
		if (j->s.extra != NULL) {
			json_object_object_del(j->s.extra, "queuedAt");
			json_object_object_del(j->s.extra, "async");
		}
		if (j->queued_at[0] != '\0') {
			struct json_object *r = ended_report(j, "error", "not_queued",
			    "the run could not be queued");
			if (r != NULL)
				ig_store_put(jobs->cfg.store, j->s.run_id, r, NULL);
			json_object_put(r);
		}
		/* The spec still belongs to the caller. */
		specs[i].extra = j->s.extra;
		free(j);
	}
out:
	free(made);
	pthread_mutex_lock(&jobs->mu);
	jobs->reserved -= n;
	pthread_mutex_unlock(&jobs->mu);
	return rc;
}

/* Timed wait on cv until the ig_time_mono_ms time `until`. */
static void
wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t until)
{
	struct timespec ts;
	int64_t wait = until - ig_time_mono_ms();

	if (wait <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(wait / 1000);
	ts.tv_nsec += (long)(wait % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(cv, mu, &ts);
}

int
ig_jobs_cancel(struct ig_jobs *jobs, const char *run_id, const char *key_id, bool admin,
    int64_t wait_ms, struct ig_err *err)
{
	struct job *j;
	int64_t until = ig_time_mono_ms() + wait_ms;

	pthread_mutex_lock(&jobs->mu);
	if ((j = list_find(&jobs->queue, run_id)) != NULL) {
		struct json_object *r;

		if (!admin && strcmp(j->s.key_id, key_id ? key_id : "") != 0)
			goto perm;
		list_remove(&jobs->queue, j);
		pthread_mutex_unlock(&jobs->mu);
		r = ended_report(j, "cancelled", "cancelled", "cancelled before it started");
		store_put(jobs, j->s.run_id, r);
		ig_adhoc_run_free(&j->s.run);
		send_callback(jobs, j, r);
		json_object_put(r);
		job_free(j);
		return IG_JOBS_CANCELLED;
	}
	if ((j = list_find(&jobs->running, run_id)) != NULL) {
		if (!admin && strcmp(j->s.key_id, key_id ? key_id : "") != 0)
			goto perm;
		j->cancel = 1;
		for (;;) {
			if (list_find(&jobs->running, run_id) == NULL) {
				pthread_mutex_unlock(&jobs->mu);
				return IG_JOBS_STOPPED;
			}
			if (ig_time_mono_ms() >= until)
				break;
			wait_until(&jobs->done_cv, &jobs->mu, until);
		}
		pthread_mutex_unlock(&jobs->mu);
		return IG_JOBS_STOPPING;
	}
	pthread_mutex_unlock(&jobs->mu);
	ig_err_set(err, IG_ENOENT, "run %s is not queued or running", run_id);
	return -1;
perm:
	pthread_mutex_unlock(&jobs->mu);
	ig_err_set(err, IG_EPERM, "run %s was started with another API key", run_id);
	return -1;
}

/* ---- idempotency ---------------------------------------------------------------- */

static int
idem_hash(const char *key_id, const char *idem_key, unsigned char out[32], struct ig_err *err)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok;

	ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(c, key_id, strlen(key_id)) == 1 &&
	    EVP_DigestUpdate(c, "\n", 1) == 1 &&
	    EVP_DigestUpdate(c, idem_key, strlen(idem_key)) == 1 &&
	    EVP_DigestFinal_ex(c, out, &n) == 1 && n == 32;
	EVP_MD_CTX_free(c);
	if (!ok)
		ig_err_set(err, IG_EINTERNAL, "SHA-256 failed");
	return ok ? 0 : -1;
}

static int
idem_key_ok(const char *k)
{
	size_t i, n = k ? strlen(k) : 0;

	if (n == 0 || n > IG_IDEM_KEY_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x20 || (unsigned char)k[i] > 0x7e)
			return 0;
	return 1;
}

int
ig_jobs_idem_claim(struct ig_jobs *jobs, const char *key_id, const char *idem_key,
    const unsigned char fingerprint[32], char run_id[IG_RUN_ID_LEN + 1], struct ig_err *err)
{
	unsigned char h[32];
	int64_t now = ig_time_mono_ms();
	struct idem *slot = NULL;
	size_t i;

	if (!idem_key_ok(idem_key)) {
		ig_err_set(err, IG_EINVAL, "Idempotency-Key must be 1 to %d printable ASCII characters",
		    IG_IDEM_KEY_MAX);
		return -1;
	}
	if (idem_hash(key_id ? key_id : "", idem_key, h, err) != 0)
		return -1;
	pthread_mutex_lock(&jobs->mu);
	for (i = 0; i < jobs->idem_n; i++) {
		struct idem *e = &jobs->idem[i];

		if (e->expires <= now)
			continue;
		if (memcmp(e->key, h, sizeof(h)) != 0)
			continue;
		if (CRYPTO_memcmp(e->fp, fingerprint, 32) != 0) {
			pthread_mutex_unlock(&jobs->mu);
			ig_err_set(err, IG_EEXIST, "this Idempotency-Key was used for a different request");
			return -1;
		}
		memcpy(run_id, e->run_id, IG_RUN_ID_LEN + 1);
		pthread_mutex_unlock(&jobs->mu);
		return 1;
	}
	/* A free or expired place, else the oldest entry gives way. */
	for (i = 0; i < jobs->idem_n; i++)
		if (jobs->idem[i].expires <= now) {
			slot = &jobs->idem[i];
			break;
		}
	if (slot == NULL && jobs->idem_n < IG_IDEM_TABLE)
		slot = &jobs->idem[jobs->idem_n++];
	if (slot == NULL) {
		slot = &jobs->idem[0];
		for (i = 1; i < jobs->idem_n; i++)
			if (jobs->idem[i].made < slot->made)
				slot = &jobs->idem[i];
	}
	if (ig_store_new_id(run_id, err) != 0) {
		pthread_mutex_unlock(&jobs->mu);
		return -1;
	}
	memcpy(slot->key, h, sizeof(h));
	memcpy(slot->fp, fingerprint, 32);
	memcpy(slot->run_id, run_id, IG_RUN_ID_LEN + 1);
	slot->made = now;
	slot->expires = now + (int64_t)jobs->cfg.idem_ttl_s * 1000;
	pthread_mutex_unlock(&jobs->mu);
	return 0;
}

void
ig_jobs_idem_release(struct ig_jobs *jobs, const char *key_id, const char *idem_key)
{
	unsigned char h[32];
	size_t i;

	if (!idem_key_ok(idem_key) || idem_hash(key_id ? key_id : "", idem_key, h, NULL) != 0)
		return;
	pthread_mutex_lock(&jobs->mu);
	for (i = 0; i < jobs->idem_n; i++)
		if (memcmp(jobs->idem[i].key, h, sizeof(h)) == 0)
			jobs->idem[i].expires = 0;
	pthread_mutex_unlock(&jobs->mu);
}

size_t
ig_jobs_queued(struct ig_jobs *jobs)
{
	size_t n;

	pthread_mutex_lock(&jobs->mu);
	n = jobs->queue.n;
	pthread_mutex_unlock(&jobs->mu);
	return n;
}

const struct ig_webhook_policy *
ig_jobs_callback_policy(const struct ig_jobs *jobs)
{
	return ig_webhooks_policy(jobs->wh);
}

void
ig_jobs_key_secret(const struct ig_jobs *jobs, const char *key_id,
    char out[IG_WEBHOOK_HEX_LEN + 1])
{
	ig_webhook_key_secret(jobs->secret, key_id, out);
}

void
ig_jobs_stop(struct ig_jobs *jobs, int64_t deadline_ms)
{
	struct job *j;
	bool cancelled = false;
	unsigned i;

	if (jobs == NULL)
		return;
	pthread_mutex_lock(&jobs->mu);
	jobs->stopping = true;
	jobs->deadline = deadline_ms;
	pthread_cond_broadcast(&jobs->work_cv);
	while (jobs->active > 0) {
		if (!cancelled && ig_time_mono_ms() >= deadline_ms) {
			/* Grace is over: running jobs stop (containers killed and removed). */
			for (j = jobs->running.head; j != NULL; j = j->next)
				j->cancel = 1;
			cancelled = true;
		}
		wait_until(&jobs->done_cv, &jobs->mu, cancelled ? ig_time_mono_ms() + 200 : deadline_ms);
	}
	pthread_mutex_unlock(&jobs->mu);
	for (i = 0; i < jobs->nthreads; i++)
		pthread_join(jobs->threads[i], NULL);
	while ((j = jobs->queue.head) != NULL) {
		struct json_object *r;

		list_remove(&jobs->queue, j);
		r = ended_report(j, "cancelled", "cancelled",
		    "the daemon stopped before this run started");
		store_put(jobs, j->s.run_id, r);
		ig_adhoc_run_free(&j->s.run);
		send_callback(jobs, j, r);
		json_object_put(r);
		job_free(j);
	}
	ig_webhooks_stop(jobs->wh, deadline_ms);
	pthread_cond_destroy(&jobs->work_cv);
	pthread_cond_destroy(&jobs->done_cv);
	pthread_mutex_destroy(&jobs->mu);
	OPENSSL_cleanse(jobs->secret, sizeof(jobs->secret));
	free(jobs->idem);
	free(jobs->threads);
	free(jobs);
}
