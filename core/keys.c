/* keys.c — API keys: token format, keys file, scrypt hashes, verification
 * with a cache keyed by an HMAC of the token. See keys.h for the formats. */
#include "keys.h"
#include "fs.h"
#include "jsonin.h"
#include "bounds.h"
#include "timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libscrypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_BYTES   32
#define SALT_BYTES     16
#define DK_BYTES       64                       /* libscrypt's hash length */
#define SALT_B64_LEN   24                       /* base64 of 16 bytes, "==" padded */
#define DK_B64_LEN     88                       /* base64 of 64 bytes, "==" padded */
#define MCF_LEN        (4 + 6 + 1 + SALT_B64_LEN + 1 + DK_B64_LEN)   /* 124 */
#define CACHE_WAYS     4                        /* entries per cache set */
#define ADD_ID_TRIES   16                       /* fresh ids drawn before giving up */
#define AUTH_FAIL_MSG  "invalid API key"

_Static_assert(MCF_LEN < IG_KEYS_MCF_MAX, "MCF string fits its buffer");
_Static_assert(IG_KEYS_MCF_MAX >= SCRYPT_MCF_LEN, "libscrypt_mcf writes SCRYPT_MCF_LEN bytes");

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* ---- small pieces ------------------------------------------------------ */

static int
fill_random(void *buf, size_t len, struct ig_err *err)
{
	unsigned char *p = buf;
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = getrandom(p + off, len - off, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ig_err_sys(err, IG_EIO, "getrandom");
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

static int
is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int
hex_val(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

static int
b64url_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

static int
b64std_val(char c)
{
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	if (c == '-' || c == '_')
		return -1;
	return b64url_val(c);
}

/* Base64url without padding of 32 bytes: 43 characters. */
static void
encode_secret(const unsigned char in[SECRET_BYTES], char out[IG_KEYS_SECRET_LEN + 1])
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= SECRET_BYTES; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64url[v >> 18 & 63];
		out[o++] = b64url[v >> 12 & 63];
		out[o++] = b64url[v >> 6 & 63];
		out[o++] = b64url[v & 63];
	}
	/* 32 = 30 + 2: two bytes left, three characters. */
	v = (uint32_t)in[30] << 16 | (uint32_t)in[31] << 8;
	out[o++] = b64url[v >> 18 & 63];
	out[o++] = b64url[v >> 12 & 63];
	out[o++] = b64url[v >> 6 & 63];
	out[o] = '\0';
}

/* Checks that s[0..len) is canonical padded standard base64 of a byte count
 * that leaves one byte in the last group (16 and 64 bytes do): body
 * characters, then one character whose low four bits are zero, then "==". */
static int
b64_one_byte_tail_ok(const char *s, size_t len)
{
	size_t i;
	int v;

	if (len < 4 || len % 4 != 0 || s[len - 1] != '=' || s[len - 2] != '=')
		return 0;
	for (i = 0; i < len - 2; i++)
		if (b64std_val(s[i]) < 0)
			return 0;
	v = b64std_val(s[len - 3]);
	return (v & 15) == 0;
}

static int
iso_time_ok(const char *s, size_t len)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	size_t i;

	if (len != sizeof(shape) - 1)
		return 0;
	for (i = 0; i < len; i++) {
		if (shape[i] == 'd') {
			if (s[i] < '0' || s[i] > '9')
				return 0;
		} else if (s[i] != shape[i]) {
			return 0;
		}
	}
	return 1;
}

/* Checks a scrypt cost against the bounds in bounds.h. log_n is log2(N). */
static int
cost_ok(unsigned log_n, uint32_t r, uint32_t p, struct ig_err *err)
{
	uint64_t n;

	if (log_n < IG_KEYS_SCRYPT_LOGN_MIN || log_n > IG_KEYS_SCRYPT_LOGN_MAX) {
		ig_err_set(err, IG_EINVAL, "scrypt N must be a power of two from 2^%d to 2^%d",
		    IG_KEYS_SCRYPT_LOGN_MIN, IG_KEYS_SCRYPT_LOGN_MAX);
		return -1;
	}
	if (r < 1 || r > IG_KEYS_SCRYPT_R_MAX) {
		ig_err_set(err, IG_EINVAL, "scrypt r must be 1..%d", IG_KEYS_SCRYPT_R_MAX);
		return -1;
	}
	if (p < 1 || p > IG_KEYS_SCRYPT_P_MAX) {
		ig_err_set(err, IG_EINVAL, "scrypt p must be 1..%d", IG_KEYS_SCRYPT_P_MAX);
		return -1;
	}
	n = (uint64_t)1 << log_n;
	if (128 * n * r > IG_KEYS_SCRYPT_MEM_MAX) {
		ig_err_set(err, IG_EINVAL, "scrypt N*r needs more than %lu bytes per check",
		    (unsigned long)IG_KEYS_SCRYPT_MEM_MAX);
		return -1;
	}
	if (n * r * p > IG_KEYS_SCRYPT_WORK_MAX) {
		ig_err_set(err, IG_EINVAL, "scrypt N*r*p exceeds %lu", (unsigned long)IG_KEYS_SCRYPT_WORK_MAX);
		return -1;
	}
	return 0;
}

/* Parses libscrypt's MCF string strictly: "$s1$" + 6 lowercase hex (log2 N,
 * r, p as one byte each) + "$" + base64 of a 16-byte salt + "$" + base64 of
 * the 64-byte hash, with a cost inside the bounds. Returns 0 (filling the
 * cost if asked) or -1 with err. */
static int
mcf_parse(const char *s, size_t len, unsigned *log_n, uint32_t *r, uint32_t *p,
    struct ig_err *err)
{
	unsigned v[3];
	size_t i;

	if (len != MCF_LEN || memcmp(s, "$s1$", 4) != 0 || s[10] != '$' ||
	    s[11 + SALT_B64_LEN] != '$') {
		ig_err_set(err, IG_EINVAL, "not a libscrypt MCF string ($s1$NNrrpp$salt$hash)");
		return -1;
	}
	for (i = 4; i < 10; i++) {
		if (!is_lower_hex(s[i])) {
			ig_err_set(err, IG_EINVAL, "scrypt parameters must be 6 lowercase hex digits");
			return -1;
		}
	}
	for (i = 0; i < 3; i++)
		v[i] = (unsigned)(hex_val(s[4 + 2 * i]) << 4 | hex_val(s[5 + 2 * i]));
	if (cost_ok(v[0], v[1], v[2], err) != 0)
		return -1;
	if (!b64_one_byte_tail_ok(s + 11, SALT_B64_LEN)) {
		ig_err_set(err, IG_EINVAL, "scrypt salt must be base64 of %d bytes", SALT_BYTES);
		return -1;
	}
	if (!b64_one_byte_tail_ok(s + 12 + SALT_B64_LEN, DK_B64_LEN)) {
		ig_err_set(err, IG_EINVAL, "scrypt hash must be base64 of %d bytes", DK_BYTES);
		return -1;
	}
	if (log_n)
		*log_n = v[0];
	if (r)
		*r = v[1];
	if (p)
		*p = v[2];
	return 0;
}

static unsigned
log2_exact(uint32_t n)
{
	unsigned k = 0;

	if (n == 0 || (n & (n - 1)) != 0)
		return 0;
	while ((1u << k) < n)
		k++;
	return k;
}

/* Hashes token into an MCF string with a fresh salt. Returns 0 or -1. */
static int
hash_token(const char *token, size_t len, uint32_t n, uint32_t r, uint32_t p,
    char mcf[IG_KEYS_MCF_MAX], struct ig_err *err)
{
	unsigned char salt[SALT_BYTES], dk[DK_BYTES];
	char salt64[SALT_B64_LEN + 1], dk64[DK_B64_LEN + 1];
	int rc = -1;

	if (fill_random(salt, sizeof(salt), err) != 0)
		goto out;
	if (libscrypt_scrypt((const uint8_t *)token, len, salt, sizeof(salt), n, r, p,
	    dk, sizeof(dk)) != 0) {
		ig_err_sys(err, IG_ENOMEM, "scrypt");
		goto out;
	}
	if (EVP_EncodeBlock((unsigned char *)salt64, salt, sizeof(salt)) != SALT_B64_LEN ||
	    EVP_EncodeBlock((unsigned char *)dk64, dk, sizeof(dk)) != DK_B64_LEN ||
	    libscrypt_mcf(n, r, p, salt64, dk64, mcf) != 1 ||
	    mcf_parse(mcf, strnlen(mcf, IG_KEYS_MCF_MAX), NULL, NULL, NULL, NULL) != 0) {
		ig_err_set(err, IG_EINTERNAL, "cannot encode the scrypt hash");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(dk, sizeof(dk));
	return rc;
}

/* ---- params, scopes, names, tokens ---------------------------------------- */

void
ig_keys_params_default(struct ig_keys_params *p)
{
	p->scrypt_n = IG_KEYS_SCRYPT_N;
	p->scrypt_r = IG_KEYS_SCRYPT_R;
	p->scrypt_p = IG_KEYS_SCRYPT_P;
	p->cache_ttl_ms = IG_KEYS_CACHE_TTL_MS;
	p->cache_size = IG_KEYS_CACHE_SIZE;
}

int
ig_keys_params_check(const struct ig_keys_params *p, struct ig_err *err)
{
	unsigned log_n = log2_exact(p->scrypt_n);

	if (log_n == 0) {
		ig_err_set(err, IG_EINVAL, "scrypt N must be a power of two");
		return -1;
	}
	if (cost_ok(log_n, p->scrypt_r, p->scrypt_p, err) != 0)
		return -1;
	if (p->cache_ttl_ms < 0 || p->cache_ttl_ms > IG_KEYS_CACHE_TTL_MS_MAX) {
		ig_err_set(err, IG_EINVAL, "key cache TTL must be 0..%d ms", IG_KEYS_CACHE_TTL_MS_MAX);
		return -1;
	}
	if (p->cache_size < 1 || p->cache_size > IG_KEYS_CACHE_SIZE_MAX) {
		ig_err_set(err, IG_EINVAL, "key cache size must be 1..%d", IG_KEYS_CACHE_SIZE_MAX);
		return -1;
	}
	return 0;
}

const char *
ig_keys_scope_name(enum ig_key_scope scope)
{
	switch (scope) {
	case IG_KEY_SCOPE_READ:    return "read";
	case IG_KEY_SCOPE_EXECUTE: return "execute";
	case IG_KEY_SCOPE_ADMIN:   return "admin";
	}
	return "?";
}

int
ig_keys_scope_parse(const char *name, enum ig_key_scope *out, struct ig_err *err)
{
	if (name != NULL && strcmp(name, "read") == 0)
		*out = IG_KEY_SCOPE_READ;
	else if (name != NULL && strcmp(name, "execute") == 0)
		*out = IG_KEY_SCOPE_EXECUTE;
	else if (name != NULL && strcmp(name, "admin") == 0)
		*out = IG_KEY_SCOPE_ADMIN;
	else {
		ig_err_set(err, IG_EINVAL, "scope must be read, execute or admin");
		return -1;
	}
	return 0;
}

static int
scope_valid(enum ig_key_scope s)
{
	return s == IG_KEY_SCOPE_READ || s == IG_KEY_SCOPE_EXECUTE || s == IG_KEY_SCOPE_ADMIN;
}

bool
ig_keys_scope_allows(enum ig_key_scope have, enum ig_key_scope required)
{
	return scope_valid(have) && scope_valid(required) && have >= required;
}

static bool
name_ok_n(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len > IG_KEYS_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '@' && c != '-')))
			return false;
	}
	return true;
}

bool
ig_keys_name_ok(const char *name)
{
	return name != NULL && name_ok_n(name, strnlen(name, IG_KEYS_NAME_MAX + 1));
}

static int
id_ok(const char *s, size_t len)
{
	size_t i;

	if (len != IG_KEYS_ID_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_lower_hex(s[i]))
			return 0;
	return 1;
}

int
ig_keys_token_parse(const char *token, size_t len, char id[IG_KEYS_ID_LEN + 1],
    struct ig_err *err)
{
	const char *secret;
	size_t i;

	if (token == NULL || len != IG_KEYS_TOKEN_LEN) {
		ig_err_set(err, IG_EINVAL, "API key must be %d characters", IG_KEYS_TOKEN_LEN);
		return -1;
	}
	if (memcmp(token, IG_KEYS_PREFIX, 4) != 0) {
		ig_err_set(err, IG_EINVAL, "API key must start with \"%s\"", IG_KEYS_PREFIX);
		return -1;
	}
	if (!id_ok(token + 4, IG_KEYS_ID_LEN) || token[4 + IG_KEYS_ID_LEN] != '_') {
		ig_err_set(err, IG_EINVAL, "API key id must be %d lowercase hex digits followed by '_'",
		    IG_KEYS_ID_LEN);
		return -1;
	}
	secret = token + 5 + IG_KEYS_ID_LEN;
	for (i = 0; i < IG_KEYS_SECRET_LEN; i++) {
		if (b64url_val(secret[i]) < 0) {
			ig_err_set(err, IG_EINVAL, "API key secret must be base64url");
			return -1;
		}
	}
	/* 43 characters carry 258 bits: the last two must be zero. */
	if ((b64url_val(secret[IG_KEYS_SECRET_LEN - 1]) & 3) != 0) {
		ig_err_set(err, IG_EINVAL, "API key secret is not canonically encoded");
		return -1;
	}
	if (id != NULL) {
		memcpy(id, token + 4, IG_KEYS_ID_LEN);
		id[IG_KEYS_ID_LEN] = '\0';
	}
	return 0;
}

/* ---- keys file: parse and format ------------------------------------------ */

void
ig_keys_set_free(struct ig_keyset *ks)
{
	if (ks == NULL)
		return;
	if (ks->v != NULL)
		OPENSSL_cleanse(ks->v, ks->n * sizeof(*ks->v));
	free(ks->v);
	free(ks);
}

/* Fetches member name of object o as a string (no embedded NUL) of at most
 * max bytes. Returns the string or NULL with err naming path.name. */
static const char *
get_string(struct json_object *o, const char *path, const char *name, size_t max,
    size_t *lenp, struct ig_err *err)
{
	struct json_object *v;
	const char *s;
	size_t len;

	if (!json_object_object_get_ex(o, name, &v)) {
		ig_err_set(err, IG_EINVAL, "%s.%s: missing", path, name);
		return NULL;
	}
	if (v == NULL || !json_object_is_type(v, json_type_string)) {
		ig_err_set(err, IG_EINVAL, "%s.%s: must be a string", path, name);
		return NULL;
	}
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len > max || strlen(s) != len) {
		ig_err_set(err, IG_EINVAL, "%s.%s: invalid", path, name);
		return NULL;
	}
	*lenp = len;
	return s;
}

/* Checks that o has exactly the members in names (json-c keeps one value per
 * name, so a repeated member is not visible here). */
static int
only_members(struct json_object *o, const char *path, const char *const *names, size_t n,
    struct ig_err *err)
{
	size_t i;

	json_object_object_foreach(o, key, val) {
		(void)val;
		for (i = 0; i < n; i++)
			if (strcmp(key, names[i]) == 0)
				break;
		if (i == n) {
			ig_err_set(err, IG_EINVAL, "%s: unknown field \"%.64s\"", path, key);
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		if (!json_object_object_get_ex(o, names[i], NULL)) {
			ig_err_set(err, IG_EINVAL, "%s.%s: missing", path, names[i]);
			return -1;
		}
	}
	return 0;
}

static int
parse_entry(struct json_object *o, size_t idx, struct ig_key_entry *e, struct ig_err *err)
{
	static const char *const fields[] = { "id", "name", "scope", "created", "revoked", "hash" };
	struct json_object *rv;
	struct ig_err sub = { 0 };
	char path[32];
	const char *s;
	size_t len;

	snprintf(path, sizeof(path), "keys[%zu]", idx);
	if (!json_object_is_type(o, json_type_object)) {
		ig_err_set(err, IG_EINVAL, "%s: must be an object", path);
		return -1;
	}
	if (only_members(o, path, fields, sizeof(fields) / sizeof(fields[0]), err) != 0)
		return -1;

	if ((s = get_string(o, path, "id", 64, &len, err)) == NULL)
		return -1;
	if (!id_ok(s, len)) {
		ig_err_set(err, IG_EINVAL, "%s.id: must be %d lowercase hex digits", path, IG_KEYS_ID_LEN);
		return -1;
	}
	memcpy(e->info.id, s, len + 1);

	if ((s = get_string(o, path, "name", 1024, &len, err)) == NULL)
		return -1;
	if (!name_ok_n(s, len)) {
		ig_err_set(err, IG_EINVAL, "%s.name: must be 1..%d of [A-Za-z0-9._@-], starting with a letter or digit",
		    path, IG_KEYS_NAME_MAX);
		return -1;
	}
	memcpy(e->info.name, s, len + 1);

	if ((s = get_string(o, path, "scope", 64, &len, err)) == NULL)
		return -1;
	if (ig_keys_scope_parse(s, &e->info.scope, &sub) != 0) {
		ig_err_set(err, IG_EINVAL, "%s.scope: %s", path, sub.msg);
		return -1;
	}

	if ((s = get_string(o, path, "created", 64, &len, err)) == NULL)
		return -1;
	if (!iso_time_ok(s, len)) {
		ig_err_set(err, IG_EINVAL, "%s.created: must be a time like 2026-11-28T20:00:00.000Z", path);
		return -1;
	}
	memcpy(e->info.created, s, len + 1);

	json_object_object_get_ex(o, "revoked", &rv);
	if (json_object_is_type(rv, json_type_boolean) && !json_object_get_boolean(rv)) {
		e->info.revoked[0] = '\0';
	} else if (json_object_is_type(rv, json_type_string)) {
		if ((s = get_string(o, path, "revoked", 64, &len, err)) == NULL)
			return -1;
		if (!iso_time_ok(s, len)) {
			ig_err_set(err, IG_EINVAL, "%s.revoked: must be false or a time like 2026-11-28T20:00:00.000Z", path);
			return -1;
		}
		memcpy(e->info.revoked, s, len + 1);
	} else {
		ig_err_set(err, IG_EINVAL, "%s.revoked: must be false or a time like 2026-11-28T20:00:00.000Z", path);
		return -1;
	}

	if ((s = get_string(o, path, "hash", 1024, &len, err)) == NULL)
		return -1;
	if (mcf_parse(s, len, NULL, NULL, NULL, &sub) != 0) {
		ig_err_set(err, IG_EINVAL, "%s.hash: %s", path, sub.msg);
		return -1;
	}
	memcpy(e->hash, s, len + 1);
	return 0;
}

int
ig_keys_parse(const char *text, size_t len, struct ig_keyset **out, struct ig_err *err)
{
	static const char *const top[] = { "version", "keys" };
	struct json_object *root = NULL, *v, *arr;
	struct ig_keyset *ks = NULL;
	size_t i, j, n;
	int rc = -1;

	*out = NULL;
	if (len > IG_KEYS_FILE_MAX) {
		ig_err_set(err, IG_ETOOBIG, "keys file is larger than %d bytes", IG_KEYS_FILE_MAX);
		return -1;
	}
	if (ig_jsonin_parse(text, len, IG_KEYS_JSON_DEPTH, &root, err) != 0)
		goto out;
	if (!json_object_is_type(root, json_type_object)) {
		ig_err_set(err, IG_EINVAL, "keys file must be a JSON object");
		goto out;
	}
	if (only_members(root, "(top)", top, 2, err) != 0)
		goto out;
	json_object_object_get_ex(root, "version", &v);
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) != 1) {
		ig_err_set(err, IG_EINVAL, "version: must be 1");
		goto out;
	}
	json_object_object_get_ex(root, "keys", &arr);
	if (!json_object_is_type(arr, json_type_array)) {
		ig_err_set(err, IG_EINVAL, "keys: must be an array");
		goto out;
	}
	n = json_object_array_length(arr);
	if (n > IG_KEYS_MAX) {
		ig_err_set(err, IG_ETOOBIG, "keys: more than %d keys", IG_KEYS_MAX);
		goto out;
	}
	if ((ks = calloc(1, sizeof(*ks))) == NULL ||
	    (n > 0 && (ks->v = calloc(n, sizeof(*ks->v))) == NULL)) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (parse_entry(json_object_array_get_idx(arr, i), i, &ks->v[i], err) != 0)
			goto out;
		ks->n = i + 1;
		for (j = 0; j < i; j++) {
			if (strcmp(ks->v[j].info.id, ks->v[i].info.id) == 0) {
				ig_err_set(err, IG_EINVAL, "keys[%zu].id: \"%s\" repeats keys[%zu].id",
				    i, ks->v[i].info.id, j);
				goto out;
			}
		}
	}
	*out = ks;
	ks = NULL;
	rc = 0;
out:
	ig_keys_set_free(ks);
	json_object_put(root);
	return rc;
}

char *
ig_keys_format(const struct ig_keyset *ks, struct ig_err *err)
{
	struct json_object *root = NULL, *arr, *o;
	const char *txt;
	char *res = NULL;
	size_t i, len;
	int bad = 0;

	if ((root = json_object_new_object()) == NULL || (arr = json_object_new_array()) == NULL) {
		json_object_put(root);
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return NULL;
	}
	bad |= json_object_object_add(root, "version", json_object_new_int(1));
	bad |= json_object_object_add(root, "keys", arr);
	for (i = 0; i < ks->n && !bad; i++) {
		const struct ig_key_entry *e = &ks->v[i];

		if ((o = json_object_new_object()) == NULL || json_object_array_add(arr, o) != 0) {
			json_object_put(o);
			bad = 1;
			break;
		}
		bad |= json_object_object_add(o, "id", json_object_new_string(e->info.id));
		bad |= json_object_object_add(o, "name", json_object_new_string(e->info.name));
		bad |= json_object_object_add(o, "scope", json_object_new_string(ig_keys_scope_name(e->info.scope)));
		bad |= json_object_object_add(o, "created", json_object_new_string(e->info.created));
		bad |= json_object_object_add(o, "revoked", e->info.revoked[0]
		    ? json_object_new_string(e->info.revoked) : json_object_new_boolean(0));
		bad |= json_object_object_add(o, "hash", json_object_new_string(e->hash));
	}
	txt = bad ? NULL : json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (txt != NULL) {
		len = strlen(txt);
		if ((res = malloc(len + 2)) != NULL) {
			memcpy(res, txt, len);
			res[len] = '\n';
			res[len + 1] = '\0';
		}
	}
	if (res == NULL)
		ig_err_set(err, IG_ENOMEM, "out of memory");
	json_object_put(root);
	return res;
}

/* ---- keys file: disk ------------------------------------------------------- */

/* Splits path into its directory (opened as dirfd) and last component. */
static int
open_parent(const char *path, int *dirfd, const char **base, struct ig_err *err)
{
	const char *slash;
	char *dir;

	if (path == NULL || *path == '\0') {
		ig_err_set(err, IG_EINVAL, "no keys file given");
		return -1;
	}
	slash = strrchr(path, '/');
	*base = slash ? slash + 1 : path;
	if (**base == '\0' || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0) {
		ig_err_set(err, IG_EINVAL, "%s: not a file name", path);
		return -1;
	}
	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	*dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		ig_err_sys(err, errno == ENOENT ? IG_ENOENT : IG_EIO, "%s: directory %s", path, dir);
	free(dir);
	return *dirfd < 0 ? -1 : 0;
}

/* Reads and parses base in dirfd with the safety checks; *mode receives the
 * file's permission bits. Messages are prefixed with path. */
static int
load_at(int dirfd, const char *base, const char *path, struct ig_keyset **out,
    mode_t *mode, struct ig_err *err)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, rc = -1;

	*out = NULL;
	fd = openat(dirfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP)
			ig_err_set(err, IG_EPERM, "%s: is a symlink; refusing to follow it", path);
		else
			ig_err_sys(err, errno == ENOENT ? IG_ENOENT : IG_EIO, "%s", path);
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		ig_err_sys(err, IG_EIO, "%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ig_err_set(err, IG_EPERM, "%s: not a regular file", path);
		goto out;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH | S_IROTH)) != 0) {
		ig_err_set(err, IG_EPERM, "%s: mode %04o lets other users read or change API keys "
		    "(chmod 600 it)", path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		ig_err_set(err, IG_EPERM, "%s: owned by uid %u, not by root or the current user",
		    path, (unsigned)st.st_uid);
		goto out;
	}
	if (st.st_size > IG_KEYS_FILE_MAX) {
		ig_err_set(err, IG_ETOOBIG, "%s: larger than %d bytes", path, IG_KEYS_FILE_MAX);
		goto out;
	}
	if ((text = malloc(IG_KEYS_FILE_MAX + 1)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	/* Read to EOF, one byte past the limit to notice a file that grew. */
	while (len <= IG_KEYS_FILE_MAX) {
		n = read(fd, text + len, IG_KEYS_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ig_err_sys(err, IG_EIO, "%s", path);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (ig_keys_parse(text, len, out, err) != 0) {
		ig_err_prefix(err, "%s", path);
		goto out;
	}
	*mode = st.st_mode & 0777;
	rc = 0;
out:
	if (text != NULL) {
		OPENSSL_cleanse(text, len);
		free(text);
	}
	close(fd);
	return rc;
}

int
ig_keys_load(const char *path, struct ig_keyset **out, struct ig_err *err)
{
	const char *base;
	mode_t mode;
	int dirfd, rc;

	*out = NULL;
	if (open_parent(path, &dirfd, &base, err) != 0)
		return -1;
	rc = load_at(dirfd, base, path, out, &mode, err);
	close(dirfd);
	return rc;
}

/* Opens the directory of path, takes its exclusive lock and loads the file
 * (an empty set when it does not exist yet). */
static int
begin_change(const char *path, int *dirfd, const char **base, struct ig_keyset **ks,
    mode_t *mode, struct ig_err *err)
{
	struct ig_err lerr = { 0 };

	*ks = NULL;
	*mode = 0600;
	if (open_parent(path, dirfd, base, err) != 0)
		return -1;
	while (flock(*dirfd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			ig_err_sys(err, IG_EIO, "%s: cannot lock its directory", path);
			goto fail;
		}
	}
	if (load_at(*dirfd, *base, path, ks, mode, &lerr) == 0)
		return 0;
	if (lerr.code != IG_ENOENT) {
		if (err != NULL)
			*err = lerr;
		goto fail;
	}
	if ((*ks = calloc(1, sizeof(**ks))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto fail;
	}
	return 0;
fail:
	close(*dirfd);
	*dirfd = -1;
	return -1;
}

/* Writes ks back, keeping a 0600 or 0640 mode. */
static int
commit_change(int dirfd, const char *base, const char *path, const struct ig_keyset *ks,
    mode_t mode, struct ig_err *err)
{
	char *text;
	int rc;

	if ((text = ig_keys_format(ks, err)) == NULL)
		return -1;
	rc = ig_fs_write_atomic(dirfd, base, text, strlen(text), mode & 0640, err);
	if (rc != 0)
		ig_err_prefix(err, "%s", path);
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return rc;
}

int
ig_keys_add(const char *path, const char *name, enum ig_key_scope scope,
    const struct ig_keys_params *p, char token[IG_KEYS_TOKEN_LEN + 1],
    struct ig_key_info *info, struct ig_err *err)
{
	struct ig_keys_params defaults;
	struct ig_keyset *ks = NULL;
	struct ig_key_entry *grown, *e;
	unsigned char rnd[SECRET_BYTES], idb[IG_KEYS_ID_LEN / 2];
	char secret[IG_KEYS_SECRET_LEN + 1], id[IG_KEYS_ID_LEN + 1];
	const char *base;
	mode_t mode;
	size_t i;
	int dirfd = -1, rc = -1, tries, taken;

	token[0] = '\0';
	if (p == NULL) {
		ig_keys_params_default(&defaults);
		p = &defaults;
	}
	if (!ig_keys_name_ok(name)) {
		ig_err_set(err, IG_EINVAL, "key name must be 1..%d of [A-Za-z0-9._@-], starting with a letter or digit",
		    IG_KEYS_NAME_MAX);
		return -1;
	}
	if (!scope_valid(scope)) {
		ig_err_set(err, IG_EINVAL, "scope must be read, execute or admin");
		return -1;
	}
	if (ig_keys_params_check(p, err) != 0)
		return -1;
	if (begin_change(path, &dirfd, &base, &ks, &mode, err) != 0)
		return -1;
	if (ks->n >= IG_KEYS_MAX) {
		ig_err_set(err, IG_ETOOBIG, "%s: already holds %d keys (remove revoked ones)", path, IG_KEYS_MAX);
		goto out;
	}
	for (tries = 0; ; tries++) {
		if (tries == ADD_ID_TRIES) {
			ig_err_set(err, IG_EINTERNAL, "%s: cannot draw an unused key id", path);
			goto out;
		}
		if (fill_random(idb, sizeof(idb), err) != 0)
			goto out;
		for (i = 0; i < sizeof(idb); i++) {
			id[2 * i] = "0123456789abcdef"[idb[i] >> 4];
			id[2 * i + 1] = "0123456789abcdef"[idb[i] & 15];
		}
		id[IG_KEYS_ID_LEN] = '\0';
		for (taken = 0, i = 0; i < ks->n && !taken; i++)
			taken = strcmp(ks->v[i].info.id, id) == 0;
		if (!taken)
			break;
	}
	if (fill_random(rnd, sizeof(rnd), err) != 0)
		goto out;
	encode_secret(rnd, secret);
	snprintf(token, IG_KEYS_TOKEN_LEN + 1, "%s%s_%s", IG_KEYS_PREFIX, id, secret);

	if ((grown = realloc(ks->v, (ks->n + 1) * sizeof(*ks->v))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	ks->v = grown;
	e = &ks->v[ks->n];
	memset(e, 0, sizeof(*e));
	memcpy(e->info.id, id, sizeof(id));
	snprintf(e->info.name, sizeof(e->info.name), "%s", name);
	e->info.scope = scope;
	ig_time_iso_now(e->info.created, sizeof(e->info.created));
	if (hash_token(token, IG_KEYS_TOKEN_LEN, p->scrypt_n, p->scrypt_r, p->scrypt_p, e->hash, err) != 0)
		goto out;
	ks->n++;
	if (commit_change(dirfd, base, path, ks, mode, err) != 0)
		goto out;
	if (info != NULL)
		*info = e->info;
	rc = 0;
out:
	if (rc != 0)
		OPENSSL_cleanse(token, IG_KEYS_TOKEN_LEN + 1);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	OPENSSL_cleanse(secret, sizeof(secret));
	ig_keys_set_free(ks);
	if (dirfd >= 0)
		close(dirfd);   /* releases the lock */
	return rc;
}

int
ig_keys_list(const char *path, struct ig_key_info **out, size_t *n, struct ig_err *err)
{
	struct ig_keyset *ks;
	size_t i;

	*out = NULL;
	*n = 0;
	if (ig_keys_load(path, &ks, err) != 0)
		return -1;
	if (ks->n > 0 && (*out = calloc(ks->n, sizeof(**out))) == NULL) {
		ig_keys_set_free(ks);
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	for (i = 0; i < ks->n; i++)
		(*out)[i] = ks->v[i].info;
	*n = ks->n;
	ig_keys_set_free(ks);
	return 0;
}

int
ig_keys_revoke(const char *path, const char *id, struct ig_key_info *info, struct ig_err *err)
{
	struct ig_keyset *ks = NULL;
	struct ig_key_entry *e = NULL;
	const char *base;
	mode_t mode;
	size_t i;
	int dirfd = -1, rc = -1;

	if (id == NULL || !id_ok(id, strnlen(id, IG_KEYS_ID_LEN + 1))) {
		ig_err_set(err, IG_EINVAL, "key id must be %d lowercase hex digits", IG_KEYS_ID_LEN);
		return -1;
	}
	if (begin_change(path, &dirfd, &base, &ks, &mode, err) != 0)
		return -1;
	for (i = 0; i < ks->n && e == NULL; i++)
		if (strcmp(ks->v[i].info.id, id) == 0)
			e = &ks->v[i];
	if (e == NULL) {
		ig_err_set(err, IG_ENOENT, "%s: no key with id %s", path, id);
		goto out;
	}
	if (e->info.revoked[0] != '\0') {
		ig_err_set(err, IG_EEXIST, "%s: key %s was already revoked at %s", path, id, e->info.revoked);
		goto out;
	}
	ig_time_iso_now(e->info.revoked, sizeof(e->info.revoked));
	if (commit_change(dirfd, base, path, ks, mode, err) != 0)
		goto out;
	if (info != NULL)
		*info = e->info;
	rc = 0;
out:
	ig_keys_set_free(ks);
	if (dirfd >= 0)
		close(dirfd);
	return rc;
}

/* ---- keyring: verification -------------------------------------------------- */

/* An immutable view of the active keys. Shared by verifications in flight;
 * refs (under the ring's mutex) counts them plus the ring itself. */
struct snapshot {
	unsigned refs;
	struct ig_keyset *ks;                /* active keys, sorted by id */
	char dummy[IG_KEYS_MCF_MAX];         /* hash checked for unknown ids */
};

struct cache_entry {
	unsigned char mac[32];               /* HMAC-SHA256(secret, token) */
	int64_t expires_ms;                  /* 0: empty */
	struct ig_key_info info;
};

struct ig_keyring {
	pthread_mutex_t mu;
	char *path;
	struct ig_keys_params params;
	unsigned char secret[32];            /* the cache's HMAC key, per process */
	struct snapshot *cur;
	struct cache_entry *cache;           /* nsets * CACHE_WAYS */
	size_t nsets;
};

static int
cmp_entry_id(const void *a, const void *b)
{
	return strcmp(((const struct ig_key_entry *)a)->info.id,
	    ((const struct ig_key_entry *)b)->info.id);
}

static void
snapshot_free(struct snapshot *s)
{
	if (s == NULL)
		return;
	ig_keys_set_free(s->ks);
	free(s);
}

/* Loads the file into a new snapshot holding only active keys, with a dummy
 * hash whose cost is that of most keys (or p's when there are none). */
static struct snapshot *
snapshot_build(const char *path, const struct ig_keys_params *p, struct ig_err *err)
{
	struct snapshot *s;
	struct ig_keyset *ks = NULL;
	char dummy_token[IG_KEYS_TOKEN_LEN + 1];
	unsigned char rnd[SECRET_BYTES];
	uint32_t best_cost = 0, *costs = NULL;
	size_t i, j, k, votes, best_votes = 0;
	unsigned log_n;
	uint32_t r, pp;

	if (ig_keys_load(path, &ks, err) != 0)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		ig_keys_set_free(ks);
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return NULL;
	}
	s->ks = ks;
	for (i = 0, k = 0; i < ks->n; i++)
		if (ks->v[i].info.revoked[0] == '\0')
			ks->v[k++] = ks->v[i];
	if (k < ks->n)
		OPENSSL_cleanse(ks->v + k, (ks->n - k) * sizeof(*ks->v));
	ks->n = k;
	if (ks->n > 1)
		qsort(ks->v, ks->n, sizeof(*ks->v), cmp_entry_id);

	/* The dummy costs what most keys cost: vote over the (N, r, p) fields. */
	if (ks->n > 0 && (costs = calloc(ks->n, sizeof(*costs))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < ks->n; i++) {
		(void)mcf_parse(ks->v[i].hash, MCF_LEN, &log_n, &r, &pp, NULL);   /* validated */
		costs[i] = (uint32_t)log_n << 16 | r << 8 | pp;
	}
	for (i = 0; i < ks->n; i++) {
		for (votes = 0, j = 0; j < ks->n; j++)
			votes += costs[j] == costs[i];
		if (votes > best_votes) {
			best_votes = votes;
			best_cost = costs[i];
		}
	}
	free(costs);
	costs = NULL;
	if (best_votes > 0) {
		log_n = best_cost >> 16;
		r = best_cost >> 8 & 0xff;
		pp = best_cost & 0xff;
	} else {
		log_n = log2_exact(p->scrypt_n);
		r = p->scrypt_r;
		pp = p->scrypt_p;
	}
	if (fill_random(rnd, sizeof(rnd), err) != 0)
		goto fail;
	memcpy(dummy_token, IG_KEYS_PREFIX "000000000000_", 17);
	encode_secret(rnd, dummy_token + 17);
	if (hash_token(dummy_token, IG_KEYS_TOKEN_LEN, (uint32_t)1 << log_n, r, pp, s->dummy, err) != 0)
		goto fail;
	OPENSSL_cleanse(rnd, sizeof(rnd));
	OPENSSL_cleanse(dummy_token, sizeof(dummy_token));
	s->refs = 1;
	return s;
fail:
	free(costs);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	OPENSSL_cleanse(dummy_token, sizeof(dummy_token));
	snapshot_free(s);
	return NULL;
}

/* Drops one reference; call with kr->mu held. */
static void
snapshot_put_locked(struct snapshot *s)
{
	if (--s->refs == 0)
		snapshot_free(s);
}

static const struct ig_key_entry *
snapshot_find(const struct snapshot *s, const char *id)
{
	struct ig_key_entry key;

	if (s->ks->n == 0)
		return NULL;
	memcpy(key.info.id, id, IG_KEYS_ID_LEN + 1);
	return bsearch(&key, s->ks->v, s->ks->n, sizeof(key), cmp_entry_id);
}

static void
cache_clear_locked(struct ig_keyring *kr)
{
	OPENSSL_cleanse(kr->cache, kr->nsets * CACHE_WAYS * sizeof(*kr->cache));
}

static struct cache_entry *
cache_set(struct ig_keyring *kr, const unsigned char mac[32])
{
	uint64_t h;

	memcpy(&h, mac, sizeof(h));
	return &kr->cache[(h % kr->nsets) * CACHE_WAYS];
}

int
ig_keys_open(const char *path, const struct ig_keys_params *p, struct ig_keyring **out,
    struct ig_err *err)
{
	struct ig_keyring *kr;

	*out = NULL;
	if ((kr = calloc(1, sizeof(*kr))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	if (p != NULL)
		kr->params = *p;
	else
		ig_keys_params_default(&kr->params);
	if (ig_keys_params_check(&kr->params, err) != 0) {
		free(kr);
		return -1;
	}
	kr->nsets = (kr->params.cache_size + CACHE_WAYS - 1) / CACHE_WAYS;
	if ((kr->path = strdup(path ? path : "")) == NULL ||
	    (kr->cache = calloc(kr->nsets * CACHE_WAYS, sizeof(*kr->cache))) == NULL) {
		free(kr->path);
		free(kr);
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	if (fill_random(kr->secret, sizeof(kr->secret), err) != 0 ||
	    (kr->cur = snapshot_build(kr->path, &kr->params, err)) == NULL) {
		free(kr->cache);
		free(kr->path);
		free(kr);
		return -1;
	}
	pthread_mutex_init(&kr->mu, NULL);
	*out = kr;
	return 0;
}

int
ig_keys_reload(struct ig_keyring *kr, struct ig_err *err)
{
	struct snapshot *s = snapshot_build(kr->path, &kr->params, err);

	if (s == NULL)
		return -1;
	pthread_mutex_lock(&kr->mu);
	snapshot_put_locked(kr->cur);
	kr->cur = s;
	cache_clear_locked(kr);
	pthread_mutex_unlock(&kr->mu);
	return 0;
}

int
ig_keys_verify(struct ig_keyring *kr, const char *token, size_t len,
    struct ig_key_info *out, struct ig_err *err)
{
	struct ig_key_info scratch;
	struct snapshot *snap;
	const struct ig_key_entry *e;
	struct cache_entry *set, *victim;
	unsigned char mac[32];
	unsigned int maclen = 0;
	char id[IG_KEYS_ID_LEN + 1], tok[IG_KEYS_TOKEN_LEN + 1], mcf[IG_KEYS_MCF_MAX];
	int64_t now;
	int i, ok, rc = -1;

	if (out == NULL)
		out = &scratch;
	memset(out, 0, sizeof(*out));
	/* Shape first: a malformed token costs nothing further. */
	if (ig_keys_token_parse(token, len, id, NULL) != 0) {
		ig_err_set(err, IG_EPERM, AUTH_FAIL_MSG);
		return -1;
	}
	memcpy(out->id, id, sizeof(id));
	if (HMAC(EVP_sha256(), kr->secret, sizeof(kr->secret), (const unsigned char *)token, len,
	    mac, &maclen) == NULL || maclen != sizeof(mac)) {
		ig_err_set(err, IG_EINTERNAL, "HMAC failed");
		return -1;
	}
	now = ig_time_mono_ms();

	pthread_mutex_lock(&kr->mu);
	if (kr->params.cache_ttl_ms > 0) {
		set = cache_set(kr, mac);
		for (i = 0; i < CACHE_WAYS; i++) {
			if (set[i].expires_ms > now && CRYPTO_memcmp(set[i].mac, mac, sizeof(mac)) == 0) {
				*out = set[i].info;
				pthread_mutex_unlock(&kr->mu);
				OPENSSL_cleanse(mac, sizeof(mac));
				return 0;
			}
		}
	}
	snap = kr->cur;
	snap->refs++;
	pthread_mutex_unlock(&kr->mu);

	/* Unknown (or revoked: not in the snapshot) ids pay the same scrypt
	 * against the dummy hash; the result is then ignored. */
	e = snapshot_find(snap, id);
	memcpy(mcf, e != NULL ? e->hash : snap->dummy, sizeof(mcf));
	memcpy(tok, token, IG_KEYS_TOKEN_LEN);
	tok[IG_KEYS_TOKEN_LEN] = '\0';
	ok = libscrypt_check(mcf, tok);          /* writes into mcf: a copy */
	if (ok < 0) {
		ig_err_set(err, IG_ENOMEM, "scrypt could not run (out of memory?)");
		goto release;
	}
	if (ok == 0 || e == NULL) {
		ig_err_set(err, IG_EPERM, AUTH_FAIL_MSG);
		goto release;
	}
	*out = e->info;
	rc = 0;
release:
	pthread_mutex_lock(&kr->mu);
	/* Cache only while the keys are still those we checked against, so a
	 * verification that overlapped a reload cannot re-admit a revoked key. */
	if (rc == 0 && snap == kr->cur && kr->params.cache_ttl_ms > 0) {
		set = cache_set(kr, mac);
		victim = &set[0];
		for (i = 0; i < CACHE_WAYS; i++) {
			if (set[i].expires_ms <= now) {
				victim = &set[i];
				break;
			}
			if (set[i].expires_ms < victim->expires_ms)
				victim = &set[i];
		}
		memcpy(victim->mac, mac, sizeof(mac));
		victim->info = *out;
		victim->expires_ms = now + kr->params.cache_ttl_ms;
	}
	snapshot_put_locked(snap);
	pthread_mutex_unlock(&kr->mu);
	OPENSSL_cleanse(tok, sizeof(tok));
	OPENSSL_cleanse(mcf, sizeof(mcf));
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int
ig_keys_lookup(struct ig_keyring *kr, const char *id, struct ig_key_info *out)
{
	const struct ig_key_entry *e;
	int rc = -1;

	if (id == NULL || !id_ok(id, strnlen(id, IG_KEYS_ID_LEN + 1)))
		return -1;
	pthread_mutex_lock(&kr->mu);
	if ((e = snapshot_find(kr->cur, id)) != NULL) {
		if (out != NULL)
			*out = e->info;
		rc = 0;
	}
	pthread_mutex_unlock(&kr->mu);
	return rc;
}

size_t
ig_keys_cache_count(struct ig_keyring *kr)
{
	int64_t now = ig_time_mono_ms();
	size_t i, n = 0;

	pthread_mutex_lock(&kr->mu);
	for (i = 0; i < kr->nsets * CACHE_WAYS; i++)
		n += kr->cache[i].expires_ms > now;
	pthread_mutex_unlock(&kr->mu);
	return n;
}

void
ig_keys_close(struct ig_keyring *kr)
{
	if (kr == NULL)
		return;
	pthread_mutex_lock(&kr->mu);
	cache_clear_locked(kr);
	snapshot_put_locked(kr->cur);
	kr->cur = NULL;
	pthread_mutex_unlock(&kr->mu);
	pthread_mutex_destroy(&kr->mu);
	OPENSSL_cleanse(kr->secret, sizeof(kr->secret));
	free(kr->cache);
	free(kr->path);
	free(kr);
}
