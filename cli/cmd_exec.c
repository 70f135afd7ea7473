/* cmd_exec.c — `ignite exec --runtime R FILE…`: run files as an ad-hoc
 * service, through the same core path as POST /api/execute. */
#include "cli.h"
#include "adhoc.h"
#include "fs.h"
#include "jsonin.h"
#include "bounds.h"
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
help(void)
{
	printf("usage: ignite exec --runtime R FILE... [--entry F] [--input JSON] [--stdin FILE]\n"
	    "                   [--json] [--memory MB] [--timeout MS] [--skip-preflight]\n"
	    "                   [--runs-dir DIR]\n"
	    "\n"
	    "Runs the given files once, as an ad-hoc service, in a fresh hardened\n"
	    "container (always audit mode: no network, read-only filesystem, no\n"
	    "spawning). The files are copied into a private directory that is\n"
	    "mounted read-only and deleted afterwards. A FILE given as a plain\n"
	    "relative path keeps it (src/util.ts stays src/util.ts, so imports\n"
	    "work); an absolute path or one with \"..\" is used by its base name.\n"
	    "\n"
	    "  -r, --runtime R         node, node@24, node@22, node@20, bun, deno, ... (required)\n"
	    "  -e, --entry F           the file to run (default: the first FILE)\n"
	    "  -i, --input JSON        input, given to the code as IGNITE_INPUT (default null)\n"
	    "      --stdin FILE        text the code reads on its standard input (- for ours)\n"
	    "  -j, --json              print the full execution report as JSON\n"
	    "  -m, --memory MB         memory limit (default %d)\n"
	    "  -t, --timeout MS        time limit (default %d)\n"
	    "      --skip-preflight    run even if preflight fails (it is still reported)\n"
	    "      --runs-dir DIR      where reports are stored (default $IGNITE_RUNS_DIR,\n"
	    "                          else ~/.local/state/ignite/runs)\n"
	    "  -h, --help              show this help\n"
	    "\n"
	    "Exit status: the code's exit code; 124 when it timed out; 137 when it\n"
	    "was killed for memory; 1 when preflight blocked it or it could not run;\n"
	    "2 for a usage error or files that cannot be used.\n",
	    IG_ADHOC_MEMORY_MB_DEFAULT, IG_ADHOC_TIMEOUT_MS_DEFAULT);
}

/* Reads the regular file path into a malloc'd buffer of at most max bytes. */
/* The name a FILE argument has in the run's directory. */
static const char *
name_of(const char *arg)
{
	const char *slash;

	if (ig_fs_relpath_ok(arg))
		return arg;
	slash = strrchr(arg, '/');
	return slash != NULL ? slash + 1 : arg;
}

/* Strict positive decimal within max. */
static int
parse_positive(const char *s, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

int
ig_cmd_exec(int argc, char **argv)
{
	enum { O_STDIN = 256, O_SKIP, O_RUNS };
	static const struct option opts[] = {
		{ "runtime",        required_argument, NULL, 'r' },
		{ "entry",          required_argument, NULL, 'e' },
		{ "input",          required_argument, NULL, 'i' },
		{ "stdin",          required_argument, NULL, O_STDIN },
		{ "json",           no_argument,       NULL, 'j' },
		{ "memory",         required_argument, NULL, 'm' },
		{ "timeout",        required_argument, NULL, 't' },
		{ "skip-preflight", no_argument,       NULL, O_SKIP },
		{ "runs-dir",       required_argument, NULL, O_RUNS },
		{ "help",           no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *runtime = NULL, *entry = NULL, *input = NULL, *stdin_file = NULL, *runs_dir = NULL;
	struct ig_adhoc_profile prof;
	struct ig_adhoc_files fs = { 0 };
	struct ig_adhoc_spec spec;
	struct ig_adhoc_run run;
	struct ig_run_request req;
	struct json_object *report = NULL, *parsed = NULL, *extra = NULL;
	struct ig_err err = { 0 };
	struct ig_cli_ctx cx;
	struct ig_cli_live lv;
	char field[IG_ADHOC_FIELD_MAX], *stdin_data = NULL, workdir[4096];
	const char *tmp;
	size_t stdin_len = 0;
	long memory = 0, timeout = 0;
	int c, json = 0, skip = 0, rc = IG_EXIT_FAIL, st, i;
	bool have_cx = false;

	memset(&run, 0, sizeof(run));
	memset(&spec, 0, sizeof(spec));
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:e:i:jm:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': runtime = optarg; break;
		case 'e': entry = optarg; break;
		case 'i': input = optarg; break;
		case O_STDIN: stdin_file = optarg; break;
		case 'j': json = 1; break;
		case 'm':
			if (parse_positive(optarg, IG_MEMORY_MB_MAX, &memory) != 0)
				return ig_cli_usage_error("exec", "--memory: must be a positive number of MB");
			break;
		case 't':
			if (parse_positive(optarg, IG_TIMEOUT_MS_MAX, &timeout) != 0)
				return ig_cli_usage_error("exec", "--timeout: must be a positive number of ms");
			break;
		case O_SKIP: skip = 1; break;
		case O_RUNS: runs_dir = optarg; break;
		case 'h': help(); return IG_EXIT_OK;
		default:  return ig_cli_usage_error("exec", "invalid option");
		}
	}
	if (runtime == NULL)
		return ig_cli_usage_error("exec", "--runtime is required");
	if (optind >= argc)
		return ig_cli_usage_error("exec", "expected at least one FILE");
	if (input != NULL) {
		if (strlen(input) > IG_INPUT_MAX)
			return ig_cli_usage_error("exec", "--input: larger than %d bytes", IG_INPUT_MAX);
		if (ig_jsonin_parse(input, strlen(input), 0, &parsed, &err) != 0)
			return ig_cli_usage_error("exec", "--input: %s", err.msg);
		json_object_put(parsed);
	}

	/* The profile of a local user: the engine's own bounds, every runtime. */
	ig_adhoc_profile_defaults(&prof);
	prof.runtimes = "node,bun,deno";
	prof.max_memory_mb = IG_MEMORY_MB_MAX;
	prof.max_cpu = IG_CPU_LIMIT_MAX;
	prof.max_timeout_ms = IG_TIMEOUT_MS_MAX;
	prof.max_files = IG_ADHOC_FILES_MAX;
	prof.max_total_bytes = IG_ADHOC_BYTES_MAX;
	prof.max_file_bytes = IG_ADHOC_BYTES_MAX;
	prof.max_depth = IG_ADHOC_DEPTH_MAX;
	tmp = getenv("TMPDIR");
	if (tmp == NULL || tmp[0] != '/' || realpath(tmp, workdir) == NULL)
		snprintf(workdir, sizeof(workdir), "/tmp");
	prof.work_dir = workdir;

	for (i = optind; i < argc; i++) {
		char *data;
		size_t len;
		const char *name = name_of(argv[i]);

		if (ig_cli_read_file(argv[i], prof.max_file_bytes, &data, &len) != 0) {
			rc = IG_EXIT_USAGE;
			goto out;
		}
		st = ig_adhoc_files_add(&fs, &prof, name, data, len, false, field, sizeof(field), &err);
		free(data);
		if (st != 0) {
			ig_cli_error(argv[i], "%s", err.msg);
			rc = IG_EXIT_USAGE;
			goto out;
		}
	}
	if (stdin_file != NULL && ig_cli_read_file(stdin_file, IG_STDIN_MAX, &stdin_data, &stdin_len) != 0) {
		rc = IG_EXIT_USAGE;
		goto out;
	}
	if (ig_cli_ctx_open(&cx, IG_CLI_DOCKER | IG_CLI_STORE, runs_dir) != 0)
		goto out;
	have_cx = true;
	spec.runtime = runtime;
	spec.entry = entry != NULL ? name_of(entry) : fs.v[0].name;
	spec.memory_mb = memory;
	spec.timeout_ms = timeout;
	if (ig_adhoc_prepare(&cx.run, &prof, &spec, &fs, &run, field, sizeof(field), &err) != 0) {
		ig_cli_error(NULL, "%s", err.msg);
		rc = field[0] != '\0' ? IG_EXIT_USAGE : IG_EXIT_FAIL;
		goto out;
	}

	memset(&req, 0, sizeof(req));
	req.audit = true;
	req.skip_preflight = skip;
	req.input_json = input;
	req.input_len = input != NULL ? strlen(input) : 0;
	req.stdin_data = stdin_data;
	req.stdin_len = stdin_len;
	req.kind = "adhoc";
	extra = json_object_new_object();
	json_object_object_add(extra, "files", json_object_get(run.files));
	req.extra = extra;
	ig_cli_live_init(&lv);
	if (!json) {
		req.on_output = ig_cli_live_output;
		req.output_arg = &lv;
	}
	st = ig_run_prepared(&cx.run, &run.prep, &req, &report, &err);
	ig_adhoc_run_free(&run);
	if (st == IG_RUN_FAILED && report == NULL)
		ig_cli_error(NULL, "%s", err.msg);
	if (report != NULL) {
		if (json) {
			if (ig_report_json_write(report, stdout, true, &err) != 0)
				ig_cli_print_err(&err);
		} else {
			ig_cli_live_finish(&lv);
			if (st == IG_RUN_BLOCKED)
				fprintf(stderr, "ignite: preflight failed; not running (use --skip-preflight "
				    "to run anyway)\n");
			ig_cli_run_summary(report, ig_report_use_colour(2));
		}
		rc = ig_run_exit_code(report);
	}
out:
	ig_adhoc_run_free(&run);
	json_object_put(report);
	json_object_put(extra);
	ig_adhoc_files_free(&fs);
	free(stdin_data);
	if (have_cx)
		ig_cli_ctx_close(&cx);
	return rc;
}
