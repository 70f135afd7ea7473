/* run.c — one service run end to end, and its execution report. */
#include "run.h"
#include "audit.h"
#include "deps.h"
#include "diag.h"
#include "fs.h"
#include "jsonin.h"
#include "docker.h"
#include "bounds.h"
#include "policy.h"
#include "pool.h"
#include "preflight.h"
#include "report.h"
#include "runtime.h"
#include "service.h"
#include "store.h"
#include "timefmt.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INPUT_KEPT_MAX (64 * 1024)   /* input echoed into the stored report */

void
ig_run_prepared_free(struct ig_run_prepared *p)
{
	if (p == NULL)
		return;
	ig_service_free(p->svc);
	ig_policy_free(p->policy);
	ig_runtime_resolved_free(p->rt);
	ig_preflight_free(p->preflight);
	free(p->abs_dir);
	memset(p, 0, sizeof(*p));
}

/* Duration of the service's previous run, from the store. */
static bool
last_run_ms(struct ig_store *st, const char *service, long *ms)
{
	struct json_object *list = NULL, *runs, *d;
	bool found = false;

	if (st == NULL || ig_store_list(st, service, 1, NULL, &list, NULL) != 0)
		return false;
	if (json_object_object_get_ex(list, "runs", &runs) && json_object_array_length(runs) > 0 &&
	    json_object_object_get_ex(json_object_array_get_idx(runs, 0), "durationMs", &d) &&
	    json_object_is_type(d, json_type_int)) {
		*ms = (long)json_object_get_int64(d);
		found = true;
	}
	json_object_put(list);
	return found;
}

int
ig_run_prepare(const struct ig_run_ctx *ctx, const char *dir, bool require_dir_name,
    const char *runtime_override, struct ig_run_prepared *out, struct ig_diags *diags,
    struct ig_err *err)
{
	struct ig_preflight_input in;
	struct ig_docker_image *img = NULL;
	struct ig_deps deps;
	struct ig_run_prepared p;

	memset(&p, 0, sizeof(p));
	memset(&in, 0, sizeof(in));
	if (ig_service_load(dir, require_dir_name, &p.svc, diags, err) != 0)
		goto fail;
	if (ig_policy_load(dir, &p.policy, diags, err) != 0)
		goto fail;
	if ((p.abs_dir = realpath(dir, NULL)) == NULL) {
		ig_err_sys(err, IG_ENOENT, "%s", dir);
		goto fail;
	}
	if (ctx->registry == NULL) {
		ig_err_set(err, IG_EINTERNAL, "no runtime registry loaded");
		goto fail;
	}
	if (ig_runtime_resolve(ctx->registry, runtime_override ? runtime_override : p.svc->runtime,
	    &p.rt, err) != 0) {
		ig_err_prefix(err, "service.yaml: service.runtime");
		goto fail;
	}
	if (ig_runtime_check_entry(p.rt, p.svc->entry, err) != 0) {
		ig_err_prefix(err, "service.yaml: service.entry");
		goto fail;
	}
	/* Symlinks that lead out of the service would lead, inside the
	 * container, to the container's own files. */
	{
		char found[600];
		int dfd = open(p.abs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;
		if (dfd < 0) {
			ig_err_sys(err, IG_ENOENT, "%s", dir);
			goto fail;
		}
		r = ig_fs_find_escaping_symlink(dfd, found, sizeof(found), err);
		close(dfd);
		if (r < 0)
			goto fail;
		if (r == 1) {
			ig_err_set(err, IG_EPERM, "%s: a symlink leads outside the service directory; "
			    "remove it or copy the file in", found);
			goto fail;
		}
	}
	if (ig_deps_scan(dir, &deps, err) != 0)
		goto fail;
	ig_preflight_input_set_deps(&in, &deps);
	in.image = p.rt->image;
	if (ctx->docker != NULL && ig_docker_image_inspect(ctx->docker, p.rt->image, &img, NULL) == 0) {
		in.image_known = true;
		in.image_mb = (double)img->size / (1024.0 * 1024.0);
		ig_docker_image_free(img);
	}
	in.last_run_known = last_run_ms(ctx->store, p.svc->name, &in.last_run_ms);
	if (ig_preflight_run(p.svc, &in, &p.preflight, err) != 0)
		goto fail;
	*out = p;
	return 0;
fail:
	ig_run_prepared_free(&p);
	return -1;
}

/* The input as kept in the report: the JSON itself when small, else a note. */
static struct json_object *
kept_input(const struct ig_run_request *req)
{
	struct json_object *o = NULL;

	if (req->input_json == NULL || req->input_len == 0)
		return NULL;
	if (req->input_len <= INPUT_KEPT_MAX) {
		if (ig_jsonin_parse(req->input_json, req->input_len, IG_JSON_MAX_DEPTH, &o, NULL) != 0)
			return NULL;
		return o;
	}
	o = json_object_new_object();
	json_object_object_add(o, "omitted", json_object_new_boolean(1));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)req->input_len));
	return o;
}

static struct json_object *
new_report(const struct ig_run_prepared *p, const char *run_id, const struct ig_run_request *req,
    const struct ig_exec_limits *lim, const char *started)
{
	struct json_object *r = json_object_new_object(), *rt, *l;
	char url[64];

	snprintf(url, sizeof(url), "/runs/%s", run_id);
	json_object_object_add(r, "runId", json_object_new_string(run_id));
	json_object_object_add(r, "serviceName", json_object_new_string(p->svc->name));
	json_object_object_add(r, "reportUrl", json_object_new_string(url));
	json_object_object_add(r, "kind", json_object_new_string(req->kind ? req->kind : "service"));
	json_object_object_add(r, "startedAt", json_object_new_string(started));
	rt = json_object_new_object();
	json_object_object_add(rt, "name", json_object_new_string(p->rt->name));
	json_object_object_add(rt, "version", json_object_new_string(p->rt->version));
	json_object_object_add(rt, "image", json_object_new_string(p->rt->image));
	json_object_object_add(r, "runtime", rt);
	json_object_object_add(r, "audit", json_object_new_boolean(req->audit));
	l = json_object_new_object();
	json_object_object_add(l, "memoryMb", json_object_new_int64(lim->memory_mb));
	json_object_object_add(l, "cpuLimit", json_object_new_double(lim->cpu));
	json_object_object_add(l, "timeoutMs", json_object_new_int64(lim->timeout_ms));
	json_object_object_add(l, "pidsLimit", json_object_new_int64(lim->pids > 0 ? lim->pids : IG_PIDS_LIMIT_DEFAULT));
	json_object_object_add(l, "outputMaxBytes", json_object_new_int64(
	    (int64_t)(lim->output_max ? lim->output_max : IG_OUTPUT_MAX_DEFAULT)));
	json_object_object_add(r, "limits", l);
	json_object_object_add(r, "input", kept_input(req));
	json_object_object_add(r, "preflight", ig_report_preflight_json(p->preflight));
	return r;
}

static const char *
outcome(const struct ig_exec_result *res)
{
	if (res->cancelled)
		return "cancelled";
	if (res->oom_killed)
		return "oom";
	if (res->timed_out)
		return "timeout";
	return res->exit_code == 0 ? "success" : "failed";
}

static void
add_metrics(struct json_object *r, const struct ig_exec_result *res)
{
	struct json_object *m = json_object_new_object();
	bool ok = !res->cancelled && !res->oom_killed && !res->timed_out && res->exit_code == 0;

	json_object_object_add(r, "success", json_object_new_boolean(ok));
	json_object_object_add(r, "status", json_object_new_string(outcome(res)));
	json_object_object_add(m, "executionTimeMs", json_object_new_int64(res->duration_ms));
	json_object_object_add(m, "memoryUsageMb", res->memory_mb >= 0 ?
	    json_object_new_double((double)(long)(res->memory_mb * 10 + 0.5) / 10) : NULL);
	json_object_object_add(m, "coldStart", json_object_new_boolean(res->cold_start));
	json_object_object_add(m, "exitCode", json_object_new_int(res->exit_code));
	json_object_object_add(m, "timedOut", json_object_new_boolean(res->timed_out));
	json_object_object_add(m, "oomKilled", json_object_new_boolean(res->oom_killed));
	/* Untrusted bytes: made valid UTF-8 before they enter any JSON. */
	ig_report_json_add_bytes(m, "stdout", res->out.data ? res->out.data : "", res->out.len);
	ig_report_json_add_bytes(m, "stderr", res->err.data ? res->err.data : "", res->err.len);
	json_object_object_add(m, "outputTruncated",
	    json_object_new_boolean(res->out_truncated || res->err_truncated));
	json_object_object_add(m, "stdoutTruncated", json_object_new_boolean(res->out_truncated));
	json_object_object_add(m, "stderrTruncated", json_object_new_boolean(res->err_truncated));
	json_object_object_add(m, "initTimeMs", res->init_ms >= 0 ? json_object_new_int64(res->init_ms) : NULL);
	json_object_object_add(m, "signal", res->signal > 0 ? json_object_new_int(res->signal) : NULL);
	json_object_object_add(r, "metrics", m);
	json_object_object_add(r, "finishedAt", json_object_new_string(res->finished_at[0] ?
	    res->finished_at : ""));
}

static void
add_error(struct json_object *r, const char *code, const struct ig_err *err)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(r, "success", json_object_new_boolean(0));
	json_object_object_add(e, "code", json_object_new_string(code ? code : ig_err_name(err->code)));
	json_object_object_add(e, "message", json_object_new_string(err->msg));
	json_object_object_add(r, "error", e);
}

/* Stores r; a report that cannot be stored is not reported as a success. */
static int
store(const struct ig_run_ctx *ctx, const char *id, struct json_object *r, struct ig_err *err)
{
	if (ctx->store == NULL)
		return 0;
	return ig_store_put(ctx->store, id, r, err);
}

int
ig_run_service(const struct ig_run_ctx *ctx, const struct ig_run_request *req,
    struct json_object **report, struct ig_diags *diags, struct ig_err *err)
{
	struct ig_run_prepared p;
	int status;

	*report = NULL;
	if (ig_run_prepare(ctx, req->dir, req->require_dir_name, req->runtime_override, &p,
	    diags, err) != 0)
		return IG_RUN_INVALID;
	status = ig_run_prepared(ctx, &p, req, report, err);
	ig_run_prepared_free(&p);
	return status;
}

/* The execution spec of req for p (without a run id): the service's limits,
 * tightened by the request, and everything the container is made of. */
static void
make_spec(const struct ig_run_ctx *ctx, const struct ig_run_prepared *p,
    const struct ig_run_request *req, struct ig_exec_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->limits.memory_mb = p->svc->memory_mb;
	spec->limits.cpu = p->svc->cpu_limit;
	spec->limits.timeout_ms = p->svc->timeout_ms;
	if (req->max_memory_mb > 0 && req->max_memory_mb < spec->limits.memory_mb)
		spec->limits.memory_mb = req->max_memory_mb;
	if (req->max_timeout_ms > 0 && req->max_timeout_ms < spec->limits.timeout_ms)
		spec->limits.timeout_ms = req->max_timeout_ms;
	if (req->max_cpu > 0 && req->max_cpu < spec->limits.cpu)
		spec->limits.cpu = req->max_cpu;
	spec->limits.pids = req->pids_limit;
	spec->limits.output_max = req->output_max;
	spec->service_name = p->svc->name;
	spec->host_dir = p->abs_dir;
	spec->entry = p->svc->entry;
	spec->env = p->svc->env;
	spec->env_n = p->svc->env_n;
	spec->rt = p->rt;
	spec->policy = p->policy;
	spec->audit = req->audit;
	spec->input_json = req->input_json;
	spec->input_len = req->input_len;
	spec->stdin_data = req->stdin_data;
	spec->stdin_len = req->stdin_len;
	spec->on_output = req->on_output;
	spec->output_arg = req->output_arg;
	spec->cancel = req->cancel;
	spec->pool = ctx->pool;
	spec->reaper = ctx->reaper;
}

int
ig_run_warm_declare(const struct ig_run_ctx *ctx, const char *dir, struct ig_err *err)
{
	struct ig_run_prepared p;
	struct ig_run_request req;
	struct ig_exec_spec spec;
	struct ig_diags diags = { 0 };
	char *key = NULL, line[600];
	int rc = -1;

	if (ctx->pool == NULL)
		return 0;
	if (ig_run_prepare(ctx, dir, true, NULL, &p, &diags, err) != 0) {
		if (diags.n > 0)
			ig_err_set(err, IG_EINVAL, "%s", ig_diag_format(&diags.v[0], line, sizeof(line)));
		ig_diags_free(&diags);
		return -1;
	}
	ig_diags_free(&diags);
	/* What a request with no options runs: audit on, the service's limits. */
	memset(&req, 0, sizeof(req));
	req.audit = true;
	make_spec(ctx, &p, &req, &spec);
	if (p.preflight->overall == IG_PREFLIGHT_FAIL)
		ig_err_set(err, IG_EINVAL, "preflight fails: runs are refused");
	else if (ig_exec_pool_key(&spec, &key, err) == 0 && ig_pool_declare(ctx->pool, key) != 0)
		ig_err_set(err, IG_ETOOBIG, "the warm pool tracks as many configurations as it can");
	else if (key != NULL)
		rc = 0;
	free(key);
	ig_run_prepared_free(&p);
	return rc;
}

int
ig_run_prepared(const struct ig_run_ctx *ctx, const struct ig_run_prepared *prep,
    const struct ig_run_request *req, struct json_object **report, struct ig_err *err)
{
	char run_id[IG_RUN_ID_LEN + 1], started[IG_ISO_TIME_LEN], finished[IG_ISO_TIME_LEN];
	const struct ig_run_prepared p = *prep;
	struct ig_exec_result res;
	struct ig_exec_spec spec;
	struct json_object *r = NULL;
	int status;

	*report = NULL;
	memset(&res, 0, sizeof(res));
	if (req->run_id != NULL) {
		if (!ig_store_id_ok(req->run_id)) {
			ig_err_set(err, IG_EINTERNAL, "invalid preassigned run id");
			return IG_RUN_FAILED;
		}
		memcpy(run_id, req->run_id, sizeof(run_id));
	} else if (ig_store_new_id(run_id, err) != 0) {
		return IG_RUN_FAILED;
	}
	make_spec(ctx, &p, req, &spec);
	ig_time_iso_now(started, sizeof(started));
	r = new_report(&p, run_id, req, &spec.limits, started);
	if (req->extra != NULL) {
		json_object_object_foreach(req->extra, k, v)
			json_object_object_add(r, k, json_object_get(v));
	}
	if (req->on_preflight != NULL) {
		struct json_object *pf = ig_report_preflight_json(p.preflight);
		req->on_preflight(req->preflight_arg, pf);
		json_object_put(pf);
	}

	if (p.preflight->overall == IG_PREFLIGHT_FAIL && !req->skip_preflight) {
		struct ig_err blocked;
		ig_err_set(&blocked, IG_EINVAL, "preflight failed: %zu check(s) failed; "
		    "fix the service or skip preflight", ig_preflight_count(p.preflight, IG_PREFLIGHT_FAIL));
		json_object_object_add(r, "status", json_object_new_string("blocked"));
		add_error(r, "preflight_failed", &blocked);
		json_object_object_add(r, "finishedAt", json_object_new_string(started));
		status = IG_RUN_BLOCKED;
		if (store(ctx, run_id, r, err) != 0)
			status = IG_RUN_FAILED;
		goto out;
	}

	spec.run_id = run_id;
	if (ctx->docker == NULL) {
		ig_err_set(err, IG_EDOCKER_DOWN, "no Docker engine configured");
		status = IG_RUN_FAILED;
	} else if (ig_exec_run(ctx->docker, &spec, &res, err) != 0) {
		status = IG_RUN_FAILED;
	} else {
		status = IG_RUN_DONE;
	}
	if (status == IG_RUN_DONE) {
		struct json_object *audit = ig_audit_to_json(res.audit);
		add_metrics(r, &res);
		json_object_object_add(r, "securityAudit", audit);
	} else {
		json_object_object_add(r, "status", json_object_new_string("error"));
		add_error(r, NULL, err);
		json_object_object_add(r, "finishedAt", json_object_new_string(
		    ig_time_iso_now(finished, sizeof(finished))));
	}
	/* Stored before anyone is told: a run that cannot be recorded fails. */
	{
		struct ig_err serr;
		if (store(ctx, run_id, r, &serr) != 0) {
			if (err != NULL)
				*err = serr;
			status = IG_RUN_FAILED;
			json_object_put(r);
			r = NULL;
		}
	}
out:
	ig_exec_result_free(&res);
	*report = r;
	return status;
}

int
ig_run_exit_code(struct json_object *report)
{
	struct json_object *m, *v, *st;
	const char *status;

	if (report == NULL || !json_object_object_get_ex(report, "status", &st))
		return 1;
	status = json_object_get_string(st);
	if (strcmp(status, "timeout") == 0)
		return 124;
	if (strcmp(status, "oom") == 0)
		return 137;
	if (strcmp(status, "blocked") == 0 || strcmp(status, "error") == 0 ||
	    strcmp(status, "cancelled") == 0)
		return 1;
	if (json_object_object_get_ex(report, "metrics", &m) &&
	    json_object_object_get_ex(m, "exitCode", &v))
		return json_object_get_int(v) & 0xff;
	return 1;
}
