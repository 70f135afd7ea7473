/* cmd_preflight.c — `ignite preflight` and `ignite report`: validate a
 * service and run its preflight checks. */
#include "cli.h"
#include "preflight.h"
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static void
help(const char *verb)
{
	if (strcmp(verb, "report") == 0)
		printf("usage: ignite report <dir> [--json] [-o FILE] [--runtime R]\n"
		    "\n"
		    "Writes the preflight report of the service in <dir>, as text or JSON,\n"
		    "to standard output or FILE.\n");
	else
		printf("usage: ignite preflight <dir> [--json] [--runtime R]\n"
		    "\n"
		    "Validates <dir>/service.yaml and its policy, then checks memory,\n"
		    "dependencies, timeout and image size against the thresholds.\n");
	printf("\n"
	    "  -j, --json        print JSON (DESIGN §5 preflight shape)\n"
	    "%s"
	    "  -r, --runtime R   check against runtime R instead of service.runtime\n"
	    "  -h, --help        show this help\n"
	    "\n"
	    "Exit status: 0 pass or warn, 1 fail, 2 invalid configuration.\n",
	    strcmp(verb, "report") == 0 ? "  -o, --output FILE write the report to FILE\n" : "");
}

/* With --json, an invalid service still gets a JSON answer on stdout. */
static void
print_invalid_json(FILE *fp, const char *dir, const struct ig_diags *d, const struct ig_err *err)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	char line[1024];
	size_t i;

	json_object_object_add(o, "valid", json_object_new_boolean(0));
	json_object_object_add(o, "directory", json_object_new_string(dir));
	for (i = 0; i < d->n; i++)
		json_object_array_add(arr, json_object_new_string(ig_diag_format(&d->v[i], line, sizeof(line))));
	if (d->n == 0)
		json_object_array_add(arr, json_object_new_string(err->msg));
	json_object_object_add(o, "errors", arr);
	ig_report_json_write(o, fp, true, NULL);
	json_object_put(o);
}

static int
preflight_verb(int argc, char **argv, const char *verb)
{
	static const struct option opts[] = {
		{ "json",    no_argument,       NULL, 'j' },
		{ "output",  required_argument, NULL, 'o' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL, *runtime = NULL, *dir;
	struct ig_run_prepared p = { 0 };
	struct ig_diags diags = { 0 };
	struct ig_err err = { 0 };
	struct ig_cli_ctx cx;
	FILE *fp = stdout;
	int c, json = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jo:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'o':
			if (strcmp(verb, "report") != 0)
				return ig_cli_usage_error(verb, "-o is an option of `ignite report`");
			output = optarg;
			break;
		case 'r': runtime = optarg; break;
		case 'h': help(verb); return IG_EXIT_OK;
		default:  return ig_cli_usage_error(verb, "invalid option");
		}
	}
	if (argc - optind != 1)
		return ig_cli_usage_error(verb, "expected one service directory");
	dir = argv[optind];
	if (ig_cli_ctx_open(&cx, IG_CLI_DOCKER | IG_CLI_STORE, NULL) != 0)
		return IG_EXIT_FAIL;
	if (output != NULL && (fp = fopen(output, "we")) == NULL) {
		ig_cli_error(output, "%s", strerror(errno));
		ig_cli_ctx_close(&cx);
		return IG_EXIT_FAIL;
	}
	if (ig_run_prepare(&cx.run, dir, false, runtime, &p, &diags, &err) != 0) {
		ig_cli_print_invalid(dir, &diags, &err);
		if (json)
			print_invalid_json(fp, dir, &diags, &err);
		rc = IG_EXIT_INVALID;
		goto out;
	}
	if (json) {
		struct json_object *o = ig_report_preflight_json(p.preflight);
		if (ig_report_json_write(o, fp, true, &err) != 0)
			ig_cli_print_err(&err);
		json_object_put(o);
	} else {
		ig_report_preflight_text(p.preflight, fp, fp == stdout && ig_report_use_colour(1));
	}
	rc = p.preflight->overall == IG_PREFLIGHT_FAIL ? IG_EXIT_FAIL : IG_EXIT_OK;
out:
	if (fp != stdout && fclose(fp) != 0) {
		ig_cli_error(output, "%s", strerror(errno));
		rc = IG_EXIT_FAIL;
	}
	ig_run_prepared_free(&p);
	ig_diags_free(&diags);
	ig_cli_ctx_close(&cx);
	return rc;
}

int
ig_cmd_preflight(int argc, char **argv)
{
	return preflight_verb(argc, argv, "preflight");
}

int
ig_cmd_report(int argc, char **argv)
{
	return preflight_verb(argc, argv, "report");
}
