/*
 * docker.c — the Docker Engine API client (libcurl + json-c).
 *
 * Layout: pure parsers first (endpoint, JSON answers, time, HTTP head, the
 * attach stream demultiplexer) — they take (pointer, length), never do I/O
 * and accept any bytes — then the client (one reused easy handle per
 * client), the typed calls, and the attach session.
 */
#include "docker.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "buf.h"

#define URL_MAX        (8 * 1024)     /* a request URL we build */
#define ATTACH_BUF     (64 * 1024)    /* one curl_easy_recv on an attach session */
#define BAD_ANSWER     "unexpected answer from the Docker engine"

/* Integer bounds straight from the compiler. */
#define INT_MAX_       __INT_MAX__
#define INT_MIN_       (-__INT_MAX__ - 1)
#define LONG_MAX_      __LONG_MAX__
#define LONG_MIN_      (-__LONG_MAX__ - 1L)

/* ================================================================== */
/* Small helpers.                                                      */

static bool
is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static bool
is_alnum(int ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool
is_hex_lower(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return true;
}

/* Copies n bytes of src into dst (size dstsz) with a NUL. Returns -1 if
 * they do not fit. */
static int
copy_bounded(char *dst, size_t dstsz, const char *src, size_t n)
{
	if (n >= dstsz)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* Formats into dst; returns -1 when the result would be truncated. */
static int
fmt_bounded(char *dst, size_t dstsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fmt_bounded(char *dst, size_t dstsz, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, dstsz, fmt, ap);
	va_end(ap);
	return (n < 0 || (size_t)n >= dstsz) ? -1 : 0;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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

/* ================================================================== */
/* JSON helpers: strict parse of a whole answer, typed member access.  */

static bool
is_ws(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Parses one JSON value starting at body[*off]; on success *off is past it
 * and *out holds it (NULL for JSON null). Returns 0 or -1. */
static int
json_parse_one(struct json_tokener *tok, const char *body, size_t len,
    size_t *off, struct json_object **out)
{
	struct json_object *o;
	enum json_tokener_error jerr;

	*out = NULL;
	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, body + *off, (int)(len - *off));
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		/* A bare number at the very end is only complete once the
		 * tokener sees a terminator. */
		o = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		if (jerr != json_tokener_success) {
			json_object_put(o);
			return -1;
		}
		*off = len;
		*out = o;
		return 0;
	}
	if (jerr != json_tokener_success) {
		json_object_put(o);
		return -1;
	}
	*off += json_tokener_get_parse_end(tok);
	*out = o;
	return 0;
}

static struct json_tokener *
new_tokener(void)
{
	struct json_tokener *tok = json_tokener_new_ex(IG_DOCKER_JSON_DEPTH);

	if (tok != NULL)
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	return tok;
}

/* Parses body as exactly one JSON value (whitespace around it allowed).
 * *out may be NULL afterwards (JSON null). Returns 0 or -1 with IG_EDOCKER. */
static int
json_parse_all(const char *body, size_t len, const char *what,
    struct json_object **out, struct ig_err *err)
{
	struct json_tokener *tok = NULL;
	struct json_object *o = NULL;
	size_t off = 0;
	int rc = -1;

	*out = NULL;
	if (body == NULL)
		len = 0;
	if (len > INT_MAX_ || (len > 0 && memchr(body, '\0', len) != NULL)) {
		ig_err_set(err, IG_EDOCKER, "%s to %s: not JSON text", BAD_ANSWER, what);
		goto out;
	}
	while (off < len && is_ws(body[off]))
		off++;
	if (off == len) {
		ig_err_set(err, IG_EDOCKER, "%s to %s: empty", BAD_ANSWER, what);
		goto out;
	}
	if ((tok = new_tokener()) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	if (json_parse_one(tok, body, len, &off, &o) != 0) {
		ig_err_set(err, IG_EDOCKER, "%s to %s: invalid JSON", BAD_ANSWER, what);
		goto out;
	}
	while (off < len && is_ws(body[off]))
		off++;
	if (off != len) {
		ig_err_set(err, IG_EDOCKER, "%s to %s: text after the JSON value", BAD_ANSWER, what);
		goto out;
	}
	*out = o;
	o = NULL;
	rc = 0;
out:
	json_object_put(o);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}

/* The member key of object o if it has type t (JSON null counts as absent). */
static struct json_object *
member(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return json_object_is_type(v, t) ? v : NULL;
}

/* True if o has member key that is present, not null, and not of type t. */
static bool
member_mistyped(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return false;
	return !json_object_is_type(v, t);
}

/* The string value of v (a json string) if it holds no NUL byte. */
static const char *
json_str(struct json_object *v, size_t *n)
{
	const char *s;
	int len;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if (s == NULL || len < 0 || strlen(s) != (size_t)len)
		return NULL;
	if (n != NULL)
		*n = (size_t)len;
	return s;
}

/* String member key of o into dst; absent gives "" unless required. */
static int
member_str_into(struct json_object *o, const char *key, bool required,
    char *dst, size_t dstsz)
{
	struct json_object *v = member(o, key, json_type_string);
	const char *s;
	size_t n;

	dst[0] = '\0';
	if (v == NULL)
		return (required || member_mistyped(o, key, json_type_string)) ? -1 : 0;
	if ((s = json_str(v, &n)) == NULL)
		return -1;
	return copy_bounded(dst, dstsz, s, n);
}

/* Integer member key of o within [lo, hi]. */
static int
member_int(struct json_object *o, const char *key, int64_t lo, int64_t hi,
    int64_t *val)
{
	struct json_object *v = member(o, key, json_type_int);
	int64_t x;

	if (v == NULL)
		return -1;
	x = json_object_get_int64(v);
	/* json-c clamps numbers beyond int64 to its ends: refuse those. */
	if (x == INT64_MAX || x == INT64_MIN || x < lo || x > hi)
		return -1;
	*val = x;
	return 0;
}

/* Boolean member key of o (absent: false). */
static int
member_bool(struct json_object *o, const char *key, bool *val)
{
	struct json_object *v = member(o, key, json_type_boolean);

	*val = false;
	if (v == NULL)
		return member_mistyped(o, key, json_type_boolean) ? -1 : 0;
	*val = json_object_get_boolean(v) != 0;
	return 0;
}

/* Copies a printable rendering of s[0..n) into out (size outsz > 0): control
 * bytes become '?', and so do non-ASCII bytes unless utf8 says the text is
 * known to be valid UTF-8; a multi-byte character is never cut. */
static size_t
sanitize_into(const char *s, size_t n, bool utf8, char *out, size_t outsz)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < outsz; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f || (ch >= 0x80 && !utf8))
			ch = '?';
		out[o++] = (char)ch;
	}
	/* Back off a trailing partial UTF-8 sequence left by truncation. */
	if (utf8 && i < n && o > 0) {
		size_t k = o;
		while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
			k--;
		if (k > 0 && (unsigned char)out[k - 1] >= 0xC0)
			o = k - 1;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return o;
}

size_t
ig_docker_error_message(const char *body, size_t len, char *out, size_t outsz)
{
	struct json_object *o = NULL;
	const char *s;
	size_t n = 0, r, i;

	if (outsz == 0)
		return 0;
	out[0] = '\0';
	if (body == NULL || len == 0)
		return 0;
	if (json_parse_all(body, len, "an error", &o, NULL) == 0) {
		s = json_str(member(o, "message", json_type_string), &n);
		if (s != NULL) {
			r = sanitize_into(s, n, true, out, outsz);
			json_object_put(o);
			return r;
		}
		json_object_put(o);
	}
	/* Not the engine's JSON (a proxy, a crash): its first line. */
	for (i = 0; i < len && is_ws(body[i]); i++)
		;
	body += i;
	len -= i;
	for (n = 0; n < len && body[n] != '\n' && body[n] != '\r'; n++)
		;
	return sanitize_into(body, n, false, out, outsz);
}

/* ================================================================== */
/* Endpoint.                                                           */

static int
parse_port(const char *s, size_t n, int *port)
{
	int v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

static int
endpoint_tcp(const char *rest, struct ig_docker_endpoint *ep, struct ig_err *err,
    const char *orig)
{
	const char *slash = strchr(rest, '/');
	size_t hp_len = slash ? (size_t)(slash - rest) : strlen(rest);
	const char *port_s = NULL;
	size_t host_len, port_len = 0, i;

	if (slash != NULL && slash[1] != '\0') {
		ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: a path after host:port is not supported", orig);
		return -1;
	}
	if (hp_len > 0 && rest[0] == '[') {
		const char *close = memchr(rest, ']', hp_len);
		if (close == NULL || close == rest + 1) {
			ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: bad IPv6 address", orig);
			return -1;
		}
		for (i = 1; rest + i < close; i++) {
			char ch = rest[i];
			if (!is_digit(ch) && !((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f') &&
			    ch != ':' && ch != '.') {
				ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: bad IPv6 address", orig);
				return -1;
			}
		}
		host_len = (size_t)(close - rest) + 1;
		if (host_len < hp_len) {
			if (rest[host_len] != ':') {
				ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: expected :port after the address", orig);
				return -1;
			}
			port_s = rest + host_len + 1;
			port_len = hp_len - host_len - 1;
		}
	} else {
		const char *colon = memchr(rest, ':', hp_len);
		host_len = colon ? (size_t)(colon - rest) : hp_len;
		if (colon != NULL) {
			port_s = colon + 1;
			port_len = hp_len - host_len - 1;
		}
		for (i = 0; i < host_len; i++) {
			if (!is_alnum(rest[i]) && rest[i] != '.' && rest[i] != '-') {
				ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: bad host name", orig);
				return -1;
			}
		}
	}
	if (host_len > IG_DOCKER_HOSTNAME_MAX + 2) {
		ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: host name too long", orig);
		return -1;
	}
	if (host_len == 0)
		snprintf(ep->host, sizeof(ep->host), "localhost");
	else
		copy_bounded(ep->host, sizeof(ep->host), rest, host_len);
	if (port_s != NULL) {
		if (parse_port(port_s, port_len, &ep->port) != 0) {
			ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: bad port", orig);
			return -1;
		}
	} else {
		ep->port = ep->tls ? 2376 : 2375;
	}
	ep->transport = IG_DOCKER_TCP;
	if (fmt_bounded(ep->base_url, sizeof(ep->base_url), "%s://%s:%d",
	    ep->tls ? "https" : "http", ep->host, ep->port) != 0 ||
	    fmt_bounded(ep->display, sizeof(ep->display), "tcp://%s:%d", ep->host, ep->port) != 0) {
		ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: too long", orig);
		return -1;
	}
	return 0;
}

int
ig_docker_endpoint_parse(const char *docker_host, const char *tls_verify,
    const char *cert_path, const char *home, struct ig_docker_endpoint *out,
    struct ig_err *err)
{
	char dir[IG_DOCKER_PATH_MAX];
	const char *p;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	if (docker_host == NULL || docker_host[0] == '\0')
		docker_host = IG_DOCKER_DEFAULT_HOST;
	n = strlen(docker_host);
	if (n >= IG_DOCKER_PATH_MAX) {
		ig_err_set(err, IG_EINVAL, "DOCKER_HOST is too long (%zu bytes)", n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)docker_host[i];
		if (ch <= 0x20 || ch >= 0x7f) {
			ig_err_set(err, IG_EINVAL, "DOCKER_HOST holds a space or control character");
			return -1;
		}
	}
	if (strncmp(docker_host, "unix://", 7) == 0) {
		p = docker_host + 7;
		if (*p == '\0')
			p = IG_DOCKER_DEFAULT_SOCKET;
		if (p[0] != '/') {
			ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: the socket path must be absolute", docker_host);
			return -1;
		}
		if (copy_bounded(out->socket_path, sizeof(out->socket_path), p, strlen(p)) != 0) {
			ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: socket path too long", docker_host);
			return -1;
		}
		out->transport = IG_DOCKER_UNIX;
		snprintf(out->base_url, sizeof(out->base_url), "http://localhost");
		if (fmt_bounded(out->display, sizeof(out->display), "unix://%s", p) != 0) {
			ig_err_set(err, IG_EINVAL, "DOCKER_HOST too long");
			return -1;
		}
		return 0;
	}
	if (strncmp(docker_host, "tcp://", 6) != 0) {
		ig_err_set(err, IG_EINVAL,
		    "DOCKER_HOST %s: only unix:// and tcp:// endpoints are supported", docker_host);
		return -1;
	}
	out->tls = tls_verify != NULL && tls_verify[0] != '\0';
	if (out->tls) {
		if (cert_path != NULL && cert_path[0] != '\0') {
			if (copy_bounded(dir, sizeof(dir), cert_path, strlen(cert_path)) != 0) {
				ig_err_set(err, IG_EINVAL, "DOCKER_CERT_PATH is too long");
				return -1;
			}
		} else if (home != NULL && home[0] != '\0') {
			if (fmt_bounded(dir, sizeof(dir), "%s/.docker", home) != 0) {
				ig_err_set(err, IG_EINVAL, "HOME is too long");
				return -1;
			}
		} else {
			ig_err_set(err, IG_EINVAL,
			    "DOCKER_TLS_VERIFY is set but neither DOCKER_CERT_PATH nor HOME is");
			return -1;
		}
		if (fmt_bounded(out->ca_file, sizeof(out->ca_file), "%s/ca.pem", dir) != 0 ||
		    fmt_bounded(out->cert_file, sizeof(out->cert_file), "%s/cert.pem", dir) != 0 ||
		    fmt_bounded(out->key_file, sizeof(out->key_file), "%s/key.pem", dir) != 0) {
			ig_err_set(err, IG_EINVAL, "DOCKER_CERT_PATH is too long");
			return -1;
		}
	}
	return endpoint_tcp(docker_host + 6, out, err, docker_host);
}

int
ig_docker_endpoint_from_env(const char *host_override,
    struct ig_docker_endpoint *out, struct ig_err *err)
{
	const char *host = host_override ? host_override : getenv("DOCKER_HOST");

	return ig_docker_endpoint_parse(host, getenv("DOCKER_TLS_VERIFY"),
	    getenv("DOCKER_CERT_PATH"), getenv("HOME"), out, err);
}

/* ================================================================== */
/* API versions.                                                       */

int
ig_docker_api_parse(const char *s, int *major, int *minor, struct ig_err *err)
{
	int part[2] = { 0, 0 }, k = 0, digits = 0;
	size_t i;

	if (s == NULL)
		goto bad;
	for (i = 0; s[i] != '\0'; i++) {
		if (is_digit(s[i])) {
			if (++digits > 3)
				goto bad;
			part[k] = part[k] * 10 + (s[i] - '0');
		} else if (s[i] == '.' && k == 0 && digits > 0) {
			k = 1;
			digits = 0;
		} else {
			goto bad;
		}
	}
	if (k != 1 || digits == 0)
		goto bad;
	*major = part[0];
	*minor = part[1];
	return 0;
bad:
	ig_err_set(err, IG_EINVAL, "not an API version: \"%.32s\"", s ? s : "");
	return -1;
}

static int
api_cmp(int amaj, int amin, int bmaj, int bmin)
{
	if (amaj != bmaj)
		return amaj < bmaj ? -1 : 1;
	if (amin != bmin)
		return amin < bmin ? -1 : 1;
	return 0;
}

int
ig_docker_api_negotiate(const char *engine_api, const char *engine_min,
    char *out, size_t outsz, struct ig_err *err)
{
	int emaj, emin, mmaj, mmin, lmaj, lmin, hmaj, hmin, cmaj, cmin;

	if (ig_docker_api_parse(IG_DOCKER_API_MIN, &lmaj, &lmin, NULL) != 0 ||
	    ig_docker_api_parse(IG_DOCKER_API_MAX, &hmaj, &hmin, NULL) != 0) {
		ig_err_set(err, IG_EINTERNAL, "bad built-in API version");
		return -1;
	}
	if (ig_docker_api_parse(engine_api, &emaj, &emin, NULL) != 0) {
		ig_err_set(err, IG_EDOCKER, "%s: API version \"%.32s\"", BAD_ANSWER,
		    engine_api ? engine_api : "");
		return -1;
	}
	cmaj = emaj;
	cmin = emin;
	if (api_cmp(emaj, emin, hmaj, hmin) > 0) {
		cmaj = hmaj;
		cmin = hmin;
	}
	if (api_cmp(cmaj, cmin, lmaj, lmin) < 0) {
		ig_err_set(err, IG_EDOCKER,
		    "Docker engine API %d.%d is too old: Ignite needs %s or newer",
		    emaj, emin, IG_DOCKER_API_MIN);
		return -1;
	}
	if (engine_min != NULL && engine_min[0] != '\0') {
		if (ig_docker_api_parse(engine_min, &mmaj, &mmin, NULL) != 0) {
			ig_err_set(err, IG_EDOCKER, "%s: minimum API version \"%.32s\"",
			    BAD_ANSWER, engine_min);
			return -1;
		}
		if (api_cmp(cmaj, cmin, mmaj, mmin) < 0) {
			ig_err_set(err, IG_EDOCKER,
			    "Docker engine requires API %d.%d or newer; Ignite speaks up to %s",
			    mmaj, mmin, IG_DOCKER_API_MAX);
			return -1;
		}
	}
	if (fmt_bounded(out, outsz, "%d.%d", cmaj, cmin) != 0) {
		ig_err_set(err, IG_EINTERNAL, "API version buffer too small");
		return -1;
	}
	return 0;
}

/* ================================================================== */
/* Parsers of engine answers.                                          */

int
ig_docker_parse_version(const char *body, size_t len,
    struct ig_docker_version *out, struct ig_err *err)
{
	struct json_object *o = NULL;
	int maj, min, rc = -1;

	memset(out, 0, sizeof(*out));
	if (json_parse_all(body, len, "GET /version", &o, err) != 0)
		goto out;
	if (!json_object_is_type(o, json_type_object) ||
	    member_str_into(o, "ApiVersion", true, out->api_version, sizeof(out->api_version)) != 0 ||
	    ig_docker_api_parse(out->api_version, &maj, &min, NULL) != 0 ||
	    member_str_into(o, "MinAPIVersion", false, out->min_api_version,
	        sizeof(out->min_api_version)) != 0 ||
	    (out->min_api_version[0] != '\0' &&
	        ig_docker_api_parse(out->min_api_version, &maj, &min, NULL) != 0) ||
	    member_str_into(o, "Version", false, out->version, sizeof(out->version)) != 0 ||
	    member_str_into(o, "Os", false, out->os, sizeof(out->os)) != 0 ||
	    member_str_into(o, "Arch", false, out->arch, sizeof(out->arch)) != 0) {
		ig_err_set(err, IG_EDOCKER, "%s to GET /version", BAD_ANSWER);
		goto out;
	}
	rc = 0;
out:
	json_object_put(o);
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

void
ig_docker_image_free(struct ig_docker_image *img)
{
	size_t i;

	if (img == NULL)
		return;
	for (i = 0; i < img->nlabels; i++) {
		free(img->labels[i].key);
		free(img->labels[i].value);
	}
	free(img->labels);
	free(img->id);
	free(img);
}

const char *
ig_docker_image_label(const struct ig_docker_image *img, const char *key)
{
	size_t i;

	if (img == NULL || key == NULL)
		return NULL;
	for (i = 0; i < img->nlabels; i++)
		if (strcmp(img->labels[i].key, key) == 0)
			return img->labels[i].value;
	return NULL;
}

int
ig_docker_parse_image(const char *body, size_t len,
    struct ig_docker_image **out, struct ig_err *err)
{
	struct json_object *o = NULL, *cfg, *labels;
	struct ig_docker_image *img = NULL;
	const char *id;
	size_t idlen, nl;
	int rc = -1;

	*out = NULL;
	if (json_parse_all(body, len, "image inspect", &o, err) != 0)
		goto out;
	if ((img = calloc(1, sizeof(*img))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	id = json_str(member(o, "Id", json_type_string), &idlen);
	if (id == NULL || idlen == 0 || idlen > IG_DOCKER_REF_MAX ||
	    member_int(o, "Size", 0, INT64_MAX, &img->size) != 0)
		goto bad;
	if ((img->id = strndup(id, idlen)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	if (member_mistyped(o, "Config", json_type_object))
		goto bad;
	cfg = member(o, "Config", json_type_object);
	if (cfg != NULL && member_mistyped(cfg, "Labels", json_type_object))
		goto bad;
	labels = cfg ? member(cfg, "Labels", json_type_object) : NULL;
	nl = labels ? (size_t)json_object_object_length(labels) : 0;
	if (nl > 0) {
		if ((img->labels = calloc(nl, sizeof(*img->labels))) == NULL) {
			ig_err_set(err, IG_ENOMEM, "out of memory");
			goto out;
		}
		json_object_object_foreach(labels, lkey, lval) {
			const char *v;
			size_t vlen;

			if (img->nlabels >= nl || (v = json_str(lval, &vlen)) == NULL ||
			    strlen(lkey) == 0)
				goto bad;
			img->labels[img->nlabels].key = strdup(lkey);
			img->labels[img->nlabels].value = strndup(v, vlen);
			img->nlabels++;
			if (img->labels[img->nlabels - 1].key == NULL ||
			    img->labels[img->nlabels - 1].value == NULL) {
				ig_err_set(err, IG_ENOMEM, "out of memory");
				goto out;
			}
		}
	}
	*out = img;
	img = NULL;
	rc = 0;
	goto out;
bad:
	ig_err_set(err, IG_EDOCKER, "%s to image inspect", BAD_ANSWER);
out:
	ig_docker_image_free(img);
	json_object_put(o);
	return rc;
}

void
ig_docker_strv_free(struct ig_docker_strv *sv)
{
	size_t i;

	if (sv == NULL)
		return;
	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

/* Appends n bytes of s as a new string. Returns 0 or -1 (out of memory). */
static int
strv_push(struct ig_docker_strv *sv, const char *s, size_t n)
{
	char **nv, *dup;

	if ((dup = strndup(s, n)) == NULL)
		return -1;
	if ((nv = realloc(sv->v, (sv->n + 1) * sizeof(*nv))) == NULL) {
		free(dup);
		return -1;
	}
	sv->v = nv;
	sv->v[sv->n++] = dup;
	return 0;
}

/* A full container id: exactly 64 lowercase hex digits. */
static const char *
json_container_id(struct json_object *v)
{
	size_t n;
	const char *s = json_str(v, &n);

	return (s != NULL && n == IG_DOCKER_ID_LEN && is_hex_lower(s, n)) ? s : NULL;
}

int
ig_docker_parse_create(const char *body, size_t len,
    char id[IG_DOCKER_ID_LEN + 1], struct ig_docker_strv *warnings,
    struct ig_err *err)
{
	struct json_object *o = NULL, *w;
	struct ig_docker_strv sv = { NULL, 0 };
	const char *s, *cid;
	size_t i, n, wn;
	int rc = -1;

	id[0] = '\0';
	if (warnings != NULL) {
		warnings->v = NULL;
		warnings->n = 0;
	}
	if (json_parse_all(body, len, "container create", &o, err) != 0)
		goto out;
	if ((cid = json_container_id(member(o, "Id", json_type_string))) == NULL)
		goto bad;
	if (member_mistyped(o, "Warnings", json_type_array))
		goto bad;
	if ((w = member(o, "Warnings", json_type_array)) != NULL) {
		n = json_object_array_length(w);
		for (i = 0; i < n; i++) {
			s = json_str(json_object_array_get_idx(w, i), &wn);
			if (s == NULL)
				goto bad;
			if (strv_push(&sv, s, wn) != 0) {
				ig_err_set(err, IG_ENOMEM, "out of memory");
				goto out;
			}
		}
	}
	memcpy(id, cid, IG_DOCKER_ID_LEN);
	id[IG_DOCKER_ID_LEN] = '\0';
	if (warnings != NULL) {
		*warnings = sv;
		sv.v = NULL;
		sv.n = 0;
	}
	rc = 0;
	goto out;
bad:
	ig_err_set(err, IG_EDOCKER, "%s to container create", BAD_ANSWER);
out:
	ig_docker_strv_free(&sv);
	json_object_put(o);
	return rc;
}

int
ig_docker_parse_wait(const char *body, size_t len, long *status,
    struct ig_err *err)
{
	struct json_object *o = NULL, *e;
	const char *msg;
	size_t n;
	int64_t code;
	int rc = -1;

	if (json_parse_all(body, len, "container wait", &o, err) != 0)
		goto out;
	if (member_int(o, "StatusCode", LONG_MIN_, LONG_MAX_, &code) != 0 ||
	    member_mistyped(o, "Error", json_type_object)) {
		ig_err_set(err, IG_EDOCKER, "%s to container wait", BAD_ANSWER);
		goto out;
	}
	if ((e = member(o, "Error", json_type_object)) != NULL) {
		if (member_mistyped(e, "Message", json_type_string)) {
			ig_err_set(err, IG_EDOCKER, "%s to container wait", BAD_ANSWER);
			goto out;
		}
		msg = json_str(member(e, "Message", json_type_string), &n);
		if (msg != NULL && n > 0) {
			char clean[200];
			sanitize_into(msg, n, true, clean, sizeof(clean));
			ig_err_set(err, IG_EDOCKER, "Docker engine: waiting for the container failed: %s", clean);
			goto out;
		}
	}
	*status = (long)code;
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* n decimal digits at s into *v. */
static int
fixed_digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int
ig_docker_parse_time(const char *s, size_t len, int64_t *ns, struct ig_err *err)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int year, mon, day, hh, mm, ss, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, secs;
	size_t pos = 19, fd = 0;
	bool leap;

	*ns = 0;
	if (s == NULL || len < 20 ||
	    fixed_digits(s, 4, &year) != 0 || s[4] != '-' ||
	    fixed_digits(s + 5, 2, &mon) != 0 || s[7] != '-' ||
	    fixed_digits(s + 8, 2, &day) != 0 || s[10] != 'T' ||
	    fixed_digits(s + 11, 2, &hh) != 0 || s[13] != ':' ||
	    fixed_digits(s + 14, 2, &mm) != 0 || s[16] != ':' ||
	    fixed_digits(s + 17, 2, &ss) != 0)
		goto bad;
	if (s[pos] == '.') {
		pos++;
		while (pos < len && is_digit(s[pos]) && fd < 9) {
			frac = frac * 10 + (s[pos] - '0');
			pos++;
			fd++;
		}
		if (fd == 0 || (pos < len && is_digit(s[pos])))
			goto bad;
		for (; fd < 9; fd++)
			frac *= 10;
	}
	if (pos < len && s[pos] == 'Z') {
		pos++;
	} else if (pos + 6 == len && (s[pos] == '+' || s[pos] == '-')) {
		sign = s[pos] == '+' ? 1 : -1;
		if (fixed_digits(s + pos + 1, 2, &oh) != 0 || s[pos + 3] != ':' ||
		    fixed_digits(s + pos + 4, 2, &om) != 0 || oh > 23 || om > 59)
			goto bad;
		pos += 6;
	} else {
		goto bad;
	}
	if (pos != len)
		goto bad;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] ||
	    (mon == 2 && day == 29 && !leap) || hh > 23 || mm > 59 || ss > 59)
		goto bad;
	if (year < 1970)
		return 0;                 /* the zero time: never happened */
	if (year > 2261) {
		ig_err_set(err, IG_EINVAL, "timestamp out of range");
		return -1;
	}
	secs = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss;
	secs -= (int64_t)sign * (oh * 3600 + om * 60);
	*ns = secs < 0 ? 0 : secs * 1000000000 + frac;
	return 0;
bad:
	ig_err_set(err, IG_EINVAL, "not an RFC 3339 timestamp");
	return -1;
}

/* A time member of state into dst and *ns. */
static int
state_time(struct json_object *state, const char *key, char *dst, size_t dstsz,
    int64_t *ns)
{
	if (member_str_into(state, key, false, dst, dstsz) != 0)
		return -1;
	*ns = 0;
	if (dst[0] == '\0')
		return 0;
	return ig_docker_parse_time(dst, strlen(dst), ns, NULL);
}

int
ig_docker_parse_state(const char *body, size_t len, struct ig_docker_state *st,
    struct ig_err *err)
{
	struct json_object *o = NULL, *state;
	int64_t v;
	size_t i;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (json_parse_all(body, len, "container inspect", &o, err) != 0)
		goto out;
	if ((state = member(o, "State", json_type_object)) == NULL ||
	    member_str_into(state, "Status", true, st->status, sizeof(st->status)) != 0 ||
	    st->status[0] == '\0' ||
	    member_bool(state, "Running", &st->running) != 0 ||
	    member_bool(state, "OOMKilled", &st->oom_killed) != 0 ||
	    member_int(state, "ExitCode", INT_MIN_, INT_MAX_, &v) != 0)
		goto bad;
	st->exit_code = (int)v;
	for (i = 0; st->status[i] != '\0'; i++)
		if (st->status[i] < 'a' || st->status[i] > 'z')
			goto bad;
	if (member(state, "Pid", json_type_int) != NULL) {
		if (member_int(state, "Pid", 0, INT_MAX_, &v) != 0)
			goto bad;
		st->pid = (int)v;
	} else if (member_mistyped(state, "Pid", json_type_int)) {
		goto bad;
	}
	if (member_mistyped(state, "Error", json_type_string))
		goto bad;
	{
		size_t n;
		const char *e = json_str(member(state, "Error", json_type_string), &n);
		if (member(state, "Error", json_type_string) != NULL && e == NULL)
			goto bad;
		if (e != NULL)
			sanitize_into(e, n, true, st->error, sizeof(st->error));
	}
	if (state_time(state, "StartedAt", st->started_at, sizeof(st->started_at),
	    &st->started_ns) != 0 ||
	    state_time(state, "FinishedAt", st->finished_at, sizeof(st->finished_at),
	    &st->finished_ns) != 0)
		goto bad;
	rc = 0;
	goto out;
bad:
	ig_err_set(err, IG_EDOCKER, "%s to container inspect", BAD_ANSWER);
out:
	if (rc != 0)
		memset(st, 0, sizeof(*st));
	json_object_put(o);
	return rc;
}

int
ig_docker_parse_label(const char *body, size_t len, const char *key, char *out,
    size_t outlen, struct ig_err *err)
{
	struct json_object *o = NULL, *cfg, *labels, *v;
	const char *s;
	size_t n;
	int rc = -1;

	if (outlen > 0)
		out[0] = '\0';
	if (json_parse_all(body, len, "container inspect", &o, err) != 0)
		goto out;
	if ((cfg = member(o, "Config", json_type_object)) == NULL) {
		ig_err_set(err, IG_EDOCKER, "%s to container inspect", BAD_ANSWER);
		goto out;
	}
	labels = member(cfg, "Labels", json_type_object);
	if (labels == NULL || (v = member(labels, key, json_type_string)) == NULL) {
		ig_err_set(err, IG_ENOENT, "no label %s", key);
		goto out;
	}
	s = json_str(v, &n);
	if (s == NULL || n >= outlen) {
		ig_err_set(err, IG_ETOOBIG, "label %s too long", key);
		goto out;
	}
	sanitize_into(s, n, true, out, outlen);
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

void
ig_docker_changes_free(struct ig_docker_changes *ch)
{
	size_t i;

	if (ch == NULL)
		return;
	for (i = 0; i < ch->n; i++)
		free(ch->v[i].path);
	free(ch->v);
	ch->v = NULL;
	ch->n = 0;
}

int
ig_docker_parse_changes(const char *body, size_t len,
    struct ig_docker_changes *out, struct ig_err *err)
{
	struct json_object *o = NULL, *e;
	struct ig_docker_changes ch = { NULL, 0 };
	const char *path;
	size_t i, n, plen;
	int64_t kind;
	int rc = -1;

	out->v = NULL;
	out->n = 0;
	if (json_parse_all(body, len, "container changes", &o, err) != 0)
		goto out;
	if (o == NULL) {                     /* the engine says null for "none" */
		rc = 0;
		goto out;
	}
	if (!json_object_is_type(o, json_type_array))
		goto bad;
	n = json_object_array_length(o);
	if (n > 0 && (ch.v = calloc(n, sizeof(*ch.v))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(o, i);
		path = json_str(member(e, "Path", json_type_string), &plen);
		if (path == NULL || plen == 0 || member_int(e, "Kind", 0, 2, &kind) != 0)
			goto bad;
		if ((ch.v[ch.n].path = strndup(path, plen)) == NULL) {
			ig_err_set(err, IG_ENOMEM, "out of memory");
			goto out;
		}
		ch.v[ch.n++].kind = (int)kind;
	}
	*out = ch;
	ch.v = NULL;
	ch.n = 0;
	rc = 0;
	goto out;
bad:
	ig_err_set(err, IG_EDOCKER, "%s to container changes", BAD_ANSWER);
out:
	ig_docker_changes_free(&ch);
	json_object_put(o);
	return rc;
}

int
ig_docker_parse_container_list(const char *body, size_t len,
    struct ig_docker_strv *ids, struct ig_err *err)
{
	struct json_object *o = NULL;
	struct ig_docker_strv sv = { NULL, 0 };
	const char *id;
	size_t i, n;
	int rc = -1;

	ids->v = NULL;
	ids->n = 0;
	if (json_parse_all(body, len, "container list", &o, err) != 0)
		goto out;
	if (!json_object_is_type(o, json_type_array) || o == NULL)
		goto bad;
	n = json_object_array_length(o);
	for (i = 0; i < n; i++) {
		id = json_container_id(member(json_object_array_get_idx(o, i), "Id",
		    json_type_string));
		if (id == NULL)
			goto bad;
		if (strv_push(&sv, id, IG_DOCKER_ID_LEN) != 0) {
			ig_err_set(err, IG_ENOMEM, "out of memory");
			goto out;
		}
	}
	*ids = sv;
	sv.v = NULL;
	sv.n = 0;
	rc = 0;
	goto out;
bad:
	ig_err_set(err, IG_EDOCKER, "%s to container list", BAD_ANSWER);
out:
	ig_docker_strv_free(&sv);
	json_object_put(o);
	return rc;
}

int
ig_docker_parse_progress(const char *body, size_t len, char *id, size_t idlen,
    struct ig_err *err)
{
	struct json_object *o = NULL;
	const char *line, *nl, *s;
	size_t n, llen;
	int rc = -1;

	if (id != NULL && idlen > 0)
		id[0] = '\0';
	if (body == NULL)
		len = 0;
	/* One JSON object per line (strings cannot hold a raw newline). */
	for (line = body; line != NULL && line < body + len; line = nl ? nl + 1 : NULL) {
		nl = memchr(line, '\n', (size_t)(body + len - line));
		llen = nl ? (size_t)(nl - line) : (size_t)(body + len - line);
		while (llen > 0 && is_ws(line[llen - 1]))
			llen--;
		while (llen > 0 && is_ws(line[0])) {
			line++;
			llen--;
		}
		if (llen == 0)
			continue;
		if (json_parse_all(line, llen, "image import", &o, err) != 0)
			goto out;
		if (!json_object_is_type(o, json_type_object) || o == NULL) {
			ig_err_set(err, IG_EDOCKER, "%s to image import", BAD_ANSWER);
			goto out;
		}
		s = json_str(member(o, "error", json_type_string), &n);
		if (s != NULL) {
			char clean[200];
			sanitize_into(s, n, true, clean, sizeof(clean));
			ig_err_set(err, IG_EDOCKER, "Docker engine: %s", clean);
			goto out;
		}
		s = json_str(member(o, "status", json_type_string), &n);
		if (s != NULL && n == 7 + 64 && strncmp(s, "sha256:", 7) == 0 &&
		    is_hex_lower(s + 7, 64) && id != NULL)
			copy_bounded(id, idlen, s, n);
		json_object_put(o);
		o = NULL;
	}
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

/* ================================================================== */
/* HTTP response head (attach only: libcurl parses all other answers). */

static bool
name_is(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(p, name, n) == 0;
}

int
ig_docker_parse_http_head(const char *p, size_t n, int *status,
    size_t *head_len, long long *content_length, struct ig_err *err)
{
	size_t scan = n < IG_DOCKER_HEAD_MAX ? n : IG_DOCKER_HEAD_MAX;
	size_t end = 0, i, line, eol;
	long long cl = -1;
	bool found = false;

	for (i = 0; i + 4 <= scan; i++) {
		if (memcmp(p + i, "\r\n\r\n", 4) == 0) {
			end = i + 4;
			found = true;
			break;
		}
	}
	/* Refuse a wrong status line as soon as it can be seen. */
	if (scan >= 1 && memcmp(p, "HTTP/1.", scan < 7 ? scan : 7) != 0)
		goto bad;
	if (!found) {
		if (n >= IG_DOCKER_HEAD_MAX) {
			ig_err_set(err, IG_EDOCKER, "%s: response head longer than %d bytes",
			    BAD_ANSWER, IG_DOCKER_HEAD_MAX);
			return -1;
		}
		return 0;
	}
	/* "HTTP/1.x NNN[ reason]\r\n" */
	if (end < 14 + 2 || (p[7] != '0' && p[7] != '1') || p[8] != ' ' ||
	    !is_digit(p[9]) || !is_digit(p[10]) || !is_digit(p[11]) ||
	    (p[12] != ' ' && p[12] != '\r'))
		goto bad;
	*status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (*status < 100)
		goto bad;
	for (eol = 12; eol + 1 < end && !(p[eol] == '\r' && p[eol + 1] == '\n'); eol++)
		if ((unsigned char)p[eol] < 0x20 && p[eol] != '\t')
			goto bad;
	/* Header lines up to the blank one. */
	for (line = eol + 2; line + 2 < end; line = eol + 2) {
		const char *colon = NULL;
		size_t k;

		for (eol = line; !(p[eol] == '\r' && p[eol + 1] == '\n'); eol++) {
			if ((unsigned char)p[eol] < 0x20 && p[eol] != '\t')
				goto bad;
			if (p[eol] == ':' && colon == NULL)
				colon = p + eol;
		}
		if (colon == NULL || colon == p + line)
			goto bad;
		if (name_is(p + line, (size_t)(colon - (p + line)), "Content-Length")) {
			const char *v = colon + 1, *ve = p + eol;
			long long x = 0;
			int nd = 0;

			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			for (k = 0; v + k < ve; k++) {
				if (!is_digit(v[k]) || ++nd > 15)
					goto bad;
				x = x * 10 + (v[k] - '0');
			}
			if (nd == 0 || (cl >= 0 && cl != x))
				goto bad;
			cl = x;
		}
	}
	*head_len = end;
	*content_length = cl;
	return 1;
bad:
	ig_err_set(err, IG_EDOCKER, "%s: malformed HTTP response head", BAD_ANSWER);
	return -1;
}

/* ================================================================== */
/* Attach stream demultiplexer.                                        */

void
ig_docker_demux_init(struct ig_docker_demux *d)
{
	memset(d, 0, sizeof(*d));
}

bool
ig_docker_demux_at_boundary(const struct ig_docker_demux *d)
{
	return !d->broken && d->hdr_len == 0 && d->left == 0;
}

int
ig_docker_demux_feed(struct ig_docker_demux *d, const void *data, size_t n,
    ig_docker_output_fn out, void *arg, struct ig_err *err)
{
	const unsigned char *p = data;
	uint32_t flen;
	size_t take;

	if (d->broken) {
		ig_err_set(err, IG_EDOCKER, "corrupt attach stream from the Docker engine");
		return -1;
	}
	while (n > 0) {
		if (d->left > 0) {
			take = n < d->left ? n : d->left;
			if (out != NULL && out(arg, d->stream, p, take) != 0) {
				ig_err_set(err, IG_EINTERNAL, "container output consumer stopped");
				return -1;
			}
			d->left -= (uint32_t)take;
			p += take;
			n -= take;
			continue;
		}
		take = sizeof(d->hdr) - d->hdr_len;
		if (take > n)
			take = n;
		memcpy(d->hdr + d->hdr_len, p, take);
		d->hdr_len += (unsigned)take;
		p += take;
		n -= take;
		if (d->hdr_len < sizeof(d->hdr))
			break;
		d->hdr_len = 0;
		flen = (uint32_t)d->hdr[4] << 24 | (uint32_t)d->hdr[5] << 16 |
		    (uint32_t)d->hdr[6] << 8 | (uint32_t)d->hdr[7];
		if (d->hdr[0] > IG_DOCKER_STDERR || d->hdr[1] != 0 || d->hdr[2] != 0 ||
		    d->hdr[3] != 0 || flen > IG_DOCKER_FRAME_MAX) {
			d->broken = true;
			if (d->hdr[0] > IG_DOCKER_STDERR)
				ig_err_set(err, IG_EDOCKER,
				    "corrupt attach stream from the Docker engine: stream type %u",
				    d->hdr[0]);
			else if (flen > IG_DOCKER_FRAME_MAX)
				ig_err_set(err, IG_EDOCKER,
				    "corrupt attach stream from the Docker engine: frame of %u bytes",
				    flen);
			else
				ig_err_set(err, IG_EDOCKER,
				    "corrupt attach stream from the Docker engine: bad frame header");
			return -1;
		}
		d->stream = d->hdr[0];
		d->left = flen;
	}
	return 0;
}

/* ================================================================== */
/* Client.                                                             */

struct ig_docker {
	struct ig_docker_endpoint ep;
	CURL          *curl;
	char           errbuf[CURL_ERROR_SIZE];
	struct ig_buf  resp;            /* body of the last answer, capped */
	bool           resp_overflow;
	long           connect_timeout_ms;
	long           request_timeout_ms;
	char           api[16];         /* negotiated, "" before */
	long           connections;
};

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

/* Options every handle to the engine carries: where it is, TLS, timeouts,
 * and no proxy (libcurl would otherwise consult http_proxy on each call). */
static int
apply_base(CURL *h, const struct ig_docker_endpoint *ep, long connect_timeout_ms,
    char *errbuf)
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

/* Why a transfer on handle h failed, as an ig_err. */
static void
transfer_error(const struct ig_docker_endpoint *ep, CURL *h, CURLcode rc,
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

struct request {
	enum method  method;
	const char  *path;          /* "/containers/…?…", already safe for a URL */
	bool         versioned;     /* prefix /v<api> (negotiating first) */
	const void  *body;          /* POST body, or NULL */
	size_t       body_len;
	const char  *content_type;  /* for body */
	long         timeout_ms;    /* 0: the client's request timeout */
};

static int negotiate(struct ig_docker *c, struct ig_docker_version *v,
    struct ig_err *err);

/* Performs one request on the client's handle. Returns 0 with *status the
 * HTTP status and the body in c->resp, or -1 (transport errors only). */
static int
perform(struct ig_docker *c, const struct request *r, long *status,
    struct ig_err *err)
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
	if (r->versioned && c->api[0] == '\0' && negotiate(c, NULL, err) != 0)
		goto out;
	if (ig_buf_puts(&url, c->ep.base_url) != 0 ||
	    (r->versioned && ig_buf_printf(&url, "/v%s", c->api) != 0) ||
	    ig_buf_puts(&url, r->path) != 0) {
		ig_err_set(err, IG_EINVAL, "Docker request URL too long");
		goto out;
	}
	curl_easy_reset(c->curl);
	if (apply_base(c->curl, &c->ep, c->connect_timeout_ms, c->errbuf) != 0)
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
		transfer_error(&c->ep, c->curl, crc, c->errbuf, c->resp_overflow,
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

/* perform + check_status. */
static int
call(struct ig_docker *c, const struct request *r, struct ig_err *err)
{
	long status;

	if (perform(c, r, &status, err) != 0)
		return -1;
	return check_status(c, status, err);
}

static int
negotiate(struct ig_docker *c, struct ig_docker_version *v,
    struct ig_err *err)
{
	struct request r = { M_GET, "/version", false, NULL, 0, NULL, 0 };
	struct ig_docker_version ver;

	if (call(c, &r, err) != 0 ||
	    ig_docker_parse_version(c->resp.data, c->resp.len, &ver, err) != 0 ||
	    ig_docker_api_negotiate(ver.api_version, ver.min_api_version, c->api,
	        sizeof(c->api), err) != 0) {
		c->api[0] = '\0';
		return -1;
	}
	snprintf(ver.negotiated, sizeof(ver.negotiated), "%s", c->api);
	if (v != NULL)
		*v = ver;
	return 0;
}

int
ig_docker_negotiate(struct ig_docker *c, struct ig_docker_version *out,
    struct ig_err *err)
{
	return negotiate(c, out, err);
}

int
ig_docker_ping(struct ig_docker *c, struct ig_err *err)
{
	struct request r = { M_GET, "/_ping", false, NULL, 0, NULL, 0 };

	if (call(c, &r, err) != 0)
		return -1;
	if (c->resp.len != 2 || memcmp(c->resp.data, "OK", 2) != 0) {
		ig_err_set(err, IG_EDOCKER, "%s to GET /_ping", BAD_ANSWER);
		return -1;
	}
	return 0;
}

/* Builds a request path with printf into buf (URL_MAX). */
static int
build_path(struct ig_buf *b, struct ig_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
build_path(struct ig_buf *b, struct ig_err *err, const char *fmt, ...)
{
	char tmp[URL_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		ig_err_set(err, IG_EINVAL, "Docker request path too long");
		return -1;
	}
	ig_buf_reset(b);
	if (ig_buf_append(b, tmp, (size_t)n) != 0) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	return 0;
}

static int
check_container(const char *id, struct ig_err *err)
{
	if (!valid_container_ref(id)) {
		ig_err_set(err, IG_EINVAL, "not a container id or name: \"%.80s\"", id ? id : "");
		return -1;
	}
	return 0;
}

int
ig_docker_image_inspect(struct ig_docker *c, const char *ref,
    struct ig_docker_image **out, struct ig_err *err)
{
	struct ig_buf path;
	struct request r = { M_GET, NULL, true, NULL, 0, NULL, 0 };
	int rc = -1;

	*out = NULL;
	ig_buf_init(&path, URL_MAX);
	if (!valid_image_ref(ref)) {
		ig_err_set(err, IG_EINVAL, "not an image reference: \"%.80s\"", ref ? ref : "");
		goto out;
	}
	if (build_path(&path, err, "/images/%s/json", ref) != 0)
		goto out;
	r.path = path.data;
	if (call(c, &r, err) != 0 ||
	    ig_docker_parse_image(c->resp.data, c->resp.len, out, err) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0 && err != NULL && err->code == IG_ENOENT)
		ig_err_set(err, IG_ENOENT, "image %s not found in the Docker engine", ref);
	ig_buf_free(&path);
	return rc;
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
ig_docker_image_import(struct ig_docker *c, const void *tar, size_t len,
    const char *repo, const char *tag, char *id, size_t idlen,
    struct ig_err *err)
{
	struct ig_buf path;
	struct request r = { M_POST, NULL, true, tar, len, "application/x-tar", 0 };
	int rc = -1;

	ig_buf_init(&path, URL_MAX);
	if (id != NULL && idlen > 0)
		id[0] = '\0';
	if (!valid_image_ref(repo) || strchr(repo, ':') != NULL || strchr(repo, '@') != NULL ||
	    !valid_tag(tag) || tar == NULL || len == 0) {
		ig_err_set(err, IG_EINVAL, "image import needs a tar, a repository and a tag");
		goto out;
	}
	if (build_path(&path, err, "/images/create?fromSrc=-&repo=%s&tag=%s", repo, tag) != 0)
		goto out;
	r.path = path.data;
	if (call(c, &r, err) != 0 ||
	    ig_docker_parse_progress(c->resp.data, c->resp.len, id, idlen, err) != 0)
		goto out;
	rc = 0;
out:
	ig_buf_free(&path);
	return rc;
}

int
ig_docker_image_remove(struct ig_docker *c, const char *ref, struct ig_err *err)
{
	struct ig_buf path;
	struct request r = { M_DELETE, NULL, true, NULL, 0, NULL, 0 };
	long status;
	int rc = -1;

	ig_buf_init(&path, URL_MAX);
	if (!valid_image_ref(ref)) {
		ig_err_set(err, IG_EINVAL, "not an image reference: \"%.80s\"", ref ? ref : "");
		goto out;
	}
	if (build_path(&path, err, "/images/%s?force=1", ref) != 0)
		goto out;
	r.path = path.data;
	if (perform(c, &r, &status, err) != 0)
		goto out;
	if (status != 404 && check_status(c, status, err) != 0)
		goto out;
	rc = 0;
out:
	ig_buf_free(&path);
	return rc;
}

int
ig_docker_container_create(struct ig_docker *c, const char *name,
    struct json_object *body, char id[IG_DOCKER_ID_LEN + 1],
    struct ig_docker_strv *warnings, struct ig_err *err)
{
	struct ig_buf path;
	struct request r = { M_POST, NULL, true, NULL, 0, "application/json", 0 };
	const char *json;
	size_t jlen = 0;
	int rc = -1;

	ig_buf_init(&path, URL_MAX);
	id[0] = '\0';
	if (warnings != NULL) {
		warnings->v = NULL;
		warnings->n = 0;
	}
	if (!json_object_is_type(body, json_type_object) || body == NULL) {
		ig_err_set(err, IG_EINVAL, "container create needs a JSON object");
		goto out;
	}
	if (name != NULL && !valid_container_ref(name)) {
		ig_err_set(err, IG_EINVAL, "not a container name: \"%.80s\"", name);
		goto out;
	}
	if ((json = json_object_to_json_string_length(body, JSON_C_TO_STRING_PLAIN, &jlen)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	if (name != NULL ? build_path(&path, err, "/containers/create?name=%s", name) != 0 :
	    build_path(&path, err, "/containers/create") != 0)
		goto out;
	r.path = path.data;
	r.body = json;
	r.body_len = jlen;
	if (call(c, &r, err) != 0 ||
	    ig_docker_parse_create(c->resp.data, c->resp.len, id, warnings, err) != 0)
		goto out;
	rc = 0;
out:
	ig_buf_free(&path);
	return rc;
}

/* A POST or DELETE on /containers/{id}<suffix> with no body; statuses in ok
 * (0-terminated) besides 2xx count as success. */
static int
container_action(struct ig_docker *c, enum method m, const char *id,
    const char *suffix, const long *ok, long timeout_ms, struct ig_err *err)
{
	struct ig_buf path;
	struct request r = { m, NULL, true, NULL, 0, NULL, timeout_ms };
	long status;
	int rc = -1;

	ig_buf_init(&path, URL_MAX);
	if (check_container(id, err) != 0 ||
	    build_path(&path, err, "/containers/%s%s", id, suffix) != 0)
		goto out;
	r.path = path.data;
	if (perform(c, &r, &status, err) != 0)
		goto out;
	for (; ok != NULL && *ok != 0; ok++)
		if (status == *ok) {
			rc = 0;
			goto out;
		}
	if (check_status(c, status, err) != 0)
		goto out;
	rc = 0;
out:
	ig_buf_free(&path);
	return rc;
}

int
ig_docker_container_start(struct ig_docker *c, const char *id, struct ig_err *err)
{
	static const long ok[] = { 304, 0 };   /* already started */

	return container_action(c, M_POST, id, "/start", ok, 0, err);
}

int
ig_docker_container_wait(struct ig_docker *c, const char *id,
    enum ig_docker_wait_cond cond, long timeout_ms, long *status,
    struct ig_err *err)
{
	const char *suffix = cond == IG_DOCKER_WAIT_NEXT_EXIT ?
	    "/wait?condition=next-exit" : "/wait?condition=not-running";

	if (timeout_ms <= 0) {
		ig_err_set(err, IG_EINVAL, "container wait needs a timeout");
		return -1;
	}
	if (container_action(c, M_POST, id, suffix, NULL, timeout_ms, err) != 0)
		return -1;
	return ig_docker_parse_wait(c->resp.data, c->resp.len, status, err);
}

int
ig_docker_container_kill(struct ig_docker *c, const char *id,
    const char *signal, struct ig_err *err)
{
	static const long ok[] = { 409, 0 };   /* not running: nothing to kill */
	char suffix[64];
	size_t i, n;

	if (signal == NULL)
		signal = "SIGKILL";
	n = strlen(signal);
	if (n == 0 || n > 32)
		goto bad;
	for (i = 0; i < n; i++)
		if (!is_alnum(signal[i]) && signal[i] != '+' && signal[i] != '-')
			goto bad;
	snprintf(suffix, sizeof(suffix), "/kill?signal=%s", signal);
	return container_action(c, M_POST, id, suffix, ok, 0, err);
bad:
	ig_err_set(err, IG_EINVAL, "not a signal: \"%.40s\"", signal);
	return -1;
}

int
ig_docker_container_inspect(struct ig_docker *c, const char *id,
    struct ig_docker_state *st, struct ig_err *err)
{
	struct ig_buf path;
	struct request r = { M_GET, NULL, true, NULL, 0, NULL, 0 };
	int rc = -1;

	memset(st, 0, sizeof(*st));
	ig_buf_init(&path, URL_MAX);
	if (check_container(id, err) != 0 ||
	    build_path(&path, err, "/containers/%s/json", id) != 0)
		goto out;
	r.path = path.data;
	if (call(c, &r, err) != 0 ||
	    ig_docker_parse_state(c->resp.data, c->resp.len, st, err) != 0)
		goto out;
	rc = 0;
out:
	ig_buf_free(&path);
	return rc;
}

int
ig_docker_container_label(struct ig_docker *c, const char *id, const char *key,
    char *out, size_t outlen, struct ig_err *err)
{
	struct ig_buf path;
	struct request r = { M_GET, NULL, true, NULL, 0, NULL, 0 };
	int rc = -1;

	ig_buf_init(&path, URL_MAX);
	if (check_container(id, err) != 0 ||
	    build_path(&path, err, "/containers/%s/json", id) != 0)
		goto out;
	r.path = path.data;
	if (call(c, &r, err) != 0 ||
	    ig_docker_parse_label(c->resp.data, c->resp.len, key, out, outlen, err) != 0)
		goto out;
	rc = 0;
out:
	ig_buf_free(&path);
	return rc;
}

int
ig_docker_container_changes(struct ig_docker *c, const char *id,
    struct ig_docker_changes *out, struct ig_err *err)
{
	struct ig_buf path;
	struct request r = { M_GET, NULL, true, NULL, 0, NULL, 0 };
	int rc = -1;

	out->v = NULL;
	out->n = 0;
	ig_buf_init(&path, URL_MAX);
	if (check_container(id, err) != 0 ||
	    build_path(&path, err, "/containers/%s/changes", id) != 0)
		goto out;
	r.path = path.data;
	if (call(c, &r, err) != 0 ||
	    ig_docker_parse_changes(c->resp.data, c->resp.len, out, err) != 0)
		goto out;
	rc = 0;
out:
	ig_buf_free(&path);
	return rc;
}

int
ig_docker_container_remove(struct ig_docker *c, const char *id, struct ig_err *err)
{
	static const long ok[] = { 404, 0 };   /* already gone */

	return container_action(c, M_DELETE, id, "?force=1&v=1", ok, 0, err);
}

int
ig_docker_container_list(struct ig_docker *c, const char *label,
    struct ig_docker_strv *ids, struct ig_err *err)
{
	struct json_object *filters = NULL, *arr = NULL;
	struct ig_buf path;
	struct request r = { M_GET, NULL, true, NULL, 0, NULL, 0 };
	char *esc = NULL;
	size_t i, n;
	int rc = -1;

	ids->v = NULL;
	ids->n = 0;
	ig_buf_init(&path, URL_MAX);
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
	if (build_path(&path, err, "/containers/json?all=1&filters=%s", esc) != 0)
		goto out;
	r.path = path.data;
	if (call(c, &r, err) != 0 ||
	    ig_docker_parse_container_list(c->resp.data, c->resp.len, ids, err) != 0)
		goto out;
	rc = 0;
out:
	curl_free(esc);
	json_object_put(arr);
	json_object_put(filters);
	ig_buf_free(&path);
	return rc;
}

/* ================================================================== */
/* Attach session.                                                     */

struct ig_docker_attach {
	CURL                  *h;
	int                    fd;
	bool                   tls;
	bool                   stdin_closed;
	bool                   eof;
	struct ig_docker_demux dm;
	unsigned char         *buf;          /* ATTACH_BUF bytes */
	size_t                 pend_off;     /* stream bytes read with the head, */
	size_t                 pend_end;     /* held in buf[pend_off..pend_end) */
	char                   errbuf[CURL_ERROR_SIZE];
	char                   display[sizeof(((struct ig_docker_endpoint *)0)->display)];
};

/* Waits for fd to be ready for events until deadline (monotonic ms).
 * Returns 1 ready, 0 timed out, -1 poll failed. */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd;
	long long left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > INT_MAX_ ? INT_MAX_ : (int)left);
		if (n > 0)
			return 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static void
attach_broken(struct ig_docker_attach *a, CURLcode rc, const char *doing,
    struct ig_err *err)
{
	ig_err_set(err, IG_EDOCKER_DOWN, "Docker engine at %s: attach connection broke while %s: %s",
	    a->display, doing, a->errbuf[0] ? a->errbuf : curl_easy_strerror(rc));
}

/* Sends all n bytes before deadline. */
static int
send_all(struct ig_docker_attach *a, const char *p, size_t n, long long deadline,
    struct ig_err *err)
{
	size_t sent;
	CURLcode rc;

	while (n > 0) {
		sent = 0;
		rc = curl_easy_send(a->h, p, n, &sent);
		if (rc == CURLE_AGAIN) {
			int w = wait_fd(a->fd, POLLOUT, deadline);
			if (w == 0) {
				ig_err_set(err, IG_ETIMEOUT, "Docker engine at %s: attach request timed out",
				    a->display);
				return -1;
			}
			if (w < 0) {
				ig_err_sys(err, IG_EINTERNAL, "poll");
				return -1;
			}
			continue;
		}
		if (rc != CURLE_OK) {
			attach_broken(a, rc, "sending the request", err);
			return -1;
		}
		p += sent;
		n -= sent;
	}
	return 0;
}

/* Reads into a->buf[*have..cap) once data is there (before deadline).
 * Returns 1 with *have grown, 0 at EOF, -1 on error or timeout. */
static int
recv_some(struct ig_docker_attach *a, size_t *have, size_t cap, long long deadline,
    struct ig_err *err)
{
	size_t got;
	CURLcode rc;

	for (;;) {
		got = 0;
		rc = curl_easy_recv(a->h, a->buf + *have, cap - *have, &got);
		if (rc == CURLE_OK) {
			*have += got;
			return got > 0 ? 1 : 0;
		}
		if (rc != CURLE_AGAIN) {
			attach_broken(a, rc, "reading the answer", err);
			return -1;
		}
		int w = wait_fd(a->fd, POLLIN, deadline);
		if (w == 0) {
			ig_err_set(err, IG_ETIMEOUT, "Docker engine at %s did not answer the attach in time",
			    a->display);
			return -1;
		}
		if (w < 0) {
			ig_err_sys(err, IG_EINTERNAL, "poll");
			return -1;
		}
	}
}

int
ig_docker_attach_open(struct ig_docker *c, const char *id,
    struct ig_docker_attach **out, struct ig_err *err)
{
	struct ig_docker_attach *a = NULL;
	struct ig_buf req;
	char host[IG_DOCKER_HOSTNAME_MAX + 16];
	curl_socket_t sock = CURL_SOCKET_BAD;
	long long deadline, cl = -1;
	size_t have = 0, head_len = 0, want;
	int status = 0, hr, rr;
	CURLcode crc;
	int rc = -1;

	*out = NULL;
	ig_buf_init(&req, URL_MAX);
	if (check_container(id, err) != 0)
		goto out;
	if (c->api[0] == '\0' && negotiate(c, NULL, err) != 0)
		goto out;
	if ((a = calloc(1, sizeof(*a))) == NULL || (a->buf = malloc(ATTACH_BUF)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	a->fd = -1;
	a->tls = c->ep.tls;
	snprintf(a->display, sizeof(a->display), "%s", c->ep.display);
	ig_docker_demux_init(&a->dm);
	if ((a->h = curl_easy_init()) == NULL) {
		ig_err_set(err, IG_ENOMEM, "libcurl handle could not be created");
		goto out;
	}
	/* A connection of its own, with no HTTP done by libcurl: we write the
	 * upgrade request and read the hijacked stream through curl_easy_send
	 * and curl_easy_recv (which also carry TLS when the endpoint has it). */
	if (apply_base(a->h, &c->ep, c->connect_timeout_ms, a->errbuf) != 0 ||
	    curl_easy_setopt(a->h, CURLOPT_URL, c->ep.base_url) != CURLE_OK ||
	    curl_easy_setopt(a->h, CURLOPT_CONNECT_ONLY, 1L) != CURLE_OK ||
	    curl_easy_setopt(a->h, CURLOPT_TIMEOUT_MS, c->connect_timeout_ms) != CURLE_OK) {
		ig_err_set(err, IG_EINTERNAL, "libcurl refused an option");
		goto out;
	}
	if ((crc = curl_easy_perform(a->h)) != CURLE_OK) {
		transfer_error(&c->ep, a->h, crc, a->errbuf, false, 0, c->connect_timeout_ms, err);
		if (err != NULL && err->code == IG_ETIMEOUT)
			err->code = IG_EDOCKER_DOWN;
		goto out;
	}
	if (curl_easy_getinfo(a->h, CURLINFO_ACTIVESOCKET, &sock) != CURLE_OK ||
	    sock == CURL_SOCKET_BAD) {
		ig_err_set(err, IG_EINTERNAL, "attach connection has no socket");
		goto out;
	}
	a->fd = (int)sock;
	deadline = now_ms() + c->request_timeout_ms;
	if (c->ep.transport == IG_DOCKER_UNIX)
		snprintf(host, sizeof(host), "localhost");
	else
		snprintf(host, sizeof(host), "%s:%d", c->ep.host, c->ep.port);
	if (ig_buf_printf(&req,
	    "POST /v%s/containers/%s/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "User-Agent: ignite\r\n"
	    "Content-Type: text/plain\r\n"
	    "Content-Length: 0\r\n"
	    "Connection: Upgrade\r\n"
	    "Upgrade: tcp\r\n"
	    "\r\n",
	    c->api, id, host) != 0) {
		ig_err_set(err, IG_EINVAL, "attach request too long");
		goto out;
	}
	if (send_all(a, req.data, req.len, deadline, err) != 0)
		goto out;
	/* The response head; anything read past it is already stream. */
	for (;;) {
		hr = ig_docker_parse_http_head((const char *)a->buf, have, &status, &head_len,
		    &cl, err);
		if (hr < 0)
			goto out;
		if (hr == 1)
			break;
		rr = recv_some(a, &have, IG_DOCKER_HEAD_MAX, deadline, err);
		if (rr < 0)
			goto out;
		if (rr == 0) {
			ig_err_set(err, IG_EDOCKER_DOWN,
			    "Docker engine at %s closed the attach connection", a->display);
			goto out;
		}
	}
	if (status != 101 && status != 200) {
		char msg[200];

		/* Read the error body (bounded) for the engine's message. */
		want = head_len + (cl >= 0 && (unsigned long long)cl < ATTACH_BUF - head_len ?
		    (size_t)cl : ATTACH_BUF - head_len);
		while (have < want && recv_some(a, &have, want, deadline, NULL) == 1)
			;
		ig_docker_error_message((const char *)a->buf + head_len, have - head_len,
		    msg, sizeof(msg));
		if (status == 404)
			ig_err_set(err, IG_ENOENT, "%s", msg[0] ? msg : "no such container");
		else
			ig_err_set(err, IG_EDOCKER, "Docker engine: %s (HTTP %d)",
			    msg[0] ? msg : "attach refused", status);
		goto out;
	}
	a->pend_off = head_len;
	a->pend_end = have;
	*out = a;
	a = NULL;
	rc = 0;
out:
	ig_docker_attach_free(a);
	ig_buf_free(&req);
	return rc;
}

int
ig_docker_attach_fd(const struct ig_docker_attach *a)
{
	return a->fd;
}

int
ig_docker_attach_send(struct ig_docker_attach *a, const void *p, size_t n,
    size_t *sent, struct ig_err *err)
{
	CURLcode rc;

	*sent = 0;
	if (a->stdin_closed) {
		ig_err_set(err, IG_EINVAL, "container stdin is already closed");
		return -1;
	}
	if (n == 0)
		return 0;
	a->errbuf[0] = '\0';
	rc = curl_easy_send(a->h, p, n, sent);
	if (rc == CURLE_AGAIN) {
		*sent = 0;
		return 0;
	}
	if (rc != CURLE_OK) {
		*sent = 0;
		attach_broken(a, rc, "sending stdin", err);
		return -1;
	}
	return 0;
}

int
ig_docker_attach_close_stdin(struct ig_docker_attach *a, struct ig_err *err)
{
	if (a->stdin_closed)
		return 0;
	if (a->tls) {
		/* A TLS half-close needs close_notify without closing the
		 * connection, which libcurl's send/recv API cannot express. */
		ig_err_set(err, IG_EINVAL,
		    "closing a container's stdin is not supported over a TLS Docker endpoint");
		return -1;
	}
	if (shutdown(a->fd, SHUT_WR) != 0 && errno != ENOTCONN) {
		ig_err_sys(err, IG_EDOCKER_DOWN, "Docker engine at %s: closing stdin", a->display);
		return -1;
	}
	a->stdin_closed = true;
	return 0;
}

int
ig_docker_attach_recv(struct ig_docker_attach *a, ig_docker_output_fn out,
    void *arg, struct ig_err *err)
{
	size_t total = 0, got, n;
	CURLcode rc;

	if (a->eof)
		return IG_DOCKER_IO_EOF;
	if (a->pend_off < a->pend_end) {
		n = a->pend_end - a->pend_off;
		a->pend_off = a->pend_end;
		if (ig_docker_demux_feed(&a->dm, a->buf + a->pend_end - n, n, out, arg, err) != 0)
			return -1;
		total += n;
	}
	while (total < IG_DOCKER_RECV_BUDGET) {
		got = 0;
		a->errbuf[0] = '\0';
		rc = curl_easy_recv(a->h, a->buf, ATTACH_BUF, &got);
		if (rc == CURLE_AGAIN)
			return IG_DOCKER_IO_AGAIN;
		if (rc != CURLE_OK) {
			attach_broken(a, rc, "reading output", err);
			return -1;
		}
		if (got == 0) {
			if (!ig_docker_demux_at_boundary(&a->dm)) {
				ig_err_set(err, IG_EDOCKER,
				    "Docker engine at %s: attach stream ended inside a frame", a->display);
				return -1;
			}
			a->eof = true;
			return IG_DOCKER_IO_EOF;
		}
		if (ig_docker_demux_feed(&a->dm, a->buf, got, out, arg, err) != 0)
			return -1;
		total += got;
	}
	return IG_DOCKER_IO_MORE;
}

void
ig_docker_attach_free(struct ig_docker_attach *a)
{
	if (a == NULL)
		return;
	if (a->h != NULL)
		curl_easy_cleanup(a->h);
	free(a->buf);
	free(a);
}
