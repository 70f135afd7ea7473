/* cmd_lock.c — `ignite lock <dir> [--update|--check]`. */
#include "cli.h"
#include "lock.h"
#include "runtime.h"
#include "service.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
help(void)
{
	printf("usage: ignite lock <dir> [--update|--check]\n"
	    "\n"
	    "Records in <dir>/ignite.lock the resolved runtime, its image and the\n"
	    "SHA-256 of package.json and any lockfile, so later drift is visible.\n"
	    "\n"
	    "      --update   write ignite.lock (the default)\n"
	    "      --check    compare with ignite.lock; print each difference\n"
	    "  -h, --help     show this help\n"
	    "\n"
	    "Exit status: 0; 1 on drift with --check (or when ignite.lock is missing);\n"
	    "2 for an invalid service or ignite.lock.\n");
}

int
ig_cmd_lock(int argc, char **argv)
{
	enum { O_UPDATE = 256, O_CHECK };
	static const struct option opts[] = {
		{ "update", no_argument, NULL, O_UPDATE },
		{ "check",  no_argument, NULL, O_CHECK },
		{ "help",   no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ig_runtime_registry *reg = NULL;
	struct ig_runtime_resolved *rt = NULL;
	struct ig_lock *cur = NULL, *old = NULL;
	struct ig_lock_drift drift = { 0 };
	struct ig_service *svc = NULL;
	struct ig_diags diags = { 0 };
	struct ig_err err = { 0 };
	char runtime[256];
	const char *dir;
	int c, check = 0, update = 0, rc = IG_EXIT_FAIL;
	size_t i;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_UPDATE: update = 1; break;
		case O_CHECK: check = 1; break;
		case 'h': help(); return IG_EXIT_OK;
		default:  return ig_cli_usage_error("lock", "invalid option");
		}
	}
	if (check && update)
		return ig_cli_usage_error("lock", "--update and --check exclude each other");
	if (argc - optind != 1)
		return ig_cli_usage_error("lock", "expected one service directory");
	dir = argv[optind];
	if (ig_service_load(dir, false, &svc, &diags, &err) != 0) {
		ig_cli_print_invalid(dir, &diags, &err);
		rc = IG_EXIT_INVALID;
		goto out;
	}
	if (ig_runtime_registry_load(ig_cli_runtimes_file(), &reg, &err) != 0 ||
	    ig_runtime_resolve(reg, svc->runtime, &rt, &err) != 0) {
		ig_cli_error(dir, "service.yaml: %s", err.msg);
		rc = IG_EXIT_INVALID;
		goto out;
	}
	snprintf(runtime, sizeof(runtime), "%s@%s", rt->name, rt->version);
	if (ig_lock_compute(dir, runtime, rt->image, &cur, &err) != 0) {
		ig_cli_error(dir, "%s", err.msg);
		goto out;
	}
	if (!check) {
		if (ig_lock_write(dir, cur, &err) != 0) {
			ig_cli_error(dir, "%s", err.msg);
			goto out;
		}
		printf("wrote %s/%s (%s, %zu file%s hashed)\n", dir, IG_LOCK_FILE, runtime,
		    cur->files_n, cur->files_n == 1 ? "" : "s");
		rc = IG_EXIT_OK;
		goto out;
	}
	if (ig_lock_load(dir, &old, &diags, &err) != 0) {
		if (diags.n > 0) {
			ig_cli_print_invalid(dir, &diags, &err);
			rc = IG_EXIT_INVALID;
		} else {
			ig_cli_error(dir, "%s%s", err.msg,
			    err.code == IG_ENOENT ? " (run `ignite lock` to create it)" : "");
		}
		goto out;
	}
	if (ig_lock_diff(old, cur, &drift, &err) != 0) {
		ig_cli_print_err(&err);
		goto out;
	}
	for (i = 0; i < drift.n; i++)
		fprintf(stderr, "%s/%s: %s\n", dir, IG_LOCK_FILE, drift.v[i]);
	if (drift.n == 0)
		printf("%s/%s: up to date\n", dir, IG_LOCK_FILE);
	rc = drift.n == 0 ? IG_EXIT_OK : IG_EXIT_FAIL;
out:
	ig_lock_drift_free(&drift);
	ig_lock_free(cur);
	ig_lock_free(old);
	ig_runtime_resolved_free(rt);
	ig_runtime_registry_free(reg);
	ig_service_free(svc);
	ig_diags_free(&diags);
	return rc;
}
