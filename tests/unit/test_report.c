/* test_report.c — preflight JSON shape, the terminal renderer, the
 * terminal-safe writer and the JSON helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preflight.h"
#include "report.h"
#include "service.h"

static const struct timespec fixed_now = { 1795896000, 0 };     /* 2026-11-28T20:00:00.000Z */

static void
svc_init(struct ig_service *s)
{
	memset(s, 0, sizeof(*s));
	s->name = (char *)"data-processor";
	s->memory_mb = 128;
	s->cpu_limit = 1;
	s->timeout_ms = 10000;
	s->preflight.memory_base_mb = 50;
	s->preflight.memory_per_dep_mb = 2;
	s->preflight.memory_warn_ratio = 1;
	s->preflight.memory_fail_ratio = 0.8;
	s->preflight.deps_warn_count = 100;
	s->preflight.deps_info_count = 50;
	s->preflight.image_warn_mb = 500;
	s->preflight.image_fail_mb = 1000;
	s->preflight.timeout_min_ms = 100;
	s->preflight.timeout_max_ms = 30000;
	s->preflight.cold_start_buffer_ms = 500;
}

static struct ig_preflight *
make_preflight(const struct ig_service *s, const struct ig_preflight_input *in)
{
	struct ig_preflight *pf = NULL;
	struct ig_err err = {0};

	if (ig_preflight_run(s, in, &pf, &err) != 0)
		fail_msg("preflight: %s", err.msg);
	return pf;
}

/* Captures what f writes to a FILE. */
struct capture {
	char  *data;
	size_t len;
	FILE  *fp;
};

static void
cap_open(struct capture *c)
{
	c->data = NULL;
	c->len = 0;
	assert_non_null(c->fp = open_memstream(&c->data, &c->len));
}

static void
cap_close(struct capture *c)
{
	assert_int_equal(fclose(c->fp), 0);
}

/* ---- preflight JSON ------------------------------------------------------ */

static void
test_preflight_json_exact(void **state)
{
	struct ig_service s;
	struct ig_preflight_input in = {0};
	struct ig_preflight *pf;
	struct json_object *o;

	(void)state;
	svc_init(&s);
	in.now = &fixed_now;
	pf = make_preflight(&s, &in);
	assert_non_null(o = ig_report_preflight_json(pf));
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE),
	    "{\"serviceName\":\"data-processor\",\"timestamp\":\"2026-11-28T20:00:00.000Z\","
	    "\"overallStatus\":\"warn\",\"checks\":["
	    "{\"name\":\"memory-allocation\",\"status\":\"pass\",\"message\":\"128 MB allocated; "
	    "estimate 50 MB = 50 MB base + 0 dependencies x 2 MB\",\"value\":128,\"threshold\":50},"
	    "{\"name\":\"dependency-count\",\"status\":\"pass\",\"message\":\"0 dependencies in "
	    "node_modules (warn above 100)\",\"value\":0,\"threshold\":100},"
	    "{\"name\":\"timeout-config\",\"status\":\"pass\",\"message\":\"timeoutMs 10000 is within "
	    "100-30000 ms\",\"value\":10000,\"threshold\":100},"
	    "{\"name\":\"image-size\",\"status\":\"warn\",\"message\":\"image not available\","
	    "\"value\":null,\"threshold\":500}]}");
	json_object_put(o);
	ig_preflight_free(pf);
}

static void
test_preflight_json_parse_back(void **state)
{
	struct ig_service s;
	struct ig_preflight_input in = {0};
	struct ig_preflight *pf;
	struct json_object *o, *back, *checks, *c, *v;
	struct capture cap;
	struct ig_err err = {0};
	static const char *const keys[] = { "name", "status", "message", "value", "threshold" };

	(void)state;
	svc_init(&s);
	s.preflight.memory_per_dep_mb = 2.5;
	s.memory_mb = 40;
	s.timeout_ms = 50;
	in.deps_count = 3;                  /* estimate 57.5 → fail */
	in.image_known = true;
	in.image_mb = 612.25;
	pf = make_preflight(&s, &in);
	assert_non_null(o = ig_report_preflight_json(pf));

	/* Written as text, read back with json-c. */
	cap_open(&cap);
	assert_int_equal(ig_report_json_write(o, cap.fp, false, &err), 0);
	cap_close(&cap);
	assert_int_equal(cap.data[cap.len - 1], '\n');
	assert_ptr_equal(strchr(cap.data, '\n'), cap.data + cap.len - 1);    /* one line */
	assert_non_null(back = json_tokener_parse(cap.data));
	free(cap.data);

	assert_int_equal(json_object_object_length(back), 4);
	assert_string_equal(json_object_get_string(json_object_object_get(back, "serviceName")), "data-processor");
	assert_string_equal(json_object_get_string(json_object_object_get(back, "overallStatus")), "fail");
	assert_int_equal(strlen(json_object_get_string(json_object_object_get(back, "timestamp"))), 24);
	checks = json_object_object_get(back, "checks");
	assert_true(json_object_is_type(checks, json_type_array));
	assert_int_equal(json_object_array_length(checks), 4);
	for (size_t i = 0; i < 4; i++) {
		c = json_object_array_get_idx(checks, i);
		assert_int_equal(json_object_object_length(c), 5);
		for (size_t k = 0; k < 5; k++)
			assert_true(json_object_object_get_ex(c, keys[k], NULL));
	}
	c = json_object_array_get_idx(checks, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(c, "name")), "memory-allocation");
	assert_string_equal(json_object_get_string(json_object_object_get(c, "status")), "fail");
	v = json_object_object_get(c, "value");
	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int(v), 40);
	v = json_object_object_get(c, "threshold");
	assert_true(json_object_is_type(v, json_type_double));
	assert_true(json_object_get_double(v) == 57.5);
	c = json_object_array_get_idx(checks, 2);
	assert_string_equal(json_object_get_string(json_object_object_get(c, "status")), "fail");
	c = json_object_array_get_idx(checks, 3);
	assert_string_equal(json_object_get_string(json_object_object_get(c, "status")), "warn");
	assert_true(json_object_get_double(json_object_object_get(c, "value")) == 612.25);
	json_object_put(back);

	/* Pretty output parses back to the same document. */
	cap_open(&cap);
	assert_int_equal(ig_report_json_write(o, cap.fp, true, &err), 0);
	cap_close(&cap);
	assert_non_null(back = json_tokener_parse(cap.data));
	assert_true(json_object_equal(back, o));
	assert_non_null(strstr(cap.data, "\n  \"checks\""));
	free(cap.data);
	json_object_put(back);
	json_object_put(o);
	ig_preflight_free(pf);
	assert_null(ig_report_preflight_json(NULL));
}

/* ---- preflight text ------------------------------------------------------ */

static void
test_preflight_text_plain(void **state)
{
	struct ig_service s;
	struct ig_preflight_input in = {0};
	struct ig_preflight *pf;
	struct capture cap;

	(void)state;
	svc_init(&s);
	in.now = &fixed_now;
	in.deps_count = 60;                 /* the info note */
	s.memory_mb = 1024;
	pf = make_preflight(&s, &in);
	cap_open(&cap);
	assert_int_equal(ig_report_preflight_text(pf, cap.fp, false), 0);
	cap_close(&cap);
	assert_null(memchr(cap.data, '\033', cap.len));
	assert_non_null(strstr(cap.data, "Preflight: data-processor  2026-11-28T20:00:00.000Z\n\n"));
	assert_non_null(strstr(cap.data, "  PASS  memory-allocation  1024 MB allocated"));
	assert_non_null(strstr(cap.data, "  PASS  dependency-count   60 dependencies in node_modules; note: above 50"));
	assert_non_null(strstr(cap.data, "  PASS  timeout-config     timeoutMs 10000"));
	assert_non_null(strstr(cap.data, "  WARN  image-size         image not available\n"));
	assert_non_null(strstr(cap.data, "\nOverall: WARN (0 failures, 1 warning)\n"));
	free(cap.data);
	ig_preflight_free(pf);

	/* All pass: a bare verdict. Two failures: plural. */
	in.image_known = true;
	in.image_mb = 10;
	in.deps_count = 0;
	pf = make_preflight(&s, &in);
	cap_open(&cap);
	assert_int_equal(ig_report_preflight_text(pf, cap.fp, false), 0);
	cap_close(&cap);
	assert_non_null(strstr(cap.data, "\nOverall: PASS\n"));
	free(cap.data);
	ig_preflight_free(pf);

	s.timeout_ms = 1;
	s.memory_mb = 1;
	pf = make_preflight(&s, &in);
	cap_open(&cap);
	assert_int_equal(ig_report_preflight_text(pf, cap.fp, false), 0);
	cap_close(&cap);
	assert_non_null(strstr(cap.data, "  FAIL  memory-allocation"));
	assert_non_null(strstr(cap.data, "\nOverall: FAIL (2 failures, 0 warnings)\n"));
	free(cap.data);
	ig_preflight_free(pf);
}

static void
test_preflight_text_colour(void **state)
{
	struct ig_service s;
	struct ig_preflight_input in = {0};
	struct ig_preflight *pf;
	struct capture cap;

	(void)state;
	svc_init(&s);
	s.timeout_ms = 1;
	pf = make_preflight(&s, &in);
	cap_open(&cap);
	assert_int_equal(ig_report_preflight_text(pf, cap.fp, true), 0);
	cap_close(&cap);
	assert_non_null(strstr(cap.data, "\033[32mPASS\033[0m"));
	assert_non_null(strstr(cap.data, "\033[33mWARN\033[0m"));
	assert_non_null(strstr(cap.data, "\033[1;31mFAIL\033[0m"));
	assert_non_null(strstr(cap.data, "\033[1mPreflight: "));
	free(cap.data);
	ig_preflight_free(pf);
	assert_int_equal(ig_report_preflight_text(NULL, stdout, false), -1);
}

static void
test_preflight_text_hostile_name(void **state)
{
	struct ig_service s;
	struct ig_preflight_input in = {0};
	struct ig_preflight *pf;
	struct capture cap;

	(void)state;
	svc_init(&s);
	/* Names are validated elsewhere; the renderer must not trust that. */
	s.name = (char *)"evil\033]0;pwned\007\n";
	in.image = "img\033[2J";
	pf = make_preflight(&s, &in);
	cap_open(&cap);
	assert_int_equal(ig_report_preflight_text(pf, cap.fp, false), 0);
	cap_close(&cap);
	assert_null(memchr(cap.data, '\033', cap.len));
	assert_null(memchr(cap.data, '\007', cap.len));
	assert_non_null(strstr(cap.data, "evil\\x1b]0;pwned\\x07\n"));
	assert_non_null(strstr(cap.data, "image not available: img\\x1b[2J"));
	free(cap.data);
	ig_preflight_free(pf);
}

/* ---- the text writer ----------------------------------------------------- */

static char *
render(const char *p, size_t n, bool colour)
{
	struct ig_report_text w;
	struct capture cap;
	struct ig_err err = {0};

	cap_open(&cap);
	ig_report_text_init(&w, cap.fp, colour);
	ig_report_text_write(&w, p, n);
	assert_int_equal(ig_report_text_finish(&w, &err), 0);
	cap_close(&cap);
	return cap.data;
}

static void
expect_render(const char *in, size_t n, const char *want)
{
	char *got = render(in, n, true);

	assert_string_equal(got, want);
	free(got);
}

static void
test_text_writer_escapes(void **state)
{
	(void)state;
	expect_render("plain text\n\tindented", 20, "plain text\n\tindented");
	expect_render("\033[31mred", 8, "\\x1b[31mred");
	expect_render("a\rb\bc\x7f", 6, "a\\x0db\\x08c\\x7f");
	expect_render("nul\0x", 5, "nul\\x00x");
	expect_render("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\xa5", 14, "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\xa5");
	expect_render("c1:\xc2\x9b" "2J", 7, "c1:\\u{009b}2J");                /* 8-bit CSI */
	expect_render("bidi\xe2\x80\xae" "txt", 10, "bidi\\u{202e}txt");      /* RIGHT-TO-LEFT OVERRIDE */
	expect_render("\xe2\x81\xa6x", 4, "\\u{2066}x");
	expect_render("bad\xff\xfe", 5, "bad\\xff\\xfe");
	expect_render("over\xc0\xaf", 6, "over\\xc0\\xaf");                   /* overlong "/" */
	expect_render("sur\xed\xa0\x80", 6, "sur\\xed\\xa0\\x80");            /* surrogate */
	expect_render("cut\xe2\x9c", 5, "cut\\xe2\\x9c");                    /* truncated sequence */
	expect_render("", 0, "");
}

static void
test_text_writer_styles(void **state)
{
	struct ig_report_text w;
	struct capture cap;
	struct ig_err err = {0};
	FILE *full;

	(void)state;
	cap_open(&cap);
	ig_report_text_init(&w, cap.fp, false);
	ig_report_text_style(&w, IG_STYLE_FAIL);
	ig_report_text_printf(&w, "%s=%d", "n", 42);
	ig_report_text_style(&w, IG_STYLE_RESET);
	ig_report_text_puts(&w, NULL);
	assert_int_equal(ig_report_text_finish(&w, &err), 0);
	cap_close(&cap);
	assert_string_equal(cap.data, "n=42");
	free(cap.data);

	cap_open(&cap);
	ig_report_text_init(&w, cap.fp, true);
	ig_report_text_style(&w, IG_STYLE_PASS);
	ig_report_text_printf(&w, "%s", "ok\033");
	ig_report_text_style(&w, IG_STYLE_RESET);
	ig_report_text_style(&w, (enum ig_report_style)99);
	assert_int_equal(ig_report_text_finish(&w, &err), 0);
	cap_close(&cap);
	assert_string_equal(cap.data, "\033[32mok\\x1b\033[0m");
	free(cap.data);

	/* Long formatted output takes the allocating path. */
	{
		char big[2000];

		memset(big, 'z', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		cap_open(&cap);
		ig_report_text_init(&w, cap.fp, false);
		ig_report_text_printf(&w, "[%s]", big);
		assert_int_equal(ig_report_text_finish(&w, &err), 0);
		cap_close(&cap);
		assert_int_equal(cap.len, sizeof(big) + 1);
		free(cap.data);
	}

	/* A failing stream is reported at the end. */
	if ((full = fopen("/dev/full", "w")) != NULL) {
		ig_report_text_init(&w, full, false);
		ig_report_text_puts(&w, "x");
		assert_int_equal(ig_report_text_finish(&w, &err), -1);
		assert_int_equal(err.code, IG_EIO);
		fclose(full);
	}
}

static void
test_use_colour(void **state)
{
	int master, slave = -1;
	char *name;

	(void)state;
	/* Not a terminal: never. */
	setenv("TERM", "xterm", 1);
	unsetenv("NO_COLOR");
	assert_false(ig_report_use_colour(-1));
	{
		int fds[2];

		assert_int_equal(pipe(fds), 0);
		assert_false(ig_report_use_colour(fds[1]));
		close(fds[0]);
		close(fds[1]);
	}

	/* A pseudo-terminal: yes, unless NO_COLOR is set and non-empty or TERM is dumb. */
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0 ||
	    (name = ptsname(master)) == NULL || (slave = open(name, O_RDWR | O_NOCTTY)) < 0) {
		if (master >= 0)
			close(master);
		skip();
	}
	assert_true(ig_report_use_colour(slave));
	setenv("NO_COLOR", "", 1);
	assert_true(ig_report_use_colour(slave));
	setenv("NO_COLOR", "1", 1);
	assert_false(ig_report_use_colour(slave));
	unsetenv("NO_COLOR");
	setenv("TERM", "dumb", 1);
	assert_false(ig_report_use_colour(slave));
	unsetenv("TERM");
	assert_true(ig_report_use_colour(slave));
	close(slave);
	close(master);
}

/* ---- JSON helpers -------------------------------------------------------- */

static const char *
plain(struct json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static void
test_json_numbers(void **state)
{
	struct json_object *o = json_object_new_object();
	double nan = NAN, inf = INFINITY;

	(void)state;
	assert_int_equal(ig_report_json_add_number(o, "a", 128), 0);
	assert_int_equal(ig_report_json_add_number(o, "b", 57.5), 0);
	assert_int_equal(ig_report_json_add_number(o, "c", 0.1), 0);
	assert_int_equal(ig_report_json_add_number(o, "d", -3), 0);
	assert_int_equal(ig_report_json_add_number(o, "e", nan), 0);
	assert_int_equal(ig_report_json_add_number(o, "f", inf), 0);
	assert_int_equal(ig_report_json_add_number(o, "g", 1e20), 0);
	assert_int_equal(ig_report_json_add_number(o, "h", 38.2), 0);
	assert_int_equal(ig_report_json_add_int(o, "i", -7), 0);
	assert_int_equal(ig_report_json_add_bool(o, "j", true), 0);
	assert_int_equal(ig_report_json_add_null(o, "k"), 0);
	assert_int_equal(ig_report_json_add_string(o, "l", NULL), 0);
	assert_int_equal(ig_report_json_add_string(o, "m", "a/b\"c"), 0);
	assert_string_equal(plain(o), "{\"a\":128,\"b\":57.5,\"c\":0.1,\"d\":-3,\"e\":null,\"f\":null,"
	    "\"g\":1e+20,\"h\":38.2,\"i\":-7,\"j\":true,\"k\":null,\"l\":null,\"m\":\"a/b\\\"c\"}");
	json_object_put(o);
	assert_null(ig_report_json_number(nan));
	o = ig_report_json_number(0.30000000000000004);
	assert_true(json_object_get_double(o) == 0.30000000000000004);
	json_object_put(o);
}

static void
test_json_bytes(void **state)
{
	struct json_object *o = json_object_new_object(), *back;
	static const char hostile[] = "ok \xc3\xa9 \xff\xfe \x1b[31m \0 </script> \xe2\x9c";

	(void)state;
	assert_int_equal(ig_report_json_add_bytes(o, "valid", "caf\xc3\xa9", 5), 0);
	assert_int_equal(ig_report_json_add_bytes(o, "bad", hostile, sizeof(hostile) - 1), 0);
	assert_int_equal(ig_report_json_add_bytes(o, "none", NULL, 0), 0);
	assert_int_equal(ig_report_json_add_bytes(o, "empty", "", 0), 0);
	assert_string_equal(plain(o), "{\"valid\":\"caf\xc3\xa9\",\"bad\":\"ok \xc3\xa9 "
	    "\xef\xbf\xbd\xef\xbf\xbd \\u001b[31m \\u0000 </script> \xef\xbf\xbd\xef\xbf\xbd\","
	    "\"none\":null,\"empty\":\"\"}");
	/* Strict UTF-8 validation accepts the result. */
	{
		struct json_tokener *tok = json_tokener_new();
		const char *text = plain(o);

		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		back = json_tokener_parse_ex(tok, text, (int)strlen(text) + 1);
		assert_non_null(back);
		assert_int_equal(json_object_get_string_len(json_object_object_get(back, "bad")),
		    (int)(sizeof(hostile) - 1) + 4 * 2);
		json_object_put(back);
		json_tokener_free(tok);
	}
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preflight_json_exact),
		cmocka_unit_test(test_preflight_json_parse_back),
		cmocka_unit_test(test_preflight_text_plain),
		cmocka_unit_test(test_preflight_text_colour),
		cmocka_unit_test(test_preflight_text_hostile_name),
		cmocka_unit_test(test_text_writer_escapes),
		cmocka_unit_test(test_text_writer_styles),
		cmocka_unit_test(test_use_colour),
		cmocka_unit_test(test_json_numbers),
		cmocka_unit_test(test_json_bytes),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
