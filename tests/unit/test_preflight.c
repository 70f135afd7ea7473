/* test_preflight.c — each preflight check at pass, warn and fail, and the
 * overall verdict. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deps.h"
#include "preflight.h"
#include "service.h"

/* 2026-11-28T20:00:00.123Z */
static const struct timespec fixed_now = { 1795896000, 123456789 };

/* A service with the documented default thresholds (DESIGN §3), filled by
 * hand so this test does not depend on the YAML loader. */
static void
svc_init(struct ig_service *s)
{
	memset(s, 0, sizeof(*s));
	s->name = (char *)"hello";
	s->runtime = (char *)"node@24";
	s->entry = (char *)"index.ts";
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

/* An input where everything passes with the defaults. */
static void
in_init(struct ig_preflight_input *in)
{
	memset(in, 0, sizeof(*in));
	in->image_known = true;
	in->image_mb = 120;
	in->now = &fixed_now;
}

static struct ig_preflight *
run(const struct ig_service *s, const struct ig_preflight_input *in)
{
	struct ig_preflight *pf = NULL;
	struct ig_err err = {0};

	if (ig_preflight_run(s, in, &pf, &err) != 0)
		fail_msg("preflight: %s", err.msg);
	assert_int_equal(pf->checks_n, IG_PREFLIGHT_CHECKS);
	return pf;
}

static const struct ig_preflight_check *
check(const struct ig_preflight *pf, const char *name)
{
	for (size_t i = 0; i < pf->checks_n; i++)
		if (strcmp(pf->checks[i].name, name) == 0)
			return &pf->checks[i];
	fail_msg("no check %s", name);
	return NULL;
}

/* Runs and asserts one check's status; returns the result to free. */
static struct ig_preflight *
expect(const struct ig_service *s, const struct ig_preflight_input *in, const char *name,
    enum ig_preflight_status st, const char *msg_part)
{
	struct ig_preflight *pf = run(s, in);
	const struct ig_preflight_check *c = check(pf, name);

	if (c->status != st)
		fail_msg("%s: status %s, want %s (%s)", name, ig_preflight_status_name(c->status),
		    ig_preflight_status_name(st), c->message);
	if (msg_part != NULL && strstr(c->message, msg_part) == NULL)
		fail_msg("%s: message \"%s\" lacks \"%s\"", name, c->message, msg_part);
	return pf;
}

static void
test_all_pass(void **state)
{
	struct ig_service s;
	struct ig_preflight_input in;
	struct ig_preflight *pf;

	(void)state;
	svc_init(&s);
	in_init(&in);
	pf = run(&s, &in);
	assert_string_equal(pf->service_name, "hello");
	assert_string_equal(pf->timestamp, "2026-11-28T20:00:00.123Z");
	assert_int_equal(pf->overall, IG_PREFLIGHT_PASS);
	assert_string_equal(pf->checks[0].name, "memory-allocation");
	assert_string_equal(pf->checks[1].name, "dependency-count");
	assert_string_equal(pf->checks[2].name, "timeout-config");
	assert_string_equal(pf->checks[3].name, "image-size");
	for (size_t i = 0; i < pf->checks_n; i++) {
		assert_int_equal(pf->checks[i].status, IG_PREFLIGHT_PASS);
		assert_true(pf->checks[i].has_value);
		assert_false(pf->checks[i].info);
		assert_true(strlen(pf->checks[i].message) > 0);
	}
	assert_true(pf->checks[0].value == 128);
	assert_true(pf->checks[0].threshold == 50);
	assert_int_equal(ig_preflight_count(pf, IG_PREFLIGHT_PASS), 4);
	assert_int_equal(ig_preflight_count(pf, IG_PREFLIGHT_WARN), 0);
	ig_preflight_free(pf);
	ig_preflight_free(NULL);
}

static void
test_memory(void **state)
{
	struct ig_service s;
	struct ig_preflight_input in;
	struct ig_preflight *pf;
	const struct ig_preflight_check *c;

	(void)state;
	svc_init(&s);
	in_init(&in);
	in.deps_count = 25;                 /* estimate 50 + 25 × 2 = 100 */

	s.memory_mb = 100;                  /* not below 100 × 1: pass */
	pf = expect(&s, &in, "memory-allocation", IG_PREFLIGHT_PASS,
	    "100 MB allocated; estimate 100 MB = 50 MB base + 25 dependencies x 2 MB");
	c = check(pf, "memory-allocation");
	assert_true(c->value == 100 && c->threshold == 100);
	ig_preflight_free(pf);

	s.memory_mb = 99;                   /* below 100: warn */
	pf = expect(&s, &in, "memory-allocation", IG_PREFLIGHT_WARN,
	    "99 MB allocated, below the 100 MB recommended (100% of estimate 100 MB");
	assert_int_equal(pf->overall, IG_PREFLIGHT_WARN);
	ig_preflight_free(pf);

	s.memory_mb = 80;                   /* exactly 100 × 0.8: still only warn */
	ig_preflight_free(expect(&s, &in, "memory-allocation", IG_PREFLIGHT_WARN, NULL));

	s.memory_mb = 79;                   /* below 80: fail */
	pf = expect(&s, &in, "memory-allocation", IG_PREFLIGHT_FAIL,
	    "79 MB allocated, below the 80 MB minimum (80% of estimate 100 MB");
	c = check(pf, "memory-allocation");
	assert_true(c->value == 79 && c->threshold == 100);
	assert_int_equal(pf->overall, IG_PREFLIGHT_FAIL);
	ig_preflight_free(pf);

	/* Custom ratios and a fractional per-dependency cost. */
	s.preflight.memory_per_dep_mb = 2.5;
	s.preflight.memory_warn_ratio = 1.5;
	s.preflight.memory_fail_ratio = 0.5;
	in.deps_count = 3;                  /* estimate 57.5; warn < 86.25; fail < 28.75 */
	s.memory_mb = 87;
	ig_preflight_free(expect(&s, &in, "memory-allocation", IG_PREFLIGHT_PASS, "estimate 57.5 MB"));
	s.memory_mb = 86;
	ig_preflight_free(expect(&s, &in, "memory-allocation", IG_PREFLIGHT_WARN, "below the 86.25 MB"));
	s.memory_mb = 29;
	ig_preflight_free(expect(&s, &in, "memory-allocation", IG_PREFLIGHT_WARN, "150%"));
	s.memory_mb = 28;
	ig_preflight_free(expect(&s, &in, "memory-allocation", IG_PREFLIGHT_FAIL, "28.75 MB minimum (50%"));
}

static void
test_dependency_count(void **state)
{
	struct ig_service s;
	struct ig_preflight_input in;
	struct ig_preflight *pf;
	const struct ig_preflight_check *c;

	(void)state;
	svc_init(&s);
	s.memory_mb = 1024;
	in_init(&in);

	in.deps_count = 50;                 /* at infoCount: plain pass */
	pf = expect(&s, &in, "dependency-count", IG_PREFLIGHT_PASS,
	    "50 dependencies in node_modules (warn above 100)");
	c = check(pf, "dependency-count");
	assert_false(c->info);
	assert_true(c->value == 50 && c->threshold == 100);
	ig_preflight_free(pf);

	in.deps_count = 51;                 /* above infoCount: pass with a note */
	in.deps_bytes = 3 * 1024 * 1024 + 512 * 1024;
	pf = expect(&s, &in, "dependency-count", IG_PREFLIGHT_PASS,
	    "51 dependencies in node_modules (3.5 MB); note: above 50");
	assert_true(check(pf, "dependency-count")->info);
	assert_int_equal(pf->overall, IG_PREFLIGHT_PASS);
	ig_preflight_free(pf);

	in.deps_count = 100;                /* at warnCount: still the note */
	pf = expect(&s, &in, "dependency-count", IG_PREFLIGHT_PASS, "note");
	assert_true(check(pf, "dependency-count")->info);
	ig_preflight_free(pf);

	in.deps_count = 101;                /* above warnCount: warn */
	pf = expect(&s, &in, "dependency-count", IG_PREFLIGHT_WARN,
	    "101 dependencies in node_modules (3.5 MB), above 100");
	assert_false(check(pf, "dependency-count")->info);
	assert_int_equal(pf->overall, IG_PREFLIGHT_WARN);
	ig_preflight_free(pf);

	/* A partial scan: the count is a lower bound, which warns. */
	in.deps_count = 7;
	in.deps_bytes = 0;
	in.deps_partial = true;
	in.deps_note = "node_modules is a symlink and was not followed";
	pf = expect(&s, &in, "dependency-count", IG_PREFLIGHT_WARN,
	    "at least 7 dependencies in node_modules; node_modules is a symlink and was not followed");
	ig_preflight_free(pf);
	in.deps_note = NULL;
	ig_preflight_free(expect(&s, &in, "dependency-count", IG_PREFLIGHT_WARN, "incomplete"));
	/* ...and the memory estimate says so. */
	ig_preflight_free(expect(&s, &in, "memory-allocation", IG_PREFLIGHT_PASS, "at least 7 dependencies"));
}

static void
test_timeout(void **state)
{
	struct ig_service s;
	struct ig_preflight_input in;
	struct ig_preflight *pf;
	const struct ig_preflight_check *c;

	(void)state;
	svc_init(&s);
	in_init(&in);

	s.timeout_ms = 99;
	pf = expect(&s, &in, "timeout-config", IG_PREFLIGHT_FAIL, "timeoutMs 99 is below the 100 ms minimum");
	c = check(pf, "timeout-config");
	assert_true(c->value == 99 && c->threshold == 100);
	assert_int_equal(pf->overall, IG_PREFLIGHT_FAIL);
	ig_preflight_free(pf);

	s.timeout_ms = 100;
	ig_preflight_free(expect(&s, &in, "timeout-config", IG_PREFLIGHT_PASS, "within 100-30000 ms"));
	s.timeout_ms = 30000;
	ig_preflight_free(expect(&s, &in, "timeout-config", IG_PREFLIGHT_PASS, NULL));

	s.timeout_ms = 30001;
	pf = expect(&s, &in, "timeout-config", IG_PREFLIGHT_WARN, "timeoutMs 30001 is above the 30000 ms maximum");
	c = check(pf, "timeout-config");
	assert_true(c->threshold == 30000);
	ig_preflight_free(pf);

	/* Shorter than the last run plus the cold-start buffer: warn. */
	s.timeout_ms = 10000;
	in.last_run_known = true;
	in.last_run_ms = 9600;
	pf = expect(&s, &in, "timeout-config", IG_PREFLIGHT_WARN,
	    "timeoutMs 10000 is shorter than the last run (9600 ms) plus the 500 ms cold-start buffer = 10100 ms");
	c = check(pf, "timeout-config");
	assert_true(c->value == 10000 && c->threshold == 10100);
	ig_preflight_free(pf);

	in.last_run_ms = 9500;              /* exactly covered */
	pf = expect(&s, &in, "timeout-config", IG_PREFLIGHT_PASS, "covers the last run (9500 ms)");
	assert_true(check(pf, "timeout-config")->threshold == 10000);
	ig_preflight_free(pf);

	/* A negative duration is no information. */
	in.last_run_ms = -5;
	ig_preflight_free(expect(&s, &in, "timeout-config", IG_PREFLIGHT_PASS, "within"));
}

static void
test_image(void **state)
{
	struct ig_service s;
	struct ig_preflight_input in;
	struct ig_preflight *pf;
	const struct ig_preflight_check *c;

	(void)state;
	svc_init(&s);
	in_init(&in);

	in.image_mb = 500;
	pf = expect(&s, &in, "image-size", IG_PREFLIGHT_PASS, "image 500 MB (warn above 500 MB)");
	c = check(pf, "image-size");
	assert_true(c->has_value && c->value == 500 && c->threshold == 500);
	ig_preflight_free(pf);

	in.image_mb = 500.5;
	ig_preflight_free(expect(&s, &in, "image-size", IG_PREFLIGHT_WARN,
	    "image 500.5 MB is above 500 MB (fails above 1000 MB)"));
	in.image_mb = 1000;
	ig_preflight_free(expect(&s, &in, "image-size", IG_PREFLIGHT_WARN, NULL));

	in.image_mb = 1001;
	pf = expect(&s, &in, "image-size", IG_PREFLIGHT_FAIL, "image 1001 MB is above the 1000 MB limit");
	c = check(pf, "image-size");
	assert_true(c->value == 1001 && c->threshold == 1000);
	assert_int_equal(pf->overall, IG_PREFLIGHT_FAIL);
	ig_preflight_free(pf);
}

static void
test_image_unknown_never_fails(void **state)
{
	struct ig_service s;
	struct ig_preflight_input in;
	struct ig_preflight *pf;
	const struct ig_preflight_check *c;

	(void)state;
	svc_init(&s);
	in_init(&in);
	in.image_known = false;
	in.image_mb = 99999;                /* ignored when unknown */
	pf = expect(&s, &in, "image-size", IG_PREFLIGHT_WARN, NULL);
	c = check(pf, "image-size");
	assert_string_equal(c->message, "image not available");
	assert_false(c->has_value);
	assert_true(c->threshold == 500);
	assert_int_equal(pf->overall, IG_PREFLIGHT_WARN);
	ig_preflight_free(pf);

	in.image = "ignite-runtime/node:24.22.3";
	pf = expect(&s, &in, "image-size", IG_PREFLIGHT_WARN, NULL);
	assert_string_equal(check(pf, "image-size")->message,
	    "image not available: ignite-runtime/node:24.22.3");
	ig_preflight_free(pf);

	/* No input at all: everything unknown, image warns, nothing fails. */
	pf = run(&s, NULL);
	assert_int_equal(pf->overall, IG_PREFLIGHT_WARN);
	assert_int_equal(ig_preflight_count(pf, IG_PREFLIGHT_FAIL), 0);
	assert_int_equal(strlen(pf->timestamp), 24);
	assert_true(pf->timestamp[4] == '-' && pf->timestamp[10] == 'T' && pf->timestamp[19] == '.' &&
	    pf->timestamp[23] == 'Z');
	ig_preflight_free(pf);
}

static void
test_overall_precedence(void **state)
{
	struct ig_service s;
	struct ig_preflight_input in;
	struct ig_preflight *pf;

	(void)state;
	svc_init(&s);
	in_init(&in);

	/* warn + warn → warn */
	in.image_known = false;
	in.deps_count = 101;
	s.memory_mb = 1024;
	pf = run(&s, &in);
	assert_int_equal(pf->overall, IG_PREFLIGHT_WARN);
	assert_int_equal(ig_preflight_count(pf, IG_PREFLIGHT_WARN), 2);
	ig_preflight_free(pf);

	/* one fail among warns → fail */
	s.timeout_ms = 1;
	pf = run(&s, &in);
	assert_int_equal(pf->overall, IG_PREFLIGHT_FAIL);
	assert_int_equal(ig_preflight_count(pf, IG_PREFLIGHT_FAIL), 1);
	assert_int_equal(ig_preflight_count(pf, IG_PREFLIGHT_WARN), 2);
	ig_preflight_free(pf);

	/* a fail alone → fail; the info note alone → pass */
	svc_init(&s);
	in_init(&in);
	s.memory_mb = 1;
	pf = run(&s, &in);
	assert_int_equal(pf->overall, IG_PREFLIGHT_FAIL);
	ig_preflight_free(pf);
	s.memory_mb = 1024;
	in.deps_count = 60;
	pf = run(&s, &in);
	assert_int_equal(pf->overall, IG_PREFLIGHT_PASS);
	ig_preflight_free(pf);
}

static void
test_errors_and_names(void **state)
{
	struct ig_preflight *pf = (void *)1;
	struct ig_err err = {0};
	struct ig_preflight_input in;
	struct ig_deps d;

	(void)state;
	assert_int_equal(ig_preflight_run(NULL, NULL, &pf, &err), -1);
	assert_null(pf);
	assert_int_equal(err.code, IG_EINVAL);
	assert_string_equal(ig_preflight_status_name(IG_PREFLIGHT_PASS), "pass");
	assert_string_equal(ig_preflight_status_name(IG_PREFLIGHT_WARN), "warn");
	assert_string_equal(ig_preflight_status_name(IG_PREFLIGHT_FAIL), "fail");
	assert_int_equal(ig_preflight_count(NULL, IG_PREFLIGHT_PASS), 0);

	memset(&d, 0, sizeof(d));
	d.count = 12;
	d.bytes = 345;
	d.partial = true;
	snprintf(d.note, sizeof(d.note), "why");
	memset(&in, 0, sizeof(in));
	ig_preflight_input_set_deps(&in, &d);
	assert_int_equal(in.deps_count, 12);
	assert_int_equal(in.deps_bytes, 345);
	assert_true(in.deps_partial);
	assert_string_equal(in.deps_note, "why");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_pass),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_dependency_count),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_image),
		cmocka_unit_test(test_image_unknown_never_fails),
		cmocka_unit_test(test_overall_precedence),
		cmocka_unit_test(test_errors_and_names),
	};

	return cmocka_run_group_tests_name("preflight", tests, NULL, NULL);
}
