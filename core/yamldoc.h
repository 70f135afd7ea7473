/*
 * yamldoc.h — a bounded YAML document tree and a table-driven schema walker.
 *
 * Every YAML file Ignite reads (service.yaml, policy files, ignite.lock,
 * ignite.yaml) is parsed here with libyaml's event parser into a small tree
 * of scalars, sequences and mappings, then mapped into a C struct through a
 * table of keys and types (struct ig_yfield). Problems become diagnostics
 * "file:line: yaml.path message" in a struct ig_diags.
 *
 * What the parser accepts (anything else is a diagnostic, never a crash):
 *   - at most IG_YAML_MAX_BYTES of input (checked before parsing), nesting of
 *     at most IG_YAML_MAX_DEPTH, at most IG_YAML_MAX_NODES nodes, scalars of
 *     at most IG_YAML_MAX_SCALAR bytes;
 *   - UTF-8 only (a UTF-16 byte order mark or invalid UTF-8 is an error with
 *     its line);
 *   - one document: a second document ("---" after the first) is an error;
 *   - no anchors (&a) and no aliases (*a): they are refused outright, which
 *     also makes "billion laughs" alias bombs impossible;
 *   - tags: only the YAML core tags !!str, !!int, !!float, !!bool, !!null,
 *     !!map and !!seq; !!str makes a plain scalar count as quoted text,
 *     !!map/!!seq must match the node they are on, the scalar ones are
 *     accepted and otherwise ignored. Every other tag is an error;
 *   - mapping keys must be scalars; a key repeated in one mapping is an
 *     error at the line of its second occurrence;
 *   - an empty stream (empty file, or only comments) is an empty mapping.
 */
#ifndef IG_YAMLDOC_H
#define IG_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "err.h"

enum ig_ynode_kind {
	IG_YSCALAR,
	IG_YSEQ,
	IG_YMAP,
};

struct ig_ynode;

struct ig_ypair {
	struct ig_ynode *key;           /* always an IG_YSCALAR */
	struct ig_ynode *value;
};

struct ig_ynode {
	enum ig_ynode_kind kind;
	int    line;                    /* 1-based line where the node starts */

	/* IG_YSCALAR */
	char  *text;                    /* NUL-terminated; may hold NUL bytes inside ("\0" escape) */
	size_t len;                     /* bytes in text, excluding the terminator */
	bool   plain;                   /* unquoted, no !!str: may be a number, bool or null */

	/* IG_YSEQ */
	struct ig_ynode **items;
	size_t n_items;

	/* IG_YMAP, in document order */
	struct ig_ypair *pairs;
	size_t n_pairs;
};

struct ig_ydoc {
	struct ig_ynode *root;          /* never NULL after a successful parse */
	size_t n_nodes;
};

/* Parses len bytes of YAML (need not be NUL-terminated) into a tree. `file`
 * names the input in diagnostics. Returns 0 with *out owned by the caller
 * (ig_ydoc_free), or -1: IG_EINVAL with the problems added to diags (a
 * syntax error, a limit, an alias, duplicate keys, …), IG_ENOMEM, or
 * IG_EINTERNAL in err. */
int ig_ydoc_parse(const char *text, size_t len, const char *file,
    struct ig_ydoc **out, struct ig_diags *diags, struct ig_err *err);

/* Frees doc and every node. NULL-safe. */
void ig_ydoc_free(struct ig_ydoc *doc);

/* Returns the value stored under key in mapping map (exact byte match), or
 * NULL when map is NULL, not a mapping, or has no such key. */
const struct ig_ynode *ig_ynode_get(const struct ig_ynode *map, const char *key);

/* Follows a dotted path of mapping keys from root ("preflight.memory.baseMb");
 * returns the node or NULL when any step is missing or not a mapping. */
const struct ig_ynode *ig_ynode_path(const struct ig_ynode *root, const char *path);

/* Returns true if n is a plain null scalar: empty, "~", "null", "Null", "NULL". */
bool ig_ynode_is_null(const struct ig_ynode *n);

/* Typed reads of a scalar. Each returns 0 with *out set, or -1 (out
 * untouched) when n is not a plain scalar of that type:
 *   integer: decimal digits with an optional sign, no leading zeros, fits a
 *            long long (no hex/octal/"1e3"/"1.0");
 *   number:  decimal with optional fraction and exponent, finite and not
 *            under/overflowing (no .inf/.nan/hex);
 *   bool:    true/True/TRUE/false/False/FALSE (not yes/no/on/off). */
int ig_ynode_int(const struct ig_ynode *n, long long *out);
int ig_ynode_number(const struct ig_ynode *n, double *out);
int ig_ynode_bool(const struct ig_ynode *n, bool *out);

/* Writes a printable rendering of len bytes of s into buf (size size > 4):
 * control, non-ASCII and quote bytes escaped, cut at about 64 bytes with
 * "...". For putting text from a file into a message. Returns buf. */
char *ig_ydoc_printable(const char *s, size_t len, char *buf, size_t size);

/* ---- schema walking ---------------------------------------------------- */

enum ig_ytype {
	IG_YT_STRING,       /* non-empty scalar text without NUL → char * (strdup'd) */
	IG_YT_INT,          /* plain integer → long */
	IG_YT_NUMBER,       /* plain finite number → double */
	IG_YT_BOOL,         /* plain true/false → bool */
	IG_YT_MAP,          /* nested mapping described by .fields (null = empty) */
	IG_YT_STRING_LIST,  /* sequence of non-empty strings → char ** + size_t count (null = empty) */
	IG_YT_SCALAR_MAP,   /* mapping of name → scalar taken as text (PORT: 3000 → "3000")
	                     * → array of elem_size structs + size_t count (null = empty) */
};

#define IG_YF_REQUIRED  0x1u    /* missing key → "path is required" */
#define IG_YF_POSITIVE  0x2u    /* IG_YT_INT / IG_YT_NUMBER: must be > 0 */

/* Returns NULL if the text is acceptable, else a message fragment that
 * follows the YAML path: "must match ^[a-z]+$", "is reserved". */
typedef const char *(*ig_ycheck_fn)(const char *s, size_t len);

/* One key of a mapping. Offsets are into the `base` struct given to
 * ig_ydoc_apply, at every nesting level (nested maps store into the same
 * base). Tables end with an entry whose key is NULL. */
struct ig_yfield {
	const char   *key;
	enum ig_ytype type;
	unsigned      flags;            /* IG_YF_* */
	size_t        offset;           /* where the value goes (see enum ig_ytype) */
	size_t        count_offset;     /* STRING_LIST, SCALAR_MAP: size_t element count */
	double        max;              /* INT, NUMBER: inclusive upper bound when > 0 */
	size_t        max_len;          /* STRING, list items, map values: bytes; 0 = IG_YAML_MAX_SCALAR */
	size_t        max_items;        /* STRING_LIST, SCALAR_MAP: entries; 0 = unbounded */
	ig_ycheck_fn  check;            /* STRING, list items, map values: extra rule, or NULL */
	ig_ycheck_fn  check_key;        /* SCALAR_MAP names: extra rule, or NULL */
	const struct ig_yfield *fields; /* MAP: the nested table */
	size_t        elem_size;        /* SCALAR_MAP: size of one element struct */
	size_t        elem_key_offset;  /* SCALAR_MAP: char *name in the element */
	size_t        elem_value_offset;/* SCALAR_MAP: char *value in the element */
};

/* Walks mapping node map (a null scalar counts as an empty mapping) with the
 * table fields, storing valid values into base and adding one diagnostic per
 * problem: unknown key (with a "did you mean" hint), wrong type, out of
 * range, too long, check failure, missing required key. `path` is the YAML
 * path of map ("" for the document root), `line` the line to report missing
 * keys at (0 for none). Fields not present keep what base already held, so
 * fill base with defaults first. Strings and arrays already stored at an
 * offset are freed when replaced. Returns the number of problems found (0:
 * everything valid); never fails otherwise (allocation failure is reported
 * as a problem). */
size_t ig_ydoc_apply(const struct ig_ynode *map, const struct ig_yfield *fields,
    const char *path, int line, const char *file, void *base, struct ig_diags *diags);

/* Frees what ig_ydoc_apply stored into base for the table fields (strings,
 * string lists, scalar maps, recursively through nested maps) and zeroes
 * those members. */
void ig_ydoc_release(const struct ig_yfield *fields, void *base);

#endif
