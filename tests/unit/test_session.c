/* test_session.c — signed session cookies, CSRF tokens, logout. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "session.h"

static void
test_issue_and_check(void **state)
{
	struct ig_sessions *s = ig_sessions_new(60);
	char v[IG_SESSION_VALUE_MAX], id[IG_SESSION_KEYID_MAX + 1];

	(void)state;
	assert_int_equal(ig_session_issue(s, "3f2a9c0b7d41", 1000, v), 0);
	assert_int_equal(ig_session_check(s, v, 1000, id), 0);
	assert_string_equal(id, "3f2a9c0b7d41");
	/* Expired. */
	assert_int_equal(ig_session_check(s, v, 1060, id), -1);
	/* Another daemon (another secret) does not accept it. */
	{
		struct ig_sessions *other = ig_sessions_new(60);
		assert_int_equal(ig_session_check(other, v, 1000, id), -1);
		ig_sessions_free(other);
	}
	ig_sessions_free(s);
}

static void
test_tampering(void **state)
{
	struct ig_sessions *s = ig_sessions_new(60);
	char v[IG_SESSION_VALUE_MAX], t[IG_SESSION_VALUE_MAX], id[IG_SESSION_KEYID_MAX + 1];
	size_t i;

	(void)state;
	assert_int_equal(ig_session_issue(s, "abc123", 1000, v), 0);
	/* Every single-character change is refused. */
	for (i = 0; i < strlen(v); i++) {
		memcpy(t, v, sizeof(t));
		t[i] = t[i] == 'a' ? 'b' : 'a';
		assert_int_equal(ig_session_check(s, t, 1000, id), -1);
	}
	assert_int_equal(ig_session_check(s, "", 1000, id), -1);
	assert_int_equal(ig_session_check(s, "a.b.c", 1000, id), -1);
	assert_int_equal(ig_session_check(s, NULL, 1000, id), -1);
	/* Bad key ids are not issued. */
	assert_int_equal(ig_session_issue(s, "ABC", 1000, v), -1);
	assert_int_equal(ig_session_issue(s, "a.b", 1000, v), -1);
	assert_int_equal(ig_session_issue(s, "", 1000, v), -1);
	ig_sessions_free(s);
}

static void
test_csrf(void **state)
{
	struct ig_sessions *s = ig_sessions_new(60);
	char v[IG_SESSION_VALUE_MAX], w[IG_SESSION_VALUE_MAX], tok[IG_CSRF_LEN + 1];

	(void)state;
	assert_int_equal(ig_session_issue(s, "abc123", 1000, v), 0);
	assert_int_equal(ig_session_issue(s, "def456", 1000, w), 0);
	ig_session_csrf(s, v, tok);
	assert_int_equal(ig_session_csrf_check(s, v, tok), 0);
	assert_int_equal(ig_session_csrf_check(s, w, tok), -1);     /* bound to its session */
	assert_int_equal(ig_session_csrf_check(s, v, "short"), -1);
	assert_int_equal(ig_session_csrf_check(s, v, NULL), -1);
	tok[0] = tok[0] == 'a' ? 'b' : 'a';
	assert_int_equal(ig_session_csrf_check(s, v, tok), -1);
	ig_sessions_free(s);
}

static void
test_logout_revokes(void **state)
{
	struct ig_sessions *s = ig_sessions_new(60);
	char v[IG_SESSION_VALUE_MAX], w[IG_SESSION_VALUE_MAX], id[IG_SESSION_KEYID_MAX + 1];
	int i;

	(void)state;
	assert_int_equal(ig_session_issue(s, "abc123", 1000, v), 0);
	assert_int_equal(ig_session_issue(s, "abc123", 1001, w), 0);
	ig_session_revoke(s, v, 1002);
	assert_int_equal(ig_session_check(s, v, 1003, id), -1);
	assert_int_equal(ig_session_check(s, w, 1003, id), 0);      /* other sessions live on */
	/* The table is bounded: many logouts never fail, the newest stick. */
	for (i = 0; i < IG_SESSION_REVOKED_MAX + 10; i++) {
		char x[IG_SESSION_VALUE_MAX];
		assert_int_equal(ig_session_issue(s, "abc123", 1000 + i % 30, x), 0);
		ig_session_revoke(s, x, 1000);
	}
	ig_session_revoke(s, w, 1004);
	assert_int_equal(ig_session_check(s, w, 1005, id), -1);
	ig_sessions_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_and_check),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_csrf),
		cmocka_unit_test(test_logout_revokes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
