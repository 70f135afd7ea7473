/* scaffold.c — writing the files of a new service. */
#include "scaffold.h"
#include "fs.h"
#include "service.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char SERVICE_YAML[] =
	"service:\n"
	"  name: %s\n"
	"  runtime: %s\n"
	"  entry: %s\n"
	"  memoryMb: 128\n"
	"  cpuLimit: 1\n"
	"  timeoutMs: 5000\n"
	"  env:\n"
	"    NODE_ENV: production\n";

static const char ENTRY_TS[] =
	"// %s — an Ignite service.\n"
	"//\n"
	"// The request's input arrives as JSON in the IGNITE_INPUT environment\n"
	"// variable; whatever the service prints is captured in the run report.\n"
	"interface Input {\n"
	"  name?: string;\n"
	"}\n"
	"\n"
	"const input: Input = JSON.parse(process.env.IGNITE_INPUT ?? \"null\") ?? {};\n"
	"console.log(JSON.stringify({ message: `Hello, ${input.name ?? \"world\"}!` }));\n";

static const char ENTRY_JS[] =
	"// %s — an Ignite service.\n"
	"//\n"
	"// The request's input arrives as JSON in the IGNITE_INPUT environment\n"
	"// variable; whatever the service prints is captured in the run report.\n"
	"const input = JSON.parse(process.env.IGNITE_INPUT ?? \"null\") ?? {};\n"
	"console.log(JSON.stringify({ message: `Hello, ${input.name ?? \"world\"}!` }));\n";

static const char PACKAGE_JSON[] =
	"{\n"
	"  \"name\": \"%s\",\n"
	"  \"version\": \"0.1.0\",\n"
	"  \"private\": true,\n"
	"  \"type\": \"module\"\n"
	"}\n";

/* Returns 1 if name exists in dirfd (as anything, even a dangling link). */
static int
exists_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int
ig_scaffold_create(const char *parent, const char *name, const char *runtime,
    int entry_ts, char **created_dir, struct ig_err *err)
{
	const char *entry = entry_ts ? "index.ts" : "index.js";
	const char *files[3] = { "service.yaml", entry, "package.json" };
	char *texts[3] = { NULL, NULL, NULL };
	char *path = NULL;
	int dirfd = -1, rc = -1, i, n[3];

	if (!ig_service_name_ok(name)) {
		ig_err_set(err, IG_EINVAL, "invalid service name \"%s\": use lowercase letters, digits "
		    "and '-', at most 63 characters, not starting or ending with '-'", name);
		return -1;
	}
	if (runtime == NULL || *runtime == '\0' || strpbrk(runtime, " \t\r\n\"'#:") != NULL) {
		ig_err_set(err, IG_EINVAL, "invalid runtime \"%s\"", runtime ? runtime : "");
		return -1;
	}
	if (asprintf(&path, "%s/%s", parent, name) < 0) {
		path = NULL;
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		ig_err_sys(err, IG_EIO, "%s", path);
		goto out;
	}
	if ((dirfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		ig_err_sys(err, errno == ENOTDIR || errno == ELOOP ? IG_EEXIST : IG_EIO, "%s", path);
		goto out;
	}
	for (i = 0; i < 3; i++) {
		if (exists_at(dirfd, files[i])) {
			ig_err_set(err, IG_EEXIST, "%s/%s: already exists; not overwriting", path, files[i]);
			goto out;
		}
	}
	n[0] = asprintf(&texts[0], SERVICE_YAML, name, runtime, entry);
	n[1] = asprintf(&texts[1], entry_ts ? ENTRY_TS : ENTRY_JS, name);
	n[2] = asprintf(&texts[2], PACKAGE_JSON, name);
	for (i = 0; i < 3; i++) {
		if (n[i] < 0) {
			texts[i] = NULL;
			ig_err_set(err, IG_ENOMEM, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < 3; i++) {
		if (ig_fs_write_new(dirfd, files[i], texts[i], (size_t)n[i], 0644, err) != 0) {
			ig_err_prefix(err, "%s", path);
			goto out;
		}
	}
	if (created_dir != NULL) {
		*created_dir = path;
		path = NULL;
	}
	rc = 0;
out:
	for (i = 0; i < 3; i++)
		free(texts[i]);
	free(path);
	if (dirfd >= 0)
		close(dirfd);
	return rc;
}
