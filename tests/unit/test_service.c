/* test_service.c — service.yaml: one failing case per rule of DESIGN §3,
 * loading from a directory (entry checks, symlink refusal), JSON, corpus. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "service.h"
#include "support.h"

#define CORPUS_INVALID "tests/corpus/invalid-service"
#define CORPUS_VALID   "tests/corpus/valid-service"

/* ---- building service.yaml text ---------------------------------------- */

/* A valid service.yaml, one key a line; tests replace or drop a line. */
static const char *const base_lines[] = {
	"service:",               /* 1 */
	"  name: svc",            /* 2 */
	"  runtime: node@24",     /* 3 */
	"  entry: index.ts",      /* 4 */
	"  memoryMb: 128",        /* 5 */
	"  timeoutMs: 5000",      /* 6 */
};
#define N_BASE 6

static char yaml_buf[64 * 1024];

/* The base text with line `line` (1-based) replaced by `text` (NULL drops
 * it; line 0 replaces nothing), followed by `extra` lines. */
static const char *
yaml_with(int line, const char *text, const char *extra)
{
	size_t o = 0;
	int i;

	for (i = 0; i < N_BASE; i++) {
		const char *l = (i + 1 == line) ? text : base_lines[i];

		if (l == NULL)
			continue;
		o += (size_t)snprintf(yaml_buf + o, sizeof(yaml_buf) - o, "%s\n", l);
	}
	if (extra != NULL)
		snprintf(yaml_buf + o, sizeof(yaml_buf) - o, "%s", extra);
	return yaml_buf;
}

static void
dump_diags(const struct ig_diags *d)
{
	char buf[700];
	size_t i;

	for (i = 0; i < d->n; i++)
		print_message("  got: %s\n", ig_diag_format(&d->v[i], buf, sizeof(buf)));
}

static struct ig_service *
parse_ok(const char *text)
{
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_service *svc = NULL;

	if (ig_service_parse(text, strlen(text), "service.yaml", &svc, &d, &err) != 0) {
		dump_diags(&d);
		fail_msg("parse failed: %s\n%s", err.msg, text);
	}
	assert_int_equal(d.n, 0);
	ig_diags_free(&d);
	return svc;
}

/* Expects exactly one problem, at `line`, whose message contains `want`. */
static void
expect_one(const char *text, int line, const char *want)
{
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_service *svc = NULL;

	assert_int_equal(ig_service_parse(text, strlen(text), "service.yaml", &svc, &d, &err), -1);
	assert_null(svc);
	assert_int_equal(err.code, IG_EINVAL);
	if (d.n != 1 || d.v[0].line != line || strstr(d.v[0].msg, want) == NULL) {
		dump_diags(&d);
		fail_msg("expected exactly service.yaml:%d: …%s…\nfor:\n%s", line, want, text);
	}
	assert_string_equal(d.v[0].file, "service.yaml");
	ig_diags_free(&d);
}

/* As expect_one for a replaced line of the base text. */
static void
expect_line(int line, const char *text, const char *want)
{
	expect_one(yaml_with(line, text, NULL), line, want);
}

/* ---- valid files ------------------------------------------------------- */

static void
test_minimal_valid_with_defaults(void **state)
{
	struct ig_service *svc = parse_ok(yaml_with(0, NULL, NULL));

	(void)state;
	assert_string_equal(svc->name, "svc");
	assert_string_equal(svc->runtime, "node@24");
	assert_string_equal(svc->entry, "index.ts");
	assert_int_equal(svc->memory_mb, 128);
	assert_int_equal(svc->timeout_ms, 5000);
	assert_true(svc->cpu_limit == 1.0);
	assert_int_equal(svc->env_n, 0);
	assert_null(svc->dir);
	assert_true(svc->preflight.memory_base_mb == 50);
	assert_true(svc->preflight.memory_per_dep_mb == 2);
	assert_true(svc->preflight.memory_warn_ratio == 1);
	assert_true(svc->preflight.memory_fail_ratio == 0.8);
	assert_int_equal(svc->preflight.deps_warn_count, 100);
	assert_int_equal(svc->preflight.deps_info_count, 50);
	assert_true(svc->preflight.image_warn_mb == 500);
	assert_true(svc->preflight.image_fail_mb == 1000);
	assert_int_equal(svc->preflight.timeout_min_ms, 100);
	assert_int_equal(svc->preflight.timeout_max_ms, 30000);
	assert_int_equal(svc->preflight.cold_start_buffer_ms, 500);
	ig_service_free(svc);
}

static void
test_full_valid(void **state)
{
	struct ig_service *svc = parse_ok(
	    "# a comment\n"
	    "service:\n"
	    "  name: data-processor\n"
	    "  runtime: node@24.22.3\n"
	    "  entry: src/main.ts\n"
	    "  memoryMb: 65536\n"
	    "  cpuLimit: 0.5\n"
	    "  timeoutMs: 86400000\n"
	    "  env: { NODE_ENV: production, PORT: 3000, DEBUG: true, EMPTY: \"\", RATIO: 0.50,"
	    " NEG: -1, QUOTED: \"3000\", lower_case: x, ignite_lower: ok }\n"
	    "preflight:\n"
	    "  memory: { baseMb: 64, perDependencyMb: 1.5, warnRatio: 2, failRatio: 1.5 }\n"
	    "  dependencies: { warnCount: 300, infoCount: 200 }\n"
	    "  image: { warnMb: 100, failMb: 200.5 }\n"
	    "  timeout: { minMs: 1, maxMs: 2, coldStartBufferMs: 86400000 }\n");

	(void)state;
	assert_string_equal(svc->runtime, "node@24.22.3");
	assert_string_equal(svc->entry, "src/main.ts");
	assert_int_equal(svc->memory_mb, 65536);
	assert_true(svc->cpu_limit == 0.5);
	assert_int_equal(svc->timeout_ms, 86400000);
	assert_int_equal(svc->env_n, 9);
	assert_string_equal(svc->env[0].name, "NODE_ENV");
	assert_string_equal(svc->env[0].value, "production");
	assert_string_equal(svc->env[1].value, "3000");
	assert_string_equal(svc->env[2].value, "true");
	assert_string_equal(svc->env[3].value, "");
	assert_string_equal(svc->env[4].value, "0.50");      /* as written */
	assert_string_equal(svc->env[5].value, "-1");
	assert_string_equal(svc->env[6].value, "3000");
	assert_true(svc->preflight.memory_base_mb == 64);
	assert_true(svc->preflight.memory_per_dep_mb == 1.5);
	assert_true(svc->preflight.memory_warn_ratio == 2);
	assert_true(svc->preflight.memory_fail_ratio == 1.5);
	assert_int_equal(svc->preflight.deps_warn_count, 300);
	assert_int_equal(svc->preflight.deps_info_count, 200);
	assert_true(svc->preflight.image_warn_mb == 100);
	assert_true(svc->preflight.image_fail_mb == 200.5);
	assert_int_equal(svc->preflight.timeout_min_ms, 1);
	assert_int_equal(svc->preflight.timeout_max_ms, 2);
	assert_int_equal(svc->preflight.cold_start_buffer_ms, 86400000);
	ig_service_free(svc);
}

static void
test_valid_variants(void **state)
{
	static const char *const names[] = { "a", "0", "a-b", "123", "a--b",
	    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123" };
	static const char *const runtimes[] = { "bun", "deno@2", "node@v24.22.3", "node@24.x",
	    "node@lts", "\"node@24\"" };
	static const char *const entries[] = { "index.js", "src/a/b.ts", "'with space.ts'",
	    "..hidden.ts", "a..b.ts", "\"caf\xc3\xa9.ts\"" };
	char line[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(line, sizeof(line), "  name: %s", names[i]);
		ig_service_free(parse_ok(yaml_with(2, line, NULL)));
	}
	for (i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
		snprintf(line, sizeof(line), "  runtime: %s", runtimes[i]);
		ig_service_free(parse_ok(yaml_with(3, line, NULL)));
	}
	for (i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		snprintf(line, sizeof(line), "  entry: %s", entries[i]);
		ig_service_free(parse_ok(yaml_with(4, line, NULL)));
	}
	ig_service_free(parse_ok(yaml_with(5, "  memoryMb: 1", NULL)));
	ig_service_free(parse_ok(yaml_with(6, "  timeoutMs: 1", NULL)));
	ig_service_free(parse_ok(yaml_with(0, NULL, "  cpuLimit: 64\n")));
	ig_service_free(parse_ok(yaml_with(0, NULL, "  cpuLimit: 2\n")));
	ig_service_free(parse_ok(yaml_with(0, NULL, "  env:\n")));         /* null: no variables */
	ig_service_free(parse_ok(yaml_with(0, NULL, "  env: {}\npreflight:\n")));
	ig_service_free(parse_ok(yaml_with(0, NULL, "preflight: { memory: {} }\n")));
	/* Document markers and a flow-style file. */
	ig_service_free(parse_ok("---\nservice: {name: x, runtime: bun, entry: a.js, memoryMb: 1,"
	    " timeoutMs: 1}\n...\n"));
}

/* ---- required keys and shape ------------------------------------------- */

static void
test_required_keys(void **state)
{
	(void)state;
	expect_one(yaml_with(2, NULL, NULL), 1, "service.name is required");
	expect_one(yaml_with(3, NULL, NULL), 1, "service.runtime is required");
	expect_one(yaml_with(4, NULL, NULL), 1, "service.entry is required");
	expect_one(yaml_with(5, NULL, NULL), 1, "service.memoryMb is required");
	expect_one(yaml_with(6, NULL, NULL), 1, "service.timeoutMs is required");
}

static void
test_shape(void **state)
{
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_service *svc = NULL;

	(void)state;
	expect_one("", 0, "service is required");
	expect_one("# nothing\n", 0, "service is required");
	expect_one("preflight: {}\n", 0, "service is required");
	expect_one("service: hello\n", 1, "service must be a mapping");
	expect_one("service: [a]\n", 1, "service must be a mapping");
	expect_one("- service\n", 1, "the document must be a mapping");
	expect_one("just text\n", 1, "the document must be a mapping");
	expect_one(yaml_with(0, NULL, "preflight: 5\n"), 7, "preflight must be a mapping");
	expect_one(yaml_with(0, NULL, "preflight: [1]\n"), 7, "preflight must be a mapping");
	expect_one(yaml_with(0, NULL, "preflight:\n  memory: 5\n"), 8, "preflight.memory must be a mapping");
	expect_one(yaml_with(0, NULL, "preflight:\n  dependencies: [1]\n"), 8,
	    "preflight.dependencies must be a mapping");
	expect_one(yaml_with(0, NULL, "preflight:\n  image: x\n"), 8, "preflight.image must be a mapping");
	expect_one(yaml_with(0, NULL, "preflight:\n  timeout: true\n"), 8,
	    "preflight.timeout must be a mapping");

	/* "service:" with nothing under it: every required key is missing. */
	assert_int_equal(ig_service_parse("service:\n", 9, "service.yaml", &svc, &d, &err), -1);
	assert_int_equal(d.n, 5);
	assert_int_equal(d.v[0].line, 1);
	ig_diags_free(&d);
}

/* ---- value rules ------------------------------------------------------- */

static void
test_name_rules(void **state)
{
	(void)state;
	expect_line(2, "  name: Bad", "service.name must match ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$");
	expect_line(2, "  name: -svc", "service.name must match");
	expect_line(2, "  name: svc-", "service.name must match");
	expect_line(2, "  name: sv_c", "service.name must match");
	expect_line(2, "  name: sv.c", "service.name must match");
	expect_line(2, "  name: sv c", "service.name must match");
	expect_line(2, "  name: caf\xc3\xa9", "service.name must match");
	expect_line(2, "  name: abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234",
	    "service.name is too long");
	expect_line(2, "  name: \"\"", "service.name must be a non-empty string");
	expect_line(2, "  name:", "service.name must be a non-empty string");
	expect_line(2, "  name: [svc]", "service.name must be a string, not a list");
	expect_line(2, "  name: {a: b}", "service.name must be a string, not a mapping");
}

static void
test_name_ok_function(void **state)
{
	(void)state;
	assert_true(ig_service_name_ok("a"));
	assert_true(ig_service_name_ok("hello-world-2"));
	assert_false(ig_service_name_ok(""));
	assert_false(ig_service_name_ok(NULL));
	assert_false(ig_service_name_ok("-a"));
	assert_false(ig_service_name_ok("a-"));
	assert_false(ig_service_name_ok("A"));
	assert_false(ig_service_name_ok("a/b"));
	assert_false(ig_service_name_ok(".."));
	assert_true(ig_service_name_ok("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123"));
	assert_false(ig_service_name_ok("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234"));
}

static void
test_runtime_rules(void **state)
{
	(void)state;
	expect_line(3, "  runtime: node@", "service.runtime must be name[@version]");
	expect_line(3, "  runtime: \"@24\"", "service.runtime must be name[@version]");
	expect_line(3, "  runtime: Node@24", "service.runtime must be name[@version]");
	expect_line(3, "  runtime: node24", "service.runtime must be name[@version]");
	expect_line(3, "  runtime: node@24 x", "service.runtime must be name[@version]");
	expect_line(3, "  runtime: node@24/x", "service.runtime must be name[@version]");
	expect_line(3, "  runtime: node@@24", "service.runtime must be name[@version]");
	expect_line(3, "  runtime: 24", "service.runtime must be name[@version]");
	expect_line(3, "  runtime: [node]", "service.runtime must be a string");
	expect_line(3, "  runtime: \"\"", "service.runtime must be a non-empty string");
	expect_line(3, "  runtime: node@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "service.runtime is too long");
}

static void
test_entry_rules(void **state)
{
	char line[1200];

	(void)state;
	expect_line(4, "  entry: ../x.ts", "service.entry must be a relative path inside the service directory");
	expect_line(4, "  entry: ../../../../etc/passwd", "service.entry must be a relative path");
	expect_line(4, "  entry: /etc/passwd", "service.entry must be a relative path");
	expect_line(4, "  entry: a/../b.ts", "service.entry must be a relative path");
	expect_line(4, "  entry: a/..", "service.entry must be a relative path");
	expect_line(4, "  entry: ./index.ts", "service.entry must be a relative path");
	expect_line(4, "  entry: a//b.ts", "service.entry must be a relative path");
	expect_line(4, "  entry: src/", "service.entry must be a relative path");
	expect_line(4, "  entry: \"a\\nb.ts\"", "service.entry must be a relative path");
	expect_line(4, "  entry: \"a\\\\b.ts\"", "service.entry must be a relative path");
	expect_line(4, "  entry: \"index\\0.ts\"", "service.entry must not contain NUL characters");
	expect_line(4, "  entry: \"\"", "service.entry must be a non-empty string");
	expect_line(4, "  entry: [index.ts]", "service.entry must be a string");
	memcpy(line, "  entry: ", 9);
	memset(line + 9, 'a', IG_ENTRY_PATH_MAX + 1);
	line[9 + IG_ENTRY_PATH_MAX + 1] = '\0';
	expect_line(4, line, "service.entry is too long");
}

static void
test_memory_rules(void **state)
{
	static const char *const bad[] = {
		"-5", "0", "-0", "abc", ".inf", "-.inf", ".nan", "0x80", "~", "[128]", "{a: 1}",
		"true", "1_024", "0128",
	};
	char line[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "  memoryMb: %s", bad[i]);
		expect_line(5, line, "service.memoryMb must be a positive number");
	}
	expect_line(5, "  memoryMb: \"128\"", "service.memoryMb must be a positive number, not a quoted string");
	expect_line(5, "  memoryMb: '128'", "not a quoted string");
	expect_line(5, "  memoryMb: 128.5", "service.memoryMb must be an integer");
	expect_line(5, "  memoryMb: 1e3", "service.memoryMb must be an integer");
	expect_line(5, "  memoryMb: 65537", "service.memoryMb must be at most 65536");
	expect_line(5, "  memoryMb: 99999999999999999999999", "service.memoryMb must be at most 65536");
	expect_line(5, "  memoryMb: 1e308", "service.memoryMb must be at most 65536");
	expect_line(5, "  memoryMb: 1e999", "service.memoryMb must be a positive number");
}

static void
test_timeout_rules(void **state)
{
	(void)state;
	expect_line(6, "  timeoutMs: 0", "service.timeoutMs must be a positive number");
	expect_line(6, "  timeoutMs: -1", "service.timeoutMs must be a positive number");
	expect_line(6, "  timeoutMs: \"5000\"", "not a quoted string");
	expect_line(6, "  timeoutMs: 5000.5", "service.timeoutMs must be an integer");
	expect_line(6, "  timeoutMs: 86400001", "service.timeoutMs must be at most 86400000");
	expect_line(6, "  timeoutMs: 5s", "service.timeoutMs must be a positive number");
	expect_line(6, "  timeoutMs: .nan", "service.timeoutMs must be a positive number");
}

static void
test_cpu_rules(void **state)
{
	static const char *const bad[] = { "0", "-1", "-0.5", "abc", ".nan", ".inf", "true", "[1]", "~", "0x1" };
	char line[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "  cpuLimit: %s\n", bad[i]);
		expect_one(yaml_with(0, NULL, line), 7, "service.cpuLimit must be a positive number");
	}
	expect_one(yaml_with(0, NULL, "  cpuLimit: \"1\"\n"), 7, "not a quoted string");
	expect_one(yaml_with(0, NULL, "  cpuLimit: 64.5\n"), 7, "service.cpuLimit must be at most 64");
}

static void
test_env_rules(void **state)
{
	char *big;
	size_t o, i;

	(void)state;
	expect_one(yaml_with(0, NULL, "  env:\n    LIST: [1, 2]\n"), 8,
	    "service.env.LIST must be a scalar value, not a list");
	expect_one(yaml_with(0, NULL, "  env:\n    MAP: { a: 1 }\n"), 8,
	    "service.env.MAP must be a scalar value, not a mapping");
	expect_one(yaml_with(0, NULL, "  env:\n    NOTHING:\n"), 8, "service.env.NOTHING must have a value");
	expect_one(yaml_with(0, NULL, "  env:\n    IGNITE_INPUT: x\n"), 8,
	    "service.env.IGNITE_INPUT is reserved");
	expect_one(yaml_with(0, NULL, "  env:\n    IGNITE_: x\n"), 8, "service.env.IGNITE_ is reserved");
	expect_one(yaml_with(0, NULL, "  env:\n    1BAD: x\n"), 8,
	    "service.env.1BAD is not a valid environment variable name");
	expect_one(yaml_with(0, NULL, "  env:\n    A-B: x\n"), 8, "is not a valid environment variable name");
	expect_one(yaml_with(0, NULL, "  env:\n    A.B: x\n"), 8, "is not a valid environment variable name");
	expect_one(yaml_with(0, NULL, "  env:\n    \"A=B\": x\n"), 8, "is not a valid environment variable name");
	expect_one(yaml_with(0, NULL, "  env:\n    \"\": x\n"), 8, "names must be non-empty");
	expect_one(yaml_with(0, NULL, "  env:\n    A: \"x\\0y\"\n"), 8, "service.env.A must not contain NUL");
	expect_one(yaml_with(0, NULL, "  env: [A]\n"), 7, "service.env must be a mapping of names to values");
	expect_one(yaml_with(0, NULL, "  env: A=B\n"), 7, "service.env must be a mapping of names to values");
	expect_one(yaml_with(0, NULL, "  env:\n    A: 1\n    A: 2\n"), 9, "duplicate key");

	/* Too many variables, and a value that is too long. */
	big = malloc(IG_ENV_VALUE_MAX + 4096 + 64 * (IG_ENV_MAX_VARS + 1));
	o = (size_t)snprintf(big, 4096, "%s", yaml_with(0, NULL, "  env:\n"));
	for (i = 0; i <= IG_ENV_MAX_VARS; i++)
		o += (size_t)snprintf(big + o, 64, "    V%zu: x\n", i);
	expect_one(big, 8, "service.env has too many entries (129; at most 128)");
	o = (size_t)snprintf(big, 4096, "%s    LONG: ", yaml_with(0, NULL, "  env:\n"));
	memset(big + o, 'v', IG_ENV_VALUE_MAX + 1);
	big[o + IG_ENV_VALUE_MAX + 1] = '\n';
	big[o + IG_ENV_VALUE_MAX + 2] = '\0';
	expect_one(big, 8, "service.env.LONG is too long (at most 4096 bytes)");
	free(big);
}

struct threshold {
	const char *group, *key;
	bool is_int;
	const char *max_text;
};

static const struct threshold thresholds[] = {
	{ "memory", "baseMb", false, "1000000000" },
	{ "memory", "perDependencyMb", false, "1000000000" },
	{ "memory", "warnRatio", false, "1000000000" },
	{ "memory", "failRatio", false, "1000000000" },
	{ "dependencies", "warnCount", true, "1000000000" },
	{ "dependencies", "infoCount", true, "1000000000" },
	{ "image", "warnMb", false, "1000000000" },
	{ "image", "failMb", false, "1000000000" },
	{ "timeout", "minMs", true, "86400000" },
	{ "timeout", "maxMs", true, "86400000" },
	{ "timeout", "coldStartBufferMs", true, "86400000" },
};

static void
test_preflight_value_rules(void **state)
{
	static const char *const bad[] = { "0", "-1", "abc", ".nan", ".inf", "~", "[1]", "true" };
	char extra[256], want[256];
	size_t t, i;

	(void)state;
	for (t = 0; t < sizeof(thresholds) / sizeof(thresholds[0]); t++) {
		const struct threshold *th = &thresholds[t];

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(extra, sizeof(extra), "preflight:\n  %s:\n    %s: %s\n", th->group, th->key, bad[i]);
			snprintf(want, sizeof(want), "preflight.%s.%s must be a positive number", th->group, th->key);
			expect_one(yaml_with(0, NULL, extra), 9, want);
		}
		snprintf(extra, sizeof(extra), "preflight:\n  %s:\n    %s: \"5\"\n", th->group, th->key);
		expect_one(yaml_with(0, NULL, extra), 9, "not a quoted string");
		snprintf(extra, sizeof(extra), "preflight:\n  %s:\n    %s: 1e12\n", th->group, th->key);
		snprintf(want, sizeof(want), "preflight.%s.%s must be at most %s", th->group, th->key, th->max_text);
		expect_one(yaml_with(0, NULL, extra), 9, want);
		if (th->is_int) {
			snprintf(extra, sizeof(extra), "preflight:\n  %s:\n    %s: 1.5\n", th->group, th->key);
			snprintf(want, sizeof(want), "preflight.%s.%s must be an integer", th->group, th->key);
			expect_one(yaml_with(0, NULL, extra), 9, want);
		}
	}
}

static void
test_ordering_rules(void **state)
{
	(void)state;
	/* Both given, in the wrong order (the first key's line is reported). */
	expect_one(yaml_with(0, NULL, "preflight:\n  dependencies: { warnCount: 50, infoCount: 60 }\n"), 8,
	    "preflight.dependencies.infoCount (60) must be less than preflight.dependencies.warnCount (50)");
	expect_one(yaml_with(0, NULL, "preflight:\n  image:\n    warnMb: 900\n    failMb: 800\n"), 9,
	    "preflight.image.warnMb (900) must be less than preflight.image.failMb (800)");
	expect_one(yaml_with(0, NULL, "preflight:\n  timeout: { minMs: 5000, maxMs: 4000 }\n"), 8,
	    "preflight.timeout.minMs (5000) must be less than preflight.timeout.maxMs (4000)");
	expect_one(yaml_with(0, NULL, "preflight:\n  memory: { warnRatio: 0.7, failRatio: 0.9 }\n"), 8,
	    "preflight.memory.failRatio (0.9) must be less than preflight.memory.warnRatio (0.7)");
	/* Equal is not less. */
	expect_one(yaml_with(0, NULL, "preflight:\n  image: { warnMb: 5, failMb: 5 }\n"), 8,
	    "preflight.image.warnMb (5) must be less than preflight.image.failMb (5)");
	/* One given, the other a default: checked on effective values. */
	expect_one(yaml_with(0, NULL, "preflight:\n  dependencies: { infoCount: 150 }\n"), 8,
	    "infoCount (150) must be less than preflight.dependencies.warnCount (100, the default)");
	expect_one(yaml_with(0, NULL, "preflight:\n  dependencies:\n    warnCount: 10\n"), 9,
	    "infoCount (50, the default) must be less than preflight.dependencies.warnCount (10)");
	expect_one(yaml_with(0, NULL, "preflight:\n  image: { failMb: 400 }\n"), 8,
	    "preflight.image.warnMb (500, the default) must be less than preflight.image.failMb (400)");
	expect_one(yaml_with(0, NULL, "preflight:\n  timeout: { minMs: 30000 }\n"), 8,
	    "preflight.timeout.minMs (30000) must be less than preflight.timeout.maxMs (30000, the default)");
	expect_one(yaml_with(0, NULL, "preflight:\n  memory: { failRatio: 1.2 }\n"), 8,
	    "preflight.memory.failRatio (1.2) must be less than preflight.memory.warnRatio (1, the default)");
	expect_one(yaml_with(0, NULL, "preflight:\n  memory: { warnRatio: 0.5 }\n"), 8,
	    "failRatio (0.8, the default) must be less than preflight.memory.warnRatio (0.5)");
	/* An invalid value is reported once, without an ordering complaint on top. */
	expect_one(yaml_with(0, NULL, "preflight:\n  dependencies: { warnCount: 10, infoCount: 0 }\n"), 8,
	    "preflight.dependencies.infoCount must be a positive number");
	expect_one(yaml_with(0, NULL, "preflight:\n  dependencies: { warnCount: -1 }\n"), 8,
	    "preflight.dependencies.warnCount must be a positive number");
	/* Moving both past the defaults together is fine. */
	ig_service_free(parse_ok(yaml_with(0, NULL,
	    "preflight:\n  dependencies: { infoCount: 150, warnCount: 200 }\n"
	    "  timeout: { minMs: 40000, maxMs: 50000 }\n")));
}

static void
test_unknown_keys_at_each_level(void **state)
{
	(void)state;
	expect_one(yaml_with(0, NULL, "services: {}\n"), 7, "services: unknown key (did you mean service?)");
	expect_one(yaml_with(0, NULL, "extra: 1\n"), 7, "extra: unknown key");
	expect_one(yaml_with(0, NULL, "  memoryMB: 256\n"), 7, "service.memoryMB: unknown key (did you mean memoryMb?)");
	expect_one(yaml_with(0, NULL, "  entrypoint: x.ts\n"), 7, "service.entrypoint: unknown key");
	expect_one(yaml_with(0, NULL, "  cpu_limit: 1\n"), 7, "service.cpu_limit: unknown key (did you mean cpuLimit?)");
	expect_one(yaml_with(0, NULL, "preflight:\n  memmory: {}\n"), 8,
	    "preflight.memmory: unknown key (did you mean memory?)");
	expect_one(yaml_with(0, NULL, "preflight:\n  memory: { base: 1 }\n"), 8,
	    "preflight.memory.base: unknown key");
	expect_one(yaml_with(0, NULL, "preflight:\n  dependencies: { warncount: 1 }\n"), 8,
	    "preflight.dependencies.warncount: unknown key (did you mean warnCount?)");
	expect_one(yaml_with(0, NULL, "preflight:\n  image: { sizeMb: 1 }\n"), 8,
	    "preflight.image.sizeMb: unknown key");
	expect_one(yaml_with(0, NULL, "preflight:\n  timeout: { coldStartMs: 1 }\n"), 8,
	    "preflight.timeout.coldStartMs: unknown key");
}

static void
test_yaml_level_problems(void **state)
{
	(void)state;
	expect_one(yaml_with(0, NULL, "  name: again\n"), 7, "service.name: duplicate key (first defined at line 2)");
	expect_one(yaml_with(0, NULL, "  env: [1, 2\n"), 8, "YAML syntax error");
	expect_one(yaml_with(0, NULL, "  env: &a { A: 1 }\n"), 7, "anchors");
	expect_one(yaml_with(0, NULL, "---\nother: 1\n"), 7, "more than one YAML document");
	expect_one(yaml_with(0, NULL, "  env: { A: \"\xff\" }\n"), 7, "not valid UTF-8");
}

static void
test_all_errors_at_once(void **state)
{
	const char *text =
	    "service:\n"                     /* 1 */
	    "  name: Bad_Name\n"             /* 2: name rule */
	    "  runtime: node@24\n"           /* 3 */
	    "  entry: ../escape.ts\n"        /* 4: entry rule */
	    "  memoryMb: -5\n"               /* 5: positive */
	    "  timeoutMs: 5000\n"            /* 6 */
	    "  cpuLimit: \"2\"\n"            /* 7: quoted */
	    "preflight:\n"                   /* 8 */
	    "  image: { warnMb: 9, failMb: 3 }\n";  /* 9: ordering */
	static const int lines[] = { 2, 4, 5, 7, 9 };
	static const char *const what[] = { "service.name", "service.entry", "service.memoryMb",
	    "service.cpuLimit", "preflight.image.warnMb" };
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_service *svc = NULL;
	size_t i;

	(void)state;
	assert_int_equal(ig_service_parse(text, strlen(text), "service.yaml", &svc, &d, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_non_null(strstr(err.msg, "5 problems"));
	if (d.n != 5)
		dump_diags(&d);
	assert_int_equal(d.n, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(d.v[i].line, lines[i]);
		assert_non_null(strstr(d.v[i].msg, what[i]));
	}
	ig_diags_free(&d);
}

static void
test_design_example_message(void **state)
{
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_service *svc = NULL;
	const char *text = "service:\n  name: a\n  runtime: bun\n  memoryMb: -1\n  entry: i.js\n  timeoutMs: 1\n";
	char buf[600];

	(void)state;
	assert_int_equal(ig_service_parse(text, strlen(text), "service.yaml", &svc, &d, &err), -1);
	assert_int_equal(d.n, 1);
	assert_string_equal(ig_diag_format(&d.v[0], buf, sizeof(buf)),
	    "service.yaml:4: service.memoryMb must be a positive number");
	ig_diags_free(&d);
	/* The file name given is the one diagnostics use. */
	assert_int_equal(ig_service_parse(text, strlen(text), "svc/service.yaml", &svc, &d, &err), -1);
	assert_string_equal(d.v[0].file, "svc/service.yaml");
	ig_diags_free(&d);
}

static void
test_not_nul_terminated(void **state)
{
	const char *text = yaml_with(0, NULL, NULL);
	size_t len = strlen(text);
	char *copy = malloc(len);   /* exactly len bytes, no terminator: ASan checks overreads */
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_service *svc = NULL;

	(void)state;
	memcpy(copy, text, len);
	assert_int_equal(ig_service_parse(copy, len, "service.yaml", &svc, &d, &err), 0);
	ig_service_free(svc);
	free(copy);
}

/* ---- JSON -------------------------------------------------------------- */

static void
test_to_json(void **state)
{
	struct ig_service *svc = parse_ok(yaml_with(0, NULL,
	    "  cpuLimit: 0.5\n  env: { PORT: 3000, MODE: fast }\npreflight:\n  memory: { failRatio: 0.75 }\n"));
	struct json_object *j = ig_service_to_json(svc), *s, *p, *v;

	(void)state;
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "service", &s));
	assert_true(json_object_object_get_ex(j, "preflight", &p));
	assert_int_equal(json_object_object_length(j), 2);
	assert_int_equal(json_object_object_length(s), 7);
	assert_true(json_object_object_get_ex(s, "name", &v));
	assert_string_equal(json_object_get_string(v), "svc");
	assert_true(json_object_object_get_ex(s, "runtime", &v));
	assert_string_equal(json_object_get_string(v), "node@24");
	assert_true(json_object_object_get_ex(s, "entry", &v));
	assert_string_equal(json_object_get_string(v), "index.ts");
	assert_true(json_object_object_get_ex(s, "memoryMb", &v));
	assert_int_equal(json_object_get_int64(v), 128);
	assert_true(json_object_object_get_ex(s, "timeoutMs", &v));
	assert_int_equal(json_object_get_int64(v), 5000);
	assert_true(json_object_object_get_ex(s, "cpuLimit", &v));
	assert_true(json_object_get_double(v) == 0.5);
	assert_true(json_object_object_get_ex(s, "env", &v));
	assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
	    "{\"PORT\":\"3000\",\"MODE\":\"fast\"}");
	assert_string_equal(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN),
	    "{\"memory\":{\"baseMb\":50,\"perDependencyMb\":2,\"warnRatio\":1,\"failRatio\":0.75},"
	    "\"dependencies\":{\"warnCount\":100,\"infoCount\":50},"
	    "\"image\":{\"warnMb\":500,\"failMb\":1000},"
	    "\"timeout\":{\"minMs\":100,\"maxMs\":30000,\"coldStartBufferMs\":500}}");
	json_object_put(j);
	ig_service_free(svc);

	/* Defaults: cpuLimit 1 as a plain integer, env an empty object. */
	svc = parse_ok(yaml_with(0, NULL, NULL));
	j = ig_service_to_json(svc);
	assert_true(json_object_object_get_ex(j, "service", &s));
	assert_true(json_object_object_get_ex(s, "cpuLimit", &v));
	assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), "1");
	assert_true(json_object_object_get_ex(s, "env", &v));
	assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), "{}");
	json_object_put(j);
	ig_service_free(svc);
}

/* ---- loading from a directory ------------------------------------------ */

/* Makes <tmp>/<case>/<name>/ with service.yaml (text) and, if entry is not
 * NULL, an entry file of that name. Returns the service directory path. */
static const char *
make_service(const char *casename, const char *name, const char *text, const char *entry)
{
	static char dir[512];
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", scratch_dir(), casename);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/%s/%s", scratch_dir(), casename, name);
	assert_int_equal(mkdir(dir, 0755), 0);
	if (text != NULL)
		file_write_in(dir, "service.yaml", text);
	if (entry != NULL)
		file_write_in(dir, entry, "console.log(1)\n");
	return dir;
}

/* Loads dir expecting exactly one problem containing want at line. */
static void
load_expect_one(const char *dir, bool require_name, int line, const char *want)
{
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_service *svc = NULL;

	assert_int_equal(ig_service_load(dir, require_name, &svc, &d, &err), -1);
	assert_null(svc);
	assert_int_equal(err.code, IG_EINVAL);
	if (d.n != 1 || d.v[0].line != line || strstr(d.v[0].msg, want) == NULL) {
		dump_diags(&d);
		fail_msg("expected exactly service.yaml:%d: …%s…", line, want);
	}
	ig_diags_free(&d);
}

static void
test_load_valid(void **state)
{
	const char *dir = make_service("valid", "svc", yaml_with(0, NULL, NULL), "index.ts");
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_service *svc = NULL;
	char slash[600];

	(void)state;
	assert_int_equal(ig_service_load(dir, true, &svc, &d, &err), 0);
	assert_string_equal(svc->dir, dir);
	assert_string_equal(svc->name, "svc");
	ig_service_free(svc);
	/* A trailing slash does not change the directory's name. */
	snprintf(slash, sizeof(slash), "%s//", dir);
	assert_int_equal(ig_service_load(slash, true, &svc, &d, &err), 0);
	ig_service_free(svc);
	assert_int_equal(d.n, 0);
}

static void
test_load_dir_name(void **state)
{
	const char *dir = make_service("dirname", "other", yaml_with(0, NULL, NULL), "index.ts");
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_service *svc = NULL;

	(void)state;
	load_expect_one(dir, true, 2, "service.name \"svc\" must equal the directory name \"other\"");
	assert_int_equal(ig_service_load(dir, false, &svc, &d, &err), 0);
	ig_service_free(svc);
}

static void
test_load_entry_missing(void **state)
{
	const char *dir = make_service("entry-missing", "svc", yaml_with(0, NULL, NULL), NULL);

	(void)state;
	load_expect_one(dir, false, 4, "service.entry \"index.ts\" does not exist in the service directory");
}

static void
test_load_entry_directory(void **state)
{
	const char *dir = make_service("entry-dir", "svc", yaml_with(4, "  entry: src", NULL), NULL);
	char path[600];

	(void)state;
	snprintf(path, sizeof(path), "%s/src", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	load_expect_one(dir, false, 4, "service.entry \"src\" is a directory, not a file");
}

static void
test_load_entry_fifo(void **state)
{
	const char *dir = make_service("entry-fifo", "svc", yaml_with(0, NULL, NULL), NULL);
	char path[600];

	(void)state;
	snprintf(path, sizeof(path), "%s/index.ts", dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	load_expect_one(dir, false, 4, "service.entry \"index.ts\" is not a regular file");
}

static void
test_load_entry_symlink_escape(void **state)
{
	const char *dir = make_service("entry-escape", "svc", yaml_with(0, NULL, NULL), NULL);
	char path[600];

	(void)state;
	snprintf(path, sizeof(path), "%s/index.ts", dir);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	load_expect_one(dir, false, 4, "service.entry \"index.ts\" resolves outside the service directory");

	/* Relative escape to a file that exists next to the service. */
	assert_int_equal(unlink(path), 0);
	file_write_in(scratch_dir(), "entry-escape/outside.ts", "x");
	assert_int_equal(symlink("../outside.ts", path), 0);
	load_expect_one(dir, false, 4, "resolves outside the service directory");

	/* Through a symlinked directory. */
	{
		const char *d2;
		char p2[600];

		d2 = make_service("entry-escape-dir", "svc", yaml_with(4, "  entry: lib/passwd", NULL), NULL);
		snprintf(p2, sizeof(p2), "%s/lib", d2);
		assert_int_equal(symlink("/etc", p2), 0);
		load_expect_one(d2, false, 4, "service.entry \"lib/passwd\" resolves outside the service directory");
	}
}

static void
test_load_entry_symlink_inside(void **state)
{
	const char *dir = make_service("entry-inside", "svc", yaml_with(0, NULL, NULL), NULL);
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_service *svc = NULL;
	char path[600];

	(void)state;
	snprintf(path, sizeof(path), "%s/src", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	file_write_in(dir, "src/main.ts", "x");
	snprintf(path, sizeof(path), "%s/index.ts", dir);
	assert_int_equal(symlink("src/main.ts", path), 0);
	assert_int_equal(ig_service_load(dir, true, &svc, &d, &err), 0);
	ig_service_free(svc);
}

/* Every piece of output a caller could show for a failed load. */
static void
assert_output_excludes(const struct ig_diags *d, const struct ig_err *err, const char *secret)
{
	char buf[700];
	size_t i;

	assert_null(strstr(err->msg, secret));
	for (i = 0; i < d->n; i++)
		assert_null(strstr(ig_diag_format(&d->v[i], buf, sizeof(buf)), secret));
}

static void
test_load_service_yaml_symlink_refused(void **state)
{
	const char *dir = make_service("yaml-shadow", "svc", NULL, "index.ts");
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_service *svc = NULL;
	char path[600], secret_path[600];

	(void)state;
	snprintf(path, sizeof(path), "%s/service.yaml", dir);
	assert_int_equal(symlink("/etc/shadow", path), 0);
	assert_int_equal(ig_service_load(dir, false, &svc, &d, &err), -1);
	assert_null(svc);
	assert_int_equal(err.code, IG_EPERM);
	assert_non_null(strstr(err.msg, "service.yaml"));
	assert_int_equal(d.n, 0);
	assert_output_excludes(&d, &err, "root:");

	/* A readable outside file that looks like a service.yaml with a secret:
	 * still refused, and nothing of it shows up. */
	assert_int_equal(unlink(path), 0);
	snprintf(secret_path, sizeof(secret_path), "%s/secret.yaml", scratch_dir());
	file_write_in(scratch_dir(), "secret.yaml", "root:x:0:0:SECRET\n");
	assert_int_equal(symlink(secret_path, path), 0);
	assert_int_equal(ig_service_load(dir, false, &svc, &d, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_int_equal(d.n, 0);
	assert_output_excludes(&d, &err, "root:");
	assert_output_excludes(&d, &err, "SECRET");
	ig_diags_free(&d);
}

static void
test_load_service_yaml_symlink_inside(void **state)
{
	const char *dir = make_service("yaml-inside", "svc", NULL, "index.ts");
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_service *svc = NULL;
	char path[600];

	(void)state;
	file_write_in(dir, "real.yaml", yaml_with(0, NULL, NULL));
	snprintf(path, sizeof(path), "%s/service.yaml", dir);
	assert_int_equal(symlink("real.yaml", path), 0);
	assert_int_equal(ig_service_load(dir, true, &svc, &d, &err), 0);
	ig_service_free(svc);
}

static void
test_load_missing_and_odd_files(void **state)
{
	const char *dir;
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_service *svc = NULL;
	char path[600];
	char *big;

	(void)state;
	snprintf(path, sizeof(path), "%s/no-such-dir", scratch_dir());
	assert_int_equal(ig_service_load(path, false, &svc, &d, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);

	dir = make_service("no-yaml", "svc", NULL, "index.ts");
	assert_int_equal(ig_service_load(dir, false, &svc, &d, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	assert_non_null(strstr(err.msg, "service.yaml"));

	dir = make_service("yaml-dir", "svc", NULL, "index.ts");
	snprintf(path, sizeof(path), "%s/service.yaml", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(ig_service_load(dir, false, &svc, &d, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_int_equal(d.n, 0);

	/* Larger than the YAML limit: one diagnostic, nothing parsed. */
	dir = make_service("yaml-big", "svc", NULL, "index.ts");
	big = malloc(IG_YAML_MAX_BYTES + 100);
	memset(big, '#', IG_YAML_MAX_BYTES + 100);
	snprintf(path, sizeof(path), "%s/service.yaml", dir);
	file_write(path, big, IG_YAML_MAX_BYTES + 100, 0644);
	free(big);
	assert_int_equal(ig_service_load(dir, false, &svc, &d, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "larger than"));
	ig_diags_free(&d);
}

static void
test_load_entry_checked_with_other_errors(void **state)
{
	const char *dir = make_service("combined", "svc", yaml_with(5, "  memoryMb: 0", "  extra: 1\n"), NULL);
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_service *svc = NULL;

	(void)state;
	assert_int_equal(ig_service_load(dir, true, &svc, &d, &err), -1);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.v[0].line, 4);       /* entry missing, sorted into line order */
	assert_non_null(strstr(d.v[0].msg, "does not exist"));
	assert_int_equal(d.v[1].line, 5);
	assert_int_equal(d.v[2].line, 7);
	assert_non_null(strstr(err.msg, "3 problems"));
	ig_diags_free(&d);
}

/* ---- corpus ------------------------------------------------------------ */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the subdirectories of dir, sorted. */
static size_t
list_cases(const char *dir, char ***out)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;

	if (dp == NULL)
		fail_msg("cannot open %s (tests run from the repository root)", dir);
	while ((de = readdir(dp)) != NULL) {
		char path[600];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_name[0] == '.' || lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			continue;   /* a README or other file is not a case */
		v = realloc(v, (n + 1) * sizeof(*v));
		v[n++] = strdup(de->d_name);
	}
	closedir(dp);
	qsort(v, n, sizeof(*v), name_cmp);
	*out = v;
	return n;
}

static void
test_corpus_invalid(void **state)
{
	char **cases = NULL, path[600], buf[700];
	size_t n = list_cases(CORPUS_INVALID, &cases), i, j;
	int failures = 0;

	(void)state;
	assert_true(n >= 25);
	for (i = 0; i < n; i++) {
		struct ig_diags d = {0};
		struct ig_err err = {0};
		struct ig_service *svc = NULL;
		char *want, *all;
		size_t cap = 64 * 1024, o = 0, wlen = 0;

		snprintf(path, sizeof(path), "%s/%s/expect", CORPUS_INVALID, cases[i]);
		want = file_read_optional(path, &wlen);
		while (want != NULL && wlen > 0 && (want[wlen - 1] == '\n' || want[wlen - 1] == '\r'))
			want[--wlen] = '\0';
		if (want == NULL || *want == '\0')
			fail_msg("%s has no expect file", cases[i]);
		snprintf(path, sizeof(path), "%s/%s", CORPUS_INVALID, cases[i]);
		all = calloc(1, cap);
		if (ig_service_load(path, false, &svc, &d, &err) == 0) {
			print_message("corpus %s: loaded, expected an error containing \"%s\"\n", cases[i], want);
			failures++;
		} else {
			o += (size_t)snprintf(all + o, cap - o, "%s\n", err.msg);
			for (j = 0; j < d.n && o < cap; j++)
				o += (size_t)snprintf(all + o, cap - o, "%s\n",
				    ig_diag_format(&d.v[j], buf, sizeof(buf)));
			if (strstr(all, want) == NULL) {
				print_message("corpus %s: \"%s\" not in:\n%s", cases[i], want, all);
				failures++;
			}
			if (strstr(all, "root:") != NULL) {
				print_message("corpus %s: output shows file content\n", cases[i]);
				failures++;
			}
		}
		ig_service_free(svc);
		ig_diags_free(&d);
		free(all);
		free(want);
		free(cases[i]);
	}
	free(cases);
	assert_int_equal(failures, 0);
}

static void
test_corpus_valid(void **state)
{
	char **cases = NULL, path[600];
	size_t n = list_cases(CORPUS_VALID, &cases), i;
	int failures = 0;

	(void)state;
	assert_true(n >= 3);
	for (i = 0; i < n; i++) {
		struct ig_diags d = {0};
		struct ig_err err = {0};
		struct ig_service *svc = NULL;

		snprintf(path, sizeof(path), "%s/%s", CORPUS_VALID, cases[i]);
		if (ig_service_load(path, true, &svc, &d, &err) != 0) {
			print_message("corpus %s: %s\n", cases[i], err.msg);
			dump_diags(&d);
			failures++;
		}
		ig_service_free(svc);
		ig_diags_free(&d);
		free(cases[i]);
	}
	free(cases);
	assert_int_equal(failures, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_valid_with_defaults),
		cmocka_unit_test(test_full_valid),
		cmocka_unit_test(test_valid_variants),
		cmocka_unit_test(test_required_keys),
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_name_rules),
		cmocka_unit_test(test_name_ok_function),
		cmocka_unit_test(test_runtime_rules),
		cmocka_unit_test(test_entry_rules),
		cmocka_unit_test(test_memory_rules),
		cmocka_unit_test(test_timeout_rules),
		cmocka_unit_test(test_cpu_rules),
		cmocka_unit_test(test_env_rules),
		cmocka_unit_test(test_preflight_value_rules),
		cmocka_unit_test(test_ordering_rules),
		cmocka_unit_test(test_unknown_keys_at_each_level),
		cmocka_unit_test(test_yaml_level_problems),
		cmocka_unit_test(test_all_errors_at_once),
		cmocka_unit_test(test_design_example_message),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_to_json),
		cmocka_unit_test(test_load_valid),
		cmocka_unit_test(test_load_dir_name),
		cmocka_unit_test(test_load_entry_missing),
		cmocka_unit_test(test_load_entry_directory),
		cmocka_unit_test(test_load_entry_fifo),
		cmocka_unit_test(test_load_entry_symlink_escape),
		cmocka_unit_test(test_load_entry_symlink_inside),
		cmocka_unit_test(test_load_service_yaml_symlink_refused),
		cmocka_unit_test(test_load_service_yaml_symlink_inside),
		cmocka_unit_test(test_load_missing_and_odd_files),
		cmocka_unit_test(test_load_entry_checked_with_other_errors),
		cmocka_unit_test(test_corpus_invalid),
		cmocka_unit_test(test_corpus_valid),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
