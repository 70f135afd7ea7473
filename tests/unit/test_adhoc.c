/* test_adhoc.c — ad-hoc runs: file validation (one case per rule), strict
 * base64, runtime patterns, limits, the per-run directory (modes, no
 * symlink following on removal), the report's view of the files, and the
 * in-memory service. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adhoc.h"
#include "bounds.h"
#include "policy.h"
#include "preflight.h"
#include "runtime.h"
#include "service.h"
#include "support.h"

#define FIXTURE "tests/unit/fixtures/runtimes-basic.json"

static struct ig_adhoc_profile
profile(void)
{
	struct ig_adhoc_profile p;

	ig_adhoc_profile_defaults(&p);
	p.work_dir = scratch_dir();
	return p;
}

/* Adds name with text content; returns the result, field in `field`. */
static int
add(struct ig_adhoc_files *fs, const struct ig_adhoc_profile *p, const char *name,
    const char *text, char *field, struct ig_err *err)
{
	return ig_adhoc_files_add(fs, p, name, text, strlen(text), false, field,
	    IG_ADHOC_FIELD_MAX, err);
}

/* Expects adding name to fail with code, naming want_field, message containing want. */
static void
expect_bad_name(const char *name, int code, const char *want_field, const char *want)
{
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX] = "";

	assert_int_equal(add(&fs, &p, name, "x", field, &err), -1);
	assert_int_equal(err.code, code);
	assert_string_equal(field, want_field);
	assert_non_null(strstr(err.msg, want_field));
	if (strstr(err.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	assert_int_equal(fs.n, 0);
	ig_adhoc_files_free(&fs);
}

/* ---- names: one case per rule ---------------------------------------- */

static void
test_name_ok(void **state)
{
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX];

	(void)state;
	assert_int_equal(add(&fs, &p, "index.ts", "export {}", field, &err), 0);
	assert_int_equal(add(&fs, &p, "lib/util.ts", "export const x = 1", field, &err), 0);
	assert_int_equal(add(&fs, &p, "lib/deep/a.js", "", field, &err), 0);
	assert_int_equal(fs.n, 3);
	assert_int_equal(fs.total, strlen("export {}") + strlen("export const x = 1"));
	assert_string_equal(fs.v[1].name, "lib/util.ts");
	ig_adhoc_files_free(&fs);
	assert_int_equal(fs.n, 0);
	ig_adhoc_files_free(NULL);
}

static void
test_name_empty(void **state)
{
	(void)state;
	expect_bad_name("", IG_EINVAL, "files[\"\"]", "must not be empty");
}

static void
test_name_absolute(void **state)
{
	(void)state;
	expect_bad_name("/etc/passwd", IG_EINVAL, "files[\"/etc/passwd\"]", "relative");
}

static void
test_name_traversal(void **state)
{
	(void)state;
	expect_bad_name("../escape.js", IG_EINVAL, "files[\"../escape.js\"]", "\"..\"");
	expect_bad_name("lib/../../x.js", IG_EINVAL, "files[\"lib/../../x.js\"]", "\"..\"");
	expect_bad_name("..", IG_EINVAL, "files[\"..\"]", "\"..\"");
}

static void
test_name_dot_and_empty_components(void **state)
{
	(void)state;
	expect_bad_name("./index.js", IG_EINVAL, "files[\"./index.js\"]", "plain relative path");
	expect_bad_name("lib//a.js", IG_EINVAL, "files[\"lib//a.js\"]", "plain relative path");
	expect_bad_name("lib/", IG_EINVAL, "files[\"lib/\"]", "plain relative path");
}

static void
test_name_control_and_backslash(void **state)
{
	(void)state;
	expect_bad_name("a\nb.js", IG_EINVAL, "files[\"a\\x0ab.js\"]", "control");
	expect_bad_name("a\\b.js", IG_EINVAL, "files[\"a\\x5cb.js\"]", "backslash");
}

static void
test_name_too_long(void **state)
{
	char name[IG_ADHOC_NAME_MAX + 2];
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX];

	(void)state;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(add(&fs, &p, name, "x", field, &err), -1);
	assert_non_null(strstr(err.msg, "longer than 255 bytes"));
	/* The field is cut, not the buffer overrun. */
	assert_true(strlen(field) < IG_ADHOC_FIELD_MAX);
	assert_non_null(strstr(field, "...\"]"));
	ig_adhoc_files_free(&fs);
}

static void
test_name_too_deep(void **state)
{
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX];

	(void)state;
	p.max_depth = 3;
	assert_int_equal(add(&fs, &p, "a/b/c.js", "", field, &err), 0);
	assert_int_equal(add(&fs, &p, "a/b/c/d.js", "", field, &err), -1);
	assert_string_equal(field, "files[\"a/b/c/d.js\"]");
	assert_non_null(strstr(err.msg, "4 levels deep; at most 3"));
	ig_adhoc_files_free(&fs);
}

static void
test_name_conflicts(void **state)
{
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX];

	(void)state;
	assert_int_equal(add(&fs, &p, "lib", "", field, &err), 0);
	assert_int_equal(add(&fs, &p, "lib/a.js", "", field, &err), -1);
	assert_non_null(strstr(err.msg, "both a file and a directory"));
	assert_int_equal(add(&fs, &p, "x/y.js", "", field, &err), 0);
	assert_int_equal(add(&fs, &p, "x", "", field, &err), -1);
	assert_int_equal(add(&fs, &p, "x/y.js", "", field, &err), -1);
	assert_non_null(strstr(err.msg, "twice"));
	/* A name that merely starts like another is not inside it. */
	assert_int_equal(add(&fs, &p, "x/y.jsx", "", field, &err), 0);
	assert_int_equal(fs.n, 3);
	ig_adhoc_files_free(&fs);
}

/* ---- bounds ------------------------------------------------------------- */

static void
test_too_many_files(void **state)
{
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX], name[16];
	int i;

	(void)state;
	p.max_files = 3;
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "f%d.js", i);
		assert_int_equal(add(&fs, &p, name, "", field, &err), 0);
	}
	assert_int_equal(add(&fs, &p, "f3.js", "", field, &err), -1);
	assert_int_equal(err.code, IG_ETOOBIG);
	assert_string_equal(field, "files");
	assert_non_null(strstr(err.msg, "more than 3 files"));
	ig_adhoc_files_free(&fs);
}

static void
test_file_too_big(void **state)
{
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX];

	(void)state;
	p.max_file_bytes = 4;
	assert_int_equal(add(&fs, &p, "a.js", "1234", field, &err), 0);
	assert_int_equal(add(&fs, &p, "b.js", "12345", field, &err), -1);
	assert_int_equal(err.code, IG_ETOOBIG);
	assert_string_equal(field, "files[\"b.js\"]");
	assert_non_null(strstr(err.msg, "at most 4"));
	ig_adhoc_files_free(&fs);
}

static void
test_total_too_big(void **state)
{
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX];

	(void)state;
	p.max_total_bytes = 6;
	assert_int_equal(add(&fs, &p, "a.js", "1234", field, &err), 0);
	assert_int_equal(add(&fs, &p, "b.js", "12", field, &err), 0);
	assert_int_equal(add(&fs, &p, "c.js", "1", field, &err), -1);
	assert_int_equal(err.code, IG_ETOOBIG);
	assert_string_equal(field, "files");
	assert_non_null(strstr(err.msg, "more than 6 bytes in all"));
	assert_int_equal(fs.total, 6);
	ig_adhoc_files_free(&fs);
}

/* ---- base64 ------------------------------------------------------------- */

static void
test_base64_valid(void **state)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "Zg==", "f" }, { "Zm8=", "fo" }, { "Zm9v", "foo" },
		{ "Zm9vYg==", "foob" }, { "Zm9vYmE=", "fooba" }, { "Zm9vYmFy", "foobar" },
		{ "+/+/", "\xfb\xff\xbf" },
	};
	unsigned char *out;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(ig_adhoc_base64_decode(v[i].in, strlen(v[i].in), 100, &out, &n, NULL), 0);
		assert_int_equal(n, strlen(v[i].out));
		assert_memory_equal(out, v[i].out, n);
		free(out);
	}
}

static void
test_base64_invalid(void **state)
{
	static const char *const bad[] = {
		"Zg=",          /* length not a multiple of 4 */
		"Zg",
		"Zm9v\n",       /* whitespace */
		"Zm 9",
		"Zm9-",         /* URL-safe alphabet */
		"Z===",         /* too much padding */
		"=Zm9",         /* padding first */
		"Zg==Zm9v",     /* padding in the middle */
		"Zh==",         /* non-zero bits after the last byte */
		"Zm9=",
		"Zm9v\xc3\xa9==",
	};
	unsigned char *out = (unsigned char *)"untouched";
	struct ig_err err = { 0 };
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ig_adhoc_base64_decode(bad[i], strlen(bad[i]), 100, &out, &n, &err) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(err.code, IG_EINVAL);
		assert_null(out);
	}
}

static void
test_base64_too_big(void **state)
{
	unsigned char *out;
	struct ig_err err = { 0 };
	size_t n;

	(void)state;
	assert_int_equal(ig_adhoc_base64_decode("Zm9vYmFy", 8, 6, &out, &n, &err), 0);
	free(out);
	assert_int_equal(ig_adhoc_base64_decode("Zm9vYmFy", 8, 5, &out, &n, &err), -1);
	assert_int_equal(err.code, IG_ETOOBIG);
	/* Refused from the length alone, before decoding. */
	assert_int_equal(ig_adhoc_base64_decode("Zm9vYmFyZm9vYmFyZm9vYmFy", 24, 3, &out, &n, &err), -1);
	assert_int_equal(err.code, IG_ETOOBIG);
}

/* ---- the "files" object ------------------------------------------------- */

static int
from_json(const char *json, struct ig_adhoc_profile *p, struct ig_adhoc_files *fs,
    char *field, struct ig_err *err)
{
	struct json_object *o = json_tokener_parse(json);
	int rc;

	rc = ig_adhoc_files_from_json(o, p, fs, field, IG_ADHOC_FIELD_MAX, err);
	json_object_put(o);
	return rc;
}

static void
test_json_files(void **state)
{
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX];

	(void)state;
	assert_int_equal(from_json("{\"index.ts\":\"console.log(1)\","
	    "\"data.bin\":{\"content\":\"AAEC/w==\",\"encoding\":\"base64\"},"
	    "\"t.txt\":{\"content\":\"plain\",\"encoding\":\"utf-8\"}}", &p, &fs, field, &err), 0);
	assert_int_equal(fs.n, 3);
	assert_string_equal(fs.v[0].name, "index.ts");
	assert_false(fs.v[0].base64);
	assert_int_equal(fs.v[1].len, 4);
	assert_memory_equal(fs.v[1].data, "\x00\x01\x02\xff", 4);
	assert_true(fs.v[1].base64);
	assert_memory_equal(fs.v[2].data, "plain", 5);
	ig_adhoc_files_free(&fs);
}

static void
expect_json_error(const char *json, const char *want_field, const char *want)
{
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX] = "";

	assert_int_equal(from_json(json, &p, &fs, field, &err), -1);
	assert_string_equal(field, want_field);
	if (strstr(err.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	ig_adhoc_files_free(&fs);
}

static void
test_json_errors(void **state)
{
	(void)state;
	expect_json_error("[]", "files", "must be an object");
	expect_json_error("\"x\"", "files", "must be an object");
	expect_json_error("{}", "files", "at least one file");
	expect_json_error("{\"a.js\":42}", "files[\"a.js\"]", "must be a string or an object");
	expect_json_error("{\"a.js\":{\"encoding\":\"base64\"}}", "files[\"a.js\"]", "\"content\" is required");
	expect_json_error("{\"a.js\":{\"content\":1}}", "files[\"a.js\"].content", "must be a string");
	expect_json_error("{\"a.js\":{\"content\":\"\",\"encoding\":\"hex\"}}", "files[\"a.js\"].encoding",
	    "\"utf-8\" or \"base64\"");
	expect_json_error("{\"a.js\":{\"content\":\"\",\"mode\":\"755\"}}", "files[\"a.js\"]", "unknown key");
	expect_json_error("{\"a.js\":{\"content\":\"not base64!\",\"encoding\":\"base64\"}}",
	    "files[\"a.js\"]", "invalid base64");
	expect_json_error("{\"../a.js\":\"x\"}", "files[\"../a.js\"]", "\"..\"");
	expect_json_error("{\"/a.js\":\"x\"}", "files[\"/a.js\"]", "relative");
}

static void
test_json_counted_before_decoding(void **state)
{
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX];

	(void)state;
	p.max_files = 2;
	assert_int_equal(from_json("{\"a\":\"\",\"b\":\"\",\"c\":{\"content\":\"!\",\"encoding\":\"base64\"}}",
	    &p, &fs, field, &err), -1);
	assert_string_equal(field, "files");
	assert_non_null(strstr(err.msg, "3 files; at most 2"));
	assert_int_equal(fs.n, 0);
	ig_adhoc_files_free(&fs);
}

/* ---- runtimes and limits -------------------------------------------------- */

static void
test_runtime_allowed(void **state)
{
	struct ig_runtime_resolved rt;

	(void)state;
	memset(&rt, 0, sizeof(rt));
	rt.name = (char *)"node";
	rt.version = (char *)"24.22.3";
	assert_true(ig_adhoc_runtime_allowed("node", &rt));
	assert_true(ig_adhoc_runtime_allowed("bun, node@24", &rt));
	assert_true(ig_adhoc_runtime_allowed("node@v24.22", &rt));
	assert_true(ig_adhoc_runtime_allowed("node@24.22.3", &rt));
	assert_false(ig_adhoc_runtime_allowed("node@2", &rt));
	assert_false(ig_adhoc_runtime_allowed("node@22,deno", &rt));
	assert_false(ig_adhoc_runtime_allowed("nod", &rt));
	assert_false(ig_adhoc_runtime_allowed("nodejs", &rt));
	assert_false(ig_adhoc_runtime_allowed("node@", &rt));
	assert_false(ig_adhoc_runtime_allowed("", &rt));
	assert_false(ig_adhoc_runtime_allowed(NULL, &rt));
}

static void
test_check_limits(void **state)
{
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_adhoc_spec spec = { "node@24", NULL, 0, 0, 0 };
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX];

	(void)state;
	assert_int_equal(add(&fs, &p, "index.js", "", field, &err), 0);
	assert_int_equal(ig_adhoc_check(&p, &spec, &fs, field, sizeof(field), &err), 0);
	spec.memory_mb = p.max_memory_mb + 1;
	assert_int_equal(ig_adhoc_check(&p, &spec, &fs, field, sizeof(field), &err), -1);
	assert_string_equal(field, "limits.memoryMb");
	spec.memory_mb = p.max_memory_mb;
	spec.timeout_ms = p.max_timeout_ms + 1;
	assert_int_equal(ig_adhoc_check(&p, &spec, &fs, field, sizeof(field), &err), -1);
	assert_string_equal(field, "limits.timeoutMs");
	spec.timeout_ms = 0;
	spec.cpu = p.max_cpu + 0.5;
	assert_int_equal(ig_adhoc_check(&p, &spec, &fs, field, sizeof(field), &err), -1);
	assert_string_equal(field, "limits.cpuLimit");
	assert_non_null(strstr(err.msg, "above the sandbox maximum"));
	spec.cpu = 0;
	spec.runtime = "";
	assert_int_equal(ig_adhoc_check(&p, &spec, &fs, field, sizeof(field), &err), -1);
	assert_string_equal(field, "runtime");
	spec.runtime = "node";
	p.runtimes = " , ";
	assert_int_equal(ig_adhoc_check(&p, &spec, &fs, field, sizeof(field), &err), -1);
	assert_string_equal(field, "runtime");
	assert_non_null(strstr(err.msg, "disabled"));
	ig_adhoc_files_free(&fs);
}

static void
test_check_entry(void **state)
{
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_adhoc_spec spec = { "node", NULL, 0, 0, 0 };
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX];

	(void)state;
	assert_int_equal(ig_adhoc_check(&p, &spec, &fs, field, sizeof(field), &err), -1);
	assert_string_equal(field, "files");
	assert_int_equal(add(&fs, &p, "a.js", "", field, &err), 0);
	assert_int_equal(add(&fs, &p, "b.js", "", field, &err), 0);
	assert_int_equal(ig_adhoc_check(&p, &spec, &fs, field, sizeof(field), &err), -1);
	assert_string_equal(field, "entry");
	assert_non_null(strstr(err.msg, "required when more than one file"));
	spec.entry = "c.js";
	assert_int_equal(ig_adhoc_check(&p, &spec, &fs, field, sizeof(field), &err), -1);
	assert_string_equal(field, "entry");
	assert_non_null(strstr(err.msg, "not one of the files"));
	spec.entry = "b.js";
	assert_int_equal(ig_adhoc_check(&p, &spec, &fs, field, sizeof(field), &err), 0);
	ig_adhoc_files_free(&fs);
}

/* ---- the directory --------------------------------------------------------- */

static mode_t
mode_of(int dfd, const char *rel)
{
	struct stat st;

	assert_int_equal(fstatat(dfd, rel, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_mode;
}

static void
test_dir_write_and_remove(void **state)
{
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_adhoc_dir d;
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX], work[128], buf[64], path[256];
	mode_t old;
	ssize_t n;
	int fd;

	(void)state;
	snprintf(work, sizeof(work), "%s/work/adhoc", scratch_dir());
	assert_int_equal(add(&fs, &p, "index.ts", "console.log(1)", field, &err), 0);
	assert_int_equal(add(&fs, &p, "lib/util/a.ts", "export const a = 1", field, &err), 0);
	assert_int_equal(add(&fs, &p, "lib/b.ts", "", field, &err), 0);
	/* A strict umask must not hide the files from the container user. */
	old = umask(077);
	assert_int_equal(ig_adhoc_dir_write(work, &fs, &d, &err), 0);
	umask(old);
	assert_non_null(d.path);
	assert_int_equal(strncmp(d.path, work, strlen(work)), 0);
	assert_non_null(strstr(d.path, "/run-"));
	assert_int_equal(mode_of(d.parent_fd, d.name) & 07777, 0755);
	assert_int_equal(mode_of(d.fd, "index.ts") & 07777, 0644);
	assert_true(S_ISREG(mode_of(d.fd, "index.ts")));
	assert_int_equal(mode_of(d.fd, "lib") & 07777, 0755);
	assert_int_equal(mode_of(d.fd, "lib/util") & 07777, 0755);
	assert_int_equal(mode_of(d.fd, "lib/util/a.ts") & 07777, 0644);
	fd = openat(d.fd, "lib/util/a.ts", O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(n, strlen("export const a = 1"));
	assert_memory_equal(buf, "export const a = 1", (size_t)n);
	snprintf(path, sizeof(path), "%s", d.path);
	assert_int_equal(ig_adhoc_dir_remove(&d, &err), 0);
	assert_null(d.path);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	/* The work directory stays. */
	assert_int_equal(access(work, F_OK), 0);
	/* Removing twice, or a zeroed struct, is harmless. */
	assert_int_equal(ig_adhoc_dir_remove(&d, &err), 0);
	ig_adhoc_files_free(&fs);
}

static void
test_dir_remove_never_follows_symlinks(void **state)
{
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_adhoc_dir d;
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX], victim[128], vfile[160];

	(void)state;
	/* Something outside that a symlink planted inside points at. */
	snprintf(victim, sizeof(victim), "%s/victim", scratch_dir());
	assert_int_equal(mkdir(victim, 0755), 0);
	snprintf(vfile, sizeof(vfile), "%s/keep.txt", victim);
	file_write(vfile, "keep", 4, 0644);
	assert_int_equal(add(&fs, &p, "sub/a.js", "", field, &err), 0);
	assert_int_equal(ig_adhoc_dir_write(scratch_dir(), &fs, &d, &err), 0);
	assert_int_equal(symlinkat(victim, d.fd, "link-dir"), 0);
	assert_int_equal(symlinkat(vfile, d.fd, "sub/link-file"), 0);
	assert_int_equal(ig_adhoc_dir_remove(&d, &err), 0);
	assert_int_equal(access(vfile, F_OK), 0);
	assert_int_equal(access(victim, F_OK), 0);
	ig_adhoc_files_free(&fs);
}

static void
test_sweep_removes_only_dead_owners(void **state)
{
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_adhoc_dir live;
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX], path[256], victim[128];

	(void)state;
	assert_int_equal(ig_adhoc_sweep("/nonexistent/ignite-adhoc", &err), 0);
	/* Ours, alive. */
	assert_int_equal(add(&fs, &p, "a.js", "1", field, &err), 0);
	assert_int_equal(ig_adhoc_dir_write(scratch_dir(), &fs, &live, &err), 0);
	/* A crashed daemon's (pid 999999999 cannot exist), with a symlink out. */
	snprintf(victim, sizeof(victim), "%s/victim", scratch_dir());
	assert_int_equal(mkdir(victim, 0755), 0);
	snprintf(path, sizeof(path), "%s/run-999999999.12345-abcdef", scratch_dir());
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/run-999999999.12345-abcdef/lib", scratch_dir());
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/run-999999999.12345-abcdef/lib/x.js", scratch_dir());
	file_write(path, "", 0, 0644);
	snprintf(path, sizeof(path), "%s/run-999999999.12345-abcdef/out", scratch_dir());
	assert_int_equal(symlink(victim, path), 0);
	/* Names that are not run directories are left alone. */
	snprintf(path, sizeof(path), "%s/run-notours", scratch_dir());
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/run-1.2-abc", scratch_dir());
	assert_int_equal(mkdir(path, 0755), 0);

	assert_int_equal(ig_adhoc_sweep(scratch_dir(), &err), 1);
	snprintf(path, sizeof(path), "%s/run-999999999.12345-abcdef", scratch_dir());
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(access(victim, F_OK), 0);
	assert_int_equal(access(live.path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/run-notours", scratch_dir());
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/run-1.2-abc", scratch_dir());
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(ig_adhoc_dir_remove(&live, &err), 0);
	ig_adhoc_files_free(&fs);
}

static void
test_dir_bad_work_dir(void **state)
{
	struct ig_adhoc_files fs = { 0 };
	struct ig_adhoc_dir d;
	struct ig_err err = { 0 };

	(void)state;
	assert_int_equal(ig_adhoc_dir_write("relative/dir", &fs, &d, &err), -1);
	assert_int_equal(ig_adhoc_dir_write("/tmp/a,b", &fs, &d, &err), -1);
	assert_int_equal(ig_adhoc_dir_write(NULL, &fs, &d, &err), -1);
}

/* ---- the report's view ----------------------------------------------------- */

static void
test_files_report(void **state)
{
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_err err = { 0 };
	struct json_object *arr, *o, *v;
	char field[IG_ADHOC_FIELD_MAX], *big;
	size_t bl = IG_ADHOC_REPORT_FILE_MAX + 10;

	(void)state;
	p.max_file_bytes = bl + 10;
	p.max_total_bytes = 4 * bl;
	assert_int_equal(add(&fs, &p, "index.ts", "<script>alert(1)</script>", field, &err), 0);
	assert_int_equal(ig_adhoc_files_add(&fs, &p, "bin.dat", "\x00\xff\x01", 3, true, field,
	    sizeof(field), &err), 0);
	big = malloc(bl);
	assert_non_null(big);
	memset(big, 'a', bl);
	/* A two-byte character straddling the cut. */
	memcpy(big + IG_ADHOC_REPORT_FILE_MAX - 1, "\xc3\xa9", 2);
	assert_int_equal(ig_adhoc_files_add(&fs, &p, "big.js", big, bl, false, field, sizeof(field), &err), 0);
	free(big);
	arr = ig_adhoc_files_report(&fs);
	assert_non_null(arr);
	assert_int_equal(json_object_array_length(arr), 3);
	o = json_object_array_get_idx(arr, 0);
	assert_true(json_object_object_get_ex(o, "content", &v));
	assert_string_equal(json_object_get_string(v), "<script>alert(1)</script>");
	assert_true(json_object_object_get_ex(o, "encoding", &v));
	assert_string_equal(json_object_get_string(v), "utf-8");
	o = json_object_array_get_idx(arr, 1);
	assert_false(json_object_object_get_ex(o, "content", &v));
	assert_true(json_object_object_get_ex(o, "binary", &v));
	assert_true(json_object_object_get_ex(o, "encoding", &v));
	assert_string_equal(json_object_get_string(v), "base64");
	o = json_object_array_get_idx(arr, 2);
	assert_true(json_object_object_get_ex(o, "truncated", &v));
	assert_true(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "content", &v));
	assert_int_equal(json_object_get_string_len(v), IG_ADHOC_REPORT_FILE_MAX - 1);
	assert_true(json_object_object_get_ex(o, "bytes", &v));
	assert_int_equal(json_object_get_int64(v), (int64_t)bl);
	json_object_put(arr);
	ig_adhoc_files_free(&fs);
}

/* ---- the prepared run ------------------------------------------------------- */

static void
test_prepare(void **state)
{
	struct ig_runtime_registry *reg = NULL;
	struct ig_run_ctx ctx;
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_adhoc_spec spec = { "node@24", "index.ts", 0, 0, 0 };
	struct ig_adhoc_run r;
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX], path[256];

	(void)state;
	assert_int_equal(ig_runtime_registry_load(FIXTURE, &reg, &err), 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.registry = reg;
	assert_int_equal(add(&fs, &p, "index.ts", "import {a} from './lib/a.ts'; console.log(a)", field, &err), 0);
	assert_int_equal(add(&fs, &p, "lib/a.ts", "export const a = 1", field, &err), 0);
	assert_int_equal(ig_adhoc_prepare(&ctx, &p, &spec, &fs, &r, field, sizeof(field), &err), 0);
	assert_string_equal(r.prep.svc->name, "adhoc");
	assert_string_equal(r.prep.svc->entry, "index.ts");
	assert_int_equal(r.prep.svc->memory_mb, IG_ADHOC_MEMORY_MB_DEFAULT);
	assert_int_equal(r.prep.svc->timeout_ms, IG_ADHOC_TIMEOUT_MS_DEFAULT);
	assert_true(r.prep.svc->cpu_limit == 1.0);
	assert_string_equal(r.prep.rt->version, "24.22.3");
	assert_string_equal(r.prep.abs_dir, r.dir.path);
	assert_false(r.prep.policy->network_enabled);
	assert_true(r.prep.policy->fs_read_only);
	assert_false(r.prep.policy->allow_spawn);
	/* No engine: the image size is unknown, which warns, never fails. */
	assert_int_equal(r.prep.preflight->overall, IG_PREFLIGHT_WARN);
	assert_int_equal(json_object_array_length(r.files), 2);
	snprintf(path, sizeof(path), "%s/lib/a.ts", r.dir.path);
	assert_int_equal(access(path, R_OK), 0);
	ig_adhoc_run_free(&r);
	assert_int_equal(access(path, F_OK), -1);
	ig_adhoc_run_free(&r);

	/* Requested limits are taken as they are. */
	spec.memory_mb = 64;
	spec.timeout_ms = 500;
	spec.cpu = 0.5;
	assert_int_equal(ig_adhoc_prepare(&ctx, &p, &spec, &fs, &r, field, sizeof(field), &err), 0);
	assert_int_equal(r.prep.svc->memory_mb, 64);
	assert_int_equal(r.prep.svc->timeout_ms, 500);
	assert_true(r.prep.svc->cpu_limit == 0.5);
	ig_adhoc_run_free(&r);
	ig_adhoc_files_free(&fs);
	ig_runtime_registry_free(reg);
}

static void
test_prepare_errors(void **state)
{
	struct ig_runtime_registry *reg = NULL;
	struct ig_run_ctx ctx;
	struct ig_adhoc_profile p = profile();
	struct ig_adhoc_files fs = { 0 };
	struct ig_adhoc_spec spec = { "python", "index.ts", 0, 0, 0 };
	struct ig_adhoc_run r;
	struct ig_err err = { 0 };
	char field[IG_ADHOC_FIELD_MAX];
	DIR *dir;
	struct dirent *de;
	int entries = 0;

	(void)state;
	assert_int_equal(ig_runtime_registry_load(FIXTURE, &reg, &err), 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.registry = reg;
	assert_int_equal(add(&fs, &p, "index.ts", "", field, &err), 0);
	assert_int_equal(ig_adhoc_prepare(&ctx, &p, &spec, &fs, &r, field, sizeof(field), &err), -1);
	assert_string_equal(field, "runtime");
	assert_non_null(strstr(err.msg, "unknown runtime"));
	spec.runtime = "node@20";
	assert_int_equal(ig_adhoc_prepare(&ctx, &p, &spec, &fs, &r, field, sizeof(field), &err), -1);
	assert_string_equal(field, "entry");
	assert_non_null(strstr(err.msg, "TypeScript"));
	p.runtimes = "bun,deno";
	spec.runtime = "node@24";
	assert_int_equal(ig_adhoc_prepare(&ctx, &p, &spec, &fs, &r, field, sizeof(field), &err), -1);
	assert_string_equal(field, "runtime");
	assert_non_null(strstr(err.msg, "not allowed"));
	/* Nothing was written for refused requests. */
	dir = opendir(scratch_dir());
	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL)
		if (strncmp(de->d_name, "run-", 4) == 0)
			entries++;
	closedir(dir);
	assert_int_equal(entries, 0);
	ig_adhoc_files_free(&fs);
	ig_runtime_registry_free(reg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_ok),
		cmocka_unit_test(test_name_empty),
		cmocka_unit_test(test_name_absolute),
		cmocka_unit_test(test_name_traversal),
		cmocka_unit_test(test_name_dot_and_empty_components),
		cmocka_unit_test(test_name_control_and_backslash),
		cmocka_unit_test(test_name_too_long),
		cmocka_unit_test(test_name_too_deep),
		cmocka_unit_test(test_name_conflicts),
		cmocka_unit_test(test_too_many_files),
		cmocka_unit_test(test_file_too_big),
		cmocka_unit_test(test_total_too_big),
		cmocka_unit_test(test_base64_valid),
		cmocka_unit_test(test_base64_invalid),
		cmocka_unit_test(test_base64_too_big),
		cmocka_unit_test(test_json_files),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_json_counted_before_decoding),
		cmocka_unit_test(test_runtime_allowed),
		cmocka_unit_test(test_check_limits),
		cmocka_unit_test(test_check_entry),
		cmocka_unit_test_setup_teardown(test_dir_write_and_remove, scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_dir_remove_never_follows_symlinks, scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_sweep_removes_only_dead_owners, scratch_setup, scratch_teardown),
		cmocka_unit_test(test_dir_bad_work_dir),
		cmocka_unit_test(test_files_report),
		cmocka_unit_test_setup_teardown(test_prepare, scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_prepare_errors, scratch_setup, scratch_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
