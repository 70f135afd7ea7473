/* err.c — filling struct ig_err. */
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
ig_err_set(struct ig_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->code = code;
	err->sys_errno = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
ig_err_sys(struct ig_err *err, int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t len;

	if (err == NULL)
		return;
	err->code = code;
	err->sys_errno = saved;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	if (len < sizeof(err->msg))
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", strerror(saved));
	errno = saved;
}

void
ig_err_prefix(struct ig_err *err, const char *fmt, ...)
{
	char prefix[sizeof(err->msg)], old[sizeof(err->msg)];
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
}

void
ig_err_clear(struct ig_err *err)
{
	if (err == NULL)
		return;
	err->code = IG_OK;
	err->sys_errno = 0;
	err->msg[0] = '\0';
}

const char *
ig_err_name(int code)
{
	switch (code) {
	case IG_OK:           return "ok";
	case IG_EINVAL:       return "invalid";
	case IG_ENOENT:       return "not_found";
	case IG_EEXIST:       return "exists";
	case IG_EPERM:        return "forbidden";
	case IG_EIO:          return "io_error";
	case IG_ENOMEM:       return "out_of_memory";
	case IG_ETOOBIG:      return "too_large";
	case IG_EDOCKER_DOWN: return "docker_unavailable";
	case IG_EDOCKER:      return "docker_error";
	case IG_ETIMEOUT:     return "timeout";
	default:              return "internal";
	}
}
