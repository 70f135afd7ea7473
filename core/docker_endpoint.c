/*
 * docker_endpoint.c — DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH
 * into a struct ig_docker_endpoint (see docker_endpoint.h).
 */
#include "docker_endpoint.h"

#include <stdlib.h>

#include "docker_priv.h"

static int
parse_port(const char *s, size_t n, int *port)
{
	int v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

static int
endpoint_tcp(const char *rest, struct ig_docker_endpoint *ep, struct ig_err *err,
    const char *orig)
{
	const char *slash = strchr(rest, '/');
	size_t hp_len = slash ? (size_t)(slash - rest) : strlen(rest);
	const char *port_s = NULL;
	size_t host_len, port_len = 0, i;

	if (slash != NULL && slash[1] != '\0') {
		ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: a path after host:port is not supported", orig);
		return -1;
	}
	if (hp_len > 0 && rest[0] == '[') {
		const char *close = memchr(rest, ']', hp_len);
		if (close == NULL || close == rest + 1) {
			ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: bad IPv6 address", orig);
			return -1;
		}
		for (i = 1; rest + i < close; i++) {
			char ch = rest[i];
			if (!is_digit(ch) && !((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f') &&
			    ch != ':' && ch != '.') {
				ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: bad IPv6 address", orig);
				return -1;
			}
		}
		host_len = (size_t)(close - rest) + 1;
		if (host_len < hp_len) {
			if (rest[host_len] != ':') {
				ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: expected :port after the address", orig);
				return -1;
			}
			port_s = rest + host_len + 1;
			port_len = hp_len - host_len - 1;
		}
	} else {
		const char *colon = memchr(rest, ':', hp_len);
		host_len = colon ? (size_t)(colon - rest) : hp_len;
		if (colon != NULL) {
			port_s = colon + 1;
			port_len = hp_len - host_len - 1;
		}
		for (i = 0; i < host_len; i++) {
			if (!is_alnum(rest[i]) && rest[i] != '.' && rest[i] != '-') {
				ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: bad host name", orig);
				return -1;
			}
		}
	}
	if (host_len > IG_DOCKER_HOSTNAME_MAX + 2) {
		ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: host name too long", orig);
		return -1;
	}
	if (host_len == 0)
		snprintf(ep->host, sizeof(ep->host), "localhost");
	else
		copy_bounded(ep->host, sizeof(ep->host), rest, host_len);
	if (port_s != NULL) {
		if (parse_port(port_s, port_len, &ep->port) != 0) {
			ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: bad port", orig);
			return -1;
		}
	} else {
		ep->port = ep->tls ? 2376 : 2375;
	}
	ep->transport = IG_DOCKER_TCP;
	if (fmt_bounded(ep->base_url, sizeof(ep->base_url), "%s://%s:%d",
	    ep->tls ? "https" : "http", ep->host, ep->port) != 0 ||
	    fmt_bounded(ep->display, sizeof(ep->display), "tcp://%s:%d", ep->host, ep->port) != 0) {
		ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: too long", orig);
		return -1;
	}
	return 0;
}

int
ig_docker_endpoint_parse(const char *docker_host, const char *tls_verify,
    const char *cert_path, const char *home, struct ig_docker_endpoint *out,
    struct ig_err *err)
{
	char dir[IG_DOCKER_PATH_MAX];
	const char *p;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	if (docker_host == NULL || docker_host[0] == '\0')
		docker_host = IG_DOCKER_DEFAULT_HOST;
	n = strlen(docker_host);
	if (n >= IG_DOCKER_PATH_MAX) {
		ig_err_set(err, IG_EINVAL, "DOCKER_HOST is too long (%zu bytes)", n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)docker_host[i];
		if (ch <= 0x20 || ch >= 0x7f) {
			ig_err_set(err, IG_EINVAL, "DOCKER_HOST holds a space or control character");
			return -1;
		}
	}
	if (strncmp(docker_host, "unix://", 7) == 0) {
		p = docker_host + 7;
		if (*p == '\0')
			p = IG_DOCKER_DEFAULT_SOCKET;
		if (p[0] != '/') {
			ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: the socket path must be absolute", docker_host);
			return -1;
		}
		if (copy_bounded(out->socket_path, sizeof(out->socket_path), p, strlen(p)) != 0) {
			ig_err_set(err, IG_EINVAL, "DOCKER_HOST %s: socket path too long", docker_host);
			return -1;
		}
		out->transport = IG_DOCKER_UNIX;
		snprintf(out->base_url, sizeof(out->base_url), "http://localhost");
		if (fmt_bounded(out->display, sizeof(out->display), "unix://%s", p) != 0) {
			ig_err_set(err, IG_EINVAL, "DOCKER_HOST too long");
			return -1;
		}
		return 0;
	}
	if (strncmp(docker_host, "tcp://", 6) != 0) {
		ig_err_set(err, IG_EINVAL,
		    "DOCKER_HOST %s: only unix:// and tcp:// endpoints are supported", docker_host);
		return -1;
	}
	out->tls = tls_verify != NULL && tls_verify[0] != '\0';
	if (out->tls) {
		if (cert_path != NULL && cert_path[0] != '\0') {
			if (copy_bounded(dir, sizeof(dir), cert_path, strlen(cert_path)) != 0) {
				ig_err_set(err, IG_EINVAL, "DOCKER_CERT_PATH is too long");
				return -1;
			}
		} else if (home != NULL && home[0] != '\0') {
			if (fmt_bounded(dir, sizeof(dir), "%s/.docker", home) != 0) {
				ig_err_set(err, IG_EINVAL, "HOME is too long");
				return -1;
			}
		} else {
			ig_err_set(err, IG_EINVAL,
			    "DOCKER_TLS_VERIFY is set but neither DOCKER_CERT_PATH nor HOME is");
			return -1;
		}
		if (fmt_bounded(out->ca_file, sizeof(out->ca_file), "%s/ca.pem", dir) != 0 ||
		    fmt_bounded(out->cert_file, sizeof(out->cert_file), "%s/cert.pem", dir) != 0 ||
		    fmt_bounded(out->key_file, sizeof(out->key_file), "%s/key.pem", dir) != 0) {
			ig_err_set(err, IG_EINVAL, "DOCKER_CERT_PATH is too long");
			return -1;
		}
	}
	return endpoint_tcp(docker_host + 6, out, err, docker_host);
}

int
ig_docker_endpoint_from_env(const char *host_override,
    struct ig_docker_endpoint *out, struct ig_err *err)
{
	const char *host = host_override ? host_override : getenv("DOCKER_HOST");

	return ig_docker_endpoint_parse(host, getenv("DOCKER_TLS_VERIFY"),
	    getenv("DOCKER_CERT_PATH"), getenv("HOME"), out, err);
}
