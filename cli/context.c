/* context.c — what every CLI verb that runs or checks a service sets up. */
#include "cli.h"
#include "docker.h"
#include "runtime.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Default run directory: $IGNITE_RUNS_DIR, $XDG_STATE_HOME/ignite/runs,
 * ~/.local/state/ignite/runs. */
static const char *
default_runs_dir(char *buf, size_t len)
{
	const char *v;

	if ((v = getenv("IGNITE_RUNS_DIR")) != NULL && *v)
		return v;
	if ((v = getenv("XDG_STATE_HOME")) != NULL && *v == '/') {
		snprintf(buf, len, "%s/ignite/runs", v);
		return buf;
	}
	if ((v = getenv("HOME")) != NULL && *v == '/') {
		snprintf(buf, len, "%s/.local/state/ignite/runs", v);
		return buf;
	}
	return "/var/lib/ignite/runs";
}

int
ig_cli_ctx_open(struct ig_cli_ctx *cx, int flags, const char *runs_dir)
{
	struct ig_err err = { 0 };
	char buf[4096];
	const char *file = ig_cli_runtimes_file();

	memset(cx, 0, sizeof(*cx));
	if (ig_runtime_registry_load(file, &cx->registry, &err) != 0) {
		ig_cli_print_err(&err);
		return -1;
	}
	cx->run.registry = cx->registry;
	if (flags & IG_CLI_DOCKER) {
		if (ig_docker_new(NULL, &cx->docker, &err) != 0) {
			ig_cli_print_err(&err);
			ig_cli_ctx_close(cx);
			return -1;
		}
		cx->run.docker = cx->docker;
	}
	if (flags & IG_CLI_STORE) {
		if (runs_dir == NULL)
			runs_dir = default_runs_dir(buf, sizeof(buf));
		if (ig_store_open(runs_dir, &cx->store, &err) != 0) {
			ig_cli_print_err(&err);
			ig_cli_ctx_close(cx);
			return -1;
		}
		cx->run.store = cx->store;
	}
	return 0;
}

void
ig_cli_ctx_close(struct ig_cli_ctx *cx)
{
	ig_store_close(cx->store);
	ig_docker_free(cx->docker);
	ig_runtime_registry_free(cx->registry);
	memset(cx, 0, sizeof(*cx));
}
