/* cmd_sweep.c — `ignite sweep [--all]`: remove containers left behind. */
#include "cli.h"
#include "docker.h"
#include "exec.h"

#include <getopt.h>
#include <stdio.h>

static void
help(void)
{
	printf("usage: ignite sweep [--all]\n"
	    "\n"
	    "Removes containers labelled ignite.managed=1 whose owning process (an\n"
	    "`ignite run` or ignite-fcgi) is gone: what a crash left behind.\n"
	    "\n"
	    "      --all    remove every Ignite container, including live runs\n"
	    "  -h, --help   show this help\n"
	    "\n"
	    "DOCKER_HOST selects the engine (default unix:///var/run/docker.sock).\n");
}

int
ig_cmd_sweep(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all",  no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ig_err err = { 0 };
	struct ig_docker *dk = NULL;
	int c, all = 0, n;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = 1; break;
		case 'h': help(); return IG_EXIT_OK;
		default:  return ig_cli_usage_error("sweep", "invalid option");
		}
	}
	if (optind != argc)
		return ig_cli_usage_error("sweep", "unexpected argument '%s'", argv[optind]);
	if (ig_docker_new(NULL, &dk, &err) != 0 || (n = ig_exec_sweep(dk, all, &err)) < 0) {
		ig_cli_print_err(&err);
		ig_docker_free(dk);
		return IG_EXIT_FAIL;
	}
	printf("removed %d container%s\n", n, n == 1 ? "" : "s");
	ig_docker_free(dk);
	return IG_EXIT_OK;
}
