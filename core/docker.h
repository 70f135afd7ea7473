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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "bounds.h"

struct json_object;

#define IG_DOCKER_API_MIN      "1.41"      /* oldest engine API Ignite speaks */
#define IG_DOCKER_API_MAX      "1.45"      /* newest engine API Ignite speaks */
#define IG_DOCKER_DEFAULT_SOCKET "/var/run/docker.sock"
#define IG_DOCKER_DEFAULT_HOST "unix://" IG_DOCKER_DEFAULT_SOCKET

/* ------------------------------------------------------------------ */
/* Endpoint: where the engine is (DOCKER_HOST and its TLS settings).  */

enum ig_docker_transport {
	IG_DOCKER_UNIX = 1,        /* unix:///path */
	IG_DOCKER_TCP,             /* tcp://host:port, plain HTTP or HTTPS */
};

struct ig_docker_endpoint {
	int  transport;                              /* enum ig_docker_transport */
	char socket_path[108];                       /* unix: absolute path (sun_path) */
	char host[IG_DOCKER_HOSTNAME_MAX + 3];       /* tcp: name, IPv4, or [IPv6] */
	int  port;                                   /* tcp: 1..65535 */
	bool tls;                                    /* tcp: https, peer verified */
	char ca_file[IG_DOCKER_PATH_MAX];            /* tls: <cert dir>/ca.pem */
	char cert_file[IG_DOCKER_PATH_MAX];          /* tls: <cert dir>/cert.pem */
	char key_file[IG_DOCKER_PATH_MAX];           /* tls: <cert dir>/key.pem */
	char base_url[IG_DOCKER_HOSTNAME_MAX + 32];  /* what curl is given */
	char display[IG_DOCKER_PATH_MAX + 16];       /* "unix:///var/run/docker.sock" for messages */
};

/* Parses a DOCKER_HOST value the way the docker CLI does. Pure: the caller
 * passes the environment values (any may be NULL or empty):
 *   docker_host  NULL/"" → IG_DOCKER_DEFAULT_HOST; "unix:///abs/path";
 *                "tcp://host[:port][/]" (host may be [IPv6]; empty host is
 *                localhost; default port 2375, or 2376 with TLS)
 *   tls_verify   DOCKER_TLS_VERIFY: any non-empty value turns on HTTPS with
 *                peer verification for tcp:// (as the CLI, even "0")
 *   cert_path    DOCKER_CERT_PATH: directory of ca.pem, cert.pem, key.pem;
 *                defaults to <home>/.docker
 *   home         HOME, used only for that default
 * Other schemes (npipe://, ssh://, fd://) are refused. Returns 0 with *out
 * filled, or -1 with IG_EINVAL. Nothing to free. */
int ig_docker_endpoint_parse(const char *docker_host, const char *tls_verify,
    const char *cert_path, const char *home, struct ig_docker_endpoint *out,
    struct ig_err *err);

/* Reads DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH and HOME from the
 * environment (once, now) and parses them as ig_docker_endpoint_parse. When
 * host_override is non-NULL it replaces DOCKER_HOST (the TLS variables still
 * apply). Returns 0 or -1 (IG_EINVAL). */
int ig_docker_endpoint_from_env(const char *host_override,
    struct ig_docker_endpoint *out, struct ig_err *err);

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

struct ig_docker_version {
	char version[64];            /* engine version, "20.10.24+dfsg1" */
	char api_version[16];        /* newest API the engine speaks, "1.41" */
	char min_api_version[16];    /* oldest API the engine speaks, "1.12" */
	char os[32];
	char arch[32];
	char negotiated[16];         /* what this client speaks to it */
};

/* Asks the engine for its version (GET /version) and negotiates the API
 * version this client speaks from then on. Returns 0 with *out filled (may
 * be NULL), or -1: IG_EDOCKER when the engine is too old (or too new). */
int ig_docker_negotiate(struct ig_docker *c, struct ig_docker_version *out,
    struct ig_err *err);

/* ------------------------------------------------------------------ */
/* Images.                                                             */

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

/* GET /images/{ref}/json. Returns 0 with *out owned by the caller (free with
 * ig_docker_image_free), or -1: IG_ENOENT when the image does not exist,
 * IG_EINVAL when ref is not an image reference. */
int ig_docker_image_inspect(struct ig_docker *c, const char *ref,
    struct ig_docker_image **out, struct ig_err *err);

/* The value of label key on img, or NULL. Owned by img. */
const char *ig_docker_image_label(const struct ig_docker_image *img,
    const char *key);

/* Frees an image description. NULL-safe. */
void ig_docker_image_free(struct ig_docker_image *img);

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

/* A list of strings (container ids, create warnings). */
struct ig_docker_strv {
	char  **v;
	size_t  n;
};

/* Frees the strings and resets sv to empty. NULL-safe. */
void ig_docker_strv_free(struct ig_docker_strv *sv);

#define IG_DOCKER_ID_LEN 64          /* full container id: 64 lowercase hex */

/* POST /containers/create[?name=…] with body (a ContainerConfig built by the
 * caller; not consumed — the caller still owns it). name may be NULL. On
 * success id receives the new container's full id and, when warnings is
 * non-NULL, *warnings the engine's warnings (free with ig_docker_strv_free;
 * empty when none). Returns 0, or -1: IG_ENOENT when the image is missing,
 * IG_EDOCKER for anything the engine rejects. */
int ig_docker_container_create(struct ig_docker *c, const char *name,
    struct json_object *body, char id[IG_DOCKER_ID_LEN + 1],
    struct ig_docker_strv *warnings, struct ig_err *err);

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

/* GET /containers/{id}/json: the State part. Returns 0 with *st filled, or
 * -1 (IG_ENOENT when the container does not exist). */
int ig_docker_container_inspect(struct ig_docker *c, const char *id,
    struct ig_docker_state *st, struct ig_err *err);

/* GET /containers/{id}/json: the value of label key (Config.Labels), copied
 * into out (outlen bytes, control bytes replaced). Returns 0, or -1:
 * IG_ENOENT when the container or the label does not exist, IG_ETOOBIG. */
int ig_docker_container_label(struct ig_docker *c, const char *id, const char *key,
    char *out, size_t outlen, struct ig_err *err);

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

/* GET /containers/{id}/changes: the container's filesystem changes against
 * its image. Returns 0 with *out filled (free with ig_docker_changes_free;
 * empty when nothing changed), or -1 (IG_ENOENT; IG_ETOOBIG when the list
 * exceeds the response cap). */
int ig_docker_container_changes(struct ig_docker *c, const char *id,
    struct ig_docker_changes *out, struct ig_err *err);

/* Frees the list and resets it to empty. NULL-safe. */
void ig_docker_changes_free(struct ig_docker_changes *ch);

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

/* ------------------------------------------------------------------ */
/* Demultiplexing the attach stream (Tty=false): frames of an 8-byte
 * header {stream 0|1|2, 0, 0, 0, big-endian uint32 length} + payload.
 * Incremental: bytes may be fed in pieces split anywhere (headers too). */

enum ig_docker_stream {
	IG_DOCKER_STDIN  = 0,        /* the engine's echo of stdin; treat as stdout */
	IG_DOCKER_STDOUT = 1,
	IG_DOCKER_STDERR = 2,
};

/* Receives payload bytes of one stream (never with n == 0). A frame may be
 * delivered in several calls. Return 0 to go on, non-zero to stop: the feed
 * then fails with IG_EINTERNAL. */
typedef int (*ig_docker_output_fn)(void *arg, int stream, const void *p,
    size_t n);

struct ig_docker_demux {
	unsigned char hdr[8];        /* header bytes collected so far */
	unsigned      hdr_len;
	int           stream;        /* stream of the current frame */
	uint32_t      left;          /* payload bytes of the current frame still due */
	bool          broken;        /* a corrupt header was seen: stays failed */
};

/* Resets d to the start of a stream. */
void ig_docker_demux_init(struct ig_docker_demux *d);

/* Feeds n bytes of the stream, calling out(arg, stream, bytes, len) for
 * payload. Returns 0, or -1 with IG_EDOCKER for a corrupt stream (a stream
 * type other than 0/1/2, non-zero padding, a frame longer than
 * IG_DOCKER_FRAME_MAX; every later feed fails too) or IG_EINTERNAL when out
 * asked to stop. Pure: no I/O, no allocation. */
int ig_docker_demux_feed(struct ig_docker_demux *d, const void *p, size_t n,
    ig_docker_output_fn out, void *arg, struct ig_err *err);

/* True between frames (a stream may end only there). */
bool ig_docker_demux_at_boundary(const struct ig_docker_demux *d);

/* ------------------------------------------------------------------ */
/* Attach: the hijacked stdin/stdout/stderr of a container. Open it after
 * create and BEFORE start, so no output is missed. The session has its own
 * connection; the client stays usable for JSON calls meanwhile. The
 * container must have been created with Tty=false (and OpenStdin=true,
 * StdinOnce=true for stdin to reach it and end with EOF).
 *
 * The session never blocks after open: poll() ig_docker_attach_fd() with
 * your own deadline, then call ig_docker_attach_recv / _send until they
 * report IG_DOCKER_IO_AGAIN. Over TLS the bytes go through libcurl (never
 * the raw fd), so always drain recv until AGAIN before polling again. */

struct ig_docker_attach;

enum ig_docker_io {
	IG_DOCKER_IO_AGAIN = 0,      /* nothing more now: poll before calling again */
	IG_DOCKER_IO_MORE  = 1,      /* budget used up, more may be pending: call again without polling */
	IG_DOCKER_IO_EOF   = 2,      /* recv: the stream ended (the container's output is complete) */
};

/* POST /containers/{id}/attach?stream=1&stdin=1&stdout=1&stderr=1 with
 * Connection: Upgrade, Upgrade: tcp, waiting (at most the client's request
 * timeout) for 101 Switching Protocols. Returns 0 with *out owned by the
 * caller (free with ig_docker_attach_free), or -1 (IG_ENOENT, IG_EDOCKER,
 * IG_EDOCKER_DOWN, IG_ETIMEOUT). */
int ig_docker_attach_open(struct ig_docker *c, const char *id,
    struct ig_docker_attach **out, struct ig_err *err);

/* The socket to poll (POLLIN for output, POLLOUT for stdin room). */
int ig_docker_attach_fd(const struct ig_docker_attach *a);

/* Sends up to n bytes of stdin without blocking; *sent receives how many
 * went out (0 when the socket is full: poll for POLLOUT). Returns 0, or -1
 * (IG_EDOCKER_DOWN when the connection broke, IG_EINVAL after close_stdin). */
int ig_docker_attach_send(struct ig_docker_attach *a, const void *p, size_t n,
    size_t *sent, struct ig_err *err);

/* Ends stdin (shutdown(SHUT_WR) of the connection): the container reads EOF.
 * Output keeps flowing. Returns 0, or -1 (IG_EINVAL over TLS, where libcurl
 * offers no half-close). Idempotent. */
int ig_docker_attach_close_stdin(struct ig_docker_attach *a,
    struct ig_err *err);

/* Reads what is available (at most IG_DOCKER_RECV_BUDGET bytes per call)
 * without blocking and delivers it through the demultiplexer to out.
 * Returns an enum ig_docker_io (EOF once the engine has closed the stream
 * at a frame boundary; every later call returns EOF again), or -1: IG_EDOCKER
 * for a corrupt stream or one that ends inside a frame, IG_EDOCKER_DOWN when
 * the connection broke, IG_EINTERNAL when out asked to stop. */
int ig_docker_attach_recv(struct ig_docker_attach *a, ig_docker_output_fn out,
    void *arg, struct ig_err *err);

/* Closes the session. NULL-safe. */
void ig_docker_attach_free(struct ig_docker_attach *a);

/* ------------------------------------------------------------------ */
/* Pure parsers of what the engine sends (any bytes in; no I/O). Each
 * returns 0, or -1 with IG_EDOCKER ("unexpected answer from the Docker
 * engine: …") when the text is not what the engine would send.        */

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

/* Parses an HTTP/1.x response head at the start of p[0..n): *status gets the
 * status code, *head_len the bytes up to and including the blank line,
 * *content_length the Content-Length value or -1 when absent. Returns 1 when
 * complete, 0 when more bytes are needed (and n < IG_DOCKER_HEAD_MAX), -1
 * (IG_EDOCKER) when malformed or longer than IG_DOCKER_HEAD_MAX. */
int ig_docker_parse_http_head(const char *p, size_t n, int *status,
    size_t *head_len, long long *content_length, struct ig_err *err);

#endif
