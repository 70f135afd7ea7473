/*
 * docker_parse.h — what the Docker engine answers, as Ignite reads it: the
 * types the client hands out (version, image, container state, changes,
 * lists of ids), their free functions, and the pure parsers that fill them.
 *
 * The parsers take (pointer, length), accept any bytes and do no I/O (they
 * are fuzzing entry points). Each returns 0, or -1 with IG_EDOCKER
 * ("unexpected answer from the Docker engine: …") when the text is not what
 * the engine would send.
 */
#ifndef IG_DOCKER_PARSE_H
#define IG_DOCKER_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define IG_DOCKER_API_MIN      "1.41"      /* oldest engine API Ignite speaks */
#define IG_DOCKER_API_MAX      "1.45"      /* newest engine API Ignite speaks */
#define IG_DOCKER_ID_LEN       64          /* full container id: 64 lowercase hex */

struct ig_docker_version {
	char version[64];            /* engine version, "20.10.24+dfsg1" */
	char api_version[16];        /* newest API the engine speaks, "1.41" */
	char min_api_version[16];    /* oldest API the engine speaks, "1.12" */
	char os[32];
	char arch[32];
	char negotiated[16];         /* what this client speaks to it */
};

struct ig_docker_label {
	char *key;
	char *value;
};

struct ig_docker_image {
	char   *id;                  /* "sha256:<64 hex>" */
	int64_t size;                /* bytes */
	struct ig_docker_label *labels;   /* Config.Labels */
	size_t  nlabels;
};

/* The value of label key on img, or NULL. Owned by img. */
const char *ig_docker_image_label(const struct ig_docker_image *img,
    const char *key);

/* Frees an image description. NULL-safe. */
void ig_docker_image_free(struct ig_docker_image *img);

/* A list of strings (container ids, create warnings). */
struct ig_docker_strv {
	char  **v;
	size_t  n;
};

/* Frees the strings and resets sv to empty. NULL-safe. */
void ig_docker_strv_free(struct ig_docker_strv *sv);

struct ig_docker_state {
	char    status[16];          /* created running paused restarting removing exited dead */
	bool    running;
	bool    oom_killed;
	int     exit_code;
	int     pid;                 /* host pid of the init process, 0 if not running */
	char    error[256];          /* State.Error, "" if none */
	char    started_at[40];      /* RFC 3339 as the engine wrote it */
	char    finished_at[40];
	int64_t started_ns;          /* the same as ns since the epoch, 0 if never */
	int64_t finished_ns;
};

enum ig_docker_change_kind {
	IG_DOCKER_CHANGE_MODIFIED = 0,
	IG_DOCKER_CHANGE_ADDED    = 1,
	IG_DOCKER_CHANGE_DELETED  = 2,
};

struct ig_docker_change {
	char *path;
	int   kind;                  /* enum ig_docker_change_kind */
};

struct ig_docker_changes {
	struct ig_docker_change *v;
	size_t n;
};

/* Frees the list and resets it to empty. NULL-safe. */
void ig_docker_changes_free(struct ig_docker_changes *ch);

/* ------------------------------------------------------------------ */
/* Parsers.                                                            */

/* Extracts a printable message from an error response body: the "message"
 * field of a JSON object, else the body's first line; control bytes are
 * replaced, the result is truncated to fit. Always NUL-terminates out
 * (outsz > 0). Returns the length written. */
size_t ig_docker_error_message(const char *body, size_t len, char *out,
    size_t outsz);

/* Parses "1.41" into major.minor (each 0..999). Returns 0 or -1 (IG_EINVAL). */
int ig_docker_api_parse(const char *s, int *major, int *minor,
    struct ig_err *err);

/* Chooses the API version to speak: min(engine_api, IG_DOCKER_API_MAX),
 * refused (IG_EDOCKER) when below IG_DOCKER_API_MIN or below engine_min
 * (engine_min may be NULL or ""). Writes "1.xx" to out. Returns 0 or -1. */
int ig_docker_api_negotiate(const char *engine_api, const char *engine_min,
    char *out, size_t outsz, struct ig_err *err);

/* GET /version body → *out (negotiated is left empty). */
int ig_docker_parse_version(const char *body, size_t len,
    struct ig_docker_version *out, struct ig_err *err);

/* GET /images/{ref}/json body → *out (free with ig_docker_image_free). */
int ig_docker_parse_image(const char *body, size_t len,
    struct ig_docker_image **out, struct ig_err *err);

/* POST /containers/create body → id (64 lowercase hex) and, when warnings
 * is non-NULL, the warnings (free with ig_docker_strv_free). */
int ig_docker_parse_create(const char *body, size_t len,
    char id[IG_DOCKER_ID_LEN + 1], struct ig_docker_strv *warnings,
    struct ig_err *err);

/* POST /containers/{id}/wait body → StatusCode; a non-empty Error.Message
 * fails with IG_EDOCKER carrying it. */
int ig_docker_parse_wait(const char *body, size_t len, long *status,
    struct ig_err *err);

/* GET /containers/{id}/json body → its State. */
int ig_docker_parse_state(const char *body, size_t len,
    struct ig_docker_state *st, struct ig_err *err);

/* GET /containers/{id}/json body → the value of label key, as
 * ig_docker_container_label. */
int ig_docker_parse_label(const char *body, size_t len, const char *key, char *out,
    size_t outlen, struct ig_err *err);

/* GET /containers/{id}/changes body (an array, or null for none) → *out
 * (free with ig_docker_changes_free). */
int ig_docker_parse_changes(const char *body, size_t len,
    struct ig_docker_changes *out, struct ig_err *err);

/* GET /containers/json body → the "Id" of each entry (free with
 * ig_docker_strv_free). */
int ig_docker_parse_container_list(const char *body, size_t len,
    struct ig_docker_strv *ids, struct ig_err *err);

/* The JSON message stream of /images/create → the image id from the last
 * "status" that holds one (idlen bytes with NUL; may be left empty); an
 * "error" message fails with IG_EDOCKER carrying it. */
int ig_docker_parse_progress(const char *body, size_t len, char *id,
    size_t idlen, struct ig_err *err);

/* Parses an RFC 3339 UTC-or-offset timestamp as the engine writes them
 * ("2024-05-01T10:00:00.123456789Z") into ns since the epoch; the zero time
 * ("0001-01-01T00:00:00Z") and anything before 1970 give 0. Returns 0 or -1
 * (IG_EINVAL). */
int ig_docker_parse_time(const char *s, size_t len, int64_t *ns,
    struct ig_err *err);

#endif
