/*
 * docker.c — the Docker Engine API client (libcurl + json-c): one reused
 * easy handle per client, one helper that makes an engine call, and the
 * typed container and image calls on top of it. What the answers mean is
 * docker_parse.c; the attach session is docker_attach.c.
 */
#include "docker.h"

#include <pthread.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "docker_priv.h"

#define URL_MAX        (8 * 1024)     /* a request URL we build */

/* A container id or name as it may appear in a URL path. */
static bool
valid_container_ref(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > IG_DOCKER_REF_MAX || !is_alnum(s[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* An image reference ("ignite-runtime/node:24", "sha256:…", "a@sha256:…"):
 * the characters the reference grammar allows, no empty or dot-dot path
 * segments (so it cannot walk the URL path). */
static bool
valid_image_ref(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > IG_DOCKER_REF_MAX || !is_alnum(s[0]))
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];
		if (!is_alnum(ch) && ch != '.' && ch != '_' && ch != '-' && ch != '/' &&
		    ch != ':' && ch != '@')
			return false;
	}
	if (strstr(s, "..") != NULL || strstr(s, "//") != NULL || s[n - 1] == '/')
		return false;
	return true;
}

/* A repository name or tag for a query string. */
static bool
valid_tag(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 128 || !is_alnum(s[0]))
		return false;
	for (i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

int
ig_docker_check_container(const char *id, struct ig_err *err)
{
	if (!valid_container_ref(id)) {
		ig_err_set(err, IG_EINVAL, "not a container id or name: \"%.80s\"", id ? id : "");
		return -1;
	}
	return 0;
}

static int
check_image(const char *ref, struct ig_err *err)
{
	if (!valid_image_ref(ref)) {
		ig_err_set(err, IG_EINVAL, "not an image reference: \"%.80s\"", ref ? ref : "");
		return -1;
	}
	return 0;
}

/* ================================================================== */
/* Client.                                                             */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void
curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

#define SETOPT(h, opt, val) do {                                   \
	if (curl_easy_setopt((h), (opt), (val)) != CURLE_OK)       \
		goto setopt_fail;                                  \
} while (0)

/* No proxy: libcurl would otherwise consult http_proxy on each call. */
int
ig_docker_curl_base(CURL *h, const struct ig_docker_endpoint *ep,
    long connect_timeout_ms, char *errbuf)
{
	errbuf[0] = '\0';
	SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, ep->tls ? "https" : "http");
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(h, CURLOPT_PROXY, "");
	SETOPT(h, CURLOPT_NOPROXY, "*");
	SETOPT(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
	SETOPT(h, CURLOPT_USERAGENT, "ignite");
	if (ep->transport == IG_DOCKER_UNIX)
		SETOPT(h, CURLOPT_UNIX_SOCKET_PATH, ep->socket_path);
	if (ep->tls) {
		SETOPT(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
		SETOPT(h, CURLOPT_CAINFO, ep->ca_file);
		SETOPT(h, CURLOPT_SSLCERT, ep->cert_file);
		SETOPT(h, CURLOPT_SSLKEY, ep->key_file);
		SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
		SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	return 0;
setopt_fail:
	return -1;
}

int
ig_docker_new(const struct ig_docker_config *cfg, struct ig_docker **out,
    struct ig_err *err)
{
	struct ig_docker *c = NULL;
	int rc = -1;

	*out = NULL;
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK) {
		ig_err_set(err, IG_EINTERNAL, "libcurl could not be initialised");
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	if (cfg != NULL && cfg->endpoint != NULL)
		c->ep = *cfg->endpoint;
	else if (ig_docker_endpoint_from_env(cfg ? cfg->host : NULL, &c->ep, err) != 0)
		goto out;
	if (c->ep.transport != IG_DOCKER_UNIX && c->ep.transport != IG_DOCKER_TCP) {
		ig_err_set(err, IG_EINVAL, "Docker endpoint has no transport");
		goto out;
	}
	c->connect_timeout_ms = (cfg && cfg->connect_timeout_ms > 0) ?
	    cfg->connect_timeout_ms : IG_DOCKER_CONNECT_TIMEOUT_MS;
	c->request_timeout_ms = (cfg && cfg->request_timeout_ms > 0) ?
	    cfg->request_timeout_ms : IG_DOCKER_REQUEST_TIMEOUT_MS;
	ig_buf_init(&c->resp, (cfg && cfg->response_max > 0) ?
	    cfg->response_max : IG_DOCKER_RESPONSE_MAX);
	if ((c->curl = curl_easy_init()) == NULL) {
		ig_err_set(err, IG_ENOMEM, "libcurl handle could not be created");
		goto out;
	}
	*out = c;
	c = NULL;
	rc = 0;
out:
	ig_docker_free(c);
	return rc;
}

void
ig_docker_free(struct ig_docker *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	ig_buf_free(&c->resp);
	free(c);
}

const char *
ig_docker_endpoint_str(const struct ig_docker *c)
{
	return c->ep.display;
}

const char *
ig_docker_api_version(const struct ig_docker *c)
{
	return c->api[0] ? c->api : NULL;
}

long
ig_docker_connections(const struct ig_docker *c)
{
	return c->connections;
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct ig_docker *c = arg;
	size_t n = size * nmemb;

	if (n > c->resp.max - c->resp.len) {
		c->resp_overflow = true;
		return 0;                 /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (ig_buf_append(&c->resp, p, n) != 0)
		return 0;
	return n;
}

void
ig_docker_curl_error(const struct ig_docker_endpoint *ep, CURL *h, CURLcode rc,
    const char *errbuf, bool overflow, size_t cap, long timeout_ms,
    struct ig_err *err)
{
	long os_errno = 0, req_size = 0;
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);

	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &req_size);
	if (os_errno > 0 && rc == CURLE_COULDNT_CONNECT)
		why = strerror((int)os_errno);
	switch (rc) {
	case CURLE_WRITE_ERROR:
		if (overflow)
			ig_err_set(err, IG_ETOOBIG,
			    "Docker engine answer exceeds the limit of %zu bytes", cap);
		else
			ig_err_set(err, IG_ENOMEM, "out of memory reading the Docker engine's answer");
		return;
	case CURLE_OUT_OF_MEMORY:
		ig_err_set(err, IG_ENOMEM, "out of memory talking to the Docker engine");
		return;
	case CURLE_OPERATION_TIMEDOUT:
		if (req_size == 0)        /* the request never went out */
			ig_err_set(err, IG_EDOCKER_DOWN,
			    "Docker engine not reachable at %s: connection timed out", ep->display);
		else
			ig_err_set(err, IG_ETIMEOUT,
			    "Docker engine at %s did not answer within %ld ms", ep->display, timeout_ms);
		return;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		if (req_size == 0)
			ig_err_set(err, IG_EDOCKER_DOWN, "Docker engine not reachable at %s: %s",
			    ep->display, why);
		else
			ig_err_set(err, IG_EDOCKER_DOWN,
			    "Docker engine at %s closed the connection: %s", ep->display, why);
		return;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		ig_err_set(err, IG_EINTERNAL, "bad Docker request URL: %s", why);
		return;
	default:
		/* Connection refused, socket missing, name resolution, TLS. */
		ig_err_set(err, IG_EDOCKER_DOWN, "Docker engine not reachable at %s: %s",
		    ep->display, why);
		return;
	}
}

enum method { M_GET, M_POST, M_DELETE };

/* How one engine call is made; fields left zero take the defaults. */
struct request {
	enum method  method;
	const void  *body;          /* POST body, or NULL */
	size_t       body_len;
	const char  *content_type;  /* for body */
	long         timeout_ms;    /* 0: the client's request timeout */
	long         also_ok;       /* a non-2xx status that also means success */
	bool         unversioned;   /* no /v<api> prefix (and no negotiation first) */
};

static const struct request get = { .method = M_GET };

/* Performs one request on the client's handle. Returns 0 with *status the
 * HTTP status and the body in c->resp, or -1 (transport errors only). */
static int
perform(struct ig_docker *c, const struct request *r, const char *path,
    long *status, struct ig_err *err)
{
	struct curl_slist *hdrs = NULL, *tmp;
	struct ig_buf url;
	char ctype[96];
	long timeout = r->timeout_ms > 0 ? r->timeout_ms : c->request_timeout_ms;
	long nconn = 0;
	CURLcode crc;
	int rc = -1;

	ig_buf_init(&url, URL_MAX);
	*status = 0;
	if (!r->unversioned && c->api[0] == '\0' && ig_docker_negotiate(c, NULL, err) != 0)
		goto out;
	if (ig_buf_puts(&url, c->ep.base_url) != 0 ||
	    (!r->unversioned && ig_buf_printf(&url, "/v%s", c->api) != 0) ||
	    ig_buf_puts(&url, path) != 0) {
		ig_err_set(err, IG_EINVAL, "Docker request URL too long");
		goto out;
	}
	curl_easy_reset(c->curl);
	if (ig_docker_curl_base(c->curl, &c->ep, c->connect_timeout_ms, c->errbuf) != 0)
		goto setopt_fail;
	SETOPT(c->curl, CURLOPT_URL, url.data);
	SETOPT(c->curl, CURLOPT_TIMEOUT_MS, timeout);
	SETOPT(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(c->curl, CURLOPT_WRITEDATA, c);
	/* Never "Expect: 100-continue": the engine answers at once anyway. */
	if ((tmp = curl_slist_append(hdrs, "Expect:")) == NULL)
		goto nomem;
	hdrs = tmp;
	switch (r->method) {
	case M_GET:
		SETOPT(c->curl, CURLOPT_HTTPGET, 1L);
		break;
	case M_DELETE:
		SETOPT(c->curl, CURLOPT_HTTPGET, 1L);
		SETOPT(c->curl, CURLOPT_CUSTOMREQUEST, "DELETE");
		break;
	case M_POST:
		SETOPT(c->curl, CURLOPT_POST, 1L);
		SETOPT(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(r->body ? r->body_len : 0));
		SETOPT(c->curl, CURLOPT_POSTFIELDS, r->body ? (const char *)r->body : "");
		if (r->body != NULL && r->content_type != NULL) {
			snprintf(ctype, sizeof(ctype), "Content-Type: %s", r->content_type);
			if ((tmp = curl_slist_append(hdrs, ctype)) == NULL)
				goto nomem;
			hdrs = tmp;
		}
		break;
	}
	SETOPT(c->curl, CURLOPT_HTTPHEADER, hdrs);
	ig_buf_reset(&c->resp);
	c->resp_overflow = false;
	crc = curl_easy_perform(c->curl);
	if (curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK)
		c->connections += nconn;
	if (crc != CURLE_OK) {
		ig_docker_curl_error(&c->ep, c->curl, crc, c->errbuf, c->resp_overflow,
		    c->resp.max, timeout, err);
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	rc = 0;
	goto out;
nomem:
	ig_err_set(err, IG_ENOMEM, "out of memory");
	goto out;
setopt_fail:
	ig_err_set(err, IG_EINTERNAL, "libcurl refused an option");
out:
	curl_slist_free_all(hdrs);
	ig_buf_free(&url);
	return rc;
}

/* Turns a non-2xx status into an error: 404 → IG_ENOENT with the engine's
 * message, anything else → IG_EDOCKER. Returns 0 for 2xx. */
static int
check_status(struct ig_docker *c, long status, struct ig_err *err)
{
	char msg[200];

	if (status >= 200 && status < 300)
		return 0;
	ig_docker_error_message(c->resp.data, c->resp.len, msg, sizeof(msg));
	if (status == 404)
		ig_err_set(err, IG_ENOENT, "%s", msg[0] ? msg : "not found in the Docker engine");
	else
		ig_err_set(err, IG_EDOCKER, "Docker engine: %s (HTTP %ld)",
		    msg[0] ? msg : "error", status);
	return -1;
}

/* One engine call: the path (printf-style, its arguments already safe for a
 * URL), then the request r, then the status (2xx or r->also_ok is success).
 * Returns 0 with the answer's body in c->resp for the caller's parser, or
 * -1 (IG_EINVAL for a path longer than URL_MAX, transport errors, the
 * engine's error mapped by check_status). */
static __attribute__((format(printf, 4, 5))) int
engine_call(struct ig_docker *c, const struct request *r, struct ig_err *err,
    const char *fmt, ...)
{
	char path[URL_MAX];
	va_list ap;
	long status;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		ig_err_set(err, IG_EINVAL, "Docker request path too long");
		return -1;
	}
	if (perform(c, r, path, &status, err) != 0)
		return -1;
	if (r->also_ok != 0 && status == r->also_ok)
		return 0;
	return check_status(c, status, err);
}

int
ig_docker_negotiate(struct ig_docker *c, struct ig_docker_version *out,
    struct ig_err *err)
{
	static const struct request r = { .method = M_GET, .unversioned = true };
	struct ig_docker_version ver;

	if (engine_call(c, &r, err, "/version") != 0 ||
	    ig_docker_parse_version(c->resp.data, c->resp.len, &ver, err) != 0 ||
	    ig_docker_api_negotiate(ver.api_version, ver.min_api_version, c->api,
	        sizeof(c->api), err) != 0) {
		c->api[0] = '\0';
		return -1;
	}
	snprintf(ver.negotiated, sizeof(ver.negotiated), "%s", c->api);
	if (out != NULL)
		*out = ver;
	return 0;
}

int
ig_docker_ping(struct ig_docker *c, struct ig_err *err)
{
	static const struct request r = { .method = M_GET, .unversioned = true };

	if (engine_call(c, &r, err, "/_ping") != 0)
		return -1;
	if (c->resp.len != 2 || memcmp(c->resp.data, "OK", 2) != 0) {
		ig_err_set(err, IG_EDOCKER, "%s to GET /_ping", BAD_ANSWER);
		return -1;
	}
	return 0;
}

/* ================================================================== */
/* Images.                                                             */

int
ig_docker_image_inspect(struct ig_docker *c, const char *ref,
    struct ig_docker_image **out, struct ig_err *err)
{
	*out = NULL;
	if (check_image(ref, err) != 0)
		return -1;
	if (engine_call(c, &get, err, "/images/%s/json", ref) != 0) {
		if (err != NULL && err->code == IG_ENOENT)
			ig_err_set(err, IG_ENOENT, "image %s not found in the Docker engine", ref);
		return -1;
	}
	return ig_docker_parse_image(c->resp.data, c->resp.len, out, err);
}

int
ig_docker_image_import(struct ig_docker *c, const void *tar, size_t len,
    const char *repo, const char *tag, char *id, size_t idlen,
    struct ig_err *err)
{
	const struct request r = { .method = M_POST, .body = tar, .body_len = len,
	    .content_type = "application/x-tar" };

	if (id != NULL && idlen > 0)
		id[0] = '\0';
	if (!valid_image_ref(repo) || strchr(repo, ':') != NULL || strchr(repo, '@') != NULL ||
	    !valid_tag(tag) || tar == NULL || len == 0) {
		ig_err_set(err, IG_EINVAL, "image import needs a tar, a repository and a tag");
		return -1;
	}
	if (engine_call(c, &r, err, "/images/create?fromSrc=-&repo=%s&tag=%s", repo, tag) != 0)
		return -1;
	return ig_docker_parse_progress(c->resp.data, c->resp.len, id, idlen, err);
}

int
ig_docker_image_remove(struct ig_docker *c, const char *ref, struct ig_err *err)
{
	static const struct request r = { .method = M_DELETE, .also_ok = 404 };  /* already gone */

	if (check_image(ref, err) != 0)
		return -1;
	return engine_call(c, &r, err, "/images/%s?force=1", ref);
}

/* ================================================================== */
/* Containers.                                                         */

int
ig_docker_container_create(struct ig_docker *c, const char *name,
    struct json_object *body, char id[IG_DOCKER_ID_LEN + 1],
    struct ig_docker_strv *warnings, struct ig_err *err)
{
	struct request r = { .method = M_POST, .content_type = "application/json" };
	const char *json;
	size_t jlen = 0;

	id[0] = '\0';
	if (warnings != NULL) {
		warnings->v = NULL;
		warnings->n = 0;
	}
	if (!json_object_is_type(body, json_type_object) || body == NULL) {
		ig_err_set(err, IG_EINVAL, "container create needs a JSON object");
		return -1;
	}
	if (name != NULL && !valid_container_ref(name)) {
		ig_err_set(err, IG_EINVAL, "not a container name: \"%.80s\"", name);
		return -1;
	}
	if ((json = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &jlen)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	r.body = json;
	r.body_len = jlen;
	if (engine_call(c, &r, err, "/containers/create%s%s", name ? "?name=" : "",
	    name ? name : "") != 0)
		return -1;
	return ig_docker_parse_create(c->resp.data, c->resp.len, id, warnings, err);
}

int
ig_docker_container_start(struct ig_docker *c, const char *id, struct ig_err *err)
{
	static const struct request r = { .method = M_POST, .also_ok = 304 };  /* already started */

	if (ig_docker_check_container(id, err) != 0)
		return -1;
	return engine_call(c, &r, err, "/containers/%s/start", id);
}

int
ig_docker_container_rename(struct ig_docker *c, const char *id, const char *name,
    struct ig_err *err)
{
	static const struct request r = { .method = M_POST };

	if (ig_docker_check_container(id, err) != 0)
		return -1;
	if (name == NULL || !valid_container_ref(name)) {
		ig_err_set(err, IG_EINVAL, "invalid container name");
		return -1;
	}
	return engine_call(c, &r, err, "/containers/%s/rename?name=%s", id, name);
}

int
ig_docker_container_wait(struct ig_docker *c, const char *id,
    enum ig_docker_wait_cond cond, long timeout_ms, long *status,
    struct ig_err *err)
{
	const struct request r = { .method = M_POST, .timeout_ms = timeout_ms };

	if (timeout_ms <= 0) {
		ig_err_set(err, IG_EINVAL, "container wait needs a timeout");
		return -1;
	}
	if (ig_docker_check_container(id, err) != 0 ||
	    engine_call(c, &r, err, "/containers/%s/wait?condition=%s", id,
	        cond == IG_DOCKER_WAIT_NEXT_EXIT ? "next-exit" : "not-running") != 0)
		return -1;
	return ig_docker_parse_wait(c->resp.data, c->resp.len, status, err);
}

int
ig_docker_container_kill(struct ig_docker *c, const char *id,
    const char *signal, struct ig_err *err)
{
	/* 409: not running, nothing to kill. */
	static const struct request r = { .method = M_POST, .also_ok = 409 };
	size_t i, n;

	if (signal == NULL)
		signal = "SIGKILL";
	n = strlen(signal);
	if (n == 0 || n > 32)
		goto bad;
	for (i = 0; i < n; i++)
		if (!is_alnum(signal[i]) && signal[i] != '+' && signal[i] != '-')
			goto bad;
	if (ig_docker_check_container(id, err) != 0)
		return -1;
	return engine_call(c, &r, err, "/containers/%s/kill?signal=%s", id, signal);
bad:
	ig_err_set(err, IG_EINVAL, "not a signal: \"%.40s\"", signal);
	return -1;
}

int
ig_docker_container_inspect(struct ig_docker *c, const char *id,
    struct ig_docker_state *st, struct ig_err *err)
{
	memset(st, 0, sizeof(*st));
	if (ig_docker_check_container(id, err) != 0 ||
	    engine_call(c, &get, err, "/containers/%s/json", id) != 0)
		return -1;
	return ig_docker_parse_state(c->resp.data, c->resp.len, st, err);
}

int
ig_docker_container_label(struct ig_docker *c, const char *id, const char *key,
    char *out, size_t outlen, struct ig_err *err)
{
	if (ig_docker_check_container(id, err) != 0 ||
	    engine_call(c, &get, err, "/containers/%s/json", id) != 0)
		return -1;
	return ig_docker_parse_label(c->resp.data, c->resp.len, key, out, outlen, err);
}

int
ig_docker_container_changes(struct ig_docker *c, const char *id,
    struct ig_docker_changes *out, struct ig_err *err)
{
	out->v = NULL;
	out->n = 0;
	if (ig_docker_check_container(id, err) != 0 ||
	    engine_call(c, &get, err, "/containers/%s/changes", id) != 0)
		return -1;
	return ig_docker_parse_changes(c->resp.data, c->resp.len, out, err);
}

int
ig_docker_container_remove(struct ig_docker *c, const char *id, struct ig_err *err)
{
	static const struct request r = { .method = M_DELETE, .also_ok = 404 };  /* already gone */

	if (ig_docker_check_container(id, err) != 0)
		return -1;
	return engine_call(c, &r, err, "/containers/%s?force=1&v=1", id);
}

int
ig_docker_container_list(struct ig_docker *c, const char *label,
    struct ig_docker_strv *ids, struct ig_err *err)
{
	struct json_object *filters = NULL, *arr = NULL;
	char *esc = NULL;
	size_t i, n;
	int rc = -1;

	ids->v = NULL;
	ids->n = 0;
	n = label ? strlen(label) : 0;
	if (n == 0 || n > IG_DOCKER_REF_MAX) {
		ig_err_set(err, IG_EINVAL, "container list needs a label");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)label[i] <= 0x20 || (unsigned char)label[i] >= 0x7f) {
			ig_err_set(err, IG_EINVAL, "label holds a space or control character");
			goto out;
		}
	}
	if ((filters = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL ||
	    json_object_array_add(arr, json_object_new_string(label)) != 0 ||
	    json_object_array_length(arr) != 1 ||
	    json_object_get_string(json_object_array_get_idx(arr, 0)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	if (json_object_object_add(filters, "label", arr) != 0) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	arr = NULL;
	esc = curl_easy_escape(c->curl,
	    json_object_to_json_string_ext(filters, JSON_C_TO_STRING_PLAIN), 0);
	if (esc == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	if (engine_call(c, &get, err, "/containers/json?all=1&filters=%s", esc) != 0 ||
	    ig_docker_parse_container_list(c->resp.data, c->resp.len, ids, err) != 0)
		goto out;
	rc = 0;
out:
	curl_free(esc);
	json_object_put(arr);
	json_object_put(filters);
	return rc;
}
