/*
 * policy.h — the security policy a service runs under in audit mode.
 *
 * Loaded from the first of ignite.policy.yaml, ignite.policy.yml,
 * .ignite-policy.yaml, .ignite-policy.yml in the service directory; fields
 * not given keep their defaults (DESIGN §4): network disabled, read-only
 * filesystem, no process spawning.
 */
#ifndef IG_POLICY_H
#define IG_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "err.h"

struct json_object;

struct ig_policy {
	bool    network_enabled;        /* false */
	bool    fs_read_only;           /* true */
	bool    allow_spawn;            /* false */
	char  **allowed_commands;       /* empty */
	size_t  allowed_commands_n;
	char   *source;                 /* file it came from, NULL for defaults */
};

/* Returns a new policy with the defaults, or NULL on allocation failure.
 * Free with ig_policy_free. */
struct ig_policy *ig_policy_new_default(void);

/* Parses policy YAML text; as ig_service_parse. */
int ig_policy_parse(const char *text, size_t len, const char *file,
    struct ig_policy **out, struct ig_diags *diags, struct ig_err *err);

/* Loads the policy of the service directory dir: the first policy file
 * that exists, or the defaults when none does. Returns 0 with *out owned by
 * the caller, or -1 (IG_EINVAL with diags for an invalid file). */
int ig_policy_load(const char *dir, struct ig_policy **out,
    struct ig_diags *diags, struct ig_err *err);

/* Returns the policy as JSON in the shape of DESIGN §4
 * ({"network":{"enabled":…},"filesystem":{…},"process":{…}}), a new
 * reference owned by the caller, or NULL on allocation failure. */
struct json_object *ig_policy_to_json(const struct ig_policy *p);

/* Frees p. NULL-safe. */
void ig_policy_free(struct ig_policy *p);

#endif
