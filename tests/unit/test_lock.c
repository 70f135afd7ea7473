/* test_lock.c — ignite.lock: hashing, YAML round trip, each kind of drift,
 * strict parsing, symlink refusal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "lock.h"
#include "support.h"

#define SHA_HELLO "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"  /* "hello\n" */
#define SHA_PKG   "a1c5e150230b343ed793a951c4e0c11e2ba4872496cce306b50bde9a6c62a252"  /* {"name":"x"}\n */
#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_1M_A  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"  /* 10^6 × 'a' */

static void
remove_file(const char *dir, const char *name)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(unlink(path), 0);
}

static struct ig_lock *
compute_ok(const char *dir, const char *runtime, const char *image)
{
	struct ig_err err = {0};
	struct ig_lock *lock = NULL;

	if (ig_lock_compute(dir, runtime, image, &lock, &err) != 0)
		fail_msg("compute %s: %s", dir, err.msg);
	return lock;
}

static void
dump_diags(const struct ig_diags *d)
{
	char buf[700];
	size_t i;

	for (i = 0; i < d->n; i++)
		print_message("  got: %s\n", ig_diag_format(&d->v[i], buf, sizeof(buf)));
}

/* Diffs a and b and checks the lines, in order (NULL-terminated list). */
static void
expect_drift(const struct ig_lock *a, const struct ig_lock *b, const char *const *want)
{
	struct ig_lock_drift drift;
	struct ig_err err = {0};
	size_t i, n = 0;

	while (want[n] != NULL)
		n++;
	assert_int_equal(ig_lock_diff(a, b, &drift, &err), 0);
	if (drift.n != n) {
		for (i = 0; i < drift.n; i++)
			print_message("  got: %s\n", drift.v[i]);
		fail_msg("expected %zu differences, got %zu", n, drift.n);
	}
	for (i = 0; i < n; i++)
		assert_string_equal(drift.v[i], want[i]);
	ig_lock_drift_free(&drift);
}

/* ---- computing --------------------------------------------------------- */

static void
test_compute_hashes(void **state)
{
	const char *dir = scratch_case_dir(0755);
	struct ig_lock *lock;

	(void)state;
	file_write_in(dir, "package.json", "{\"name\":\"x\"}\n");
	file_write_in(dir, "yarn.lock", "hello\n");
	file_write_in(dir, "index.ts", "not hashed\n");
	file_write_in(dir, "Package.json", "not hashed either\n");
	lock = compute_ok(dir, "node@24.22.3", "ignite-runtime/node:24.22.3");
	assert_int_equal(lock->version, IG_LOCK_VERSION);
	assert_string_equal(lock->runtime, "node@24.22.3");
	assert_string_equal(lock->image, "ignite-runtime/node:24.22.3");
	assert_int_equal(lock->files_n, 2);
	assert_string_equal(lock->files[0].name, "package.json");
	assert_string_equal(lock->files[0].sha256, SHA_PKG);
	assert_string_equal(lock->files[1].name, "yarn.lock");
	assert_string_equal(lock->files[1].sha256, SHA_HELLO);
	ig_lock_free(lock);
	ig_lock_free(NULL);
}

static void
test_compute_all_files_in_canonical_order(void **state)
{
	static const char *const order[] = {
		"package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock",
		"pnpm-lock.yaml", "bun.lock", "bun.lockb", "deno.lock",
	};
	const char *dir = scratch_case_dir(0755);
	struct ig_lock *lock;
	size_t i;

	(void)state;
	for (i = 8; i-- > 0; )
		file_write_in(dir, order[i], "");
	lock = compute_ok(dir, "bun@1.4.5", NULL);
	assert_null(lock->image);
	assert_int_equal(lock->files_n, 8);
	for (i = 0; i < 8; i++) {
		assert_string_equal(lock->files[i].name, order[i]);
		assert_string_equal(lock->files[i].sha256, SHA_EMPTY);
	}
	ig_lock_free(lock);
}

static void
test_compute_empty_dir_and_empty_image(void **state)
{
	const char *dir = scratch_case_dir(0755);
	struct ig_lock *lock = compute_ok(dir, "deno@2.9.6", "");

	(void)state;
	assert_int_equal(lock->files_n, 0);
	assert_null(lock->image);      /* "" means none */
	ig_lock_free(lock);
}

static void
test_compute_streams_large_files(void **state)
{
	const char *dir = scratch_case_dir(0755);
	char path[600];
	struct ig_lock *lock;
	char *big = malloc(1000001);
	int fd;

	(void)state;
	memset(big, 'a', 1000000);
	big[1000000] = '\0';
	file_write_in(dir, "package-lock.json", big);
	free(big);
	lock = compute_ok(dir, "node@24", NULL);
	assert_string_equal(lock->files[0].sha256, SHA_1M_A);
	ig_lock_free(lock);

	/* Larger than the limit (sparse, so it costs no disk): refused. */
	snprintf(path, sizeof(path), "%s/yarn.lock", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)IG_HASHED_FILE_MAX + 1), 0);
	close(fd);
	{
		struct ig_err err = {0};

		lock = NULL;
		assert_int_equal(ig_lock_compute(dir, "node@24", NULL, &lock, &err), -1);
		assert_null(lock);
		assert_int_equal(err.code, IG_ETOOBIG);
		assert_non_null(strstr(err.msg, "yarn.lock"));
	}
}

static void
test_compute_symlink_refused(void **state)
{
	const char *dir = scratch_case_dir(0755);
	struct ig_err err = {0};
	struct ig_lock *lock = NULL;
	char path[600], secret[600];

	(void)state;
	snprintf(path, sizeof(path), "%s/package.json", dir);
	assert_int_equal(symlink("/etc/shadow", path), 0);
	assert_int_equal(ig_lock_compute(dir, "node@24", NULL, &lock, &err), -1);
	assert_null(lock);
	assert_int_equal(err.code, IG_EPERM);
	assert_non_null(strstr(err.msg, "package.json"));
	assert_null(strstr(err.msg, "root:"));

	/* A readable outside file: still refused, never hashed. */
	assert_int_equal(unlink(path), 0);
	file_write_in(scratch_dir(), "secret.json", "root:SECRET\n");
	snprintf(secret, sizeof(secret), "%s/secret.json", scratch_dir());
	assert_int_equal(symlink(secret, path), 0);
	assert_int_equal(ig_lock_compute(dir, "node@24", NULL, &lock, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_null(strstr(err.msg, "SECRET"));

	/* Relative escape of a lockfile. */
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/yarn.lock", dir);
	assert_int_equal(symlink("../secret.json", path), 0);
	assert_int_equal(ig_lock_compute(dir, "node@24", NULL, &lock, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_non_null(strstr(err.msg, "yarn.lock"));
}

static void
test_compute_symlink_inside_and_odd_files(void **state)
{
	const char *dir = scratch_case_dir(0755);
	struct ig_err err = {0};
	struct ig_lock *lock = NULL;
	char path[600];

	(void)state;
	file_write_in(dir, "real.json", "hello\n");
	snprintf(path, sizeof(path), "%s/package.json", dir);
	assert_int_equal(symlink("real.json", path), 0);
	lock = compute_ok(dir, "node@24", NULL);
	assert_string_equal(lock->files[0].sha256, SHA_HELLO);
	ig_lock_free(lock);
	lock = NULL;

	/* A directory or a FIFO under a hashed name is refused (and never blocks). */
	snprintf(path, sizeof(path), "%s/bun.lock", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(ig_lock_compute(dir, "node@24", NULL, &lock, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(ig_lock_compute(dir, "node@24", NULL, &lock, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_null(lock);
}

static void
test_compute_bad_arguments(void **state)
{
	const char *dir = scratch_case_dir(0755);
	struct ig_err err = {0};
	struct ig_lock *lock = NULL;
	char longer[300];

	(void)state;
	assert_int_equal(ig_lock_compute(dir, NULL, NULL, &lock, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(ig_lock_compute(dir, "", NULL, &lock, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(ig_lock_compute(dir, "node\"@24", NULL, &lock, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(ig_lock_compute(dir, "node@24\nx: 1", NULL, &lock, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(ig_lock_compute(dir, "node@24", "img\\x", &lock, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(ig_lock_compute(dir, longer, NULL, &lock, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_null(lock);

	assert_int_equal(ig_lock_compute("/nonexistent/ignite-dir", "node@24", NULL, &lock, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
}

/* ---- text, write, load ------------------------------------------------- */

static void
test_yaml_text(void **state)
{
	const char *dir = scratch_case_dir(0755);
	struct ig_err err = {0};
	struct ig_lock *lock;
	size_t len = 0;
	char *text;

	(void)state;
	file_write_in(dir, "package.json", "hello\n");
	lock = compute_ok(dir, "node@24.22.3", "ignite-runtime/node:24.22.3");
	text = ig_lock_to_yaml(lock, &len, &err);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	assert_non_null(strstr(text, "\nlockfileVersion: 1\n"));
	assert_non_null(strstr(text, "\nruntime: \"node@24.22.3\"\n"));
	assert_non_null(strstr(text, "\nimage: \"ignite-runtime/node:24.22.3\"\n"));
	assert_non_null(strstr(text, "\nsha256:\n  \"package.json\": \"" SHA_HELLO "\"\n"));
	assert_int_equal(text[0], '#');
	free(text);
	ig_lock_free(lock);

	lock = compute_ok(scratch_case_dir(0755), "bun", NULL);
	text = ig_lock_to_yaml(lock, NULL, &err);
	assert_null(strstr(text, "image:"));
	assert_non_null(strstr(text, "\nsha256: {}\n"));
	free(text);
	ig_lock_free(lock);
}

static void
test_roundtrip_write_load(void **state)
{
	const char *dir = scratch_case_dir(0755);
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_lock *lock, *loaded = NULL, *again;
	struct json_object *j;
	char path[600];
	struct stat st;
	static const char *const none[] = { NULL };

	(void)state;
	file_write_in(dir, "package.json", "{\"name\":\"x\"}\n");
	file_write_in(dir, "pnpm-lock.yaml", "hello\n");
	file_write_in(dir, "bun.lockb", "");
	lock = compute_ok(dir, "node@24.22.3", "ignite-runtime/node:24.22.3");
	assert_int_equal(ig_lock_write(dir, lock, &err), 0);
	snprintf(path, sizeof(path), "%s/ignite.lock", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);

	if (ig_lock_load(dir, &loaded, &d, &err) != 0) {
		dump_diags(&d);
		fail_msg("load: %s", err.msg);
	}
	assert_int_equal(loaded->version, 1);
	assert_string_equal(loaded->runtime, lock->runtime);
	assert_string_equal(loaded->image, lock->image);
	assert_int_equal(loaded->files_n, 3);
	assert_string_equal(loaded->files[1].name, "pnpm-lock.yaml");
	assert_string_equal(loaded->files[1].sha256, SHA_HELLO);
	expect_drift(loaded, lock, none);

	/* Writing the lock does not change the lock (ignite.lock is not hashed). */
	again = compute_ok(dir, "node@24.22.3", "ignite-runtime/node:24.22.3");
	expect_drift(loaded, again, none);

	j = ig_lock_to_json(loaded);
	assert_string_equal(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "{\"lockfileVersion\":1,\"runtime\":\"node@24.22.3\",\"image\":\"ignite-runtime/node:24.22.3\","
	    "\"sha256\":{\"package.json\":\"" SHA_PKG "\",\"pnpm-lock.yaml\":\"" SHA_HELLO "\","
	    "\"bun.lockb\":\"" SHA_EMPTY "\"}}");
	json_object_put(j);

	/* Overwriting is atomic and replaces the old content. */
	ig_lock_free(again);
	again = compute_ok(dir, "node@24.23.0", NULL);
	assert_int_equal(ig_lock_write(dir, again, &err), 0);
	ig_lock_free(loaded);
	loaded = NULL;
	assert_int_equal(ig_lock_load(dir, &loaded, &d, &err), 0);
	assert_string_equal(loaded->runtime, "node@24.23.0");
	assert_null(loaded->image);
	j = ig_lock_to_json(loaded);
	assert_non_null(strstr(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN), "\"image\":null"));
	json_object_put(j);

	ig_lock_free(lock);
	ig_lock_free(again);
	ig_lock_free(loaded);
}

static void
test_load_missing_and_refused(void **state)
{
	const char *dir = scratch_case_dir(0755);
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_lock *lock = NULL;
	char path[600];

	(void)state;
	assert_int_equal(ig_lock_load(dir, &lock, &d, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	assert_null(lock);

	snprintf(path, sizeof(path), "%s/ignite.lock", dir);
	assert_int_equal(symlink("/etc/shadow", path), 0);
	assert_int_equal(ig_lock_load(dir, &lock, &d, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_null(strstr(err.msg, "root:"));
	assert_int_equal(d.n, 0);
}

/* Parses text expecting exactly one problem at line containing want. */
static void
parse_expect_one(const char *text, int line, const char *want)
{
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_lock *lock = NULL;

	assert_int_equal(ig_lock_parse(text, strlen(text), "ignite.lock", &lock, &d, &err), -1);
	assert_null(lock);
	assert_int_equal(err.code, IG_EINVAL);
	if (d.n != 1 || d.v[0].line != line || strstr(d.v[0].msg, want) == NULL) {
		dump_diags(&d);
		fail_msg("expected exactly ignite.lock:%d: …%s…\nfor:\n%s", line, want, text);
	}
	ig_diags_free(&d);
}

#define HDR "lockfileVersion: 1\nruntime: node@24\n"

static void
test_parse_strict(void **state)
{
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_lock *lock = NULL;
	const char *ok = HDR "sha256:\n  yarn.lock: " SHA_HELLO "\n  package.json: " SHA_PKG "\n";

	(void)state;
	/* Hand-written but valid: sorted into canonical order. */
	assert_int_equal(ig_lock_parse(ok, strlen(ok), "ignite.lock", &lock, &d, &err), 0);
	assert_int_equal(lock->files_n, 2);
	assert_string_equal(lock->files[0].name, "package.json");
	assert_string_equal(lock->files[1].name, "yarn.lock");
	ig_lock_free(lock);

	parse_expect_one("runtime: node@24\n", 0, "lockfileVersion is required");
	parse_expect_one("lockfileVersion: 1\n", 0, "runtime is required");
	parse_expect_one("lockfileVersion: 2\nruntime: node@24\n", 1, "lockfileVersion 2 is not supported");
	parse_expect_one("lockfileVersion: \"1\"\nruntime: node@24\n", 1, "lockfileVersion must be an integer");
	parse_expect_one("lockfileVersion: one\nruntime: node@24\n", 1, "lockfileVersion must be an integer");
	parse_expect_one(HDR "runtime2: x\n", 3, "runtime2: unknown key");
	parse_expect_one(HDR "images: x\n", 3, "images: unknown key (did you mean image?)");
	parse_expect_one("lockfileVersion: 1\nruntime: [node]\n", 2, "runtime must be a string");
	parse_expect_one("lockfileVersion: 1\nruntime: \"node\\t24\"\n", 2, "runtime must be printable ASCII");
	parse_expect_one(HDR "image: \"\"\n", 3, "image must be a non-empty string");
	parse_expect_one(HDR "sha256: [package.json]\n", 3, "sha256 must be a mapping");
	parse_expect_one(HDR "sha256:\n  node_modules/x: " SHA_HELLO "\n", 4,
	    "sha256.node_modules/x is not a file Ignite hashes");
	parse_expect_one(HDR "sha256:\n  package.json: abc\n", 4,
	    "sha256.package.json must be a SHA-256 digest (64 lowercase hex digits)");
	parse_expect_one(HDR "sha256:\n  package.json: " "5891B5B522D5DF086D0FF0B110FBD9D21BB4FC7163AF34D08286A2E846F6BE03" "\n", 4,
	    "must be a SHA-256 digest");
	parse_expect_one(HDR "sha256:\n  package.json: [x]\n", 4, "sha256.package.json must be a scalar value");
	parse_expect_one(HDR "sha256:\n  package.json: " SHA_HELLO "\n  package.json: " SHA_HELLO "\n", 5,
	    "duplicate key");
	parse_expect_one(HDR "sha256: {\n", 4, "YAML syntax error");
	parse_expect_one("[1, 2]\n", 1, "the document must be a mapping");
}

static void
test_load_invalid_file(void **state)
{
	const char *dir = scratch_case_dir(0755);
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_lock *lock = NULL;

	(void)state;
	file_write_in(dir, "ignite.lock", "lockfileVersion: 1\nruntime: node@24\nsha256: { yarn.lock: nope }\n");
	assert_int_equal(ig_lock_load(dir, &lock, &d, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].file, "ignite.lock");
	assert_int_equal(d.v[0].line, 3);
	ig_diags_free(&d);
}

/* ---- drift ------------------------------------------------------------- */

static void
test_drift_each_kind(void **state)
{
	const char *dir = scratch_case_dir(0755);
	struct ig_lock *before, *after;

	(void)state;
	file_write_in(dir, "package.json", "{\"name\":\"x\"}\n");
	file_write_in(dir, "package-lock.json", "{}\n");
	before = compute_ok(dir, "node@24.22.3", "ignite-runtime/node:24.22.3");

	/* Runtime only. */
	after = compute_ok(dir, "node@24.23.0", "ignite-runtime/node:24.22.3");
	{
		static const char *const want[] = { "runtime: node@24.22.3 \u2192 node@24.23.0", NULL };
		expect_drift(before, after, want);
	}
	ig_lock_free(after);

	/* Image changed, removed. */
	after = compute_ok(dir, "node@24.22.3", "registry.example/node:24");
	{
		static const char *const want[] = {
			"image: ignite-runtime/node:24.22.3 \u2192 registry.example/node:24", NULL };
		expect_drift(before, after, want);
	}
	ig_lock_free(after);
	after = compute_ok(dir, "node@24.22.3", NULL);
	{
		static const char *const want[] = { "image: ignite-runtime/node:24.22.3 \u2192 (none)", NULL };
		expect_drift(before, after, want);
	}
	ig_lock_free(after);

	/* package.json content changed. */
	file_write_in(dir, "package.json", "hello\n");
	after = compute_ok(dir, "node@24.22.3", "ignite-runtime/node:24.22.3");
	{
		static const char *const want[] = {
			"package.json: sha256 changed (a1c5e150\u2026 \u2192 5891b5b5\u2026)", NULL };
		expect_drift(before, after, want);
	}
	ig_lock_free(after);

	/* A lockfile added, another removed, everything at once, in a stable order. */
	file_write_in(dir, "yarn.lock", "hello\n");
	remove_file(dir, "package-lock.json");
	after = compute_ok(dir, "bun@1.4.5", NULL);
	{
		static const char *const want[] = {
			"runtime: node@24.22.3 \u2192 bun@1.4.5",
			"image: ignite-runtime/node:24.22.3 \u2192 (none)",
			"package.json: sha256 changed (a1c5e150\u2026 \u2192 5891b5b5\u2026)",
			"package-lock.json: removed",
			"yarn.lock: added",
			NULL };
		expect_drift(before, after, want);
	}
	/* And the reverse direction. */
	{
		static const char *const want[] = {
			"runtime: bun@1.4.5 \u2192 node@24.22.3",
			"image: (none) \u2192 ignite-runtime/node:24.22.3",
			"package.json: sha256 changed (5891b5b5\u2026 \u2192 a1c5e150\u2026)",
			"package-lock.json: added",
			"yarn.lock: removed",
			NULL };
		expect_drift(after, before, want);
	}
	ig_lock_free(after);
	ig_lock_free(before);
	ig_lock_drift_free(NULL);
}

static void
test_check_workflow(void **state)
{
	/* What `ignite lock --check` does: load, recompute with the recorded
	 * runtime, compare. */
	const char *dir = scratch_case_dir(0755);
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_lock *locked = NULL, *now;
	struct ig_lock_drift drift;

	(void)state;
	file_write_in(dir, "package.json", "{}\n");
	now = compute_ok(dir, "node@24.22.3", NULL);
	assert_int_equal(ig_lock_write(dir, now, &err), 0);
	ig_lock_free(now);

	file_write_in(dir, "deno.lock", "{}\n");
	assert_int_equal(ig_lock_load(dir, &locked, &d, &err), 0);
	now = compute_ok(dir, locked->runtime, locked->image);
	assert_int_equal(ig_lock_diff(locked, now, &drift, &err), 0);
	assert_int_equal(drift.n, 1);
	assert_string_equal(drift.v[0], "deno.lock: added");
	ig_lock_drift_free(&drift);
	assert_int_equal(drift.n, 0);
	ig_lock_free(now);
	ig_lock_free(locked);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compute_hashes),
		cmocka_unit_test(test_compute_all_files_in_canonical_order),
		cmocka_unit_test(test_compute_empty_dir_and_empty_image),
		cmocka_unit_test(test_compute_streams_large_files),
		cmocka_unit_test(test_compute_symlink_refused),
		cmocka_unit_test(test_compute_symlink_inside_and_odd_files),
		cmocka_unit_test(test_compute_bad_arguments),
		cmocka_unit_test(test_yaml_text),
		cmocka_unit_test(test_roundtrip_write_load),
		cmocka_unit_test(test_load_missing_and_refused),
		cmocka_unit_test(test_parse_strict),
		cmocka_unit_test(test_load_invalid_file),
		cmocka_unit_test(test_drift_each_kind),
		cmocka_unit_test(test_check_workflow),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
