/*
 * fuzz_execute.c — the body of POST /api/services/{name}/execute:
 * ig_jsonin_parse at IG_JSON_MAX_DEPTH, then what the daemon runs on it,
 * ig_request_parse and ig_request_execute (core/request.h), with the
 * server allowing "audit": false and not.
 *
 * Properties: every number of an accepted document is a JSON number (no
 * NaN or Infinity); it serialises and parses back to an equal value;
 * ig_request_parse accepts only what ig_jsonin_parse accepts, and only
 * objects; what it accepts serialises to text it accepts again; the "input"
 * text handed to the launcher is itself valid JSON (the launcher JSON.parses
 * it) of at most IG_INPUT_MAX bytes; limits are never negative; a refusal
 * has a problem, a message and a field that are valid UTF-8; the servers
 * with and without "audit": false differ only on that question.
 */
#include "fuzz.h"

#include "err.h"
#include "jsonin.h"
#include "bounds.h"
#include "request.h"

#include <json-c/json.h>
#include <stdbool.h>

/* True if s is a number as the JSON grammar (RFC 8259) writes one. */
static bool
execute_json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return false;
	if (*s == '.') {
		s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/* Every number of an accepted document is a JSON number: the text that
 * goes on to the launcher (JSON.parse) and the reports must be JSON. */
static void
execute_numbers_ok(struct json_object *o, int depth)
{
	struct json_object_iterator it, end;
	size_t i;

	FUZZ_CHECK(depth <= IG_JSON_MAX_DEPTH + 1);
	switch (json_object_get_type(o)) {
	case json_type_double:
	case json_type_int: {
		const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		if (!execute_json_number(t)) {
			fprintf(stderr, "ig_jsonin_parse accepted a number JSON does not have: %s\n", t);
			FUZZ_CHECK(!"non-JSON number accepted");
		}
		break;
	}
	case json_type_array:
		for (i = 0; i < json_object_array_length(o); i++)
			execute_numbers_ok(json_object_array_get_idx(o, i), depth + 1);
		break;
	case json_type_object:
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			execute_numbers_ok(json_object_iter_peek_value(&it), depth + 1);
		break;
	default:
		break;
	}
}

/* True if s[0..n) is well-formed UTF-8 (lead bytes and continuations). */
static bool
execute_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, j;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			k = 1;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			k = 2;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			k = 3;
		else
			return false;
		for (j = 1; j <= k; j++)
			if (i + j >= n || (p[i + j] & 0xc0) != 0x80)
				return false;
		i += k + 1;
	}
	return true;
}

/* A refusal says what, about which field, in text a client can be shown. */
static void
execute_refusal_ok(const struct ig_request_error *e)
{
	FUZZ_CHECK(e->problem != IG_REQUEST_OK && e->problem <= IG_REQUEST_AUDIT_REQUIRED);
	FUZZ_CHECK(e->err.msg[0] != '\0');
	FUZZ_CHECK(strlen(e->field) < sizeof(e->field));
	FUZZ_CHECK(execute_utf8(e->err.msg, strlen(e->err.msg)));
	FUZZ_CHECK(execute_utf8(e->field, strlen(e->field)));
}

/* What ig_request_execute accepted is fit to run. */
static void
execute_accepted_ok(const struct ig_request *x, bool allow_non_audit)
{
	struct json_object *in = NULL;
	struct ig_err err = { 0 };

	FUZZ_CHECK(x->input == NULL || x->input_len <= IG_INPUT_MAX);
	FUZZ_CHECK(x->memory_mb >= 0 && x->timeout_ms >= 0 && x->cpu >= 0);
	FUZZ_CHECK(x->stdin_data == NULL || strlen(x->stdin_data) <= x->stdin_len);
	FUZZ_CHECK(allow_non_audit || x->audit);
	FUZZ_CHECK(!x->async && x->callback_url == NULL && x->files == NULL && x->runtime == NULL);
	if (x->input == NULL)
		return;
	if (ig_jsonin_parse(x->input, x->input_len, IG_JSON_MAX_DEPTH, &in, &err) != 0) {
		fprintf(stderr, "\"input\" handed on as invalid JSON: %.*s (%s)\n",
		    (int)x->input_len, x->input, err.msg);
		FUZZ_CHECK(!"input is not JSON");
	}
	json_object_put(in);
}

/* ig_request_parse and ig_request_execute on the body. */
static void
execute_request(const uint8_t *data, size_t size, bool json_ok)
{
	static const struct ig_request_opts strict = { false, 100 }, lenient = { true, 100 };
	struct json_object *doc = NULL, *again = NULL;
	struct ig_request_error e, e2;
	struct ig_request x, y;
	const char *text;
	size_t n = 0;
	int rs, rl;

	if (ig_request_parse((const char *)data, size, &doc, &e) != 0) {
		FUZZ_CHECK(doc == NULL);
		execute_refusal_ok(&e);
		FUZZ_CHECK(e.problem == IG_REQUEST_BAD_JSON || e.problem == IG_REQUEST_NOT_OBJECT);
		FUZZ_CHECK(json_ok || e.problem == IG_REQUEST_BAD_JSON);
		return;
	}
	FUZZ_CHECK(json_ok && json_object_is_type(doc, json_type_object));
	/* No duplicate can appear by writing the document out. */
	text = json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN, &n);
	FUZZ_CHECK(text != NULL && ig_request_parse(text, n, &again, &e2) == 0);
	json_object_put(again);

	rs = ig_request_execute(doc, &strict, &x, &e);
	if (rs == 0)
		execute_accepted_ok(&x, false);
	else
		execute_refusal_ok(&e);
	rl = ig_request_execute(doc, &lenient, &y, &e2);
	if (rl == 0)
		execute_accepted_ok(&y, true);
	else
		execute_refusal_ok(&e2);
	/* The two servers differ only on "audit": false. */
	FUZZ_CHECK(e2.problem != IG_REQUEST_AUDIT_REQUIRED);
	if (rs == 0)
		FUZZ_CHECK(rl == 0 && x.input_len == y.input_len && x.audit == y.audit);
	else if (e.problem == IG_REQUEST_AUDIT_REQUIRED)
		FUZZ_CHECK(rl == 0 && !y.audit);
	else
		FUZZ_CHECK(rl != 0 && e2.problem == e.problem && strcmp(e.err.msg, e2.err.msg) == 0);
	json_object_put(doc);
}

int
fuzz_execute(const uint8_t *data, size_t size)
{
	struct json_object *doc = NULL, *back = NULL;
	struct ig_err err = { 0 };
	const char *text;
	size_t n = 0;

	if (ig_jsonin_parse((const char *)data, size, IG_JSON_MAX_DEPTH, &doc, &err) != 0) {
		FUZZ_CHECK(doc == NULL && err.code != IG_OK);
		execute_request(data, size, false);
		return 0;
	}
	execute_numbers_ok(doc, 0);
	/* What was accepted reads back as the same value. */
	text = json_object_to_json_string_length(doc, JSON_C_TO_STRING_PLAIN, &n);
	FUZZ_CHECK(text != NULL);
	if (ig_jsonin_parse(text, n, IG_JSON_MAX_DEPTH, &back, &err) != 0) {
		fprintf(stderr, "accepted JSON serialises to text it refuses: %s (%s)\n", text, err.msg);
		FUZZ_CHECK(!"round trip");
	}
	FUZZ_CHECK(json_object_equal(doc, back));
	json_object_put(back);
	json_object_put(doc);
	execute_request(data, size, true);
	return 0;
}

#ifndef IG_FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_execute(data, size);
}
#endif
