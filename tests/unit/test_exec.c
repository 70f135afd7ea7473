/* test_exec.c — the container configuration: limits, hardening, labels. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "exec.h"
#include "bounds.h"
#include "policy.h"
#include "runtime.h"
#include "service.h"

static const char RUNTIME_JSON[] =
	"{\"name\":\"deno\",\"env\":[\"DENO_DIR=/tmp/deno\"],\"argsAt\":2,"
	"\"args\":{\"base\":[\"--no-prompt\"],\"spawnDenied\":[\"--deny-run\"],"
	"\"spawnAllowed\":[\"--allow-run\"],\"spawnAllowedCommands\":[\"--allow-run={commands}\"],"
	"\"networkDenied\":[\"--deny-net\"],\"networkAllowed\":[\"--allow-net\"],"
	"\"fsReadOnly\":[\"--allow-write=/tmp\"],\"fsWritable\":[\"--allow-write\"]},"
	"\"launcherArgs\":{\"networkDenied\":[\"--ignite-network=off\"],"
	"\"networkAllowed\":[\"--ignite-network=on\"],"
	"\"spawnDenied\":[\"--ignite-spawn=deny\"],\"spawnAllowed\":[\"--ignite-spawn=allow\"],"
	"\"spawnAllowedCommands\":[\"--ignite-spawn=only:{commands}\"]}}";

struct fixture {
	struct ig_runtime_resolved rt;
	struct ig_policy policy;
	struct ig_exec_spec spec;
	struct ig_env_var env[1];
	char *command[5];
	char *allowed[2];
};

static struct fixture fx;

static int
setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.command[0] = "/ignite/bin/deno";
	fx.command[1] = "run";
	fx.command[2] = "/ignite/launcher.mjs";
	fx.rt.name = "deno";
	fx.rt.version = "2.9.6";
	fx.rt.image = "ignite-runtime/deno:2.9.6";
	fx.rt.command = fx.command;
	fx.rt.command_n = 3;
	fx.rt.runtime_json = json_tokener_parse(RUNTIME_JSON);
	fx.policy.fs_read_only = true;
	fx.env[0].name = "PORT";
	fx.env[0].value = "3000";
	fx.spec.run_id = "0123456789abcdef0123456789abcdef";
	fx.spec.service_name = "hello";
	fx.spec.host_dir = "/srv/services/hello";
	fx.spec.entry = "src/index.ts";
	fx.spec.env = fx.env;
	fx.spec.env_n = 1;
	fx.spec.rt = &fx.rt;
	fx.spec.policy = &fx.policy;
	fx.spec.audit = true;
	fx.spec.limits.memory_mb = 128;
	fx.spec.limits.cpu = 0.5;
	fx.spec.limits.timeout_ms = 1000;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	json_object_put(fx.rt.runtime_json);
	return 0;
}

static struct json_object *
get(struct json_object *o, const char *path)
{
	char buf[128], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok != NULL && o != NULL; tok = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, tok, &o))
			return NULL;
	return o;
}

static int
array_has(struct json_object *a, const char *s)
{
	size_t i;

	for (i = 0; a != NULL && i < json_object_array_length(a); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s) == 0)
			return 1;
	return 0;
}

static void
test_audit_hardening(void **state)
{
	struct json_object *c = NULL, *cmd;
	struct ig_err err = { 0 };

	(void)state;
	assert_int_equal(ig_exec_container_config(&fx.spec, &c, &err), 0);
	assert_string_equal(json_object_get_string(get(c, "HostConfig.NetworkMode")), "none");
	assert_true(json_object_get_boolean(get(c, "NetworkDisabled")));
	assert_true(json_object_get_boolean(get(c, "HostConfig.ReadonlyRootfs")));
	assert_true(array_has(get(c, "HostConfig.CapDrop"), "ALL"));
	assert_true(array_has(get(c, "HostConfig.SecurityOpt"), "no-new-privileges"));
	assert_string_equal(json_object_get_string(get(c, "HostConfig.IpcMode")), "none");
	assert_true(json_object_get_boolean(get(c, "HostConfig.Init")));
	assert_string_equal(json_object_get_string(get(c, "HostConfig.LogConfig.Type")), "none");
	assert_string_equal(json_object_get_string(get(c, "User")), IG_CONTAINER_USER);
	assert_non_null(strstr(json_object_get_string(json_object_object_get(
	    get(c, "HostConfig.Tmpfs"), "/tmp")), "noexec,nosuid,nodev,size=32m"));
	/* Limits. */
	assert_int_equal(json_object_get_int64(get(c, "HostConfig.Memory")), 128LL << 20);
	assert_int_equal(json_object_get_int64(get(c, "HostConfig.MemorySwap")), 128LL << 20);
	assert_int_equal(json_object_get_int64(get(c, "HostConfig.NanoCpus")), 500000000LL);
	assert_int_equal(json_object_get_int64(get(c, "HostConfig.PidsLimit")), IG_PIDS_LIMIT_DEFAULT);
	/* The service directory, read-only at /app. */
	assert_true(json_object_get_boolean(json_object_object_get(
	    json_object_array_get_idx(get(c, "HostConfig.Mounts"), 0), "ReadOnly")));
	/* Labels for the sweep. */
	assert_string_equal(json_object_get_string(json_object_object_get(get(c, "Labels"),
	    IG_LABEL_MANAGED)), "1");
	assert_string_equal(json_object_get_string(json_object_object_get(get(c, "Labels"),
	    IG_LABEL_RUN)), "0123456789abcdef0123456789abcdef");
	assert_non_null(json_object_object_get(get(c, "Labels"), IG_LABEL_OWNER));
	/* argv: command[0:argsAt] + flags + command[argsAt:] + launcher options + entry. */
	cmd = get(c, "Cmd");
	{
		static const char *const want[] = { "/ignite/bin/deno", "run", "--no-prompt", "--deny-net",
		    "--allow-write=/tmp", "--deny-run", "/ignite/launcher.mjs", "--ignite-network=off",
		    "--ignite-spawn=deny", "/app/src/index.ts" };
		size_t k;
		assert_int_equal(json_object_array_length(cmd), sizeof(want) / sizeof(want[0]));
		for (k = 0; k < sizeof(want) / sizeof(want[0]); k++)
			assert_string_equal(json_object_get_string(json_object_array_get_idx(cmd, k)), want[k]);
	}
	assert_string_equal(json_object_get_string(json_object_array_get_idx(cmd,
	    json_object_array_length(cmd) - 1)), "/app/src/index.ts");
	/* Environment: the service's and the runtime's, never the host's. */
	assert_true(array_has(get(c, "Env"), "PORT=3000"));
	assert_true(array_has(get(c, "Env"), "DENO_DIR=/tmp/deno"));
	assert_false(array_has(get(c, "Env"), "PATH=/usr/bin"));
	json_object_put(c);
}

static void
test_policy_relaxes(void **state)
{
	struct json_object *c = NULL, *cmd;
	struct ig_err err = { 0 };

	(void)state;
	fx.policy.network_enabled = true;
	fx.policy.fs_read_only = false;
	fx.policy.allow_spawn = true;
	fx.allowed[0] = "ls";
	fx.allowed[1] = "/usr/bin/env";
	fx.policy.allowed_commands = fx.allowed;
	fx.policy.allowed_commands_n = 2;
	assert_int_equal(ig_exec_container_config(&fx.spec, &c, &err), 0);
	assert_string_equal(json_object_get_string(get(c, "HostConfig.NetworkMode")), "bridge");
	assert_false(json_object_get_boolean(get(c, "HostConfig.ReadonlyRootfs")));
	cmd = get(c, "Cmd");
	assert_true(array_has(cmd, "--allow-run=ls,/usr/bin/env"));
	assert_true(array_has(cmd, "--ignite-spawn=only:ls,/usr/bin/env"));
	assert_true(array_has(cmd, "--allow-net"));
	assert_true(array_has(cmd, "--allow-write"));
	/* Capabilities stay dropped whatever the policy says. */
	assert_true(array_has(get(c, "HostConfig.CapDrop"), "ALL"));
	json_object_put(c);
	/* A command containing the list separator cannot be expressed. */
	fx.allowed[1] = "a,b";
	assert_int_equal(ig_exec_container_config(&fx.spec, &c, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
}

static void
test_non_audit_keeps_limits(void **state)
{
	struct json_object *c = NULL;
	struct ig_err err = { 0 };

	(void)state;
	fx.spec.audit = false;
	assert_int_equal(ig_exec_container_config(&fx.spec, &c, &err), 0);
	assert_string_equal(json_object_get_string(get(c, "HostConfig.NetworkMode")), "bridge");
	assert_int_equal(json_object_get_int64(get(c, "HostConfig.Memory")), 128LL << 20);
	assert_string_equal(json_object_get_string(get(c, "User")), IG_CONTAINER_USER);
	assert_null(strstr(json_object_get_string(json_object_object_get(
	    get(c, "HostConfig.Tmpfs"), "/tmp")), "noexec"));
	json_object_put(c);
}

static void
test_rejects_unsafe_spec(void **state)
{
	struct json_object *c = NULL;
	struct ig_err err = { 0 };

	(void)state;
	fx.spec.host_dir = "relative/dir";
	assert_int_equal(ig_exec_container_config(&fx.spec, &c, &err), -1);
	fx.spec.host_dir = "/srv/a,b";
	assert_int_equal(ig_exec_container_config(&fx.spec, &c, &err), -1);
	fx.spec.host_dir = "/srv/hello";
	fx.spec.entry = "../../etc/passwd";
	assert_int_equal(ig_exec_container_config(&fx.spec, &c, &err), -1);
	fx.spec.entry = "/etc/passwd";
	assert_int_equal(ig_exec_container_config(&fx.spec, &c, &err), -1);
	fx.spec.entry = "index.ts";
	fx.spec.limits.memory_mb = 0;
	assert_int_equal(ig_exec_container_config(&fx.spec, &c, &err), -1);
	fx.spec.limits.memory_mb = 128;
	fx.spec.limits.cpu = 0;
	assert_int_equal(ig_exec_container_config(&fx.spec, &c, &err), -1);
	fx.spec.limits.cpu = 1;
	fx.spec.limits.timeout_ms = 0;
	assert_int_equal(ig_exec_container_config(&fx.spec, &c, &err), -1);
}

static void
test_reserved_env_refused(void **state)
{
	static const char *const names[] = { "NODE_OPTIONS", "LD_PRELOAD", "DENO_DIR", "BUN_X",
	    "IGNITE_INPUT", "PATH" };
	struct json_object *c = NULL;
	struct ig_err err = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		fx.env[0].name = (char *)names[i];
		assert_int_equal(ig_exec_container_config(&fx.spec, &c, &err), -1);
		assert_int_equal(err.code, IG_EINVAL);
	}
}

static void
test_tmpfs_smaller_than_memory(void **state)
{
	struct json_object *c = NULL;
	struct ig_err err = { 0 };

	(void)state;
	fx.spec.limits.memory_mb = 8;
	assert_int_equal(ig_exec_container_config(&fx.spec, &c, &err), 0);
	assert_non_null(strstr(json_object_get_string(json_object_object_get(
	    get(c, "HostConfig.Tmpfs"), "/tmp")), "size=2m"));
	json_object_put(c);
	fx.spec.limits.memory_mb = 4096;
	assert_int_equal(ig_exec_container_config(&fx.spec, &c, &err), 0);
	assert_non_null(strstr(json_object_get_string(json_object_object_get(
	    get(c, "HostConfig.Tmpfs"), "/tmp")), "size=64m"));
	json_object_put(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_audit_hardening, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_relaxes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_audit_keeps_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_unsafe_spec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmpfs_smaller_than_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserved_env_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
