/* test_policy.c — the security policy: defaults, merging, file name
 * precedence, type checks, unknown keys, symlink refusal, JSON shape. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "policy.h"
#include "support.h"

static void
dump_diags(const struct ig_diags *d)
{
	char buf[700];
	size_t i;

	for (i = 0; i < d->n; i++)
		print_message("  got: %s\n", ig_diag_format(&d->v[i], buf, sizeof(buf)));
}

static struct ig_policy *
parse_ok(const char *text)
{
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_policy *p = NULL;

	if (ig_policy_parse(text, strlen(text), "ignite.policy.yaml", &p, &d, &err) != 0) {
		dump_diags(&d);
		fail_msg("parse failed: %s", err.msg);
	}
	assert_int_equal(d.n, 0);
	return p;
}

/* Expects exactly one problem at line whose message contains want. */
static void
expect_one(const char *text, int line, const char *want)
{
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_policy *p = NULL;

	assert_int_equal(ig_policy_parse(text, strlen(text), "ignite.policy.yaml", &p, &d, &err), -1);
	assert_null(p);
	assert_int_equal(err.code, IG_EINVAL);
	if (d.n != 1 || d.v[0].line != line || strstr(d.v[0].msg, want) == NULL) {
		dump_diags(&d);
		fail_msg("expected exactly ignite.policy.yaml:%d: …%s…\nfor:\n%s", line, want, text);
	}
	assert_string_equal(d.v[0].file, "ignite.policy.yaml");
	ig_diags_free(&d);
}

static void
assert_defaults(const struct ig_policy *p)
{
	assert_false(p->network_enabled);
	assert_true(p->fs_read_only);
	assert_false(p->allow_spawn);
	assert_int_equal(p->allowed_commands_n, 0);
}

/* ---- parsing ----------------------------------------------------------- */

static void
test_defaults(void **state)
{
	struct ig_policy *p = ig_policy_new_default();

	(void)state;
	assert_non_null(p);
	assert_defaults(p);
	assert_null(p->source);
	ig_policy_free(p);
	ig_policy_free(NULL);

	/* Empty files and empty sections keep every default. */
	p = parse_ok("");
	assert_defaults(p);
	assert_string_equal(p->source, "ignite.policy.yaml");
	ig_policy_free(p);
	p = parse_ok("security:\n");
	assert_defaults(p);
	ig_policy_free(p);
	p = parse_ok("security:\n  network: {}\n  filesystem:\n  process: { allowedCommands: [] }\n");
	assert_defaults(p);
	ig_policy_free(p);
}

static void
test_merging(void **state)
{
	struct ig_policy *p;

	(void)state;
	p = parse_ok("security:\n  network: { enabled: true }\n");
	assert_true(p->network_enabled);
	assert_true(p->fs_read_only);
	assert_false(p->allow_spawn);
	ig_policy_free(p);

	p = parse_ok("security:\n  filesystem:\n    readOnly: false\n");
	assert_false(p->network_enabled);
	assert_false(p->fs_read_only);
	ig_policy_free(p);

	p = parse_ok("security:\n  process:\n    allowSpawn: true\n    allowedCommands:\n      - ls\n"
	    "      - /usr/bin/git\n      - \"node\"\n");
	assert_true(p->allow_spawn);
	assert_int_equal(p->allowed_commands_n, 3);
	assert_string_equal(p->allowed_commands[0], "ls");
	assert_string_equal(p->allowed_commands[1], "/usr/bin/git");
	assert_string_equal(p->allowed_commands[2], "node");
	assert_false(p->network_enabled);
	assert_true(p->fs_read_only);
	ig_policy_free(p);

	/* Everything explicit, set to the opposite of the defaults. */
	p = parse_ok("security:\n  network:    { enabled: True }\n  filesystem: { readOnly: FALSE }\n"
	    "  process:    { allowSpawn: true, allowedCommands: [sh] }\n");
	assert_true(p->network_enabled);
	assert_false(p->fs_read_only);
	assert_true(p->allow_spawn);
	ig_policy_free(p);
}

static void
test_type_errors(void **state)
{
	(void)state;
	expect_one("security:\n  network: { enabled: yes }\n", 2, "security.network.enabled must be true or false");
	expect_one("security:\n  network: { enabled: 1 }\n", 2, "security.network.enabled must be true or false");
	expect_one("security:\n  network: { enabled: \"true\" }\n", 2, "not a quoted string");
	expect_one("security:\n  network: { enabled: [true] }\n", 2, "security.network.enabled must be true or false");
	expect_one("security:\n  network: { enabled: }\n", 2, "security.network.enabled must be true or false");
	expect_one("security:\n  filesystem:\n    readOnly: off\n", 3,
	    "security.filesystem.readOnly must be true or false");
	expect_one("security:\n  filesystem:\n    readOnly: 'false'\n", 3, "not a quoted string");
	expect_one("security:\n  process:\n    allowSpawn: no\n", 3, "security.process.allowSpawn must be true or false");
	expect_one("security:\n  process:\n    allowSpawn: ~\n", 3, "security.process.allowSpawn must be true or false");
	expect_one("security:\n  process:\n    allowedCommands: ls\n", 3,
	    "security.process.allowedCommands must be a list of strings");
	expect_one("security:\n  process:\n    allowedCommands: { ls: 1 }\n", 3,
	    "security.process.allowedCommands must be a list of strings");
	expect_one("security:\n  process:\n    allowedCommands: [ls, [sh]]\n", 3,
	    "security.process.allowedCommands[1] must be a string, not a list");
	expect_one("security:\n  process:\n    allowedCommands:\n      - ls\n      - \"\"\n", 5,
	    "security.process.allowedCommands[1] must be a non-empty string");
	expect_one("security:\n  process:\n    allowedCommands: [~]\n", 3,
	    "security.process.allowedCommands[0] must be a non-empty string");
	expect_one("security: true\n", 1, "security must be a mapping");
	expect_one("security:\n  network: false\n", 2, "security.network must be a mapping");
	expect_one("security:\n  filesystem: [readOnly]\n", 2, "security.filesystem must be a mapping");
	expect_one("security:\n  process: spawn\n", 2, "security.process must be a mapping");
	expect_one("- security\n", 1, "the document must be a mapping");
}

static void
test_command_rules(void **state)
{
	char *many;
	size_t o, i;
	struct ig_policy *p;

	(void)state;
	expect_one("security:\n  process: { allowedCommands: [bin/ls] }\n", 2,
	    "security.process.allowedCommands[0] must be a command name (\"ls\") or an absolute path");
	expect_one("security:\n  process: { allowedCommands: [./ls] }\n", 2, "must be a command name");
	expect_one("security:\n  process: { allowedCommands: [\"..\"] }\n", 2, "must be a command name");
	expect_one("security:\n  process: { allowedCommands: [/usr/../bin/sh] }\n", 2,
	    "must be a normalised absolute path");
	expect_one("security:\n  process: { allowedCommands: [//bin/sh] }\n", 2, "must be a normalised absolute path");
	expect_one("security:\n  process: { allowedCommands: [/usr/bin/] }\n", 2, "must name a program, not a directory");
	expect_one("security:\n  process: { allowedCommands: [/] }\n", 2, "must name a program, not a directory");
	expect_one("security:\n  process: { allowedCommands: [\"l\\0s\"] }\n", 2, "must not contain NUL characters");
	expect_one("security:\n  process: { allowedCommands: [\"l\\ns\"] }\n", 2, "must not contain control characters");

	/* Bounded count and length. */
	many = malloc(64 * (IG_ALLOWED_COMMANDS_MAX + 2) + IG_ALLOWED_COMMAND_LEN + 128);
	o = (size_t)snprintf(many, 128, "security:\n  process:\n    allowedCommands:\n");
	for (i = 0; i <= IG_ALLOWED_COMMANDS_MAX; i++)
		o += (size_t)snprintf(many + o, 64, "      - cmd%zu\n", i);
	expect_one(many, 4, "security.process.allowedCommands has too many entries (65; at most 64)");
	o = (size_t)snprintf(many, 128, "security:\n  process:\n    allowedCommands: [/");
	memset(many + o, 'a', IG_ALLOWED_COMMAND_LEN);
	snprintf(many + o + IG_ALLOWED_COMMAND_LEN, 8, "]\n");
	expect_one(many, 3, "security.process.allowedCommands[0] is too long");
	free(many);

	/* Exactly the maximum count is fine; numbers read as names. */
	p = parse_ok("security:\n  process: { allowedCommands: [python3, 7z, /opt/x-y/b_c] }\n");
	assert_string_equal(p->allowed_commands[1], "7z");
	ig_policy_free(p);
}

static void
test_unknown_keys(void **state)
{
	(void)state;
	expect_one("securty:\n", 1, "securty: unknown key (did you mean security?)");
	expect_one("network: { enabled: true }\n", 1, "network: unknown key");
	expect_one("security:\n  networking: {}\n", 2, "security.networking: unknown key (did you mean network?)");
	expect_one("security:\n  network: { enable: true }\n", 2,
	    "security.network.enable: unknown key (did you mean enabled?)");
	expect_one("security:\n  filesystem: { readonly: true }\n", 2,
	    "security.filesystem.readonly: unknown key (did you mean readOnly?)");
	expect_one("security:\n  filesystem: { writablePaths: [/tmp] }\n", 2,
	    "security.filesystem.writablePaths: unknown key");
	expect_one("security:\n  process:\n    allowedCommand: [ls]\n", 3,
	    "security.process.allowedCommand: unknown key (did you mean allowedCommands?)");
}

static void
test_yaml_problems(void **state)
{
	(void)state;
	expect_one("security:\n  network: { enabled: true\n", 3, "YAML syntax error");
	expect_one("security:\n  network: {}\n  network: {}\n", 3, "security.network: duplicate key");
	expect_one("security: &s {}\n", 1, "anchors");
	expect_one("security: {}\n---\nsecurity: {}\n", 2, "more than one YAML document");
}

static void
test_all_problems_at_once(void **state)
{
	const char *text =
	    "security:\n"
	    "  network: { enabled: maybe }\n"
	    "  filesystem: { readOnly: 0 }\n"
	    "  process:\n"
	    "    allowSpawn: \"true\"\n"
	    "    allowedCommands: [ok, bad/path]\n"
	    "  extra: 1\n";
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_policy *p = NULL;
	static const int lines[] = { 2, 3, 5, 6, 7 };
	size_t i;

	(void)state;
	assert_int_equal(ig_policy_parse(text, strlen(text), "x.yml", &p, &d, &err), -1);
	assert_int_equal(d.n, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(d.v[i].line, lines[i]);
		assert_string_equal(d.v[i].file, "x.yml");
	}
	assert_non_null(strstr(err.msg, "5 problems"));
	ig_diags_free(&d);
}

/* ---- loading ----------------------------------------------------------- */

static const char *const names[] = {
	"ignite.policy.yaml", "ignite.policy.yml", ".ignite-policy.yaml", ".ignite-policy.yml",
};

static struct ig_policy *
load_ok(const char *dir)
{
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_policy *p = NULL;

	if (ig_policy_load(dir, &p, &d, &err) != 0) {
		dump_diags(&d);
		fail_msg("load failed: %s", err.msg);
	}
	assert_int_equal(d.n, 0);
	return p;
}

static void
test_load_no_file_gives_defaults(void **state)
{
	const char *dir = scratch_case_dir(0755);
	struct ig_policy *p;

	(void)state;
	file_write_in(dir, "policy.yaml", "security: { network: { enabled: true } }\n");   /* not a policy name */
	file_write_in(dir, "ignite.policy.json", "{}");
	p = load_ok(dir);
	assert_defaults(p);
	assert_null(p->source);
	ig_policy_free(p);
}

static void
test_load_precedence(void **state)
{
	const char *dir = scratch_case_dir(0755);
	char path[600];
	struct ig_policy *p;
	size_t i;

	(void)state;
	/* Each file enables a different mix, so the one used is identifiable
	 * both by `source` and by its content. */
	file_write_in(dir, names[0], "security: { network: { enabled: true } }\n");
	file_write_in(dir, names[1], "security: { filesystem: { readOnly: false } }\n");
	file_write_in(dir, names[2], "security: { process: { allowSpawn: true } }\n");
	file_write_in(dir, names[3], "security: { process: { allowedCommands: [ls] } }\n");
	for (i = 0; i < 4; i++) {
		p = load_ok(dir);
		assert_string_equal(p->source, names[i]);
		assert_int_equal(p->network_enabled, i == 0);
		assert_int_equal(p->fs_read_only, i != 1);
		assert_int_equal(p->allow_spawn, i == 2);
		assert_int_equal(p->allowed_commands_n, i == 3 ? 1 : 0);
		ig_policy_free(p);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		assert_int_equal(unlink(path), 0);
	}
	p = load_ok(dir);
	assert_null(p->source);
	assert_defaults(p);
	ig_policy_free(p);
}

static void
test_load_each_name_alone(void **state)
{
	struct ig_policy *p;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		const char *dir = scratch_case_dir(0755);

		file_write_in(dir, names[i], "security:\n  network:\n    enabled: true\n");
		p = load_ok(dir);
		assert_string_equal(p->source, names[i]);
		assert_true(p->network_enabled);
		ig_policy_free(p);
	}
}

static void
test_load_invalid_file_not_skipped(void **state)
{
	const char *dir = scratch_case_dir(0755);
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_policy *p = NULL;

	(void)state;
	/* An invalid first file is an error even though a valid later one exists. */
	file_write_in(dir, names[0], "security:\n  network: { enabled: perhaps }\n");
	file_write_in(dir, names[1], "security: {}\n");
	assert_int_equal(ig_policy_load(dir, &p, &d, &err), -1);
	assert_null(p);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].file, "ignite.policy.yaml");
	assert_int_equal(d.v[0].line, 2);
	ig_diags_free(&d);
}

static void
test_load_symlink_escape_refused(void **state)
{
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_policy *p = NULL;
	char path[600], secret[600];
	size_t i;

	(void)state;
	snprintf(secret, sizeof(secret), "%s/outside.yaml", scratch_dir());
	file_write_in(scratch_dir(), "outside.yaml", "security: { network: { enabled: true } }\n# root:SECRET\n");
	for (i = 0; i < 4; i++) {
		const char *dir = scratch_case_dir(0755);

		/* A later, valid file must not be used instead. */
		if (i < 3)
			file_write_in(dir, names[3], "security: {}\n");
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		assert_int_equal(symlink(i % 2 ? "/etc/shadow" : secret, path), 0);
		assert_int_equal(ig_policy_load(dir, &p, &d, &err), -1);
		assert_null(p);
		assert_int_equal(err.code, IG_EPERM);
		assert_non_null(strstr(err.msg, names[i]));
		assert_null(strstr(err.msg, "root:"));
		assert_null(strstr(err.msg, "SECRET"));
		assert_int_equal(d.n, 0);
	}
}

static void
test_load_dangling_and_odd_files(void **state)
{
	const char *dir;
	struct ig_diags d = {0};
	struct ig_err err = {0};
	struct ig_policy *p = NULL;
	char path[600];
	char *big;

	(void)state;
	/* A dangling symlink counts as present: an error, not the defaults. */
	dir = scratch_case_dir(0755);
	snprintf(path, sizeof(path), "%s/%s", dir, names[0]);
	assert_int_equal(symlink("missing.yaml", path), 0);
	assert_int_equal(ig_policy_load(dir, &p, &d, &err), -1);
	assert_null(p);

	/* A directory with a policy name. */
	dir = scratch_case_dir(0755);
	snprintf(path, sizeof(path), "%s/%s", dir, names[1]);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(ig_policy_load(dir, &p, &d, &err), -1);
	assert_int_equal(err.code, IG_EPERM);

	/* Too large. */
	dir = scratch_case_dir(0755);
	snprintf(path, sizeof(path), "%s/%s", dir, names[0]);
	big = calloc(1, IG_YAML_MAX_BYTES + 1);
	memset(big, '#', IG_YAML_MAX_BYTES + 1);
	file_write(path, big, IG_YAML_MAX_BYTES + 1, 0644);
	free(big);
	assert_int_equal(ig_policy_load(dir, &p, &d, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(d.n, 1);
	assert_non_null(strstr(d.v[0].msg, "larger than"));
	ig_diags_free(&d);

	/* A missing directory. */
	snprintf(path, sizeof(path), "%s/nope", scratch_dir());
	assert_int_equal(ig_policy_load(path, &p, &d, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
}

static void
test_load_symlink_inside_allowed(void **state)
{
	const char *dir = scratch_case_dir(0755);
	char path[600];
	struct ig_policy *p;

	(void)state;
	file_write_in(dir, "shared-policy.yaml", "security: { process: { allowSpawn: true } }\n");
	snprintf(path, sizeof(path), "%s/%s", dir, names[2]);
	assert_int_equal(symlink("shared-policy.yaml", path), 0);
	p = load_ok(dir);
	assert_string_equal(p->source, names[2]);
	assert_true(p->allow_spawn);
	ig_policy_free(p);
}

/* ---- JSON -------------------------------------------------------------- */

static void
test_to_json(void **state)
{
	struct ig_policy *p = ig_policy_new_default();
	struct json_object *j = ig_policy_to_json(p);

	(void)state;
	assert_string_equal(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
	    "{\"network\":{\"enabled\":false},\"filesystem\":{\"readOnly\":true},"
	    "\"process\":{\"allowSpawn\":false,\"allowedCommands\":[]}}");
	json_object_put(j);
	ig_policy_free(p);

	p = parse_ok("security:\n  network: { enabled: true }\n  filesystem: { readOnly: false }\n"
	    "  process: { allowSpawn: true, allowedCommands: [ls, /bin/cat] }\n");
	j = ig_policy_to_json(p);
	assert_string_equal(json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
	    "{\"network\":{\"enabled\":true},\"filesystem\":{\"readOnly\":false},"
	    "\"process\":{\"allowSpawn\":true,\"allowedCommands\":[\"ls\",\"/bin/cat\"]}}");
	json_object_put(j);
	ig_policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_merging),
		cmocka_unit_test(test_type_errors),
		cmocka_unit_test(test_command_rules),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_yaml_problems),
		cmocka_unit_test(test_all_problems_at_once),
		cmocka_unit_test(test_load_no_file_gives_defaults),
		cmocka_unit_test(test_load_precedence),
		cmocka_unit_test(test_load_each_name_alone),
		cmocka_unit_test(test_load_invalid_file_not_skipped),
		cmocka_unit_test(test_load_symlink_escape_refused),
		cmocka_unit_test(test_load_dangling_and_odd_files),
		cmocka_unit_test(test_load_symlink_inside_allowed),
		cmocka_unit_test(test_to_json),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
