/*
 * fuzz_policy.c — ignite.policy.yaml: ig_policy_parse on any bytes.
 *
 * A parse either succeeds with a policy whose JSON view can be built, or
 * fails with an error code (IG_EINVAL with at least one diagnostic).
 */
#include "fuzz.h"

#include "diag.h"
#include "err.h"
#include "policy.h"

#include <json-c/json.h>

int
fuzz_policy(const uint8_t *data, size_t size)
{
	struct ig_policy *p = NULL;
	struct ig_diags diags = { 0 };
	struct ig_err err = { 0 };
	struct json_object *j;
	size_t i;
	int rc;

	rc = ig_policy_parse((const char *)data, size, "ignite.policy.yaml", &p, &diags, &err);
	if (rc == 0) {
		FUZZ_CHECK(p != NULL);
		FUZZ_CHECK(p->allowed_commands_n == 0 || p->allowed_commands != NULL);
		for (i = 0; i < p->allowed_commands_n; i++)
			FUZZ_CHECK(p->allowed_commands[i] != NULL && p->allowed_commands[i][0] != '\0');
		j = ig_policy_to_json(p);
		FUZZ_CHECK(j != NULL);
		FUZZ_CHECK(json_object_to_json_string(j) != NULL);
		json_object_put(j);
	} else {
		FUZZ_CHECK(rc == -1 && p == NULL);
		FUZZ_CHECK(err.code != IG_OK);
		FUZZ_CHECK(err.code != IG_EINVAL || diags.n + diags.dropped > 0);
	}
	ig_policy_free(p);
	ig_diags_free(&diags);
	return 0;
}

#ifndef IG_FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_policy(data, size);
}
#endif
