/* test_keys.c — API keys: token shapes, every keys-file rule, file safety,
 * add/list/revoke, verification, the token cache and reload. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keys.h"
#include "bounds.h"
#include "support.h"

/* A valid libscrypt MCF string (N=2^14, r=8, p=1) and its salt + hash part. */
#define SH   "$FZfDISe3ql3HX6l0Jv85xg==$tNtcIPcomqUJMuqJ0uXsV06kRdoP2O56yAMx3ZQxFJ4XNvTkbFoctfFZvh65G0tjpfEZgITdT25AWlJknzqLGw=="
#define MCF  "$s1$0e0801" SH
#define T    "2026-11-28T20:00:00.000Z"
#define E(id, name, scope, created, revoked, hash) \
	"{\"id\":" id ",\"name\":" name ",\"scope\":" scope ",\"created\":" created \
	",\"revoked\":" revoked ",\"hash\":" hash "}"
#define GOOD E("\"0123456789ab\"", "\"ci\"", "\"read\"", "\"" T "\"", "false", "\"" MCF "\"")
#define WITH_HASH(h) E("\"0123456789ab\"", "\"ci\"", "\"read\"", "\"" T "\"", "false", "\"" h "\"")
#define DOC(entries) "{\"version\":1,\"keys\":[" entries "]}"

/* Cheap scrypt for most tests: about 4 ms a check. */
static const struct ig_keys_params fast = { 1024, 8, 1, 60000, 64 };

/* A fresh directory and the path of a keys file in it. */
static const char *
new_keys_path(void)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/keys", scratch_case_dir(0700));
	return path;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Entries of dir other than "." and "..". */
static int
count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
add_ok(const char *path, const char *name, enum ig_key_scope scope, const struct ig_keys_params *p,
    char token[IG_KEYS_TOKEN_LEN + 1], struct ig_key_info *info)
{
	struct ig_err err = { 0 };

	if (ig_keys_add(path, name, scope, p, token, info, &err) != 0)
		fail_msg("add %s: %s", name, err.msg);
}

/* ---- token shapes ------------------------------------------------------ */

static void
test_token_valid(void **state)
{
	const char *tok = "ign_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	char id[IG_KEYS_ID_LEN + 1];
	struct ig_err err = { 0 };

	(void)state;
	assert_int_equal(strlen(tok), IG_KEYS_TOKEN_LEN);
	assert_int_equal(ig_keys_token_parse(tok, strlen(tok), id, &err), 0);
	assert_string_equal(id, "0123456789ab");
	/* Only len bytes are read: junk after them does not matter. */
	assert_int_equal(ig_keys_token_parse("ign_0123456789ab_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_w" "xyz",
	    IG_KEYS_TOKEN_LEN, id, &err), 0);
}

static void
test_token_malformed(void **state)
{
	static const struct { const char *why, *tok; size_t len; } bad[] = {
		{ "empty",               "", 0 },
		{ "one short",           "ign_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 59 },
		{ "one long",            "ign_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 61 },
		{ "trailing newline",    "ign_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 61 },
		{ "wrong prefix",        "ing_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 60 },
		{ "upper-case prefix",   "IGN_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 60 },
		{ "prefix dash",         "ign-0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 60 },
		{ "upper-case id",       "ign_0123456789AB_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 60 },
		{ "non-hex id",          "ign_0123456789ag_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 60 },
		{ "short id",            "ign_0123456789a_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 60 },
		{ "long id",             "ign_0123456789abc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 60 },
		{ "no separator",        "ign_0123456789ab-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 60 },
		{ "standard base64 +",   "ign_0123456789ab_AAAAAAAAAAAAAAAAAAAA+AAAAAAAAAAAAAAAAAAAAAA", 60 },
		{ "standard base64 /",   "ign_0123456789ab_AAAAAAAAAAAAAAAAAAAA/AAAAAAAAAAAAAAAAAAAAAA", 60 },
		{ "padding",             "ign_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 60 },
		{ "space in secret",     "ign_0123456789ab_AAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAAA", 60 },
		{ "NUL in secret",       "ign_0123456789ab_AAAAAAAAAAAAAAAAAAAA\0AAAAAAAAAAAAAAAAAAAAAA", 60 },
		{ "non-canonical tail",  "ign_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", 60 },
		{ "high byte",           "ign_0123456789ab_AAAAAAAAAAAAAAAAAAAA\xc3\xa9" "AAAAAAAAAAAAAAAAAAAAA", 60 },
		{ "Bearer left in",      "Bearer ign_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 60 },
	};
	char id[IG_KEYS_ID_LEN + 1];
	struct ig_err err = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ig_keys_token_parse(bad[i].tok, bad[i].len, id, &err) == 0)
			fail_msg("accepted a token with %s", bad[i].why);
		assert_int_equal(err.code, IG_EINVAL);
	}
	assert_int_equal(ig_keys_token_parse(NULL, 60, id, &err), -1);
}

/* ---- scopes, names, params --------------------------------------------- */

static void
test_scopes(void **state)
{
	enum ig_key_scope s;
	struct ig_err err = { 0 };

	(void)state;
	assert_true(ig_keys_scope_allows(IG_KEY_SCOPE_READ, IG_KEY_SCOPE_READ));
	assert_false(ig_keys_scope_allows(IG_KEY_SCOPE_READ, IG_KEY_SCOPE_EXECUTE));
	assert_false(ig_keys_scope_allows(IG_KEY_SCOPE_READ, IG_KEY_SCOPE_ADMIN));
	assert_true(ig_keys_scope_allows(IG_KEY_SCOPE_EXECUTE, IG_KEY_SCOPE_READ));
	assert_true(ig_keys_scope_allows(IG_KEY_SCOPE_EXECUTE, IG_KEY_SCOPE_EXECUTE));
	assert_false(ig_keys_scope_allows(IG_KEY_SCOPE_EXECUTE, IG_KEY_SCOPE_ADMIN));
	assert_true(ig_keys_scope_allows(IG_KEY_SCOPE_ADMIN, IG_KEY_SCOPE_READ));
	assert_true(ig_keys_scope_allows(IG_KEY_SCOPE_ADMIN, IG_KEY_SCOPE_ADMIN));
	assert_false(ig_keys_scope_allows((enum ig_key_scope)0, IG_KEY_SCOPE_READ));
	assert_false(ig_keys_scope_allows((enum ig_key_scope)7, IG_KEY_SCOPE_READ));
	assert_int_equal(ig_keys_scope_parse("execute", &s, &err), 0);
	assert_int_equal(s, IG_KEY_SCOPE_EXECUTE);
	assert_string_equal(ig_keys_scope_name(s), "execute");
	assert_int_equal(ig_keys_scope_parse("Admin", &s, &err), -1);
	assert_int_equal(ig_keys_scope_parse("write", &s, &err), -1);
	assert_int_equal(ig_keys_scope_parse(NULL, &s, &err), -1);
}

static void
test_names(void **state)
{
	char longest[IG_KEYS_NAME_MAX + 2];

	(void)state;
	memset(longest, 'a', sizeof(longest));
	longest[IG_KEYS_NAME_MAX] = '\0';
	assert_true(ig_keys_name_ok("ci"));
	assert_true(ig_keys_name_ok("deploy-bot@prod.v2_x"));
	assert_true(ig_keys_name_ok(longest));
	longest[IG_KEYS_NAME_MAX] = 'a';
	longest[IG_KEYS_NAME_MAX + 1] = '\0';
	assert_false(ig_keys_name_ok(longest));
	assert_false(ig_keys_name_ok(""));
	assert_false(ig_keys_name_ok(NULL));
	assert_false(ig_keys_name_ok("-x"));
	assert_false(ig_keys_name_ok(".x"));
	assert_false(ig_keys_name_ok("a b"));
	assert_false(ig_keys_name_ok("a/b"));
	assert_false(ig_keys_name_ok("a\nb"));
	assert_false(ig_keys_name_ok("caf\xc3\xa9"));
}

static void
test_params(void **state)
{
	struct ig_keys_params p;
	struct ig_err err = { 0 };

	(void)state;
	ig_keys_params_default(&p);
	assert_int_equal(p.scrypt_n, 16384);
	assert_int_equal(p.scrypt_r, 8);
	assert_int_equal(p.scrypt_p, 1);
	assert_int_equal(p.cache_ttl_ms, 60000);
	assert_int_equal(ig_keys_params_check(&p, &err), 0);
	assert_int_equal(ig_keys_params_check(&fast, &err), 0);

#define BAD(field, value) do { \
		struct ig_keys_params q = p; \
		q.field = value; \
		if (ig_keys_params_check(&q, &err) == 0) \
			fail_msg("accepted %s = %lld", #field, (long long)(value)); \
		assert_int_equal(err.code, IG_EINVAL); \
	} while (0)
	BAD(scrypt_n, 0);
	BAD(scrypt_n, 12000);              /* not a power of two */
	BAD(scrypt_n, 512);                /* below 2^10 */
	BAD(scrypt_n, 1u << 21);           /* above 2^20 */
	BAD(scrypt_r, 0);
	BAD(scrypt_r, 33);
	BAD(scrypt_p, 0);
	BAD(scrypt_p, 17);
	BAD(cache_ttl_ms, -1);
	BAD(cache_ttl_ms, IG_KEYS_CACHE_TTL_MS_MAX + 1);
	BAD(cache_size, 0);
	BAD(cache_size, IG_KEYS_CACHE_SIZE_MAX + 1);
#undef BAD
	p.scrypt_n = 1u << 20;             /* 128 * 2^20 * 8 = 1 GiB */
	assert_int_equal(ig_keys_params_check(&p, &err), -1);
	assert_non_null(strstr(err.msg, "bytes"));
	p.scrypt_n = 1u << 16;             /* 2^16 * 8 * 16 = 2^23 steps */
	p.scrypt_p = 16;
	assert_int_equal(ig_keys_params_check(&p, &err), -1);
	assert_non_null(strstr(err.msg, "N*r*p"));
}

/* ---- keys file: parser ------------------------------------------------- */

static void
test_parse_valid(void **state)
{
	static const char text[] =
	    "{\"version\": 1, \"keys\": [" GOOD ","
	    E("\"fedcba987654\"", "\"ops@host\"", "\"admin\"", "\"" T "\"", "\"2026-11-29T08:00:00.123Z\"",
	      "\"$s1$0a0801" SH "\"") "]}\n";
	struct ig_keyset *ks = NULL, *again = NULL;
	struct ig_err err = { 0 };
	char *out;

	(void)state;
	if (ig_keys_parse(text, strlen(text), &ks, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(ks->n, 2);
	assert_string_equal(ks->v[0].info.id, "0123456789ab");
	assert_string_equal(ks->v[0].info.name, "ci");
	assert_int_equal(ks->v[0].info.scope, IG_KEY_SCOPE_READ);
	assert_string_equal(ks->v[0].info.created, T);
	assert_string_equal(ks->v[0].info.revoked, "");
	assert_string_equal(ks->v[0].hash, MCF);
	assert_int_equal(ks->v[1].info.scope, IG_KEY_SCOPE_ADMIN);
	assert_string_equal(ks->v[1].info.revoked, "2026-11-29T08:00:00.123Z");

	/* Formatting gives a document that parses back to the same keys, with
	 * the MCF's slashes written plainly. */
	out = ig_keys_format(ks, &err);
	assert_non_null(out);
	assert_non_null(strstr(out, MCF));
	assert_int_equal(ig_keys_parse(out, strlen(out), &again, &err), 0);
	assert_int_equal(again->n, 2);
	assert_memory_equal(again->v, ks->v, 2 * sizeof(*ks->v));
	free(out);
	ig_keys_set_free(again);
	ig_keys_set_free(ks);

	assert_int_equal(ig_keys_parse(DOC(""), strlen(DOC("")), &ks, &err), 0);
	assert_int_equal(ks->n, 0);
	ig_keys_set_free(ks);
}

static void
test_parse_rules(void **state)
{
	static const struct { const char *text, *want; } bad[] = {
		/* JSON and document shape */
		{ "", "invalid JSON" },
		{ "{", "invalid JSON" },
		{ "{\"version\":1,\"keys\":[]} x", "invalid JSON" },
		{ "{\"version\":1,\"keys\":[],}", "invalid JSON" },
		{ "[]", "must be a JSON object" },
		{ "null", "must be a JSON object" },
		{ "{\"version\":1,\"keys\":[],\"extra\":0}", "unknown field \"extra\"" },
		{ "{\"keys\":[]}", "version: missing" },
		{ "{\"version\":1}", "keys: missing" },
		{ "{\"version\":2,\"keys\":[]}", "version: must be 1" },
		{ "{\"version\":\"1\",\"keys\":[]}", "version: must be 1" },
		{ "{\"version\":1.0,\"keys\":[]}", "version: must be 1" },
		{ "{\"version\":1,\"keys\":{}}", "keys: must be an array" },
		{ "{\"version\":1,\"keys\":null}", "keys: must be an array" },
		{ DOC("[]"), "keys[0]: must be an object" },
		{ DOC("\"k\""), "keys[0]: must be an object" },
		{ "{\"version\":1,\"keys\":[[[[[[[[[[[[1]]]]]]]]]]]]}", "invalid JSON" },   /* depth */
		/* fields of an entry */
		{ DOC("{}"), "keys[0].id: missing" },
		{ DOC(GOOD "," "{\"id\":\"0123456789ac\"}"), "keys[1]." },
		{ DOC("{\"id\":\"0123456789ab\",\"name\":\"ci\",\"scope\":\"read\",\"created\":\"" T "\",\"revoked\":false,\"hash\":\"" MCF "\",\"secret\":\"x\"}"),
		  "keys[0]: unknown field \"secret\"" },
		{ DOC("{\"id\":\"0123456789ab\",\"scope\":\"read\",\"created\":\"" T "\",\"revoked\":false,\"hash\":\"" MCF "\"}"),
		  "keys[0].name: missing" },
		{ DOC("{\"id\":\"0123456789ab\",\"name\":\"ci\",\"created\":\"" T "\",\"revoked\":false,\"hash\":\"" MCF "\"}"),
		  "keys[0].scope: missing" },
		{ DOC("{\"id\":\"0123456789ab\",\"name\":\"ci\",\"scope\":\"read\",\"revoked\":false,\"hash\":\"" MCF "\"}"),
		  "keys[0].created: missing" },
		{ DOC("{\"id\":\"0123456789ab\",\"name\":\"ci\",\"scope\":\"read\",\"created\":\"" T "\",\"hash\":\"" MCF "\"}"),
		  "keys[0].revoked: missing" },
		{ DOC("{\"id\":\"0123456789ab\",\"name\":\"ci\",\"scope\":\"read\",\"created\":\"" T "\",\"revoked\":false}"),
		  "keys[0].hash: missing" },
		/* id */
		{ DOC(E("123", "\"ci\"", "\"read\"", "\"" T "\"", "false", "\"" MCF "\"")), "keys[0].id: must be a string" },
		{ DOC(E("null", "\"ci\"", "\"read\"", "\"" T "\"", "false", "\"" MCF "\"")), "keys[0].id: must be a string" },
		{ DOC(E("\"0123456789a\"", "\"ci\"", "\"read\"", "\"" T "\"", "false", "\"" MCF "\"")), "keys[0].id: must be 12" },
		{ DOC(E("\"0123456789ABC\"", "\"ci\"", "\"read\"", "\"" T "\"", "false", "\"" MCF "\"")), "keys[0].id: must be 12" },
		{ DOC(E("\"0123456789AB\"", "\"ci\"", "\"read\"", "\"" T "\"", "false", "\"" MCF "\"")), "keys[0].id: must be 12" },
		{ DOC(E("\"0123456789a\\u0000\"", "\"ci\"", "\"read\"", "\"" T "\"", "false", "\"" MCF "\"")), "keys[0].id: invalid" },
		{ DOC(GOOD "," GOOD), "keys[1].id: \"0123456789ab\" repeats keys[0].id" },
		/* name */
		{ DOC(E("\"0123456789ab\"", "\"\"", "\"read\"", "\"" T "\"", "false", "\"" MCF "\"")), "keys[0].name: must be 1.." },
		{ DOC(E("\"0123456789ab\"", "\"a b\"", "\"read\"", "\"" T "\"", "false", "\"" MCF "\"")), "keys[0].name: must be 1.." },
		{ DOC(E("\"0123456789ab\"", "\"-ci\"", "\"read\"", "\"" T "\"", "false", "\"" MCF "\"")), "keys[0].name: must be 1.." },
		{ DOC(E("\"0123456789ab\"", "\"ci\\u0000x\"", "\"read\"", "\"" T "\"", "false", "\"" MCF "\"")), "keys[0].name: invalid" },
		{ DOC(E("\"0123456789ab\"", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", "\"read\"", "\"" T "\"", "false", "\"" MCF "\"")),
		  "keys[0].name: must be 1.." },
		{ DOC(E("\"0123456789ab\"", "[\"ci\"]", "\"read\"", "\"" T "\"", "false", "\"" MCF "\"")), "keys[0].name: must be a string" },
		{ DOC(E("\"0123456789ab\"", "\"caf\xff\"", "\"read\"", "\"" T "\"", "false", "\"" MCF "\"")), "invalid JSON" },   /* not UTF-8 */
		/* scope */
		{ DOC(E("\"0123456789ab\"", "\"ci\"", "\"write\"", "\"" T "\"", "false", "\"" MCF "\"")), "keys[0].scope: scope must be read" },
		{ DOC(E("\"0123456789ab\"", "\"ci\"", "\"READ\"", "\"" T "\"", "false", "\"" MCF "\"")), "keys[0].scope: scope must be read" },
		{ DOC(E("\"0123456789ab\"", "\"ci\"", "1", "\"" T "\"", "false", "\"" MCF "\"")), "keys[0].scope: must be a string" },
		/* created, revoked */
		{ DOC(E("\"0123456789ab\"", "\"ci\"", "\"read\"", "\"2026-11-28\"", "false", "\"" MCF "\"")), "keys[0].created: must be a time" },
		{ DOC(E("\"0123456789ab\"", "\"ci\"", "\"read\"", "\"2026-11-28T20:00:00Z\"", "false", "\"" MCF "\"")), "keys[0].created: must be a time" },
		{ DOC(E("\"0123456789ab\"", "\"ci\"", "\"read\"", "1764360000", "false", "\"" MCF "\"")), "keys[0].created: must be a string" },
		{ DOC(E("\"0123456789ab\"", "\"ci\"", "\"read\"", "\"" T "\"", "true", "\"" MCF "\"")), "keys[0].revoked: must be false or a time" },
		{ DOC(E("\"0123456789ab\"", "\"ci\"", "\"read\"", "\"" T "\"", "0", "\"" MCF "\"")), "keys[0].revoked: must be false or a time" },
		{ DOC(E("\"0123456789ab\"", "\"ci\"", "\"read\"", "\"" T "\"", "null", "\"" MCF "\"")), "keys[0].revoked: must be false or a time" },
		{ DOC(E("\"0123456789ab\"", "\"ci\"", "\"read\"", "\"" T "\"", "\"yes\"", "\"" MCF "\"")), "keys[0].revoked: must be false or a time" },
		/* hash: MCF shape */
		{ DOC(WITH_HASH("")), "keys[0].hash: not a libscrypt MCF" },
		{ DOC(WITH_HASH("secret")), "keys[0].hash: not a libscrypt MCF" },
		{ DOC(WITH_HASH("$s2$0e0801" SH)), "keys[0].hash: not a libscrypt MCF" },
		{ DOC(WITH_HASH("$s1$0e08010" SH)), "keys[0].hash: not a libscrypt MCF" },
		{ DOC(WITH_HASH("$s1$0e080" SH "A")), "keys[0].hash: not a libscrypt MCF" },
		{ DOC(WITH_HASH("$s1$0E0801" SH)), "keys[0].hash: scrypt parameters must be 6 lowercase hex" },
		{ DOC(WITH_HASH("$s1$0e08 1" SH)), "keys[0].hash: scrypt parameters must be 6 lowercase hex" },
		{ DOC(WITH_HASH("$s1$0e0801$FZfDISe3ql3HX6l0Jv85xh==$tNtcIPcomqUJMuqJ0uXsV06kRdoP2O56yAMx3ZQxFJ4XNvTkbFoctfFZvh65G0tjpfEZgITdT25AWlJknzqLGw==")),
		  "keys[0].hash: scrypt salt" },                       /* non-canonical */
		{ DOC(WITH_HASH("$s1$0e0801$FZfDISe3ql3HX6l0Jv85-g==$tNtcIPcomqUJMuqJ0uXsV06kRdoP2O56yAMx3ZQxFJ4XNvTkbFoctfFZvh65G0tjpfEZgITdT25AWlJknzqLGw==")),
		  "keys[0].hash: scrypt salt" },                       /* base64url character */
		{ DOC(WITH_HASH("$s1$0e0801$FZfDISe3ql3HX6l0Jv85xgAA$tNtcIPcomqUJMuqJ0uXsV06kRdoP2O56yAMx3ZQxFJ4XNvTkbFoctfFZvh65G0tjpfEZgITdT25AWlJknzqLGw==")),
		  "keys[0].hash: scrypt salt" },                       /* no padding */
		{ DOC(WITH_HASH("$s1$0e0801$FZfDISe3ql3HX6l0Jv85xg==$tNtcIPcomqUJMuqJ0uXsV06kRdoP2O56yAMx3ZQxFJ4XNvTkbFoctfFZvh65G0tjpfEZgITdT25AWlJknzqLG===")),
		  "keys[0].hash: scrypt hash" },
		{ DOC(WITH_HASH("$s1$0e0801$FZfDISe3ql3HX6l0Jv85xg==$tNtcIPcomqUJMuqJ0uXsV06kRdoP2O56yAMx3ZQxFJ4XNvTkbFoctfFZvh65G0tjpfEZgITdT25AWlJknzqLGx==")),
		  "keys[0].hash: scrypt hash" },
		/* hash: cost bounds */
		{ DOC(WITH_HASH("$s1$090801" SH)), "keys[0].hash: scrypt N must be" },
		{ DOC(WITH_HASH("$s1$150801" SH)), "keys[0].hash: scrypt N must be" },
		{ DOC(WITH_HASH("$s1$0e0001" SH)), "keys[0].hash: scrypt r must be" },
		{ DOC(WITH_HASH("$s1$0e2101" SH)), "keys[0].hash: scrypt r must be" },
		{ DOC(WITH_HASH("$s1$0e0800" SH)), "keys[0].hash: scrypt p must be" },
		{ DOC(WITH_HASH("$s1$0e0811" SH)), "keys[0].hash: scrypt p must be" },
		{ DOC(WITH_HASH("$s1$142001" SH)), "keys[0].hash: scrypt N*r needs more than" },
		{ DOC(WITH_HASH("$s1$100810" SH)), "keys[0].hash: scrypt N*r*p exceeds" },
		{ DOC(WITH_HASH("$s1$0e0801" SH "\\u0000")), "keys[0].hash: invalid" },
	};
	struct ig_keyset *ks;
	struct ig_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		ks = (struct ig_keyset *)&err;   /* must be reset to NULL */
		if (ig_keys_parse(bad[i].text, strlen(bad[i].text), &ks, &err) == 0)
			fail_msg("case %zu accepted: %s", i, bad[i].text);
		assert_null(ks);
		assert_int_equal(err.code, IG_EINVAL);
		if (strstr(err.msg, bad[i].want) == NULL)
			fail_msg("case %zu: want \"%s\", got \"%s\"", i, bad[i].want, err.msg);
	}
}

static void
test_parse_limits(void **state)
{
	struct ig_keyset *ks = NULL;
	struct ig_err err = { 0 };
	size_t i, len, cap;
	char *big;

	(void)state;
	/* Oversized text: refused before parsing. */
	cap = IG_KEYS_FILE_MAX + 2;
	big = malloc(cap);
	assert_non_null(big);
	memset(big, ' ', cap);
	memcpy(big, DOC(""), strlen(DOC("")));
	assert_int_equal(ig_keys_parse(big, IG_KEYS_FILE_MAX + 1, &ks, &err), -1);
	assert_int_equal(err.code, IG_ETOOBIG);
	/* Exactly the limit (the document padded with spaces) is fine. */
	assert_int_equal(ig_keys_parse(big, IG_KEYS_FILE_MAX, &ks, &err), 0);
	ig_keys_set_free(ks);
	free(big);

	/* More than IG_KEYS_MAX keys. */
	cap = (IG_KEYS_MAX + 1) * 8 + 64;
	big = malloc(cap);
	assert_non_null(big);
	len = (size_t)snprintf(big, cap, "{\"version\":1,\"keys\":[");
	for (i = 0; i <= IG_KEYS_MAX; i++)
		len += (size_t)snprintf(big + len, cap - len, "%s{}", i ? "," : "");
	len += (size_t)snprintf(big + len, cap - len, "]}");
	assert_int_equal(ig_keys_parse(big, len, &ks, &err), -1);
	assert_int_equal(err.code, IG_ETOOBIG);
	free(big);

	/* A NUL byte inside the text. */
	assert_int_equal(ig_keys_parse("{\"version\":1,\0\"keys\":[]}", 24, &ks, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
}

/* Mutates a valid document at random: the parser must refuse or accept,
 * never crash or leak (run under ASan). */
static void
test_parse_hostile_bytes(void **state)
{
	static const char good[] = DOC(GOOD "," E("\"fedcba987654\"", "\"x\"", "\"admin\"", "\"" T "\"", "\"" T "\"", "\"" MCF "\""));
	char buf[sizeof(good) + 16];
	struct ig_keyset *ks;
	struct ig_err err;
	unsigned seed = 12345;
	size_t len;
	int i, k, flips;

	(void)state;
	for (i = 0; i < 20000; i++) {
		memcpy(buf, good, sizeof(good));
		len = sizeof(good) - 1;
		flips = 1 + (int)(rand_r(&seed) % 4);
		for (k = 0; k < flips; k++)
			buf[rand_r(&seed) % len] = (char)(rand_r(&seed) & 0xff);
		if (rand_r(&seed) % 4 == 0)
			len = rand_r(&seed) % len;
		ks = NULL;
		if (ig_keys_parse(buf, len, &ks, &err) == 0)
			assert_non_null(ks);
		ig_keys_set_free(ks);
	}
}

/* ---- keys file on disk ----------------------------------------------- */

static void
test_load_file_rules(void **state)
{
	static const char text[] = DOC(GOOD);
	struct ig_keyset *ks = NULL;
	struct ig_err err = { 0 };
	const char *path;
	char other[600];

	(void)state;
	path = new_keys_path();
	assert_int_equal(ig_keys_load(path, &ks, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	assert_non_null(strstr(err.msg, path));

	file_write(path, text, strlen(text), 0600);
	assert_int_equal(ig_keys_load(path, &ks, &err), 0);
	assert_int_equal(ks->n, 1);
	ig_keys_set_free(ks);

	/* Group read is allowed (root:ignite 0640); anything wider is not. */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(ig_keys_load(path, &ks, &err), 0);
	ig_keys_set_free(ks);
	static const mode_t unsafe[] = { 0644, 0604, 0660, 0620, 0602, 0606, 0666, 0777 };
	for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
		assert_int_equal(chmod(path, unsafe[i]), 0);
		assert_int_equal(ig_keys_load(path, &ks, &err), -1);
		assert_int_equal(err.code, IG_EPERM);
		assert_non_null(strstr(err.msg, "chmod 600"));
	}
	assert_int_equal(chmod(path, 0600), 0);

	/* Owned by someone else (the tests run as root or as the owner). */
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 12345, 12345), 0);
		assert_int_equal(ig_keys_load(path, &ks, &err), -1);
		assert_int_equal(err.code, IG_EPERM);
		assert_non_null(strstr(err.msg, "owned by uid 12345"));
		assert_int_equal(chown(path, 0, 0), 0);
	}

	/* A symlink to a valid file is refused, not followed. */
	snprintf(other, sizeof(other), "%s.link", path);
	assert_int_equal(symlink(path, other), 0);
	assert_int_equal(ig_keys_load(other, &ks, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_non_null(strstr(err.msg, "symlink"));

	/* Not a regular file: a directory, a FIFO. */
	snprintf(other, sizeof(other), "%s.dir", path);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(ig_keys_load(other, &ks, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	snprintf(other, sizeof(other), "%s.fifo", path);
	assert_int_equal(mkfifo(other, 0600), 0);
	assert_int_equal(ig_keys_load(other, &ks, &err), -1);
	assert_int_equal(err.code, IG_EPERM);

	/* Too large on disk. */
	snprintf(other, sizeof(other), "%s.big", path);
	{
		char *big = malloc(IG_KEYS_FILE_MAX + 1);

		assert_non_null(big);
		memset(big, ' ', IG_KEYS_FILE_MAX + 1);
		file_write(other, big, IG_KEYS_FILE_MAX + 1, 0600);
		free(big);
	}
	assert_int_equal(ig_keys_load(other, &ks, &err), -1);
	assert_int_equal(err.code, IG_ETOOBIG);

	/* Bad content names the file and the field. */
	file_write(path, DOC("{}"), strlen(DOC("{}")), 0600);
	assert_int_equal(ig_keys_load(path, &ks, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "keys[0].id: missing"));

	/* Paths that name no file. */
	assert_int_equal(ig_keys_load("", &ks, &err), -1);
	assert_int_equal(ig_keys_load("/tmp/", &ks, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(ig_keys_load("/nonexistent-dir-ig/keys", &ks, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
}

static void
test_add_list_revoke(void **state)
{
	const char *path = new_keys_path();
	char dir[512], tok1[IG_KEYS_TOKEN_LEN + 1], tok2[IG_KEYS_TOKEN_LEN + 1];
	struct ig_key_info info1, info2, got, *v = NULL;
	struct ig_err err = { 0 };
	struct stat st;
	size_t n;
	char *text;

	(void)state;
	add_ok(path, "ci", IG_KEY_SCOPE_EXECUTE, &fast, tok1, &info1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	add_ok(path, "ops@host", IG_KEY_SCOPE_ADMIN, &fast, tok2, &info2);

	/* Token shape, and it matches the info. */
	assert_int_equal(strlen(tok1), IG_KEYS_TOKEN_LEN);
	assert_int_equal(ig_keys_token_parse(tok1, strlen(tok1), NULL, &err), 0);
	assert_memory_equal(tok1 + 4, info1.id, IG_KEYS_ID_LEN);
	assert_string_not_equal(info1.id, info2.id);
	assert_string_not_equal(tok1 + 17, tok2 + 17);
	assert_string_equal(info1.name, "ci");
	assert_int_equal(info2.scope, IG_KEY_SCOPE_ADMIN);
	assert_int_equal(strlen(info1.created), 24);
	assert_string_equal(info1.revoked, "");

	/* The file holds hashes, never a token or a secret. */
	text = file_read(path, NULL);
	assert_null(strstr(text, tok1));
	assert_null(strstr(text, tok1 + 17));
	assert_null(strstr(text, tok2 + 17));
	assert_non_null(strstr(text, "\"$s1$0a0801$"));
	free(text);

	/* No temporary files left behind. */
	snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(path, '/') - path), path);
	assert_int_equal(count_entries(dir), 1);

	assert_int_equal(ig_keys_list(path, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id, info1.id);
	assert_string_equal(v[0].name, "ci");
	assert_int_equal(v[0].scope, IG_KEY_SCOPE_EXECUTE);
	assert_string_equal(v[1].name, "ops@host");
	free(v);

	assert_int_equal(ig_keys_revoke(path, info1.id, &got, &err), 0);
	assert_string_equal(got.id, info1.id);
	assert_int_equal(strlen(got.revoked), 24);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(ig_keys_list(path, &v, &n, &err), 0);
	assert_int_equal(n, 2);                          /* kept, marked */
	assert_string_equal(v[0].revoked, got.revoked);
	assert_string_equal(v[1].revoked, "");
	free(v);

	assert_int_equal(ig_keys_revoke(path, info1.id, NULL, &err), -1);
	assert_int_equal(err.code, IG_EEXIST);
	assert_int_equal(ig_keys_revoke(path, "000000000000", NULL, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);
	assert_int_equal(ig_keys_revoke(path, "ABC", NULL, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(ig_keys_revoke(path, NULL, NULL, &err), -1);
	assert_int_equal(count_entries(dir), 1);
	memset(tok1, 0, sizeof(tok1));
	memset(tok2, 0, sizeof(tok2));
}

static void
test_add_rules(void **state)
{
	const char *path = new_keys_path();
	char tok[IG_KEYS_TOKEN_LEN + 1], *saved;
	struct ig_keys_params slow = fast;
	struct ig_err err = { 0 };
	struct stat st;

	(void)state;
	assert_int_equal(ig_keys_add(path, "bad name", IG_KEY_SCOPE_READ, &fast, tok, NULL, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_string_equal(tok, "");
	assert_int_equal(ig_keys_add(path, "ci", (enum ig_key_scope)9, &fast, tok, NULL, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	slow.scrypt_n = 3000;
	assert_int_equal(ig_keys_add(path, "ci", IG_KEY_SCOPE_READ, &slow, tok, NULL, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(access(path, F_OK), -1);        /* nothing written */

	/* The directory must exist. */
	assert_int_equal(ig_keys_add("/nonexistent-dir-ig/keys", "ci", IG_KEY_SCOPE_READ, &fast, tok, NULL, &err), -1);
	assert_int_equal(err.code, IG_ENOENT);

	/* A broken file is not overwritten. */
	file_write(path, "{\"version\":1,\"keys\":[{}]}", 25, 0600);
	assert_int_equal(ig_keys_add(path, "ci", IG_KEY_SCOPE_READ, &fast, tok, NULL, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	saved = file_read(path, NULL);
	assert_string_equal(saved, "{\"version\":1,\"keys\":[{}]}");
	free(saved);

	/* An unsafe file is not touched either. */
	file_write(path, DOC(""), strlen(DOC("")), 0644);
	assert_int_equal(ig_keys_add(path, "ci", IG_KEY_SCOPE_READ, &fast, tok, NULL, &err), -1);
	assert_int_equal(err.code, IG_EPERM);

	/* A 0640 file keeps its mode across a change. */
	assert_int_equal(chmod(path, 0640), 0);
	add_ok(path, "ci", IG_KEY_SCOPE_READ, &fast, tok, NULL);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
}

/* ---- verification ------------------------------------------------------- */

static struct ig_keyring *
open_ok(const char *path, const struct ig_keys_params *p)
{
	struct ig_keyring *kr = NULL;
	struct ig_err err = { 0 };

	if (ig_keys_open(path, p, &kr, &err) != 0)
		fail_msg("open %s: %s", path, err.msg);
	return kr;
}

/* The token with one secret character changed (still well formed). */
static void
wrong_secret(const char *tok, char out[IG_KEYS_TOKEN_LEN + 1])
{
	memcpy(out, tok, IG_KEYS_TOKEN_LEN + 1);
	out[20] = out[20] == 'A' ? 'B' : 'A';
}

static void
test_verify(void **state)
{
	const char *path = new_keys_path();
	char tok[IG_KEYS_TOKEN_LEN + 1], rtok[IG_KEYS_TOKEN_LEN + 1], bad[IG_KEYS_TOKEN_LEN + 1];
	char padded[IG_KEYS_TOKEN_LEN + 8];
	struct ig_key_info info, got;
	struct ig_keyring *kr;
	struct ig_err err = { 0 };

	(void)state;
	add_ok(path, "ci", IG_KEY_SCOPE_EXECUTE, &fast, tok, &info);
	add_ok(path, "old", IG_KEY_SCOPE_ADMIN, &fast, rtok, NULL);
	{
		char rid[IG_KEYS_ID_LEN + 1];

		assert_int_equal(ig_keys_token_parse(rtok, IG_KEYS_TOKEN_LEN, rid, &err), 0);
		assert_int_equal(ig_keys_revoke(path, rid, NULL, &err), 0);
	}
	kr = open_ok(path, &fast);

	/* ok */
	assert_int_equal(ig_keys_verify(kr, tok, strlen(tok), &got, &err), 0);
	assert_string_equal(got.id, info.id);
	assert_string_equal(got.name, "ci");
	assert_int_equal(got.scope, IG_KEY_SCOPE_EXECUTE);
	/* ok without a NUL right after the token */
	memcpy(padded, tok, IG_KEYS_TOKEN_LEN);
	memcpy(padded + IG_KEYS_TOKEN_LEN, "garbage", 8);
	assert_int_equal(ig_keys_verify(kr, padded, IG_KEYS_TOKEN_LEN, NULL, &err), 0);

	/* wrong secret */
	wrong_secret(tok, bad);
	assert_int_equal(ig_keys_verify(kr, bad, strlen(bad), &got, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_string_equal(err.msg, "invalid API key");
	assert_string_equal(got.id, info.id);            /* the claimed id, for logs */
	assert_string_equal(got.name, "");

	/* unknown id */
	memcpy(bad, tok, sizeof(bad));
	memcpy(bad + 4, "000000000000", 12);
	assert_int_equal(ig_keys_verify(kr, bad, strlen(bad), &got, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_string_equal(err.msg, "invalid API key");
	assert_string_equal(got.id, "000000000000");

	/* revoked */
	assert_int_equal(ig_keys_verify(kr, rtok, strlen(rtok), &got, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_string_equal(err.msg, "invalid API key");

	/* malformed: same answer, no id */
	assert_int_equal(ig_keys_verify(kr, "Bearer x", 8, &got, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_string_equal(err.msg, "invalid API key");
	assert_string_equal(got.id, "");
	assert_int_equal(ig_keys_verify(kr, NULL, 0, &got, &err), -1);
	assert_int_equal(ig_keys_verify(kr, tok, strlen(tok) - 1, &got, &err), -1);

	/* Only the successes were cached. */
	assert_int_equal(ig_keys_cache_count(kr), 1);

	/* lookup: active only */
	assert_int_equal(ig_keys_lookup(kr, info.id, &got), 0);
	assert_string_equal(got.name, "ci");
	assert_int_equal(ig_keys_lookup(kr, "000000000000", NULL), -1);
	{
		char rid[IG_KEYS_ID_LEN + 1];

		assert_int_equal(ig_keys_token_parse(rtok, IG_KEYS_TOKEN_LEN, rid, &err), 0);
		assert_int_equal(ig_keys_lookup(kr, rid, NULL), -1);
	}
	assert_int_equal(ig_keys_lookup(kr, "XYZ", NULL), -1);
	assert_int_equal(ig_keys_lookup(kr, NULL, NULL), -1);
	ig_keys_close(kr);
}

/* With the default cost, the first check pays scrypt and the second is a
 * cache hit; a malformed token never pays it; an unknown id costs about as
 * much as a wrong secret. */
static void
test_verify_cache_and_timing(void **state)
{
	const char *path = new_keys_path();
	char tok[IG_KEYS_TOKEN_LEN + 1], bad[IG_KEYS_TOKEN_LEN + 1];
	struct ig_keys_params p;
	struct ig_keyring *kr;
	struct ig_err err = { 0 };
	double t0, first, second, malformed, unknown = 1e9, wrong = 1e9, d;
	int i;

	(void)state;
	ig_keys_params_default(&p);
	add_ok(path, "ci", IG_KEY_SCOPE_READ, &p, tok, NULL);
	kr = open_ok(path, &p);

	t0 = now_ms();
	assert_int_equal(ig_keys_verify(kr, tok, strlen(tok), NULL, &err), 0);
	first = now_ms() - t0;
	t0 = now_ms();
	assert_int_equal(ig_keys_verify(kr, tok, strlen(tok), NULL, &err), 0);
	second = now_ms() - t0;
	t0 = now_ms();
	assert_int_equal(ig_keys_verify(kr, "ign_0123456789ab_", 17, NULL, &err), -1);
	malformed = now_ms() - t0;

	for (i = 0; i < 3; i++) {
		wrong_secret(tok, bad);
		t0 = now_ms();
		assert_int_equal(ig_keys_verify(kr, bad, strlen(bad), NULL, &err), -1);
		d = now_ms() - t0;
		wrong = d < wrong ? d : wrong;
		memcpy(bad + 4, "00000000000", 11);
		bad[15] = (char)('0' + i);
		t0 = now_ms();
		assert_int_equal(ig_keys_verify(kr, bad, strlen(bad), NULL, &err), -1);
		d = now_ms() - t0;
		unknown = d < unknown ? d : unknown;
	}
	print_message("# scrypt N=%u r=%u p=%u: first verify %.1f ms, cached %.3f ms, malformed %.3f ms, "
	    "wrong secret %.1f ms, unknown id %.1f ms\n", p.scrypt_n, p.scrypt_r, p.scrypt_p,
	    first, second, malformed, wrong, unknown);
	assert_true(first > 5.0);
	assert_true(second < 5.0);
	assert_true(malformed < 5.0);
	/* Failures are never cached: each pays scrypt, wrong id or not. */
	assert_true(wrong > 5.0);
	assert_true(unknown > 5.0);
	assert_true(unknown > wrong / 3 && unknown < wrong * 3);
	assert_int_equal(ig_keys_cache_count(kr), 1);
	ig_keys_close(kr);
}

static void
test_cache_ttl_and_off(void **state)
{
	const char *path = new_keys_path();
	char tok[IG_KEYS_TOKEN_LEN + 1], bad[IG_KEYS_TOKEN_LEN + 1];
	struct ig_keys_params p = fast;
	struct ig_keyring *kr;
	struct ig_err err = { 0 };

	(void)state;
	add_ok(path, "ci", IG_KEY_SCOPE_READ, &fast, tok, NULL);

	p.cache_ttl_ms = 0;                              /* no cache */
	kr = open_ok(path, &p);
	assert_int_equal(ig_keys_verify(kr, tok, strlen(tok), NULL, &err), 0);
	assert_int_equal(ig_keys_verify(kr, tok, strlen(tok), NULL, &err), 0);
	assert_int_equal(ig_keys_cache_count(kr), 0);
	ig_keys_close(kr);

	p.cache_ttl_ms = 50;
	kr = open_ok(path, &p);
	assert_int_equal(ig_keys_verify(kr, tok, strlen(tok), NULL, &err), 0);
	assert_int_equal(ig_keys_cache_count(kr), 1);
	/* A cached key does not make a near-miss token pass. */
	wrong_secret(tok, bad);
	assert_int_equal(ig_keys_verify(kr, bad, strlen(bad), NULL, &err), -1);
	usleep(80 * 1000);
	assert_int_equal(ig_keys_cache_count(kr), 0);    /* expired */
	assert_int_equal(ig_keys_verify(kr, tok, strlen(tok), NULL, &err), 0);
	ig_keys_close(kr);
}

static void
test_cache_bounded(void **state)
{
	const char *path = new_keys_path();
	char tok[12][IG_KEYS_TOKEN_LEN + 1];
	struct ig_keys_params p = fast;
	struct ig_keyring *kr;
	struct ig_err err = { 0 };
	char name[16];
	int i;

	(void)state;
	for (i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "k%d", i);
		add_ok(path, name, IG_KEY_SCOPE_READ, &fast, tok[i], NULL);
	}
	p.cache_size = 4;
	kr = open_ok(path, &p);
	for (i = 0; i < 12; i++)
		assert_int_equal(ig_keys_verify(kr, tok[i], IG_KEYS_TOKEN_LEN, NULL, &err), 0);
	assert_true(ig_keys_cache_count(kr) <= 4);
	assert_true(ig_keys_cache_count(kr) >= 1);
	ig_keys_close(kr);
}

static void
test_reload(void **state)
{
	const char *path = new_keys_path();
	char tok[IG_KEYS_TOKEN_LEN + 1], tok2[IG_KEYS_TOKEN_LEN + 1];
	struct ig_key_info info;
	struct ig_keyring *kr;
	struct ig_err err = { 0 };
	char *saved;
	size_t len;

	(void)state;
	add_ok(path, "ci", IG_KEY_SCOPE_READ, &fast, tok, &info);
	kr = open_ok(path, &fast);
	assert_int_equal(ig_keys_verify(kr, tok, strlen(tok), NULL, &err), 0);
	assert_int_equal(ig_keys_cache_count(kr), 1);

	/* A key added after open is unknown until reload. */
	add_ok(path, "later", IG_KEY_SCOPE_READ, &fast, tok2, NULL);
	assert_int_equal(ig_keys_verify(kr, tok2, strlen(tok2), NULL, &err), -1);

	/* Revoked + reload: refused at once, although it was cached. */
	assert_int_equal(ig_keys_revoke(path, info.id, NULL, &err), 0);
	assert_int_equal(ig_keys_verify(kr, tok, strlen(tok), NULL, &err), 0);   /* not reloaded yet */
	assert_int_equal(ig_keys_reload(kr, &err), 0);
	assert_int_equal(ig_keys_cache_count(kr), 0);
	assert_int_equal(ig_keys_verify(kr, tok, strlen(tok), NULL, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	assert_int_equal(ig_keys_lookup(kr, info.id, NULL), -1);
	assert_int_equal(ig_keys_verify(kr, tok2, strlen(tok2), NULL, &err), 0);

	/* A broken file on reload changes nothing. */
	saved = file_read(path, &len);
	file_write(path, "{", 1, 0600);
	assert_int_equal(ig_keys_reload(kr, &err), -1);
	assert_int_equal(err.code, IG_EINVAL);
	assert_int_equal(ig_keys_verify(kr, tok2, strlen(tok2), NULL, &err), 0);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(ig_keys_reload(kr, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	file_write(path, saved, len, 0600);
	free(saved);
	assert_int_equal(ig_keys_reload(kr, &err), 0);
	ig_keys_close(kr);

	/* Opening fails like loading. */
	assert_int_equal(ig_keys_open("/nonexistent-dir-ig/keys", &fast, &kr, &err), -1);
	assert_null(kr);
	assert_int_equal(err.code, IG_ENOENT);
	{
		struct ig_keys_params bad = fast;

		bad.cache_size = 0;
		assert_int_equal(ig_keys_open(path, &bad, &kr, &err), -1);
		assert_int_equal(err.code, IG_EINVAL);
	}
}

/* An empty keys file: every token fails, still at scrypt cost. */
static void
test_empty_keyring(void **state)
{
	const char *path = new_keys_path();
	const char *tok = "ign_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	struct ig_keyring *kr;
	struct ig_err err = { 0 };

	(void)state;
	file_write(path, DOC(""), strlen(DOC("")), 0600);
	kr = open_ok(path, NULL);
	assert_int_equal(ig_keys_verify(kr, tok, strlen(tok), NULL, &err), -1);
	assert_int_equal(err.code, IG_EPERM);
	ig_keys_close(kr);
	ig_keys_close(NULL);
	ig_keys_set_free(NULL);
}

/* Threads verifying while another reloads: no crash, leak or race (ASan),
 * every answer right. */
struct race {
	struct ig_keyring *kr;
	const char *tok, *bad;
	int failures;
};

static void *
race_verify(void *arg)
{
	struct race *r = arg;
	struct ig_err err;
	int i;

	for (i = 0; i < 30; i++) {
		if (ig_keys_verify(r->kr, r->tok, IG_KEYS_TOKEN_LEN, NULL, &err) != 0)
			r->failures++;
		if (ig_keys_verify(r->kr, r->bad, IG_KEYS_TOKEN_LEN, NULL, &err) == 0)
			r->failures++;
	}
	return NULL;
}

static void
test_concurrent_verify_and_reload(void **state)
{
	const char *path = new_keys_path();
	char tok[IG_KEYS_TOKEN_LEN + 1], bad[IG_KEYS_TOKEN_LEN + 1];
	struct race r[4];
	pthread_t th[4];
	struct ig_keyring *kr;
	struct ig_err err = { 0 };
	int i;

	(void)state;
	add_ok(path, "ci", IG_KEY_SCOPE_READ, &fast, tok, NULL);
	wrong_secret(tok, bad);
	kr = open_ok(path, &fast);
	for (i = 0; i < 4; i++) {
		r[i] = (struct race){ kr, tok, bad, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, race_verify, &r[i]), 0);
	}
	for (i = 0; i < 10; i++)
		assert_int_equal(ig_keys_reload(kr, &err), 0);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(r[i].failures, 0);
	}
	ig_keys_close(kr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_valid),
		cmocka_unit_test(test_token_malformed),
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_rules),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_hostile_bytes),
		cmocka_unit_test(test_load_file_rules),
		cmocka_unit_test(test_add_list_revoke),
		cmocka_unit_test(test_add_rules),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_verify_cache_and_timing),
		cmocka_unit_test(test_cache_ttl_and_off),
		cmocka_unit_test(test_cache_bounded),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_empty_keyring),
		cmocka_unit_test(test_concurrent_verify_and_reload),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
