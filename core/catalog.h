/*
 * catalog.h — the services directory the daemon serves: <services>/<name>/.
 *
 * Names are validated (ig_service_name_ok) before any filesystem access, and
 * a service directory that is a symlink is not served.
 */
#ifndef IG_CATALOG_H
#define IG_CATALOG_H

#include <stddef.h>

#include "err.h"

struct json_object;
struct ig_run_ctx;

/* Writes <services>/<name> into out. Returns 0, or -1 with IG_ENOENT for an
 * invalid name or one that is not a real directory (never a symlink), so an
 * unknown and a malformed name look the same to a client. */
int ig_catalog_dir(const char *services, const char *name, char *out, size_t outlen,
    struct ig_err *err);

/* Lists the services: {"services":[{"name","runtime","entry"}…]} sorted by
 * name; a directory whose service.yaml is invalid is listed with "valid":
 * false and "error" (the first problem). Returns 0 with *out a new reference,
 * or -1 with err (IG_EIO when services cannot be read). */
int ig_catalog_list(const char *services, struct json_object **out, struct ig_err *err);

/* Declares every valid service under services to ctx->pool with the
 * configuration a request without options runs (ig_run_warm_declare), so
 * first requests find warm containers. Services that cannot be declared
 * (invalid, failing preflight) are logged and skipped. Returns how many were
 * declared (0 without a pool). */
int ig_catalog_warm(const char *services, const struct ig_run_ctx *ctx);

#endif
