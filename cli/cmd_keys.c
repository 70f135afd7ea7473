/* cmd_keys.c — `ignite keys add|list|revoke`: API keys for ignite-fcgi. */
#include "cli.h"
#include "keys.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void
help(const char *sub)
{
	if (sub != NULL && strcmp(sub, "add") == 0) {
		printf("usage: ignite keys add <name> [--scope read|execute|admin] [--file F] [--json]\n"
		    "\n"
		    "Creates an API key and prints it once on stdout: ign_<id>_<secret>, where\n"
		    "<id> is 12 hex digits (public, shown in lists and logs) and <secret> 43\n"
		    "base64url characters (256 random bits). Only a scrypt hash is stored, so\n"
		    "the key cannot be shown again: copy it now.\n"
		    "\n"
		    "  -s, --scope S  read (GET endpoints), execute (+ run services) or admin\n"
		    "                 (everything); default execute\n"
		    "  -f, --file F   the keys file (see `ignite keys --help`)\n"
		    "      --json     print {\"id\",\"name\",\"scope\",\"created\",\"key\"} instead\n"
		    "  -h, --help     show this help\n"
		    "\n"
		    "<name> is 1..%d of [A-Za-z0-9._@-], starting with a letter or digit.\n"
		    "Exit status: 0; 1 when the keys file cannot be used; 2 for a usage error.\n",
		    IG_KEYS_NAME_MAX);
	} else if (sub != NULL && strcmp(sub, "list") == 0) {
		printf("usage: ignite keys list [--file F] [--json]\n"
		    "\n"
		    "Lists the keys of the keys file, revoked ones included: id, name, scope,\n"
		    "creation and revocation time. Never shows secrets or hashes.\n"
		    "\n"
		    "  -f, --file F   the keys file (see `ignite keys --help`)\n"
		    "      --json     print {\"keys\":[{\"id\",\"name\",\"scope\",\"created\",\"revoked\"}]}\n"
		    "  -h, --help     show this help\n"
		    "\n"
		    "Exit status: 0; 1 when the keys file is missing or cannot be used.\n");
	} else if (sub != NULL && strcmp(sub, "revoke") == 0) {
		printf("usage: ignite keys revoke <id> [--file F]\n"
		    "\n"
		    "Marks key <id> revoked; its entry stays in the file for the record. A\n"
		    "running ignite-fcgi refuses the key as soon as it reloads its keys\n"
		    "(SIGHUP, e.g. `systemctl reload ignite-fcgi`).\n"
		    "\n"
		    "  -f, --file F   the keys file (see `ignite keys --help`)\n"
		    "  -h, --help     show this help\n"
		    "\n"
		    "Exit status: 0; 1 for an unknown or already revoked id, or a keys file\n"
		    "that cannot be used; 2 for a usage error.\n");
	} else {
		printf("usage: ignite keys add <name> [--scope S] [--file F] [--json]\n"
		    "       ignite keys list [--file F] [--json]\n"
		    "       ignite keys revoke <id> [--file F]\n"
		    "\n"
		    "Manages the API keys ignite-fcgi accepts (Authorization: Bearer <key>).\n"
		    "Run 'ignite keys <command> --help' for details.\n"
		    "\n"
		    "The keys file is JSON, mode 0600, replaced atomically on every change.\n"
		    "It is --file F, else $IGNITE_KEYS_FILE, else $XDG_CONFIG_HOME/ignite/keys,\n"
		    "else ~/.config/ignite/keys (created 0700 by `add` when missing). Point\n"
		    "it at the file ignite-fcgi's configuration names (keysFile). The file is\n"
		    "refused when it is a symlink, readable by others or writable by anyone\n"
		    "but its owner, or owned by a user other than root or you.\n");
	}
}

/* The keys file: --file, $IGNITE_KEYS_FILE, $XDG_CONFIG_HOME/ignite/keys,
 * ~/.config/ignite/keys, /etc/ignite/keys. *is_default is set for the two
 * per-user defaults, whose directories `add` may create. */
static const char *
keys_file(const char *flag, char *buf, size_t len, int *is_default)
{
	const char *v;

	*is_default = 0;
	if (flag != NULL)
		return flag;
	if ((v = getenv("IGNITE_KEYS_FILE")) != NULL && *v)
		return v;
	*is_default = 1;
	if ((v = getenv("XDG_CONFIG_HOME")) != NULL && *v == '/') {
		snprintf(buf, len, "%s/ignite/keys", v);
		return buf;
	}
	if ((v = getenv("HOME")) != NULL && *v == '/') {
		snprintf(buf, len, "%s/.config/ignite/keys", v);
		return buf;
	}
	*is_default = 0;
	return "/etc/ignite/keys";
}

/* Creates the directories of a per-user default keys file (0700); an
 * existing directory is fine. */
static void
make_default_dirs(const char *file)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", file);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return;
	if (errno == ENOENT && (slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		(void)mkdir(dir, 0700);          /* ~/.config */
		*slash = '/';
		(void)mkdir(dir, 0700);
	}
}

/* Prints a core error as one line that names the file (core messages about
 * the file already start with it), with an optional hint at the end. */
static void
print_file_err(const char *file, const struct ig_err *err, const char *hint)
{
	const char *msg = err->msg[0] ? err->msg : "unknown error";
	size_t n = strlen(file);

	if (strncmp(msg, file, n) == 0 && msg[n] == ':')
		fprintf(stderr, "ignite: %s%s\n", msg, hint ? hint : "");
	else
		ig_cli_error(file, "%s%s", msg, hint ? hint : "");
}

static int
json_print(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);

	if (s == NULL) {
		ig_cli_error(NULL, "out of memory");
		return IG_EXIT_FAIL;
	}
	printf("%s\n", s);
	return IG_EXIT_OK;
}

static struct json_object *
info_json(const struct ig_key_info *k)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	json_object_object_add(o, "id", json_object_new_string(k->id));
	json_object_object_add(o, "name", json_object_new_string(k->name));
	json_object_object_add(o, "scope", json_object_new_string(ig_keys_scope_name(k->scope)));
	json_object_object_add(o, "created", json_object_new_string(k->created));
	json_object_object_add(o, "revoked", k->revoked[0]
	    ? json_object_new_string(k->revoked) : json_object_new_boolean(0));
	return o;
}

static int
do_add(const char *file, int is_default, const char *name, const char *scope_name, int json)
{
	struct ig_key_info info;
	struct ig_err err = { 0 };
	struct json_object *o;
	enum ig_key_scope scope = IG_KEY_SCOPE_EXECUTE;
	char token[IG_KEYS_TOKEN_LEN + 1];
	int rc;

	if (scope_name != NULL && ig_keys_scope_parse(scope_name, &scope, &err) != 0)
		return ig_cli_usage_error("keys add", "%s, not '%s'", err.msg, scope_name);
	if (!ig_keys_name_ok(name))
		return ig_cli_usage_error("keys add",
		    "key name must be 1..%d of [A-Za-z0-9._@-], starting with a letter or digit",
		    IG_KEYS_NAME_MAX);
	if (is_default)
		make_default_dirs(file);
	if (ig_keys_add(file, name, scope, NULL, token, &info, &err) != 0) {
		print_file_err(file, &err, NULL);
		return IG_EXIT_FAIL;
	}
	if (json) {
		if ((o = info_json(&info)) == NULL) {
			OPENSSL_cleanse(token, sizeof(token));
			ig_cli_error(NULL, "out of memory");
			return IG_EXIT_FAIL;
		}
		json_object_object_del(o, "revoked");
		json_object_object_add(o, "key", json_object_new_string(token));
		rc = json_print(o);
		json_object_put(o);
	} else {
		printf("%s\n", token);
		rc = IG_EXIT_OK;
	}
	OPENSSL_cleanse(token, sizeof(token));
	fflush(stdout);
	fprintf(stderr,
	    "Created API key %s \"%s\" (scope %s) in %s.\n"
	    "This is the only time the key is shown: it is stored only as a hash and cannot\n"
	    "be shown again. Copy it now (revoke it with `ignite keys revoke %s`).\n",
	    info.id, info.name, ig_keys_scope_name(info.scope), file, info.id);
	return rc;
}

static int
do_list(const char *file, int json)
{
	struct ig_key_info *v = NULL;
	struct ig_err err = { 0 };
	struct json_object *root, *arr, *o;
	size_t i, n = 0, w = 4;
	int rc = IG_EXIT_FAIL;

	if (ig_keys_list(file, &v, &n, &err) != 0) {
		print_file_err(file, &err, err.code == IG_ENOENT
		    ? " (create it with `ignite keys add <name>`)" : NULL);
		return IG_EXIT_FAIL;
	}
	if (json) {
		root = json_object_new_object();
		arr = json_object_new_array();
		if (root == NULL || arr == NULL) {
			json_object_put(root);
			json_object_put(arr);
			ig_cli_error(NULL, "out of memory");
			goto out;
		}
		json_object_object_add(root, "keys", arr);
		for (i = 0; i < n; i++) {
			if ((o = info_json(&v[i])) == NULL || json_object_array_add(arr, o) != 0) {
				json_object_put(o);
				json_object_put(root);
				ig_cli_error(NULL, "out of memory");
				goto out;
			}
		}
		rc = json_print(root);
		json_object_put(root);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (strlen(v[i].name) > w)
			w = strlen(v[i].name);
	printf("%-12s  %-*s  %-7s  %-24s  %s\n", "ID", (int)w, "NAME", "SCOPE", "CREATED", "REVOKED");
	for (i = 0; i < n; i++)
		printf("%-12s  %-*s  %-7s  %-24s  %s\n", v[i].id, (int)w, v[i].name,
		    ig_keys_scope_name(v[i].scope), v[i].created, v[i].revoked[0] ? v[i].revoked : "-");
	if (n == 0)
		fprintf(stderr, "%s: no keys yet (add one with `ignite keys add <name>`)\n", file);
	rc = IG_EXIT_OK;
out:
	free(v);
	return rc;
}

static int
do_revoke(const char *file, const char *id)
{
	struct ig_key_info info;
	struct ig_err err = { 0 };

	if (ig_keys_revoke(file, id, &info, &err) != 0) {
		if (err.code == IG_EINVAL)
			return ig_cli_usage_error("keys revoke", "%s", err.msg);
		print_file_err(file, &err, NULL);
		return IG_EXIT_FAIL;
	}
	printf("Revoked key %s \"%s\" in %s at %s.\n", info.id, info.name, file, info.revoked);
	printf("A running ignite-fcgi refuses it after its next reload (SIGHUP).\n");
	return IG_EXIT_OK;
}

int
ig_cmd_keys(int argc, char **argv)
{
	enum { O_JSON = 256 };
	static const struct option opts[] = {
		{ "scope", required_argument, NULL, 's' },
		{ "file",  required_argument, NULL, 'f' },
		{ "json",  no_argument,       NULL, O_JSON },
		{ "help",  no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *scope = NULL, *flag_file = NULL, *file, *sub;
	char buf[4096];
	int c, json = 0, want_help = 0, is_default, nargs;

	/* Options may stand anywhere after "keys": getopt moves the operands
	 * (the command and its argument) to the end. */
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': scope = optarg; break;
		case 'f': flag_file = optarg; break;
		case O_JSON: json = 1; break;
		case 'h': want_help = 1; break;
		default:  return ig_cli_usage_error("keys", "invalid option");
		}
	}
	sub = optind < argc ? argv[optind] : NULL;
	nargs = argc - optind - 1;
	if (want_help) {
		help(sub);
		return IG_EXIT_OK;
	}
	if (sub == NULL)
		return ig_cli_usage_error("keys", "expected a command: add, list or revoke");
	if (flag_file != NULL && *flag_file == '\0')
		return ig_cli_usage_error("keys", "--file needs a path");
	file = keys_file(flag_file, buf, sizeof(buf), &is_default);

	if (strcmp(sub, "add") == 0) {
		if (nargs != 1)
			return ig_cli_usage_error("keys add", "expected one key name");
		return do_add(file, is_default, argv[optind + 1], scope, json);
	}
	if (scope != NULL)
		return ig_cli_usage_error(strcmp(sub, "list") == 0 ? "keys list" : "keys",
		    "--scope is only for `keys add`");
	if (strcmp(sub, "list") == 0) {
		if (nargs != 0)
			return ig_cli_usage_error("keys list", "takes no arguments");
		return do_list(file, json);
	}
	if (strcmp(sub, "revoke") == 0) {
		if (json)
			return ig_cli_usage_error("keys revoke", "--json is not supported here");
		if (nargs != 1)
			return ig_cli_usage_error("keys revoke", "expected one key id");
		return do_revoke(file, argv[optind + 1]);
	}
	return ig_cli_usage_error("keys", "unknown command '%s' (add, list or revoke)", sub);
}
