/* catalog.c — listing and locating the services the daemon serves. */
#include "catalog.h"
#include "diag.h"
#include "log.h"
#include "run.h"
#include "service.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int
ig_catalog_dir(const char *services, const char *name, char *out, size_t outlen,
    struct ig_err *err)
{
	struct stat st;
	int n;

	if (name == NULL || !ig_service_name_ok(name)) {
		ig_err_set(err, IG_ENOENT, "service not found");
		return -1;
	}
	n = snprintf(out, outlen, "%s/%s", services, name);
	if (n < 0 || (size_t)n >= outlen || lstat(out, &st) != 0 || !S_ISDIR(st.st_mode)) {
		ig_err_set(err, IG_ENOENT, "service %s not found", name);
		return -1;
	}
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	struct json_object *const *x = a, *const *y = b;

	return strcmp(json_object_get_string(json_object_object_get(*x, "name")),
	    json_object_get_string(json_object_object_get(*y, "name")));
}

int
ig_catalog_list(const char *services, struct json_object **out, struct ig_err *err)
{
	struct json_object *res, *arr;
	struct dirent *de;
	char path[4096], line[600];
	DIR *d;

	if ((d = opendir(services)) == NULL) {
		ig_err_sys(err, IG_EIO, "services directory %s", services);
		return -1;
	}
	res = json_object_new_object();
	arr = json_object_new_array();
	json_object_object_add(res, "services", arr);
	while ((de = readdir(d)) != NULL) {
		struct ig_service *svc = NULL;
		struct ig_diags diags = { 0 };
		struct ig_err e = { 0 };
		struct json_object *o;

		if (!ig_service_name_ok(de->d_name) ||
		    ig_catalog_dir(services, de->d_name, path, sizeof(path), NULL) != 0)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(de->d_name));
		if (ig_service_load(path, true, &svc, &diags, &e) == 0) {
			json_object_object_add(o, "runtime", json_object_new_string(svc->runtime));
			json_object_object_add(o, "entry", json_object_new_string(svc->entry));
			json_object_object_add(o, "valid", json_object_new_boolean(1));
		} else {
			json_object_object_add(o, "runtime", NULL);
			json_object_object_add(o, "entry", NULL);
			json_object_object_add(o, "valid", json_object_new_boolean(0));
			json_object_object_add(o, "error", json_object_new_string(diags.n > 0 ?
			    ig_diag_format(&diags.v[0], line, sizeof(line)) : e.msg));
		}
		json_object_array_add(arr, o);
		ig_service_free(svc);
		ig_diags_free(&diags);
	}
	closedir(d);
	json_object_array_sort(arr, by_name);
	*out = res;
	return 0;
}

int
ig_catalog_warm(const char *services, const struct ig_run_ctx *ctx)
{
	struct dirent *de;
	char path[4096];
	int n = 0;
	DIR *d;

	if (ctx->pool == NULL || (d = opendir(services)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		struct ig_err e = { 0 };

		if (!ig_service_name_ok(de->d_name) ||
		    ig_catalog_dir(services, de->d_name, path, sizeof(path), NULL) != 0)
			continue;
		if (ig_run_warm_declare(ctx, path, &e) == 0)
			n++;
		else
			ig_log(IG_LOG_INFO, "warm pool: service not kept warm", "service", de->d_name,
			    "reason", e.msg, NULL);
	}
	closedir(d);
	return n;
}
