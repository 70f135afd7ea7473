/*
 * session.h — browser sessions for the HTML pages.
 *
 * A browser logs in by posting an API key once; the daemon answers with a
 * session cookie (HttpOnly, SameSite=Strict) whose value is
 *     <keyid>.<expiry>.<nonce>.<hmac>
 * hmac = HMAC-SHA256(server secret, "<keyid>.<expiry>.<nonce>"). The cookie never
 * holds the key's secret. The server secret is random per daemon process, so
 * a restart logs every browser out. Each request re-checks that the key id
 * still exists and is not revoked (the caller does, with the keyring).
 *
 * Forms carry a CSRF token derived from the session (or, for the login form,
 * from a random pre-session cookie): HMAC(secret, "csrf." + cookie value).
 */
#ifndef IG_SESSION_H
#define IG_SESSION_H

#include <stddef.h>
#include <time.h>

#include "err.h"

#define IG_SESSION_COOKIE      "ignite_session"
#define IG_SESSION_PRE_COOKIE  "ignite_login"
#define IG_SESSION_VALUE_MAX   128
#define IG_SESSION_KEYID_MAX   32
#define IG_CSRF_LEN            64
#define IG_SESSION_REVOKED_MAX 4096   /* logged-out sessions remembered until they expire */

struct ig_sessions;

/* Creates the session authority with a fresh random secret and sessions
 * lasting ttl_s seconds. Returns NULL when randomness or memory fails. */
struct ig_sessions *ig_sessions_new(long ttl_s);

/* Frees it, wiping the secret. NULL-safe. */
void ig_sessions_free(struct ig_sessions *s);

/* Writes a new session value for keyid (IG_SESSION_VALUE_MAX bytes) into out.
 * keyid must be 1..IG_SESSION_KEYID_MAX of [a-z0-9]. Returns 0 or -1. */
int ig_session_issue(const struct ig_sessions *s, const char *keyid, time_t now,
    char out[IG_SESSION_VALUE_MAX]);

/* Checks a cookie value: well-formed, MAC valid (constant time), not expired.
 * On success copies the key id into keyid and returns 0; else -1. */
int ig_session_check(struct ig_sessions *s, const char *value, time_t now,
    char keyid[IG_SESSION_KEYID_MAX + 1]);

/* Ends the session value before its expiry (logout): later checks fail. The
 * server remembers up to IG_SESSION_REVOKED_MAX ended sessions; past that it
 * forgets the one that expires soonest. */
void ig_session_revoke(struct ig_sessions *s, const char *value, time_t now);

/* Writes a random value for the login form's pre-session cookie (32 hex).
 * Returns 0 or -1. */
int ig_session_pre_value(char out[IG_SESSION_VALUE_MAX]);

/* Writes the CSRF token bound to cookie value (IG_CSRF_LEN hex + NUL). */
void ig_session_csrf(const struct ig_sessions *s, const char *value, char out[IG_CSRF_LEN + 1]);

/* Checks token against the CSRF token of value in constant time. Returns 0
 * when it matches, -1 otherwise (also for NULL or wrong-length tokens). */
int ig_session_csrf_check(const struct ig_sessions *s, const char *value, const char *token);

/* Returns the session lifetime in seconds. */
long ig_sessions_ttl(const struct ig_sessions *s);

#endif
