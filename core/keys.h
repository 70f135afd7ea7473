/*
 * keys.h — API keys for ignite-fcgi: the keys file, the token format, and
 * verification with a short-lived cache.
 *
 * Token (shown once by `ignite keys add`, sent as "Authorization: Bearer …"):
 *
 *     ign_<keyid>_<secret>
 *
 *   keyid   12 lowercase hex digits (48 random bits): public, names the key
 *           in the keys file, `ignite keys list` and logs.
 *   secret  43 characters, base64url without padding, of 32 random bytes
 *           (getrandom); the canonical encoding only (the last character's
 *           two unused bits are zero).
 *
 * 60 characters in all; anything else is malformed and refused before any
 * scrypt work.
 *
 * Keys file (one JSON document, mode 0600, replaced atomically on change):
 *
 *     {"version": 1,
 *      "keys": [{"id": "3f2a9c0b7d41", "name": "ci", "scope": "execute",
 *                "created": "2026-11-28T20:00:00.000Z", "revoked": false,
 *                "hash": "$s1$0e0801$<salt>$<hash>"}]}
 *
 *   scope    "read" < "execute" < "admin" (each allows what the lower ones do)
 *   revoked  false, or the time of revocation; revoked keys stay listed
 *   hash     libscrypt's MCF string of scrypt(the whole token, 16-byte salt):
 *            hashing the whole token binds the secret to its id, so moving
 *            a hash to another entry does not make that entry's id usable.
 *
 * The parser is strict: unknown or missing fields, wrong types, ids that are
 * not 12 lowercase hex or repeat, names outside [A-Za-z0-9._@-], malformed
 * MCF strings and scrypt parameters outside the bounds in bounds.h are all
 * refused. The file is refused when it is a symlink or not a regular file,
 * larger than IG_KEYS_FILE_MAX, writable by group or others, readable by
 * others, or owned by a user other than root or the caller. Group read is
 * allowed (0640 root:ignite lets a daemon user read a root-managed file).
 *
 * scrypt cost: IG_KEYS_SCRYPT_N/R/P (N=16384, r=8, p=1), about 50 ms per
 * check on the reference 2-core machine where libscrypt's defaults (p=16)
 * cost ~780 ms. The secrets are 256 random bits, so no stretching is needed
 * against guessing; the cost only slows an attacker who stole the keys file.
 * The daemon pays it once per key per cache TTL: verified tokens are cached
 * under HMAC-SHA256(random per-process secret, token) — never the token.
 */
#ifndef IG_KEYS_H
#define IG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "bounds.h"
#include "timefmt.h"

#define IG_KEYS_PREFIX       "ign_"
#define IG_KEYS_ID_LEN       12
#define IG_KEYS_SECRET_LEN   43
#define IG_KEYS_TOKEN_LEN    (4 + IG_KEYS_ID_LEN + 1 + IG_KEYS_SECRET_LEN)   /* 60 */
#define IG_KEYS_MCF_MAX      128            /* libscrypt's SCRYPT_MCF_LEN */

/* Scopes are ordered: a key allows its own scope and every lower one. The
 * values match the daemon's route access levels (0 is "public"). */
enum ig_key_scope {
	IG_KEY_SCOPE_READ = 1,      /* GET endpoints */
	IG_KEY_SCOPE_EXECUTE = 2,   /* + executing services */
	IG_KEY_SCOPE_ADMIN = 3,     /* everything */
};

/* What may be shown about a key: never the hash or the secret. */
struct ig_key_info {
	char id[IG_KEYS_ID_LEN + 1];
	char name[IG_KEYS_NAME_MAX + 1];
	enum ig_key_scope scope;
	char created[IG_ISO_TIME_LEN];      /* "2026-11-28T20:00:00.000Z" */
	char revoked[IG_ISO_TIME_LEN];      /* revocation time; "" while active */
};

/* One entry of a keys file. */
struct ig_key_entry {
	struct ig_key_info info;
	char hash[IG_KEYS_MCF_MAX];         /* "$s1$…" */
};

/* A parsed keys file. */
struct ig_keyset {
	struct ig_key_entry *v;
	size_t n;
};

/* Tunables; ig_keys_params_default() fills the defaults from bounds.h. */
struct ig_keys_params {
	uint32_t scrypt_n;                  /* power of two, 2^IG_KEYS_SCRYPT_LOGN_MIN..MAX */
	uint32_t scrypt_r;                  /* 1..IG_KEYS_SCRYPT_R_MAX */
	uint32_t scrypt_p;                  /* 1..IG_KEYS_SCRYPT_P_MAX */
	int64_t cache_ttl_ms;               /* 0 disables the cache; ..IG_KEYS_CACHE_TTL_MS_MAX */
	size_t cache_size;                  /* entries; 1..IG_KEYS_CACHE_SIZE_MAX */
};

/* The daemon's view: the active keys of one file, a dummy hash for unknown
 * ids, and the verified-token cache. Thread-safe. */
struct ig_keyring;

/* Fills p with the defaults (IG_KEYS_SCRYPT_*, IG_KEYS_CACHE_*). */
void ig_keys_params_default(struct ig_keys_params *p);

/* Checks p against the bounds in bounds.h (including memory and work caps).
 * Returns 0, or -1 with IG_EINVAL naming the offending field. */
int ig_keys_params_check(const struct ig_keys_params *p, struct ig_err *err);

/* Returns "read", "execute" or "admin" ("?" for anything else). */
const char *ig_keys_scope_name(enum ig_key_scope scope);

/* Parses "read", "execute" or "admin". Returns 0 with *out set, or -1 with
 * IG_EINVAL. */
int ig_keys_scope_parse(const char *name, enum ig_key_scope *out, struct ig_err *err);

/* Returns true when a key of scope `have` may do what needs `required`. */
bool ig_keys_scope_allows(enum ig_key_scope have, enum ig_key_scope required);

/* Returns true when name is a valid key name: 1..IG_KEYS_NAME_MAX of
 * [A-Za-z0-9._@-], starting with a letter or digit. */
bool ig_keys_name_ok(const char *name);

/* Checks the shape of a token given as (pointer, length; no NUL needed):
 * exactly IG_KEYS_TOKEN_LEN bytes of "ign_" + 12 lowercase hex + "_" + 43
 * canonical base64url. On success copies the key id into id (may be NULL)
 * and returns 0; otherwise returns -1 with IG_EINVAL. Never reads past len. */
int ig_keys_token_parse(const char *token, size_t len, char id[IG_KEYS_ID_LEN + 1],
    struct ig_err *err);

/* Parses the text of a keys file (len bytes, need not be NUL-terminated, may
 * hold any bytes) with every rule listed at the top of this header. Returns
 * 0 with *out owned by the caller (free with ig_keys_set_free), or -1 with
 * err: IG_ETOOBIG past IG_KEYS_FILE_MAX, IG_EINVAL with the JSON path of the
 * first problem ("keys[2].scope: …") otherwise. */
int ig_keys_parse(const char *text, size_t len, struct ig_keyset **out, struct ig_err *err);

/* Serialises a key set as keys-file JSON (pretty, trailing newline). Returns
 * a malloc'd string the caller frees, or NULL with err (IG_ENOMEM). */
char *ig_keys_format(const struct ig_keyset *ks, struct ig_err *err);

/* Reads and parses the keys file at path with the permission checks listed
 * at the top. Returns 0 with *out owned by the caller (ig_keys_set_free), or
 * -1 with err: IG_ENOENT when it does not exist, IG_EPERM for a symlink,
 * non-regular file, unsafe mode or foreign owner, IG_ETOOBIG, IG_EINVAL for
 * content, IG_EIO otherwise. Messages start with the path. */
int ig_keys_load(const char *path, struct ig_keyset **out, struct ig_err *err);

/* Frees a key set. NULL-safe. */
void ig_keys_set_free(struct ig_keyset *ks);

/* Creates a key: random id and secret, scrypt hash with p's cost (NULL: the
 * defaults), appended to the keys file at path (created 0600 when missing;
 * its directory must exist), written atomically while holding an exclusive
 * lock on the directory so concurrent changes are not lost. On success
 * writes the token (the only time it exists in clear) into token, fills
 * info (may be NULL) and returns 0; otherwise -1 with err (IG_EINVAL for a
 * bad name or scope, IG_ETOOBIG past IG_KEYS_MAX keys, or as ig_keys_load).
 * The caller should wipe token after showing it. */
int ig_keys_add(const char *path, const char *name, enum ig_key_scope scope,
    const struct ig_keys_params *p, char token[IG_KEYS_TOKEN_LEN + 1],
    struct ig_key_info *info, struct ig_err *err);

/* Lists the keys of the file at path, revoked ones included, in file order.
 * Returns 0 with *out a malloc'd array of *n entries (the caller frees it
 * with free(); NULL when n is 0), or -1 with err as ig_keys_load. */
int ig_keys_list(const char *path, struct ig_key_info **out, size_t *n, struct ig_err *err);

/* Marks key id revoked (keeping its entry) in the file at path, atomically
 * and under the directory lock. Returns 0 and fills info (may be NULL);
 * -1 with IG_ENOENT for an unknown id, IG_EEXIST when it is already revoked,
 * IG_EINVAL for a malformed id, or as ig_keys_load. */
int ig_keys_revoke(const char *path, const char *id, struct ig_key_info *info,
    struct ig_err *err);

/* Opens a keyring over the keys file at path with params p (NULL: the
 * defaults; the scrypt fields are only used for the unknown-id dummy hash
 * when the file has no active keys). The file is loaded at once. Returns 0
 * with *out owned by the caller (ig_keys_close), or -1 with err as
 * ig_keys_load or ig_keys_params_check. */
int ig_keys_open(const char *path, const struct ig_keys_params *p, struct ig_keyring **out,
    struct ig_err *err);

/* Re-reads the keys file and, if it is valid, swaps it in and empties the
 * token cache in one step: a revoked or removed key fails from the next
 * verification on. Verifications running meanwhile finish against the old
 * keys but do not add to the new cache. On failure nothing changes (the old
 * keys stay active) and -1 is returned with err as ig_keys_load. */
int ig_keys_reload(struct ig_keyring *kr, struct ig_err *err);

/* Verifies a bearer token (pointer, length; need not be NUL-terminated).
 * The token's shape is checked before anything else; a cache hit costs an
 * HMAC; a miss costs one scrypt check — also for an unknown or revoked id,
 * which is checked against a dummy hash of the same cost, so that a wrong
 * id and a wrong secret take comparable time. Returns 0 with out filled
 * (may be NULL), or -1 with err: IG_EPERM ("invalid API key", the same for
 * a malformed, unknown, revoked or wrong key) — then out->id holds the
 * claimed key id when the token was well formed (for logs) and "" otherwise;
 * IG_ENOMEM when scrypt could not get its memory. */
int ig_keys_verify(struct ig_keyring *kr, const char *token, size_t len,
    struct ig_key_info *out, struct ig_err *err);

/* Looks up an active key by id (for sessions that carry only the id).
 * Returns 0 with out filled (may be NULL), or -1 when the id is unknown or
 * revoked. */
int ig_keys_lookup(struct ig_keyring *kr, const char *id, struct ig_key_info *out);

/* Number of entries currently in the token cache (for tests and metrics). */
size_t ig_keys_cache_count(struct ig_keyring *kr);

/* Frees a keyring, wiping its cache secret. The caller makes sure no other
 * thread still uses it. NULL-safe. */
void ig_keys_close(struct ig_keyring *kr);

#endif
