/*
 * bounds.h — every bound Ignite places on input it does not control, in one place.
 *
 * Values that an operator may reasonably want to change are defaults that the
 * server configuration can override; the rest are hard caps.
 */
#ifndef IG_BOUNDS_H
#define IG_BOUNDS_H

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
/* Docker client details (core/docker*.c). */
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
#define IG_STDIN_MAX             (512 * 1024)         /* text for the service's stdin */
#define IG_LAUNCHER_REQUEST_MAX  2162688              /* the launcher's cap on its stdin line */
#define IG_SERVICE_SCAN_MAX      100000               /* entries checked for escaping symlinks */
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

/* API keys (keys.c). The scrypt defaults cost about 50 ms per check on a
 * 2-core Xeon (libscrypt's own N=16384,r=8,p=16 costs ~780 ms); the secrets
 * are 256 random bits, so the cost only slows an attacker holding a copy of
 * the keys file. The bounds below refuse a keys file whose hashes would make
 * one check cost seconds or gigabytes. */
#define IG_KEYS_FILE_MAX         (512 * 1024)   /* the keys file */
#define IG_KEYS_MAX              1000           /* keys in one file, revoked ones included */
#define IG_KEYS_NAME_MAX         64             /* a key's name */
#define IG_KEYS_JSON_DEPTH       8              /* nesting accepted in the keys file */
#define IG_KEYS_SCRYPT_N         16384          /* default scrypt cost for new keys */
#define IG_KEYS_SCRYPT_R         8
#define IG_KEYS_SCRYPT_P         1
#define IG_KEYS_SCRYPT_LOGN_MIN  10             /* N = 1024 .. */
#define IG_KEYS_SCRYPT_LOGN_MAX  20             /* .. 1048576 */
#define IG_KEYS_SCRYPT_R_MAX     32
#define IG_KEYS_SCRYPT_P_MAX     16
#define IG_KEYS_SCRYPT_MEM_MAX   (256UL * 1024 * 1024) /* 128 * N * r bytes per check */
#define IG_KEYS_SCRYPT_WORK_MAX  (1UL << 22)    /* N * r * p (libscrypt's default is 2^21) */
#define IG_KEYS_CACHE_TTL_MS     60000          /* default life of a verified-token cache entry */
#define IG_KEYS_CACHE_TTL_MS_MAX (3600 * 1000)
#define IG_KEYS_CACHE_SIZE       1024           /* default verified-token cache entries */
#define IG_KEYS_CACHE_SIZE_MAX   65536

/* Rate and concurrency limits (ratelimit.c). Defaults the server config overrides. */
#define IG_RATELIMIT_PER_MINUTE  60             /* requests per key per minute (token refill) */
#define IG_RATELIMIT_BURST       60             /* bucket size: requests a key may send at once */
#define IG_RATELIMIT_RATE_MAX    1000000        /* highest rate or burst accepted in config */
#define IG_RATELIMIT_KEYS_TABLE  4096           /* key buckets kept (least recently used dropped) */
#define IG_AUTHFAIL_PER_MINUTE   10             /* failed authentications per address per minute */
#define IG_AUTHFAIL_TABLE        16384          /* addresses tracked (least recently used dropped) */
#define IG_RATELIMIT_TABLE_MAX   (1024 * 1024)  /* highest table size accepted in config */
#define IG_RATELIMIT_ID_MAX      64             /* bytes of a key id or address used as table key */
#define IG_CONC_GLOBAL           4              /* executions in flight, whole daemon */
#define IG_CONC_PER_KEY          2              /* executions in flight per key */
#define IG_CONC_MAX              1024           /* highest concurrency accepted in config */
#define IG_CONC_WAIT_MS          2000           /* wait for a free slot before answering 429 */
#define IG_CONC_WAIT_MS_MAX      30000
#define IG_CONC_RETRY_AFTER_S    1              /* Retry-After when no slot became free */

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

/* Templates (template.c): HTML pages rendered from JSON. */
#define IG_TEMPLATE_MAX_BYTES    (256 * 1024)   /* one template text */
#define IG_TEMPLATE_MAX_OPS      65536          /* compiled instructions in one template */
#define IG_TEMPLATE_MAX_DEPTH    32             /* sections nested in one template */
#define IG_TEMPLATE_TAG_MAX      256            /* one tag's name ({{a.b.c}}, {{> name}}) */
#define IG_TEMPLATE_DELIM_MAX    8              /* one delimiter set by {{=<% %>=}} */
#define IG_TEMPLATE_PARTIAL_DEPTH 16            /* partials rendered inside partials */
#define IG_TEMPLATE_INDENT_MAX   256            /* accumulated indentation of standalone partials */
#define IG_TEMPLATE_MAX_STEPS    (4L * 1000 * 1000) /* instructions executed per render */
#define IG_TEMPLATE_JSON_DEPTH   64             /* nesting shown when an object is interpolated */
#define IG_TEMPLATE_SET_MAX      64             /* templates in one set (templates/ directory) */
#define IG_TEMPLATE_SET_NAME_MAX 64             /* a template's name in a set */
#define IG_PAGE_MAX              (16 * 1024 * 1024) /* one rendered HTML page (the ig_buf max to use) */

/* Server configuration (config.c): defaults and bounds of ignite.yaml values.
 * Scrypt, key cache, rate and concurrency values use the IG_KEYS_*,
 * IG_RATELIMIT_*, IG_AUTHFAIL_* and IG_CONC_* constants above. */
#define IG_CONFIG_PATH_MAX       4095           /* a configured path, after resolution */
#define IG_CONFIG_SOCKET_PATH_MAX 107           /* sun_path holds 108 bytes with the NUL */
#define IG_CONFIG_ID_NAME_MAX    32             /* socket owner or group name */
#define IG_CONFIG_WORKERS_DEFAULT 8
#define IG_CONFIG_WORKERS_MAX    256
#define IG_CONFIG_GRACE_S_DEFAULT 30            /* SIGTERM: seconds for in-flight runs */
#define IG_CONFIG_GRACE_S_MAX    3600
#define IG_BODY_MAX_DEFAULT      (1024 * 1024)  /* request body bytes */
#define IG_CONFIG_BODY_MIN       1024
#define IG_CONFIG_BODY_MAX       (8 * 1024 * 1024)
#define IG_CONFIG_OUTPUT_MIN     1024
#define IG_CONFIG_OUTPUT_MAX     (IG_REPORT_MAX / 16) /* both streams, JSON-escaped (<= 6x), fit one report */
#define IG_CONFIG_PER_KEY_DEFAULT 4           /* executions per key (at most maxConcurrent) */
#define IG_CONFIG_WARM_POOL_MAX  64
#define IG_CONFIG_PIDS_MIN       16             /* runtimes start a dozen threads */
#define IG_CONFIG_RETAIN_RUNS_DEFAULT 10000
#define IG_CONFIG_RETAIN_RUNS_MAX 100000000
#define IG_CONFIG_RETAIN_DAYS_DEFAULT 30
#define IG_CONFIG_RETAIN_DAYS_MAX 36500
#define IG_CONFIG_SESSION_S_DEFAULT (12 * 3600)
#define IG_CONFIG_SESSION_S_MIN  60
#define IG_CONFIG_SESSION_S_MAX  (30 * 24 * 3600)

/* Ad-hoc runs, async jobs, webhooks and batches (adhoc.c, jobs.c, webhook.c).
 * *_DEFAULT values are what the sandbox: and async: sections of ignite.yaml
 * start from; the others are hard caps. */
#define IG_ADHOC_RUNTIMES_DEFAULT      "node,bun,deno" /* runtimes ad-hoc code may ask for */
#define IG_ADHOC_FILES_DEFAULT         64             /* files in one request */
#define IG_ADHOC_FILES_MAX             1000
#define IG_ADHOC_TOTAL_BYTES_DEFAULT   (512 * 1024)   /* decoded bytes of all files */
#define IG_ADHOC_FILE_BYTES_DEFAULT    (256 * 1024)   /* decoded bytes of one file */
#define IG_ADHOC_BYTES_MAX             (8 * 1024 * 1024) /* highest byte limit accepted in config */
#define IG_ADHOC_DEPTH_DEFAULT         8              /* path components of one file name */
#define IG_ADHOC_DEPTH_MAX             32
#define IG_ADHOC_NAME_MAX              255            /* one file name, the whole relative path */
#define IG_ADHOC_MEMORY_MB_DEFAULT     128            /* an ad-hoc run that names no memory */
#define IG_ADHOC_MAX_MEMORY_MB_DEFAULT 512
#define IG_ADHOC_TIMEOUT_MS_DEFAULT    10000          /* an ad-hoc run that names no timeout */
#define IG_ADHOC_MAX_TIMEOUT_MS_DEFAULT 30000
#define IG_ADHOC_MAX_CPUS_DEFAULT      1
#define IG_ADHOC_REPORT_FILE_MAX       (64 * 1024)    /* bytes of one submitted file kept in its report */
#define IG_ADHOC_REPORT_FILES_MAX      (256 * 1024)   /* bytes of all submitted files kept in a report */
#define IG_JOBS_QUEUE_DEFAULT          64             /* async runs waiting, whole daemon */
#define IG_JOBS_QUEUE_MAX              10000
#define IG_JOBS_WORKERS_DEFAULT        2              /* threads running async runs */
#define IG_JOBS_WORKERS_MAX            64
#define IG_JOBS_CANCEL_WAIT_MS         10000          /* DELETE waits this long for a running job to stop */
#define IG_JOBS_RECOVER_MAX            10000          /* runs checked at start for ones left queued/running */
#define IG_IDEM_KEY_MAX                255            /* bytes of an Idempotency-Key header */
#define IG_IDEM_TABLE                  4096           /* remembered keys (oldest dropped) */
#define IG_IDEM_TTL_S_DEFAULT          86400
#define IG_IDEM_TTL_S_MAX              (7 * 86400)
#define IG_BATCH_DEFAULT               20             /* requests in one POST /api/batch */
#define IG_BATCH_MAX                   100
#define IG_WEBHOOK_URL_MAX             2048           /* a callbackUrl */
#define IG_WEBHOOK_RETRIES_DEFAULT     3              /* attempts after the first */
#define IG_WEBHOOK_RETRIES_MAX         10
#define IG_WEBHOOK_TIMEOUT_MS_DEFAULT  5000           /* one delivery attempt, connect included */
#define IG_WEBHOOK_TIMEOUT_MS_MIN      100
#define IG_WEBHOOK_TIMEOUT_MS_MAX      60000
#define IG_WEBHOOK_BACKOFF_MS          1000           /* before the first retry; doubles after each */
#define IG_WEBHOOK_BACKOFF_MAX_MS      60000
#define IG_WEBHOOK_CIDRS_MAX           64             /* entries of async.callbackAllow */
#define IG_WEBHOOK_ADDRS_MAX           16             /* resolved addresses checked and pinned */
#define IG_WEBHOOK_RESPONSE_MAX        (16 * 1024)    /* bytes of a receiver's answer read */
#define IG_WEBHOOK_QUEUE_MAX           IG_JOBS_QUEUE_MAX /* deliveries waiting */

#endif
