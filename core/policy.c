/* policy.c — the audit-mode security policy (DESIGN §4). */
#include "policy.h"
#include "buf.h"
#include "fs.h"
#include "bounds.h"
#include "yamldoc.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* In order of precedence: the first that exists is the policy. */
static const char *const policy_files[] = {
	"ignite.policy.yaml",
	"ignite.policy.yml",
	".ignite-policy.yaml",
	".ignite-policy.yml",
};

/* A command is a bare program name ("ls", looked up on PATH) or an
 * absolute path ("/usr/bin/ls"); relative paths with a '/' are ambiguous
 * about which directory they mean, so they are refused. */
static const char *
check_command(const char *s, size_t len)
{
	const char *p, *seg;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return "must not contain control characters";
	}
	if (s[0] != '/') {
		if (memchr(s, '/', len) != NULL)
			return "must be a command name (\"ls\") or an absolute path (\"/usr/bin/ls\")";
		if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
			return "must be a command name (\"ls\") or an absolute path (\"/usr/bin/ls\")";
		return NULL;
	}
	if (len == 1 || s[len - 1] == '/')
		return "must name a program, not a directory";
	for (p = s + 1; *p; ) {
		seg = p;
		while (*p && *p != '/')
			p++;
		if (p == seg || (p - seg == 1 && seg[0] == '.') ||
		    (p - seg == 2 && seg[0] == '.' && seg[1] == '.'))
			return "must be a normalised absolute path (no empty, '.' or '..' components)";
		if (*p == '/')
			p++;
	}
	return NULL;
}

#define POL(m) offsetof(struct ig_policy, m)

static const struct ig_yfield network_fields[] = {
	{ .key = "enabled", .type = IG_YT_BOOL, .offset = POL(network_enabled) },
	{ .key = NULL },
};

static const struct ig_yfield filesystem_fields[] = {
	{ .key = "readOnly", .type = IG_YT_BOOL, .offset = POL(fs_read_only) },
	{ .key = NULL },
};

static const struct ig_yfield process_fields[] = {
	{ .key = "allowSpawn", .type = IG_YT_BOOL, .offset = POL(allow_spawn) },
	{ .key = "allowedCommands", .type = IG_YT_STRING_LIST, .offset = POL(allowed_commands),
	  .count_offset = POL(allowed_commands_n), .max_items = IG_ALLOWED_COMMANDS_MAX,
	  .max_len = IG_ALLOWED_COMMAND_LEN, .check = check_command },
	{ .key = NULL },
};

static const struct ig_yfield security_fields[] = {
	{ .key = "network", .type = IG_YT_MAP, .fields = network_fields },
	{ .key = "filesystem", .type = IG_YT_MAP, .fields = filesystem_fields },
	{ .key = "process", .type = IG_YT_MAP, .fields = process_fields },
	{ .key = NULL },
};

static const struct ig_yfield root_fields[] = {
	{ .key = "security", .type = IG_YT_MAP, .fields = security_fields },
	{ .key = NULL },
};

struct ig_policy *
ig_policy_new_default(void)
{
	struct ig_policy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->network_enabled = false;
	p->fs_read_only = true;
	p->allow_spawn = false;
	return p;
}

void
ig_policy_free(struct ig_policy *p)
{
	if (p == NULL)
		return;
	ig_ydoc_release(root_fields, p);
	free(p->source);
	free(p);
}

int
ig_policy_parse(const char *text, size_t len, const char *file,
    struct ig_policy **out, struct ig_diags *diags, struct ig_err *err)
{
	struct ig_policy *p = NULL;
	struct ig_ydoc *doc = NULL;
	size_t problems;
	int rc = -1;

	*out = NULL;
	if (file == NULL)
		file = policy_files[0];
	if ((p = ig_policy_new_default()) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	if (ig_ydoc_parse(text, len, file, &doc, diags, err) != 0)
		goto out;
	problems = ig_ydoc_apply(doc->root, root_fields, "", 0, file, p, diags);
	if (problems > 0) {
		ig_err_set(err, IG_EINVAL, "%s: invalid policy (%zu problem%s)", file, problems,
		    problems == 1 ? "" : "s");
		goto out;
	}
	if ((p->source = strdup(file)) == NULL) {
		ig_err_set(err, IG_ENOMEM, "out of memory");
		goto out;
	}
	*out = p;
	p = NULL;
	rc = 0;
out:
	ig_ydoc_free(doc);
	ig_policy_free(p);
	return rc;
}

int
ig_policy_load(const char *dir, struct ig_policy **out,
    struct ig_diags *diags, struct ig_err *err)
{
	struct ig_buf text;
	struct stat st;
	const char *name = NULL;
	size_t i;
	int dirfd = -1, rc = -1;

	*out = NULL;
	ig_buf_init(&text, IG_YAML_MAX_BYTES);
	if ((dirfd = ig_fs_open_dir(dir, err)) < 0)
		goto out;
	for (i = 0; i < sizeof(policy_files) / sizeof(policy_files[0]); i++) {
		/* lstat semantics: a symlink (even a dangling or escaping one)
		 * counts as present, so it is refused below instead of being
		 * silently skipped in favour of the next name or the defaults. */
		if (fstatat(dirfd, policy_files[i], &st, AT_SYMLINK_NOFOLLOW) == 0) {
			name = policy_files[i];
			break;
		}
		if (errno != ENOENT) {
			ig_err_sys(err, IG_EIO, "%s: %s", dir, policy_files[i]);
			goto out;
		}
	}
	if (name == NULL) {
		if ((*out = ig_policy_new_default()) == NULL) {
			ig_err_set(err, IG_ENOMEM, "out of memory");
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (ig_fs_read_beneath(dirfd, name, &text, err) != 0) {
		if (err != NULL && err->code == IG_ETOOBIG) {
			ig_diags_add(diags, name, 0, "file is larger than %d bytes", IG_YAML_MAX_BYTES);
			ig_err_set(err, IG_EINVAL, "%s: invalid policy (1 problem)", name);
		} else {
			ig_err_prefix(err, "%s", dir);
		}
		goto out;
	}
	rc = ig_policy_parse(text.data ? text.data : "", text.len, name, out, diags, err);
out:
	if (dirfd >= 0)
		close(dirfd);
	ig_buf_free(&text);
	return rc;
}

struct json_object *
ig_policy_to_json(const struct ig_policy *p)
{
	struct json_object *root = json_object_new_object();
	struct json_object *net = json_object_new_object();
	struct json_object *fs = json_object_new_object();
	struct json_object *proc = json_object_new_object();
	struct json_object *cmds = json_object_new_array();
	bool ok = root && net && fs && proc && cmds;
	size_t i;

	if (ok) {
		ok = json_object_object_add(net, "enabled",
		    json_object_new_boolean(p->network_enabled)) == 0 &&
		    json_object_object_add(fs, "readOnly",
		    json_object_new_boolean(p->fs_read_only)) == 0 &&
		    json_object_object_add(proc, "allowSpawn",
		    json_object_new_boolean(p->allow_spawn)) == 0;
	}
	for (i = 0; ok && i < p->allowed_commands_n; i++) {
		struct json_object *s = json_object_new_string(p->allowed_commands[i]);

		if (s == NULL || json_object_array_add(cmds, s) != 0) {
			json_object_put(s);
			ok = false;
		}
	}
	/* Ownership moves into the parent at each add. */
	if (ok && json_object_object_add(proc, "allowedCommands", cmds) == 0)
		cmds = NULL;
	else
		ok = false;
	if (ok && json_object_object_add(root, "network", net) == 0)
		net = NULL;
	else
		ok = false;
	if (ok && json_object_object_add(root, "filesystem", fs) == 0)
		fs = NULL;
	else
		ok = false;
	if (ok && json_object_object_add(root, "process", proc) == 0)
		proc = NULL;
	else
		ok = false;
	json_object_put(cmds);
	json_object_put(net);
	json_object_put(fs);
	json_object_put(proc);
	if (!ok) {
		json_object_put(root);
		return NULL;
	}
	return root;
}
