/*
 * limits.h — every bound Ignite places on input it does not control, in one place.
 *
 * Values that an operator may reasonably want to change are defaults that the
 * server configuration can override; the rest are hard caps.
 */
#ifndef IG_LIMITS_H
#define IG_LIMITS_H

/* Configuration files (service.yaml, policy, ignite.lock, ignite.yaml). */
#define IG_YAML_MAX_BYTES        (256 * 1024)   /* larger files are refused before parsing */
#define IG_YAML_MAX_DEPTH        32             /* nesting of maps/sequences */
#define IG_YAML_MAX_NODES        20000          /* total nodes in one document */
#define IG_YAML_MAX_SCALAR       (64 * 1024)    /* one scalar value */
#define IG_CONFIG_MAX_ERRORS     64             /* diagnostics kept per file; the rest are counted */

/* Service definitions. */
#define IG_SERVICE_NAME_MAX      63
#define IG_ENTRY_PATH_MAX        1024
#define IG_ENV_MAX_VARS          128
#define IG_ENV_VALUE_MAX         4096
#define IG_MEMORY_MB_MAX         65536          /* 64 GiB */
#define IG_CPU_LIMIT_MAX         64.0
#define IG_TIMEOUT_MS_MAX        (24 * 3600 * 1000)
#define IG_ALLOWED_COMMANDS_MAX  64

/* Files read from a service directory on the host. */
#define IG_PACKAGE_JSON_MAX      (1024 * 1024)
#define IG_HASHED_FILE_MAX       (64 * 1024 * 1024)   /* package.json / lockfiles hashed for ignite.lock */
#define IG_DEPS_SCAN_MAX_ENTRIES 200000               /* directory entries visited under node_modules */
#define IG_DEPS_SCAN_MAX_DEPTH   64

/* Runtime registry. */
#define IG_RUNTIMES_FILE_MAX     (256 * 1024)

/* Docker Engine API. */
#define IG_DOCKER_RESPONSE_MAX   (8 * 1024 * 1024)   /* JSON answers from the engine */
#define IG_DOCKER_CONNECT_TIMEOUT_MS 3000
#define IG_DOCKER_REQUEST_TIMEOUT_MS 60000
/* Docker client details (docker.c). */
#define IG_DOCKER_JSON_DEPTH     32                  /* nesting accepted in an engine answer */
#define IG_DOCKER_HOSTNAME_MAX   253                 /* host of a tcp:// DOCKER_HOST */
#define IG_DOCKER_PATH_MAX       1024                /* socket path, DOCKER_CERT_PATH files */
#define IG_DOCKER_REF_MAX        255                 /* image reference, container id or name */
#define IG_DOCKER_HEAD_MAX       (16 * 1024)         /* HTTP response head of an attach */
#define IG_DOCKER_FRAME_MAX      (16 * 1024 * 1024)  /* one attach stream frame; longer is corrupt */
#define IG_DOCKER_RECV_BUDGET    (256 * 1024)        /* attach bytes read per recv call */

/* Execution. */
#define IG_OUTPUT_MAX_DEFAULT    (1024 * 1024)        /* bytes kept per stream (stdout, stderr) */
#define IG_INPUT_MAX             (1024 * 1024)        /* JSON input delivered to a service */
#define IG_PIDS_LIMIT_DEFAULT    64
#define IG_NOFILE_LIMIT          256
#define IG_TMPFS_MAX_MB          64
#define IG_TMPFS_INODES          4096
/* RLIMIT_NPROC counts every process and thread of the container user's uid
 * on the host, across containers: a backstop only; PidsLimit is the real,
 * per-container bound. */
#define IG_NPROC_LIMIT           4096

/* Run store. */
#define IG_REPORT_MAX            (16 * 1024 * 1024)   /* one stored run report */
#define IG_JSON_MAX_DEPTH        64                   /* nesting accepted from any JSON text */

/* Runtime registry, dependency scan, preflight, reports (runtime.c, deps.c, preflight.c, report.c). */
#define IG_RUNTIMES_JSON_DEPTH   16             /* nesting accepted in runtimes.json */
#define IG_RUNTIMES_MAX          32             /* runtimes declared in the registry */
#define IG_RUNTIME_VERSIONS_MAX  64             /* versions per runtime */
#define IG_RUNTIME_LIST_MAX      32             /* entries in an "extensions" or "command" list */
#define IG_RUNTIME_STRING_MAX    512            /* any string field of the registry */
#define IG_RUNTIME_SPEC_MAX      64             /* a "name@version" spec as written */
#define IG_RUNTIME_VERSION_PARTS 4              /* numeric components of a version: 24.22.3 */
#define IG_PREFLIGHT_MSG_MAX     256            /* one preflight check's message */

/* YAML config loaders (yamldoc.c, service.c, policy.c, lock.c). */
#define IG_ENV_NAME_MAX          256            /* one service.env variable name */
#define IG_ALLOWED_COMMAND_LEN   1024           /* one entry of process.allowedCommands */
#define IG_PREFLIGHT_VALUE_MAX   1e9            /* any preflight: threshold that is not in ms */
#define IG_LOCK_STRING_MAX       256            /* runtime and image strings in ignite.lock */

#endif
