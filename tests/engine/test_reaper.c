/* test_reaper.c — background container removal against the real engine.
 *
 * Containers are created (never started) from a runtime image, handed to a
 * reaper and must be gone soon after; an engine that is unreachable at
 * first (a socket path that appears later) must not lose them. Every
 * container carries ignite.managed=1 and ignite.test.reaper=<this run> and
 * is removed at the end whatever happened. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "docker.h"
#include "reaper.h"
#include "timefmt.h"

#define IMAGE "ignite-runtime/node:24"

static struct {
	struct ig_docker *c;
	struct ig_docker_endpoint ep;
	char label[80];             /* ignite.test.reaper=<run> */
	char value[32];
	char tmpdir[64];
	bool have_image;
} g;

static int
group_setup(void **state)
{
	struct ig_docker_image *img = NULL;
	struct ig_err err;

	(void)state;
	snprintf(g.value, sizeof(g.value), "%ld%ld", (long)getpid(), (long)time(NULL));
	snprintf(g.label, sizeof(g.label), "ignite.test.reaper=%s", g.value);
	snprintf(g.tmpdir, sizeof(g.tmpdir), "/tmp/ignite-reaper-test.XXXXXX");
	if (mkdtemp(g.tmpdir) == NULL)
		return -1;
	if (ig_docker_endpoint_from_env(NULL, &g.ep, &err) != 0 ||
	    ig_docker_new(NULL, &g.c, &err) != 0 || ig_docker_ping(g.c, &err) != 0) {
		fprintf(stderr, "the reaper tests need a running Docker engine: %s\n", err.msg);
		return -1;
	}
	if (ig_docker_image_inspect(g.c, IMAGE, &img, &err) == 0) {
		g.have_image = true;
		ig_docker_image_free(img);
	} else {
		fprintf(stderr, "# %s: %s (make runtimes)\n", IMAGE, err.msg);
	}
	return 0;
}

static int
group_teardown(void **state)
{
	struct ig_docker_strv ids;
	char path[128];
	size_t i;

	(void)state;
	if (ig_docker_container_list(g.c, g.label, &ids, NULL) == 0) {
		for (i = 0; i < ids.n; i++)
			ig_docker_container_remove(g.c, ids.v[i], NULL);
		ig_docker_strv_free(&ids);
	}
	ig_docker_free(g.c);
	snprintf(path, sizeof(path), "%s/sock", g.tmpdir);
	unlink(path);
	rmdir(g.tmpdir);
	return 0;
}

/* A created, never started container of ours. */
static void
create_one(char id[IG_DOCKER_ID_LEN + 1])
{
	struct json_object *cfg = json_object_new_object(), *labels = json_object_new_object();
	struct json_object *cmd = json_object_new_array();
	struct ig_err err;

	json_object_object_add(labels, "ignite.managed", json_object_new_string("1"));
	json_object_object_add(labels, "ignite.test.reaper", json_object_new_string(g.value));
	json_object_array_add(cmd, json_object_new_string("true"));
	json_object_object_add(cfg, "Image", json_object_new_string(IMAGE));
	json_object_object_add(cfg, "Entrypoint", cmd);
	json_object_object_add(cfg, "Labels", labels);
	if (ig_docker_container_create(g.c, NULL, cfg, id, NULL, &err) != 0)
		fail_msg("create: %s", err.msg);
	json_object_put(cfg);
}

static bool
exists(const char *id)
{
	struct ig_docker_state st;
	struct ig_err err;

	if (ig_docker_container_inspect(g.c, id, &st, &err) == 0)
		return true;
	assert_int_equal(err.code, IG_ENOENT);
	return false;
}

static bool
wait_pending_zero(struct ig_reaper *r, long ms)
{
	int64_t end = ig_time_mono_ms() + ms;

	while (ig_reaper_pending(r) > 0) {
		if (ig_time_mono_ms() > end)
			return false;
		usleep(20 * 1000);
	}
	return true;
}

static struct ig_reaper *
new_reaper(const struct ig_docker_endpoint *ep, long retry_max_ms)
{
	struct ig_reaper_config cfg = { 0 };
	struct ig_reaper *r = NULL;
	struct ig_err err;

	cfg.endpoint = ep;
	cfg.retry_max_ms = retry_max_ms;
	if (ig_reaper_new(&cfg, &r, &err) != 0)
		fail_msg("reaper: %s", err.msg);
	return r;
}

static void
test_rejects_what_is_not_an_id(void **state)
{
	struct ig_reaper *r = new_reaper(&g.ep, 0);
	char upper[IG_DOCKER_ID_LEN + 1], longer[IG_DOCKER_ID_LEN + 2];

	(void)state;
	memset(upper, 'A', IG_DOCKER_ID_LEN);
	upper[IG_DOCKER_ID_LEN] = '\0';
	memset(longer, 'a', IG_DOCKER_ID_LEN + 1);
	longer[IG_DOCKER_ID_LEN + 1] = '\0';
	assert_int_equal(ig_reaper_add(r, NULL), -1);
	assert_int_equal(ig_reaper_add(r, ""), -1);
	assert_int_equal(ig_reaper_add(r, "abc"), -1);
	assert_int_equal(ig_reaper_add(r, "../containers"), -1);
	assert_int_equal(ig_reaper_add(r, upper), -1);
	assert_int_equal(ig_reaper_add(r, longer), -1);
	assert_int_equal(ig_reaper_add(NULL, longer), -1);
	assert_int_equal(ig_reaper_pending(r), 0);
	ig_reaper_free(r, 1000);
	ig_reaper_free(NULL, 0);
}

static void
test_removes_in_the_background(void **state)
{
	char ids[3][IG_DOCKER_ID_LEN + 1], gone[IG_DOCKER_ID_LEN + 1];
	struct ig_reaper *r;
	int i;

	(void)state;
	if (!g.have_image)
		skip();
	r = new_reaper(&g.ep, 0);
	for (i = 0; i < 3; i++)
		create_one(ids[i]);
	/* A container that is already gone counts as removed. */
	memset(gone, 'e', IG_DOCKER_ID_LEN);
	gone[IG_DOCKER_ID_LEN] = '\0';
	assert_int_equal(ig_reaper_add(r, gone), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(ig_reaper_add(r, ids[i]), 0);
	assert_true(wait_pending_zero(r, 30000));
	for (i = 0; i < 3; i++)
		assert_false(exists(ids[i]));
	ig_reaper_free(r, 1000);
}

static void
test_free_drains_the_queue(void **state)
{
	char ids[2][IG_DOCKER_ID_LEN + 1];
	struct ig_reaper *r;
	int i;

	(void)state;
	if (!g.have_image)
		skip();
	r = new_reaper(&g.ep, 0);
	for (i = 0; i < 2; i++)
		create_one(ids[i]);
	for (i = 0; i < 2; i++)
		assert_int_equal(ig_reaper_add(r, ids[i]), 0);
	ig_reaper_free(r, 30000);
	for (i = 0; i < 2; i++)
		assert_false(exists(ids[i]));
}

/* The engine is unreachable when the container is handed over (its socket
 * path does not exist yet) and reachable later: the reaper keeps retrying
 * and removes it; nothing is lost meanwhile. */
static void
test_retries_until_the_engine_is_back(void **state)
{
	struct ig_docker_endpoint ep;
	char id[IG_DOCKER_ID_LEN + 1], sock[128], host[160];
	struct ig_reaper *r;
	struct ig_err err;

	(void)state;
	if (!g.have_image || g.ep.transport != IG_DOCKER_UNIX)
		skip();
	snprintf(sock, sizeof(sock), "%s/sock", g.tmpdir);
	snprintf(host, sizeof(host), "unix://%s", sock);
	assert_int_equal(ig_docker_endpoint_parse(host, NULL, NULL, NULL, &ep, &err), 0);
	r = new_reaper(&ep, 200);
	create_one(id);
	assert_int_equal(ig_reaper_add(r, id), 0);
	usleep(700 * 1000);
	assert_int_equal(ig_reaper_pending(r), 1);
	assert_true(exists(id));
	/* The engine "comes back". */
	assert_int_equal(symlink(g.ep.socket_path, sock), 0);
	assert_true(wait_pending_zero(r, 30000));
	assert_false(exists(id));
	ig_reaper_free(r, 1000);
}

/* Shutting down while the engine is unreachable does not hang for the whole
 * drain period: the container is left for the next start-up sweep. */
static void
test_free_with_engine_down_returns(void **state)
{
	struct ig_docker_endpoint ep;
	char id[IG_DOCKER_ID_LEN + 1];
	struct ig_reaper *r;
	struct ig_err err;
	int64_t t0;

	(void)state;
	assert_int_equal(ig_docker_endpoint_parse("unix:///nonexistent/ignite-test.sock", NULL, NULL,
	    NULL, &ep, &err), 0);
	r = new_reaper(&ep, 0);
	memset(id, 'c', IG_DOCKER_ID_LEN);
	id[IG_DOCKER_ID_LEN] = '\0';
	assert_int_equal(ig_reaper_add(r, id), 0);
	t0 = ig_time_mono_ms();
	ig_reaper_free(r, 20000);
	assert_true(ig_time_mono_ms() - t0 < 5000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejects_what_is_not_an_id),
		cmocka_unit_test(test_removes_in_the_background),
		cmocka_unit_test(test_free_drains_the_queue),
		cmocka_unit_test(test_retries_until_the_engine_is_back),
		cmocka_unit_test(test_free_with_engine_down_returns),
	};

	return cmocka_run_group_tests_name("reaper", tests, group_setup, group_teardown);
}
