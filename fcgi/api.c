/* api.c — the JSON API (DESIGN §5): request → core call → response. */
#include "server.h"
#include "catalog.h"
#include "docker.h"
#include "log.h"
#include "bounds.h"
#include "metrics.h"
#include "ratelimit.h"
#include "report.h"
#include "request.h"
#include "run.h"
#include "service.h"
#include "store.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef IG_VERSION
#define IG_VERSION "0.0.0"
#endif

int
ig_api_health(struct ig_req *r)
{
	struct json_object *o = json_object_new_object();
	bool up = ig_docker_ping(r->docker, NULL) == 0;
	int status;

	json_object_object_add(o, "status", json_object_new_string(up ? "ok" : "degraded"));
	json_object_object_add(o, "version", json_object_new_string(IG_VERSION));
	json_object_object_add(o, "uptime", json_object_new_int64((int64_t)(time(NULL) - ig_srv->started)));
	json_object_object_add(o, "docker", json_object_new_string(up ? "ok" : "unavailable"));
	if (!up)
		ig_metrics_docker_error("unavailable");
	status = ig_resp_json(r, up ? 200 : 503, o);
	json_object_put(o);
	return status;
}

int
ig_api_services(struct ig_req *r)
{
	struct json_object *o = NULL;
	struct ig_err err = { 0 };
	const char *code;
	int status;

	if (ig_catalog_list(ig_srv->config.services_dir, &o, &err) != 0) {
		status = ig_http_status_for(&err, &code);
		return ig_resp_error(r, status, code, err.msg, NULL);
	}
	status = ig_resp_json(r, 200, o);
	json_object_put(o);
	return status;
}

/* Validates the {name} segment and finds its directory; answers 400/404
 * itself. Returns 0 or the status it answered. */
static int
service_dir(struct ig_req *r, const char *name, char *dir, size_t len)
{
	if (!ig_service_name_ok(name))
		return ig_resp_error(r, 400, "invalid_name", "invalid service name", NULL);
	if (ig_catalog_dir(ig_srv->config.services_dir, name, dir, len, NULL) != 0)
		return ig_resp_error(r, 404, "not_found", "no such service", name);
	return 0;
}

/* Logs what a client is not shown of err (it may name server paths). */
static void
log_hidden(struct ig_req *r, const char *what, const char *name, const struct ig_err *err)
{
	ig_log(IG_LOG_ERROR, what, "id", r->request_id, "service", name,
	    "code", ig_err_name(err->code), "error", err->msg, NULL);
}

/* The message for a service in dir that cannot be prepared (logged when
 * the client does not see err's own). */
static const char *
service_problem(struct ig_req *r, const char *name, const char *dir, const struct ig_err *err)
{
	const char *m = ig_request_service_problem(err, dir);

	if (m != err->msg)
		log_hidden(r, "service cannot be prepared", name, err);
	return m;
}

/* The message for a run of service name that failed inside the server. */
static const char *
failure_message(struct ig_req *r, const char *name, const struct ig_err *err)
{
	const char *text = ig_request_failure_text(err->code);

	log_hidden(r, "execution failed", name, err);
	return text != NULL ? text : err->msg;
}

/* An invalid service.yaml (the operator's problem, not the client's). */
static int
invalid_service(struct ig_req *r, const char *name, const char *dir, const struct ig_diags *d,
    const struct ig_err *err)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();
	struct json_object *problems = json_object_new_array();
	char line[600];
	size_t i;
	int status;

	for (i = 0; i < d->n; i++)
		json_object_array_add(problems, json_object_new_string(ig_diag_format(&d->v[i], line, sizeof(line))));
	json_object_object_add(o, "success", json_object_new_boolean(0));
	json_object_object_add(o, "serviceName", json_object_new_string(name));
	json_object_object_add(e, "code", json_object_new_string("invalid_service"));
	json_object_object_add(e, "message", json_object_new_string(service_problem(r, name, dir, err)));
	json_object_object_add(e, "problems", problems);
	json_object_object_add(o, "error", e);
	status = ig_resp_json(r, 400, o);
	json_object_put(o);
	return status;
}

int
ig_api_service(struct ig_req *r)
{
	struct ig_service *svc = NULL;
	struct ig_diags diags = { 0 };
	struct ig_err err = { 0 };
	struct json_object *o;
	char dir[4096];
	int status;

	if ((status = service_dir(r, r->seg[2], dir, sizeof(dir))) != 0)
		return status;
	if (ig_service_load(dir, true, &svc, &diags, &err) != 0) {
		status = invalid_service(r, r->seg[2], dir, &diags, &err);
		ig_diags_free(&diags);
		return status;
	}
	o = ig_service_to_json(svc);
	status = ig_resp_json(r, 200, o);
	json_object_put(o);
	ig_service_free(svc);
	return status;
}

static struct ig_run_ctx
run_ctx(struct ig_req *r)
{
	struct ig_run_ctx c = { ig_srv->registry, r->docker, ig_srv->store, ig_srv->pool, ig_srv->reaper };

	return c;
}

int
ig_api_preflight(struct ig_req *r)
{
	struct ig_run_ctx ctx = run_ctx(r);
	struct ig_run_prepared p = { 0 };
	struct ig_diags diags = { 0 };
	struct ig_err err = { 0 };
	struct json_object *o;
	char dir[4096];
	int status;

	if ((status = service_dir(r, r->seg[2], dir, sizeof(dir))) != 0)
		return status;
	if (ig_run_prepare(&ctx, dir, true, NULL, &p, &diags, &err) != 0) {
		status = invalid_service(r, r->seg[2], dir, &diags, &err);
		ig_diags_free(&diags);
		return status;
	}
	o = json_object_new_object();
	json_object_object_add(o, "serviceName", json_object_new_string(p.svc->name));
	json_object_object_add(o, "preflight", ig_report_preflight_json(p.preflight));
	status = ig_resp_json(r, 200, o);
	json_object_put(o);
	ig_run_prepared_free(&p);
	return status;
}

/* ---- execute -------------------------------------------------------------- */

/* Answers a refused execute body (core/request.h) in this endpoint's shape:
 * the service named, no field member. Returns the status. */
static int
refused(struct ig_req *r, const struct ig_request_error *e, const char *service)
{
	int status = e->problem == IG_REQUEST_TOO_LARGE ? 413 :
	    e->problem == IG_REQUEST_AUDIT_REQUIRED ? 403 : 400;

	return ig_resp_error(r, status, ig_request_problem_name(e->problem), e->err.msg, service);
}

/* Parses and checks the body of r into *x; *doc owns what x points to.
 * Returns 0, or the status answered. */
static int
parse_execute(struct ig_req *r, const char *service, struct json_object **doc, struct ig_request *x)
{
	struct ig_request_opts o = { ig_srv->config.allow_non_audit, ig_srv->config.batch_max };
	struct ig_request_error e;

	memset(x, 0, sizeof(*x));
	if (ig_request_parse(r->body.data, r->body.len, doc, &e) != 0 ||
	    ig_request_execute(*doc, &o, x, &e) != 0)
		return refused(r, &e, service);
	return 0;
}

struct stream_state {
	struct ig_req *r;
	volatile int cancel;
};

static void
stream_preflight(void *arg, struct json_object *pf)
{
	struct stream_state *ss = arg;
	struct json_object *line = json_object_new_object();

	json_object_object_add(line, "event", json_object_new_string("preflight"));
	json_object_object_add(line, "preflight", json_object_get(pf));
	if (ig_resp_stream_line(ss->r, line) != 0)
		ss->cancel = 1;
	json_object_put(line);
}

static void
stream_output(void *arg, int stream, const char *p, size_t n)
{
	struct stream_state *ss = arg;
	struct json_object *line;

	if (ss->cancel)
		return;
	line = json_object_new_object();
	json_object_object_add(line, "event", json_object_new_string(stream == 2 ? "stderr" : "stdout"));
	ig_report_json_add_bytes(line, "data", p, n);
	if (ig_resp_stream_line(ss->r, line) != 0)
		ss->cancel = 1;   /* the client left: stop the run */
	json_object_put(line);
}

/* The "result" line that ends a streamed execute. */
static void
stream_result(struct ig_req *r, const char *name, const char *dir, int st,
    struct json_object *report, const struct ig_err *err)
{
	struct json_object *line = json_object_new_object(), *e;
	const char *code;

	json_object_object_add(line, "event", json_object_new_string("result"));
	if (report != NULL) {
		if (st == IG_RUN_FAILED)
			failure_message(r, name, err);
		ig_request_failure_hide(report);
		json_object_object_foreach(report, k, val)
			json_object_object_add(line, k, json_object_get(val));
	} else {
		e = json_object_new_object();
		ig_http_status_for(err, &code);
		json_object_object_add(line, "success", json_object_new_boolean(0));
		json_object_object_add(line, "serviceName", json_object_new_string(name));
		json_object_object_add(e, "code", json_object_new_string(
		    st == IG_RUN_INVALID ? "invalid_service" : code));
		json_object_object_add(e, "message", json_object_new_string(
		    st == IG_RUN_INVALID ? service_problem(r, name, dir, err) : failure_message(r, name, err)));
		json_object_object_add(line, "error", e);
	}
	ig_resp_stream_line(r, line);
	json_object_put(line);
}

/* Answers a run that ended in st (not streamed). */
static int
answer_run(struct ig_req *r, const char *name, const char *dir, int st,
    struct json_object *report, const struct ig_diags *diags, const struct ig_err *err)
{
	struct json_object *e;
	const char *code;
	int status;

	switch (st) {
	case IG_RUN_DONE:
		return ig_resp_json(r, 200, report);
	case IG_RUN_BLOCKED:
		return ig_resp_json(r, 400, report);
	case IG_RUN_INVALID:
		return invalid_service(r, name, dir, diags, err);
	}
	status = ig_http_status_for(err, &code);
	if (report == NULL)
		return ig_resp_error(r, status, code, err->msg, name);
	/* The failed run was recorded; say where. */
	failure_message(r, name, err);
	ig_request_failure_hide(report);
	if (json_object_object_get_ex(report, "error", &e))
		json_object_object_add(e, "code", json_object_new_string(code));
	return ig_resp_json(r, status, report);
}

/* Counts the run in the metrics. */
static void
count_run(const char *name, int st, struct json_object *report, const struct ig_err *err)
{
	struct json_object *v, *m, *ms;
	double secs = -1;

	if (report != NULL && json_object_object_get_ex(report, "status", &v)) {
		if (json_object_object_get_ex(report, "metrics", &m) &&
		    json_object_object_get_ex(m, "executionTimeMs", &ms))
			secs = json_object_get_double(ms) / 1000.0;
		ig_metrics_execution(name, json_object_get_string(v), secs);
	}
	if (st == IG_RUN_FAILED && (err->code == IG_EDOCKER_DOWN || err->code == IG_EDOCKER))
		ig_metrics_docker_error(err->code == IG_EDOCKER_DOWN ? "unavailable" : "engine");
}

int
ig_api_execute(struct ig_req *r)
{
	const char *name = r->seg[2], *stream_q = ig_req_query(r, "stream");
	struct ig_run_ctx ctx = run_ctx(r);
	struct ig_run_request req;
	struct stream_state ss = { r, 0 };
	struct json_object *report = NULL, *doc = NULL;
	struct ig_diags diags = { 0 };
	struct ig_err err = { 0 };
	struct ig_request x;
	bool streaming = stream_q != NULL && (strcmp(stream_q, "1") == 0 || strcmp(stream_q, "true") == 0);
	unsigned retry = 0;
	int status, st;
	char dir[4096], extra[64];

	if ((status = service_dir(r, name, dir, sizeof(dir))) != 0)
		return status;
	if ((status = ig_req_read_body(r, (size_t)ig_srv->config.body_max, true)) != 0)
		return status;
	/* "async", "callbackUrl" and Idempotency-Key requests: api_adhoc.c. */
	if ((status = ig_api_execute_hook(r, name, dir)) != 0)
		return status;
	if ((status = parse_execute(r, name, &doc, &x)) != 0)
		goto out;
	if (!ig_ratelimit_concurrency_acquire(ig_srv->slots, r->who.key_id,
	    ig_srv->config.slot_wait_ms, &retry)) {
		snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", retry > 0 ? retry : 1);
		static const char busy[] = "{\"success\":false,\"error\":{\"code\":\"too_many_executions\","
		    "\"message\":\"too many executions in progress; retry later\"}}\n";
		status = ig_resp_text(r, 429, "application/json", busy, sizeof(busy) - 1, extra);
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.dir = dir;
	req.require_dir_name = true;
	req.audit = x.audit;
	req.skip_preflight = x.skip_preflight;
	req.input_json = x.input;
	req.input_len = x.input_len;
	req.stdin_data = x.stdin_data;
	req.stdin_len = x.stdin_len;
	req.max_memory_mb = x.memory_mb;
	req.max_timeout_ms = x.timeout_ms;
	req.max_cpu = x.cpu;
	req.output_max = (size_t)ig_srv->config.output_max;
	req.pids_limit = ig_srv->config.pids_limit;
	req.cancel = &ss.cancel;
	if (streaming) {
		if (ig_resp_stream_start(r, 200, "application/x-ndjson") != 0) {
			ig_ratelimit_concurrency_release(ig_srv->slots, r->who.key_id);
			status = 200;
			goto out;
		}
		req.on_preflight = stream_preflight;
		req.preflight_arg = &ss;
		req.on_output = stream_output;
		req.output_arg = &ss;
	}
	ig_metrics_inflight(1);
	st = ig_run_service(&ctx, &req, &report, &diags, &err);
	ig_metrics_inflight(-1);
	ig_ratelimit_concurrency_release(ig_srv->slots, r->who.key_id);
	count_run(name, st, report, &err);
	if (streaming) {
		stream_result(r, name, dir, st, report, &err);
		status = 200;
	} else {
		status = answer_run(r, name, dir, st, report, &diags, &err);
	}
out:
	json_object_put(report);
	json_object_put(doc);
	ig_diags_free(&diags);
	return status;
}

/* ---- runs ----------------------------------------------------------------- */

int
ig_api_runs(struct ig_req *r)
{
	const char *service = ig_req_query(r, "service"), *limit_q = ig_req_query(r, "limit");
	const char *before = ig_req_query(r, "before"), *code;
	struct json_object *o = NULL;
	struct ig_err err = { 0 };
	long limit = 20;
	int status;

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
	if (ig_store_list(ig_srv->store, service, (size_t)limit, before, &o, &err) != 0) {
		status = ig_http_status_for(&err, &code);
		return ig_resp_error(r, status, code, err.msg, NULL);
	}
	status = ig_resp_json(r, 200, o);
	json_object_put(o);
	return status;
}

int
ig_api_run(struct ig_req *r)
{
	struct json_object *o = NULL;
	struct ig_err err = { 0 };
	const char *code;
	int status;

	if (!ig_store_id_ok(r->seg[2]))
		return ig_resp_error(r, 404, "not_found", "no such run", NULL);
	if (ig_store_get(ig_srv->store, r->seg[2], &o, &err) != 0) {
		status = ig_http_status_for(&err, &code);
		return ig_resp_error(r, status, code, status == 404 ? "no such run" : err.msg, NULL);
	}
	/* A failed run's stored message may name server paths. */
	ig_request_failure_hide(o);
	status = ig_resp_json(r, 200, o);
	json_object_put(o);
	return status;
}

int
ig_api_metrics(struct ig_req *r)
{
	struct ig_buf b;
	int status;

	ig_buf_init(&b, 4 * 1024 * 1024);
	if (ig_metrics_render(&b, difftime(time(NULL), ig_srv->started)) != 0) {
		ig_buf_free(&b);
		return ig_resp_error(r, 500, "internal", "metrics too large", NULL);
	}
	status = ig_resp_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len, NULL);
	ig_buf_free(&b);
	return status;
}
