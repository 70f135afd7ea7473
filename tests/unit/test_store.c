/* test_store.c — the run store: ids, atomic put/get, listing, pruning,
 * stale temporaries, a run directory replaced under a running store. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* Creates tmpdir/name holding a few bytes, last written age seconds ago. */
static void
make_file(const char *name, time_t age)
{
	struct timespec ts[2];
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs("{\"runId\":\"", fp);
	fclose(fp);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static int
exists(const char *dir, const char *name)
{
	struct stat sb;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &sb) == 0;
}

#define TEMP_ID   "abababababababababababababababab"
#define OLD       (2 * 3600)

static void
test_stale_temps_swept(void **state)
{
	static const char *const kept[] = {
		/* too fresh: maybe a write in progress in another process */
		"." TEMP_ID ".json.tmp-1111111111111111",
		/* not exactly the store's temporary */
		".hidden",
		"." TEMP_ID ".json.tmp-00112233445566",
		"." TEMP_ID ".json.tmp-00112233445566778",
		"." TEMP_ID ".json.tmp-001122334455667G",
		"." TEMP_ID ".json.tmp-00112233445566AA",
		".ABABABABABABABABABABABABABABABAB.json.tmp-0011223344556677",
		".abababab.json.tmp-0011223344556677",
		"." TEMP_ID ".yaml.tmp-0011223344556677",
		".keys.tmp-0011223344556677",
		TEMP_ID ".json.tmp-0011223344556677",
	};
	char target[256], link[256], sub[256], name[128];
	struct ig_store *st = NULL;
	struct json_object *list = NULL, *runs, *got = NULL;
	struct ig_err err = { 0 };
	struct timespec ts[2];
	size_t i;

	(void)state;
	make_file("." TEMP_ID ".json.tmp-0011223344556677", OLD);
	make_file(kept[0], 10);
	for (i = 1; i < sizeof(kept) / sizeof(kept[0]); i++)
		make_file(kept[i], OLD);
	/* A symlink with a stale temporary's name, to a file outside: neither
	 * the link nor its target is touched. */
	snprintf(target, sizeof(target), "%s.target", tmpdir);
	assert_int_equal(close(open(target, O_WRONLY | O_CREAT | O_TRUNC, 0600)), 0);
	snprintf(link, sizeof(link), "%s/." TEMP_ID ".json.tmp-2222222222222222", tmpdir);
	assert_int_equal(symlink(target, link), 0);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - OLD;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, link, ts, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(utimensat(AT_FDCWD, target, ts, 0), 0);
	/* A directory with such a name is not a temporary report either. */
	snprintf(sub, sizeof(sub), "%s/." TEMP_ID ".json.tmp-3333333333333333", tmpdir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(utimensat(AT_FDCWD, sub, ts, 0), 0);

	assert_int_equal(ig_store_open(tmpdir, &st, &err), 0);
	assert_false(exists(tmpdir, "." TEMP_ID ".json.tmp-0011223344556677"));
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		assert_true(exists(tmpdir, kept[i]));
	assert_true(exists(tmpdir, "." TEMP_ID ".json.tmp-2222222222222222"));
	assert_int_equal(access(target, F_OK), 0);
	assert_true(exists(tmpdir, "." TEMP_ID ".json.tmp-3333333333333333"));

	/* Temporaries are never runs. */
	assert_int_equal(ig_store_list(st, NULL, 100, NULL, &list, &err), 0);
	assert_true(json_object_object_get_ex(list, "runs", &runs));
	assert_int_equal(json_object_array_length(runs), 0);
	json_object_put(list);
	assert_int_equal(ig_store_get(st, TEMP_ID, &got, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);

	/* One a crash leaves while the store is open goes at the next prune. */
	snprintf(name, sizeof(name), "." TEMP_ID ".json.tmp-4444444444444444");
	make_file(name, OLD);
	assert_int_equal(ig_store_prune(st, 0, 0, &err), 0);
	assert_false(exists(tmpdir, name));
	assert_true(exists(tmpdir, kept[0]));
	assert_true(exists(tmpdir, "." TEMP_ID ".json.tmp-2222222222222222"));
	ig_store_close(st);
	unlink(target);
}

/* Puts a fresh run of service svc into st; returns its id in id. */
static int
put_run(struct ig_store *st, const char *svc, char id[IG_RUN_ID_LEN + 1], struct ig_err *err)
{
	struct json_object *r;
	int rc;

	if (ig_store_new_id(id, NULL) != 0)
		return -1;
	r = report(id, svc, "2026-11-28T20:00:00.000Z", "success");
	rc = ig_store_put(st, id, r, err);
	json_object_put(r);
	return rc;
}

static size_t
count_listed(struct ig_store *st)
{
	struct json_object *list = NULL, *runs;
	struct ig_err err = { 0 };
	size_t n;

	assert_int_equal(ig_store_list(st, NULL, 1000, NULL, &list, &err), 0);
	assert_true(json_object_object_get_ex(list, "runs", &runs));
	n = json_object_array_length(runs);
	json_object_put(list);
	return n;
}

static void
test_reopen_after_replaced(void **state)
{
	struct ig_store *st = NULL;
	struct json_object *got = NULL;
	struct ig_err err = { 0 };
	char runs[256], aside[256], name[128], cmd[600];
	char a[IG_RUN_ID_LEN + 1], b[IG_RUN_ID_LEN + 1], c[IG_RUN_ID_LEN + 1];

	(void)state;
	snprintf(runs, sizeof(runs), "%s/runs", tmpdir);
	snprintf(aside, sizeof(aside), "%s/runs.old", tmpdir);
	assert_int_equal(ig_store_open(runs, &st, &err), 0);
	assert_int_equal(put_run(st, "hello", a, &err), 0);
	assert_int_equal(count_listed(st), 1);

	/* Moved aside and a new directory put in its place: the store follows
	 * the path, not the directory it held, and lists only what is there. */
	assert_int_equal(rename(runs, aside), 0);
	assert_int_equal(mkdir(runs, 0700), 0);
	assert_int_equal(count_listed(st), 0);
	assert_int_equal(put_run(st, "hello", b, &err), 0);
	snprintf(name, sizeof(name), "%s.json", b);
	assert_true(exists(runs, name));
	assert_false(exists(aside, name));
	assert_int_equal(count_listed(st), 1);
	assert_int_equal(ig_store_get(st, b, &got, &err), 0);
	json_object_put(got);
	assert_int_equal(ig_store_get(st, a, &got, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);

	/* Removed: a write fails with a storage error, reads still answer. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", runs);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(put_run(st, "hello", c, &err), -1);
	assert_int_equal(err.code, IG_EIO);
	assert_int_equal(err.sys_errno, ENOENT);
	assert_non_null(strstr(err.msg, "run directory"));
	assert_int_equal(count_listed(st), 0);
	assert_int_equal(ig_store_get(st, b, &got, &err), -1);

	/* Put back: the next write lands in it; the index is rebuilt from it,
	 * stale temporaries in it are swept. */
	assert_int_equal(mkdir(runs, 0700), 0);
	snprintf(name, sizeof(name), "runs/." TEMP_ID ".json.tmp-0011223344556677");
	make_file(name, OLD);
	assert_int_equal(put_run(st, "hello", c, &err), 0);
	snprintf(name, sizeof(name), "%s.json", c);
	assert_true(exists(runs, name));
	assert_false(exists(runs, "." TEMP_ID ".json.tmp-0011223344556677"));
	assert_int_equal(count_listed(st), 1);
	assert_int_equal(ig_store_prune(st, 0, 0, &err), 0);
	assert_int_equal(count_listed(st), 1);

	/* A plain file where the directory was is no run directory. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && touch '%s'", runs, runs);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(put_run(st, "hello", c, &err), -1);
	assert_int_equal(err.code, IG_EIO);
	ig_store_close(st);
}

/* Writers racing with the directory being swapped for another (an atomic
 * exchange, so the path always names one): every write succeeds and lands
 * in one of the two directories; no thread ever works on a descriptor
 * another closed. Run under ASan+UBSan too. */
#define RACE_THREADS 4
#define RACE_PUTS    60

struct racer {
	struct ig_store *st;
	char ids[RACE_PUTS][IG_RUN_ID_LEN + 1];
	int failed;
	int done;
};

static void *
race_writer(void *arg)
{
	struct racer *r = arg;
	struct json_object *got = NULL, *list = NULL;
	struct ig_err err = { 0 };
	int i;

	for (i = 0; i < RACE_PUTS; i++) {
		if (put_run(r->st, "race", r->ids[i], &err) != 0)
			r->failed++;
		if (ig_store_get(r->st, r->ids[i], &got, NULL) == 0)
			json_object_put(got);
		if (ig_store_list(r->st, NULL, 10, NULL, &list, NULL) == 0)
			json_object_put(list);
	}
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int
racers_running(struct racer *rs, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!__atomic_load_n(&rs[i].done, __ATOMIC_ACQUIRE))
			return 1;
	return 0;
}

static void
test_replaced_while_writing(void **state)
{
	struct racer rs[RACE_THREADS];
	pthread_t th[RACE_THREADS];
	struct ig_store *st = NULL;
	struct ig_err err = { 0 };
	char runs[256], other[256], name[64], id[IG_RUN_ID_LEN + 1];
	size_t n = 0;
	int i, j, swaps;

	(void)state;
	snprintf(runs, sizeof(runs), "%s/runs", tmpdir);
	snprintf(other, sizeof(other), "%s/other", tmpdir);
	assert_int_equal(ig_store_open(runs, &st, &err), 0);
	assert_int_equal(mkdir(other, 0700), 0);
	memset(rs, 0, sizeof(rs));
	for (i = 0; i < RACE_THREADS; i++) {
		rs[i].st = st;
		assert_int_equal(pthread_create(&th[i], NULL, race_writer, &rs[i]), 0);
	}
	/* Swap for as long as the writers write, and an odd number of times
	 * in all, so the path ends up naming the other directory. */
	for (swaps = 0; racers_running(rs, RACE_THREADS) || swaps % 2 == 0; swaps++) {
		usleep(1000);
		assert_int_equal(renameat2(AT_FDCWD, runs, AT_FDCWD, other, RENAME_EXCHANGE), 0);
	}
	for (i = 0; i < RACE_THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (i = 0; i < RACE_THREADS; i++) {
		assert_int_equal(rs[i].failed, 0);
		for (j = 0; j < RACE_PUTS; j++) {
			snprintf(name, sizeof(name), "%s.json", rs[i].ids[j]);
			assert_true(exists(runs, name) != exists(other, name));
		}
	}
	/* Settled: writes go to, and the listing is, the directory the path
	 * names now. */
	assert_int_equal(put_run(st, "race", id, &err), 0);
	snprintf(name, sizeof(name), "%s.json", id);
	assert_true(exists(runs, name));
	for (i = 0; i < RACE_THREADS; i++)
		for (j = 0; j < RACE_PUTS; j++) {
			snprintf(name, sizeof(name), "%s.json", rs[i].ids[j]);
			n += (size_t)exists(runs, name);
		}
	assert_int_equal(count_listed(st), n + 1);
	ig_store_close(st);
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
		cmocka_unit_test_setup_teardown(test_stale_temps_swept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_after_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaced_while_writing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
