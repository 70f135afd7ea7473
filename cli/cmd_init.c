/* cmd_init.c — `ignite init <name> [--runtime R] [--path P] [--js]`. */
#include "cli.h"
#include "scaffold.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
help(void)
{
	printf("usage: ignite init <name> [--runtime R] [--path P] [--js]\n"
	    "\n"
	    "Creates <path>/<name>/ with service.yaml, an entry file and package.json.\n"
	    "Never overwrites: exits 1 if any of those files already exists.\n"
	    "\n"
	    "  -r, --runtime R   runtime, name[@version] (default node@24)\n"
	    "  -p, --path P      parent directory (default .)\n"
	    "      --js          write index.js instead of index.ts\n"
	    "  -h, --help        show this help\n");
}

int
ig_cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "runtime", required_argument, NULL, 'r' },
		{ "path",    required_argument, NULL, 'p' },
		{ "js",      no_argument,       NULL, 'j' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *runtime = "node@24", *parent = ".";
	struct ig_err err = { 0 };
	char *dir = NULL;
	int c, ts = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': runtime = optarg; break;
		case 'p': parent = optarg; break;
		case 'j': ts = 0; break;
		case 'h': help(); return IG_EXIT_OK;
		default:  return ig_cli_usage_error("init", "invalid option");
		}
	}
	if (argc - optind != 1)
		return ig_cli_usage_error("init", "expected exactly one service name");
	if (strncmp(runtime, "node@20", 7) == 0 && ts)
		ts = 0;   /* node 20 cannot run TypeScript */
	if (ig_scaffold_create(parent, argv[optind], runtime, ts, &dir, &err) != 0) {
		ig_cli_print_err(&err);
		return err.code == IG_EINVAL ? IG_EXIT_USAGE : IG_EXIT_FAIL;
	}
	printf("Created %s/ (service.yaml, %s, package.json)\n", dir, ts ? "index.ts" : "index.js");
	printf("Next: ignite preflight %s && ignite run %s --input '{\"name\":\"you\"}'\n", dir, dir);
	free(dir);
	return IG_EXIT_OK;
}
