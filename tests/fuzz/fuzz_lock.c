/*
 * fuzz_lock.c — ignite.lock: ig_lock_parse on any bytes.
 *
 * Properties checked on a lock that parses: it is written back by
 * ig_lock_to_yaml into text that parses again to the same lock (Ignite must
 * be able to read every lock it accepts and writes), it differs from itself
 * in nothing, and its JSON view can be built.
 */
#include "fuzz.h"

#include "diag.h"
#include "err.h"
#include "lock.h"

#include <json-c/json.h>

int
fuzz_lock(const uint8_t *data, size_t size)
{
	struct ig_lock *lock = NULL, *again = NULL;
	struct ig_lock_drift drift = { 0 };
	struct ig_diags diags = { 0 }, diags2 = { 0 };
	struct ig_err err = { 0 };
	struct json_object *j, *j2;
	char *yaml = NULL;
	size_t len = 0;
	int rc;

	rc = ig_lock_parse((const char *)data, size, IG_LOCK_FILE, &lock, &diags, &err);
	if (rc != 0) {
		FUZZ_CHECK(rc == -1 && lock == NULL);
		FUZZ_CHECK(err.code != IG_OK);
		FUZZ_CHECK(err.code != IG_EINVAL || diags.n + diags.dropped > 0);
		goto out;
	}
	FUZZ_CHECK(lock != NULL);
	FUZZ_CHECK(ig_lock_diff(lock, lock, &drift, &err) == 0);
	FUZZ_CHECK(drift.n == 0);
	j = ig_lock_to_json(lock);
	FUZZ_CHECK(j != NULL);
	yaml = ig_lock_to_yaml(lock, &len, &err);
	if (yaml != NULL) {
		FUZZ_CHECK(strlen(yaml) == len);
		rc = ig_lock_parse(yaml, len, IG_LOCK_FILE, &again, &diags2, &err);
		if (rc != 0) {
			fprintf(stderr, "lock written by ig_lock_to_yaml does not parse back:\n%s\n%s\n",
			    yaml, err.msg);
			FUZZ_CHECK(rc == 0);
		}
		j2 = ig_lock_to_json(again);
		FUZZ_CHECK(j2 != NULL);
		FUZZ_CHECK(json_object_equal(j, j2));
		json_object_put(j2);
	} else {
		/* Only a string that cannot be written may refuse. */
		FUZZ_CHECK(err.code == IG_EINVAL || err.code == IG_ENOMEM);
	}
	json_object_put(j);
out:
	free(yaml);
	ig_lock_drift_free(&drift);
	ig_lock_free(again);
	ig_lock_free(lock);
	ig_diags_free(&diags);
	ig_diags_free(&diags2);
	return 0;
}

#ifndef IG_FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_lock(data, size);
}
#endif
