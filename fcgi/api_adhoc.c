/* api_adhoc.c — code sent in the request, async runs, cancellation, batches
 * and idempotency keys (issue: ad-hoc execution). Requests are parsed and
 * answered here; the work is core's: adhoc.h (files, in-memory service),
 * jobs.h (queue, workers, idempotency, callbacks), webhook.h (signatures).
 *
 *   POST   /api/execute                  run files sent in the body
 *   POST   /api/services/{name}/execute  with "async"/"callbackUrl" or an
 *                                        Idempotency-Key: handled here (hook in api.c)
 *   POST   /api/batch                    up to async.batchMax runs, queued at once
 *   GET    /api/runs?batch=<id>          the runs of one batch (other filters: api.c)
 *   DELETE /api/runs/{id}                cancel a queued or running async run
 *   GET    /api/keys/me/webhook-secret   the caller's callback signing secret
 */
#include "server.h"
#include "adhoc.h"
#include "catalog.h"
#include "jobs.h"
#include "keys.h"
#include "bounds.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "report.h"
#include "request.h"
#include "run.h"
#include "service.h"
#include "store.h"
#include "timefmt.h"
#include "webhook.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ig_jobs *jobs;        /* started and stopped by main.c */

/* ---- start and stop ------------------------------------------------------------ */

int
ig_api_jobs_start(const struct ig_docker_endpoint *endpoint, struct ig_err *err)
{
	const struct ig_config *c = &ig_srv->config;
	struct ig_jobs_config jc;
	char path[4200];
	const char *slash = strrchr(c->keys_file, '/');
	int rc;

	/* The server secret lives beside the keys file. */
	if (slash == NULL) {
		ig_err_set(err, IG_EINVAL, "%s: the keys file needs an absolute path", c->keys_file);
		return -1;
	}
	snprintf(path, sizeof(path), "%.*s/webhook.secret", (int)(slash - c->keys_file), c->keys_file);
	memset(&jc, 0, sizeof(jc));
	if (ig_webhook_secret_load(path, jc.webhook.server_secret, err) != 0)
		return -1;
	/* Files of ad-hoc runs a crashed daemon left behind. */
	if ((rc = ig_adhoc_sweep(c->sandbox_work_dir, err)) > 0) {
		char num[16];
		snprintf(num, sizeof(num), "%d", rc);
		ig_log(IG_LOG_INFO, "swept ad-hoc files left by a crashed run", "#count", num, NULL);
	} else if (rc < 0) {
		ig_log(IG_LOG_WARN, "ad-hoc sweep skipped", "error", err->msg, NULL);
	}
	jc.registry = ig_srv->registry;
	jc.store = ig_srv->store;
	jc.endpoint = endpoint;
	jc.slots = ig_srv->slots;
	jc.pool = ig_srv->pool;
	jc.reaper = ig_srv->reaper;
	jc.queue_max = (size_t)c->async_queue;
	jc.workers = (unsigned)c->async_workers;
	jc.idem_ttl_s = c->idempotency_ttl_s;
	jc.webhook.allow = c->callback_allow;
	jc.webhook.retries = (int)c->callback_retries;
	jc.webhook.timeout_ms = c->callback_timeout_ms;
	rc = ig_jobs_start(&jc, &jobs, err);
	OPENSSL_cleanse(jc.webhook.server_secret, sizeof(jc.webhook.server_secret));
	return rc;
}

void
ig_api_jobs_stop(int64_t deadline_ms)
{
	ig_jobs_stop(jobs, deadline_ms);
	jobs = NULL;
}

/* ---- responses ------------------------------------------------------------------ */

/* A JSON response with extra header lines. */
static int
json_resp(struct ig_req *r, int status, struct json_object *body, const char *extra)
{
	size_t len = 0;
	const char *s = json_object_to_json_string_length(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	char *copy;

	if (s == NULL || (copy = malloc(len + 2)) == NULL)
		return ig_resp_error(r, 500, "internal", "out of memory", NULL);
	memcpy(copy, s, len);
	copy[len] = '\n';
	ig_resp_text(r, status, "application/json", copy, len + 1, extra);
	free(copy);
	return status;
}

/* {"success":false,"error":{"code","message","field"}} */
static int
field_error(struct ig_req *r, int status, const char *code, const char *field, const char *message)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();
	int st;

	json_object_object_add(o, "success", json_object_new_boolean(0));
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	if (field != NULL && field[0] != '\0')
		json_object_object_add(e, "field", json_object_new_string(field));
	json_object_object_add(o, "error", e);
	st = json_resp(r, status, o, NULL);
	json_object_put(o);
	return st;
}

static int
busy(struct ig_req *r, const char *code, const char *message)
{
	char body[256];
	int n = snprintf(body, sizeof(body), "{\"success\":false,\"error\":{\"code\":\"%s\","
	    "\"message\":\"%s\"}}\n", code, message);

	return ig_resp_text(r, 429, "application/json", body, (size_t)n, "Retry-After: 1\r\n");
}

/* 202 for an accepted async run. */
static int
accepted(struct ig_req *r, const char *id, const char *status, const char *extra)
{
	struct json_object *o = json_object_new_object();
	char url[64], hdr[160];
	int st;

	snprintf(url, sizeof(url), "/runs/%s", id);
	json_object_object_add(o, "success", json_object_new_boolean(1));
	json_object_object_add(o, "runId", json_object_new_string(id));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "reportUrl", json_object_new_string(url));
	snprintf(url, sizeof(url), "/api/runs/%s", id);
	json_object_object_add(o, "statusUrl", json_object_new_string(url));
	snprintf(hdr, sizeof(hdr), "Location: /api/runs/%s\r\n%s", id, extra ? extra : "");
	st = json_resp(r, 202, o, hdr);
	json_object_put(o);
	return st;
}

/* ---- request bodies (checked by core/request.h) ---------------------------------- */

#define REFUSAL_MSG_MAX 400

/* Why a request was refused: HTTP status, code, field, message. Both texts
 * have room for the "requests[i]" prefix of a batch entry. */
struct refusal {
	int  status;
	const char *code;
	char field[IG_REQUEST_FIELD_MAX + 32];
	char msg[REFUSAL_MSG_MAX + 32];
};

static int
refuse(struct refusal *f, int status, const char *code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int
refuse(struct refusal *f, int status, const char *code, const char *field, const char *fmt, ...)
{
	va_list ap;

	f->status = status;
	f->code = code;
	snprintf(f->field, IG_REQUEST_FIELD_MAX, "%s", field ? field : "");
	va_start(ap, fmt);
	vsnprintf(f->msg, REFUSAL_MSG_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

/* A body core/request.h refused, as this file answers it. Returns -1. */
static int
refuse_body(struct refusal *f, const struct ig_request_error *e)
{
	int status = e->problem == IG_REQUEST_TOO_LARGE ? 413 :
	    e->problem == IG_REQUEST_AUDIT_REQUIRED ? 403 : 400;

	return refuse(f, status, ig_request_problem_name(e->problem), e->field, "%s", e->err.msg);
}

/* Answers f. Returns the status. */
static int
refused(struct ig_req *r, const struct refusal *f)
{
	return field_error(r, f->status, f->code, f->field, f->msg);
}

static struct ig_request_opts
request_opts(void)
{
	struct ig_request_opts o = { ig_srv->config.allow_non_audit, ig_srv->config.batch_max };

	return o;
}

static void
profile_of(struct ig_adhoc_profile *p)
{
	const struct ig_config *c = &ig_srv->config;

	ig_adhoc_profile_defaults(p);
	p->runtimes = c->sandbox_runtimes;
	p->max_memory_mb = c->sandbox_max_memory_mb;
	p->max_cpu = (double)c->sandbox_max_cpus;
	p->max_timeout_ms = c->sandbox_max_timeout_ms;
	p->max_files = (size_t)c->sandbox_max_files;
	p->max_total_bytes = (size_t)c->sandbox_max_total_bytes;
	p->max_file_bytes = (size_t)c->sandbox_max_file_bytes;
	p->max_depth = (size_t)c->sandbox_max_depth;
	p->work_dir = c->sandbox_work_dir;
}

static struct ig_run_ctx
run_ctx(struct ig_req *r, bool service)
{
	/* Warm containers fit services only: an ad-hoc mount is new each run. */
	struct ig_run_ctx c = { ig_srv->registry, r->docker, ig_srv->store,
	    service ? ig_srv->pool : NULL, ig_srv->reaper };

	return c;
}

/* Maps a core error that is not the request's fault. Engine, storage and
 * internal failures get a fixed message; core's, which may name server
 * paths, goes to the log. */
static int
core_failure(struct ig_req *r, struct refusal *f, const struct ig_err *err)
{
	const char *code, *text = ig_request_failure_text(err->code);
	int st = ig_http_status_for(err, &code);

	if (text == NULL)
		return refuse(f, st, code, "", "%s", err->msg);
	ig_log(IG_LOG_ERROR, "error detail not shown to the client", "id", r->request_id,
	    "code", code, "error", err->msg, NULL);
	return refuse(f, st, code, "", "%s", text);
}

/* Prepares the service in dir into *run. Returns 0 or -1 with f filled. */
static int
prepare_service(struct ig_req *r, const char *dir, struct ig_adhoc_run *run, struct refusal *f)
{
	struct ig_run_ctx ctx = run_ctx(r, true);
	struct ig_diags diags = { 0 };
	struct ig_err err = { 0 };
	const char *m;
	char line[600];

	if (ig_run_prepare(&ctx, dir, true, NULL, &run->prep, &diags, &err) == 0)
		return 0;
	if (err.code == IG_EINVAL || err.code == IG_EPERM) {
		if ((m = ig_request_service_problem(&err, dir)) != err.msg)
			ig_log(IG_LOG_ERROR, "service cannot be prepared", "id", r->request_id,
			    "error", err.msg, NULL);
		refuse(f, 400, "invalid_service", "", "%s%s%s", m, diags.n > 0 ? ": " : "",
		    diags.n > 0 ? ig_diag_format(&diags.v[0], line, sizeof(line)) : "");
	} else {
		core_failure(r, f, &err);
	}
	ig_diags_free(&diags);
	return -1;
}

/* Checks and writes the files x sends and prepares them into *run.
 * Returns 0 or -1 with f filled. */
static int
prepare_files(struct ig_req *r, const struct ig_request *x, struct ig_adhoc_run *run,
    struct refusal *f)
{
	struct ig_run_ctx ctx = run_ctx(r, false);
	struct ig_adhoc_profile p;
	struct ig_adhoc_files fs = { 0 };
	struct ig_adhoc_spec spec;
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX] = "";
	int rc;

	profile_of(&p);
	if (ig_adhoc_files_from_json(x->files, &p, &fs, field, sizeof(field), &err) != 0) {
		ig_adhoc_files_free(&fs);
		if (err.code == IG_ENOMEM)
			return core_failure(r, f, &err);
		return refuse(f, 400, "invalid_field", field, "%s", err.msg);
	}
	memset(&spec, 0, sizeof(spec));
	spec.runtime = x->runtime;
	spec.entry = x->entry;
	spec.memory_mb = x->memory_mb;
	spec.cpu = x->cpu;
	spec.timeout_ms = x->timeout_ms;
	rc = ig_adhoc_prepare(&ctx, &p, &spec, &fs, run, field, sizeof(field), &err);
	ig_adhoc_files_free(&fs);
	if (rc == 0)
		return 0;
	if (field[0] != '\0')
		return refuse(f, 400, "invalid_field", field, "%s", err.msg);
	return core_failure(r, f, &err);
}

/* Prepares what x asks for into *run: the service in service_dir, or the
 * files x sends. Returns 0 or -1 with f filled. */
static int
prepare(struct ig_req *r, const struct ig_request *x, const char *service_dir, struct ig_adhoc_run *run,
    struct refusal *f)
{
	memset(run, 0, sizeof(*run));
	if (service_dir != NULL)
		return prepare_service(r, service_dir, run, f);
	return prepare_files(r, x, run, f);
}

/* Checks a callback URL against the configured targets (resolving it). */
static int
check_callback(const char *url, struct refusal *f)
{
	struct ig_webhook_target t;
	struct ig_err err = { 0 };

	if (url == NULL)
		return 0;
	if (ig_webhook_check(ig_jobs_callback_policy(jobs), url, &t, &err) != 0)
		return refuse(f, 400, "invalid_field", "callbackUrl", "callbackUrl: %s", err.msg);
	return 0;
}

/* Turns a prepared request into a job spec; run moves into it. */
static int
make_spec(struct ig_req *r, const struct ig_request *x, struct ig_adhoc_run *run, const char *batch,
    const char *run_id, struct ig_job_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->run = *run;
	memset(run, 0, sizeof(*run));
	s->audit = x->audit;
	s->skip_preflight = x->skip_preflight;
	s->max_memory_mb = x->memory_mb;
	s->max_timeout_ms = x->timeout_ms;
	s->max_cpu = x->cpu;
	s->output_max = (size_t)ig_srv->config.output_max;
	s->pids_limit = ig_srv->config.pids_limit;
	s->kind = s->run.files != NULL ? "adhoc" : "service";
	snprintf(s->key_id, sizeof(s->key_id), "%s", r->who.key_id);
	if (run_id != NULL)
		snprintf(s->run_id, sizeof(s->run_id), "%s", run_id);
	if ((s->extra = json_object_new_object()) == NULL)
		return -1;
	if (s->run.files != NULL)
		json_object_object_add(s->extra, "files", json_object_get(s->run.files));
	if (batch != NULL)
		json_object_object_add(s->extra, "batch", json_object_new_string(batch));
	if (x->input != NULL && (s->input = malloc(x->input_len + 1)) != NULL) {
		memcpy(s->input, x->input, x->input_len);
		s->input[x->input_len] = '\0';
		s->input_len = x->input_len;
	} else if (x->input != NULL) {
		return -1;
	}
	if (x->stdin_data != NULL) {
		if ((s->stdin_data = malloc(x->stdin_len + 1)) == NULL)
			return -1;
		memcpy(s->stdin_data, x->stdin_data, x->stdin_len);
		s->stdin_data[x->stdin_len] = '\0';
		s->stdin_len = x->stdin_len;
	}
	if (x->callback_url != NULL && (s->callback_url = strdup(x->callback_url)) == NULL)
		return -1;
	return 0;
}

/* ---- idempotency ---------------------------------------------------------------- */

struct idem {
	const char *key;                /* the Idempotency-Key header, or NULL */
	char run_id[IG_RUN_ID_LEN + 1]; /* reserved (claimed) id */
	bool claimed;
};

/* SHA-256 of method, path and body: what makes two requests "the same". */
static void
fingerprint(const struct ig_req *r, unsigned char out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int n = 0;

	memset(out, 0, 32);
	if (c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1) {
		EVP_DigestUpdate(c, r->method, strlen(r->method));
		EVP_DigestUpdate(c, "\n", 1);
		EVP_DigestUpdate(c, r->path ? r->path : "", r->path ? strlen(r->path) : 0);
		EVP_DigestUpdate(c, "\n", 1);
		EVP_DigestUpdate(c, r->body.data ? r->body.data : "", r->body.len);
		EVP_DigestFinal_ex(c, out, &n);
	}
	EVP_MD_CTX_free(c);
}

/* Answers a repeated request with what the first one made. */
static int
replay(struct ig_req *r, const char *id, bool batch)
{
	static const char hdr[] = "Idempotent-Replayed: true\r\n";
	struct json_object *rep = NULL, *v;
	int st;

	if (batch) {
		struct json_object *list = NULL, *o;
		if (ig_store_list_filtered(ig_srv->store, NULL, id, IG_BATCH_MAX, NULL, &list, NULL) != 0)
			return ig_resp_error(r, 503, "storage_unavailable", "cannot read the run store", NULL);
		o = json_object_new_object();
		json_object_object_add(o, "success", json_object_new_boolean(1));
		json_object_object_add(o, "batchId", json_object_new_string(id));
		if (json_object_object_get_ex(list, "runs", &v))
			json_object_object_add(o, "runs", json_object_get(v));
		{
			char url[80];
			snprintf(url, sizeof(url), "/api/runs?batch=%s", id);
			json_object_object_add(o, "listUrl", json_object_new_string(url));
		}
		st = json_resp(r, 202, o, hdr);
		json_object_put(o);
		json_object_put(list);
		return st;
	}
	if (ig_store_get(ig_srv->store, id, &rep, NULL) != 0) {
		/* Claimed by a request that is still running synchronously. */
		struct json_object *o = json_object_new_object(), *e = json_object_new_object();
		json_object_object_add(o, "success", json_object_new_boolean(0));
		json_object_object_add(o, "runId", json_object_new_string(id));
		json_object_object_add(e, "code", json_object_new_string("request_in_progress"));
		json_object_object_add(e, "message", json_object_new_string(
		    "a request with this Idempotency-Key is still being processed; retry later"));
		json_object_object_add(o, "error", e);
		st = json_resp(r, 409, o, "Retry-After: 1\r\n");
		json_object_put(o);
		return st;
	}
	if (json_object_object_get_ex(rep, "async", &v) && json_object_get_boolean(v)) {
		const char *status = json_object_object_get_ex(rep, "status", &v) ?
		    json_object_get_string(v) : "queued";
		st = accepted(r, id, status, hdr);
	} else {
		bool blocked = json_object_object_get_ex(rep, "status", &v) &&
		    strcmp(json_object_get_string(v), "blocked") == 0;
		ig_request_failure_hide(rep);
		st = json_resp(r, blocked ? 400 : 200, rep, hdr);
	}
	json_object_put(rep);
	return st;
}

/* Reads the Idempotency-Key header and claims it. Returns 0 to go on (with
 * idem->claimed when the request is to use idem->run_id), or the status it
 * answered (a replay, or an invalid or reused key). */
static int
idem_begin(struct ig_req *r, struct idem *idem, bool batch)
{
	struct ig_err err = { 0 };
	unsigned char fp[32];
	int c;

	memset(idem, 0, sizeof(*idem));
	idem->key = ig_req_param(r, "HTTP_IDEMPOTENCY_KEY");
	if (idem->key == NULL)
		return 0;
	fingerprint(r, fp);
	c = ig_jobs_idem_claim(jobs, r->who.key_id, idem->key, fp, idem->run_id, &err);
	if (c < 0) {
		if (err.code == IG_EEXIST)
			return field_error(r, 422, "idempotency_key_reused", "Idempotency-Key", err.msg);
		return field_error(r, 400, "invalid_header", "Idempotency-Key", err.msg);
	}
	if (c == 1)
		return replay(r, idem->run_id, batch);
	idem->claimed = true;
	return 0;
}

/* The request failed before a run existed: the key may be used again. */
static void
idem_abort(struct ig_req *r, struct idem *idem)
{
	if (idem->claimed)
		ig_jobs_idem_release(jobs, r->who.key_id, idem->key);
	idem->claimed = false;
}

/* ---- running ------------------------------------------------------------------- */

/* Queues one prepared run and answers 202. */
static int
run_async(struct ig_req *r, const struct ig_request *x, struct ig_adhoc_run *run, struct idem *idem)
{
	struct ig_job_spec s;
	struct ig_err err = { 0 };
	int st;

	if (make_spec(r, x, run, NULL, idem->claimed ? idem->run_id : NULL, &s) != 0) {
		ig_job_spec_free(&s);
		idem_abort(r, idem);
		return ig_resp_error(r, 500, "internal", "out of memory", NULL);
	}
	if (ig_jobs_submit(jobs, &s, 1, &err) != 0) {
		ig_job_spec_free(&s);
		idem_abort(r, idem);
		if (err.code == IG_ETOOBIG)
			return busy(r, "queue_full", "the async queue is full; retry later");
		if (err.code == IG_EINVAL)
			return ig_resp_error(r, 503, "stopping", err.msg, NULL);
		{
			const char *code;
			st = ig_http_status_for(&err, &code);
			return ig_resp_error(r, st, code, err.msg, NULL);
		}
	}
	ig_log(IG_LOG_INFO, "async run queued", "id", r->request_id, "run", s.run_id,
	    "key", r->who.key_id, NULL);
	return accepted(r, s.run_id, "queued", NULL);
}

/* Answers a run that ended in st, as api.c does. */
static int
answer_run(struct ig_req *r, const char *name, int st, struct json_object *report,
    const struct ig_err *err)
{
	struct json_object *e;
	const char *code;
	int status;

	if (st == IG_RUN_DONE)
		return json_resp(r, 200, report, NULL);
	if (st == IG_RUN_BLOCKED)
		return json_resp(r, 400, report, NULL);
	status = ig_http_status_for(err, &code);
	if (report == NULL)
		return ig_resp_error(r, status, code, err->msg, name);
	/* Recorded: the detail, which may name server paths, goes to the log. */
	ig_log(IG_LOG_ERROR, "execution failed", "id", r->request_id, "service", name,
	    "code", ig_err_name(err->code), "error", err->msg, NULL);
	ig_request_failure_hide(report);
	if (json_object_object_get_ex(report, "error", &e))
		json_object_object_add(e, "code", json_object_new_string(code));
	return json_resp(r, status, report, NULL);
}

/* Runs one prepared run now and answers with its report (as api.c does). */
static int
run_sync(struct ig_req *r, const struct ig_request *x, struct ig_adhoc_run *run, struct idem *idem,
    const char *name)
{
	struct ig_run_ctx ctx = run_ctx(r, run->files == NULL);
	struct ig_run_request req;
	struct json_object *report = NULL, *extra = NULL, *v;
	struct ig_err err = { 0 };
	unsigned retry = 0;
	int st, status;

	if (!ig_ratelimit_concurrency_acquire(ig_srv->slots, r->who.key_id,
	    ig_srv->config.slot_wait_ms, &retry)) {
		idem_abort(r, idem);
		return busy(r, "too_many_executions", "too many executions in progress; retry later");
	}
	memset(&req, 0, sizeof(req));
	req.audit = x->audit;
	req.skip_preflight = x->skip_preflight;
	req.input_json = x->input;
	req.input_len = x->input_len;
	req.stdin_data = x->stdin_data;
	req.stdin_len = x->stdin_len;
	req.max_memory_mb = x->memory_mb;
	req.max_timeout_ms = x->timeout_ms;
	req.max_cpu = x->cpu;
	req.output_max = (size_t)ig_srv->config.output_max;
	req.pids_limit = ig_srv->config.pids_limit;
	req.run_id = idem->claimed ? idem->run_id : NULL;
	if (run->files != NULL) {
		req.kind = "adhoc";
		extra = json_object_new_object();
		json_object_object_add(extra, "files", json_object_get(run->files));
		req.extra = extra;
	}
	ig_metrics_inflight(1);
	st = ig_run_prepared(&ctx, &run->prep, &req, &report, &err);
	ig_metrics_inflight(-1);
	ig_ratelimit_concurrency_release(ig_srv->slots, r->who.key_id);
	/* The files go as soon as the container has. */
	ig_adhoc_run_free(run);
	json_object_put(extra);
	if (report != NULL && json_object_object_get_ex(report, "status", &v)) {
		struct json_object *m, *ms;
		double secs = -1;
		if (json_object_object_get_ex(report, "metrics", &m) &&
		    json_object_object_get_ex(m, "executionTimeMs", &ms))
			secs = json_object_get_double(ms) / 1000.0;
		ig_metrics_execution(name, json_object_get_string(v), secs);
	}
	if (report == NULL)
		idem_abort(r, idem);
	status = answer_run(r, name, st, report, &err);
	json_object_put(report);
	return status;
}

/* What POST /api/execute and the hooked service execute share once the
 * body is parsed: idempotency, preparation, sync or async run. */
static int
execute(struct ig_req *r, const struct ig_request *x, const char *service_dir, const char *name)
{
	struct ig_adhoc_run run;
	struct refusal f;
	struct idem idem;
	int st;

	memset(&run, 0, sizeof(run));
	if ((st = idem_begin(r, &idem, false)) != 0)
		return st;
	if (check_callback(x->async ? x->callback_url : NULL, &f) != 0 ||
	    prepare(r, x, service_dir, &run, &f) != 0) {
		idem_abort(r, &idem);
		return refused(r, &f);
	}
	if (x->async)
		st = run_async(r, x, &run, &idem);
	else
		st = run_sync(r, x, &run, &idem, name);
	ig_adhoc_run_free(&run);
	return st;
}

/* Reads and parses the body (a JSON object). Returns 0 with *doc, or the
 * status answered. */
static int
read_json(struct ig_req *r, struct json_object **doc)
{
	struct ig_request_error e;
	struct refusal f;
	int st;

	*doc = NULL;
	if ((st = ig_req_read_body(r, (size_t)ig_srv->config.body_max, true)) != 0)
		return st;
	if (ig_request_parse(r->body.data, r->body.len, doc, &e) != 0) {
		refuse_body(&f, &e);
		return refused(r, &f);
	}
	return 0;
}

int
ig_api_adhoc_execute(struct ig_req *r)
{
	struct ig_request_opts o = request_opts();
	struct json_object *doc = NULL;
	struct ig_request_error e;
	struct refusal f;
	struct ig_request x;
	int st;

	if (jobs == NULL)
		return ig_resp_error(r, 503, "unavailable", "ad-hoc runs are not available", NULL);
	if ((st = read_json(r, &doc)) != 0)
		return st;
	if (ig_request_job(doc, IG_REQUEST_ADHOC, &o, &x, &e) != 0) {
		refuse_body(&f, &e);
		st = refused(r, &f);
	} else {
		st = execute(r, &x, NULL, IG_ADHOC_SERVICE_NAME);
	}
	json_object_put(doc);
	return st;
}

int
ig_api_execute_hook(struct ig_req *r, const char *name, const char *dir)
{
	const char *stream = ig_req_query(r, "stream");
	struct ig_request_opts o = request_opts();
	struct json_object *doc = NULL, *v;
	struct ig_request_error e;
	struct refusal f;
	struct ig_request x;
	int st;

	if (jobs == NULL)
		return 0;
	if (ig_request_parse(r->body.data, r->body.len, &doc, &e) != 0)
		return 0;           /* api.c answers malformed bodies */
	if (!json_object_object_get_ex(doc, "async", &v) &&
	    !json_object_object_get_ex(doc, "callbackUrl", &v) &&
	    ig_req_param(r, "HTTP_IDEMPOTENCY_KEY") == NULL) {
		json_object_put(doc);
		return 0;           /* an ordinary execute: api.c runs it */
	}
	if (stream != NULL && (strcmp(stream, "1") == 0 || strcmp(stream, "true") == 0)) {
		st = field_error(r, 400, "invalid_request", "stream", "streaming cannot be combined "
		    "with \"async\", \"callbackUrl\" or an Idempotency-Key");
	} else if (ig_request_job(doc, IG_REQUEST_SERVICE, &o, &x, &e) != 0) {
		refuse_body(&f, &e);
		st = refused(r, &f);
	} else {
		st = execute(r, &x, dir, name);
	}
	json_object_put(doc);
	return st;
}

/* ---- batches ------------------------------------------------------------------- */

/* Checks and prepares entry i of a batch into *x and *run. Returns 0, or
 * -1 with f filled about the entry ("requests[i]…" in field and message). */
static int
batch_entry(struct ig_req *r, struct json_object *item, size_t i, struct ig_request *x,
    struct ig_adhoc_run *run, struct refusal *f)
{
	struct ig_request_opts o = request_opts();
	struct ig_request_error e;
	char dir[4096], field[sizeof(f->field)], msg[sizeof(f->msg)];
	const int keep_field = IG_REQUEST_FIELD_MAX - 1, keep_msg = REFUSAL_MSG_MAX - 1;
	const char *sdir = NULL;

	memset(run, 0, sizeof(*run));
	if (ig_request_job(item, IG_REQUEST_BATCH_ITEM, &o, x, &e) != 0) {
		refuse_body(f, &e);
	} else if (x->service != NULL && !ig_service_name_ok(x->service)) {
		refuse(f, 400, "invalid_name", "service", "service: invalid service name");
	} else if (x->service != NULL && ig_catalog_dir(ig_srv->config.services_dir, x->service,
	    dir, sizeof(dir), NULL) != 0) {
		refuse(f, 404, "not_found", "service", "service: no such service \"%s\"", x->service);
	} else {
		sdir = x->service != NULL ? dir : NULL;
		if (check_callback(x->callback_url, f) == 0 && prepare(r, x, sdir, run, f) == 0)
			return 0;
	}
	ig_adhoc_run_free(run);
	snprintf(field, sizeof(field), "requests[%zu]%s%.*s", i, f->field[0] ? "." : "",
	    keep_field, f->field);
	snprintf(msg, sizeof(msg), "requests[%zu]: %.*s", i, keep_msg, f->msg);
	memcpy(f->field, field, sizeof(field));
	memcpy(f->msg, msg, sizeof(msg));
	return -1;
}

int
ig_api_batch(struct ig_req *r)
{
	struct json_object *doc = NULL, *reqs = NULL, *out = NULL, *arr;
	struct ig_job_spec *specs = NULL;
	struct ig_request_opts opts = request_opts();
	struct ig_request_error e;
	struct ig_err err = { 0 };
	struct refusal f;
	struct idem idem;
	char batch[IG_RUN_ID_LEN + 1], url[80];
	size_t n = 0, i, made = 0;
	int st;

	memset(&idem, 0, sizeof(idem));
	if (jobs == NULL)
		return ig_resp_error(r, 503, "unavailable", "batches are not available", NULL);
	if ((st = read_json(r, &doc)) != 0)
		return st;
	if (ig_request_batch(doc, &opts, &reqs, &n, &e) != 0) {
		refuse_body(&f, &e);
		st = refused(r, &f);
		goto out;
	}
	if ((st = idem_begin(r, &idem, true)) != 0)
		goto out;
	if (idem.claimed)
		memcpy(batch, idem.run_id, sizeof(batch));
	else if (ig_store_new_id(batch, &err) != 0) {
		st = ig_resp_error(r, 500, "internal", err.msg, NULL);
		goto out;
	}
	if ((specs = calloc(n, sizeof(*specs))) == NULL) {
		st = ig_resp_error(r, 500, "internal", "out of memory", NULL);
		goto fail;
	}
	/* Everything is checked and prepared before anything is queued. */
	for (i = 0; i < n; i++) {
		struct ig_adhoc_run run;
		struct ig_request x;

		if (batch_entry(r, json_object_array_get_idx(reqs, i), i, &x, &run, &f) != 0) {
			st = refused(r, &f);
			goto fail;
		}
		made = i + 1;
		if (make_spec(r, &x, &run, batch, NULL, &specs[i]) != 0) {
			st = ig_resp_error(r, 500, "internal", "out of memory", NULL);
			goto fail;
		}
	}
	if (ig_jobs_submit(jobs, specs, n, &err) != 0) {
		if (err.code == IG_ETOOBIG)
			st = busy(r, "queue_full", "the async queue cannot take this batch now; retry later");
		else
			st = ig_resp_error(r, 503, "unavailable", err.msg, NULL);
		goto fail;
	}
	out = json_object_new_object();
	arr = json_object_new_array();
	json_object_object_add(out, "success", json_object_new_boolean(1));
	json_object_object_add(out, "batchId", json_object_new_string(batch));
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		snprintf(url, sizeof(url), "/runs/%s", specs[i].run_id);
		json_object_object_add(o, "runId", json_object_new_string(specs[i].run_id));
		json_object_object_add(o, "status", json_object_new_string("queued"));
		json_object_object_add(o, "reportUrl", json_object_new_string(url));
		json_object_array_add(arr, o);
	}
	json_object_object_add(out, "runs", arr);
	snprintf(url, sizeof(url), "/api/runs?batch=%s", batch);
	json_object_object_add(out, "listUrl", json_object_new_string(url));
	ig_log(IG_LOG_INFO, "batch queued", "id", r->request_id, "batch", batch, "key", r->who.key_id, NULL);
	st = json_resp(r, 202, out, NULL);
	json_object_put(out);
	goto out;
fail:
	idem_abort(r, &idem);
	for (i = 0; specs != NULL && i < made; i++)
		ig_job_spec_free(&specs[i]);
out:
	free(specs);
	json_object_put(doc);
	return st;
}

/* GET /api/runs: the batch filter here, everything else in api.c. */
int
ig_api_runs_list(struct ig_req *r)
{
	const char *batch = ig_req_query(r, "batch"), *service = ig_req_query(r, "service");
	const char *limit_q = ig_req_query(r, "limit"), *before = ig_req_query(r, "before"), *code;
	struct json_object *o = NULL;
	struct ig_err err = { 0 };
	long limit = 20;
	int st;

	if (batch == NULL)
		return ig_api_runs(r);
	if (!ig_store_id_ok(batch))
		return field_error(r, 400, "invalid_field", "batch", "batch must be a batch id");
	if (service != NULL && !ig_service_name_ok(service))
		return ig_resp_error(r, 400, "invalid_name", "invalid service name", NULL);
	if (limit_q != NULL) {
		char *end;
		limit = strtol(limit_q, &end, 10);
		if (*limit_q == '\0' || *end != '\0' || limit < 1 || limit > 100)
			return ig_resp_error(r, 400, "invalid_field", "limit must be an integer from 1 to 100", NULL);
	}
	if (before != NULL && !ig_store_id_ok(before))
		return ig_resp_error(r, 400, "invalid_field", "before must be a run id", NULL);
	if (ig_store_list_filtered(ig_srv->store, service, batch, (size_t)limit, before, &o, &err) != 0) {
		st = ig_http_status_for(&err, &code);
		return ig_resp_error(r, st, code, err.msg, NULL);
	}
	st = json_resp(r, 200, o, NULL);
	json_object_put(o);
	return st;
}

/* ---- cancellation and the webhook secret ------------------------------------ */

int
ig_api_run_cancel(struct ig_req *r)
{
	const char *id = r->seg[2];
	struct json_object *o, *rep = NULL, *v;
	struct ig_err err = { 0 };
	int res, st;

	if (!ig_store_id_ok(id))
		return ig_resp_error(r, 404, "not_found", "no such run", NULL);
	if (jobs == NULL)
		return ig_resp_error(r, 503, "unavailable", "async runs are not available", NULL);
	res = ig_jobs_cancel(jobs, id, r->who.key_id, r->who.scope >= IG_KEY_SCOPE_ADMIN,
	    IG_JOBS_CANCEL_WAIT_MS, &err);
	if (res < 0) {
		if (err.code == IG_EPERM)
			return ig_resp_error(r, 403, "forbidden", "this run was started with another API key", NULL);
		if (ig_store_get(ig_srv->store, id, &rep, NULL) != 0)
			return ig_resp_error(r, 404, "not_found", "no such run", NULL);
		o = json_object_new_object();
		json_object_object_add(o, "success", json_object_new_boolean(0));
		json_object_object_add(o, "runId", json_object_new_string(id));
		if (json_object_object_get_ex(rep, "status", &v))
			json_object_object_add(o, "status", json_object_get(v));
		v = json_object_new_object();
		json_object_object_add(v, "code", json_object_new_string("not_cancellable"));
		json_object_object_add(v, "message", json_object_new_string(
		    "only queued or running async runs can be cancelled; this one is not"));
		json_object_object_add(o, "error", v);
		st = json_resp(r, 409, o, NULL);
		json_object_put(o);
		json_object_put(rep);
		return st;
	}
	o = json_object_new_object();
	json_object_object_add(o, "success", json_object_new_boolean(1));
	json_object_object_add(o, "runId", json_object_new_string(id));
	if (res == IG_JOBS_STOPPING) {
		json_object_object_add(o, "status", json_object_new_string("cancelling"));
		st = json_resp(r, 202, o, NULL);
	} else {
		/* Whatever it ended as (a run may finish just before the kill). */
		if (ig_store_get(ig_srv->store, id, &rep, NULL) == 0 &&
		    json_object_object_get_ex(rep, "status", &v))
			json_object_object_add(o, "status", json_object_get(v));
		else
			json_object_object_add(o, "status", json_object_new_string("cancelled"));
		st = json_resp(r, 200, o, NULL);
	}
	ig_log(IG_LOG_INFO, "run cancelled", "id", r->request_id, "run", id, "key", r->who.key_id, NULL);
	json_object_put(o);
	json_object_put(rep);
	return st;
}

int
ig_api_webhook_secret(struct ig_req *r)
{
	char secret[IG_WEBHOOK_HEX_LEN + 1];
	struct json_object *o;
	int st;

	if (jobs == NULL)
		return ig_resp_error(r, 503, "unavailable", "callbacks are not available", NULL);
	ig_jobs_key_secret(jobs, r->who.key_id, secret);
	o = json_object_new_object();
	json_object_object_add(o, "keyId", json_object_new_string(r->who.key_id));
	json_object_object_add(o, "webhookSecret", json_object_new_string(secret));
	json_object_object_add(o, "algorithm", json_object_new_string("HMAC-SHA256"));
	json_object_object_add(o, "header", json_object_new_string("X-Ignite-Signature"));
	json_object_object_add(o, "signedPayload", json_object_new_string("<t>.<body>"));
	st = json_resp(r, 200, o, NULL);
	OPENSSL_cleanse(secret, sizeof(secret));
	json_object_put(o);
	return st;
}
