/* test_audit.c — events by source, summary counts, overallStatus rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <string.h>

#include "audit.h"
#include "policy.h"

static struct json_object *
summary(struct json_object *a, const char *key)
{
	struct json_object *s, *v;

	assert_true(json_object_object_get_ex(a, "summary", &s));
	assert_true(json_object_object_get_ex(s, key, &v));
	return v;
}

static struct ig_audit *
fresh(void)
{
	struct ig_policy *p = ig_policy_new_default();
	struct ig_audit *a = ig_audit_new(p);

	ig_policy_free(p);
	assert_non_null(a);
	return a;
}

static void
test_clean(void **state)
{
	struct ig_audit *a = fresh();
	struct ig_audit_facts f = { .audit_mode = true, .exit_code = 0, .launcher_expected = true,
	    .launcher_exit_seen = true, .pids_limit_hits = -1 };
	struct json_object *j, *pol;

	(void)state;
	ig_audit_add_facts(a, &f);
	j = ig_audit_to_json(a);
	assert_string_equal(json_object_get_string(summary(j, "overallStatus")), "clean");
	assert_string_equal(json_object_get_string(summary(j, "launcherChannel")), "ok");
	assert_true(json_object_object_get_ex(j, "policy", &pol));
	assert_non_null(json_object_object_get(pol, "network"));
	json_object_put(j);
	ig_audit_free(a);
}

static void
test_launcher_events_counted(void **state)
{
	struct ig_audit *a = fresh();
	struct json_object *recs = json_tokener_parse(
	    "[{\"t\":\"start\"},"
	    "{\"t\":\"event\",\"type\":\"network\",\"action\":\"connect\",\"target\":\"1.1.1.1:80\",\"allowed\":false},"
	    "{\"t\":\"event\",\"type\":\"network\",\"action\":\"dns\",\"target\":\"example.com\",\"allowed\":false},"
	    "{\"t\":\"event\",\"type\":\"filesystem\",\"action\":\"write\",\"target\":\"/etc/x\",\"allowed\":false},"
	    "{\"t\":\"event\",\"type\":\"filesystem\",\"action\":\"read\",\"target\":\"/etc/hosts\",\"allowed\":true},"
	    "{\"t\":\"event\",\"type\":\"process\",\"action\":\"spawn\",\"target\":\"ls\",\"allowed\":false},"
	    "{\"t\":\"event\",\"type\":\"bogus\",\"action\":\"x\"},"
	    "{\"t\":\"event\",\"type\":\"network\"}]");
	struct json_object *j, *ev, *src;

	(void)state;
	ig_audit_add_launcher_records(a, recs);
	j = ig_audit_to_json(a);
	assert_int_equal(json_object_get_int(summary(j, "networkAttempts")), 2);
	assert_int_equal(json_object_get_int(summary(j, "networkBlocked")), 2);
	assert_int_equal(json_object_get_int(summary(j, "filesystemWrites")), 1);
	assert_int_equal(json_object_get_int(summary(j, "filesystemReads")), 1);
	assert_int_equal(json_object_get_int(summary(j, "filesystemBlocked")), 1);
	assert_int_equal(json_object_get_int(summary(j, "processSpawns")), 1);
	assert_int_equal(json_object_get_int(summary(j, "processBlocked")), 1);
	assert_string_equal(json_object_get_string(summary(j, "overallStatus")), "violations");
	assert_int_equal(json_object_get_int(json_object_object_get(summary(j, "bySource"), "launcher")), 5);
	json_object_object_get_ex(j, "events", &ev);
	assert_int_equal(json_object_array_length(ev), 5);
	json_object_object_get_ex(json_object_array_get_idx(ev, 0), "source", &src);
	assert_string_equal(json_object_get_string(src), "launcher");
	json_object_put(j);
	json_object_put(recs);
	ig_audit_free(a);
}

static void
test_output_hints_never_decide(void **state)
{
	static const char out[] = "Error: getaddrinfo EAI_AGAIN evil.example\nEROFS: read-only file system\n";
	struct ig_audit *a = fresh();
	struct ig_audit_facts f = { .audit_mode = true, .launcher_expected = true,
	    .launcher_exit_seen = true, .pids_limit_hits = -1 };
	struct json_object *j;

	(void)state;
	ig_audit_add_facts(a, &f);
	ig_audit_scan_output(a, out, sizeof(out) - 1);
	j = ig_audit_to_json(a);
	assert_string_equal(json_object_get_string(summary(j, "overallStatus")), "clean");
	assert_int_equal(json_object_get_int(summary(j, "networkAttempts")), 0);
	assert_true(json_object_get_int(json_object_object_get(summary(j, "bySource"), "output")) >= 2);
	json_object_put(j);
	ig_audit_free(a);
}

static void
test_engine_facts(void **state)
{
	struct ig_audit *a = fresh();
	struct ig_audit_facts f = { .audit_mode = true, .oom_killed = true, .exit_code = 137,
	    .signal = 9, .stdout_truncated = true, .pids_limit_hits = 3, .pids_limit = 64,
	    .launcher_expected = true, .launcher_exit_seen = false };
	struct json_object *j;

	(void)state;
	ig_audit_add_facts(a, &f);
	j = ig_audit_to_json(a);
	/* OOM kill, PIDs pressure and truncation are engine facts; a limit kill
	 * that skipped the exit hook is not a lost channel. */
	assert_string_equal(json_object_get_string(summary(j, "overallStatus")), "violations");
	assert_string_equal(json_object_get_string(summary(j, "launcherChannel")), "ok");
	assert_int_equal(json_object_get_int(json_object_object_get(summary(j, "bySource"), "engine")), 3);
	json_object_put(j);
	ig_audit_free(a);
}

static void
test_lost_and_forged_channel(void **state)
{
	struct ig_audit *a = fresh();
	struct ig_audit_facts f = { .audit_mode = true, .exit_code = 0, .launcher_expected = true,
	    .launcher_exit_seen = false, .pids_limit_hits = -1 };
	struct json_object *j;

	(void)state;
	ig_audit_add_facts(a, &f);
	j = ig_audit_to_json(a);
	assert_string_equal(json_object_get_string(summary(j, "overallStatus")), "unknown");
	assert_string_equal(json_object_get_string(summary(j, "launcherChannel")), "lost");
	json_object_put(j);
	ig_audit_free(a);

	a = fresh();
	f.launcher_exit_seen = true;
	f.launcher_forged = 2;
	ig_audit_add_facts(a, &f);
	j = ig_audit_to_json(a);
	assert_string_equal(json_object_get_string(summary(j, "overallStatus")), "unknown");
	assert_string_equal(json_object_get_string(summary(j, "launcherChannel")), "forged");
	json_object_put(j);
	ig_audit_free(a);
}

static void
test_event_cap(void **state)
{
	struct ig_audit *a = fresh();
	struct json_object *j, *ev;
	int i;

	(void)state;
	for (i = 0; i < IG_AUDIT_EVENTS_MAX + 50; i++)
		ig_audit_add(a, "engine", "filesystem", "create", "/x", true, NULL);
	j = ig_audit_to_json(a);
	json_object_object_get_ex(j, "events", &ev);
	assert_int_equal(json_object_array_length(ev), IG_AUDIT_EVENTS_MAX);
	assert_int_equal(json_object_get_int(summary(j, "eventsDropped")), 50);
	assert_int_equal(json_object_get_int(summary(j, "filesystemWrites")), IG_AUDIT_EVENTS_MAX + 50);
	json_object_put(j);
	ig_audit_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_launcher_events_counted),
		cmocka_unit_test(test_output_hints_never_decide),
		cmocka_unit_test(test_engine_facts),
		cmocka_unit_test(test_lost_and_forged_channel),
		cmocka_unit_test(test_event_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
