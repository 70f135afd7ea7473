/*
 * scaffold.h — creating a new service directory (`ignite init`).
 */
#ifndef IG_SCAFFOLD_H
#define IG_SCAFFOLD_H

#include "err.h"

/* Creates <parent>/<name>/ (or uses it if it exists and is a directory) with
 * service.yaml, the entry file and package.json for runtime (e.g. "node@24",
 * "bun", "deno@2"). Never overwrites: if any of the files exists, nothing is
 * written and -1 is returned with IG_EEXIST naming the file. name must be a
 * valid service name (IG_EINVAL otherwise). entry_ts selects index.ts over
 * index.js. On success, if created_dir is non-NULL it receives the path of
 * the service directory (caller frees). Returns 0 or -1 with err. */
int ig_scaffold_create(const char *parent, const char *name, const char *runtime,
    int entry_ts, char **created_dir, struct ig_err *err);

#endif
