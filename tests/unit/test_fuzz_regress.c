/*
 * test_fuzz_regress.c — what the fuzzers found, kept as unit tests.
 *
 * The libFuzzer drivers of tests/fuzz/ are included here (IG_FUZZ_NO_MAIN)
 * so the same code runs under cmocka, in the plain and the ASan+UBSan
 * builds:
 *   - one test per finding, with the input from tests/fuzz/crashes/<target>/
 *     and the behaviour the fixed code must show;
 *   - per target, every corpus entry and every saved finding replayed
 *     through its driver (a broken property fails that test; a memory
 *     error still ends the ASan build's run, so the replays of findings
 *     come last).
 * Run from the repository root (tests/run-suites.sh does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#define IG_FUZZ_NO_MAIN
/* A broken property fails the running test instead of aborting. */
#define FUZZ_FAIL(file, line, what) _fail(file, line)
#include "../fuzz/fuzz_adhoc.c"
#include "../fuzz/fuzz_channel.c"
#include "../fuzz/fuzz_config.c"
#include "../fuzz/fuzz_demux.c"
#include "../fuzz/fuzz_docker.c"
#include "../fuzz/fuzz_execute.c"
#include "../fuzz/fuzz_keys.c"
#include "../fuzz/fuzz_lock.c"
#include "../fuzz/fuzz_policy.c"
#include "../fuzz/fuzz_runtime.c"
#include "../fuzz/fuzz_service.c"
#include "../fuzz/fuzz_template.c"
#include "../fuzz/fuzz_yamldoc.c"

#include <dirent.h>
#include <errno.h>

#include "support.h"

#define FUZZ_DIR "tests/fuzz"

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

/* Runs the file crashes/<target>/<name> through the driver. */
static uint8_t *
finding(const char *target, const char *name, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), FUZZ_DIR "/crashes/%s/%s", target, name);
	return (uint8_t *)file_read(path, len);
}

/* Every regular file of dir through fn; returns how many ran. */
static size_t
replay_dir(const char *dir, fuzz_fn fn)
{
	struct dirent *de;
	char path[1024];
	size_t n = 0, len;
	uint8_t *buf;
	DIR *d = opendir(dir);

	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		fail_msg("%s: %s", dir, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		buf = (uint8_t *)file_read(path, &len);
		print_message("  %s\n", path);
		fn(buf, len);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

struct target {
	const char *name;
	fuzz_fn fn;
};

static const struct target targets[] = {
	{ "channel", fuzz_channel }, { "config", fuzz_config }, { "demux", fuzz_demux },
	{ "docker", fuzz_docker }, { "execute", fuzz_execute }, { "keys", fuzz_keys },
	{ "lock", fuzz_lock }, { "policy", fuzz_policy }, { "runtime", fuzz_runtime },
	{ "service", fuzz_service }, { "template", fuzz_template }, { "yamldoc", fuzz_yamldoc },
	{ "adhoc", fuzz_adhoc },
};

static void
corpus_replay(void **state)
{
	const struct target *t = *state;
	char dir[256];

	snprintf(dir, sizeof(dir), FUZZ_DIR "/corpus/%s", t->name);
	assert_true(replay_dir(dir, t->fn) > 0);
}

static void
findings_replay(void **state)
{
	const struct target *t = *state;
	char dir[256];

	snprintf(dir, sizeof(dir), FUZZ_DIR "/crashes/%s", t->name);
	replay_dir(dir, t->fn);
}

/* ---- execute: ig_jsonin_parse accepts numbers JSON does not have --------- */

/* json-c's tokener, even with JSON_TOKENER_STRICT, accepts NaN, Infinity,
 * -Infinity, "1." and "-01". ig_jsonin_parse must refuse them: an execute
 * body {"input": NaN} is otherwise accepted and its "input" handed to the
 * launcher as text JSON.parse refuses. */
static void
jsonin_refuses(const char *name)
{
	struct json_object *o = NULL;
	struct ig_err err = { 0 };
	size_t len;
	uint8_t *buf = finding("execute", name, &len);
	int rc = ig_jsonin_parse((const char *)buf, len, 0, &o, &err);

	if (rc == 0)
		print_error("accepted %.*s as %s\n", (int)len, (const char *)buf,
		    json_object_to_json_string(o));
	json_object_put(o);
	free(buf);
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, IG_EINVAL);
}

static void test_jsonin_nan(void **state) { (void)state; jsonin_refuses("jsonin-nan"); }
static void test_jsonin_infinity(void **state) { (void)state; jsonin_refuses("jsonin-infinity"); }
static void test_jsonin_trailing_dot(void **state) { (void)state; jsonin_refuses("jsonin-trailing-dot"); }
static void test_jsonin_dot_exponent(void **state) { (void)state; jsonin_refuses("jsonin-dot-exponent"); }
static void test_jsonin_minus_leading_zero(void **state) { (void)state; jsonin_refuses("jsonin-minus-leading-zero"); }

/* ---- channel: a verified record without JSON reads past the line ------- */

/* verify() in core/channel.c takes "<seq> <json> <mac>"; when the signed
 * text is only "<seq>" (the space after it is the one before the MAC), it
 * calls json_tokener_parse_ex with length -1, which json-c takes as
 * "NUL-terminated": strlen runs past the record through stale bytes of
 * the 64 KiB line buffer and off its end (ASan: heap-buffer-overflow).
 * The signed text must be at least 4 bytes, hence a 4-digit seq, so 1000
 * records come first; a 64 KiB line before them leaves no NUL in the
 * buffer. Such a line must count as forged, not as a record. */
static void
test_channel_record_without_json(void **state)
{
	struct ig_channel *ch = ig_channel_new(FUZZ_CHANNEL_KEY);
	struct ig_buf stream, out;
	size_t len;
	uint8_t *buf = finding("channel", "record-without-json-overread", &len);

	(void)state;
	assert_non_null(ch);
	ig_buf_init(&stream, 80 * len + 4096);
	ig_buf_init(&out, 1024 * 1024);
	channel_build(&stream, buf + 1, len - 1);
	ig_channel_feed(ch, stream.data, stream.len, &out);
	ig_channel_finish(ch, &out);
	assert_int_equal(json_object_array_length(ig_channel_records(ch)), 1000);
	assert_int_equal(ig_channel_dropped(ch), 0);
	assert_int_equal(ig_channel_forged(ch), 1);
	ig_channel_free(ch);
	ig_buf_free(&stream);
	ig_buf_free(&out);
	free(buf);
}

#define CORPUS_TEST(i, name) \
	{ "corpus_" name, corpus_replay, NULL, NULL, (void *)&targets[i] }
#define FINDINGS_TEST(i, name) \
	{ "findings_" name, findings_replay, NULL, NULL, (void *)&targets[i] }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonin_nan),
		cmocka_unit_test(test_jsonin_infinity),
		cmocka_unit_test(test_jsonin_trailing_dot),
		cmocka_unit_test(test_jsonin_dot_exponent),
		cmocka_unit_test(test_jsonin_minus_leading_zero),
		CORPUS_TEST(0, "channel"),
		CORPUS_TEST(1, "config"),
		CORPUS_TEST(2, "demux"),
		CORPUS_TEST(3, "docker"),
		CORPUS_TEST(4, "execute"),
		CORPUS_TEST(5, "keys"),
		CORPUS_TEST(6, "lock"),
		CORPUS_TEST(7, "policy"),
		CORPUS_TEST(8, "runtime"),
		CORPUS_TEST(9, "service"),
		CORPUS_TEST(10, "template"),
		CORPUS_TEST(11, "yamldoc"),
		CORPUS_TEST(12, "adhoc"),
		/* Memory errors end the ASan build's run: last. */
		cmocka_unit_test(test_channel_record_without_json),
		FINDINGS_TEST(0, "channel"),
		FINDINGS_TEST(1, "config"),
		FINDINGS_TEST(2, "demux"),
		FINDINGS_TEST(3, "docker"),
		FINDINGS_TEST(4, "execute"),
		FINDINGS_TEST(5, "keys"),
		FINDINGS_TEST(6, "lock"),
		FINDINGS_TEST(7, "policy"),
		FINDINGS_TEST(8, "runtime"),
		FINDINGS_TEST(9, "service"),
		FINDINGS_TEST(10, "template"),
		FINDINGS_TEST(11, "yamldoc"),
		FINDINGS_TEST(12, "adhoc"),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
