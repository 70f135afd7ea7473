/*
 * server.h — ignite-fcgi's shared state and the request it hands to handlers.
 *
 * The daemon is an adapter: it turns FastCGI requests into calls of the core
 * and core results into HTTP. Everything here is plumbing: routing (routes.c),
 * authentication and limits (auth.c), request parsing and responses
 * (request.c), the API (api.c) and pages (pages.c).
 */
#ifndef IG_FCGI_SERVER_H
#define IG_FCGI_SERVER_H

#include <fcgiapp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "err.h"

struct json_object;
struct ig_docker;
struct ig_keyring;
struct ig_ratelimit;
struct ig_failures;
struct ig_concurrency;
struct ig_runtime_registry;
struct ig_sessions;
struct ig_store;
struct ig_template_set;

/* Read-mostly state shared by every worker. Reloadable parts (keys, config
 * values) are swapped under `lock` on SIGHUP. */
struct ig_server {
	struct ig_config config;
	const char *config_path;            /* NULL: defaults and flags only */
	struct ig_runtime_registry *registry;
	struct ig_store *store;
	struct ig_keyring *keys;
	struct ig_sessions *sessions;
	struct ig_ratelimit *rate;
	struct ig_failures *failures;
	struct ig_concurrency *slots;
	struct ig_template_set *templates;
	struct ig_pool *pool;                /* warm containers, NULL when off */
	struct ig_reaper *reaper;            /* removes finished containers after the answer */
	pthread_rwlock_t lock;
	time_t started;
	volatile int stopping;               /* SIGTERM: finish, accept nothing new */
	int listen_fd;
};

extern struct ig_server *ig_srv;

#define IG_QUERY_MAX_PARAMS 16
#define IG_PATH_MAX_SEGMENTS 8

/* Authentication result of a request. */
struct ig_principal {
	bool authenticated;
	char key_id[33];
	char key_name[72];
	int  scope;                          /* enum ig_key_scope */
	bool via_session;                    /* browser cookie, not a Bearer key */
	char session[160];                   /* the session cookie value */
};

struct ig_req {
	FCGX_Request *fcgx;
	struct ig_docker *docker;            /* this worker's client */
	const char *method;
	char *path;                          /* decoded path, segments joined by '/' */
	char *seg[IG_PATH_MAX_SEGMENTS];     /* decoded segments */
	size_t nseg;
	char *qkey[IG_QUERY_MAX_PARAMS], *qval[IG_QUERY_MAX_PARAMS];
	size_t nq;
	const char *remote_addr;
	char request_id[17];
	const char *route;                   /* matched pattern, for logs and metrics */
	struct ig_principal who;
	struct ig_buf body;
	bool headers_sent;
	bool client_gone;                    /* a write to the client failed */
	int status;
	struct timespec t0;
};

/* ---- request.c ---- */

/* Fills r from the FastCGI request. Returns 0, or an HTTP status (400) for a
 * request line that cannot be parsed (the caller answers it). */
int ig_req_init(struct ig_req *r, FCGX_Request *fcgx, struct ig_docker *docker);
void ig_req_free(struct ig_req *r);

/* A request header (CGI name, e.g. "HTTP_AUTHORIZATION", "CONTENT_TYPE"), or NULL. */
const char *ig_req_param(const struct ig_req *r, const char *name);

/* The value of query parameter key, or NULL. */
const char *ig_req_query(const struct ig_req *r, const char *key);

/* The value of cookie name (copied into out), or NULL. */
const char *ig_req_cookie(const struct ig_req *r, const char *name, char *out, size_t outlen);

/* Reads the body into r->body, enforcing presence and the size limit.
 * need_json: the Content-Type must be application/json. Returns 0, or the
 * HTTP status to answer (411, 413, 415, 400) after writing the error. */
int ig_req_read_body(struct ig_req *r, size_t limit, bool need_json);

/* The decoded value of field key in an application/x-www-form-urlencoded
 * body already read into r->body (malloc'd; the caller frees), or NULL. */
char *ig_req_form_value(const struct ig_req *r, const char *key);

/* Responses. Each writes the status line, headers and body; returns status. */
int ig_resp_json(struct ig_req *r, int status, struct json_object *body);
int ig_resp_error(struct ig_req *r, int status, const char *code, const char *message,
    const char *service);
int ig_resp_text(struct ig_req *r, int status, const char *ctype, const char *body, size_t len,
    const char *extra_headers);
int ig_resp_redirect(struct ig_req *r, const char *location, const char *extra_headers);

/* Starts a streamed response (NDJSON). Returns 0 or -1. */
int ig_resp_stream_start(struct ig_req *r, int status, const char *ctype);

/* Writes one JSON line of a stream and flushes it. Returns 0, or -1 when the
 * client is gone (r->client_gone is then set). */
int ig_resp_stream_line(struct ig_req *r, struct json_object *line);

/* Maps a core error to an HTTP status and error code. */
int ig_http_status_for(const struct ig_err *err, const char **code);

/* ---- routes.c ---- */

/* Handles one request from start to finish (routing, auth, logging). */
void ig_route(struct ig_req *r);

/* ---- auth.c ---- */

/* Authenticates r (Bearer key or session cookie). Returns 0, or the status
 * it answered with (401, 429). */
int ig_auth_require(struct ig_req *r, int scope);

/* ---- api.c ---- */
int ig_api_health(struct ig_req *r);
int ig_api_services(struct ig_req *r);
int ig_api_service(struct ig_req *r);
int ig_api_preflight(struct ig_req *r);
int ig_api_execute(struct ig_req *r);
int ig_api_runs(struct ig_req *r);
int ig_api_run(struct ig_req *r);
int ig_api_metrics(struct ig_req *r);

/* ---- api_adhoc.c: code sent in the request, async runs, batches ---- */
struct ig_docker_endpoint;

/* Starts the async runs module (queue, workers, callbacks) from ig_srv's
 * configuration; the webhook server secret is read (or made) beside the
 * keys file. Returns 0 or -1 with err. */
int ig_api_jobs_start(const struct ig_docker_endpoint *endpoint, struct ig_err *err);

/* Drains and stops it: queued runs keep running until deadline_ms
 * (ig_time_mono_ms clock), then the rest are cancelled. NULL-safe twice. */
void ig_api_jobs_stop(int64_t deadline_ms);

/* For POST /api/services/{name}/execute once its body is read: a request
 * with "async", "callbackUrl" or an Idempotency-Key is handled here.
 * Returns the status it answered, or 0 when api.c should run it. */
int ig_api_execute_hook(struct ig_req *r, const char *name, const char *dir);

int ig_api_adhoc_execute(struct ig_req *r);
int ig_api_batch(struct ig_req *r);
int ig_api_runs_list(struct ig_req *r);
int ig_api_run_cancel(struct ig_req *r);
int ig_api_webhook_secret(struct ig_req *r);

/* ---- pages.c ---- */
int ig_page_index(struct ig_req *r);
int ig_page_service(struct ig_req *r);
int ig_page_service_run(struct ig_req *r);
int ig_page_run(struct ig_req *r);
int ig_page_login(struct ig_req *r);
int ig_page_login_post(struct ig_req *r);
int ig_page_logout(struct ig_req *r);

#endif
