/*
 * jobs.h — async runs: a bounded queue, a few worker threads, cancellation,
 * idempotency keys, and signed callbacks when a run finishes.
 *
 * A job is a prepared run (a service's or an ad-hoc one, see adhoc.h) plus
 * the request's input and limits. Its report is in the run store from the
 * moment it is accepted, and GET /api/runs/{id} shows it go through
 *
 *   queued → running → success | failed | timeout | oom | error | blocked | cancelled
 *
 * each state written atomically (ig_store_put replaces the previous one).
 * Every worker has its own Docker client, takes an execution slot from the
 * daemon's concurrency limiter (so async and sync runs share the same
 * global and per-key caps), and deletes an ad-hoc run's directory when the
 * run is over. A job with a callback URL has its final report POSTed there
 * (webhook.h); how that went is added to the stored report as "callback".
 *
 * Idempotency: (API key id, Idempotency-Key) pairs map to the run id they
 * created, for a bounded time and number of keys; a repeat gets the same
 * run, a reuse of the key for a different request is refused.
 *
 * Jobs left "queued" or "running" by a daemon that died are marked "error"
 * (code "interrupted") when the next one starts.
 */
#ifndef IG_JOBS_H
#define IG_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adhoc.h"
#include "err.h"
#include "run.h"
#include "store.h"
#include "webhook.h"

struct json_object;
struct ig_concurrency;
struct ig_pool;
struct ig_reaper;
struct ig_docker_endpoint;

#define IG_JOBS_KEY_ID_MAX 32

/* One async run. ig_jobs_submit takes over what it owns. */
struct ig_job_spec {
	struct ig_adhoc_run run;        /* prep (always) and, for ad-hoc runs, dir and files */
	char  *input;                   /* JSON text (owned) or NULL for null */
	size_t input_len;
	char  *stdin_data;              /* owned, or NULL */
	size_t stdin_len;
	bool   audit;
	bool   skip_preflight;
	long   max_memory_mb;           /* per-request limits (only tighten); 0 none */
	long   max_timeout_ms;
	double max_cpu;
	size_t output_max;              /* 0: default */
	long   pids_limit;              /* 0: default */
	const char *kind;               /* static: "service" or "adhoc" */
	struct json_object *extra;      /* owned reference: fields added to the report, or NULL */
	char   key_id[IG_JOBS_KEY_ID_MAX + 1];   /* who asked: concurrency, cancel, callback secret */
	char  *callback_url;            /* owned, or NULL */
	char   run_id[IG_RUN_ID_LEN + 1];        /* "" for a fresh id; receives the id */
};

/* Frees what spec owns (deleting an ad-hoc directory) and zeroes it.
 * NULL-safe. */
void ig_job_spec_free(struct ig_job_spec *spec);

/* Runs one prepared run; ig_run_prepared by default (tests replace it). */
typedef int (*ig_jobs_run_fn)(void *arg, const struct ig_run_ctx *ctx,
    const struct ig_run_prepared *prep, const struct ig_run_request *req,
    struct json_object **report, struct ig_err *err);

struct ig_jobs_config {
	const struct ig_runtime_registry *registry;
	struct ig_store *store;                       /* required */
	const struct ig_docker_endpoint *endpoint;    /* NULL: workers have no engine */
	struct ig_concurrency *slots;                 /* NULL: no shared execution cap */
	struct ig_pool *pool;                         /* warm containers for service runs, or NULL */
	struct ig_reaper *reaper;                     /* container removal off the run, or NULL */
	size_t   queue_max;                           /* 0: IG_JOBS_QUEUE_DEFAULT */
	unsigned workers;                             /* 0: IG_JOBS_WORKERS_DEFAULT */
	long     idem_ttl_s;                          /* 0: IG_IDEM_TTL_S_DEFAULT */
	struct ig_webhooks_config webhook;            /* on_done/arg are set by jobs */
	ig_jobs_run_fn run;                           /* NULL: ig_run_prepared */
	void    *run_arg;
};

struct ig_jobs;

/* Marks stored runs still "queued" or "running" (left by a daemon that
 * died) as "error" with code "interrupted", starts the webhook deliverer
 * and the workers. Returns 0 with *out (stop with ig_jobs_stop), or -1
 * with err. */
int ig_jobs_start(const struct ig_jobs_config *cfg, struct ig_jobs **out, struct ig_err *err);

/* Queues n jobs at once, all or nothing: each gets a run id (its own, or a
 * fresh one), its "queued" report is stored, and it is queued. On success
 * every spec's owned parts have moved into the queue (the specs are zeroed
 * except run_id). Returns 0, or -1 with err: IG_ETOOBIG when the queue
 * cannot take n more (the caller answers 429), IG_EINVAL once stopping
 * began, IG_EIO when a report cannot be stored; the specs are then
 * untouched (still owned by the caller). */
int ig_jobs_submit(struct ig_jobs *jobs, struct ig_job_spec *specs, size_t n, struct ig_err *err);

enum ig_jobs_cancel_result {
	IG_JOBS_CANCELLED = 0,          /* it was queued: it will never run */
	IG_JOBS_STOPPED,                /* it was running: container killed and removed */
	IG_JOBS_STOPPING,               /* it was running and has not ended within wait_ms */
};

/* Cancels the queued or running job run_id of key_id (any key's when admin).
 * Waits up to wait_ms for a running job to end. Returns an enum
 * ig_jobs_cancel_result, or -1 with err: IG_ENOENT when no such job is
 * queued or running (finished or unknown), IG_EPERM when it is another
 * key's. */
int ig_jobs_cancel(struct ig_jobs *jobs, const char *run_id, const char *key_id, bool admin,
    int64_t wait_ms, struct ig_err *err);

/* Looks up or reserves the run id of (key_id, idem_key). fingerprint is a
 * digest of the request (method, path, body). Returns 1 with run_id of the
 * run this pair made before, 0 with a fresh run id now reserved for it (use
 * it as the run's id, or ig_jobs_idem_release it when the request fails
 * before a run exists), or -1 with err: IG_EEXIST when the key was used for
 * a different request, IG_EINVAL for a key that is empty, longer than
 * IG_IDEM_KEY_MAX or not printable ASCII. */
int ig_jobs_idem_claim(struct ig_jobs *jobs, const char *key_id, const char *idem_key,
    const unsigned char fingerprint[32], char run_id[IG_RUN_ID_LEN + 1], struct ig_err *err);

/* Forgets the reservation of (key_id, idem_key). */
void ig_jobs_idem_release(struct ig_jobs *jobs, const char *key_id, const char *idem_key);

/* Jobs waiting in the queue now. */
size_t ig_jobs_queued(struct ig_jobs *jobs);

/* The callback address policy (for checking a callbackUrl at submit time). */
const struct ig_webhook_policy *ig_jobs_callback_policy(const struct ig_jobs *jobs);

/* The webhook secret of key_id (see webhook.h) into out. */
void ig_jobs_key_secret(const struct ig_jobs *jobs, const char *key_id,
    char out[IG_WEBHOOK_HEX_LEN + 1]);

/* Stops accepting jobs; workers keep running queued jobs until deadline_ms
 * (ig_time_mono_ms clock), then running jobs are cancelled, jobs still
 * queued are stored as "cancelled", callbacks due before the deadline are
 * sent, and everything is freed. NULL-safe. */
void ig_jobs_stop(struct ig_jobs *jobs, int64_t deadline_ms);

#endif
