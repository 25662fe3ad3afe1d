/* `volt-run security profile create NAME ...`: write a Landlock profile, the
 * same object as process.landlock, from allow-lists of paths.
 *
 * Each kind of flag makes its rights handled, so only what a flag mentions
 * is restricted: --allow-write alone leaves reads free. --deny-execute makes
 * execute handled without granting it beneath those paths; since Landlock
 * only ever grants, execution is then allowed beneath the --allow-execute
 * paths and nowhere else. A deny path beneath an allow path cannot be
 * honoured (a right granted on a directory covers all below it), so that is
 * an error; an allow path beneath a deny path is fine (/opt denied, /opt/bin
 * allowed). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>

#include "cli.h"
#include "oci/cleanup.h"
#include "oci/landlock.h"

enum { LIST_READ, LIST_WRITE, LIST_EXEC, LIST_DENY_EXEC, LIST__COUNT };

static const char *const list_flag[LIST__COUNT] = {"--allow-read", "--allow-write", "--allow-execute",
						   "--deny-execute"};

#define READ_RIGHTS (VOLT_LL_FS_READ_FILE | VOLT_LL_FS_READ_DIR)
/* Device nodes and device ioctls are not "writing": never granted here. */
#define WRITE_RIGHTS                                                                                         \
	(VOLT_LL_FS_WRITE_FILE | VOLT_LL_FS_REMOVE_DIR | VOLT_LL_FS_REMOVE_FILE | VOLT_LL_FS_MAKE_DIR |      \
	 VOLT_LL_FS_MAKE_REG | VOLT_LL_FS_MAKE_SOCK | VOLT_LL_FS_MAKE_FIFO | VOLT_LL_FS_MAKE_SYM |           \
	 VOLT_LL_FS_REFER | VOLT_LL_FS_TRUNCATE)

struct path_list {
	char **v;
	size_t n;
};

static void path_lists_free(struct path_list (*lists)[LIST__COUNT])
{
	struct path_list *l = *lists;
	for (size_t k = 0; k < LIST__COUNT; k++) {
		for (size_t i = 0; i < l[k].n; i++)
			free(l[k].v[i]);
		free(l[k].v);
	}
}

/* Split "a,b" onto the list; every item must be an absolute path. */
static int add_paths(struct path_list *l, const char *flag, const char *arg, struct volt_error *err)
{
	const char *s = arg;
	for (;;) {
		size_t len = strcspn(s, ",");
		if (len == 0 || s[0] != '/')
			return volt_err(err, -EINVAL, "%s \"%s\": expected comma-separated absolute paths",
					flag, arg);
		char **v = realloc(l->v, (l->n + 1) * sizeof *v);
		if (!v)
			return volt_err(err, ENOMEM, "%s", flag);
		l->v = v;
		/* "/data/" and "/data" are the same directory for the checks below. */
		while (len > 1 && s[len - 1] == '/')
			len--;
		if (!(l->v[l->n] = strndup(s, len)))
			return volt_err(err, ENOMEM, "%s", flag);
		l->n++;
		s += strcspn(s, ",");
		if (!*s)
			return 0;
		s++;
	}
}

static int beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (strcmp(dir, "/") == 0)
		return 1;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int check_deny(const struct path_list *l, struct volt_error *err)
{
	const struct path_list *deny = &l[LIST_DENY_EXEC], *allow = &l[LIST_EXEC];
	if (deny->n && !allow->n)
		return volt_err(err, -EINVAL,
				"--deny-execute needs --allow-execute: Landlock only grants, so execution is "
				"allowed beneath the --allow-execute paths and nowhere else");
	for (size_t i = 0; i < deny->n; i++)
		for (size_t j = 0; j < allow->n; j++)
			if (beneath(deny->v[i], allow->v[j]))
				return volt_err(
				    err, -EINVAL,
				    "--deny-execute %s is beneath --allow-execute %s: Landlock cannot take "
				    "back a right granted on a directory above",
				    deny->v[i], allow->v[j]);
	return 0;
}

#define G(call)                                                                                              \
	do {                                                                                                 \
		if ((call) != yajl_gen_status_ok)                                                            \
			return -1;                                                                           \
	} while (0)

static int gen_str(yajl_gen g, const char *s)
{
	return yajl_gen_string(g, (const unsigned char *)s, strlen(s)) == yajl_gen_status_ok ? 0 : -1;
}

static int gen_access(yajl_gen g, uint64_t mask)
{
	G(yajl_gen_array_open(g));
	for (int b = 0; b < 64; b++) {
		const char *name = oci_landlock_access_name(OCI_LANDLOCK_FS, 1ULL << b);
		if ((mask >> b & 1) && name && gen_str(g, name) < 0)
			return -1;
	}
	G(yajl_gen_array_close(g));
	return 0;
}

static int gen_rule(yajl_gen g, uint64_t mask, const struct path_list *l)
{
	if (!l->n)
		return 0;
	G(yajl_gen_map_open(g));
	if (gen_str(g, "allowedAccess") < 0 || gen_access(g, mask) < 0 || gen_str(g, "paths") < 0)
		return -1;
	G(yajl_gen_array_open(g));
	for (size_t i = 0; i < l->n; i++)
		if (gen_str(g, l->v[i]) < 0)
			return -1;
	G(yajl_gen_array_close(g));
	G(yajl_gen_map_close(g));
	return 0;
}

static int gen_profile(yajl_gen g, const struct path_list *l)
{
	uint64_t handled = (l[LIST_READ].n ? READ_RIGHTS : 0) | (l[LIST_WRITE].n ? WRITE_RIGHTS : 0) |
			   (l[LIST_EXEC].n || l[LIST_DENY_EXEC].n ? VOLT_LL_FS_EXECUTE : 0);
	G(yajl_gen_map_open(g));
	if (gen_str(g, "handledAccess") < 0)
		return -1;
	G(yajl_gen_map_open(g));
	if (gen_str(g, "handledAccessFS") < 0 || gen_access(g, handled) < 0)
		return -1;
	G(yajl_gen_map_close(g));
	if (gen_str(g, "rules") < 0)
		return -1;
	G(yajl_gen_map_open(g));
	if (gen_str(g, "pathBeneath") < 0)
		return -1;
	G(yajl_gen_array_open(g));
	if (gen_rule(g, READ_RIGHTS, &l[LIST_READ]) < 0 || gen_rule(g, WRITE_RIGHTS, &l[LIST_WRITE]) < 0 ||
	    gen_rule(g, VOLT_LL_FS_EXECUTE, &l[LIST_EXEC]) < 0)
		return -1;
	G(yajl_gen_array_close(g));
	G(yajl_gen_map_close(g));
	if (gen_str(g, "enableBestEffort") < 0)
		return -1;
	G(yajl_gen_bool(g, 1));
	G(yajl_gen_map_close(g));
	return 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int emit(const struct path_list *l, const char *output, struct volt_error *err)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	if (!g)
		return volt_err(err, ENOMEM, "profile");
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	const unsigned char *buf;
	size_t len;
	int r = gen_profile(g, l) < 0 || yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok
		    ? volt_err(err, ENOMEM, "profile: cannot generate JSON")
		    : 0;
	if (r == 0) {
		_cleanup_close_ int fd = output ? open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
						: dup(STDOUT_FILENO);
		if (fd < 0 || write_all(fd, buf, len) < 0 ||
		    (len && buf[len - 1] != '\n' && write_all(fd, "\n", 1) < 0))
			r = volt_err(err, errno, "%s", output ? output : "stdout");
	}
	yajl_gen_free(g);
	return r;
}

static int valid_name(const char *s)
{
	if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == strlen(s);
}

static const char usage[] =
    "security profile create NAME [--allow-read PATHS] [--allow-write PATHS] [--allow-execute PATHS]\n"
    "                         [--deny-execute PATHS] [--output FILE]\n\n"
    "Write a Landlock profile (the object of process.landlock) to stdout or FILE.\n"
    "PATHS are comma-separated absolute container paths; each flag may be repeated.\n"
    "Only the kinds of access a flag mentions are restricted:\n"
    "  --allow-read      read files and list directories only beneath PATHS\n"
    "  --allow-write     create, write, truncate, rename and remove only beneath PATHS\n"
    "  --allow-execute   execute only beneath PATHS\n"
    "  --deny-execute    no execute beneath PATHS; needs --allow-execute (Landlock only grants),\n"
    "                    and must not lie beneath one of its paths\n"
    "  -o, --output FILE write FILE instead of stdout";

static const struct volt_command cmd_profile = {
    .name = "security profile", .summary = "write a Landlock profile JSON", .usage = usage};

static int profile_create(struct volt_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"allow-read", required_argument, NULL, 'r'},
					     {"allow-write", required_argument, NULL, 'w'},
					     {"allow-execute", required_argument, NULL, 'x'},
					     {"deny-execute", required_argument, NULL, 'X'},
					     {"output", required_argument, NULL, 'o'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	_cleanup_(path_lists_free) struct path_list lists[LIST__COUNT] = {{0}};
	const char *output = NULL;
	struct volt_error err = {0};
	int ch;
	while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		int k = ch == 'r'   ? LIST_READ
			: ch == 'w' ? LIST_WRITE
			: ch == 'x' ? LIST_EXEC
			: ch == 'X' ? LIST_DENY_EXEC
				    : -1;
		if (k >= 0) {
			if (add_paths(&lists[k], list_flag[k], optarg, &err) < 0)
				return cli_usage_error(ctx, &cmd_profile, "%s", err.msg);
		} else if (ch == 'o') {
			output = optarg;
		} else if (ch == 'h') {
			return cli_help(&cmd_profile);
		} else {
			return cli_usage_error(ctx, &cmd_profile, "invalid option");
		}
	}
	if (!cli_want_args(ctx, &cmd_profile, argc, argv, 1, 1))
		return 1;
	if (!valid_name(argv[optind]))
		return cli_usage_error(ctx, &cmd_profile,
				       "profile name \"%s\": use letters, digits, '_', '.', '-'",
				       argv[optind]);
	if (!lists[LIST_READ].n && !lists[LIST_WRITE].n && !lists[LIST_EXEC].n && !lists[LIST_DENY_EXEC].n)
		return cli_usage_error(ctx, &cmd_profile,
				       "nothing to restrict: give at least one --allow-*/--deny-* flag");
	if (check_deny(lists, &err) < 0)
		return cli_usage_error(ctx, &cmd_profile, "%s", err.msg);
	if (emit(lists, output, &err) < 0)
		return cli_fail(ctx, &err);
	return 0;
}

int cli_security_profile(struct volt_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return cli_help(&cmd_profile);
	if (argc < 2)
		return cli_usage_error(ctx, &cmd_profile, "missing subcommand (create)");
	if (strcmp(argv[1], "create") != 0)
		return cli_usage_error(ctx, &cmd_profile, "unknown subcommand \"%s\"", argv[1]);
	optind = 0;
	return profile_create(ctx, argc - 1, argv + 1);
}
