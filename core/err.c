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
	if (len + 2 < sizeof(err->msg)) {
		const char *se = strerror(saved);
		size_t slen = strlen(se), room = sizeof(err->msg) - 1 - len - 2;

		if (slen > room)
			slen = room;
		memcpy(err->msg + len, ": ", 2);
		memcpy(err->msg + len + 2, se, slen);
		err->msg[len + 2 + slen] = '\0';
	}
	errno = saved;
}

void
ig_err_prefix(struct ig_err *err, const char *fmt, ...)
{
	char old[sizeof(err->msg)];
	size_t plen, olen, room;
	va_list ap;

	if (err == NULL)
		return;
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* Append ": <old message>", truncating the old message if needed. */
	plen = strlen(err->msg);
	room = sizeof(err->msg) - 1 - plen;
	if (room < 2)
		return;
	memcpy(err->msg + plen, ": ", 2);
	plen += 2;
	room -= 2;
	olen = strlen(old);
	if (olen > room)
		olen = room;
	memcpy(err->msg + plen, old, olen);
	err->msg[plen + olen] = '\0';
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
