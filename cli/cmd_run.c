/* cmd_run.c — `ignite run <dir>`: execute a service once and report. */
#include "cli.h"
#include "jsonin.h"
#include "bounds.h"
#include "preflight.h"
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
help(void)
{
	printf("usage: ignite run <dir> [--input JSON] [--audit] [--json] [--audit-output FILE]\n"
	    "                  [--skip-preflight] [--runtime R] [--stdin FILE] [--runs-dir DIR]\n"
	    "\n"
	    "Runs the service in <dir> once in a fresh, hardened container and prints\n"
	    "what happened. The service's stdout and stderr stream to this terminal\n"
	    "(made safe to display); a summary follows on stderr. The run report is\n"
	    "stored in the run directory.\n"
	    "\n"
	    "  -i, --input JSON        input, given to the service as IGNITE_INPUT (default null)\n"
	    "      --input-file FILE   read the input JSON from FILE (- for stdin)\n"
	    "      --stdin FILE        text the service reads on its standard input\n"
	    "  -a, --audit             audit mode: no network, read-only root filesystem,\n"
	    "                          noexec /tmp, policy enforced, events reported\n"
	    "  -j, --json              print the full execution report as JSON instead\n"
	    "      --audit-output FILE write the security audit JSON to FILE\n"
	    "      --skip-preflight    run even if preflight fails (it is still reported)\n"
	    "  -r, --runtime R         run on runtime R instead of service.runtime\n"
	    "      --runs-dir DIR      where reports are stored (default $IGNITE_RUNS_DIR,\n"
	    "                          else ~/.local/state/ignite/runs)\n"
	    "  -h, --help              show this help\n"
	    "\n"
	    "Exit status: the service's exit code; 124 when it timed out; 137 when it\n"
	    "was killed for memory; 1 when preflight blocked it or it could not run;\n"
	    "2 for an invalid service or usage error.\n");
}

int
ig_cmd_run(int argc, char **argv)
{
	enum { O_INPUT_FILE = 256, O_STDIN, O_AUDIT_OUT, O_SKIP, O_RUNS };
	static const struct option opts[] = {
		{ "input",          required_argument, NULL, 'i' },
		{ "input-file",     required_argument, NULL, O_INPUT_FILE },
		{ "stdin",          required_argument, NULL, O_STDIN },
		{ "audit",          no_argument,       NULL, 'a' },
		{ "json",           no_argument,       NULL, 'j' },
		{ "audit-output",   required_argument, NULL, O_AUDIT_OUT },
		{ "skip-preflight", no_argument,       NULL, O_SKIP },
		{ "runtime",        required_argument, NULL, 'r' },
		{ "runs-dir",       required_argument, NULL, O_RUNS },
		{ "help",           no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *input = NULL, *input_file = NULL, *stdin_file = NULL, *audit_out = NULL;
	const char *runtime = NULL, *runs_dir = NULL;
	char *inbuf = NULL, *stdinbuf = NULL;
	size_t inlen = 0, stdinlen = 0;
	struct json_object *report = NULL, *parsed = NULL;
	struct ig_run_request req;
	struct ig_diags diags = { 0 };
	struct ig_err err = { 0 };
	struct ig_cli_ctx cx;
	struct ig_cli_live lv;
	bool colour;
	int c, json = 0, audit = 0, skip = 0, rc = IG_EXIT_FAIL, st;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:ajr:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i': input = optarg; break;
		case O_INPUT_FILE: input_file = optarg; break;
		case O_STDIN: stdin_file = optarg; break;
		case 'a': audit = 1; break;
		case 'j': json = 1; break;
		case O_AUDIT_OUT: audit_out = optarg; break;
		case O_SKIP: skip = 1; break;
		case 'r': runtime = optarg; break;
		case O_RUNS: runs_dir = optarg; break;
		case 'h': help(); return IG_EXIT_OK;
		default:  return ig_cli_usage_error("run", "invalid option");
		}
	}
	if (argc - optind != 1)
		return ig_cli_usage_error("run", "expected one service directory");
	if (input != NULL && input_file != NULL)
		return ig_cli_usage_error("run", "--input and --input-file exclude each other");
	memset(&req, 0, sizeof(req));
	if (input_file != NULL) {
		if (ig_cli_read_file(input_file, IG_INPUT_MAX, &inbuf, &inlen) != 0)
			return IG_EXIT_USAGE;
		req.input_json = inbuf;
		req.input_len = inlen;
	} else if (input != NULL) {
		req.input_json = input;
		req.input_len = strlen(input);
	}
	if (req.input_json != NULL) {
		if (req.input_len > IG_INPUT_MAX) {
			rc = ig_cli_usage_error("run", "--input: larger than %d bytes", IG_INPUT_MAX);
			goto out_bufs;
		}
		if (ig_jsonin_parse(req.input_json, req.input_len, 0, &parsed, &err) != 0) {
			rc = ig_cli_usage_error("run", "--input: %s", err.msg);
			goto out_bufs;
		}
		json_object_put(parsed);
	}
	if (stdin_file != NULL) {
		if (ig_cli_read_file(stdin_file, IG_STDIN_MAX, &stdinbuf, &stdinlen) != 0) {
			rc = IG_EXIT_USAGE;
			goto out_bufs;
		}
		req.stdin_data = stdinbuf;
		req.stdin_len = stdinlen;
	}
	if (ig_cli_ctx_open(&cx, IG_CLI_DOCKER | IG_CLI_STORE, runs_dir) != 0)
		goto out_bufs;
	colour = ig_report_use_colour(2);
	ig_cli_live_init(&lv);
	req.dir = argv[optind];
	req.runtime_override = runtime;
	req.audit = audit;
	req.skip_preflight = skip;
	if (!json) {
		req.on_output = ig_cli_live_output;
		req.output_arg = &lv;
	}
	st = ig_run_service(&cx.run, &req, &report, &diags, &err);
	switch (st) {
	case IG_RUN_INVALID:
		ig_cli_print_invalid(req.dir, &diags, &err);
		rc = IG_EXIT_INVALID;
		goto out;
	case IG_RUN_FAILED:
		if (report == NULL)
			ig_cli_error(req.dir, "%s", err.msg);
		break;
	default:
		break;
	}
	if (report != NULL) {
		if (audit_out != NULL) {
			struct json_object *a = NULL;
			FILE *fp = fopen(audit_out, "we");
			json_object_object_get_ex(report, "securityAudit", &a);
			if (fp == NULL || ig_report_json_write(a, fp, true, &err) != 0) {
				ig_cli_error(audit_out, "%s", fp == NULL ? strerror(errno) : err.msg);
			}
			if (fp != NULL)
				fclose(fp);
		}
		if (json) {
			if (ig_report_json_write(report, stdout, true, &err) != 0)
				ig_cli_print_err(&err);
		} else {
			ig_cli_live_finish(&lv);
			if (st == IG_RUN_BLOCKED) {
				struct json_object *pf;
				if (json_object_object_get_ex(report, "preflight", &pf))
					fprintf(stderr, "ignite: %s: preflight failed; not running "
					    "(use --skip-preflight to run anyway)\n", req.dir);
			}
			ig_cli_run_summary(report, colour);
		}
		rc = ig_run_exit_code(report);
	}
out:
	json_object_put(report);
	ig_diags_free(&diags);
	ig_cli_ctx_close(&cx);
out_bufs:
	free(inbuf);
	free(stdinbuf);
	return rc;
}
