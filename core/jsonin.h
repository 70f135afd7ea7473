/*
 * jsonin.h — parsing JSON text that comes from outside (a request body, a
 * --input flag), with a depth limit and a strict end.
 */
#ifndef IG_JSONIN_H
#define IG_JSONIN_H

#include <stddef.h>

#include "err.h"

struct json_object;

/* Parses exactly len bytes of text as one JSON value (whitespace around it
 * allowed, nothing else after it), nesting at most max_depth (0: the
 * default IG_JSON_MAX_DEPTH). Returns 0 with *out a new reference (NULL for
 * the JSON value null), or -1 with IG_EINVAL and a message naming the
 * offset ("invalid JSON at byte 12: unexpected character"). */
int ig_jsonin_parse(const char *text, size_t len, int max_depth,
    struct json_object **out, struct ig_err *err);

#endif
