/*
 * docker.h — the Docker Engine API client: the only code in Ignite that
 * talks to the Docker engine.
 *
 * The engine socket is root-equivalent, so every call here has a timeout and
 * every answer a size cap (bounds.h, "Docker Engine API"), and everything the
 * engine (or a container, through the engine) sends back is parsed by pure,
 * bounded functions that accept any bytes (the ig_docker_parse_* family, the
 * demultiplexer and the HTTP head parser: these are the fuzzing entry points).
 *
 * Files: docker.h/.c the client and its engine calls; docker_endpoint.h/.c
 * where the engine is (DOCKER_HOST, TLS); docker_parse.h/.c the answer
 * types and their pure parsers; docker_attach.h/.c the hijacked attach
 * session and its stream demultiplexer. This header includes the other
 * three, so including it alone is enough.
 *
 * Threads: a struct ig_docker is NOT thread-safe. Each thread creates and owns
 * its own client (one libcurl easy handle, so the connection to the engine is
 * kept alive and reused between calls) and never shares it. Attach sessions
 * (struct ig_docker_attach) belong to the thread of the client that opened
 * them. The environment (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH,
 * HOME) is read once, when a client is created; a daemon may read it once at
 * startup with ig_docker_endpoint_from_env() and hand the endpoint to every
 * thread's client instead.
 *
 * Versions: the first versioned call asks GET /version and speaks
 * min(engine ApiVersion, IG_DOCKER_API_MAX); engines older than
 * IG_DOCKER_API_MIN are refused. Every path is then prefixed with /v1.xx.
 *
 * Errors (struct ig_err codes):
 *   IG_EDOCKER_DOWN  the engine cannot be reached ("Docker engine not
 *                    reachable at unix:///var/run/docker.sock: …")
 *   IG_ENOENT        the container or image does not exist (HTTP 404)
 *   IG_EDOCKER       the engine answered with an error: its "message" field
 *   IG_ETIMEOUT      the engine accepted the request but did not answer in time
 *   IG_ETOOBIG       the answer exceeded the response cap
 *   IG_EINVAL        a bad argument (an id that is not a container reference…)
 */
#ifndef IG_DOCKER_H
#define IG_DOCKER_H

#include <stddef.h>

#include "bounds.h"
#include "docker_attach.h"
#include "docker_endpoint.h"
#include "docker_parse.h"
#include "err.h"

struct json_object;

/* ------------------------------------------------------------------ */
/* Client.                                                             */

struct ig_docker;

struct ig_docker_config {
	/* Where the engine is. endpoint wins; else host (a DOCKER_HOST-style
	 * string, e.g. from the server configuration) overrides DOCKER_HOST;
	 * else the environment is read when the client is created. */
	const struct ig_docker_endpoint *endpoint;
	const char *host;
	long   connect_timeout_ms;   /* 0: IG_DOCKER_CONNECT_TIMEOUT_MS */
	long   request_timeout_ms;   /* 0: IG_DOCKER_REQUEST_TIMEOUT_MS */
	size_t response_max;         /* 0: IG_DOCKER_RESPONSE_MAX */
};

/* Creates a client (cfg may be NULL for all defaults). Does not contact the
 * engine. Returns 0 with *out owned by the caller (free with
 * ig_docker_free), or -1 (IG_EINVAL for a bad endpoint, IG_ENOMEM). */
int ig_docker_new(const struct ig_docker_config *cfg, struct ig_docker **out,
    struct ig_err *err);

/* Frees a client and closes its connection. NULL-safe. */
void ig_docker_free(struct ig_docker *c);

/* The endpoint as written for messages ("unix:///var/run/docker.sock").
 * Owned by the client. */
const char *ig_docker_endpoint_str(const struct ig_docker *c);

/* The negotiated API version ("1.41"), or NULL before the first versioned
 * call (or ig_docker_negotiate). Owned by the client. */
const char *ig_docker_api_version(const struct ig_docker *c);

/* How many connections this client has opened to the engine so far (the
 * main handle only; attach sessions use their own). Diagnostic: a steady
 * value across calls shows the connection is being reused. */
long ig_docker_connections(const struct ig_docker *c);

/* GET /_ping. Returns 0 if the engine answers "OK", else -1. */
int ig_docker_ping(struct ig_docker *c, struct ig_err *err);

/* Asks the engine for its version (GET /version) and negotiates the API
 * version this client speaks from then on. Returns 0 with *out filled (may
 * be NULL), or -1: IG_EDOCKER when the engine is too old (or too new). */
int ig_docker_negotiate(struct ig_docker *c, struct ig_docker_version *out,
    struct ig_err *err);

/* ------------------------------------------------------------------ */
/* Images.                                                             */

/* GET /images/{ref}/json. Returns 0 with *out owned by the caller (free with
 * ig_docker_image_free), or -1: IG_ENOENT when the image does not exist,
 * IG_EINVAL when ref is not an image reference. */
int ig_docker_image_inspect(struct ig_docker *c, const char *ref,
    struct ig_docker_image **out, struct ig_err *err);

/* POST /images/create?fromSrc=-&repo=…&tag=…: imports a root filesystem
 * from an uncompressed tar held in memory (len bytes) as repo:tag. When
 * id is non-NULL it receives the new image id ("sha256:…", idlen bytes
 * including the NUL; empty if the engine did not say). Returns 0, or -1
 * (IG_EDOCKER with the engine's message when the import fails). */
int ig_docker_image_import(struct ig_docker *c, const void *tar, size_t len,
    const char *repo, const char *tag, char *id, size_t idlen,
    struct ig_err *err);

/* DELETE /images/{ref}?force=1. An image that does not exist counts as
 * removed. Returns 0 or -1. */
int ig_docker_image_remove(struct ig_docker *c, const char *ref,
    struct ig_err *err);

/* ------------------------------------------------------------------ */
/* Containers. `id` is a container id or name; anything else is refused
 * with IG_EINVAL before it reaches a URL.                            */

/* POST /containers/create[?name=…] with body (a ContainerConfig built by the
 * caller; not consumed — the caller still owns it). name may be NULL. On
 * success id receives the new container's full id and, when warnings is
 * non-NULL, *warnings the engine's warnings (free with ig_docker_strv_free;
 * empty when none). Returns 0, or -1: IG_ENOENT when the image is missing,
 * IG_EDOCKER for anything the engine rejects. */
int ig_docker_container_create(struct ig_docker *c, const char *name,
    struct json_object *body, char id[IG_DOCKER_ID_LEN + 1],
    struct ig_docker_strv *warnings, struct ig_err *err);

/* POST /containers/{id}/rename?name=… (name: [a-zA-Z0-9][a-zA-Z0-9_.-]*).
 * Returns 0 or -1 (IG_EINVAL, IG_ENOENT, IG_EDOCKER: e.g. the name is
 * taken). */
int ig_docker_container_rename(struct ig_docker *c, const char *id, const char *name,
    struct ig_err *err);

/* POST /containers/{id}/start. Starting a running container is success.
 * Returns 0 or -1 (IG_ENOENT, IG_EDOCKER). */
int ig_docker_container_start(struct ig_docker *c, const char *id,
    struct ig_err *err);

enum ig_docker_wait_cond {
	IG_DOCKER_WAIT_NOT_RUNNING = 0,  /* returns at once if already stopped */
	IG_DOCKER_WAIT_NEXT_EXIT,        /* only a later exit: ask before start */
};

/* POST /containers/{id}/wait?condition=…, waiting at most timeout_ms (> 0).
 * Returns 0 with *status the exit status (128+n after signal n), or -1:
 * IG_ETIMEOUT when the container has not stopped in time, IG_ENOENT,
 * IG_EDOCKER (also when the engine reports a wait error). */
int ig_docker_container_wait(struct ig_docker *c, const char *id,
    enum ig_docker_wait_cond cond, long timeout_ms, long *status,
    struct ig_err *err);

/* POST /containers/{id}/kill?signal=… (NULL: SIGKILL). A container that is
 * not running counts as killed. signal is a name ("SIGKILL", "TERM") or a
 * number. Returns 0 or -1 (IG_ENOENT, IG_EINVAL, IG_EDOCKER). */
int ig_docker_container_kill(struct ig_docker *c, const char *id,
    const char *signal, struct ig_err *err);

/* GET /containers/{id}/json: the State part. Returns 0 with *st filled, or
 * -1 (IG_ENOENT when the container does not exist). */
int ig_docker_container_inspect(struct ig_docker *c, const char *id,
    struct ig_docker_state *st, struct ig_err *err);

/* GET /containers/{id}/json: the value of label key (Config.Labels), copied
 * into out (outlen bytes, control bytes replaced). Returns 0, or -1:
 * IG_ENOENT when the container or the label does not exist, IG_ETOOBIG. */
int ig_docker_container_label(struct ig_docker *c, const char *id, const char *key,
    char *out, size_t outlen, struct ig_err *err);

/* GET /containers/{id}/changes: the container's filesystem changes against
 * its image. Returns 0 with *out filled (free with ig_docker_changes_free;
 * empty when nothing changed), or -1 (IG_ENOENT; IG_ETOOBIG when the list
 * exceeds the response cap). */
int ig_docker_container_changes(struct ig_docker *c, const char *id,
    struct ig_docker_changes *out, struct ig_err *err);

/* DELETE /containers/{id}?force=1&v=1: kills it if running and removes it
 * with its anonymous volumes. A container that no longer exists counts as
 * removed. Returns 0 or -1. */
int ig_docker_container_remove(struct ig_docker *c, const char *id,
    struct ig_err *err);

/* GET /containers/json?all=1&filters={"label":[label]}: the full ids of all
 * containers (running or not) carrying label ("key" or "key=value", e.g.
 * "ignite.managed=1"). Returns 0 with *ids filled (free with
 * ig_docker_strv_free), or -1. */
int ig_docker_container_list(struct ig_docker *c, const char *label,
    struct ig_docker_strv *ids, struct ig_err *err);

#endif
