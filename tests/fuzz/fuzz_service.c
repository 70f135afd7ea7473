/*
 * fuzz_service.c — service.yaml: ig_service_parse on any bytes.
 *
 * A parse either succeeds with a service whose JSON view can be built, or
 * fails with IG_EINVAL and at least one diagnostic (or another code with a
 * message). Never a crash, a leak or a hang.
 */
#include "fuzz.h"

#include "diag.h"
#include "err.h"
#include "service.h"

#include <json-c/json.h>

int
fuzz_service(const uint8_t *data, size_t size)
{
	struct ig_service *svc = NULL;
	struct ig_diags diags = { 0 };
	struct ig_err err = { 0 };
	struct json_object *j;
	int rc;

	rc = ig_service_parse((const char *)data, size, "service.yaml", &svc, &diags, &err);
	if (rc == 0) {
		FUZZ_CHECK(svc != NULL);
		FUZZ_CHECK(svc->name != NULL && ig_service_name_ok(svc->name));
		FUZZ_CHECK(svc->runtime != NULL && svc->entry != NULL);
		FUZZ_CHECK(svc->memory_mb > 0 && svc->timeout_ms > 0);
		j = ig_service_to_json(svc);
		FUZZ_CHECK(j != NULL);
		FUZZ_CHECK(json_object_to_json_string(j) != NULL);
		json_object_put(j);
	} else {
		FUZZ_CHECK(rc == -1 && svc == NULL);
		FUZZ_CHECK(err.code != IG_OK);
		FUZZ_CHECK(err.code != IG_EINVAL || diags.n + diags.dropped > 0);
	}
	ig_service_free(svc);
	ig_diags_free(&diags);
	return 0;
}

#ifndef IG_FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_service(data, size);
}
#endif
