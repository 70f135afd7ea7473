/*
 * fuzz_runtime.c — the runtime registry: ig_runtime_registry_parse on any
 * bytes, and ig_runtime_resolve / ig_runtime_check_entry with fuzzed specs
 * and entries.
 *
 * Input: registry text, optionally followed by a NUL and spec lines
 * ("node@24", …; at most 16). Each spec is resolved against the fuzzed
 * registry (when it parsed) and against the real runtimes/runtimes.json
 * (read once; IGNITE_FUZZ_RUNTIMES overrides its path, a small built-in
 * registry stands in when it cannot be read). Without spec lines a fixed
 * list is used.
 *
 * Properties: resolved specs name a version of the registry, with
 * NULL-terminated argv and extension lists of the stated lengths.
 */
#include "fuzz.h"

#include "err.h"
#include "runtime.h"

#include <json-c/json.h>

#define RUNTIME_SPECS_MAX 16

static const char runtime_builtin[] =
    "{\"runtimes\":[{\"name\":\"node\",\"defaultVersion\":\"24\","
    "\"extensions\":[\".js\",\".mjs\",\".ts\"],\"image\":\"ignite-runtime/node:{version}\","
    "\"command\":[\"/ignite/bin/node\",\"/ignite/launcher.mjs\"],"
    "\"versions\":[{\"version\":\"20.20.2\",\"typescript\":false,\"extensions\":[\".js\"]},"
    "{\"version\":\"24.22.3\",\"typescript\":true}]}]}";

static const char *const runtime_default_specs[] = {
	"node", "node@24", "node@v24.22", "node@24.22.3", "bun", "deno@2", "node@",
	"@24", "node@24.", "node@99999999999999999999", "x@1.2.3.4.5.6",
};

static struct ig_runtime_registry *
runtime_real(void)
{
	static struct ig_runtime_registry *reg;
	static int tried;
	const char *path = getenv("IGNITE_FUZZ_RUNTIMES");
	struct ig_err err = { 0 };

	if (!tried) {
		tried = 1;
		if (ig_runtime_registry_load(path != NULL ? path : "runtimes/runtimes.json", &reg, &err) != 0)
			FUZZ_CHECK(ig_runtime_registry_parse(runtime_builtin, sizeof(runtime_builtin) - 1,
			    "builtin.json", &reg, &err) == 0);
	}
	return reg;
}

static void
runtime_resolve(const struct ig_runtime_registry *reg, const char *spec)
{
	static const char *const entries[] = { "index.ts", "src/main.mjs", "a.js", "noext", ".ts", "x.TS" };
	struct ig_runtime_resolved *rt = NULL;
	struct ig_err err = { 0 };
	size_t i;

	if (ig_runtime_resolve(reg, spec, &rt, &err) != 0) {
		FUZZ_CHECK(rt == NULL && (err.code == IG_EINVAL || err.code == IG_ENOMEM));
		return;
	}
	FUZZ_CHECK(rt != NULL && rt->name != NULL && rt->version != NULL && rt->image != NULL);
	FUZZ_CHECK(rt->runtime != NULL && rt->entry != NULL);
	FUZZ_CHECK(ig_runtime_find(reg, rt->name) == rt->runtime);
	FUZZ_CHECK(strcmp(rt->entry->version, rt->version) == 0);
	FUZZ_CHECK(rt->command != NULL && rt->command[rt->command_n] == NULL);
	for (i = 0; i < rt->command_n; i++)
		FUZZ_CHECK(rt->command[i] != NULL);
	FUZZ_CHECK(rt->extensions != NULL && rt->extensions[rt->extensions_n] == NULL);
	for (i = 0; i < rt->extensions_n; i++)
		FUZZ_CHECK(rt->extensions[i] != NULL);
	for (i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		(void)ig_runtime_check_entry(rt, entries[i], &err);
	(void)ig_runtime_check_entry(rt, spec, &err);
	ig_runtime_resolved_free(rt);
}

static void
runtime_registry_ok(const struct ig_runtime_registry *reg)
{
	size_t i, k;

	for (i = 0; i < reg->runtimes_n; i++) {
		const struct ig_runtime *r = &reg->runtimes[i];

		FUZZ_CHECK(r->name != NULL);
		FUZZ_CHECK(ig_runtime_find(reg, r->name) != NULL);
		for (k = 0; k < r->versions_n; k++) {
			FUZZ_CHECK(r->versions[k].version != NULL);
			FUZZ_CHECK(r->versions[k].num_n >= 1 && r->versions[k].num_n <= IG_RUNTIME_VERSION_PARTS);
		}
	}
}

int
fuzz_runtime(const uint8_t *data, size_t size)
{
	struct ig_runtime_registry *reg = NULL;
	struct ig_err err = { 0 };
	size_t rlen = fuzz_part_len(data, size), off, nspecs = 0, i;
	char *specs = NULL, *line, *save = NULL;
	const struct ig_runtime_registry *real = runtime_real();

	if (ig_runtime_registry_parse((const char *)data, rlen, "runtimes.json", &reg, &err) == 0) {
		FUZZ_CHECK(reg != NULL);
		runtime_registry_ok(reg);
	} else {
		FUZZ_CHECK(reg == NULL && err.code != IG_OK);
	}
	if (rlen < size) {
		off = rlen + 1;
		specs = fuzz_strndup(data + off, size - off);
		FUZZ_CHECK(specs != NULL);
		for (line = strtok_r(specs, "\n", &save); line != NULL && nspecs < RUNTIME_SPECS_MAX;
		    line = strtok_r(NULL, "\n", &save), nspecs++) {
			if (reg != NULL)
				runtime_resolve(reg, line);
			runtime_resolve(real, line);
		}
	}
	if (nspecs == 0 && reg != NULL)
		for (i = 0; i < sizeof(runtime_default_specs) / sizeof(runtime_default_specs[0]); i++)
			runtime_resolve(reg, runtime_default_specs[i]);
	free(specs);
	ig_runtime_registry_free(reg);
	return 0;
}

#ifndef IG_FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_runtime(data, size);
}
#endif
