/*
 * docker_parse.c — pure parsers of what the Docker engine sends (see
 * docker_parse.h): a strict JSON reader with typed member access, then one
 * parser per answer. Every one takes (pointer, length), never does I/O and
 * accepts any bytes.
 */
#include "docker_parse.h"

#include <limits.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "docker_priv.h"

static bool
is_hex_lower(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return true;
}

/* ================================================================== */
/* JSON helpers: strict parse of a whole answer, typed member access.  */

static bool
is_ws(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Parses one JSON value starting at body[*off]; on success *off is past it
 * and *out holds it (NULL for JSON null). Returns 0 or -1. */
static int
json_parse_one(struct json_tokener *tok, const char *body, size_t len,
    size_t *off, struct json_object **out)
{
	struct json_object *o;
	enum json_tokener_error jerr;

	*out = NULL;
	json_tokener_reset(tok);
	o = json_tokener_parse_ex(tok, body + *off, (int)(len - *off));
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		/* A bare number at the very end is only complete once the
		 * tokener sees a terminator. */
		o = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		if (jerr != json_tokener_success) {
			json_object_put(o);
			return -1;
		}
		*off = len;
		*out = o;
		return 0;
	}
	if (jerr != json_tokener_success) {
		json_object_put(o);
		return -1;
	}
	*off += json_tokener_get_parse_end(tok);
	*out = o;
	return 0;
}

static struct json_tokener *
new_tokener(void)
{
	struct json_tokener *tok = json_tokener_new_ex(IG_DOCKER_JSON_DEPTH);

	if (tok != NULL)
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	return tok;
}

/* Parses body as exactly one JSON value (whitespace around it allowed).
 * *out may be NULL afterwards (JSON null). Returns 0 or -1 with IG_EDOCKER. */
static int
json_parse_all(const char *body, size_t len, const char *what,
    struct json_object **out, struct ig_err *err)
{
	struct json_tokener *tok = NULL;
	struct json_object *o = NULL;
	size_t off = 0;
	int rc = -1;

	*out = NULL;
	if (body == NULL)
		len = 0;
	if (len > INT_MAX || (len > 0 && memchr(body, '\0', len) != NULL)) {
		ig_err_set(err, IG_EDOCKER, "%s to %s: not JSON text", BAD_ANSWER, what);
		goto out;
	}
	while (off < len && is_ws(body[off]))
		off++;
	if (off == len) {
		ig_err_set(err, IG_EDOCKER, "%s to %s: empty", BAD_ANSWER, what);
		goto out;
	}
	if ((tok = new_tokener()) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	if (json_parse_one(tok, body, len, &off, &o) != 0) {
		ig_err_set(err, IG_EDOCKER, "%s to %s: invalid JSON", BAD_ANSWER, what);
		goto out;
	}
	while (off < len && is_ws(body[off]))
		off++;
	if (off != len) {
		ig_err_set(err, IG_EDOCKER, "%s to %s: text after the JSON value", BAD_ANSWER, what);
		goto out;
	}
	*out = o;
	o = NULL;
	rc = 0;
out:
	json_object_put(o);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}

/* The member key of object o if it has type t (JSON null counts as absent). */
static struct json_object *
member(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return json_object_is_type(v, t) ? v : NULL;
}

/* True if o has member key that is present, not null, and not of type t. */
static bool
member_mistyped(struct json_object *o, const char *key, enum json_type t)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return false;
	return !json_object_is_type(v, t);
}

/* The string value of v (a json string) if it holds no NUL byte. */
static const char *
json_str(struct json_object *v, size_t *n)
{
	const char *s;
	int len;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if (s == NULL || len < 0 || strlen(s) != (size_t)len)
		return NULL;
	if (n != NULL)
		*n = (size_t)len;
	return s;
}

/* String member key of o into dst; absent gives "" unless required. */
static int
member_str_into(struct json_object *o, const char *key, bool required,
    char *dst, size_t dstsz)
{
	struct json_object *v = member(o, key, json_type_string);
	const char *s;
	size_t n;

	dst[0] = '\0';
	if (v == NULL)
		return (required || member_mistyped(o, key, json_type_string)) ? -1 : 0;
	if ((s = json_str(v, &n)) == NULL)
		return -1;
	return copy_bounded(dst, dstsz, s, n);
}

/* Integer member key of o within [lo, hi]. */
static int
member_int(struct json_object *o, const char *key, int64_t lo, int64_t hi,
    int64_t *val)
{
	struct json_object *v = member(o, key, json_type_int);
	int64_t x;

	if (v == NULL)
		return -1;
	x = json_object_get_int64(v);
	/* json-c clamps numbers beyond int64 to its ends: refuse those. */
	if (x == INT64_MAX || x == INT64_MIN || x < lo || x > hi)
		return -1;
	*val = x;
	return 0;
}

/* Boolean member key of o (absent: false). */
static int
member_bool(struct json_object *o, const char *key, bool *val)
{
	struct json_object *v = member(o, key, json_type_boolean);

	*val = false;
	if (v == NULL)
		return member_mistyped(o, key, json_type_boolean) ? -1 : 0;
	*val = json_object_get_boolean(v) != 0;
	return 0;
}

/* Copies a printable rendering of s[0..n) into out (size outsz > 0): control
 * bytes become '?', and so do non-ASCII bytes unless utf8 says the text is
 * known to be valid UTF-8; a multi-byte character is never cut. */
static size_t
sanitize_into(const char *s, size_t n, bool utf8, char *out, size_t outsz)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < outsz; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f || (ch >= 0x80 && !utf8))
			ch = '?';
		out[o++] = (char)ch;
	}
	/* Back off a trailing partial UTF-8 sequence left by truncation. */
	if (utf8 && i < n && o > 0) {
		size_t k = o;
		while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
			k--;
		if (k > 0 && (unsigned char)out[k - 1] >= 0xC0)
			o = k - 1;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return o;
}

size_t
ig_docker_error_message(const char *body, size_t len, char *out, size_t outsz)
{
	struct json_object *o = NULL;
	const char *s;
	size_t n = 0, r, i;

	if (outsz == 0)
		return 0;
	out[0] = '\0';
	if (body == NULL || len == 0)
		return 0;
	if (json_parse_all(body, len, "an error", &o, NULL) == 0) {
		s = json_str(member(o, "message", json_type_string), &n);
		if (s != NULL) {
			r = sanitize_into(s, n, true, out, outsz);
			json_object_put(o);
			return r;
		}
		json_object_put(o);
	}
	/* Not the engine's JSON (a proxy, a crash): its first line. */
	for (i = 0; i < len && is_ws(body[i]); i++)
		;
	body += i;
	len -= i;
	for (n = 0; n < len && body[n] != '\n' && body[n] != '\r'; n++)
		;
	return sanitize_into(body, n, false, out, outsz);
}
/* ================================================================== */
/* API versions.                                                       */

int
ig_docker_api_parse(const char *s, int *major, int *minor, struct ig_err *err)
{
	int part[2] = { 0, 0 }, k = 0, digits = 0;
	size_t i;

	if (s == NULL)
		goto bad;
	for (i = 0; s[i] != '\0'; i++) {
		if (is_digit(s[i])) {
			if (++digits > 3)
				goto bad;
			part[k] = part[k] * 10 + (s[i] - '0');
		} else if (s[i] == '.' && k == 0 && digits > 0) {
			k = 1;
			digits = 0;
		} else {
			goto bad;
		}
	}
	if (k != 1 || digits == 0)
		goto bad;
	*major = part[0];
	*minor = part[1];
	return 0;
bad:
	ig_err_set(err, IG_EINVAL, "not an API version: \"%.32s\"", s ? s : "");
	return -1;
}

static int
api_cmp(int amaj, int amin, int bmaj, int bmin)
{
	if (amaj != bmaj)
		return amaj < bmaj ? -1 : 1;
	if (amin != bmin)
		return amin < bmin ? -1 : 1;
	return 0;
}

int
ig_docker_api_negotiate(const char *engine_api, const char *engine_min,
    char *out, size_t outsz, struct ig_err *err)
{
	int emaj, emin, mmaj, mmin, lmaj, lmin, hmaj, hmin, cmaj, cmin;

	if (ig_docker_api_parse(IG_DOCKER_API_MIN, &lmaj, &lmin, NULL) != 0 ||
	    ig_docker_api_parse(IG_DOCKER_API_MAX, &hmaj, &hmin, NULL) != 0) {
		ig_err_set(err, IG_EINTERNAL, "bad built-in API version");
		return -1;
	}
	if (ig_docker_api_parse(engine_api, &emaj, &emin, NULL) != 0) {
		ig_err_set(err, IG_EDOCKER, "%s: API version \"%.32s\"", BAD_ANSWER,
		    engine_api ? engine_api : "");
		return -1;
	}
	cmaj = emaj;
	cmin = emin;
	if (api_cmp(emaj, emin, hmaj, hmin) > 0) {
		cmaj = hmaj;
		cmin = hmin;
	}
	if (api_cmp(cmaj, cmin, lmaj, lmin) < 0) {
		ig_err_set(err, IG_EDOCKER,
		    "Docker engine API %d.%d is too old: Ignite needs %s or newer",
		    emaj, emin, IG_DOCKER_API_MIN);
		return -1;
	}
	if (engine_min != NULL && engine_min[0] != '\0') {
		if (ig_docker_api_parse(engine_min, &mmaj, &mmin, NULL) != 0) {
			ig_err_set(err, IG_EDOCKER, "%s: minimum API version \"%.32s\"",
			    BAD_ANSWER, engine_min);
			return -1;
		}
		if (api_cmp(cmaj, cmin, mmaj, mmin) < 0) {
			ig_err_set(err, IG_EDOCKER,
			    "Docker engine requires API %d.%d or newer; Ignite speaks up to %s",
			    mmaj, mmin, IG_DOCKER_API_MAX);
			return -1;
		}
	}
	if (fmt_bounded(out, outsz, "%d.%d", cmaj, cmin) != 0) {
		ig_err_set(err, IG_EINTERNAL, "API version buffer too small");
		return -1;
	}
	return 0;
}

/* ================================================================== */
/* Parsers of engine answers.                                          */

int
ig_docker_parse_version(const char *body, size_t len,
    struct ig_docker_version *out, struct ig_err *err)
{
	struct json_object *o = NULL;
	int maj, min, rc = -1;

	memset(out, 0, sizeof(*out));
	if (json_parse_all(body, len, "GET /version", &o, err) != 0)
		goto out;
	if (!json_object_is_type(o, json_type_object) ||
	    member_str_into(o, "ApiVersion", true, out->api_version, sizeof(out->api_version)) != 0 ||
	    ig_docker_api_parse(out->api_version, &maj, &min, NULL) != 0 ||
	    member_str_into(o, "MinAPIVersion", false, out->min_api_version,
	        sizeof(out->min_api_version)) != 0 ||
	    (out->min_api_version[0] != '\0' &&
	        ig_docker_api_parse(out->min_api_version, &maj, &min, NULL) != 0) ||
	    member_str_into(o, "Version", false, out->version, sizeof(out->version)) != 0 ||
	    member_str_into(o, "Os", false, out->os, sizeof(out->os)) != 0 ||
	    member_str_into(o, "Arch", false, out->arch, sizeof(out->arch)) != 0) {
		ig_err_set(err, IG_EDOCKER, "%s to GET /version", BAD_ANSWER);
		goto out;
	}
	rc = 0;
out:
	json_object_put(o);
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

void
ig_docker_image_free(struct ig_docker_image *img)
{
	size_t i;

	if (img == NULL)
		return;
	for (i = 0; i < img->nlabels; i++) {
		free(img->labels[i].key);
		free(img->labels[i].value);
	}
	free(img->labels);
	free(img->id);
	free(img);
}

const char *
ig_docker_image_label(const struct ig_docker_image *img, const char *key)
{
	size_t i;

	if (img == NULL || key == NULL)
		return NULL;
	for (i = 0; i < img->nlabels; i++)
		if (strcmp(img->labels[i].key, key) == 0)
			return img->labels[i].value;
	return NULL;
}

int
ig_docker_parse_image(const char *body, size_t len,
    struct ig_docker_image **out, struct ig_err *err)
{
	struct json_object *o = NULL, *cfg, *labels;
	struct ig_docker_image *img = NULL;
	const char *id;
	size_t idlen, nl;
	int rc = -1;

	*out = NULL;
	if (json_parse_all(body, len, "image inspect", &o, err) != 0)
		goto out;
	if ((img = calloc(1, sizeof(*img))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	id = json_str(member(o, "Id", json_type_string), &idlen);
	if (id == NULL || idlen == 0 || idlen > IG_DOCKER_REF_MAX ||
	    member_int(o, "Size", 0, INT64_MAX, &img->size) != 0)
		goto bad;
	if ((img->id = strndup(id, idlen)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	if (member_mistyped(o, "Config", json_type_object))
		goto bad;
	cfg = member(o, "Config", json_type_object);
	if (cfg != NULL && member_mistyped(cfg, "Labels", json_type_object))
		goto bad;
	labels = cfg ? member(cfg, "Labels", json_type_object) : NULL;
	nl = labels ? (size_t)json_object_object_length(labels) : 0;
	if (nl > 0) {
		if ((img->labels = calloc(nl, sizeof(*img->labels))) == NULL) {
			ig_err_set(err, IG_ENOMEM, "out of memory");
			goto out;
		}
		json_object_object_foreach(labels, lkey, lval) {
			const char *v;
			size_t vlen;

			if (img->nlabels >= nl || (v = json_str(lval, &vlen)) == NULL ||
			    strlen(lkey) == 0)
				goto bad;
			img->labels[img->nlabels].key = strdup(lkey);
			img->labels[img->nlabels].value = strndup(v, vlen);
			img->nlabels++;
			if (img->labels[img->nlabels - 1].key == NULL ||
			    img->labels[img->nlabels - 1].value == NULL) {
				ig_err_set(err, IG_ENOMEM, "out of memory");
				goto out;
			}
		}
	}
	*out = img;
	img = NULL;
	rc = 0;
	goto out;
bad:
	ig_err_set(err, IG_EDOCKER, "%s to image inspect", BAD_ANSWER);
out:
	ig_docker_image_free(img);
	json_object_put(o);
	return rc;
}

void
ig_docker_strv_free(struct ig_docker_strv *sv)
{
	size_t i;

	if (sv == NULL)
		return;
	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

/* Appends n bytes of s as a new string. Returns 0 or -1 (out of memory). */
static int
strv_push(struct ig_docker_strv *sv, const char *s, size_t n)
{
	char **nv, *dup;

	if ((dup = strndup(s, n)) == NULL)
		return -1;
	if ((nv = realloc(sv->v, (sv->n + 1) * sizeof(*nv))) == NULL) {
		free(dup);
		return -1;
	}
	sv->v = nv;
	sv->v[sv->n++] = dup;
	return 0;
}

/* A full container id: exactly 64 lowercase hex digits. */
static const char *
json_container_id(struct json_object *v)
{
	size_t n;
	const char *s = json_str(v, &n);

	return (s != NULL && n == IG_DOCKER_ID_LEN && is_hex_lower(s, n)) ? s : NULL;
}

int
ig_docker_parse_create(const char *body, size_t len,
    char id[IG_DOCKER_ID_LEN + 1], struct ig_docker_strv *warnings,
    struct ig_err *err)
{
	struct json_object *o = NULL, *w;
	struct ig_docker_strv sv = { NULL, 0 };
	const char *s, *cid;
	size_t i, n, wn;
	int rc = -1;

	id[0] = '\0';
	if (warnings != NULL) {
		warnings->v = NULL;
		warnings->n = 0;
	}
	if (json_parse_all(body, len, "container create", &o, err) != 0)
		goto out;
	if ((cid = json_container_id(member(o, "Id", json_type_string))) == NULL)
		goto bad;
	if (member_mistyped(o, "Warnings", json_type_array))
		goto bad;
	if ((w = member(o, "Warnings", json_type_array)) != NULL) {
		n = json_object_array_length(w);
		for (i = 0; i < n; i++) {
			s = json_str(json_object_array_get_idx(w, i), &wn);
			if (s == NULL)
				goto bad;
			if (strv_push(&sv, s, wn) != 0) {
				ig_err_set(err, IG_ENOMEM, "out of memory");
				goto out;
			}
		}
	}
	memcpy(id, cid, IG_DOCKER_ID_LEN);
	id[IG_DOCKER_ID_LEN] = '\0';
	if (warnings != NULL) {
		*warnings = sv;
		sv.v = NULL;
		sv.n = 0;
	}
	rc = 0;
	goto out;
bad:
	ig_err_set(err, IG_EDOCKER, "%s to container create", BAD_ANSWER);
out:
	ig_docker_strv_free(&sv);
	json_object_put(o);
	return rc;
}

int
ig_docker_parse_wait(const char *body, size_t len, long *status,
    struct ig_err *err)
{
	struct json_object *o = NULL, *e;
	const char *msg;
	size_t n;
	int64_t code;
	int rc = -1;

	if (json_parse_all(body, len, "container wait", &o, err) != 0)
		goto out;
	if (member_int(o, "StatusCode", LONG_MIN, LONG_MAX, &code) != 0 ||
	    member_mistyped(o, "Error", json_type_object)) {
		ig_err_set(err, IG_EDOCKER, "%s to container wait", BAD_ANSWER);
		goto out;
	}
	if ((e = member(o, "Error", json_type_object)) != NULL) {
		if (member_mistyped(e, "Message", json_type_string)) {
			ig_err_set(err, IG_EDOCKER, "%s to container wait", BAD_ANSWER);
			goto out;
		}
		msg = json_str(member(e, "Message", json_type_string), &n);
		if (msg != NULL && n > 0) {
			char clean[200];
			sanitize_into(msg, n, true, clean, sizeof(clean));
			ig_err_set(err, IG_EDOCKER, "Docker engine: waiting for the container failed: %s", clean);
			goto out;
		}
	}
	*status = (long)code;
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* n decimal digits at s into *v. */
static int
fixed_digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int
ig_docker_parse_time(const char *s, size_t len, int64_t *ns, struct ig_err *err)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int year, mon, day, hh, mm, ss, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, secs;
	size_t pos = 19, fd = 0;
	bool leap;

	*ns = 0;
	if (s == NULL || len < 20 ||
	    fixed_digits(s, 4, &year) != 0 || s[4] != '-' ||
	    fixed_digits(s + 5, 2, &mon) != 0 || s[7] != '-' ||
	    fixed_digits(s + 8, 2, &day) != 0 || s[10] != 'T' ||
	    fixed_digits(s + 11, 2, &hh) != 0 || s[13] != ':' ||
	    fixed_digits(s + 14, 2, &mm) != 0 || s[16] != ':' ||
	    fixed_digits(s + 17, 2, &ss) != 0)
		goto bad;
	if (s[pos] == '.') {
		pos++;
		while (pos < len && is_digit(s[pos]) && fd < 9) {
			frac = frac * 10 + (s[pos] - '0');
			pos++;
			fd++;
		}
		if (fd == 0 || (pos < len && is_digit(s[pos])))
			goto bad;
		for (; fd < 9; fd++)
			frac *= 10;
	}
	if (pos < len && s[pos] == 'Z') {
		pos++;
	} else if (pos + 6 == len && (s[pos] == '+' || s[pos] == '-')) {
		sign = s[pos] == '+' ? 1 : -1;
		if (fixed_digits(s + pos + 1, 2, &oh) != 0 || s[pos + 3] != ':' ||
		    fixed_digits(s + pos + 4, 2, &om) != 0 || oh > 23 || om > 59)
			goto bad;
		pos += 6;
	} else {
		goto bad;
	}
	if (pos != len)
		goto bad;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	if (mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] ||
	    (mon == 2 && day == 29 && !leap) || hh > 23 || mm > 59 || ss > 59)
		goto bad;
	if (year < 1970)
		return 0;                 /* the zero time: never happened */
	if (year > 2261) {
		ig_err_set(err, IG_EINVAL, "timestamp out of range");
		return -1;
	}
	secs = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss;
	secs -= (int64_t)sign * (oh * 3600 + om * 60);
	*ns = secs < 0 ? 0 : secs * 1000000000 + frac;
	return 0;
bad:
	ig_err_set(err, IG_EINVAL, "not an RFC 3339 timestamp");
	return -1;
}

/* A time member of state into dst and *ns. */
static int
state_time(struct json_object *state, const char *key, char *dst, size_t dstsz,
    int64_t *ns)
{
	if (member_str_into(state, key, false, dst, dstsz) != 0)
		return -1;
	*ns = 0;
	if (dst[0] == '\0')
		return 0;
	return ig_docker_parse_time(dst, strlen(dst), ns, NULL);
}

int
ig_docker_parse_state(const char *body, size_t len, struct ig_docker_state *st,
    struct ig_err *err)
{
	struct json_object *o = NULL, *state;
	int64_t v;
	size_t i;
	int rc = -1;

	memset(st, 0, sizeof(*st));
	if (json_parse_all(body, len, "container inspect", &o, err) != 0)
		goto out;
	if ((state = member(o, "State", json_type_object)) == NULL ||
	    member_str_into(state, "Status", true, st->status, sizeof(st->status)) != 0 ||
	    st->status[0] == '\0' ||
	    member_bool(state, "Running", &st->running) != 0 ||
	    member_bool(state, "OOMKilled", &st->oom_killed) != 0 ||
	    member_int(state, "ExitCode", INT_MIN, INT_MAX, &v) != 0)
		goto bad;
	st->exit_code = (int)v;
	for (i = 0; st->status[i] != '\0'; i++)
		if (st->status[i] < 'a' || st->status[i] > 'z')
			goto bad;
	if (member(state, "Pid", json_type_int) != NULL) {
		if (member_int(state, "Pid", 0, INT_MAX, &v) != 0)
			goto bad;
		st->pid = (int)v;
	} else if (member_mistyped(state, "Pid", json_type_int)) {
		goto bad;
	}
	if (member_mistyped(state, "Error", json_type_string))
		goto bad;
	{
		size_t n;
		const char *e = json_str(member(state, "Error", json_type_string), &n);
		if (member(state, "Error", json_type_string) != NULL && e == NULL)
			goto bad;
		if (e != NULL)
			sanitize_into(e, n, true, st->error, sizeof(st->error));
	}
	if (state_time(state, "StartedAt", st->started_at, sizeof(st->started_at),
	    &st->started_ns) != 0 ||
	    state_time(state, "FinishedAt", st->finished_at, sizeof(st->finished_at),
	    &st->finished_ns) != 0)
		goto bad;
	rc = 0;
	goto out;
bad:
	ig_err_set(err, IG_EDOCKER, "%s to container inspect", BAD_ANSWER);
out:
	if (rc != 0)
		memset(st, 0, sizeof(*st));
	json_object_put(o);
	return rc;
}

int
ig_docker_parse_label(const char *body, size_t len, const char *key, char *out,
    size_t outlen, struct ig_err *err)
{
	struct json_object *o = NULL, *cfg, *labels, *v;
	const char *s;
	size_t n;
	int rc = -1;

	if (outlen > 0)
		out[0] = '\0';
	if (json_parse_all(body, len, "container inspect", &o, err) != 0)
		goto out;
	if ((cfg = member(o, "Config", json_type_object)) == NULL) {
		ig_err_set(err, IG_EDOCKER, "%s to container inspect", BAD_ANSWER);
		goto out;
	}
	labels = member(cfg, "Labels", json_type_object);
	if (labels == NULL || (v = member(labels, key, json_type_string)) == NULL) {
		ig_err_set(err, IG_ENOENT, "no label %s", key);
		goto out;
	}
	s = json_str(v, &n);
	if (s == NULL || n >= outlen) {
		ig_err_set(err, IG_ETOOBIG, "label %s too long", key);
		goto out;
	}
	sanitize_into(s, n, true, out, outlen);
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

void
ig_docker_changes_free(struct ig_docker_changes *ch)
{
	size_t i;

	if (ch == NULL)
		return;
	for (i = 0; i < ch->n; i++)
		free(ch->v[i].path);
	free(ch->v);
	ch->v = NULL;
	ch->n = 0;
}

int
ig_docker_parse_changes(const char *body, size_t len,
    struct ig_docker_changes *out, struct ig_err *err)
{
	struct json_object *o = NULL, *e;
	struct ig_docker_changes ch = { NULL, 0 };
	const char *path;
	size_t i, n, plen;
	int64_t kind;
	int rc = -1;

	out->v = NULL;
	out->n = 0;
	if (json_parse_all(body, len, "container changes", &o, err) != 0)
		goto out;
	if (o == NULL) {                     /* the engine says null for "none" */
		rc = 0;
		goto out;
	}
	if (!json_object_is_type(o, json_type_array))
		goto bad;
	n = json_object_array_length(o);
	if (n > 0 && (ch.v = calloc(n, sizeof(*ch.v))) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(o, i);
		path = json_str(member(e, "Path", json_type_string), &plen);
		if (path == NULL || plen == 0 || member_int(e, "Kind", 0, 2, &kind) != 0)
			goto bad;
		if ((ch.v[ch.n].path = strndup(path, plen)) == NULL) {
			ig_err_set(err, IG_ENOMEM, "out of memory");
			goto out;
		}
		ch.v[ch.n++].kind = (int)kind;
	}
	*out = ch;
	ch.v = NULL;
	ch.n = 0;
	rc = 0;
	goto out;
bad:
	ig_err_set(err, IG_EDOCKER, "%s to container changes", BAD_ANSWER);
out:
	ig_docker_changes_free(&ch);
	json_object_put(o);
	return rc;
}

int
ig_docker_parse_container_list(const char *body, size_t len,
    struct ig_docker_strv *ids, struct ig_err *err)
{
	struct json_object *o = NULL;
	struct ig_docker_strv sv = { NULL, 0 };
	const char *id;
	size_t i, n;
	int rc = -1;

	ids->v = NULL;
	ids->n = 0;
	if (json_parse_all(body, len, "container list", &o, err) != 0)
		goto out;
	if (!json_object_is_type(o, json_type_array) || o == NULL)
		goto bad;
	n = json_object_array_length(o);
	for (i = 0; i < n; i++) {
		id = json_container_id(member(json_object_array_get_idx(o, i), "Id",
		    json_type_string));
		if (id == NULL)
			goto bad;
		if (strv_push(&sv, id, IG_DOCKER_ID_LEN) != 0) {
			ig_err_set(err, IG_ENOMEM, "out of memory");
			goto out;
		}
	}
	*ids = sv;
	sv.v = NULL;
	sv.n = 0;
	rc = 0;
	goto out;
bad:
	ig_err_set(err, IG_EDOCKER, "%s to container list", BAD_ANSWER);
out:
	ig_docker_strv_free(&sv);
	json_object_put(o);
	return rc;
}

int
ig_docker_parse_progress(const char *body, size_t len, char *id, size_t idlen,
    struct ig_err *err)
{
	struct json_object *o = NULL;
	const char *line, *nl, *s;
	size_t n, llen;
	int rc = -1;

	if (id != NULL && idlen > 0)
		id[0] = '\0';
	if (body == NULL)
		len = 0;
	/* One JSON object per line (strings cannot hold a raw newline). */
	for (line = body; line != NULL && line < body + len; line = nl ? nl + 1 : NULL) {
		nl = memchr(line, '\n', (size_t)(body + len - line));
		llen = nl ? (size_t)(nl - line) : (size_t)(body + len - line);
		while (llen > 0 && is_ws(line[llen - 1]))
			llen--;
		while (llen > 0 && is_ws(line[0])) {
			line++;
			llen--;
		}
		if (llen == 0)
			continue;
		if (json_parse_all(line, llen, "image import", &o, err) != 0)
			goto out;
		if (!json_object_is_type(o, json_type_object) || o == NULL) {
			ig_err_set(err, IG_EDOCKER, "%s to image import", BAD_ANSWER);
			goto out;
		}
		s = json_str(member(o, "error", json_type_string), &n);
		if (s != NULL) {
			char clean[200];
			sanitize_into(s, n, true, clean, sizeof(clean));
			ig_err_set(err, IG_EDOCKER, "Docker engine: %s", clean);
			goto out;
		}
		s = json_str(member(o, "status", json_type_string), &n);
		if (s != NULL && n == 7 + 64 && strncmp(s, "sha256:", 7) == 0 &&
		    is_hex_lower(s + 7, 64) && id != NULL)
			copy_bounded(id, idlen, s, n);
		json_object_put(o);
		o = NULL;
	}
	rc = 0;
out:
	json_object_put(o);
	return rc;
}
