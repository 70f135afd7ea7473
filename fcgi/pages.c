/* pages.c — the HTML report pages (DESIGN §6), rendered by core templates
 * from the same JSON the API returns. Browsers authenticate with a session
 * cookie obtained by posting an API key to /login; forms carry CSRF tokens.
 * /runs/{id} is a capability link: the id is 128 random bits. */
#include "server.h"
#include "catalog.h"
#include "jsonin.h"
#include "keys.h"
#include "bounds.h"
#include "log.h"
#include "ratelimit.h"
#include "report.h"
#include "request.h"
#include "run.h"
#include "service.h"
#include "session.h"
#include "store.h"
#include "template.h"
#include "timefmt.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE_MAX (8 * 1024 * 1024)
#define FORM_MAX (IG_INPUT_MAX + 4096)

static const char HTML_HEADERS[] =
	"Content-Security-Policy: default-src 'none'; style-src 'self'; img-src 'self'; "
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'\r\n";

/* Adds what the layout shows: who is logged in and the CSRF token. */
static void
add_user(struct ig_req *r, struct json_object *ctx)
{
	char csrf[IG_CSRF_LEN + 1];
	struct json_object *u;

	if (!r->who.via_session)
		return;
	u = json_object_new_object();
	json_object_object_add(u, "keyId", json_object_new_string(r->who.key_id));
	json_object_object_add(u, "keyName", json_object_new_string(r->who.key_name));
	json_object_object_add(ctx, "user", u);
	ig_session_csrf(ig_srv->sessions, r->who.session, csrf);
	json_object_object_add(ctx, "csrf", json_object_new_string(csrf));
}

static int
render(struct ig_req *r, int status, const char *name, struct json_object *ctx, const char *extra)
{
	struct ig_err err = { 0 };
	char headers[1024];
	struct ig_buf out;

	json_object_object_add(ctx, "version", json_object_new_string(IG_VERSION));
	ig_buf_init(&out, PAGE_MAX);
	if (ig_template_set_render(ig_srv->templates, name, ctx, &out, &err) != 0) {
		ig_log(IG_LOG_ERROR, "template", "name", name, "error", err.msg, NULL);
		ig_buf_free(&out);
		return ig_resp_text(r, 500, "text/plain; charset=utf-8", "internal error\n", 15, HTML_HEADERS);
	}
	snprintf(headers, sizeof(headers), "%s%s", HTML_HEADERS, extra ? extra : "");
	status = ig_resp_text(r, status, "text/html; charset=utf-8", out.data ? out.data : "", out.len, headers);
	ig_buf_free(&out);
	return status;
}

static int
error_page(struct ig_req *r, int status, const char *title, const char *message)
{
	struct json_object *ctx = json_object_new_object();

	json_object_object_add(ctx, "status", json_object_new_int(status));
	json_object_object_add(ctx, "title", json_object_new_string(title));
	json_object_object_add(ctx, "message", json_object_new_string(message));
	add_user(r, ctx);
	status = render(r, status, "error", ctx, NULL);
	json_object_put(ctx);
	return status;
}

/* What a page says when the service in dir cannot be prepared; the detail
 * a client is not shown (it may name server paths) goes to the log. */
static const char *
service_problem(struct ig_req *r, const char *dir, const struct ig_err *err)
{
	const char *m = ig_request_service_problem(err, dir);

	if (m != err->msg)
		ig_log(IG_LOG_ERROR, "service cannot be prepared", "id", r->request_id,
		    "service", r->seg[1], "error", err->msg, NULL);
	return m;
}

static struct json_object *
runs_of(const char *service, size_t limit)
{
	struct json_object *list = NULL, *runs = NULL;

	if (ig_store_list(ig_srv->store, service, limit, NULL, &list, NULL) == 0 &&
	    json_object_object_get_ex(list, "runs", &runs))
		json_object_get(runs);
	else
		runs = json_object_new_array();
	json_object_put(list);
	return runs;
}

int
ig_page_index(struct ig_req *r)
{
	struct json_object *ctx = json_object_new_object(), *cat = NULL, *svcs;
	size_t i, n;
	int status;

	if (ig_catalog_list(ig_srv->config.services_dir, &cat, NULL) == 0 &&
	    json_object_object_get_ex(cat, "services", &svcs)) {
		n = json_object_array_length(svcs);
		for (i = 0; i < n; i++) {
			struct json_object *s = json_object_array_get_idx(svcs, i), *runs;
			runs = runs_of(json_object_get_string(json_object_object_get(s, "name")), 1);
			json_object_object_add(s, "lastRun", json_object_array_length(runs) > 0 ?
			    json_object_get(json_object_array_get_idx(runs, 0)) : NULL);
			json_object_put(runs);
		}
		json_object_object_add(ctx, "services", json_object_get(svcs));
	} else {
		json_object_object_add(ctx, "services", json_object_new_array());
	}
	json_object_put(cat);
	json_object_object_add(ctx, "runs", runs_of(NULL, 20));
	add_user(r, ctx);
	status = render(r, 200, "index", ctx, NULL);
	json_object_put(ctx);
	return status;
}

/* Renders the service page; error (may be NULL) is shown above the form. */
static int
service_page(struct ig_req *r, int status, const char *error, const char *input)
{
	struct ig_run_ctx rc = { ig_srv->registry, r->docker, ig_srv->store, ig_srv->pool, ig_srv->reaper };
	struct ig_run_prepared p = { 0 };
	struct ig_diags diags = { 0 };
	struct ig_err err = { 0 };
	struct json_object *ctx;
	char dir[4096];

	if (!ig_service_name_ok(r->seg[1]) ||
	    ig_catalog_dir(ig_srv->config.services_dir, r->seg[1], dir, sizeof(dir), NULL) != 0)
		return error_page(r, 404, "Not found", "There is no such service.");
	ctx = json_object_new_object();
	json_object_object_add(ctx, "name", json_object_new_string(r->seg[1]));
	if (ig_run_prepare(&rc, dir, true, NULL, &p, &diags, &err) == 0) {
		json_object_object_add(ctx, "service", ig_service_to_json(p.svc));
		json_object_object_add(ctx, "preflight", ig_report_preflight_json(p.preflight));
	} else {
		struct json_object *probs = json_object_new_array();
		char line[600];
		size_t i;
		for (i = 0; i < diags.n; i++)
			json_object_array_add(probs, json_object_new_string(ig_diag_format(&diags.v[i], line, sizeof(line))));
		if (diags.n == 0)
			json_object_array_add(probs, json_object_new_string(service_problem(r, dir, &err)));
		json_object_object_add(ctx, "problems", probs);
		json_object_object_add(ctx, "invalid", json_object_new_boolean(1));
	}
	json_object_object_add(ctx, "runs", runs_of(r->seg[1], 20));
	json_object_object_add(ctx, "defaultInput", json_object_new_string(input ? input : "{}"));
	if (error != NULL)
		json_object_object_add(ctx, "formError", json_object_new_string(error));
	add_user(r, ctx);
	status = render(r, status, "service", ctx, NULL);
	json_object_put(ctx);
	ig_run_prepared_free(&p);
	ig_diags_free(&diags);
	return status;
}

int
ig_page_service(struct ig_req *r)
{
	return service_page(r, 200, NULL, NULL);
}

int
ig_page_service_run(struct ig_req *r)
{
	struct ig_run_ctx rc = { ig_srv->registry, r->docker, ig_srv->store, ig_srv->pool, ig_srv->reaper };
	struct json_object *report = NULL, *parsed = NULL, *id;
	struct ig_run_request req;
	struct ig_diags diags = { 0 };
	struct ig_err err = { 0 };
	char dir[4096], location[96], *input = NULL, *csrf = NULL;
	unsigned retry = 0;
	int status, st;

	if (!ig_service_name_ok(r->seg[1]) ||
	    ig_catalog_dir(ig_srv->config.services_dir, r->seg[1], dir, sizeof(dir), NULL) != 0)
		return error_page(r, 404, "Not found", "There is no such service.");
	if ((status = ig_req_read_body(r, FORM_MAX, false)) != 0)
		return status;
	csrf = ig_req_form_value(r, "csrf");
	if (ig_session_csrf_check(ig_srv->sessions, r->who.session, csrf) != 0) {
		free(csrf);
		return error_page(r, 403, "Form expired", "The form was not accepted; reload the page and try again.");
	}
	free(csrf);
	input = ig_req_form_value(r, "input");
	if (input == NULL || input[0] == '\0') {
		free(input);
		input = strdup("null");
	}
	if (ig_jsonin_parse(input, strlen(input), IG_JSON_MAX_DEPTH, &parsed, &err) != 0) {
		status = service_page(r, 400, err.msg, input);
		free(input);
		return status;
	}
	json_object_put(parsed);
	if (!ig_ratelimit_concurrency_acquire(ig_srv->slots, r->who.key_id, ig_srv->config.slot_wait_ms, &retry)) {
		free(input);
		return error_page(r, 429, "Busy", "Too many runs are in progress; try again in a moment.");
	}
	memset(&req, 0, sizeof(req));
	req.dir = dir;
	req.require_dir_name = true;
	req.audit = true;
	req.input_json = input;
	req.input_len = strlen(input);
	req.output_max = (size_t)ig_srv->config.output_max;
	req.pids_limit = ig_srv->config.pids_limit;
	st = ig_run_service(&rc, &req, &report, &diags, &err);
	ig_ratelimit_concurrency_release(ig_srv->slots, r->who.key_id);
	if (report != NULL && json_object_object_get_ex(report, "runId", &id)) {
		snprintf(location, sizeof(location), "/runs/%s", json_object_get_string(id));
		status = ig_resp_redirect(r, location, NULL);
	} else if (st == IG_RUN_INVALID) {
		status = service_page(r, 400, service_problem(r, dir, &err), input);
	} else {
		const char *text = ig_request_failure_text(err.code);
		ig_log(IG_LOG_ERROR, "execution failed", "id", r->request_id, "service", r->seg[1],
		    "error", err.msg, NULL);
		status = error_page(r, err.code == IG_EDOCKER_DOWN ? 503 : 500, "The run could not start",
		    text != NULL ? text : err.msg);
	}
	json_object_put(report);
	ig_diags_free(&diags);
	free(input);
	return status;
}

int
ig_page_run(struct ig_req *r)
{
	struct json_object *rep = NULL;
	char value[IG_SESSION_VALUE_MAX], keyid[IG_SESSION_KEYID_MAX + 1];
	int status;

	if (!ig_store_id_ok(r->seg[1]) || ig_store_get(ig_srv->store, r->seg[1], &rep, NULL) != 0)
		return error_page(r, 404, "Not found", "There is no such run.");
	/* A logged-in browser sees the navigation too. */
	struct ig_key_info info;

	if (ig_req_cookie(r, IG_SESSION_COOKIE, value, sizeof(value)) != NULL &&
	    ig_session_check(ig_srv->sessions, value, time(NULL), keyid) == 0 &&
	    ig_keys_lookup(ig_srv->keys, keyid, &info) == 0) {
		snprintf(r->who.key_id, sizeof(r->who.key_id), "%s", keyid);
		snprintf(r->who.key_name, sizeof(r->who.key_name), "%s", info.name);
		snprintf(r->who.session, sizeof(r->who.session), "%s", value);
		r->who.via_session = true;
		add_user(r, rep);
	}
	/* A failed run's stored message may name server paths. */
	ig_request_failure_hide(rep);
	status = render(r, 200, "run", rep, "Referrer-Policy: no-referrer\r\n");
	json_object_put(rep);
	return status;
}

/* ---- login ------------------------------------------------------------------ */

static int
login_page(struct ig_req *r, int status, const char *error)
{
	char pre[IG_SESSION_VALUE_MAX], csrf[IG_CSRF_LEN + 1], cookie[256];
	struct json_object *ctx = json_object_new_object();

	if (ig_session_pre_value(pre) != 0) {
		json_object_put(ctx);
		return ig_resp_error(r, 500, "internal", "no randomness", NULL);
	}
	ig_session_csrf(ig_srv->sessions, pre, csrf);
	json_object_object_add(ctx, "csrf", json_object_new_string(csrf));
	if (error != NULL)
		json_object_object_add(ctx, "error", json_object_new_string(error));
	snprintf(cookie, sizeof(cookie), "Set-Cookie: %s=%s; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600%s\r\n",
	    IG_SESSION_PRE_COOKIE, pre, ig_srv->config.secure_cookies ? "; Secure" : "");
	status = render(r, status, "login", ctx, cookie);
	json_object_put(ctx);
	return status;
}

int
ig_page_login(struct ig_req *r)
{
	return login_page(r, 200, NULL);
}

int
ig_page_login_post(struct ig_req *r)
{
	char pre[IG_SESSION_VALUE_MAX], session[IG_SESSION_VALUE_MAX], cookie[384];
	char *key = NULL, *csrf = NULL;
	struct ig_key_info info;
	struct ig_err err = { 0 };
	unsigned retry = 0;
	int status;

	if ((status = ig_req_read_body(r, 4096, false)) != 0)
		return status;
	csrf = ig_req_form_value(r, "csrf");
	if (ig_req_cookie(r, IG_SESSION_PRE_COOKIE, pre, sizeof(pre)) == NULL ||
	    ig_session_csrf_check(ig_srv->sessions, pre, csrf) != 0) {
		free(csrf);
		return login_page(r, 403, "The form expired; please try again.");
	}
	free(csrf);
	if (!ig_ratelimit_failures_check(ig_srv->failures, r->remote_addr, ig_time_mono_ms(), &retry))
		return login_page(r, 429, "Too many failed attempts; wait a minute and try again.");
	key = ig_req_form_value(r, "key");
	if (key == NULL || ig_keys_verify(ig_srv->keys, key, strlen(key), &info, &err) != 0) {
		ig_ratelimit_failures_record(ig_srv->failures, r->remote_addr, ig_time_mono_ms());
		free(key);
		return login_page(r, 401, "That API key was not accepted.");
	}
	free(key);
	snprintf(r->who.key_id, sizeof(r->who.key_id), "%s", info.id);
	r->who.authenticated = true;
	if (ig_session_issue(ig_srv->sessions, info.id, time(NULL), session) != 0)
		return ig_resp_error(r, 500, "internal", "cannot issue a session", NULL);
	snprintf(cookie, sizeof(cookie), "Set-Cookie: %s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%ld%s\r\n"
	    "Set-Cookie: %s=; Path=/login; Max-Age=0\r\n",
	    IG_SESSION_COOKIE, session, ig_sessions_ttl(ig_srv->sessions),
	    ig_srv->config.secure_cookies ? "; Secure" : "", IG_SESSION_PRE_COOKIE);
	return ig_resp_redirect(r, "/", cookie);
}

int
ig_page_logout(struct ig_req *r)
{
	static const char clear[] = "Set-Cookie: " IG_SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0\r\n";
	char value[IG_SESSION_VALUE_MAX];
	char *csrf;
	int status;

	if ((status = ig_req_read_body(r, 4096, false)) != 0)
		return status;
	csrf = ig_req_form_value(r, "csrf");
	if (ig_req_cookie(r, IG_SESSION_COOKIE, value, sizeof(value)) != NULL &&
	    ig_session_csrf_check(ig_srv->sessions, value, csrf) != 0) {
		free(csrf);
		return error_page(r, 403, "Form expired", "Reload the page and try again.");
	}
	free(csrf);
	if (ig_req_cookie(r, IG_SESSION_COOKIE, value, sizeof(value)) != NULL)
		ig_session_revoke(ig_srv->sessions, value, time(NULL));
	return ig_resp_redirect(r, "/login", clear);
}
