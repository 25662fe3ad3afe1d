/* `security log ID`: the syscalls a container in seccomp audit mode needed
 * (the ones its profile would have denied), with counts, most used first. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "oci/cleanup.h"
#include "runtime/seccomp-audit.h"
#include "runtime/seccomp.h"
#include "security-json.h"

struct entry {
	char *name;
	unsigned long count;
};

static int by_count(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void entries_free(struct entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i].name);
	free(e);
}

static int count_lines(FILE *f, struct entry **out, size_t *n_out, struct volt_error *err)
{
	struct entry *e = NULL;
	size_t n = 0, cap = 0;
	char line[256];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!*line)
			continue;
		size_t i = 0;
		while (i < n && strcmp(e[i].name, line))
			i++;
		if (i == n) {
			if (n == cap) {
				cap = cap ? cap * 2 : 32;
				struct entry *ne = realloc(e, cap * sizeof *e);
				if (!ne) {
					entries_free(e, n);
					return volt_err(err, -ENOMEM, "security log");
				}
				e = ne;
			}
			e[n].name = strdup(line);
			e[n].count = 0;
			if (!e[n++].name) {
				entries_free(e, n - 1);
				return volt_err(err, -ENOMEM, "security log");
			}
		}
		e[i].count++;
	}
	qsort(e, n, sizeof *e, by_count);
	*out = e;
	*n_out = n;
	return 0;
}

int cli_security_log(struct volt_ctx *ctx, int argc, char **argv)
{
	bool json;
	int r = cli_security_parse_format(ctx, "log", argc, argv, 1, &json);
	if (r)
		return r < 0 ? 1 : 0;
	struct volt_error err = {0};
	_cleanup_container_ struct volt_container c;
	if (volt_container_open(ctx, argv[optind], &c, &err) < 0)
		return cli_fail(ctx, &err);
	int fd = openat(c.dirfd, VOLT_SECCOMP_LOG, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT && !volt_seccomp_audit_requested(&c.state.annotations))
			volt_err(&err, -ENOENT,
				 "container \"%s\" is not in seccomp audit mode "
				 "(annotation " VOLT_ANN_SECCOMP_AUDIT "=true and a linux.seccomp section)",
				 argv[optind]);
		else
			volt_err(&err, errno, "container \"%s\": %s", argv[optind], VOLT_SECCOMP_LOG);
		return cli_fail(ctx, &err);
	}
	_cleanup_fclose_ FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		volt_err(&err, errno, "container \"%s\": %s", argv[optind], VOLT_SECCOMP_LOG);
		return cli_fail(ctx, &err);
	}
	struct entry *e = NULL;
	size_t n = 0;
	if (count_lines(f, &e, &n, &err) < 0)
		return cli_fail(ctx, &err);
	if (json) {
		printf("{\"id\":\"%s\",\"syscalls\":[", c.state.id);
		for (size_t i = 0; i < n; i++)
			printf("%s{\"name\":\"%s\",\"count\":%lu}", i ? "," : "", e[i].name, e[i].count);
		puts("]}");
	} else {
		printf("%-24s %s\n", "SYSCALL", "COUNT");
		for (size_t i = 0; i < n; i++)
			printf("%-24s %lu\n", e[i].name, e[i].count);
	}
	entries_free(e, n);
	return 0;
}
