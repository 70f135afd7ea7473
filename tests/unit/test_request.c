/* test_request.c — execute request bodies (core/request.h): strict parsing
 * (bad JSON, bad UTF-8, depth, duplicate and NUL member names, a non-object
 * top level), every field each kind of body refuses and why, the size and
 * range limits, batches, and the fixed texts for failures that are not the
 * request's fault. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "request.h"

static const struct ig_request_opts strict = { false, 100 };
static const struct ig_request_opts lenient = { true, 100 };

/* ---- helpers ------------------------------------------------------------- */

/* Parses exactly len bytes from a buffer of that size (no NUL after it, so
 * ASan catches a read past the end). Returns the document or NULL. */
static struct json_object *
parse_n(const char *text, size_t len, struct ig_request_error *e)
{
	struct json_object *doc = NULL;
	char *copy = malloc(len > 0 ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, text, len);
	rc = ig_request_parse(copy, len, &doc, e);
	free(copy);
	assert_true(rc == 0 ? doc != NULL : doc == NULL);
	return doc;
}

static struct json_object *
parse_ok(const char *text)
{
	struct ig_request_error e;
	struct json_object *doc = parse_n(text, strlen(text), &e);

	if (doc == NULL)
		fail_msg("refused %s: %s", text, e.err.msg);
	assert_int_equal(e.problem, IG_REQUEST_OK);
	return doc;
}

/* The body is refused by ig_request_parse with problem p and a message
 * that starts with msg. */
static void
parse_fails(const char *text, size_t len, enum ig_request_problem p, const char *msg)
{
	struct ig_request_error e;
	struct json_object *doc = parse_n(text, len, &e);

	if (doc != NULL)
		fail_msg("accepted %.*s", (int)len, text);
	assert_int_equal(e.problem, p);
	assert_string_equal(e.field, "");
	if (strncmp(e.err.msg, msg, strlen(msg)) != 0)
		fail_msg("message \"%s\", expected \"%s…\"", e.err.msg, msg);
}

static void
parse_refused(const char *text, enum ig_request_problem p, const char *msg)
{
	parse_fails(text, strlen(text), p, msg);
}

enum which { EXECUTE, SERVICE_JOB, ADHOC, BATCH_ITEM };

static int
check(enum which w, struct json_object *doc, const struct ig_request_opts *o,
    struct ig_request *x, struct ig_request_error *e)
{
	switch (w) {
	case EXECUTE:     return ig_request_execute(doc, o, x, e);
	case SERVICE_JOB: return ig_request_job(doc, IG_REQUEST_SERVICE, o, x, e);
	case ADHOC:       return ig_request_job(doc, IG_REQUEST_ADHOC, o, x, e);
	case BATCH_ITEM:  return ig_request_job(doc, IG_REQUEST_BATCH_ITEM, o, x, e);
	}
	return -1;
}

/* The body (valid JSON) is refused by the field checks of w with problem p
 * about field, and exactly the message msg. */
static void
refused(enum which w, const struct ig_request_opts *o, const char *body,
    enum ig_request_problem p, const char *field, const char *msg)
{
	struct json_object *doc = parse_ok(body);
	struct ig_request_error e;
	struct ig_request x;

	if (check(w, doc, o, &x, &e) == 0)
		fail_msg("accepted %s", body);
	if (e.problem != p || strcmp(e.field, field) != 0 || strcmp(e.err.msg, msg) != 0)
		fail_msg("%s: got (%s, \"%s\", \"%s\"), expected (%s, \"%s\", \"%s\")", body,
		    ig_request_problem_name(e.problem), e.field, e.err.msg,
		    ig_request_problem_name(p), field, msg);
	assert_int_equal(e.err.code, p == IG_REQUEST_TOO_LARGE ? IG_ETOOBIG :
	    p == IG_REQUEST_AUDIT_REQUIRED ? IG_EPERM : IG_EINVAL);
	json_object_put(doc);
}

/* The body passes the checks of w; *x is filled and the document returned
 * (put it after using x). */
static struct json_object *
accepted(enum which w, const struct ig_request_opts *o, const char *body, struct ig_request *x)
{
	struct json_object *doc = parse_ok(body);
	struct ig_request_error e;

	if (check(w, doc, o, x, &e) != 0)
		fail_msg("refused %s: %s (%s)", body, e.err.msg, e.field);
	return doc;
}

/* "{"input":"aaa…"}" whose "input" is n bytes of JSON text. malloc'd. */
static char *
input_of_size(size_t n, const char *prefix)
{
	size_t plen = strlen(prefix);
	char *s = malloc(plen + n + 32);

	assert_non_null(s);
	memcpy(s, prefix, plen);
	memcpy(s + plen, "\"input\":\"", 9);
	memset(s + plen + 9, 'a', n - 2);
	strcpy(s + plen + 9 + n - 2, "\"}");
	return s;
}

/* True if s is valid UTF-8 (the cut of long names never splits one). */
static bool
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t k = *p < 0x80 ? 0 : *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : *p >= 0xc0 ? 1 : 9;
		if (k == 9)
			return false;
		for (size_t j = 1; j <= k; j++)
			if ((p[j] & 0xc0) != 0x80)
				return false;
		p += k + 1;
	}
	return true;
}

/* ---- parsing ------------------------------------------------------------- */

static void
test_parse_valid(void **state)
{
	(void)state;
	json_object_put(parse_ok("{}"));
	json_object_put(parse_ok(" \n\t{\"input\": {\"a\": [1, 2.5, -3e2, true, null, \"x\"]}}\r\n"));
	/* The same name in different objects is not a duplicate. */
	json_object_put(parse_ok("{\"input\":{\"x\":1,\"y\":{\"x\":2}},\"limits\":{\"x\":3}}"));
	json_object_put(parse_ok("{\"input\":[{\"k\":1},{\"k\":2}]}"));
	/* Quotes, colons and escapes inside strings are not member names. */
	json_object_put(parse_ok("{\"input\":\"a\\\":b\",\"stdin\":\"\\\\\\\":\"}"));
	/* A NUL inside a string value is data. */
	json_object_put(parse_ok("{\"input\":\"a\\u0000b\",\"stdin\":\"\\u0000\"}"));
}

static void
test_parse_bad_json(void **state)
{
	(void)state;
	parse_refused("", IG_REQUEST_BAD_JSON, "invalid JSON at byte 0");
	parse_refused("{", IG_REQUEST_BAD_JSON, "invalid JSON at byte");
	parse_refused("{} {}", IG_REQUEST_BAD_JSON, "invalid JSON at byte 3");
	parse_refused("{} x", IG_REQUEST_BAD_JSON, "invalid JSON at byte 3");
	parse_refused("{'input':1}", IG_REQUEST_BAD_JSON, "invalid JSON at byte");
	parse_refused("{\"input\":1,}", IG_REQUEST_BAD_JSON, "invalid JSON at byte");
	parse_refused("{\"input\":NaN}", IG_REQUEST_BAD_JSON, "invalid JSON at byte");
	parse_refused("{\"input\":01}", IG_REQUEST_BAD_JSON, "invalid JSON at byte");
	parse_refused("{\"input\":1.}", IG_REQUEST_BAD_JSON, "invalid JSON at byte");
	parse_refused("{\"input\":Infinity}", IG_REQUEST_BAD_JSON, "invalid JSON at byte");
	/* Only len bytes count: what follows them is not read. */
	parse_fails("{\"input\":1}", 5, IG_REQUEST_BAD_JSON, "invalid JSON at byte");
	parse_fails("{}\0{}", 5, IG_REQUEST_BAD_JSON, "invalid JSON at byte 2: unexpected data");
}

static void
test_parse_bad_utf8(void **state)
{
	(void)state;
	parse_refused("{\"input\":\"\xff\"}", IG_REQUEST_BAD_JSON, "invalid JSON at byte 10: not UTF-8");
	/* Overlong '/', a surrogate, above U+10FFFF, a cut sequence. */
	parse_refused("{\"input\":\"\xc0\xaf\"}", IG_REQUEST_BAD_JSON, "invalid JSON at byte 10: not UTF-8");
	parse_refused("{\"input\":\"\xed\xa0\x80\"}", IG_REQUEST_BAD_JSON, "invalid JSON at byte 10: not UTF-8");
	parse_refused("{\"input\":\"\xf4\x90\x80\x80\"}", IG_REQUEST_BAD_JSON, "invalid JSON at byte 10: not UTF-8");
	parse_refused("{\"in\xe2\x82\":1}", IG_REQUEST_BAD_JSON, "invalid JSON at byte 4: not UTF-8");
	json_object_put(parse_ok("{\"input\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x94\xa5\"}"));
}

/* {"input": [[[…1…]]]} with n arrays: n + 1 levels of nesting. */
static char *
nested(size_t n)
{
	char *s = malloc(2 * n + 32), *p = s;

	assert_non_null(s);
	p += sprintf(p, "{\"input\":");
	memset(p, '[', n);
	p += n;
	*p++ = '1';
	memset(p, ']', n);
	p += n;
	strcpy(p, "}");
	return s;
}

/* json-c's depth counts the open containers: IG_JSON_MAX_DEPTH - 1 of them
 * are accepted, one more is "nesting too deep". */
static void
test_parse_depth(void **state)
{
	char *ok = nested(IG_JSON_MAX_DEPTH - 2), *deep = nested(IG_JSON_MAX_DEPTH - 1), *deeper = nested(10000);
	char msg[64];

	(void)state;
	json_object_put(parse_ok(ok));
	snprintf(msg, sizeof(msg), "invalid JSON at byte %d: nesting too deep", 9 + IG_JSON_MAX_DEPTH - 1);
	parse_refused(deep, IG_REQUEST_BAD_JSON, msg);
	parse_refused(deeper, IG_REQUEST_BAD_JSON, "invalid JSON at byte");
	free(ok);
	free(deep);
	free(deeper);
}

static void
test_parse_duplicate_names(void **state)
{
	static const char twice[] = "invalid JSON: an object has the same member name twice";

	(void)state;
	/* json-c would keep only the last: "audit": false would win unseen. */
	parse_refused("{\"audit\":true,\"audit\":false}", IG_REQUEST_BAD_JSON, twice);
	parse_refused("{\"input\":1,\"audit\":true,\"input\":2}", IG_REQUEST_BAD_JSON, twice);
	parse_refused("{\"limits\":{\"memoryMb\":1,\"memoryMb\":99999}}", IG_REQUEST_BAD_JSON, twice);
	parse_refused("{\"input\":{\"a\":{\"b\":[{\"c\":1,\"c\":1}]}}}", IG_REQUEST_BAD_JSON, twice);
	parse_refused("{\"files\":{\"a.js\":\"1\",\"a.js\":\"2\"}}", IG_REQUEST_BAD_JSON, twice);
	/* The same name written with an escape is the same name. */
	parse_refused("{\"audit\":true,\"\\u0061udit\":false}", IG_REQUEST_BAD_JSON, twice);
	/* A duplicate whose first value is an object (its members vanish too). */
	parse_refused("{\"input\":{\"x\":{\"y\":1,\"z\":2}},\"input\":3}", IG_REQUEST_BAD_JSON, twice);
	/* Even when the top level is not an object. */
	parse_refused("[{\"a\":1,\"a\":2}]", IG_REQUEST_BAD_JSON, twice);
}

static void
test_parse_nul_in_name(void **state)
{
	static const char nul[] = "invalid JSON: a member name contains a NUL character";

	(void)state;
	/* json-c would cut the name at the NUL and see "input". */
	parse_refused("{\"input\\u0000x\":1}", IG_REQUEST_BAD_JSON, nul);
	parse_refused("{\"a\\u0000b\":1,\"a\\u0000c\":2}", IG_REQUEST_BAD_JSON, nul);
	parse_refused("{\"input\":{\"\\u0000\":1}}", IG_REQUEST_BAD_JSON, nul);
}

static void
test_parse_not_object(void **state)
{
	static const char msg[] = "the body must be a JSON object";

	(void)state;
	parse_refused("[]", IG_REQUEST_NOT_OBJECT, msg);
	parse_refused("[{\"input\":1}]", IG_REQUEST_NOT_OBJECT, msg);
	parse_refused("1", IG_REQUEST_NOT_OBJECT, msg);
	parse_refused("\"input\"", IG_REQUEST_NOT_OBJECT, msg);
	parse_refused("true", IG_REQUEST_NOT_OBJECT, msg);
	parse_refused("null", IG_REQUEST_NOT_OBJECT, msg);
}

static void
test_parse_without_error_struct(void **state)
{
	struct json_object *doc = NULL;

	(void)state;
	assert_int_equal(ig_request_parse("{", 1, &doc, NULL), -1);
	assert_null(doc);
	assert_int_equal(ig_request_parse(NULL, 0, &doc, NULL), -1);
	assert_int_equal(ig_request_parse("{\"a\":1,\"a\":1}", 13, &doc, NULL), -1);
	assert_int_equal(ig_request_parse("{}", 2, &doc, NULL), 0);
	json_object_put(doc);
}

/* ---- the service execute body -------------------------------------------- */

static void
test_execute_valid(void **state)
{
	struct json_object *doc;
	struct ig_request x;

	(void)state;
	doc = accepted(EXECUTE, &strict, "{}", &x);
	assert_null(x.input);
	assert_true(x.audit);
	assert_false(x.audit_given || x.skip_preflight || x.async);
	assert_null(x.stdin_data);
	assert_true(x.memory_mb == 0 && x.timeout_ms == 0 && x.cpu == 0);
	json_object_put(doc);

	doc = accepted(EXECUTE, &strict, "{\"input\": {\"name\": \"Ada\", \"n\": [1, 2.5]},"
	    " \"audit\": true, \"skipPreflight\": true, \"stdin\": \"a\\u0000b\","
	    " \"limits\": {\"memoryMb\": 64, \"timeoutMs\": 1500, \"cpuLimit\": 0.5}}", &x);
	assert_int_equal(x.input_len, strlen("{\"name\":\"Ada\",\"n\":[1,2.5]}"));
	assert_memory_equal(x.input, "{\"name\":\"Ada\",\"n\":[1,2.5]}", x.input_len);
	assert_true(x.audit && x.audit_given && x.skip_preflight);
	assert_int_equal(x.stdin_len, 3);
	assert_memory_equal(x.stdin_data, "a\0b", 3);
	assert_int_equal(x.memory_mb, 64);
	assert_int_equal(x.timeout_ms, 1500);
	assert_true(x.cpu == 0.5);
	json_object_put(doc);

	/* "input": null is the text null; slashes are not escaped. */
	doc = accepted(EXECUTE, &strict, "{\"input\": null}", &x);
	assert_int_equal(x.input_len, 4);
	assert_memory_equal(x.input, "null", 4);
	json_object_put(doc);
	doc = accepted(EXECUTE, &strict, "{\"input\": \"a/b\"}", &x);
	assert_memory_equal(x.input, "\"a/b\"", x.input_len);
	json_object_put(doc);
	/* No upper bound here: the service's own limits cap these. */
	doc = accepted(EXECUTE, &strict, "{\"limits\": {\"memoryMb\": 9999999, \"cpuLimit\": 1000}}", &x);
	assert_int_equal(x.memory_mb, 9999999);
	json_object_put(doc);
}

static void
test_execute_each_field_refused(void **state)
{
	static const struct { const char *body, *field, *msg; } cases[] = {
		{ "{\"audit\":\"yes\"}", "audit", "field \"audit\" must be a boolean" },
		{ "{\"audit\":1}", "audit", "field \"audit\" must be a boolean" },
		{ "{\"audit\":null}", "audit", "field \"audit\" must be a boolean" },
		{ "{\"skipPreflight\":\"true\"}", "skipPreflight", "field \"skipPreflight\" must be a boolean" },
		{ "{\"stdin\":5}", "stdin", "field \"stdin\" must be a string" },
		{ "{\"stdin\":null}", "stdin", "field \"stdin\" must be a string" },
		{ "{\"limits\":[]}", "limits", "field \"limits\" must be an object" },
		{ "{\"limits\":{\"memoryMB\":64}}", "limits",
		    "limits: unknown field \"memoryMB\" (expected memoryMb, timeoutMs, cpuLimit)" },
		{ "{\"limits\":{\"memoryMb\":0}}", "limits.memoryMb", "limits.memoryMb must be a positive integer" },
		{ "{\"limits\":{\"memoryMb\":-1}}", "limits.memoryMb", "limits.memoryMb must be a positive integer" },
		{ "{\"limits\":{\"memoryMb\":1.5}}", "limits.memoryMb", "limits.memoryMb must be a positive integer" },
		{ "{\"limits\":{\"memoryMb\":\"64\"}}", "limits.memoryMb", "limits.memoryMb must be a positive integer" },
		{ "{\"limits\":{\"timeoutMs\":0}}", "limits.timeoutMs", "limits.timeoutMs must be a positive integer" },
		{ "{\"limits\":{\"timeoutMs\":true}}", "limits.timeoutMs", "limits.timeoutMs must be a positive integer" },
		{ "{\"limits\":{\"cpuLimit\":0}}", "limits.cpuLimit", "limits.cpuLimit must be a positive number" },
		{ "{\"limits\":{\"cpuLimit\":-0.5}}", "limits.cpuLimit", "limits.cpuLimit must be a positive number" },
		{ "{\"limits\":{\"cpuLimit\":\"1\"}}", "limits.cpuLimit", "limits.cpuLimit must be a positive number" },
		{ "{\"inputs\":1}", "inputs", "unknown field \"inputs\"" },
		{ "{\"input\":1,\"x\":2}", "x", "unknown field \"x\"" },
		/* Only the bodies of async runs know these. */
		{ "{\"async\":true}", "async", "unknown field \"async\"" },
		{ "{\"callbackUrl\":\"https://example.com/\"}", "callbackUrl", "unknown field \"callbackUrl\"" },
		{ "{\"runtime\":\"node\"}", "runtime", "unknown field \"runtime\"" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		refused(EXECUTE, &lenient, cases[i].body, IG_REQUEST_BAD_FIELD, cases[i].field, cases[i].msg);
}

static void
test_execute_input_size(void **state)
{
	struct json_object *doc;
	struct ig_request x;
	char *fits = input_of_size(IG_INPUT_MAX, "{"), *over = input_of_size(IG_INPUT_MAX + 1, "{");

	(void)state;
	doc = accepted(EXECUTE, &strict, fits, &x);
	assert_int_equal(x.input_len, IG_INPUT_MAX);
	json_object_put(doc);
	refused(EXECUTE, &strict, over, IG_REQUEST_TOO_LARGE, "input", "input too large");
	free(fits);
	free(over);

	/* stdin: at most IG_STDIN_MAX, refused before anything runs. */
	{
		char *body = malloc(IG_STDIN_MAX + 64), msg[64];

		assert_non_null(body);
		strcpy(body, "{\"stdin\":\"");
		memset(body + 10, 'b', IG_STDIN_MAX);
		strcpy(body + 10 + IG_STDIN_MAX, "\"}");
		doc = accepted(EXECUTE, &strict, body, &x);
		assert_int_equal(x.stdin_len, IG_STDIN_MAX);
		json_object_put(doc);
		memset(body + 10, 'b', IG_STDIN_MAX + 1);
		strcpy(body + 10 + IG_STDIN_MAX + 1, "\"}");
		snprintf(msg, sizeof(msg), "stdin too large (at most %d bytes)", IG_STDIN_MAX);
		refused(EXECUTE, &strict, body, IG_REQUEST_TOO_LARGE, "stdin", msg);
		free(body);
	}
}

static void
test_execute_audit_required(void **state)
{
	static const char msg[] = "this server runs every execution in audit mode; "
	    "\"audit\": false is not allowed";
	struct json_object *doc;
	struct ig_request x;

	(void)state;
	refused(EXECUTE, &strict, "{\"audit\":false}", IG_REQUEST_AUDIT_REQUIRED, "audit", msg);
	refused(EXECUTE, NULL, "{\"audit\":false}", IG_REQUEST_AUDIT_REQUIRED, "audit", msg);
	/* A field error is reported before the audit question. */
	refused(EXECUTE, &strict, "{\"audit\":false,\"x\":1}", IG_REQUEST_BAD_FIELD, "x", "unknown field \"x\"");
	doc = accepted(EXECUTE, &lenient, "{\"audit\":false}", &x);
	assert_false(x.audit);
	json_object_put(doc);
}

static void
test_execute_not_object(void **state)
{
	struct json_object *doc = json_object_new_array();
	struct ig_request_error e;
	struct ig_request x;

	(void)state;
	assert_int_equal(ig_request_execute(doc, &strict, &x, &e), -1);
	assert_int_equal(e.problem, IG_REQUEST_NOT_OBJECT);
	assert_string_equal(e.err.msg, "the body must be a JSON object");
	assert_int_equal(ig_request_execute(NULL, &strict, &x, &e), -1);
	json_object_put(doc);
}

/* An unknown name is quoted back cut to 64 bytes, never inside a UTF-8
 * sequence; the field keeps at most IG_REQUEST_FIELD_MAX - 1 bytes. */
static void
test_unknown_name_cut(void **state)
{
	char body[1200], *p = body;
	struct json_object *doc;
	struct ig_request_error e;
	struct ig_request x;
	int i;

	(void)state;
	p += sprintf(p, "{\"a");
	for (i = 0; i < 300; i++)
		p += sprintf(p, "\xc3\xa9");
	sprintf(p, "\":1}");
	doc = parse_ok(body);
	assert_int_equal(ig_request_execute(doc, &strict, &x, &e), -1);
	assert_true(utf8_ok(e.err.msg) && utf8_ok(e.field));
	assert_true(strlen(e.err.msg) <= strlen("unknown field \"\"") + 64);
	assert_true(strlen(e.field) <= IG_REQUEST_FIELD_MAX - 1 && strlen(e.field) >= IG_REQUEST_FIELD_MAX - 2);
	assert_int_equal(ig_request_job(doc, IG_REQUEST_ADHOC, &strict, &x, &e), -1);
	assert_true(utf8_ok(e.err.msg) && utf8_ok(e.field));
	json_object_put(doc);
}

/* ---- async, ad-hoc and batch entry bodies ---------------------------------- */

static void
test_job_service(void **state)
{
	struct json_object *doc;
	struct ig_request x;

	(void)state;
	doc = accepted(SERVICE_JOB, &strict, "{\"input\":{\"a\":1},\"async\":true,"
	    "\"callbackUrl\":\"https://hooks.example/x\",\"skipPreflight\":false}", &x);
	assert_true(x.async && x.audit);
	assert_string_equal(x.callback_url, "https://hooks.example/x");
	assert_memory_equal(x.input, "{\"a\":1}", x.input_len);
	json_object_put(doc);
	/* An Idempotency-Key alone brings a plain body here. */
	doc = accepted(SERVICE_JOB, &strict, "{}", &x);
	assert_false(x.async);
	json_object_put(doc);

	refused(SERVICE_JOB, &strict, "{\"callbackUrl\":\"https://hooks.example/x\"}", IG_REQUEST_BAD_FIELD,
	    "callbackUrl", "callbackUrl: only async runs call back; add \"async\": true");
	refused(SERVICE_JOB, &strict, "{\"async\":true,\"callbackUrl\":5}", IG_REQUEST_BAD_FIELD,
	    "callbackUrl", "callbackUrl: must be a string");
	refused(SERVICE_JOB, &strict, "{\"async\":\"yes\"}", IG_REQUEST_BAD_FIELD, "async", "async: must be a boolean");
	refused(SERVICE_JOB, &strict, "{\"audit\":0}", IG_REQUEST_BAD_FIELD, "audit", "audit: must be a boolean");
	refused(SERVICE_JOB, &strict, "{\"skipPreflight\":[]}", IG_REQUEST_BAD_FIELD, "skipPreflight",
	    "skipPreflight: must be a boolean");
	refused(SERVICE_JOB, &strict, "{\"stdin\":{}}", IG_REQUEST_BAD_FIELD, "stdin", "stdin: must be a string");
	/* Files and services are other kinds' fields. */
	refused(SERVICE_JOB, &strict, "{\"runtime\":\"node\"}", IG_REQUEST_BAD_FIELD, "runtime",
	    "unknown field \"runtime\"");
	refused(SERVICE_JOB, &strict, "{\"files\":{}}", IG_REQUEST_BAD_FIELD, "files", "unknown field \"files\"");
	refused(SERVICE_JOB, &strict, "{\"service\":\"hello\"}", IG_REQUEST_BAD_FIELD, "service",
	    "unknown field \"service\"");
	refused(SERVICE_JOB, &strict, "{\"audit\":false}", IG_REQUEST_AUDIT_REQUIRED, "audit",
	    "this server runs every execution in audit mode; \"audit\": false is not allowed");
	doc = accepted(SERVICE_JOB, &lenient, "{\"audit\":false,\"async\":true}", &x);
	assert_false(x.audit);
	json_object_put(doc);
}

static void
test_job_limits(void **state)
{
	char body[256];
	struct json_object *doc;
	struct ig_request x;

	(void)state;
	snprintf(body, sizeof(body), "{\"limits\":{\"memoryMb\":%d,\"timeoutMs\":%d,\"cpuLimit\":%g}}",
	    IG_MEMORY_MB_MAX, IG_TIMEOUT_MS_MAX, IG_CPU_LIMIT_MAX);
	doc = accepted(SERVICE_JOB, &strict, body, &x);
	assert_int_equal(x.memory_mb, IG_MEMORY_MB_MAX);
	assert_int_equal(x.timeout_ms, IG_TIMEOUT_MS_MAX);
	assert_true(x.cpu == IG_CPU_LIMIT_MAX);
	json_object_put(doc);

	snprintf(body, sizeof(body), "{\"limits\":{\"memoryMb\":%d}}", IG_MEMORY_MB_MAX + 1);
	refused(SERVICE_JOB, &strict, body, IG_REQUEST_BAD_FIELD, "limits.memoryMb",
	    "limits.memoryMb: must be a positive integer");
	snprintf(body, sizeof(body), "{\"limits\":{\"timeoutMs\":%d}}", IG_TIMEOUT_MS_MAX + 1);
	refused(SERVICE_JOB, &strict, body, IG_REQUEST_BAD_FIELD, "limits.timeoutMs",
	    "limits.timeoutMs: must be a positive integer");
	refused(SERVICE_JOB, &strict, "{\"limits\":{\"cpuLimit\":64.5}}", IG_REQUEST_BAD_FIELD,
	    "limits.cpuLimit", "limits.cpuLimit: must be a positive number");
	refused(SERVICE_JOB, &strict, "{\"limits\":{\"cpuLimit\":0}}", IG_REQUEST_BAD_FIELD,
	    "limits.cpuLimit", "limits.cpuLimit: must be a positive number");
	refused(SERVICE_JOB, &strict, "{\"limits\":{\"memoryMb\":2.0}}", IG_REQUEST_BAD_FIELD,
	    "limits.memoryMb", "limits.memoryMb: must be a positive integer");
	refused(SERVICE_JOB, &strict, "{\"limits\":{\"timeoutMs\":-5}}", IG_REQUEST_BAD_FIELD,
	    "limits.timeoutMs", "limits.timeoutMs: must be a positive integer");
	refused(SERVICE_JOB, &strict, "{\"limits\":{\"pids\":5}}", IG_REQUEST_BAD_FIELD, "limits",
	    "limits: unknown field \"pids\" (expected memoryMb, timeoutMs, cpuLimit)");
	refused(SERVICE_JOB, &strict, "{\"limits\":null}", IG_REQUEST_BAD_FIELD, "limits",
	    "limits: must be an object");
	/* Number types json-c keeps apart: a huge integer is still an integer. */
	refused(SERVICE_JOB, &strict, "{\"limits\":{\"memoryMb\":18446744073709551615}}", IG_REQUEST_BAD_FIELD,
	    "limits.memoryMb", "limits.memoryMb: must be a positive integer");
}

static void
test_job_sizes(void **state)
{
	char *fits = input_of_size(IG_INPUT_MAX, "{"), *over = input_of_size(IG_INPUT_MAX + 1, "{");
	char *stdin_over = malloc(IG_STDIN_MAX + 64), msg[64];
	struct json_object *doc;
	struct ig_request x;

	(void)state;
	doc = accepted(SERVICE_JOB, &strict, fits, &x);
	assert_int_equal(x.input_len, IG_INPUT_MAX);
	json_object_put(doc);
	/* The size is checked as the field is read: before "runtime" is missed. */
	snprintf(msg, sizeof(msg), "input: larger than %d bytes", IG_INPUT_MAX);
	refused(ADHOC, &strict, over, IG_REQUEST_TOO_LARGE, "input", msg);

	assert_non_null(stdin_over);
	strcpy(stdin_over, "{\"stdin\":\"");
	memset(stdin_over + 10, 'b', IG_STDIN_MAX + 1);
	strcpy(stdin_over + 10 + IG_STDIN_MAX + 1, "\"}");
	snprintf(msg, sizeof(msg), "stdin: larger than %d bytes", IG_STDIN_MAX);
	refused(SERVICE_JOB, &strict, stdin_over, IG_REQUEST_TOO_LARGE, "stdin", msg);
	free(fits);
	free(over);
	free(stdin_over);
}

static void
test_job_adhoc(void **state)
{
	struct json_object *doc;
	struct ig_request x;

	(void)state;
	doc = accepted(ADHOC, &strict, "{\"runtime\":\"node@24\",\"entry\":\"main.js\","
	    "\"files\":{\"main.js\":\"console.log(1)\"},\"input\":[1],\"async\":true}", &x);
	assert_string_equal(x.runtime, "node@24");
	assert_string_equal(x.entry, "main.js");
	assert_true(json_object_is_type(x.files, json_type_object));
	assert_true(x.async && x.audit);
	assert_null(x.service);
	json_object_put(doc);
	/* What "files" holds is core/adhoc.h's to check. */
	doc = accepted(ADHOC, &strict, "{\"runtime\":\"bun\",\"files\":[1,2]}", &x);
	assert_true(json_object_is_type(x.files, json_type_array));
	assert_null(x.entry);
	json_object_put(doc);

	refused(ADHOC, &strict, "{\"files\":{\"a.js\":\"1\"}}", IG_REQUEST_BAD_FIELD, "runtime",
	    "runtime: is required (e.g. \"node@24\")");
	refused(ADHOC, &strict, "{\"runtime\":\"node\"}", IG_REQUEST_BAD_FIELD, "files", "files: is required");
	refused(ADHOC, &strict, "{\"runtime\":\"node\",\"files\":null}", IG_REQUEST_BAD_FIELD, "files",
	    "files: is required");
	refused(ADHOC, &strict, "{\"runtime\":\"\",\"files\":{}}", IG_REQUEST_BAD_FIELD, "runtime",
	    "runtime: must be a non-empty string");
	refused(ADHOC, &strict, "{\"runtime\":24,\"files\":{}}", IG_REQUEST_BAD_FIELD, "runtime",
	    "runtime: must be a non-empty string");
	refused(ADHOC, &strict, "{\"runtime\":\"node\",\"entry\":[],\"files\":{}}", IG_REQUEST_BAD_FIELD,
	    "entry", "entry: must be a non-empty string");
	/* Ad-hoc runs are audited even where "audit": false is allowed. */
	refused(ADHOC, &lenient, "{\"runtime\":\"node\",\"files\":{},\"audit\":false}", IG_REQUEST_BAD_FIELD,
	    "audit", "audit: ad-hoc runs always run in audit mode");
	refused(ADHOC, &strict, "{\"runtime\":\"node\",\"files\":{},\"service\":\"hello\"}", IG_REQUEST_BAD_FIELD,
	    "service", "unknown field \"service\"");
	refused(ADHOC, &strict, "{\"runtime\":\"node\",\"files\":{},\"callbackUrl\":\"https://h.example/\"}",
	    IG_REQUEST_BAD_FIELD, "callbackUrl", "callbackUrl: only async runs call back; add \"async\": true");
}

static void
test_job_batch_item(void **state)
{
	struct json_object *doc;
	struct ig_request x;

	(void)state;
	doc = accepted(BATCH_ITEM, &strict, "{\"service\":\"hello\",\"input\":1}", &x);
	assert_string_equal(x.service, "hello");
	assert_true(x.async);                   /* entries are always queued */
	json_object_put(doc);
	doc = accepted(BATCH_ITEM, &strict, "{\"runtime\":\"deno\",\"files\":{\"a.ts\":\"1\"},"
	    "\"callbackUrl\":\"https://h.example/\"}", &x);
	assert_null(x.service);
	assert_true(x.async && x.callback_url != NULL);
	json_object_put(doc);

	refused(BATCH_ITEM, &strict, "{\"service\":\"hello\",\"files\":{}}", IG_REQUEST_BAD_FIELD, "service",
	    "service: a request runs either a service or files, not both");
	refused(BATCH_ITEM, &strict, "{\"service\":\"hello\",\"runtime\":\"node\"}", IG_REQUEST_BAD_FIELD,
	    "service", "service: a request runs either a service or files, not both");
	refused(BATCH_ITEM, &strict, "{\"input\":1}", IG_REQUEST_BAD_FIELD, "service",
	    "service: each request names a service or sends files");
	refused(BATCH_ITEM, &strict, "{\"service\":7}", IG_REQUEST_BAD_FIELD, "service",
	    "service: must be a string");
	refused(BATCH_ITEM, &strict, "{\"files\":{}}", IG_REQUEST_BAD_FIELD, "runtime",
	    "runtime: is required (e.g. \"node@24\")");
	/* Entries are queued whatever "async" says, so they may call back. */
	doc = accepted(BATCH_ITEM, &strict, "{\"service\":\"hello\",\"async\":false,"
	    "\"callbackUrl\":\"https://h.example/\"}", &x);
	assert_true(x.async);
	json_object_put(doc);
}

static void
test_job_not_object(void **state)
{
	struct json_object *doc = parse_ok("{\"requests\":[1,[],null]}"), *reqs;
	struct ig_request_error e;
	struct ig_request x;
	size_t i, n;

	(void)state;
	assert_int_equal(ig_request_batch(doc, &strict, &reqs, &n, &e), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(ig_request_job(json_object_array_get_idx(reqs, i), IG_REQUEST_BATCH_ITEM,
		    &strict, &x, &e), -1);
		assert_int_equal(e.problem, IG_REQUEST_NOT_OBJECT);
		assert_string_equal(e.err.msg, "the body must be a JSON object");
	}
	json_object_put(doc);
}

/* ---- batches ----------------------------------------------------------------- */

static void
batch_refused(const char *body, long max, enum ig_request_problem p, const char *field, const char *msg)
{
	struct ig_request_opts o = { false, max };
	struct json_object *doc = parse_ok(body), *reqs = (void *)1;
	struct ig_request_error e;
	size_t n = 9;

	assert_int_equal(ig_request_batch(doc, &o, &reqs, &n, &e), -1);
	assert_null(reqs);
	assert_int_equal(n, 0);
	assert_int_equal(e.problem, p);
	assert_string_equal(e.field, field);
	assert_string_equal(e.err.msg, msg);
	json_object_put(doc);
}

static void
test_batch(void **state)
{
	struct ig_request_opts o = { false, 2 };
	struct json_object *doc = parse_ok("{\"requests\":[{\"service\":\"a\"},{\"service\":\"b\"}]}"), *reqs;
	struct ig_request_error e;
	size_t n;

	(void)state;
	assert_int_equal(ig_request_batch(doc, &o, &reqs, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_ptr_equal(reqs, json_object_object_get(doc, "requests"));
	json_object_put(doc);

	batch_refused("{\"requests\":[{},{},{}]}", 2, IG_REQUEST_BAD_FIELD, "requests",
	    "requests: must be an array of 1 to 2 execute requests");
	batch_refused("{\"requests\":[]}", 2, IG_REQUEST_BAD_FIELD, "requests",
	    "requests: must be an array of 1 to 2 execute requests");
	batch_refused("{\"requests\":{}}", 5, IG_REQUEST_BAD_FIELD, "requests",
	    "requests: must be an array of 1 to 5 execute requests");
	batch_refused("{}", 5, IG_REQUEST_BAD_FIELD, "requests",
	    "requests: must be an array of 1 to 5 execute requests");
	batch_refused("{\"requests\":[{}],\"async\":true}", 5, IG_REQUEST_BAD_FIELD, "async",
	    "unknown field \"async\"");
	batch_refused("{\"requests\":[{}]}", 0, IG_REQUEST_BAD_FIELD, "requests",
	    "requests: must be an array of 1 to 0 execute requests");
	doc = json_object_new_array();
	assert_int_equal(ig_request_batch(doc, &o, &reqs, &n, &e), -1);
	assert_int_equal(e.problem, IG_REQUEST_NOT_OBJECT);
	json_object_put(doc);
}

static void
test_problem_names(void **state)
{
	(void)state;
	assert_string_equal(ig_request_problem_name(IG_REQUEST_OK), "ok");
	assert_string_equal(ig_request_problem_name(IG_REQUEST_BAD_JSON), "invalid_json");
	assert_string_equal(ig_request_problem_name(IG_REQUEST_NOT_OBJECT), "invalid_request");
	assert_string_equal(ig_request_problem_name(IG_REQUEST_BAD_FIELD), "invalid_field");
	assert_string_equal(ig_request_problem_name(IG_REQUEST_TOO_LARGE), "payload_too_large");
	assert_string_equal(ig_request_problem_name(IG_REQUEST_AUDIT_REQUIRED), "audit_required");
}

/* ---- failures that are not the request's fault ---------------------------- */

static void
test_failure_text(void **state)
{
	int c;

	(void)state;
	assert_null(ig_request_failure_text(IG_OK));
	assert_null(ig_request_failure_text(IG_EINVAL));
	assert_null(ig_request_failure_text(IG_ENOENT));
	assert_null(ig_request_failure_text(IG_ETOOBIG));
	assert_null(ig_request_failure_text(IG_EPERM));
	for (c = IG_EEXIST; c <= IG_EINTERNAL + 1; c++) {
		const char *t = ig_request_failure_text(c);
		if (c == IG_ENOENT || c == IG_ETOOBIG || c == IG_EPERM)
			continue;
		assert_non_null(t);
		assert_null(strchr(t, '/'));
	}
	/* The words the fault suites look for. */
	assert_non_null(strstr(ig_request_failure_text(IG_EDOCKER_DOWN), "Docker engine"));
	assert_non_null(strstr(ig_request_failure_text(IG_EDOCKER), "Docker engine"));
	assert_non_null(strstr(ig_request_failure_text(IG_ETIMEOUT), "Docker engine"));
	assert_non_null(strstr(ig_request_failure_text(IG_EIO), "storage"));
	assert_non_null(strstr(ig_request_failure_text(IG_EIO), "run"));
}

static void
test_failure_hide(void **state)
{
	struct json_object *o, *e;

	(void)state;
	o = json_tokener_parse("{\"runId\":\"x\",\"status\":\"error\",\"error\":{\"code\":\"docker_unavailable\","
	    "\"message\":\"Docker engine not reachable at /var/run/docker.sock: Connection refused\"}}");
	assert_int_equal(ig_request_failure_hide(o), 1);
	e = json_object_object_get(o, "error");
	assert_string_equal(json_object_get_string(json_object_object_get(e, "message")),
	    ig_request_failure_text(IG_EDOCKER_DOWN));
	assert_string_equal(json_object_get_string(json_object_object_get(e, "code")), "docker_unavailable");
	assert_string_equal(json_object_get_string(json_object_object_get(o, "runId")), "x");
	json_object_put(o);

	o = json_tokener_parse("{\"error\":{\"code\":\"io_error\",\"message\":\"/srv/runs: No space left\"}}");
	assert_int_equal(ig_request_failure_hide(o), 1);
	assert_null(strstr(json_object_to_json_string(o), "/srv"));
	json_object_put(o);

	/* Messages about the request itself, and other shapes, stay. */
	o = json_tokener_parse("{\"error\":{\"code\":\"preflight_failed\",\"message\":\"preflight failed\"}}");
	assert_int_equal(ig_request_failure_hide(o), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(json_object_object_get(o, "error"),
	    "message")), "preflight failed");
	json_object_put(o);
	o = json_tokener_parse("{\"error\":{\"code\":\"invalid\",\"message\":\"m\"}}");
	assert_int_equal(ig_request_failure_hide(o), 0);
	json_object_put(o);
	o = json_tokener_parse("{\"error\":{\"code\":5,\"message\":\"m\"}}");
	assert_int_equal(ig_request_failure_hide(o), 0);
	json_object_put(o);
	o = json_tokener_parse("{\"error\":\"internal\"}");
	assert_int_equal(ig_request_failure_hide(o), 0);
	json_object_put(o);
	o = json_tokener_parse("[1]");
	assert_int_equal(ig_request_failure_hide(o), 0);
	json_object_put(o);
	assert_int_equal(ig_request_failure_hide(NULL), 0);
}

static void
service_problem_is(int code, const char *msg, const char *dir, const char *want)
{
	struct ig_err err;

	ig_err_set(&err, code, "%s", msg);
	assert_string_equal(ig_request_service_problem(&err, dir), want);
}

static void
test_service_problem(void **state)
{
	static const char dir[] = "/srv/ignite/services/hello";

	(void)state;
	service_problem_is(IG_EINVAL, "service.yaml: invalid configuration (2 problems)", dir,
	    "service.yaml: invalid configuration (2 problems)");
	service_problem_is(IG_EPERM, "node_modules/evil: a symlink leads outside the service directory; "
	    "remove it or copy the file in", dir, "node_modules/evil: a symlink leads outside the service "
	    "directory; remove it or copy the file in");
	/* Core's "<dir>: file: …" loses the directory. */
	service_problem_is(IG_EPERM, "/srv/ignite/services/hello: policy.yaml: resolves outside the directory",
	    dir, "policy.yaml: resolves outside the directory");
	service_problem_is(IG_EPERM, "/srv/ignite/services/hello2: x", dir, "/srv/ignite/services/hello2: x");
	service_problem_is(IG_EINVAL, "", dir, "the service's configuration is invalid");
	/* Other classes never show core's message. */
	service_problem_is(IG_ENOENT, "/srv/ignite/services/hello: No such file or directory", dir,
	    "the service's files cannot be read");
	service_problem_is(IG_EIO, "/srv/ignite/services/hello: policy.yaml: Permission denied", dir,
	    ig_request_failure_text(IG_EIO));
	service_problem_is(IG_EINTERNAL, "no runtime registry loaded", NULL, "internal error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_bad_json),
		cmocka_unit_test(test_parse_bad_utf8),
		cmocka_unit_test(test_parse_depth),
		cmocka_unit_test(test_parse_duplicate_names),
		cmocka_unit_test(test_parse_nul_in_name),
		cmocka_unit_test(test_parse_not_object),
		cmocka_unit_test(test_parse_without_error_struct),
		cmocka_unit_test(test_execute_valid),
		cmocka_unit_test(test_execute_each_field_refused),
		cmocka_unit_test(test_execute_input_size),
		cmocka_unit_test(test_execute_audit_required),
		cmocka_unit_test(test_execute_not_object),
		cmocka_unit_test(test_unknown_name_cut),
		cmocka_unit_test(test_job_service),
		cmocka_unit_test(test_job_limits),
		cmocka_unit_test(test_job_sizes),
		cmocka_unit_test(test_job_adhoc),
		cmocka_unit_test(test_job_batch_item),
		cmocka_unit_test(test_job_not_object),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_problem_names),
		cmocka_unit_test(test_failure_text),
		cmocka_unit_test(test_failure_hide),
		cmocka_unit_test(test_service_problem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
