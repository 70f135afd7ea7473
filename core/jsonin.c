/* jsonin.c — bounded parsing of untrusted JSON text (json-c tokener). */
#include "jsonin.h"
#include "bounds.h"

#include <json-c/json.h>
#include <limits.h>
#include <string.h>

/* Returns 1 if p[0..n) is a JSON number (RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?). */
static int
is_number(const char *p, size_t n)
{
	size_t i = 0;

	if (i < n && p[i] == '-')
		i++;
	if (i >= n)
		return 0;
	if (p[i] == '0')
		i++;
	else if (p[i] >= '1' && p[i] <= '9')
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && p[i] == '.') {
		if (++i >= n || p[i] < '0' || p[i] > '9')
			return 0;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		if (++i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= n || p[i] < '0' || p[i] > '9')
			return 0;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	return i == n;
}

/* json-c's tokener accepts tokens JSON does not have (NaN, Infinity, "1.",
 * "-01", …) and would write them back out verbatim, producing invalid JSON.
 * Every bare token outside strings must be a literal or a JSON number.
 * Returns the offset of the first bad token, or (size_t)-1 when all are fine. */
static size_t
bad_token(const char *text, size_t len)
{
	size_t i = 0;

	while (i < len) {
		char c = text[i];

		if (c == '"') {
			for (i++; i < len && text[i] != '"'; i++)
				if (text[i] == '\\')
					i++;
			i++;
			continue;
		}
		if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			size_t start = i, n;
			while (i < len && ((text[i] >= '0' && text[i] <= '9') || text[i] == '-' ||
			    text[i] == '+' || text[i] == '.' || (text[i] >= 'a' && text[i] <= 'z') ||
			    (text[i] >= 'A' && text[i] <= 'Z')))
				i++;
			n = i - start;
			if (!((n == 4 && memcmp(text + start, "true", 4) == 0) ||
			    (n == 5 && memcmp(text + start, "false", 5) == 0) ||
			    (n == 4 && memcmp(text + start, "null", 4) == 0) ||
			    is_number(text + start, n)))
				return start;
			continue;
		}
		i++;
	}
	return (size_t)-1;
}

/* Returns the offset of the first byte that is not part of well-formed UTF-8
 * (RFC 3629: shortest form, no surrogates, at most U+10FFFF), or (size_t)-1.
 * json-c's own check lets overlong forms and surrogates through. */
static size_t
bad_utf8(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i];
		size_t k;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return i;
		}
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= n || (p[i + j] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += k + 1;
	}
	return (size_t)-1;
}

int
ig_jsonin_parse(const char *text, size_t len, int max_depth,
    struct json_object **out, struct ig_err *err)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error jerr;
	size_t end;

	*out = NULL;
	if (len > (size_t)INT_MAX) {
		ig_err_set(err, IG_ETOOBIG, "JSON text too large");
		return -1;
	}
	if ((end = bad_utf8((const unsigned char *)text, len)) != (size_t)-1) {
		ig_err_set(err, IG_EINVAL, "invalid JSON at byte %zu: not UTF-8", end);
		return -1;
	}
	if ((tok = json_tokener_new_ex(max_depth > 0 ? max_depth : IG_JSON_MAX_DEPTH)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		return -1;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		/* Complete values such as a bare number need the end signalled. */
		o = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	} else {
		end = json_tokener_get_parse_end(tok);
	}
	if (jerr != json_tokener_success) {
		ig_err_set(err, IG_EINVAL, "invalid JSON at byte %zu: %s",
		    json_tokener_get_parse_end(tok), json_tokener_error_desc(jerr));
		json_object_put(o);
		json_tokener_free(tok);
		return -1;
	}
	for (; end < len; end++) {
		char c = text[end];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			ig_err_set(err, IG_EINVAL, "invalid JSON at byte %zu: unexpected data after the value", end);
			json_object_put(o);
			json_tokener_free(tok);
			return -1;
		}
	}
	json_tokener_free(tok);
	if ((end = bad_token(text, len)) != (size_t)-1) {
		ig_err_set(err, IG_EINVAL, "invalid JSON at byte %zu: not a JSON value", end);
		json_object_put(o);
		return -1;
	}
	*out = o;
	return 0;
}
