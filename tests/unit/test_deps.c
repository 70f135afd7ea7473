/* test_deps.c — counting node_modules packages without following symlinks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deps.h"
#include "bounds.h"
#include "support.h"

struct tree {
	char root[32];
};

/* Creates every missing directory of root/rel (like mkdir -p). */
static void
mkdirs(const char *root, const char *rel)
{
	char path[512];
	size_t n = (size_t)snprintf(path, sizeof(path), "%s/%s", root, rel);

	assert_true(n < sizeof(path));
	for (char *p = path + strlen(root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", path, strerror(errno));
}

/* Writes a file of size bytes at root/rel, creating its directories. */
static void
mkfile(const char *root, const char *rel, size_t size)
{
	char path[512], dir[512], *slash;
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s", rel);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		mkdirs(root, dir);
	}
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_non_null(fp = fopen(path, "w"));
	for (size_t i = 0; i < size; i++)
		fputc('x', fp);
	assert_int_equal(fclose(fp), 0);
}

static void
mklink(const char *root, const char *rel, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (symlink(target, path) != 0)
		fail_msg("symlink %s: %s", path, strerror(errno));
}

static int
setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -1;
	if (scratch_make(t->root, sizeof(t->root), "deps") != 0)
		return -1;
	*state = t;
	return 0;
}

static int
teardown(void **state)
{
	struct tree *t = *state;
	int rc = scratch_remove(t->root);

	free(t);
	return rc;
}

static struct ig_deps
scan(const char *root)
{
	struct ig_deps d;
	struct ig_err err = {0};

	if (ig_deps_scan(root, &d, &err) != 0)
		fail_msg("scan %s: %s", root, err.msg);
	return d;
}

static struct ig_deps
scan_limits(const char *root, size_t max_entries, int max_depth)
{
	struct ig_deps d;
	struct ig_err err = {0};
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	if (ig_deps_scan_at(fd, max_entries, max_depth, &d, &err) != 0)
		fail_msg("scan %s: %s", root, err.msg);
	close(fd);
	return d;
}

static void
test_no_node_modules(void **state)
{
	struct tree *t = *state;
	struct ig_deps d;

	mkfile(t->root, "index.js", 10);
	d = scan(t->root);
	assert_int_equal(d.count, 0);
	assert_int_equal(d.bytes, 0);
	assert_false(d.partial);
	assert_string_equal(d.note, "");

	/* An empty node_modules: nothing either. */
	mkdirs(t->root, "node_modules");
	d = scan(t->root);
	assert_int_equal(d.count, 0);
	assert_int_equal(d.bytes, 0);
}

static void
test_missing_dir(void **state)
{
	struct ig_deps d;
	struct ig_err err = {0};

	(void)state;
	assert_int_equal(ig_deps_scan("/nonexistent/service", &d, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	assert_int_equal(d.count, 0);
}

static void
test_top_level_and_scoped(void **state)
{
	struct tree *t = *state;
	struct ig_deps d;

	mkfile(t->root, "node_modules/lodash/package.json", 100);
	mkfile(t->root, "node_modules/lodash/index.js", 1000);
	mkfile(t->root, "node_modules/left-pad/package.json", 50);
	mkfile(t->root, "node_modules/JSONStream/package.json", 5);    /* legacy uppercase name */
	mkfile(t->root, "node_modules/@types/node/package.json", 20);
	mkfile(t->root, "node_modules/@types/express/index.d.ts", 30);
	mkfile(t->root, "node_modules/@babel/core/lib/index.js", 40);
	mkdirs(t->root, "node_modules/@empty-scope");                  /* a scope alone is no package */
	d = scan(t->root);
	assert_int_equal(d.count, 6);
	assert_int_equal(d.bytes, 100 + 1000 + 50 + 5 + 20 + 30 + 40);
	assert_false(d.partial);
}

static void
test_dot_entries_skipped(void **state)
{
	struct tree *t = *state;
	struct ig_deps d;

	mkfile(t->root, "node_modules/a/package.json", 10);
	mkdirs(t->root, "node_modules/.bin");
	mklink(t->root, "node_modules/.bin/a", "../a/cli.js");
	mkfile(t->root, "node_modules/.package-lock.json", 7);
	mkfile(t->root, "node_modules/.cache/x/y.bin", 3);
	/* pnpm's store: bytes count, packages inside do not (their links do). */
	mkfile(t->root, "node_modules/.pnpm/b@1.0.0/node_modules/b/package.json", 11);
	mklink(t->root, "node_modules/b", ".pnpm/b@1.0.0/node_modules/b");
	/* Names that cannot be packages. */
	mkfile(t->root, "node_modules/_private/package.json", 2);
	mkfile(t->root, "node_modules/bad name/package.json", 2);
	mkfile(t->root, "node_modules/README.md", 1);
	d = scan(t->root);
	assert_int_equal(d.count, 2);                  /* a, and the link b */
	assert_int_equal(d.bytes, 10 + 7 + 3 + 11 + 2 + 2 + 1);
}

static void
test_nested(void **state)
{
	struct tree *t = *state;
	struct ig_deps d;

	mkfile(t->root, "node_modules/a/package.json", 1);
	mkfile(t->root, "node_modules/a/node_modules/b/package.json", 1);
	mkfile(t->root, "node_modules/a/node_modules/b/node_modules/c/package.json", 1);
	mkfile(t->root, "node_modules/a/node_modules/@s/d/package.json", 1);
	mkfile(t->root, "node_modules/@scope/x/node_modules/e/package.json", 1);
	mkfile(t->root, "node_modules/a/lib/node_modules/f/package.json", 1);
	mkdirs(t->root, "node_modules/a/node_modules/.bin");
	d = scan(t->root);
	/* a, b, c, @s/d, @scope/x, e, f */
	assert_int_equal(d.count, 7);
	assert_int_equal(d.bytes, 6);
	assert_false(d.partial);
}

static void
test_symlinks_not_followed(void **state)
{
	struct tree *t = *state;
	struct ig_deps d;

	mkfile(t->root, "node_modules/a/package.json", 10);
	mklink(t->root, "node_modules/rootfs", "/");
	mklink(t->root, "node_modules/etc", "/etc");
	mklink(t->root, "node_modules/a/lib", "/etc");
	mklink(t->root, "node_modules/a/node_modules", "/usr/lib");
	mkdirs(t->root, "node_modules/@scope");
	mklink(t->root, "node_modules/@scope/linked", "../a");
	mklink(t->root, "node_modules/@outside", "/usr");
	mklink(t->root, "node_modules/shadow.json", "/etc/shadow");
	d = scan(t->root);
	/* a, rootfs, etc, shadow.json (a valid package name), @scope/linked:
	 * links named like packages count once, and nothing behind any link is
	 * visited; @outside is a link, not a scope directory, so not entered. */
	assert_int_equal(d.count, 5);
	assert_int_equal(d.bytes, 10);
	assert_true(d.entries < 20);
	assert_false(d.partial);
}

static void
test_node_modules_is_symlink(void **state)
{
	struct tree *t = *state;
	struct ig_deps d;
	char path[64];

	mkfile(t->root, "elsewhere/a/package.json", 10);
	mkfile(t->root, "elsewhere/b/package.json", 10);
	mklink(t->root, "node_modules", "elsewhere");
	d = scan(t->root);
	assert_int_equal(d.count, 0);
	assert_int_equal(d.bytes, 0);
	assert_true(d.partial);
	assert_non_null(strstr(d.note, "symlink"));

	snprintf(path, sizeof(path), "%s/node_modules", t->root);
	assert_int_equal(unlink(path), 0);
	mklink(t->root, "node_modules", "/usr/lib");
	d = scan(t->root);
	assert_int_equal(d.count, 0);
	assert_true(d.partial);
}

static void
test_node_modules_is_file(void **state)
{
	struct tree *t = *state;
	struct ig_deps d;

	mkfile(t->root, "node_modules", 100);
	d = scan(t->root);
	assert_int_equal(d.count, 0);
	assert_int_equal(d.bytes, 0);
	assert_false(d.partial);
}

static void
test_entry_limit(void **state)
{
	struct tree *t = *state;
	struct ig_deps d;
	char rel[64];

	for (int i = 0; i < 10; i++) {
		snprintf(rel, sizeof(rel), "node_modules/p%d/package.json", i);
		mkfile(t->root, rel, 1);
	}
	d = scan_limits(t->root, 5, IG_DEPS_SCAN_MAX_DEPTH);
	assert_true(d.partial);
	assert_int_equal(d.entries, 5);
	assert_true(d.count >= 1 && d.count <= 5);
	assert_non_null(strstr(d.note, "stopped after 5 entries"));

	/* Exactly at the limit is complete: 10 dirs + 10 files. */
	d = scan_limits(t->root, 20, IG_DEPS_SCAN_MAX_DEPTH);
	assert_false(d.partial);
	assert_int_equal(d.count, 10);
	assert_int_equal(d.entries, 20);
}

static void
test_depth_limit(void **state)
{
	struct tree *t = *state;
	struct ig_deps d;

	mkfile(t->root, "node_modules/a/node_modules/b/node_modules/c/package.json", 1);
	/* depth 1: a is read, a/node_modules is seen but not entered. */
	d = scan_limits(t->root, 1000, 1);
	assert_true(d.partial);
	assert_int_equal(d.count, 1);
	assert_non_null(strstr(d.note, "deeper than 1"));
	/* depth 2: b is counted, not entered. */
	d = scan_limits(t->root, 1000, 2);
	assert_true(d.partial);
	assert_int_equal(d.count, 2);
	/* a(1) a/nm(2) b(3) b/nm(4) c(5): complete at depth 5. */
	d = scan_limits(t->root, 1000, 5);
	assert_false(d.partial);
	assert_int_equal(d.count, 3);
	assert_int_equal(d.bytes, 1);
}

static void
test_deep_tree_default_limit(void **state)
{
	struct tree *t = *state;
	char rel[1024];
	size_t n = 0;
	struct ig_deps d;

	/* 70 nested directories inside one package: more than the default depth. */
	n += (size_t)snprintf(rel + n, sizeof(rel) - n, "node_modules/deep");
	for (int i = 0; i < IG_DEPS_SCAN_MAX_DEPTH + 6; i++)
		n += (size_t)snprintf(rel + n, sizeof(rel) - n, "/d");
	assert_true(n < sizeof(rel) - 20);
	mkdirs(t->root, rel);
	d = scan(t->root);
	assert_int_equal(d.count, 1);
	assert_true(d.partial);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_node_modules, setup, teardown),
		cmocka_unit_test(test_missing_dir),
		cmocka_unit_test_setup_teardown(test_top_level_and_scoped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dot_entries_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_modules_is_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_modules_is_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deep_tree_default_limit, setup, teardown),
	};

	return cmocka_run_group_tests_name("deps", tests, NULL, NULL);
}
