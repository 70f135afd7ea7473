/*
 * fuzz_keys.c — API keys: ig_keys_parse (the keys file) and
 * ig_keys_token_parse (the bearer token), on any bytes.
 *
 * Properties: an accepted keys file is written by ig_keys_format into text
 * that parses back to the same keys (the CLI rewrites the file on every
 * change); ids are 12 lowercase hex and unique, names valid, scopes known;
 * an accepted token is exactly IG_KEYS_TOKEN_LEN bytes and its id is the
 * one in it. Scope and name helpers get the same bytes.
 */
#include "fuzz.h"

#include "err.h"
#include "keys.h"

static void
keys_entry_ok(const struct ig_key_entry *e)
{
	size_t i;

	FUZZ_CHECK(strlen(e->info.id) == IG_KEYS_ID_LEN);
	for (i = 0; i < IG_KEYS_ID_LEN; i++)
		FUZZ_CHECK((e->info.id[i] >= '0' && e->info.id[i] <= '9') ||
		    (e->info.id[i] >= 'a' && e->info.id[i] <= 'f'));
	FUZZ_CHECK(ig_keys_name_ok(e->info.name));
	FUZZ_CHECK(e->info.scope >= IG_KEY_SCOPE_READ && e->info.scope <= IG_KEY_SCOPE_ADMIN);
	FUZZ_CHECK(strnlen(e->info.created, sizeof(e->info.created)) < sizeof(e->info.created));
	FUZZ_CHECK(strnlen(e->info.revoked, sizeof(e->info.revoked)) < sizeof(e->info.revoked));
	FUZZ_CHECK(strnlen(e->hash, sizeof(e->hash)) < sizeof(e->hash));
}

static void
keys_file(const uint8_t *data, size_t size)
{
	struct ig_keyset *ks = NULL, *again = NULL;
	struct ig_err err = { 0 };
	char *text = NULL, *text2 = NULL;
	size_t i, j;

	if (ig_keys_parse((const char *)data, size, &ks, &err) != 0) {
		FUZZ_CHECK(ks == NULL);
		FUZZ_CHECK(err.code == IG_EINVAL || err.code == IG_ETOOBIG || err.code == IG_ENOMEM);
		return;
	}
	FUZZ_CHECK(ks != NULL);
	for (i = 0; i < ks->n; i++) {
		keys_entry_ok(&ks->v[i]);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(ks->v[i].info.id, ks->v[j].info.id) != 0);
	}
	text = ig_keys_format(ks, &err);
	FUZZ_CHECK(text != NULL);
	if (ig_keys_parse(text, strlen(text), &again, &err) != 0) {
		fprintf(stderr, "keys file written by ig_keys_format does not parse back: %s\n%s\n",
		    err.msg, text);
		FUZZ_CHECK(!"keys round trip");
	}
	FUZZ_CHECK(again->n == ks->n);
	for (i = 0; i < ks->n; i++)
		FUZZ_CHECK(memcmp(&again->v[i], &ks->v[i], sizeof(ks->v[i])) == 0 ||
		    (strcmp(again->v[i].info.id, ks->v[i].info.id) == 0 &&
		     strcmp(again->v[i].info.name, ks->v[i].info.name) == 0 &&
		     again->v[i].info.scope == ks->v[i].info.scope &&
		     strcmp(again->v[i].info.created, ks->v[i].info.created) == 0 &&
		     strcmp(again->v[i].info.revoked, ks->v[i].info.revoked) == 0 &&
		     strcmp(again->v[i].hash, ks->v[i].hash) == 0));
	text2 = ig_keys_format(again, &err);
	FUZZ_CHECK(text2 != NULL && strcmp(text, text2) == 0);
	free(text);
	free(text2);
	ig_keys_set_free(again);
	ig_keys_set_free(ks);
}

static void
keys_token(const uint8_t *data, size_t size)
{
	struct ig_err err = { 0 };
	char id[IG_KEYS_ID_LEN + 1], *s;
	enum ig_key_scope scope;

	memset(id, 'X', sizeof(id));
	if (ig_keys_token_parse((const char *)data, size, id, &err) == 0) {
		FUZZ_CHECK(size == IG_KEYS_TOKEN_LEN);
		FUZZ_CHECK(memcmp(data, IG_KEYS_PREFIX, 4) == 0);
		FUZZ_CHECK(strlen(id) == IG_KEYS_ID_LEN && memcmp(id, data + 4, IG_KEYS_ID_LEN) == 0);
	} else {
		FUZZ_CHECK(err.code == IG_EINVAL);
	}
	if (size > IG_KEYS_TOKEN_LEN)
		(void)ig_keys_token_parse((const char *)data, IG_KEYS_TOKEN_LEN, NULL, &err);
	s = fuzz_strndup(data, size < 256 ? size : 256);
	FUZZ_CHECK(s != NULL);
	if (ig_keys_scope_parse(s, &scope, &err) == 0)
		FUZZ_CHECK(strcmp(ig_keys_scope_name(scope), s) == 0);
	if (ig_keys_name_ok(s))
		FUZZ_CHECK(strlen(s) >= 1 && strlen(s) <= IG_KEYS_NAME_MAX);
	free(s);
}

int
fuzz_keys(const uint8_t *data, size_t size)
{
	keys_file(data, size);
	keys_token(data, size);
	return 0;
}

#ifndef IG_FUZZ_NO_MAIN
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_keys(data, size);
}
#endif
