/* routes.c — the route table: every URL the daemon answers, in one place. */
#include "server.h"
#include "log.h"
#include "metrics.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum access {
	PUBLIC = 0,          /* no authentication */
	READ,                /* a key (or session) with at least read scope */
	EXECUTE,             /* … execute scope */
	ADMIN,
};

enum kind { API, PAGE };

struct route {
	const char *method;
	const char *pattern;       /* "{x}" matches one path segment */
	int (*handler)(struct ig_req *);
	enum access access;
	enum kind kind;
};

static const struct route routes[] = {
	/* JSON API (DESIGN §5). */
	{ "GET",  "/api/health",                       ig_api_health,    PUBLIC,  API },
	{ "GET",  "/api/services",                     ig_api_services,  READ,    API },
	{ "GET",  "/api/services/{name}",              ig_api_service,   READ,    API },
	{ "GET",  "/api/services/{name}/preflight",    ig_api_preflight, READ,    API },
	{ "POST", "/api/services/{name}/execute",      ig_api_execute,   EXECUTE, API },
	{ "GET",  "/api/runs",                         ig_api_runs_list, READ,    API },
	{ "GET",  "/api/runs/{id}",                    ig_api_run,       READ,    API },
	/* Code sent in the request, async runs, batches (api_adhoc.c). */
	{ "POST", "/api/execute",                      ig_api_adhoc_execute, EXECUTE, API },
	{ "POST", "/api/batch",                        ig_api_batch,     EXECUTE, API },
	{ "DELETE", "/api/runs/{id}",                  ig_api_run_cancel, EXECUTE, API },
	{ "GET",  "/api/keys/me/webhook-secret",       ig_api_webhook_secret, EXECUTE, API },
	{ "GET",  "/api/metrics",                      ig_api_metrics,   READ,    API },
	/* HTML pages (DESIGN §6). /runs/{id} is a capability link: the run id
	 * is 128 random bits. */
	{ "GET",  "/",                                 ig_page_index,       READ,    PAGE },
	{ "GET",  "/login",                            ig_page_login,       PUBLIC,  PAGE },
	{ "POST", "/login",                            ig_page_login_post,  PUBLIC,  PAGE },
	{ "POST", "/logout",                           ig_page_logout,      PUBLIC,  PAGE },
	{ "GET",  "/services/{name}",                  ig_page_service,     READ,    PAGE },
	{ "POST", "/services/{name}/run",              ig_page_service_run, EXECUTE, PAGE },
	{ "GET",  "/runs/{id}",                        ig_page_run,         PUBLIC,  PAGE },
};

/* Matches r's segments against pattern. */
static bool
match(const struct ig_req *r, const char *pattern)
{
	const char *p = pattern + 1;
	size_t i = 0;

	if (strcmp(pattern, "/") == 0)
		return r->nseg == 1 && r->seg[0][0] == '\0';
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (i >= r->nseg)
			return false;
		if (!(p[0] == '{' && p[n - 1] == '}')) {
			if (strlen(r->seg[i]) != n || strncmp(r->seg[i], p, n) != 0)
				return false;
		} else if (r->seg[i][0] == '\0') {
			return false;
		}
		i++;
		p += n;
		if (*p == '/')
			p++;
	}
	return i == r->nseg;
}

static void
finish_log(struct ig_req *r)
{
	struct timespec t1;
	char status[8], ms[32];
	double d;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	d = (double)(t1.tv_sec - r->t0.tv_sec) * 1000.0 + (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e6;
	snprintf(status, sizeof(status), "%d", r->status);
	snprintf(ms, sizeof(ms), "%.1f", d);
	ig_metrics_request(r->route ? r->route : "unmatched", r->status);
	ig_log(IG_LOG_INFO, "request", "id", r->request_id, "method", r->method,
	    "path", r->path ? r->path : "", "route", r->route ? r->route : "",
	    "key", r->who.authenticated ? r->who.key_id : NULL, "#status", status,
	    "#durationMs", ms, "remote", r->remote_addr, NULL);
}

void
ig_route(struct ig_req *r)
{
	const struct route *hit = NULL;
	const char *method = strcmp(r->method, "HEAD") == 0 ? "GET" : r->method;
	char allow[64] = "";
	size_t i;
	bool path_known = false;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!match(r, routes[i].pattern))
			continue;
		path_known = true;
		if (strlen(allow) + 8 < sizeof(allow))
			snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s",
			    allow[0] ? ", " : "", routes[i].method);
		if (strcmp(routes[i].method, method) == 0) {
			hit = &routes[i];
			break;
		}
	}
	if (hit == NULL) {
		if (path_known) {
			char h[96];
			snprintf(h, sizeof(h), "Allow: %s\r\n", allow);
			r->route = "method-not-allowed";
			static const char body[] = "{\"success\":false,\"error\":{\"code\":"
			    "\"method_not_allowed\",\"message\":\"method not allowed for this resource\"}}\n";
			ig_resp_text(r, 405, "application/json", body, sizeof(body) - 1, h);
		} else {
			r->route = "not-found";
			ig_resp_error(r, 404, "not_found", "no such route", NULL);
		}
		finish_log(r);
		return;
	}
	r->route = hit->pattern;
	if (hit->access != PUBLIC && ig_auth_require(r, (int)hit->access) != 0) {
		if (hit->kind == PAGE && r->status == 0)
			ig_resp_redirect(r, "/login", NULL);
		finish_log(r);
		return;
	}
	hit->handler(r);
	if (r->status == 0)
		r->status = 500;
	finish_log(r);
}
