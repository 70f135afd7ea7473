/*
 * docker_endpoint.h — where the Docker engine is: DOCKER_HOST and its TLS
 * settings, parsed the way the docker CLI does. Pure apart from
 * ig_docker_endpoint_from_env, which reads the environment.
 */
#ifndef IG_DOCKER_ENDPOINT_H
#define IG_DOCKER_ENDPOINT_H

#include <stdbool.h>

#include "bounds.h"
#include "err.h"

#define IG_DOCKER_DEFAULT_SOCKET "/var/run/docker.sock"
#define IG_DOCKER_DEFAULT_HOST "unix://" IG_DOCKER_DEFAULT_SOCKET

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

#endif
