/* test_store.c — the run store: ids, atomic put/get, listing, pruning. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ig-store-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct json_object *
report(const char *id, const char *svc, const char *started, const char *status)
{
	struct json_object *o = json_object_new_object(), *m = json_object_new_object();

	json_object_object_add(o, "runId", json_object_new_string(id));
	json_object_object_add(o, "serviceName", json_object_new_string(svc));
	json_object_object_add(o, "startedAt", json_object_new_string(started));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "success", json_object_new_boolean(strcmp(status, "success") == 0));
	json_object_object_add(m, "executionTimeMs", json_object_new_int(41));
	json_object_object_add(m, "exitCode", json_object_new_int(0));
	json_object_object_add(o, "metrics", m);
	return o;
}

static void
test_ids(void **state)
{
	char a[IG_RUN_ID_LEN + 1], b[IG_RUN_ID_LEN + 1];

	(void)state;
	assert_int_equal(ig_store_new_id(a, NULL), 0);
	assert_int_equal(ig_store_new_id(b, NULL), 0);
	assert_true(ig_store_id_ok(a));
	assert_string_not_equal(a, b);
	assert_false(ig_store_id_ok("../../etc/passwd"));
	assert_false(ig_store_id_ok("0123456789abcdef0123456789ABCDEF"));
	assert_false(ig_store_id_ok("0123456789abcdef0123456789abcde"));
	assert_false(ig_store_id_ok("0123456789abcdef0123456789abcdef0"));
	assert_false(ig_store_id_ok(NULL));
}

static void
test_put_get(void **state)
{
	struct ig_store *st = NULL;
	struct json_object *r, *got = NULL, *v;
	struct ig_err err = { 0 };
	char id[IG_RUN_ID_LEN + 1], path[256];
	struct stat sb;

	(void)state;
	snprintf(path, sizeof(path), "%s/nested/runs", tmpdir);
	assert_int_equal(ig_store_open(path, &st, &err), 0);
	assert_int_equal(ig_store_new_id(id, NULL), 0);
	r = report(id, "hello", "2026-11-28T20:00:00.000Z", "success");
	assert_int_equal(ig_store_put(st, id, r, &err), 0);
	assert_int_equal(ig_store_get(st, id, &got, &err), 0);
	assert_true(json_object_object_get_ex(got, "serviceName", &v));
	assert_string_equal(json_object_get_string(v), "hello");
	json_object_put(got);
	/* Files are private to the daemon, and no temporary file stays behind. */
	snprintf(path, sizeof(path), "%s/nested/runs/%s.json", tmpdir, id);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/nested/runs", tmpdir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	/* Unknown, malformed and traversal ids are "not found". */
	assert_int_equal(ig_store_get(st, "0123456789abcdef0123456789abcdef", &got, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	assert_int_equal(ig_store_get(st, "../x", &got, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	/* A report without the required fields is refused. */
	json_object_object_del(r, "serviceName");
	assert_int_equal(ig_store_put(st, id, r, &err), -1);
	json_object_put(r);
	ig_store_close(st);
}

static void
test_corrupt_not_listed(void **state)
{
	struct ig_store *st = NULL;
	struct json_object *list = NULL, *got = NULL, *runs;
	struct ig_err err = { 0 };
	char path[256];
	FILE *fp;

	(void)state;
	assert_int_equal(ig_store_open(tmpdir, &st, &err), 0);
	snprintf(path, sizeof(path), "%s/0123456789abcdef0123456789abcdef.json", tmpdir);
	fp = fopen(path, "w");
	fputs("{\"runId\": \"0123", fp);
	fclose(fp);
	assert_int_equal(ig_store_get(st, "0123456789abcdef0123456789abcdef", &got, &err), -1);
	assert_int_equal(err.code, IG_EIO);
	assert_int_equal(ig_store_list(st, NULL, 10, NULL, &list, &err), 0);
	assert_true(json_object_object_get_ex(list, "runs", &runs));
	assert_int_equal(json_object_array_length(runs), 0);
	json_object_put(list);
	ig_store_close(st);
}

static void
test_list_pages(void **state)
{
	struct ig_store *st = NULL;
	struct json_object *list = NULL, *runs, *next, *r;
	struct ig_err err = { 0 };
	char ids[5][IG_RUN_ID_LEN + 1], ts[64];
	const char *svc[5] = { "a", "b", "a", "a", "b" };
	int i;

	(void)state;
	assert_int_equal(ig_store_open(tmpdir, &st, &err), 0);
	for (i = 0; i < 5; i++) {
		assert_int_equal(ig_store_new_id(ids[i], NULL), 0);
		snprintf(ts, sizeof(ts), "2026-11-28T20:00:0%d.000Z", i);
		r = report(ids[i], svc[i], ts, "success");
		assert_int_equal(ig_store_put(st, ids[i], r, &err), 0);
		json_object_put(r);
	}
	/* Newest first, two per page. */
	assert_int_equal(ig_store_list(st, NULL, 2, NULL, &list, &err), 0);
	json_object_object_get_ex(list, "runs", &runs);
	assert_int_equal(json_object_array_length(runs), 2);
	assert_string_equal(json_object_get_string(json_object_object_get(
	    json_object_array_get_idx(runs, 0), "runId")), ids[4]);
	assert_true(json_object_object_get_ex(list, "next", &next));
	assert_string_equal(json_object_get_string(next), ids[3]);
	json_object_put(list);
	assert_int_equal(ig_store_list(st, NULL, 2, ids[3], &list, &err), 0);
	json_object_object_get_ex(list, "runs", &runs);
	assert_string_equal(json_object_get_string(json_object_object_get(
	    json_object_array_get_idx(runs, 0), "runId")), ids[2]);
	json_object_put(list);
	/* Filter by service; the last page has next = null. */
	assert_int_equal(ig_store_list(st, "a", 10, NULL, &list, &err), 0);
	json_object_object_get_ex(list, "runs", &runs);
	assert_int_equal(json_object_array_length(runs), 3);
	assert_true(json_object_object_get_ex(list, "next", &next));
	assert_null(next);
	json_object_put(list);
	/* Bad arguments. */
	assert_int_equal(ig_store_list(st, NULL, 0, NULL, &list, &err), -1);
	assert_int_equal(ig_store_list(st, NULL, 1001, NULL, &list, &err), -1);
	assert_int_equal(ig_store_list(st, NULL, 5, "nope", &list, &err), -1);
	/* Retention keeps the newest. */
	assert_int_equal(ig_store_prune(st, 2, 0, &err), 3);
	assert_int_equal(ig_store_list(st, NULL, 10, NULL, &list, &err), 0);
	json_object_object_get_ex(list, "runs", &runs);
	assert_int_equal(json_object_array_length(runs), 2);
	json_object_put(list);
	ig_store_close(st);
}

static void
test_survives_reopen(void **state)
{
	struct ig_store *st = NULL;
	struct json_object *r, *list = NULL, *runs;
	struct ig_err err = { 0 };
	char id[IG_RUN_ID_LEN + 1];

	(void)state;
	assert_int_equal(ig_store_open(tmpdir, &st, &err), 0);
	assert_int_equal(ig_store_new_id(id, NULL), 0);
	r = report(id, "hello", "2026-11-28T20:00:00.000Z", "success");
	assert_int_equal(ig_store_put(st, id, r, &err), 0);
	json_object_put(r);
	ig_store_close(st);
	assert_int_equal(ig_store_open(tmpdir, &st, &err), 0);
	assert_int_equal(ig_store_list(st, NULL, 10, NULL, &list, &err), 0);
	json_object_object_get_ex(list, "runs", &runs);
	assert_int_equal(json_object_array_length(runs), 1);
	json_object_put(list);
	ig_store_close(st);
}

static void
test_two_writers(void **state)
{
	struct ig_store *a = NULL, *b = NULL;
	struct json_object *r, *list = NULL, *runs;
	struct ig_err err = { 0 };
	char x[IG_RUN_ID_LEN + 1], y[IG_RUN_ID_LEN + 1];

	(void)state;
	assert_int_equal(ig_store_open(tmpdir, &a, &err), 0);
	assert_int_equal(ig_store_open(tmpdir, &b, &err), 0);
	assert_int_equal(ig_store_list(a, NULL, 10, NULL, &list, &err), 0);
	json_object_put(list);
	usleep(20000);   /* past the filesystem's timestamp granularity */
	/* Another process (b) writes, then this one (a): a's listing has both. */
	assert_int_equal(ig_store_new_id(x, NULL), 0);
	r = report(x, "other", "2026-11-28T20:00:01.000Z", "success");
	assert_int_equal(ig_store_put(b, x, r, &err), 0);
	json_object_put(r);
	assert_int_equal(ig_store_new_id(y, NULL), 0);
	r = report(y, "mine", "2026-11-28T20:00:02.000Z", "success");
	assert_int_equal(ig_store_put(a, y, r, &err), 0);
	json_object_put(r);
	assert_int_equal(ig_store_list(a, NULL, 10, NULL, &list, &err), 0);
	json_object_object_get_ex(list, "runs", &runs);
	assert_int_equal(json_object_array_length(runs), 2);
	json_object_put(list);
	/* Our own writes show at once. */
	usleep(20000);
	assert_int_equal(ig_store_new_id(x, NULL), 0);
	r = report(x, "mine", "2026-11-28T20:00:03.000Z", "success");
	assert_int_equal(ig_store_put(a, x, r, &err), 0);
	json_object_put(r);
	assert_int_equal(ig_store_list(a, "mine", 10, NULL, &list, &err), 0);
	json_object_object_get_ex(list, "runs", &runs);
	assert_int_equal(json_object_array_length(runs), 2);
	assert_string_equal(json_object_get_string(json_object_object_get(
	    json_object_array_get_idx(runs, 0), "runId")), x);
	json_object_put(list);
	ig_store_close(a);
	ig_store_close(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test_setup_teardown(test_put_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_not_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_survives_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_writers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
