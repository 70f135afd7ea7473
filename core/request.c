/* request.c — execute request bodies: strict parsing, field checks, and the
 * fixed texts for failures that are not the request's fault. */
#include "request.h"
#include "bounds.h"
#include "jsonin.h"

#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define NAME_SHOWN_MAX 64               /* bytes of an unknown field's name quoted back */

static const char NOT_OBJECT_MSG[] = "the body must be a JSON object";
static const char AUDIT_MSG[] = "this server runs every execution in audit mode; "
    "\"audit\": false is not allowed";

/* ---- errors -------------------------------------------------------------- */

/* The length of s cut to at most max bytes without splitting a UTF-8
 * sequence (s is valid UTF-8: ig_jsonin_parse checked it). */
static int
utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return (int)n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return (int)max;
}

static int
refuse(struct ig_request_error *e, enum ig_request_problem p, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fills e with problem p about field and the message. Returns -1. */
static int
refuse(struct ig_request_error *e, enum ig_request_problem p, const char *field,
    const char *fmt, ...)
{
	char msg[sizeof(e->err.msg)];
	va_list ap;
	int code = p == IG_REQUEST_TOO_LARGE ? IG_ETOOBIG :
	    p == IG_REQUEST_AUDIT_REQUIRED ? IG_EPERM : IG_EINVAL;

	if (e == NULL)
		return -1;
	e->problem = p;
	field = field != NULL ? field : "";
	snprintf(e->field, sizeof(e->field), "%.*s", utf8_cut(field, sizeof(e->field) - 1), field);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ig_err_set(&e->err, code, "%s", msg);
	return -1;
}

static void
start(struct ig_request *out, struct ig_request_error *e)
{
	memset(out, 0, sizeof(*out));
	out->audit = true;
	if (e != NULL)
		memset(e, 0, sizeof(*e));
}

const char *
ig_request_problem_name(enum ig_request_problem p)
{
	switch (p) {
	case IG_REQUEST_OK:             return "ok";
	case IG_REQUEST_BAD_JSON:       return "invalid_json";
	case IG_REQUEST_NOT_OBJECT:     return "invalid_request";
	case IG_REQUEST_BAD_FIELD:      return "invalid_field";
	case IG_REQUEST_TOO_LARGE:      return "payload_too_large";
	case IG_REQUEST_AUDIT_REQUIRED: return "audit_required";
	}
	return "invalid_request";
}

/* ---- parsing ------------------------------------------------------------- */

/* Counts the member names in text, which is valid JSON (only a name is
 * followed by ':'). Sets *nul when a name holds an escaped NUL. */
static size_t
count_names(const char *t, size_t len, bool *nul)
{
	size_t i = 0, n = 0;

	while (i < len) {
		bool has_nul = false;

		if (t[i++] != '"')
			continue;
		while (i < len && t[i] != '"') {
			if (t[i] == '\\') {
				if (i + 5 < len && t[i + 1] == 'u' && memcmp(t + i + 2, "0000", 4) == 0)
					has_nul = true;
				i += 2;
			} else {
				i++;
			}
		}
		i++;
		while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
			i++;
		if (i < len && t[i] == ':') {
			n++;
			*nul = *nul || has_nul;
		}
	}
	return n;
}

/* Counts the members of every object in o. json-c keeps one member per
 * name, so fewer members than names in the text means a name came twice. */
static size_t
count_members(struct json_object *o)
{
	size_t n = 0, i;

	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			(void)k;
			n += 1 + count_members(v);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (i = 0; i < json_object_array_length(o); i++)
			n += count_members(json_object_array_get_idx(o, i));
	}
	return n;
}

int
ig_request_parse(const char *body, size_t len, struct json_object **doc,
    struct ig_request_error *e)
{
	struct ig_err err = { 0 };
	bool nul = false;
	size_t names;

	*doc = NULL;
	if (e != NULL)
		memset(e, 0, sizeof(*e));
	if (body == NULL)
		body = "";
	if (ig_jsonin_parse(body, len, IG_JSON_MAX_DEPTH, doc, &err) != 0) {
		refuse(e, IG_REQUEST_BAD_JSON, "", "%s", err.msg);
		if (e != NULL)
			e->err.code = err.code;
		return -1;
	}
	names = count_names(body, len, &nul);
	if (nul || names != count_members(*doc)) {
		json_object_put(*doc);
		*doc = NULL;
		return refuse(e, IG_REQUEST_BAD_JSON, "", nul ?
		    "invalid JSON: a member name contains a NUL character" :
		    "invalid JSON: an object has the same member name twice");
	}
	if (!json_object_is_type(*doc, json_type_object)) {
		json_object_put(*doc);
		*doc = NULL;
		return refuse(e, IG_REQUEST_NOT_OBJECT, "", NOT_OBJECT_MSG);
	}
	return 0;
}

/* ---- fields shared by every kind ------------------------------------------ */

/* "input": any JSON value, kept as the text handed to the service. */
static void
take_input(struct json_object *v, struct ig_request *x)
{
	size_t n = 0;

	if (v == NULL) {
		x->input = "null";
		x->input_len = 4;
		return;
	}
	x->input = json_object_to_json_string_length(v,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	x->input_len = x->input != NULL ? n : 0;
}

static void
take_flag(const char *key, struct json_object *v, struct ig_request *x)
{
	bool b = json_object_get_boolean(v);

	if (strcmp(key, "audit") == 0) {
		x->audit = b;
		x->audit_given = true;
	} else if (strcmp(key, "skipPreflight") == 0) {
		x->skip_preflight = b;
	} else {
		x->async = b;
	}
}

static int
check_audit(const struct ig_request *x, const struct ig_request_opts *o,
    struct ig_request_error *e)
{
	if (!x->audit && !(o != NULL && o->allow_non_audit))
		return refuse(e, IG_REQUEST_AUDIT_REQUIRED, "audit", "%s", AUDIT_MSG);
	return 0;
}

static int
unknown(struct ig_request_error *e, const char *key)
{
	return refuse(e, IG_REQUEST_BAD_FIELD, key, "unknown field \"%.*s\"",
	    utf8_cut(key, NAME_SHOWN_MAX), key);
}

static bool
is_positive_int(struct json_object *m, long long max)
{
	return json_object_is_type(m, json_type_int) && json_object_get_int64(m) > 0 &&
	    json_object_get_int64(m) <= max;
}

static bool
is_positive_number(struct json_object *m, double max)
{
	double d;

	if (!json_object_is_type(m, json_type_int) && !json_object_is_type(m, json_type_double))
		return false;
	d = json_object_get_double(m);
	return d > 0 && d <= max;
}

/* ---- the service execute body ---------------------------------------------- */

/* "limits" of a service execute: the three members looked up, no bounds
 * (a service's own limits cap them). */
static int
execute_limits(struct json_object *v, struct ig_request *x, struct ig_request_error *e)
{
	struct json_object *m;

	if (!json_object_is_type(v, json_type_object))
		return refuse(e, IG_REQUEST_BAD_FIELD, "limits", "field \"limits\" must be an object");
	if (json_object_object_get_ex(v, "memoryMb", &m)) {
		if (!is_positive_int(m, INT64_MAX))
			return refuse(e, IG_REQUEST_BAD_FIELD, "limits.memoryMb",
			    "limits.memoryMb must be a positive integer");
		x->memory_mb = (long)json_object_get_int64(m);
	}
	if (json_object_object_get_ex(v, "timeoutMs", &m)) {
		if (!is_positive_int(m, INT64_MAX))
			return refuse(e, IG_REQUEST_BAD_FIELD, "limits.timeoutMs",
			    "limits.timeoutMs must be a positive integer");
		x->timeout_ms = (long)json_object_get_int64(m);
	}
	if (json_object_object_get_ex(v, "cpuLimit", &m)) {
		if (!is_positive_number(m, HUGE_VAL))
			return refuse(e, IG_REQUEST_BAD_FIELD, "limits.cpuLimit",
			    "limits.cpuLimit must be a positive number");
		x->cpu = json_object_get_double(m);
	}
	/* A misspelt limit is not silently ignored (as for async runs). */
	json_object_object_foreach(v, k, unused) {
		(void)unused;
		if (strcmp(k, "memoryMb") != 0 && strcmp(k, "timeoutMs") != 0 && strcmp(k, "cpuLimit") != 0)
			return refuse(e, IG_REQUEST_BAD_FIELD, "limits", "limits: unknown field \"%.*s\" "
			    "(expected memoryMb, timeoutMs, cpuLimit)", utf8_cut(k, NAME_SHOWN_MAX), k);
	}
	return 0;
}

static int
execute_field(const char *key, struct json_object *v, struct ig_request *x,
    struct ig_request_error *e)
{
	if (strcmp(key, "input") == 0) {
		take_input(v, x);
	} else if (strcmp(key, "audit") == 0 || strcmp(key, "skipPreflight") == 0) {
		if (!json_object_is_type(v, json_type_boolean))
			return refuse(e, IG_REQUEST_BAD_FIELD, key, "field \"%s\" must be a boolean", key);
		take_flag(key, v, x);
	} else if (strcmp(key, "stdin") == 0) {
		if (!json_object_is_type(v, json_type_string))
			return refuse(e, IG_REQUEST_BAD_FIELD, "stdin", "field \"stdin\" must be a string");
		x->stdin_data = json_object_get_string(v);
		x->stdin_len = (size_t)json_object_get_string_len(v);
		if (x->stdin_len > IG_STDIN_MAX)
			return refuse(e, IG_REQUEST_TOO_LARGE, "stdin", "stdin too large (at most %d bytes)",
			    IG_STDIN_MAX);
	} else if (strcmp(key, "limits") == 0) {
		return execute_limits(v, x, e);
	} else {
		return unknown(e, key);
	}
	return 0;
}

int
ig_request_execute(struct json_object *doc, const struct ig_request_opts *o,
    struct ig_request *out, struct ig_request_error *e)
{
	start(out, e);
	if (!json_object_is_type(doc, json_type_object))
		return refuse(e, IG_REQUEST_NOT_OBJECT, "", NOT_OBJECT_MSG);
	json_object_object_foreach(doc, key, v) {
		if (execute_field(key, v, out, e) != 0)
			return -1;
	}
	if (out->input_len > IG_INPUT_MAX)
		return refuse(e, IG_REQUEST_TOO_LARGE, "input", "input too large");
	return check_audit(out, o, e);
}

/* ---- async, ad-hoc and batch entry bodies ---------------------------------- */

/* "limits" of the other bodies: only the three members, each bounded. */
static int
job_limits(struct json_object *v, struct ig_request *x, struct ig_request_error *e)
{
	if (!json_object_is_type(v, json_type_object))
		return refuse(e, IG_REQUEST_BAD_FIELD, "limits", "limits: must be an object");
	json_object_object_foreach(v, k, m) {
		if (strcmp(k, "memoryMb") == 0) {
			if (!is_positive_int(m, IG_MEMORY_MB_MAX))
				return refuse(e, IG_REQUEST_BAD_FIELD, "limits.memoryMb",
				    "limits.memoryMb: must be a positive integer");
			x->memory_mb = (long)json_object_get_int64(m);
		} else if (strcmp(k, "timeoutMs") == 0) {
			if (!is_positive_int(m, IG_TIMEOUT_MS_MAX))
				return refuse(e, IG_REQUEST_BAD_FIELD, "limits.timeoutMs",
				    "limits.timeoutMs: must be a positive integer");
			x->timeout_ms = (long)json_object_get_int64(m);
		} else if (strcmp(k, "cpuLimit") == 0) {
			if (!is_positive_number(m, IG_CPU_LIMIT_MAX))
				return refuse(e, IG_REQUEST_BAD_FIELD, "limits.cpuLimit",
				    "limits.cpuLimit: must be a positive number");
			x->cpu = json_object_get_double(m);
		} else {
			return refuse(e, IG_REQUEST_BAD_FIELD, "limits", "limits: unknown field \"%.*s\" "
			    "(expected memoryMb, timeoutMs, cpuLimit)", utf8_cut(k, NAME_SHOWN_MAX), k);
		}
	}
	return 0;
}

/* A field every kind of job body has. Returns 1 when key is not one. */
static int
job_common_field(const char *key, struct json_object *v, struct ig_request *x,
    struct ig_request_error *e)
{
	if (strcmp(key, "input") == 0) {
		take_input(v, x);
		if (x->input_len > IG_INPUT_MAX)
			return refuse(e, IG_REQUEST_TOO_LARGE, "input", "input: larger than %d bytes",
			    IG_INPUT_MAX);
	} else if (strcmp(key, "audit") == 0 || strcmp(key, "skipPreflight") == 0 ||
	    strcmp(key, "async") == 0) {
		if (!json_object_is_type(v, json_type_boolean))
			return refuse(e, IG_REQUEST_BAD_FIELD, key, "%s: must be a boolean", key);
		take_flag(key, v, x);
	} else if (strcmp(key, "stdin") == 0) {
		if (!json_object_is_type(v, json_type_string))
			return refuse(e, IG_REQUEST_BAD_FIELD, "stdin", "stdin: must be a string");
		x->stdin_data = json_object_get_string(v);
		x->stdin_len = (size_t)json_object_get_string_len(v);
		if (x->stdin_len > IG_STDIN_MAX)
			return refuse(e, IG_REQUEST_TOO_LARGE, "stdin", "stdin: larger than %d bytes",
			    IG_STDIN_MAX);
	} else if (strcmp(key, "limits") == 0) {
		return job_limits(v, x, e);
	} else if (strcmp(key, "callbackUrl") == 0) {
		if (!json_object_is_type(v, json_type_string))
			return refuse(e, IG_REQUEST_BAD_FIELD, "callbackUrl", "callbackUrl: must be a string");
		x->callback_url = json_object_get_string(v);
	} else {
		return 1;
	}
	return 0;
}

/* A field of the bodies that send files ("runtime", "entry", "files") or,
 * for batch entries, name a "service". */
static int
job_field(const char *key, struct json_object *v, enum ig_request_kind k, struct ig_request *x,
    struct ig_request_error *e)
{
	int rc = job_common_field(key, v, x, e);

	if (rc <= 0)
		return rc;
	if (k != IG_REQUEST_SERVICE && (strcmp(key, "runtime") == 0 || strcmp(key, "entry") == 0)) {
		if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0)
			return refuse(e, IG_REQUEST_BAD_FIELD, key, "%s: must be a non-empty string", key);
		if (key[0] == 'r')
			x->runtime = json_object_get_string(v);
		else
			x->entry = json_object_get_string(v);
	} else if (k != IG_REQUEST_SERVICE && strcmp(key, "files") == 0) {
		x->files = v;
	} else if (k == IG_REQUEST_BATCH_ITEM && strcmp(key, "service") == 0) {
		if (!json_object_is_type(v, json_type_string))
			return refuse(e, IG_REQUEST_BAD_FIELD, "service", "service: must be a string");
		x->service = json_object_get_string(v);
	} else {
		return unknown(e, key);
	}
	return 0;
}

/* What the fields of a job body say together. */
static int
job_whole(enum ig_request_kind k, const struct ig_request_opts *o, struct ig_request *x,
    struct ig_request_error *e)
{
	if (k == IG_REQUEST_BATCH_ITEM) {
		x->async = true;
		if (x->service != NULL && (x->runtime != NULL || x->files != NULL || x->entry != NULL))
			return refuse(e, IG_REQUEST_BAD_FIELD, "service",
			    "service: a request runs either a service or files, not both");
		if (x->service == NULL && x->files == NULL)
			return refuse(e, IG_REQUEST_BAD_FIELD, "service",
			    "service: each request names a service or sends files");
	}
	if (k == IG_REQUEST_ADHOC || (k == IG_REQUEST_BATCH_ITEM && x->service == NULL)) {
		if (x->runtime == NULL)
			return refuse(e, IG_REQUEST_BAD_FIELD, "runtime",
			    "runtime: is required (e.g. \"node@24\")");
		if (x->files == NULL)
			return refuse(e, IG_REQUEST_BAD_FIELD, "files", "files: is required");
		if (x->audit_given && !x->audit)
			return refuse(e, IG_REQUEST_BAD_FIELD, "audit",
			    "audit: ad-hoc runs always run in audit mode");
	}
	if (x->callback_url != NULL && !x->async)
		return refuse(e, IG_REQUEST_BAD_FIELD, "callbackUrl",
		    "callbackUrl: only async runs call back; add \"async\": true");
	return check_audit(x, o, e);
}

int
ig_request_job(struct json_object *doc, enum ig_request_kind k,
    const struct ig_request_opts *o, struct ig_request *out, struct ig_request_error *e)
{
	start(out, e);
	if (!json_object_is_type(doc, json_type_object))
		return refuse(e, IG_REQUEST_NOT_OBJECT, "", NOT_OBJECT_MSG);
	json_object_object_foreach(doc, key, v) {
		if (job_field(key, v, k, out, e) != 0)
			return -1;
	}
	return job_whole(k, o, out, e);
}

int
ig_request_batch(struct json_object *doc, const struct ig_request_opts *o,
    struct json_object **requests, size_t *n, struct ig_request_error *e)
{
	struct json_object *reqs = NULL;
	long max = o != NULL ? o->batch_max : 0;

	*requests = NULL;
	*n = 0;
	if (e != NULL)
		memset(e, 0, sizeof(*e));
	if (!json_object_is_type(doc, json_type_object))
		return refuse(e, IG_REQUEST_NOT_OBJECT, "", NOT_OBJECT_MSG);
	json_object_object_foreach(doc, key, v) {
		if (strcmp(key, "requests") != 0)
			return unknown(e, key);
		reqs = v;
	}
	if (reqs == NULL || !json_object_is_type(reqs, json_type_array) ||
	    json_object_array_length(reqs) == 0 || max <= 0 ||
	    json_object_array_length(reqs) > (size_t)max)
		return refuse(e, IG_REQUEST_BAD_FIELD, "requests",
		    "requests: must be an array of 1 to %ld execute requests", max);
	*requests = reqs;
	*n = json_object_array_length(reqs);
	return 0;
}

/* ---- failures that are not the request's fault ---------------------------- */

const char *
ig_request_failure_text(int code)
{
	switch (code) {
	case IG_OK:
	case IG_EINVAL:
	case IG_ENOENT:
	case IG_ETOOBIG:
	case IG_EPERM:
		return NULL;
	case IG_EDOCKER_DOWN:
		return "the Docker engine is not reachable; try again later";
	case IG_EDOCKER:
		return "the Docker engine failed the request";
	case IG_ETIMEOUT:
		return "the Docker engine did not answer in time";
	case IG_EIO:
		return "storage failed on the server: a run report or a service's files "
		    "could not be written or read";
	case IG_ENOMEM:
		return "the server is out of memory";
	default:
		return "internal error";
	}
}

const char *
ig_request_service_problem(const struct ig_err *err, const char *dir)
{
	size_t n = dir != NULL ? strlen(dir) : 0;
	const char *text;

	if (err->code == IG_EINVAL || err->code == IG_EPERM) {
		if (err->msg[0] == '\0')
			return "the service's configuration is invalid";
		/* "<dir>: service.yaml: …" from a file read under dir. */
		if (n > 0 && strncmp(err->msg, dir, n) == 0 && err->msg[n] == ':' && err->msg[n + 1] == ' ')
			return err->msg + n + 2;
		return err->msg;
	}
	text = ig_request_failure_text(err->code);
	return text != NULL ? text : "the service's files cannot be read";
}

/* The enum ig_errcode that ig_err_name() calls name, or -1. */
static int
code_named(const char *name)
{
	int c;

	for (c = IG_EINVAL; c <= IG_EINTERNAL; c++)
		if (strcmp(ig_err_name(c), name) == 0)
			return c;
	return -1;
}

int
ig_request_failure_hide(struct json_object *o)
{
	struct json_object *err, *code;
	const char *text;
	int c;

	if (!json_object_object_get_ex(o, "error", &err) ||
	    !json_object_object_get_ex(err, "code", &code) ||
	    !json_object_is_type(code, json_type_string) ||
	    (c = code_named(json_object_get_string(code))) < 0 ||
	    (text = ig_request_failure_text(c)) == NULL)
		return 0;
	json_object_object_add(err, "message", json_object_new_string(text));
	return 1;
}
