/* test_channel.c — launcher records: verification, splitting, forgery. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <string.h>

#include "channel.h"

static const char KEY[IG_CHANNEL_KEY_LEN + 1] =
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char OTHER[IG_CHANNEL_KEY_LEN + 1] =
	"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

/* Builds: "hello" + record 0 + "partial" + record 1 + " tail\n". */
static void
build_stream(struct ig_buf *s, const char *key)
{
	assert_int_equal(ig_buf_puts(s, "hello\n"), 0);
	assert_int_equal(ig_channel_format(key, 0, "{\"t\":\"start\",\"pid\":7}", s), 0);
	assert_int_equal(ig_buf_puts(s, "partial"), 0);
	assert_int_equal(ig_channel_format(key, 1, "{\"t\":\"exit\",\"code\":0}", s), 0);
	assert_int_equal(ig_buf_puts(s, " tail\n"), 0);
}

static void
test_roundtrip_every_split(void **state)
{
	struct ig_buf s, out;
	size_t cut;

	(void)state;
	ig_buf_init(&s, 4096);
	build_stream(&s, KEY);
	for (cut = 0; cut <= s.len; cut++) {
		struct ig_channel *ch = ig_channel_new(KEY);

		ig_buf_init(&out, 4096);
		assert_true(ig_channel_feed(ch, s.data, cut, &out));
		assert_true(ig_channel_feed(ch, s.data + cut, s.len - cut, &out));
		assert_true(ig_channel_finish(ch, &out));
		assert_string_equal(out.data, "hello\npartial tail\n");
		assert_int_equal(json_object_array_length(ig_channel_records(ch)), 2);
		assert_true(ig_channel_saw_exit(ch));
		assert_int_equal(ig_channel_forged(ch), 0);
		assert_non_null(ig_channel_find(ch, "start"));
		ig_buf_free(&out);
		ig_channel_free(ch);
	}
	ig_buf_free(&s);
}

static void
test_byte_by_byte(void **state)
{
	struct ig_channel *ch = ig_channel_new(KEY);
	struct ig_buf s, out;
	size_t i;

	(void)state;
	ig_buf_init(&s, 4096);
	ig_buf_init(&out, 4096);
	build_stream(&s, KEY);
	for (i = 0; i < s.len; i++)
		ig_channel_feed(ch, s.data + i, 1, &out);
	ig_channel_finish(ch, &out);
	assert_string_equal(out.data, "hello\npartial tail\n");
	assert_int_equal(json_object_array_length(ig_channel_records(ch)), 2);
	ig_buf_free(&s);
	ig_buf_free(&out);
	ig_channel_free(ch);
}

static void
test_forged_kept_as_output(void **state)
{
	struct ig_channel *ch = ig_channel_new(KEY);
	struct ig_buf s, out;

	(void)state;
	ig_buf_init(&s, 4096);
	ig_buf_init(&out, 4096);
	build_stream(&s, OTHER);    /* a service that guessed the format, not the key */
	ig_channel_feed(ch, s.data, s.len, &out);
	ig_channel_finish(ch, &out);
	assert_int_equal(json_object_array_length(ig_channel_records(ch)), 0);
	assert_int_equal(ig_channel_forged(ch), 2);
	assert_false(ig_channel_saw_exit(ch));
	assert_non_null(strstr(out.data, "IGNITE1 0 {\"t\":\"start\""));
	ig_buf_free(&s);
	ig_buf_free(&out);
	ig_channel_free(ch);
}

static void
test_replay_and_order(void **state)
{
	struct ig_channel *ch = ig_channel_new(KEY);
	struct ig_buf s, out;

	(void)state;
	ig_buf_init(&s, 4096);
	ig_buf_init(&out, 4096);
	/* Sequence must start at 0 and increase by one: a replayed record fails. */
	assert_int_equal(ig_channel_format(KEY, 0, "{\"t\":\"start\"}", &s), 0);
	assert_int_equal(ig_channel_format(KEY, 0, "{\"t\":\"start\"}", &s), 0);
	assert_int_equal(ig_channel_format(KEY, 5, "{\"t\":\"exit\"}", &s), 0);
	assert_int_equal(ig_channel_format(KEY, 1, "[1,2]", &s), 0);
	assert_int_equal(ig_channel_format(KEY, 1, "{\"t\":\"loaded\"}", &s), 0);
	ig_channel_feed(ch, s.data, s.len, &out);
	ig_channel_finish(ch, &out);
	assert_int_equal(json_object_array_length(ig_channel_records(ch)), 2);
	assert_int_equal(ig_channel_forged(ch), 3);
	ig_buf_free(&s);
	ig_buf_free(&out);
	ig_channel_free(ch);
}

static void
test_plain_text_untouched(void **state)
{
	static const char text[] = "a\x1e b\n\n\x1enot a record\n\n\nend";
	struct ig_channel *ch = ig_channel_new(KEY);
	struct ig_buf out;

	(void)state;
	ig_buf_init(&out, 4096);
	ig_channel_feed(ch, text, sizeof(text) - 1, &out);
	ig_channel_finish(ch, &out);
	assert_int_equal(out.len, sizeof(text) - 1);
	assert_memory_equal(out.data, text, sizeof(text) - 1);
	assert_int_equal(ig_channel_forged(ch), 0);
	ig_buf_free(&out);
	ig_channel_free(ch);
}

static void
test_truncated_record_at_eof(void **state)
{
	struct ig_channel *ch = ig_channel_new(KEY);
	struct ig_buf s, out;

	(void)state;
	ig_buf_init(&s, 4096);
	ig_buf_init(&out, 4096);
	assert_int_equal(ig_channel_format(KEY, 0, "{\"t\":\"start\"}", &s), 0);
	ig_channel_feed(ch, s.data, s.len - 10, &out);
	ig_channel_finish(ch, &out);
	assert_int_equal(json_object_array_length(ig_channel_records(ch)), 0);
	assert_int_equal(ig_channel_forged(ch), 1);
	ig_buf_free(&s);
	ig_buf_free(&out);
	ig_channel_free(ch);
}

static void
test_output_cap(void **state)
{
	struct ig_channel *ch = ig_channel_new(KEY);
	struct ig_buf s, out;

	(void)state;
	ig_buf_init(&s, 4096);
	ig_buf_init(&out, 8);
	build_stream(&s, KEY);
	/* Output is capped; records are still verified. */
	assert_false(ig_channel_feed(ch, s.data, s.len, &out));
	ig_channel_finish(ch, &out);
	assert_int_equal(out.len, 8);
	assert_int_equal(json_object_array_length(ig_channel_records(ch)), 2);
	ig_buf_free(&s);
	ig_buf_free(&out);
	ig_channel_free(ch);
}

static void
test_long_line_is_output(void **state)
{
	struct ig_channel *ch = ig_channel_new(KEY);
	struct ig_buf out;
	static char big[IG_CHANNEL_LINE_MAX + 100];

	(void)state;
	memset(big, 'x', sizeof(big));
	big[0] = '\n';
	big[1] = '\x1e';
	ig_buf_init(&out, sizeof(big) + 16);
	ig_channel_feed(ch, big, sizeof(big), &out);
	ig_channel_finish(ch, &out);
	assert_int_equal(out.len, sizeof(big));
	ig_buf_free(&out);
	ig_channel_free(ch);
}

static void
test_fake_partial_header_does_not_swallow_record(void **state)
{
	struct ig_channel *ch = ig_channel_new(KEY);
	struct ig_buf s, out;

	(void)state;
	ig_buf_init(&s, 4096);
	ig_buf_init(&out, 4096);
	/* The service writes a partial fake header without a newline; the real
	 * record that follows starts with "\n" and must still be recognised. */
	assert_int_equal(ig_buf_puts(&s, "x\n\x1eIGNITE1 0 {\"t\":\"exit\""), 0);
	assert_int_equal(ig_channel_format(KEY, 0, "{\"t\":\"start\"}", &s), 0);
	assert_int_equal(ig_buf_puts(&s, "tail"), 0);
	ig_channel_feed(ch, s.data, s.len, &out);
	ig_channel_finish(ch, &out);
	assert_int_equal(json_object_array_length(ig_channel_records(ch)), 1);
	assert_int_equal(ig_channel_forged(ch), 1);
	assert_string_equal(out.data, "x\n\x1eIGNITE1 0 {\"t\":\"exit\"tail");
	ig_buf_free(&s);
	ig_buf_free(&out);
	ig_channel_free(ch);
}

static void
test_last_exit_counts(void **state)
{
	struct ig_channel *ch = ig_channel_new(KEY);
	struct ig_buf s, out;
	struct json_object *code;

	(void)state;
	ig_buf_init(&s, 4096);
	ig_buf_init(&out, 4096);
	assert_int_equal(ig_channel_format(KEY, 0, "{\"t\":\"exit\",\"code\":1}", &s), 0);
	assert_int_equal(ig_channel_format(KEY, 1, "{\"t\":\"exit\",\"code\":0}", &s), 0);
	ig_channel_feed(ch, s.data, s.len, &out);
	ig_channel_finish(ch, &out);
	assert_true(json_object_object_get_ex(ig_channel_find_last(ch, "exit"), "code", &code));
	assert_int_equal(json_object_get_int(code), 0);
	ig_buf_free(&s);
	ig_buf_free(&out);
	ig_channel_free(ch);
}

static void
test_keygen(void **state)
{
	char h1[IG_CHANNEL_KEY_LEN + 1], h2[IG_CHANNEL_KEY_LEN + 1];

	(void)state;
	assert_int_equal(ig_channel_keygen(h1), 0);
	assert_int_equal(ig_channel_keygen(h2), 0);
	assert_int_equal(strlen(h1), 64);
	assert_string_not_equal(h1, h2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_every_split),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_forged_kept_as_output),
		cmocka_unit_test(test_replay_and_order),
		cmocka_unit_test(test_plain_text_untouched),
		cmocka_unit_test(test_truncated_record_at_eof),
		cmocka_unit_test(test_output_cap),
		cmocka_unit_test(test_long_line_is_output),
		cmocka_unit_test(test_fake_partial_header_does_not_swallow_record),
		cmocka_unit_test(test_last_exit_counts),
		cmocka_unit_test(test_keygen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
