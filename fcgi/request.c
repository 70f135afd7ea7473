/* request.c — FastCGI request parsing and HTTP responses. */
#include "server.h"
#include "bounds.h"
#include "log.h"
#include "request.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#define URI_MAX      4096
#define QUERY_VAL_MAX 1024

static const char SECURITY_HEADERS[] =
	"X-Content-Type-Options: nosniff\r\n"
	"Referrer-Policy: no-referrer\r\n"
	"X-Frame-Options: DENY\r\n";

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	default:  return "Status";
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes p[0..n) into a new string; plus_space turns '+' into ' '.
 * Returns NULL for bad escapes or an encoded NUL. */
static char *
pct_decode(const char *p, size_t n, bool plus_space)
{
	char *out = malloc(n + 1), *o = out;
	size_t i;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (p[i] == '%') {
			int h, l;
			if (i + 2 >= n || (h = hexval(p[i + 1])) < 0 || (l = hexval(p[i + 2])) < 0 ||
			    (h == 0 && l == 0)) {
				free(out);
				return NULL;
			}
			*o++ = (char)(h * 16 + l);
			i += 2;
		} else if (plus_space && p[i] == '+') {
			*o++ = ' ';
		} else {
			*o++ = p[i];
		}
	}
	*o = '\0';
	return out;
}

const char *
ig_req_param(const struct ig_req *r, const char *name)
{
	return FCGX_GetParam(name, r->fcgx->envp);
}

static void
new_request_id(char out[17])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char rnd[8];
	size_t i;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < 8; i++) {
		out[2 * i] = digits[rnd[i] >> 4];
		out[2 * i + 1] = digits[rnd[i] & 15];
	}
	out[16] = '\0';
}

int
ig_req_init(struct ig_req *r, FCGX_Request *fcgx, struct ig_docker *docker)
{
	const char *uri, *q, *p, *end;
	size_t plen;

	memset(r, 0, sizeof(*r));
	r->fcgx = fcgx;
	r->docker = docker;
	r->status = 0;
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	new_request_id(r->request_id);
	ig_buf_init(&r->body, 0);
	r->method = FCGX_GetParam("REQUEST_METHOD", fcgx->envp);
	r->remote_addr = FCGX_GetParam("REMOTE_ADDR", fcgx->envp);
	if (r->method == NULL)
		r->method = "GET";
	if (r->remote_addr == NULL)
		r->remote_addr = "unknown";
	uri = FCGX_GetParam("REQUEST_URI", fcgx->envp);
	if (uri == NULL)
		uri = FCGX_GetParam("DOCUMENT_URI", fcgx->envp);
	if (uri == NULL || uri[0] != '/')
		return 400;
	if (strlen(uri) > URI_MAX)
		return 414;
	q = strchr(uri, '?');
	plen = q ? (size_t)(q - uri) : strlen(uri);
	if ((r->path = pct_decode(uri, plen, false)) == NULL)
		return 400;
	/* Segments are decoded one by one, so an encoded '/' stays inside its
	 * segment (and then fails the name checks). */
	p = uri + 1;
	end = uri + plen;
	while (p <= end && r->nseg < IG_PATH_MAX_SEGMENTS) {
		const char *s = p;
		while (p < end && *p != '/')
			p++;
		if ((r->seg[r->nseg] = pct_decode(s, (size_t)(p - s), false)) == NULL)
			return 400;
		r->nseg++;
		if (p == end)
			break;
		p++;
	}
	if (p < end)
		return 404;   /* too many segments for any route */
	if (r->nseg > 0 && r->seg[r->nseg - 1][0] == '\0' && r->nseg > 1) {
		free(r->seg[--r->nseg]);   /* one trailing slash is tolerated */
		r->seg[r->nseg] = NULL;
	}
	if (q != NULL) {
		const char *a = q + 1;
		while (*a && r->nq < IG_QUERY_MAX_PARAMS) {
			const char *amp = strchr(a, '&'), *eq;
			size_t n = amp ? (size_t)(amp - a) : strlen(a);

			eq = memchr(a, '=', n);
			if (n > 0) {
				r->qkey[r->nq] = pct_decode(a, eq ? (size_t)(eq - a) : n, true);
				r->qval[r->nq] = eq ? pct_decode(eq + 1, n - (size_t)(eq + 1 - a), true) : strdup("");
				if (r->qkey[r->nq] == NULL || r->qval[r->nq] == NULL ||
				    strlen(r->qval[r->nq]) > QUERY_VAL_MAX) {
					free(r->qkey[r->nq]);
					free(r->qval[r->nq]);
					r->qkey[r->nq] = r->qval[r->nq] = NULL;
					return 400;
				}
				r->nq++;
			}
			if (amp == NULL)
				break;
			a = amp + 1;
		}
	}
	return 0;
}

void
ig_req_free(struct ig_req *r)
{
	size_t i;

	free(r->path);
	for (i = 0; i < r->nseg; i++)
		free(r->seg[i]);
	for (i = 0; i < r->nq; i++) {
		free(r->qkey[i]);
		free(r->qval[i]);
	}
	ig_buf_free(&r->body);
}

const char *
ig_req_query(const struct ig_req *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nq; i++)
		if (strcmp(r->qkey[i], key) == 0)
			return r->qval[i];
	return NULL;
}

const char *
ig_req_cookie(const struct ig_req *r, const char *name, char *out, size_t outlen)
{
	const char *c = ig_req_param(r, "HTTP_COOKIE"), *p;
	size_t nl = strlen(name);

	if (c == NULL)
		return NULL;
	for (p = c; *p; ) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
			const char *v = p + nl + 1, *e = strchr(v, ';');
			size_t n = e ? (size_t)(e - v) : strlen(v);
			if (n >= outlen)
				return NULL;
			memcpy(out, v, n);
			out[n] = '\0';
			return out;
		}
		if ((p = strchr(p, ';')) == NULL)
			break;
	}
	return NULL;
}

int
ig_req_read_body(struct ig_req *r, size_t limit, bool need_json)
{
	const char *cl = ig_req_param(r, "CONTENT_LENGTH"), *ct = ig_req_param(r, "CONTENT_TYPE");
	unsigned long long len = 0;
	char chunk[16384], *end;
	size_t got = 0;

	if (cl == NULL || *cl == '\0')
		return ig_resp_error(r, 411, "length_required", "a request body with Content-Length is required", NULL);
	errno = 0;
	len = strtoull(cl, &end, 10);
	if (errno != 0 || *end != '\0' || cl[0] == '-' || cl[0] == '+')
		return ig_resp_error(r, 400, "bad_request", "invalid Content-Length", NULL);
	if (len > limit)
		return ig_resp_error(r, 413, "payload_too_large", "request body too large", NULL);
	if (need_json) {
		size_t n = strlen("application/json");
		if (ct == NULL || strncasecmp(ct, "application/json", n) != 0 ||
		    (ct[n] != '\0' && ct[n] != ';' && ct[n] != ' '))
			return ig_resp_error(r, 415, "unsupported_media_type",
			    "Content-Type must be application/json", NULL);
	}
	ig_buf_init(&r->body, (size_t)len);
	while (got < len) {
		size_t want = len - got < sizeof(chunk) ? (size_t)(len - got) : sizeof(chunk);
		int n = FCGX_GetStr(chunk, (int)want, r->fcgx->in);
		if (n <= 0)
			return ig_resp_error(r, 400, "bad_request", "request body shorter than Content-Length", NULL);
		if (ig_buf_append(&r->body, chunk, (size_t)n) != 0)
			return ig_resp_error(r, 413, "payload_too_large", "request body too large", NULL);
		got += (size_t)n;
	}
	if (r->body.data == NULL && ig_buf_append(&r->body, "", 0) != 0)
		return ig_resp_error(r, 500, "internal", "out of memory", NULL);
	return 0;
}

char *
ig_req_form_value(const struct ig_req *r, const char *key)
{
	const char *a = r->body.data, *end = a ? a + r->body.len : NULL;
	size_t kl = strlen(key);

	while (a != NULL && a < end) {
		const char *amp = memchr(a, '&', (size_t)(end - a)), *stop = amp ? amp : end;
		const char *eq = memchr(a, '=', (size_t)(stop - a));

		if (eq != NULL && (size_t)(eq - a) == kl && strncmp(a, key, kl) == 0)
			return pct_decode(eq + 1, (size_t)(stop - eq - 1), true);
		a = amp ? amp + 1 : end;
	}
	return NULL;
}

static int
put(struct ig_req *r, const char *p, size_t n)
{
	if (r->client_gone)
		return -1;
	if (n > 0 && FCGX_PutStr(p, (int)n, r->fcgx->out) < 0) {
		r->client_gone = true;
		return -1;
	}
	return 0;
}

static int
head(struct ig_req *r, int status, const char *ctype, const char *extra, long long length)
{
	char h[1024];
	int n;

	if (r->headers_sent)
		return -1;
	r->headers_sent = true;
	r->status = status;
	n = snprintf(h, sizeof(h), "Status: %d %s\r\nContent-Type: %s\r\n%sCache-Control: no-store\r\n"
	    "X-Request-Id: %s\r\n", status, reason(status), ctype, SECURITY_HEADERS, r->request_id);
	if (n < 0 || (size_t)n >= sizeof(h))
		return -1;
	if (length >= 0)
		n += snprintf(h + n, sizeof(h) - (size_t)n, "Content-Length: %lld\r\n", length);
	if (put(r, h, (size_t)n) != 0)
		return -1;
	if (extra != NULL && put(r, extra, strlen(extra)) != 0)
		return -1;
	return put(r, "\r\n", 2);
}

int
ig_resp_text(struct ig_req *r, int status, const char *ctype, const char *body, size_t len,
    const char *extra_headers)
{
	if (head(r, status, ctype, extra_headers, (long long)len) == 0 && strcmp(r->method, "HEAD") != 0)
		put(r, body, len);
	return status;
}

int
ig_resp_json(struct ig_req *r, int status, struct json_object *body)
{
	size_t len = 0;
	const char *s = json_object_to_json_string_length(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	char *copy;

	if (s == NULL)
		return ig_resp_error(r, 500, "internal", "out of memory", NULL);
	/* One extra newline for curl users. */
	if ((copy = malloc(len + 2)) == NULL)
		return ig_resp_error(r, 500, "internal", "out of memory", NULL);
	memcpy(copy, s, len);
	copy[len] = '\n';
	ig_resp_text(r, status, "application/json", copy, len + 1, NULL);
	free(copy);
	return status;
}

/* Writes {"success":false,"serviceName"?,"error":{"code","message"}}. */
static int
error_body(struct ig_req *r, int status, const char *code, const char *message,
    const char *service)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();
	char extra[64] = "";

	json_object_object_add(o, "success", json_object_new_boolean(0));
	if (service != NULL)
		json_object_object_add(o, "serviceName", json_object_new_string(service));
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(o, "error", e);
	if (status == 401)
		snprintf(extra, sizeof(extra), "WWW-Authenticate: Bearer realm=\"ignite\"\r\n");
	{
		size_t len = 0;
		const char *s = json_object_to_json_string_length(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
		char body[2048];
		int n = snprintf(body, sizeof(body), "%s\n", s ? s : "{}");
		if (n < 0 || (size_t)n >= sizeof(body))
			n = snprintf(body, sizeof(body), "{\"success\":false,\"error\":{\"code\":\"%s\"}}\n", code);
		ig_resp_text(r, status, "application/json", body, (size_t)n, extra[0] ? extra : NULL);
	}
	json_object_put(o);
	return status;
}

/* The fixed text for an error code that ig_http_status_for gives to a class
 * of failures that are not about the request (engine, storage, bugs), or
 * NULL. */
static const char *
hidden_text(const char *code)
{
	struct ig_err probe = { 0 };
	const char *c, *text;

	for (probe.code = IG_EINVAL; probe.code <= IG_EINTERNAL; probe.code++) {
		ig_http_status_for(&probe, &c);
		if (strcmp(c, code) == 0 && (text = ig_request_failure_text(probe.code)) != NULL)
			return text;
	}
	return NULL;
}

/* Error bodies of the engine, storage and internal classes carry a fixed
 * message: core's (which may name the Docker socket, the runs directory or
 * a service directory) goes to the log with the request id instead. */
int
ig_resp_error(struct ig_req *r, int status, const char *code, const char *message,
    const char *service)
{
	const char *text = hidden_text(code);
	char num[16];

	if (text != NULL && (message == NULL || strcmp(text, message) != 0)) {
		snprintf(num, sizeof(num), "%d", status);
		ig_log(IG_LOG_ERROR, "error detail not shown to the client", "id", r->request_id,
		    "#status", num, "code", code, "service", service ? service : "",
		    "error", message ? message : "", NULL);
		message = text;
	}
	return error_body(r, status, code, message, service);
}

int
ig_resp_redirect(struct ig_req *r, const char *location, const char *extra_headers)
{
	char h[1024];

	snprintf(h, sizeof(h), "Location: %s\r\n%s", location, extra_headers ? extra_headers : "");
	return ig_resp_text(r, 303, "text/plain; charset=utf-8", "", 0, h);
}

int
ig_resp_stream_start(struct ig_req *r, int status, const char *ctype)
{
	if (head(r, status, ctype, "X-Accel-Buffering: no\r\n", -1) != 0)
		return -1;
	return FCGX_FFlush(r->fcgx->out) < 0 ? (r->client_gone = true, -1) : 0;
}

int
ig_resp_stream_line(struct ig_req *r, struct json_object *line)
{
	size_t len = 0;
	const char *s = json_object_to_json_string_length(line,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	if (s == NULL || put(r, s, len) != 0 || put(r, "\n", 1) != 0)
		return -1;
	if (FCGX_FFlush(r->fcgx->out) < 0) {
		r->client_gone = true;
		return -1;
	}
	return 0;
}

int
ig_http_status_for(const struct ig_err *err, const char **code)
{
	switch (err->code) {
	case IG_EINVAL:       *code = "invalid_request"; return 400;
	case IG_ENOENT:       *code = "not_found"; return 404;
	case IG_ETOOBIG:      *code = "payload_too_large"; return 413;
	case IG_EDOCKER_DOWN: *code = "docker_unavailable"; return 503;
	case IG_EDOCKER:      *code = "docker_error"; return 503;
	case IG_ETIMEOUT:     *code = "docker_timeout"; return 503;
	case IG_EIO:          *code = "storage_unavailable"; return err->sys_errno == ENOSPC ? 507 : 503;
	case IG_EPERM:        *code = "forbidden"; return 400;
	default:              *code = "internal"; return 500;
	}
}
