/*
 * err.h — the error value every fallible core function fills.
 *
 * Functions return 0 on success or -1 with *err filled. The struct is
 * fixed-size so that reporting an error can never itself fail. Passing a
 * NULL err is allowed: the error is then discarded.
 */
#ifndef IG_ERR_H
#define IG_ERR_H

#include <stddef.h>

enum ig_errcode {
	IG_OK = 0,
	IG_EINVAL,          /* input or configuration is invalid */
	IG_ENOENT,          /* a file, service, run or image does not exist */
	IG_EEXIST,          /* refusing to overwrite something that exists */
	IG_EPERM,           /* refused for safety (symlink escape, permissions) */
	IG_EIO,             /* the filesystem failed */
	IG_ENOMEM,          /* out of memory */
	IG_ETOOBIG,         /* input exceeds a limit */
	IG_EDOCKER_DOWN,    /* the Docker engine cannot be reached */
	IG_EDOCKER,         /* the Docker engine answered with an error */
	IG_ETIMEOUT,        /* an operation ran out of time */
	IG_EINTERNAL,       /* a bug */
};

struct ig_err {
	int  code;          /* enum ig_errcode */
	int  sys_errno;     /* errno at the failure, or 0 */
	char msg[256];
};

/* Fills err (if non-NULL) with code and a printf-style message. Never fails. */
void ig_err_set(struct ig_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like ig_err_set, appending ": strerror(errno)" and recording errno. */
void ig_err_sys(struct ig_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "context: " to err's message (truncating if needed). */
void ig_err_prefix(struct ig_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Resets err to IG_OK with an empty message. */
void ig_err_clear(struct ig_err *err);

/* Returns a short stable name for code ("invalid", "not_found", …). */
const char *ig_err_name(int code);

#endif
