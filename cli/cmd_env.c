/* cmd_env.c — `ignite env [dir] [--runtimes] [--json]`. */
#include "cli.h"
#include "docker.h"
#include "lock.h"
#include "report.h"
#include "runtime.h"
#include "service.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static void
help(void)
{
	printf("usage: ignite env [dir] [--runtimes] [--json]\n"
	    "\n"
	    "Without a directory (or with --runtimes): the runtime table — names,\n"
	    "versions, images, file types, and whether each image is in the local\n"
	    "Docker engine. With a service directory: the runtime it resolves to\n"
	    "and the state of its ignite.lock.\n"
	    "\n"
	    "      --runtimes   show the runtime table\n"
	    "  -j, --json       print JSON\n"
	    "  -h, --help       show this help\n");
}

/* The runtime table as JSON, with image availability when the engine answers. */
static struct json_object *
runtimes_json(const struct ig_runtime_registry *reg, struct ig_docker *dk)
{
	struct json_object *arr = json_object_new_array();
	size_t i, j, k;

	for (i = 0; i < reg->runtimes_n; i++) {
		const struct ig_runtime *r = &reg->runtimes[i];
		for (j = 0; j < r->versions_n; j++) {
			const struct ig_runtime_version *v = &r->versions[j];
			struct ig_runtime_resolved *rt = NULL;
			struct ig_docker_image *img = NULL;
			struct json_object *o = json_object_new_object(), *ext = json_object_new_array();
			char spec[128];

			snprintf(spec, sizeof(spec), "%s@%s", r->name, v->version);
			json_object_object_add(o, "name", json_object_new_string(r->name));
			json_object_object_add(o, "version", json_object_new_string(v->version));
			json_object_object_add(o, "default", json_object_new_boolean(0));
			if (ig_runtime_resolve(reg, spec, &rt, NULL) == 0) {
				json_object_object_add(o, "image", json_object_new_string(rt->image));
				if (dk != NULL && ig_docker_image_inspect(dk, rt->image, &img, NULL) == 0) {
					json_object_object_add(o, "imageSizeMb",
					    ig_report_json_number((double)(img->size / 100000) / 10.0));
					ig_docker_image_free(img);
				} else {
					json_object_object_add(o, "imageSizeMb", NULL);
				}
				ig_runtime_resolved_free(rt);
			}
			for (k = 0; k < v->extensions_n; k++)
				json_object_array_add(ext, json_object_new_string(v->extensions[k]));
			json_object_object_add(o, "extensions", ext);
			json_object_object_add(o, "typescript", json_object_new_boolean(v->typescript));
			json_object_array_add(arr, o);
		}
		/* Mark the version the runtime's default resolves to. */
		{
			struct ig_runtime_resolved *def = NULL;
			if (ig_runtime_resolve(reg, r->name, &def, NULL) == 0) {
				size_t n = json_object_array_length(arr);
				for (k = 0; k < n; k++) {
					struct json_object *o = json_object_array_get_idx(arr, k);
					if (strcmp(json_object_get_string(json_object_object_get(o, "name")), r->name) == 0 &&
					    strcmp(json_object_get_string(json_object_object_get(o, "version")), def->version) == 0)
						json_object_object_add(o, "default", json_object_new_boolean(1));
				}
				ig_runtime_resolved_free(def);
			}
		}
	}
	return arr;
}

static void
print_runtimes(struct json_object *arr)
{
	size_t i, k, n = json_object_array_length(arr);

	printf("%-6s %-9s %-3s %-30s %-10s %s\n", "NAME", "VERSION", "TS", "IMAGE", "SIZE", "FILES");
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v, *ext;
		char size[32] = "missing", files[128] = "";

		v = json_object_object_get(o, "imageSizeMb");
		if (v != NULL)
			snprintf(size, sizeof(size), "%.0f MB", json_object_get_double(v));
		ext = json_object_object_get(o, "extensions");
		for (k = 0; k < json_object_array_length(ext); k++) {
			size_t l = strlen(files);
			snprintf(files + l, sizeof(files) - l, "%s%s", k ? " " : "",
			    json_object_get_string(json_object_array_get_idx(ext, k)));
		}
		printf("%-6s %-9s %-3s %-30s %-10s %s%s\n",
		    json_object_get_string(json_object_object_get(o, "name")),
		    json_object_get_string(json_object_object_get(o, "version")),
		    json_object_get_boolean(json_object_object_get(o, "typescript")) ? "yes" : "no",
		    json_object_get_string(json_object_object_get(o, "image")), size, files,
		    json_object_get_boolean(json_object_object_get(o, "default")) ? "  (default)" : "");
	}
}

int
ig_cmd_env(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "runtimes", no_argument, NULL, 'R' },
		{ "json",     no_argument, NULL, 'j' },
		{ "help",     no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ig_runtime_resolved *rt = NULL;
	struct ig_service *svc = NULL;
	struct ig_lock *lock = NULL;
	struct json_object *out = NULL;
	struct ig_diags diags = { 0 };
	struct ig_err err = { 0 };
	struct ig_cli_ctx cx;
	int c, runtimes = 0, json = 0, rc = IG_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'R': runtimes = 1; break;
		case 'j': json = 1; break;
		case 'h': help(); return IG_EXIT_OK;
		default:  return ig_cli_usage_error("env", "invalid option");
		}
	}
	if (argc - optind > 1)
		return ig_cli_usage_error("env", "expected at most one service directory");
	if (ig_cli_ctx_open(&cx, IG_CLI_DOCKER, NULL) != 0)
		return IG_EXIT_FAIL;
	if (argc - optind == 0 || runtimes) {
		out = runtimes_json(cx.registry, cx.docker);
		if (json)
			ig_report_json_write(out, stdout, true, NULL);
		else
			print_runtimes(out);
		if (argc - optind == 0)
			goto out;
		json_object_put(out);
		out = NULL;
	}
	{
		const char *dir = argv[optind];
		struct json_object *lk;

		if (ig_service_load(dir, false, &svc, &diags, &err) != 0) {
			ig_cli_print_invalid(dir, &diags, &err);
			rc = IG_EXIT_INVALID;
			goto out;
		}
		if (ig_runtime_resolve(cx.registry, svc->runtime, &rt, &err) != 0) {
			ig_cli_error(dir, "service.yaml: %s", err.msg);
			rc = IG_EXIT_INVALID;
			goto out;
		}
		out = json_object_new_object();
		json_object_object_add(out, "service", json_object_new_string(svc->name));
		json_object_object_add(out, "runtime", json_object_new_string(svc->runtime));
		json_object_object_add(out, "resolved", json_object_new_string(rt->version));
		json_object_object_add(out, "image", json_object_new_string(rt->image));
		ig_diags_free(&diags);
		if (ig_lock_load(dir, &lock, &diags, &err) == 0)
			lk = ig_lock_to_json(lock);
		else
			lk = json_object_new_string(err.code == IG_ENOENT ? "none" : "invalid");
		json_object_object_add(out, "lock", lk);
		if (json) {
			ig_report_json_write(out, stdout, true, NULL);
		} else {
			printf("service  %s\nruntime  %s → %s@%s\nimage    %s\nlock     %s\n", svc->name,
			    svc->runtime, rt->name, rt->version, rt->image,
			    lock != NULL ? lock->runtime : json_object_get_string(lk));
		}
	}
out:
	json_object_put(out);
	ig_lock_free(lock);
	ig_runtime_resolved_free(rt);
	ig_service_free(svc);
	ig_diags_free(&diags);
	ig_cli_ctx_close(&cx);
	return rc;
}
