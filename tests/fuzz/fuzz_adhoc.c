/*
 * fuzz_adhoc.c — the bodies of POST /api/execute, of a service's execute
 * with "async", "callbackUrl" or an Idempotency-Key, and of POST
 * /api/batch: ig_request_parse, then ig_request_job of every kind and
 * ig_request_batch with each of its entries (core/request.h), as the
 * daemon runs them. Input: the body (a JSON text), nothing else.
 *
 * Properties: every accepted request is within its limits ("input" JSON of
 * at most IG_INPUT_MAX bytes, "stdin" at most IG_STDIN_MAX, limits between
 * 0 and their maxima), asks for a callback only when async, runs audited
 * unless the server allows otherwise (ad-hoc runs always); an ad-hoc one
 * has a runtime and files; a batch entry is async and runs a service or
 * files, never both; a batch has 1 to batch_max entries; a refusal has a
 * problem, a message and a field that are valid UTF-8, and only size
 * problems are IG_REQUEST_TOO_LARGE; ig_request_failure_hide leaves no
 * server path in what it touches.
 */
#include "fuzz.h"

#include "bounds.h"
#include "err.h"
#include "jsonin.h"
#include "request.h"

#include <json-c/json.h>
#include <stdbool.h>

#define ADHOC_BATCH_MAX 4

/* True if s is well-formed UTF-8 (lead bytes and continuations). */
static bool
adhoc_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t k, j;

	while (*p != '\0') {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf)
			k = 1;
		else if (*p >= 0xe0 && *p <= 0xef)
			k = 2;
		else if (*p >= 0xf0 && *p <= 0xf4)
			k = 3;
		else
			return false;
		for (j = 1; j <= k; j++)
			if ((p[j] & 0xc0) != 0x80)
				return false;
		p += k + 1;
	}
	return true;
}

static void
adhoc_refusal_ok(const struct ig_request_error *e)
{
	FUZZ_CHECK(e->problem != IG_REQUEST_OK && e->problem <= IG_REQUEST_AUDIT_REQUIRED);
	FUZZ_CHECK(e->err.msg[0] != '\0');
	FUZZ_CHECK(adhoc_utf8(e->err.msg) && adhoc_utf8(e->field));
	FUZZ_CHECK(e->err.code == (e->problem == IG_REQUEST_TOO_LARGE ? IG_ETOOBIG :
	    e->problem == IG_REQUEST_AUDIT_REQUIRED ? IG_EPERM : IG_EINVAL));
	if (e->problem == IG_REQUEST_TOO_LARGE)
		FUZZ_CHECK(strcmp(e->field, "input") == 0 || strcmp(e->field, "stdin") == 0);
}

static void
adhoc_accepted_ok(enum ig_request_kind k, const struct ig_request *x, bool allow_non_audit)
{
	struct json_object *in = NULL;

	FUZZ_CHECK(x->input == NULL || x->input_len <= IG_INPUT_MAX);
	FUZZ_CHECK(x->stdin_data == NULL || x->stdin_len <= IG_STDIN_MAX);
	FUZZ_CHECK(x->memory_mb >= 0 && x->memory_mb <= IG_MEMORY_MB_MAX);
	FUZZ_CHECK(x->timeout_ms >= 0 && x->timeout_ms <= IG_TIMEOUT_MS_MAX);
	FUZZ_CHECK(x->cpu >= 0 && x->cpu <= IG_CPU_LIMIT_MAX);
	FUZZ_CHECK(x->callback_url == NULL || x->async);
	FUZZ_CHECK(allow_non_audit || x->audit);
	if (x->input != NULL) {
		FUZZ_CHECK(ig_jsonin_parse(x->input, x->input_len, IG_JSON_MAX_DEPTH, &in, NULL) == 0);
		json_object_put(in);
	}
	switch (k) {
	case IG_REQUEST_SERVICE:
		FUZZ_CHECK(x->runtime == NULL && x->entry == NULL && x->files == NULL && x->service == NULL);
		break;
	case IG_REQUEST_ADHOC:
		FUZZ_CHECK(x->runtime != NULL && x->runtime[0] != '\0' && x->files != NULL);
		FUZZ_CHECK(x->entry == NULL || x->entry[0] != '\0');
		FUZZ_CHECK(x->service == NULL && x->audit);
		break;
	case IG_REQUEST_BATCH_ITEM:
		FUZZ_CHECK(x->async);
		FUZZ_CHECK((x->service != NULL) != (x->files != NULL));
		FUZZ_CHECK(x->service != NULL || (x->runtime != NULL && x->audit));
		break;
	}
}

/* One body of kind k, on a server that allows "audit": false and one that
 * does not: they differ only on that question. */
static void
adhoc_job(struct json_object *doc, enum ig_request_kind k)
{
	static const struct ig_request_opts strict = { false, ADHOC_BATCH_MAX };
	static const struct ig_request_opts lenient = { true, ADHOC_BATCH_MAX };
	struct ig_request_error es, el;
	struct ig_request xs, xl;
	int rs = ig_request_job(doc, k, &strict, &xs, &es);
	int rl = ig_request_job(doc, k, &lenient, &xl, &el);

	if (rs == 0)
		adhoc_accepted_ok(k, &xs, false);
	else
		adhoc_refusal_ok(&es);
	if (rl == 0)
		adhoc_accepted_ok(k, &xl, true);
	else
		adhoc_refusal_ok(&el);
	FUZZ_CHECK(rl == 0 || el.problem != IG_REQUEST_AUDIT_REQUIRED);
	if (rs == 0)
		FUZZ_CHECK(rl == 0);
	else if (es.problem == IG_REQUEST_AUDIT_REQUIRED)
		FUZZ_CHECK(rl == 0 && !xl.audit && k != IG_REQUEST_ADHOC);
	else
		FUZZ_CHECK(rl != 0 && strcmp(es.err.msg, el.err.msg) == 0 && strcmp(es.field, el.field) == 0);
}

static void
adhoc_batch(struct json_object *doc)
{
	static const struct ig_request_opts o = { false, ADHOC_BATCH_MAX };
	struct json_object *reqs = NULL;
	struct ig_request_error e;
	size_t n = 0, i;

	if (ig_request_batch(doc, &o, &reqs, &n, &e) != 0) {
		adhoc_refusal_ok(&e);
		FUZZ_CHECK(reqs == NULL && n == 0);
		return;
	}
	FUZZ_CHECK(json_object_is_type(reqs, json_type_array));
	FUZZ_CHECK(n >= 1 && n <= ADHOC_BATCH_MAX && n == json_object_array_length(reqs));
	for (i = 0; i < n; i++)
		adhoc_job(json_object_array_get_idx(reqs, i), IG_REQUEST_BATCH_ITEM);
}

/* Whatever ig_request_failure_hide replaces holds no path. */
static void
adhoc_hide(struct json_object *doc)
{
	struct json_object *e, *m;

	if (ig_request_failure_hide(doc) == 1) {
		FUZZ_CHECK(json_object_object_get_ex(doc, "error", &e));
		FUZZ_CHECK(json_object_object_get_ex(e, "message", &m));
		FUZZ_CHECK(strchr(json_object_get_string(m), '/') == NULL);
	}
}

int
fuzz_adhoc(const uint8_t *data, size_t size)
{
	struct json_object *doc = NULL;
	struct ig_request_error e;

	if (ig_request_parse((const char *)data, size, &doc, &e) != 0) {
		FUZZ_CHECK(doc == NULL);
		adhoc_refusal_ok(&e);
		return 0;
	}
	adhoc_job(doc, IG_REQUEST_SERVICE);
	adhoc_job(doc, IG_REQUEST_ADHOC);
	adhoc_job(doc, IG_REQUEST_BATCH_ITEM);
	adhoc_batch(doc);
	adhoc_hide(doc);
	json_object_put(doc);
	return 0;
}

#ifndef IG_FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_adhoc(data, size);
}
#endif
