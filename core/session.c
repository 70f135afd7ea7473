/* session.c — signed session cookies and CSRF tokens. */
#include "session.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Sessions ended by logout before their expiry (the cookie is stateless, so
 * the server remembers the ended ones until they would have expired). */
struct revoked {
	unsigned char id[16];       /* first bytes of the cookie's MAC */
	time_t        exp;
};

struct ig_sessions {
	unsigned char secret[32];
	long ttl;
	pthread_mutex_t lock;
	struct revoked revoked[IG_SESSION_REVOKED_MAX];
	size_t nrevoked;
};

static void
hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
mac(const struct ig_sessions *s, const char *msg, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	HMAC(EVP_sha256(), s->secret, sizeof(s->secret), (const unsigned char *)msg, len, md, &mdlen);
	hex(md, 32, out);
}

struct ig_sessions *
ig_sessions_new(long ttl_s)
{
	struct ig_sessions *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (getrandom(s->secret, sizeof(s->secret), 0) != (ssize_t)sizeof(s->secret)) {
		free(s);
		return NULL;
	}
	s->ttl = ttl_s > 0 ? ttl_s : 12 * 3600;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void
ig_sessions_free(struct ig_sessions *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s->secret, sizeof(s->secret));
	pthread_mutex_destroy(&s->lock);
	free(s);
}

long
ig_sessions_ttl(const struct ig_sessions *s)
{
	return s->ttl;
}

static int
keyid_ok(const char *k, size_t n)
{
	size_t i;

	if (n == 0 || n > IG_SESSION_KEYID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9')))
			return 0;
	return 1;
}

int
ig_session_issue(const struct ig_sessions *s, const char *keyid, time_t now,
    char out[IG_SESSION_VALUE_MAX])
{
	char body[IG_SESSION_VALUE_MAX], m[65], nonce[17];
	unsigned char r[8];
	int n;

	if (!keyid_ok(keyid, strlen(keyid)))
		return -1;
	/* A nonce makes every login distinct, so ending one session never ends
	 * another issued in the same second. */
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	hex(r, sizeof(r), nonce);
	n = snprintf(body, sizeof(body), "%s.%lld.%s", keyid, (long long)(now + s->ttl), nonce);
	if (n < 0 || (size_t)n >= sizeof(body))
		return -1;
	mac(s, body, (size_t)n, m);
	n = snprintf(out, IG_SESSION_VALUE_MAX, "%s.%s", body, m);
	return n > 0 && n < IG_SESSION_VALUE_MAX ? 0 : -1;
}

/* Parses the value's hex MAC into 16 id bytes. */
static void
revoked_id(const char *mac_hex, unsigned char id[16])
{
	size_t i;

	for (i = 0; i < 16; i++) {
		unsigned hi = (unsigned)(mac_hex[2 * i] <= '9' ? mac_hex[2 * i] - '0' : mac_hex[2 * i] - 'a' + 10);
		unsigned lo = (unsigned)(mac_hex[2 * i + 1] <= '9' ? mac_hex[2 * i + 1] - '0' : mac_hex[2 * i + 1] - 'a' + 10);
		id[i] = (unsigned char)(hi << 4 | lo);
	}
}

static bool
is_revoked(struct ig_sessions *s, const char *mac_hex, time_t now)
{
	unsigned char id[16];
	bool hit = false;
	size_t i;

	revoked_id(mac_hex, id);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nrevoked && !hit; i++)
		hit = s->revoked[i].exp > now && CRYPTO_memcmp(s->revoked[i].id, id, 16) == 0;
	pthread_mutex_unlock(&s->lock);
	return hit;
}

int
ig_session_check(struct ig_sessions *s, const char *value, time_t now,
    char keyid[IG_SESSION_KEYID_MAX + 1])
{
	const char *d1, *d2, *d3;
	char m[65];
	long long exp = 0;
	size_t len, i;

	/* <keyid>.<expiry>.<nonce 16 hex>.<mac 64 hex> */
	if (value == NULL || (len = strlen(value)) >= IG_SESSION_VALUE_MAX)
		return -1;
	if ((d1 = strchr(value, '.')) == NULL || (d2 = strchr(d1 + 1, '.')) == NULL ||
	    (d3 = strchr(d2 + 1, '.')) == NULL)
		return -1;
	if (!keyid_ok(value, (size_t)(d1 - value)) || d2 - d1 - 1 < 1 || d2 - d1 - 1 > 18 ||
	    d3 - d2 - 1 != 16 || strlen(d3 + 1) != 64)
		return -1;
	for (i = 1; d1 + i < d2; i++) {
		if (d1[i] < '0' || d1[i] > '9')
			return -1;
		exp = exp * 10 + (d1[i] - '0');
	}
	for (i = 0; i < 64; i++)
		if (!((d3[1 + i] >= '0' && d3[1 + i] <= '9') || (d3[1 + i] >= 'a' && d3[1 + i] <= 'f')))
			return -1;
	mac(s, value, (size_t)(d3 - value), m);
	if (CRYPTO_memcmp(m, d3 + 1, 64) != 0)
		return -1;
	if (exp <= (long long)now || is_revoked(s, d3 + 1, now))
		return -1;
	memcpy(keyid, value, (size_t)(d1 - value));
	keyid[d1 - value] = '\0';
	return 0;
}

int
ig_session_pre_value(char out[IG_SESSION_VALUE_MAX])
{
	unsigned char r[16];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	hex(r, sizeof(r), out);
	return 0;
}

void
ig_session_csrf(const struct ig_sessions *s, const char *value, char out[IG_CSRF_LEN + 1])
{
	char buf[IG_SESSION_VALUE_MAX + 8];
	int n = snprintf(buf, sizeof(buf), "csrf.%s", value ? value : "");

	mac(s, buf, n > 0 ? (size_t)n : 0, out);
}

int
ig_session_csrf_check(const struct ig_sessions *s, const char *value, const char *token)
{
	char want[IG_CSRF_LEN + 1];

	if (value == NULL || token == NULL || strlen(token) != IG_CSRF_LEN)
		return -1;
	ig_session_csrf(s, value, want);
	return CRYPTO_memcmp(want, token, IG_CSRF_LEN) == 0 ? 0 : -1;
}

void
ig_session_revoke(struct ig_sessions *s, const char *value, time_t now)
{
	char keyid[IG_SESSION_KEYID_MAX + 1];
	const char *mac_hex;
	long long exp = 0;
	size_t i, slot;

	if (ig_session_check(s, value, now, keyid) != 0)
		return;   /* invalid or already ended */
	mac_hex = strrchr(value, '.') + 1;
	exp = strtoll(strchr(value, '.') + 1, NULL, 10);
	pthread_mutex_lock(&s->lock);
	/* Reuse an expired slot; when full, forget the one ending soonest. */
	slot = s->nrevoked;
	for (i = 0; i < s->nrevoked; i++)
		if (s->revoked[i].exp <= now) {
			slot = i;
			break;
		}
	if (slot == IG_SESSION_REVOKED_MAX) {
		slot = 0;
		for (i = 1; i < s->nrevoked; i++)
			if (s->revoked[i].exp < s->revoked[slot].exp)
				slot = i;
	}
	revoked_id(mac_hex, s->revoked[slot].id);
	s->revoked[slot].exp = (time_t)exp;
	if (slot == s->nrevoked)
		s->nrevoked++;
	pthread_mutex_unlock(&s->lock);
}
