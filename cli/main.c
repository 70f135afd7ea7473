/* main.c — `ignite`: the verb table and global options. */
#include "cli.h"
#include "datadir.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const struct ig_cli_verb verbs[] = {
	{ "init",      ig_cmd_init,      "create a new service directory" },
	{ "preflight", ig_cmd_preflight, "validate a service and run preflight checks" },
	{ "report",    ig_cmd_report,    "write a preflight report (text or JSON)" },
	{ "run",       ig_cmd_run,       "execute a service once in a hardened container" },
	{ "exec",      ig_cmd_exec,      "run files (ad-hoc code) once in a hardened container" },
	{ "lock",      ig_cmd_lock,      "write or check ignite.lock" },
	{ "env",       ig_cmd_env,       "show runtime and lock information" },
	{ "keys", ig_cmd_keys, "manage API keys for ignite-fcgi" },
	{ "sweep",     ig_cmd_sweep,     "remove containers left behind by a crashed run" },
};

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp,
	    "usage: ignite <command> [options]\n"
	    "       ignite --version | --help\n"
	    "\n"
	    "Runs untrusted JavaScript/TypeScript services in hardened, single-use\n"
	    "Docker containers and reports what happened.\n"
	    "\n"
	    "Commands:\n");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(fp, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(fp,
	    "\n"
	    "Run 'ignite <command> --help' for a command's options.\n"
	    "\n"
	    "Exit status: 0 success; 1 failure (preflight failed, drift, file exists);\n"
	    "2 usage error or invalid configuration; run/exec return the service's\n"
	    "exit code (124 on timeout, 137 when killed for memory).\n"
	    "\n"
	    "Environment: NO_COLOR disables colour; IGNITE_DATADIR locates runtimes/;\n"
	    "DOCKER_HOST selects the Docker engine.\n");
}

void
ig_cli_error(const char *subject, const char *fmt, ...)
{
	va_list ap;

	fputs("ignite: ", stderr);
	if (subject != NULL)
		fprintf(stderr, "%s: ", subject);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
ig_cli_print_err(const struct ig_err *err)
{
	fprintf(stderr, "ignite: %s\n", err->msg[0] ? err->msg : "unknown error");
}

void
ig_cli_print_invalid(const char *dir, const struct ig_diags *d, const struct ig_err *err)
{
	char line[1024];
	size_t i, dl = strlen(dir);

	for (i = 0; i < d->n; i++) {
		ig_diag_format(&d->v[i], line, sizeof(line));
		if (dl > 0 && dir[dl - 1] == '/')
			fprintf(stderr, "%s%s\n", dir, line);
		else
			fprintf(stderr, "%s/%s\n", dir, line);
	}
	if (d->dropped > 0)
		fprintf(stderr, "%s: … and %zu more problems\n", dir, d->dropped);
	if (err != NULL && err->msg[0] != '\0')
		ig_cli_error(dir, "%s", err->msg);
}

int
ig_cli_usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;

	fputs("ignite: ", stderr);
	if (verb != NULL)
		fprintf(stderr, "%s: ", verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'ignite %s%s--help'.\n", verb ? verb : "", verb ? " " : "");
	return IG_EXIT_USAGE;
}

const char *
ig_cli_runtimes_file(void)
{
	static char path[4096];

	ig_datadir_locate(getenv("IGNITE_DATADIR"), "runtimes/runtimes.json", path, sizeof(path));
	return path;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return IG_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return IG_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("ignite %s\n", IG_VERSION);
		return IG_EXIT_OK;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].run(argc - 1, argv + 1);
	ig_cli_error(NULL, "unknown command '%s'", argv[1]);
	fprintf(stderr, "Try 'ignite --help'.\n");
	return IG_EXIT_USAGE;
}
