/* auth.c — who is asking: Bearer API keys for the API, session cookies for
 * pages; failure limits before any scrypt work, rate limits after. */
#include "server.h"
#include "keys.h"
#include "log.h"
#include "ratelimit.h"
#include "session.h"
#include "timefmt.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int
too_many(struct ig_req *r, int retry, const char *code, const char *msg)
{
	char extra[64], body[256];
	int n;

	snprintf(extra, sizeof(extra), "Retry-After: %d\r\n", retry > 0 ? retry : 1);
	n = snprintf(body, sizeof(body), "{\"success\":false,\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}\n",
	    code, msg);
	return ig_resp_text(r, 429, "application/json", body, (size_t)n, extra);
}

/* Every authentication failure gets the same answer. */
static int
unauthorized(struct ig_req *r)
{
	return ig_resp_error(r, 401, "unauthorized", "missing or invalid API key", NULL);
}

/* A Bearer key from the Authorization header. Returns 0, or the status. */
static int
bearer(struct ig_req *r, const char *h)
{
	struct ig_key_info info;
	struct ig_err err = { 0 };
	unsigned retry = 0;

	if (strncasecmp(h, "Bearer ", 7) != 0)
		return unauthorized(r);
	h += 7;
	while (*h == ' ')
		h++;
	/* Failed attempts are limited per client before any scrypt work. */
	if (!ig_ratelimit_failures_check(ig_srv->failures, r->remote_addr, ig_time_mono_ms(), &retry))
		return too_many(r, (int)retry, "too_many_failures", "too many failed authentications; retry later");
	if (ig_keys_verify(ig_srv->keys, h, strlen(h), &info, &err) != 0) {
		if (err.code == IG_ENOMEM)
			return ig_resp_error(r, 503, "unavailable", "the server is out of memory; retry later", NULL);
		ig_ratelimit_failures_record(ig_srv->failures, r->remote_addr, ig_time_mono_ms());
		ig_log(IG_LOG_INFO, "auth failed", "id", r->request_id, "remote", r->remote_addr,
		    "key", info.id[0] ? info.id : NULL, NULL);
		return unauthorized(r);
	}
	snprintf(r->who.key_id, sizeof(r->who.key_id), "%s", info.id);
	snprintf(r->who.key_name, sizeof(r->who.key_name), "%s", info.name);
	r->who.scope = (int)info.scope;
	r->who.authenticated = true;
	return 0;
}

/* A browser session cookie. Returns 0, or -1 when there is none or it is
 * not valid (the caller redirects to the login page). */
static int
session(struct ig_req *r)
{
	char value[IG_SESSION_VALUE_MAX], keyid[IG_SESSION_KEYID_MAX + 1];
	struct ig_key_info info;

	if (ig_req_cookie(r, IG_SESSION_COOKIE, value, sizeof(value)) == NULL ||
	    ig_session_check(ig_srv->sessions, value, time(NULL), keyid) != 0 ||
	    ig_keys_lookup(ig_srv->keys, keyid, &info) != 0)
		return -1;
	snprintf(r->who.key_id, sizeof(r->who.key_id), "%s", info.id);
	snprintf(r->who.key_name, sizeof(r->who.key_name), "%s", info.name);
	snprintf(r->who.session, sizeof(r->who.session), "%s", value);
	r->who.scope = (int)info.scope;
	r->who.authenticated = true;
	r->who.via_session = true;
	return 0;
}

int
ig_auth_require(struct ig_req *r, int scope)
{
	const char *h = ig_req_param(r, "HTTP_AUTHORIZATION");
	bool page = r->route != NULL && strncmp(r->route, "/api/", 5) != 0;
	unsigned retry = 0;
	int status;

	if (page) {
		if (session(r) != 0)
			return r->status = 0, -1;   /* the router redirects to /login */
	} else {
		if (h == NULL)
			return unauthorized(r);
		if ((status = bearer(r, h)) != 0)
			return status;
	}
	if (!ig_ratelimit_take(ig_srv->rate, r->who.key_id, ig_time_mono_ms(), &retry))
		return too_many(r, (int)retry, "rate_limited", "rate limit exceeded; retry later");
	if (!ig_keys_scope_allows((enum ig_key_scope)r->who.scope, (enum ig_key_scope)scope))
		return ig_resp_error(r, 403, "forbidden", "this API key's scope does not allow that", NULL);
	return 0;
}
