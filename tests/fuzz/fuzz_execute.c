/*
 * fuzz_execute.c — the body of POST /api/services/{name}/execute:
 * ig_jsonin_parse at IG_JSON_MAX_DEPTH, then the field checks of
 * parse_execute() in fcgi/api.c (static there, so repeated here; keep the
 * two in step).
 *
 * Properties: every number of an accepted document is a JSON number (no
 * NaN or Infinity); it serialises and parses back to an equal value; the "input" text handed to the launcher is itself valid JSON
 * (the launcher JSON.parses it) of at most IG_INPUT_MAX bytes.
 */
#include "fuzz.h"

#include "err.h"
#include "jsonin.h"
#include "bounds.h"

#include <json-c/json.h>
#include <stdbool.h>

struct execute_req {
	const char *input;
	size_t input_len;
	bool audit, skip_preflight;
	const char *stdin_data;
	size_t stdin_len;
	long max_memory_mb, max_timeout_ms;
	double max_cpu;
};

/* parse_execute() of fcgi/api.c without the HTTP answers: returns 0 when
 * the request is accepted, else the status it would answer. */
static int
execute_fields(struct json_object *doc, struct execute_req *x)
{
	struct json_object_iterator it, end;

	memset(x, 0, sizeof(*x));
	x->audit = true;
	if (!json_object_is_type(doc, json_type_object))
		return 400;
	it = json_object_iter_begin(doc);
	end = json_object_iter_end(doc);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *k = json_object_iter_peek_name(&it);
		struct json_object *v = json_object_iter_peek_value(&it);

		if (strcmp(k, "input") == 0) {
			size_t n = 0;
			x->input = v == NULL ? "null" : json_object_to_json_string_length(v,
			    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
			x->input_len = v == NULL ? 4 : n;
		} else if (strcmp(k, "audit") == 0 || strcmp(k, "skipPreflight") == 0) {
			if (!json_object_is_type(v, json_type_boolean))
				return 400;
			if (k[0] == 'a')
				x->audit = json_object_get_boolean(v);
			else
				x->skip_preflight = json_object_get_boolean(v);
		} else if (strcmp(k, "stdin") == 0) {
			if (!json_object_is_type(v, json_type_string))
				return 400;
			x->stdin_data = json_object_get_string(v);
			x->stdin_len = (size_t)json_object_get_string_len(v);
		} else if (strcmp(k, "limits") == 0) {
			struct json_object *m;
			if (!json_object_is_type(v, json_type_object))
				return 400;
			if (json_object_object_get_ex(v, "memoryMb", &m)) {
				if (!json_object_is_type(m, json_type_int) || json_object_get_int64(m) <= 0)
					return 400;
				x->max_memory_mb = (long)json_object_get_int64(m);
			}
			if (json_object_object_get_ex(v, "timeoutMs", &m)) {
				if (!json_object_is_type(m, json_type_int) || json_object_get_int64(m) <= 0)
					return 400;
				x->max_timeout_ms = (long)json_object_get_int64(m);
			}
			if (json_object_object_get_ex(v, "cpuLimit", &m)) {
				if (!(json_object_is_type(m, json_type_int) || json_object_is_type(m, json_type_double)) ||
				    json_object_get_double(m) <= 0)
					return 400;
				x->max_cpu = json_object_get_double(m);
			}
		} else {
			return 400;
		}
	}
	if (x->input_len > IG_INPUT_MAX)
		return 413;
	return 0;
}

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

int
fuzz_execute(const uint8_t *data, size_t size)
{
	struct json_object *doc = NULL, *back = NULL, *in = NULL;
	struct ig_err err = { 0 };
	struct execute_req x;
	const char *text;
	size_t n = 0;

	if (ig_jsonin_parse((const char *)data, size, IG_JSON_MAX_DEPTH, &doc, &err) != 0) {
		FUZZ_CHECK(doc == NULL && err.code != IG_OK);
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
	if (execute_fields(doc, &x) == 0) {
		FUZZ_CHECK(x.input == NULL || x.input_len <= IG_INPUT_MAX);
		FUZZ_CHECK(x.max_memory_mb >= 0 && x.max_timeout_ms >= 0 && x.max_cpu >= 0);
		FUZZ_CHECK(x.stdin_data == NULL || strlen(x.stdin_data) <= x.stdin_len);
		if (x.input != NULL) {
			if (ig_jsonin_parse(x.input, x.input_len, IG_JSON_MAX_DEPTH, &in, &err) != 0) {
				fprintf(stderr, "\"input\" handed on as invalid JSON: %.*s (%s)\n",
				    (int)x.input_len, x.input, err.msg);
				FUZZ_CHECK(!"input is not JSON");
			}
			json_object_put(in);
		}
	}
	json_object_put(back);
	json_object_put(doc);
	return 0;
}

#ifndef IG_FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_execute(data, size);
}
#endif
