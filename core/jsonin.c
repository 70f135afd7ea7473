/* jsonin.c — bounded parsing of untrusted JSON text (json-c tokener). */
#include "jsonin.h"
#include "limits.h"

#include <json-c/json.h>
#include <limits.h>

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
	*out = o;
	return 0;
}
