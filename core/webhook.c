/* webhook.c — signed callbacks: target checks against SSRF, pinned
 * connections, HMAC signatures, a retrying delivery queue. */
#include "webhook.h"
#include "fs.h"
#include "timefmt.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef IG_VERSION
#define IG_VERSION "0.0.0"
#endif

/* ---- address policy ---------------------------------------------------- */

int
ig_webhook_cidr_parse(const char *s, size_t n, struct ig_webhook_cidr *out, struct ig_err *err)
{
	char text[64], *slash;
	long prefix;
	int bits, i;

	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= sizeof(text)) {
		ig_err_set(err, IG_EINVAL, "\"%.*s\" is not a CIDR range", (int)(n < 64 ? n : 64), s);
		return -1;
	}
	memcpy(text, s, n);
	text[n] = '\0';
	if ((slash = strchr(text, '/')) != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, text, out->addr) == 1) {
		out->family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, text, out->addr) == 1) {
		out->family = AF_INET6;
		bits = 128;
	} else {
		ig_err_set(err, IG_EINVAL, "\"%s\" is not an IPv4 or IPv6 address", text);
		return -1;
	}
	prefix = bits;
	if (slash != NULL) {
		const char *p = slash + 1;
		char *end;
		if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '\0')) {
			ig_err_set(err, IG_EINVAL, "\"%.*s\": bad prefix length", (int)n, s);
			return -1;
		}
		prefix = strtol(p, &end, 10);
		if (*end != '\0' || prefix < 0 || prefix > bits) {
			ig_err_set(err, IG_EINVAL, "\"%.*s\": prefix length must be 0..%d", (int)n, s, bits);
			return -1;
		}
	}
	out->prefix = (int)prefix;
	for (i = (int)prefix; i < bits; i++) {
		if (out->addr[i / 8] & (0x80 >> (i % 8))) {
			ig_err_set(err, IG_EINVAL, "\"%.*s\": host bits set after the prefix", (int)n, s);
			return -1;
		}
	}
	return 0;
}

void
ig_webhook_policy_free(struct ig_webhook_policy *pol)
{
	if (pol == NULL)
		return;
	free(pol->allow);
	memset(pol, 0, sizeof(*pol));
}

int
ig_webhook_policy_parse(const char *list, struct ig_webhook_policy *out, struct ig_err *err)
{
	const char *p = list ? list : "";
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	while (*p) {
		const char *e;
		size_t n;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		e = p;
		while (*e && *e != ',')
			e++;
		n = (size_t)(e - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (out->allow_n == IG_WEBHOOK_CIDRS_MAX) {
			ig_webhook_policy_free(out);
			ig_err_set(err, IG_EINVAL, "more than %d CIDR ranges", IG_WEBHOOK_CIDRS_MAX);
			return -1;
		}
		if (out->allow_n == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct ig_webhook_cidr *nv = realloc(out->allow, ncap * sizeof(*nv));
			if (nv == NULL) {
				ig_webhook_policy_free(out);
				ig_err_set(err, IG_ENOMEM, "out of memory");
				return -1;
			}
			out->allow = nv;
			cap = ncap;
		}
		if (ig_webhook_cidr_parse(p, n, &out->allow[out->allow_n], err) != 0) {
			ig_webhook_policy_free(out);
			return -1;
		}
		out->allow_n++;
		p = e;
	}
	return 0;
}

static bool
in_range(int family, const unsigned char *a, const struct ig_webhook_cidr *c)
{
	int full = c->prefix / 8, rest = c->prefix % 8;

	if (family != c->family)
		return false;
	if (memcmp(a, c->addr, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ c->addr[full]) & (0xff << (8 - rest))) == 0;
}

/* Built-in denied ranges. */
static const struct { int family; const char *text; } denied_text[] = {
	{ AF_INET,  "0.0.0.0/8" },         /* "this network", unspecified */
	{ AF_INET,  "10.0.0.0/8" },        /* private */
	{ AF_INET,  "100.64.0.0/10" },     /* carrier-grade NAT */
	{ AF_INET,  "127.0.0.0/8" },       /* loopback */
	{ AF_INET,  "169.254.0.0/16" },    /* link-local, cloud metadata */
	{ AF_INET,  "172.16.0.0/12" },     /* private */
	{ AF_INET,  "192.0.0.0/24" },      /* IETF protocol assignments */
	{ AF_INET,  "192.0.2.0/24" },      /* documentation */
	{ AF_INET,  "192.88.99.0/24" },    /* 6to4 relay anycast */
	{ AF_INET,  "192.168.0.0/16" },    /* private */
	{ AF_INET,  "198.18.0.0/15" },     /* benchmarking */
	{ AF_INET,  "198.51.100.0/24" },   /* documentation */
	{ AF_INET,  "203.0.113.0/24" },    /* documentation */
	{ AF_INET,  "224.0.0.0/4" },       /* multicast */
	{ AF_INET,  "240.0.0.0/4" },       /* reserved, broadcast */
	{ AF_INET6, "::/96" },             /* unspecified, loopback, IPv4-compatible */
	{ AF_INET6, "100::/64" },          /* discard */
	{ AF_INET6, "2001::/32" },         /* Teredo */
	{ AF_INET6, "2001:db8::/32" },     /* documentation */
	{ AF_INET6, "fc00::/7" },          /* unique-local */
	{ AF_INET6, "fe80::/10" },         /* link-local */
	{ AF_INET6, "fec0::/10" },         /* site-local */
	{ AF_INET6, "ff00::/8" },          /* multicast */
};

#define N_DENIED (sizeof(denied_text) / sizeof(denied_text[0]))

static struct ig_webhook_cidr denied[N_DENIED];
static pthread_once_t denied_once = PTHREAD_ONCE_INIT;

static void
denied_init(void)
{
	size_t i;

	for (i = 0; i < N_DENIED; i++)
		ig_webhook_cidr_parse(denied_text[i].text, strlen(denied_text[i].text), &denied[i], NULL);
}

static bool
in_allow(const struct ig_webhook_policy *pol, int family, const unsigned char *a)
{
	size_t i;

	if (pol != NULL)
		for (i = 0; i < pol->allow_n; i++)
			if (in_range(family, a, &pol->allow[i]))
				return true;
	return false;
}

static bool
allowed_raw(const struct ig_webhook_policy *pol, int family, const unsigned char *a)
{
	size_t i;

	if (in_allow(pol, family, a))
		return true;
	pthread_once(&denied_once, denied_init);
	for (i = 0; i < N_DENIED; i++)
		if (in_range(family, a, &denied[i]))
			return false;
	return true;
}

int
ig_webhook_addr_allowed(const struct ig_webhook_policy *pol, const struct sockaddr *sa)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
	const unsigned char *a;

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		a = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		return allowed_raw(pol, AF_INET, a);
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	a = (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (in_allow(pol, AF_INET6, a))
		return 1;
	/* IPv6 forms that carry an IPv4 address are judged by that address. */
	if (memcmp(a, mapped, 12) == 0 || memcmp(a, nat64, 12) == 0)
		return allowed_raw(pol, AF_INET, a + 12);
	if (a[0] == 0x20 && a[1] == 0x02)            /* 6to4: 2002:AABB:CCDD::/48 */
		return allowed_raw(pol, AF_INET, a + 2) && allowed_raw(pol, AF_INET6, a);
	return allowed_raw(pol, AF_INET6, a);
}

/* ---- URLs and resolution ----------------------------------------------- */

int
ig_webhook_url_parse(const char *url, struct ig_webhook_target *t, struct ig_err *err)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *pass = NULL, *zone = NULL;
	unsigned char tmp[16];
	CURLU *u = NULL;
	size_t i, hl;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	if (url == NULL || strlen(url) > IG_WEBHOOK_URL_MAX) {
		ig_err_set(err, IG_EINVAL, "must be a URL of at most %d bytes", IG_WEBHOOK_URL_MAX);
		return -1;
	}
	for (i = 0; url[i]; i++) {
		unsigned char c = (unsigned char)url[i];
		if (c <= 0x20 || c >= 0x7f) {
			ig_err_set(err, IG_EINVAL, "must not contain spaces, control or non-ASCII characters");
			return -1;
		}
	}
	/* An explicit scheme and authority: curl would read "http:///x" as host x. */
	{
		size_t sl = strncasecmp(url, "https://", 8) == 0 ? 8 :
		    strncasecmp(url, "http://", 7) == 0 ? 7 : 0;
		if (sl == 0) {
			ig_err_set(err, IG_EINVAL, "must use http or https");
			return -1;
		}
		if (url[sl] == '/' || url[sl] == '\0') {
			ig_err_set(err, IG_EINVAL, "has no host");
			return -1;
		}
	}
	if ((u = curl_url()) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		ig_err_set(err, IG_EINVAL, "is not a valid absolute http or https URL");
		goto out;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		ig_err_set(err, IG_EINVAL, "must use http or https");
		goto out;
	}
	t->https = strcmp(scheme, "https") == 0;
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
		ig_err_set(err, IG_EINVAL, "must not contain a user name or password");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		ig_err_set(err, IG_EINVAL, "has no usable port");
		goto out;
	}
	{
		char *end;
		long v = strtol(port, &end, 10);
		t->port = (*port != '\0' && *end == '\0' && v >= 1 && v <= 65535) ? (int)v : 0;
	}
	if (t->port == 0) {
		ig_err_set(err, IG_EINVAL, "port must be 1..65535");
		goto out;
	}
	hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		if (hl - 2 >= sizeof(t->host)) {
			ig_err_set(err, IG_EINVAL, "host name too long");
			goto out;
		}
		memcpy(t->host, host + 1, hl - 2);
		t->host[hl - 2] = '\0';
	} else {
		if (hl == 0 || hl >= sizeof(t->host)) {
			ig_err_set(err, IG_EINVAL, "host name missing or too long");
			goto out;
		}
		memcpy(t->host, host, hl + 1);
	}
	if (curl_url_get(u, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK || strchr(t->host, '%') != NULL) {
		ig_err_set(err, IG_EINVAL, "must not name an IPv6 zone");
		goto out;
	}
	t->literal = inet_pton(AF_INET, t->host, tmp) == 1 || inet_pton(AF_INET6, t->host, tmp) == 1;
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_free(pass);
	curl_free(zone);
	curl_url_cleanup(u);
	return rc;
}

int
ig_webhook_check(const struct ig_webhook_policy *pol, const char *url,
    struct ig_webhook_target *t, struct ig_err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[8], text[48];
	size_t i;
	int g, rc = -1;

	if (ig_webhook_url_parse(url, t, err) != 0)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = t->literal ? AI_NUMERICHOST : 0;
	snprintf(port, sizeof(port), "%d", t->port);
	if ((g = getaddrinfo(t->host, port, &hints, &res)) != 0) {
		ig_err_set(err, IG_ENOENT, "%s does not resolve: %s", t->host, gai_strerror(g));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		const void *a;
		bool dup = false;

		if (ai->ai_family == AF_INET)
			a = &((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr;
		else if (ai->ai_family == AF_INET6)
			a = &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(ai->ai_family, a, text, sizeof(text)) == NULL)
			continue;
		/* Every address must pass: otherwise curl could pick the bad one. */
		if (!ig_webhook_addr_allowed(pol, ai->ai_addr)) {
			ig_err_set(err, IG_EPERM, "%s resolves to %s, which is not an allowed callback "
			    "target (private, loopback, link-local and similar ranges are refused "
			    "unless async.callbackAllow lists them)", t->host, text);
			goto out;
		}
		for (i = 0; i < t->addrs_n; i++)
			if (strcmp(t->addrs[i], text) == 0)
				dup = true;
		if (!dup && t->addrs_n < IG_WEBHOOK_ADDRS_MAX)
			snprintf(t->addrs[t->addrs_n++], sizeof(t->addrs[0]), "%s", text);
	}
	if (t->addrs_n == 0) {
		ig_err_set(err, IG_ENOENT, "%s has no IPv4 or IPv6 address", t->host);
		goto out;
	}
	rc = 0;
out:
	freeaddrinfo(res);
	return rc;
}

/* ---- secrets and signatures -------------------------------------------- */

static void
to_hex(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
ig_webhook_secret_load(const char *path, unsigned char out[IG_WEBHOOK_SECRET_BYTES],
    struct ig_err *err)
{
	char text[IG_WEBHOOK_HEX_LEN + 8], dir[4096];
	const char *slash = strrchr(path, '/'), *base;
	struct stat st;
	ssize_t n;
	size_t i;
	int fd = -1, dfd = -1, rc = -1;

	if (slash == NULL || slash[1] == '\0' || (size_t)(slash - path) >= sizeof(dir)) {
		ig_err_set(err, IG_EINVAL, "%s: the secret file needs an absolute path", path);
		return -1;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash == path ? 1 : slash - path] = '\0';
	if (slash == path)
		dir[0] = '/';
	base = slash + 1;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		ig_err_sys(err, IG_EIO, "%s", dir);
		return -1;
	}
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		unsigned char rnd[IG_WEBHOOK_SECRET_BYTES];
		char hex[IG_WEBHOOK_HEX_LEN + 2];

		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			ig_err_sys(err, IG_EIO, "getrandom");
			goto out;
		}
		to_hex(rnd, sizeof(rnd), hex);
		OPENSSL_cleanse(rnd, sizeof(rnd));
		hex[IG_WEBHOOK_HEX_LEN] = '\n';
		/* Another process may have made it meanwhile: then read theirs. */
		if (ig_fs_write_new(dfd, base, hex, IG_WEBHOOK_HEX_LEN + 1, 0600, err) != 0 &&
		    (err == NULL || err->code != IG_EEXIST)) {
			OPENSSL_cleanse(hex, sizeof(hex));
			goto out;
		}
		OPENSSL_cleanse(hex, sizeof(hex));
		fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		ig_err_sys(err, IG_EIO, "%s", path);
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ig_err_set(err, IG_EINVAL, "%s: not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
		ig_err_set(err, IG_EPERM, "%s: the webhook secret must be owned by this user and "
		    "private (chmod 600)", path);
		goto out;
	}
	n = read(fd, text, sizeof(text));
	if (n < IG_WEBHOOK_HEX_LEN || n > IG_WEBHOOK_HEX_LEN + 1 ||
	    (n == IG_WEBHOOK_HEX_LEN + 1 && text[IG_WEBHOOK_HEX_LEN] != '\n')) {
		ig_err_set(err, IG_EINVAL, "%s: must hold %d hex characters", path, IG_WEBHOOK_HEX_LEN);
		goto out;
	}
	for (i = 0; i < IG_WEBHOOK_SECRET_BYTES; i++) {
		int hi = hex_val(text[2 * i]), lo = hex_val(text[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			ig_err_set(err, IG_EINVAL, "%s: must hold %d lowercase hex characters", path,
			    IG_WEBHOOK_HEX_LEN);
			goto out;
		}
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	rc = 0;
out:
	OPENSSL_cleanse(text, sizeof(text));
	if (fd >= 0)
		close(fd);
	close(dfd);
	return rc;
}

void
ig_webhook_key_secret(const unsigned char server[IG_WEBHOOK_SECRET_BYTES],
    const char *key_id, char out[IG_WEBHOOK_HEX_LEN + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	HMAC(EVP_sha256(), server, IG_WEBHOOK_SECRET_BYTES, (const unsigned char *)key_id,
	    strlen(key_id), mac, &n);
	to_hex(mac, 32, out);
	OPENSSL_cleanse(mac, sizeof(mac));
}

/* hex HMAC-SHA256(secret, "<t>.<body>") into out (65 bytes). */
static int
sign_hex(const char *secret, long long t, const char *body, size_t len, char *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char prefix[32];
	int pl = snprintf(prefix, sizeof(prefix), "%lld.", t);
	unsigned char *msg = malloc((size_t)pl + len + 1);

	if (msg == NULL)
		return -1;
	memcpy(msg, prefix, (size_t)pl);
	if (len > 0)
		memcpy(msg + pl, body, len);
	HMAC(EVP_sha256(), secret, (int)strlen(secret), msg, (size_t)pl + len, mac, &n);
	free(msg);
	to_hex(mac, 32, out);
	return 0;
}

void
ig_webhook_signature(const char *secret, time_t t, const char *body, size_t len,
    char out[IG_WEBHOOK_SIG_MAX])
{
	char hex[IG_WEBHOOK_HEX_LEN + 1];

	if (sign_hex(secret, (long long)t, body, len, hex) != 0) {
		out[0] = '\0';
		return;
	}
	snprintf(out, IG_WEBHOOK_SIG_MAX, "t=%lld,v1=%s", (long long)t, hex);
}

int
ig_webhook_verify(const char *secret, const char *header, const char *body, size_t len,
    time_t now, long tolerance_s)
{
	char want[IG_WEBHOOK_HEX_LEN + 1];
	const char *p = header, *v1;
	long long t = 0;
	size_t i;

	if (header == NULL || strncmp(p, "t=", 2) != 0)
		return 0;
	p += 2;
	if (*p < '0' || *p > '9')
		return 0;
	for (i = 0; p[i] >= '0' && p[i] <= '9'; i++) {
		if (i >= 15)
			return 0;
		t = t * 10 + (p[i] - '0');
	}
	if (strncmp(p + i, ",v1=", 4) != 0)
		return 0;
	v1 = p + i + 4;
	if (strlen(v1) != IG_WEBHOOK_HEX_LEN)
		return 0;
	if ((long long)now - t > tolerance_s || t - (long long)now > tolerance_s)
		return 0;
	if (sign_hex(secret, t, body, len, want) != 0)
		return 0;
	return CRYPTO_memcmp(want, v1, IG_WEBHOOK_HEX_LEN) == 0;
}

/* ---- one attempt ---------------------------------------------------------- */

struct attempt {
	const struct ig_webhook_policy *pol;
	const struct ig_webhook_target *t;
	bool refused;
	size_t got;
};

/* Every socket curl opens is checked again: it must go to one of the
 * addresses checked and pinned before. */
static curl_socket_t
open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct attempt *at = clientp;
	char text[48];
	const void *raw;
	size_t i;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	if (a->family == AF_INET)
		raw = &((const struct sockaddr_in *)(const void *)&a->addr)->sin_addr;
	else if (a->family == AF_INET6)
		raw = &((const struct sockaddr_in6 *)(const void *)&a->addr)->sin6_addr;
	else
		goto refuse;
	if (!ig_webhook_addr_allowed(at->pol, &a->addr) ||
	    inet_ntop(a->family, raw, text, sizeof(text)) == NULL)
		goto refuse;
	for (i = 0; i < at->t->addrs_n; i++)
		if (strcmp(at->t->addrs[i], text) == 0)
			return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
refuse:
	at->refused = true;
	return CURL_SOCKET_BAD;
}

static size_t
discard(char *p, size_t size, size_t nmemb, void *arg)
{
	struct attempt *at = arg;

	(void)p;
	at->got += size * nmemb;
	if (at->got > IG_WEBHOOK_RESPONSE_MAX)
		return 0;   /* an endless answer is cut off; the status is known by now */
	return size * nmemb;
}

int
ig_webhook_post(const struct ig_webhook_policy *pol, const char *url, const char *secret,
    const char *run_id, const char *body, size_t len, long timeout_ms, long *http_status,
    struct ig_err *err)
{
	struct ig_webhook_target t;
	struct curl_slist *headers = NULL, *resolve = NULL;
	struct attempt at;
	char line[IG_WEBHOOK_SIG_MAX + 64], pin[sizeof(t.host) + 16 + IG_WEBHOOK_ADDRS_MAX * 50];
	CURL *h = NULL;
	CURLcode cc;
	size_t i, o;
	int rc = -1;

	*http_status = 0;
	if (ig_webhook_check(pol, url, &t, err) != 0)
		return -1;
	if ((h = curl_easy_init()) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	memset(&at, 0, sizeof(at));
	at.pol = pol;
	at.t = &t;
	if (!t.literal) {
		o = (size_t)snprintf(pin, sizeof(pin), "%s:%d:", t.host, t.port);
		for (i = 0; i < t.addrs_n && o < sizeof(pin); i++)
			o += (size_t)snprintf(pin + o, sizeof(pin) - o, strchr(t.addrs[i], ':') ?
			    "%s[%s]" : "%s%s", i ? "," : "", t.addrs[i]);
		if (o >= sizeof(pin) || (resolve = curl_slist_append(NULL, pin)) == NULL) {
			ig_err_set(err, IG_ENOMEM, "out of memory");
			goto out;
		}
		curl_easy_setopt(h, CURLOPT_RESOLVE, resolve);
	}
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, "User-Agent: Ignite-Webhook/" IG_VERSION);
	headers = curl_slist_append(headers, "X-Ignite-Event: run.finished");
	headers = curl_slist_append(headers, "Expect:");
	snprintf(line, sizeof(line), "X-Ignite-Run: %s", run_id);
	headers = curl_slist_append(headers, line);
	memcpy(line, "X-Ignite-Signature: ", 20);
	ig_webhook_signature(secret, time(NULL), body, len, line + 20);
	if (headers == NULL || line[20] == '\0' || curl_slist_append(headers, line) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &at);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &at);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, http_status);
	if (at.refused) {
		ig_err_set(err, IG_EPERM, "%s: connection to an address that is not allowed refused", t.host);
		goto out;
	}
	if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && *http_status > 0)) {
		ig_err_set(err, cc == CURLE_OPERATION_TIMEDOUT ? IG_ETIMEOUT : IG_EIO, "%s",
		    curl_easy_strerror(cc));
		goto out;
	}
	if (*http_status < 200 || *http_status > 299) {
		ig_err_set(err, IG_EIO, "the receiver answered HTTP %ld", *http_status);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(line, sizeof(line));
	curl_slist_free_all(headers);
	curl_slist_free_all(resolve);
	curl_easy_cleanup(h);
	return rc;
}

/* ---- delivery queue ------------------------------------------------------- */

struct delivery {
	struct delivery *next;
	char     run_id[40];
	char     key_id[40];
	char    *url;
	char    *body;
	size_t   len;
	int64_t  next_at;
	struct ig_webhook_outcome o;
};

struct ig_webhooks {
	struct ig_webhooks_config cfg;
	struct ig_webhook_policy pol;
	pthread_mutex_t mu;
	pthread_cond_t  cv;
	struct delivery *head;          /* unordered; few entries */
	size_t   n;
	bool     stopping;
	int64_t  deadline;
	pthread_t *threads;
	unsigned nthreads;
};

static void
delivery_free(struct delivery *d)
{
	if (d == NULL)
		return;
	free(d->url);
	free(d->body);
	free(d);
}

/* The pending delivery due first, or NULL. Caller holds mu. */
static struct delivery *
earliest(struct ig_webhooks *wh)
{
	struct delivery *d, *best = NULL;

	for (d = wh->head; d != NULL; d = d->next)
		if (best == NULL || d->next_at < best->next_at)
			best = d;
	return best;
}

static void
unlink_delivery(struct ig_webhooks *wh, struct delivery *x)
{
	struct delivery **pp;

	for (pp = &wh->head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			wh->n--;
			return;
		}
}

static void
timed_wait(struct ig_webhooks *wh, int64_t until_mono)
{
	struct timespec ts;
	int64_t wait = until_mono - ig_time_mono_ms();

	if (wait <= 0)
		return;
	if (wait > 60000)
		wait = 60000;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(wait / 1000);
	ts.tv_nsec += (long)(wait % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&wh->cv, &wh->mu, &ts);
}

static void *
deliver_loop(void *arg)
{
	struct ig_webhooks *wh = arg;

	pthread_mutex_lock(&wh->mu);
	for (;;) {
		struct delivery *d = earliest(wh);
		int64_t now = ig_time_mono_ms();
		char secret[IG_WEBHOOK_HEX_LEN + 1];
		struct ig_err err = { 0 };
		bool done;

		if (wh->stopping && (d == NULL || d->next_at > wh->deadline))
			break;
		if (d == NULL) {
			pthread_cond_wait(&wh->cv, &wh->mu);
			continue;
		}
		if (d->next_at > now) {
			timed_wait(wh, wh->stopping && wh->deadline < d->next_at ? wh->deadline : d->next_at);
			continue;
		}
		unlink_delivery(wh, d);
		pthread_mutex_unlock(&wh->mu);

		ig_webhook_key_secret(wh->cfg.server_secret, d->key_id, secret);
		d->o.attempts++;
		if (ig_webhook_post(&wh->pol, d->url, secret, d->run_id, d->body, d->len,
		    wh->cfg.timeout_ms, &d->o.http_status, &err) == 0) {
			d->o.delivered = true;
			d->o.error[0] = '\0';
		} else {
			snprintf(d->o.error, sizeof(d->o.error), "%s", err.msg);
		}
		OPENSSL_cleanse(secret, sizeof(secret));
		/* A refused target stays refused: no retry. */
		done = d->o.delivered || d->o.attempts > wh->cfg.retries || err.code == IG_EPERM ||
		    err.code == IG_EINVAL;
		if (done) {
			if (wh->cfg.on_done != NULL)
				wh->cfg.on_done(wh->cfg.arg, d->run_id, &d->o);
			delivery_free(d);
			pthread_mutex_lock(&wh->mu);
			continue;
		}
		{
			int64_t delay = wh->cfg.backoff_ms;
			int k;
			for (k = 1; k < d->o.attempts && delay < IG_WEBHOOK_BACKOFF_MAX_MS; k++)
				delay *= 2;
			if (delay > IG_WEBHOOK_BACKOFF_MAX_MS)
				delay = IG_WEBHOOK_BACKOFF_MAX_MS;
			d->next_at = ig_time_mono_ms() + delay;
		}
		pthread_mutex_lock(&wh->mu);
		d->next = wh->head;
		wh->head = d;
		wh->n++;
		pthread_cond_broadcast(&wh->cv);
	}
	pthread_mutex_unlock(&wh->mu);
	return NULL;
}

int
ig_webhooks_start(const struct ig_webhooks_config *cfg, struct ig_webhooks **out,
    struct ig_err *err)
{
	struct ig_webhooks *wh = calloc(1, sizeof(*wh));
	unsigned i;

	if (wh == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	wh->cfg = *cfg;
	wh->cfg.allow = NULL;
	if (wh->cfg.threads == 0)
		wh->cfg.threads = 2;
	if (wh->cfg.backoff_ms <= 0)
		wh->cfg.backoff_ms = IG_WEBHOOK_BACKOFF_MS;
	if (wh->cfg.queue_max == 0)
		wh->cfg.queue_max = IG_WEBHOOK_QUEUE_MAX;
	if (wh->cfg.timeout_ms <= 0)
		wh->cfg.timeout_ms = IG_WEBHOOK_TIMEOUT_MS_DEFAULT;
	if (ig_webhook_policy_parse(cfg->allow, &wh->pol, err) != 0) {
		ig_err_prefix(err, "async.callbackAllow");
		free(wh);
		return -1;
	}
	pthread_mutex_init(&wh->mu, NULL);
	pthread_cond_init(&wh->cv, NULL);
	if ((wh->threads = calloc(wh->cfg.threads, sizeof(*wh->threads))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < wh->cfg.threads; i++) {
		if (pthread_create(&wh->threads[i], NULL, deliver_loop, wh) != 0) {
			ig_err_sys(err, IG_EIO, "pthread_create");
			wh->nthreads = i;
			ig_webhooks_stop(wh, 0);
			return -1;
		}
	}
	wh->nthreads = wh->cfg.threads;
	*out = wh;
	return 0;
fail:
	pthread_cond_destroy(&wh->cv);
	pthread_mutex_destroy(&wh->mu);
	ig_webhook_policy_free(&wh->pol);
	free(wh->threads);
	free(wh);
	return -1;
}

const struct ig_webhook_policy *
ig_webhooks_policy(const struct ig_webhooks *wh)
{
	return &wh->pol;
}

int
ig_webhooks_enqueue(struct ig_webhooks *wh, const char *run_id, const char *key_id,
    const char *url, const char *body, size_t len, struct ig_err *err)
{
	struct delivery *d = calloc(1, sizeof(*d));

	if (d == NULL || (d->url = strdup(url)) == NULL || (d->body = malloc(len + 1)) == NULL) {
		delivery_free(d);
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	memcpy(d->body, body, len);
	d->body[len] = '\0';
	d->len = len;
	snprintf(d->run_id, sizeof(d->run_id), "%s", run_id);
	snprintf(d->key_id, sizeof(d->key_id), "%s", key_id ? key_id : "");
	d->next_at = ig_time_mono_ms();
	pthread_mutex_lock(&wh->mu);
	if (wh->stopping || wh->n >= wh->cfg.queue_max) {
		bool stopping = wh->stopping;
		pthread_mutex_unlock(&wh->mu);
		delivery_free(d);
		ig_err_set(err, stopping ? IG_EINVAL : IG_ETOOBIG, stopping ?
		    "callback deliveries are stopping" : "too many callbacks waiting");
		return -1;
	}
	d->next = wh->head;
	wh->head = d;
	wh->n++;
	pthread_cond_signal(&wh->cv);
	pthread_mutex_unlock(&wh->mu);
	return 0;
}

void
ig_webhooks_stop(struct ig_webhooks *wh, int64_t deadline_ms)
{
	struct delivery *d;
	unsigned i;

	if (wh == NULL)
		return;
	pthread_mutex_lock(&wh->mu);
	wh->stopping = true;
	wh->deadline = deadline_ms;
	pthread_cond_broadcast(&wh->cv);
	pthread_mutex_unlock(&wh->mu);
	for (i = 0; i < wh->nthreads; i++)
		pthread_join(wh->threads[i], NULL);
	while ((d = wh->head) != NULL) {
		wh->head = d->next;
		if (d->o.error[0] == '\0')
			snprintf(d->o.error, sizeof(d->o.error), "not delivered before the daemon stopped");
		if (wh->cfg.on_done != NULL)
			wh->cfg.on_done(wh->cfg.arg, d->run_id, &d->o);
		delivery_free(d);
	}
	pthread_cond_destroy(&wh->cv);
	pthread_mutex_destroy(&wh->mu);
	ig_webhook_policy_free(&wh->pol);
	OPENSSL_cleanse(wh->cfg.server_secret, sizeof(wh->cfg.server_secret));
	free(wh->threads);
	free(wh);
}
