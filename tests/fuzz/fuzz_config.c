/*
 * fuzz_config.c — the server configuration: ig_config_parse (over the
 * defaults) on any bytes, then ig_config_check, ig_config_copy,
 * ig_config_restart_field and ig_config_to_json.
 *
 * Properties: a failed parse leaves the configuration untouched (all or
 * nothing); the JSON view of an accepted configuration parses back as
 * ignite.yaml to the same configuration (config.h promises it does).
 */
#include "fuzz.h"

#include "config.h"
#include "diag.h"
#include "err.h"

#include <json-c/json.h>

#define CONFIG_FUZZ_FILE "/etc/ignite/ignite.yaml"

int
fuzz_config(const uint8_t *data, size_t size)
{
	struct ig_config cfg, copy, again;
	struct ig_diags diags = { 0 }, d2 = { 0 };
	struct ig_err err = { 0 };
	struct json_object *before = NULL, *j = NULL, *j2 = NULL;
	const char *text;
	size_t tlen;
	int rc;

	FUZZ_CHECK(ig_config_defaults(&cfg) == 0);
	before = ig_config_to_json(&cfg);
	FUZZ_CHECK(before != NULL);
	rc = ig_config_parse((const char *)data, size, CONFIG_FUZZ_FILE, &cfg, &diags, &err);
	j = ig_config_to_json(&cfg);
	FUZZ_CHECK(j != NULL);
	if (rc != 0) {
		FUZZ_CHECK(rc == -1 && err.code != IG_OK);
		FUZZ_CHECK(err.code != IG_EINVAL || diags.n + diags.dropped > 0);
		FUZZ_CHECK(json_object_equal(before, j));
		goto out;
	}
	(void)ig_config_check(&cfg, &diags, &err);
	FUZZ_CHECK(ig_config_copy(&copy, &cfg, &err) == 0);
	FUZZ_CHECK(ig_config_restart_field(&cfg, &copy) == NULL);
	ig_config_free(&copy);

	/* The JSON view is valid ignite.yaml meaning the same thing. */
	text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	FUZZ_CHECK(text != NULL);
	tlen = strlen(text);
	FUZZ_CHECK(ig_config_defaults(&again) == 0);
	rc = ig_config_parse(text, tlen, CONFIG_FUZZ_FILE, &again, &d2, &err);
	if (rc != 0) {
		fprintf(stderr, "config JSON view does not parse back: %s\n%s\n", text, err.msg);
		FUZZ_CHECK(rc == 0);
	}
	j2 = ig_config_to_json(&again);
	FUZZ_CHECK(j2 != NULL);
	if (!json_object_equal(j, j2)) {
		fprintf(stderr, "config JSON view changes on a round trip:\n%s\n%s\n", text,
		    json_object_to_json_string_ext(j2, JSON_C_TO_STRING_PLAIN));
		FUZZ_CHECK(json_object_equal(j, j2));
	}
	ig_config_free(&again);
out:
	json_object_put(before);
	json_object_put(j);
	json_object_put(j2);
	ig_config_free(&cfg);
	ig_diags_free(&diags);
	ig_diags_free(&d2);
	return 0;
}

#ifndef IG_FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_config(data, size);
}
#endif
