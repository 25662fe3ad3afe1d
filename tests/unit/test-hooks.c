/* Hooks: state on stdin, exact argv/env, fds closed, error texts for each
 * failure kind, timeouts, the warn variant, and a hook ignoring a big stdin. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/hooks.h"
#include "tap.h"

static char dir[] = "/tmp/volt-test-hooks-XXXXXX";

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 1 << 20, n;
	char *b = malloc(cap + 1);
	n = fread(b, 1, cap, f);
	b[n] = '\0';
	fclose(f);
	return b;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A hook from NULL-terminated args/env (either may be NULL). */
static struct oci_hook mk(const char *path, char **args, char **env, int timeout)
{
	struct oci_hook h = {.path = (char *)path, .has_timeout = timeout > 0, .timeout = timeout};
	for (h.args.v = args; args && args[h.args.n];)
		h.args.n++;
	for (h.env.v = env; env && env[h.env.n];)
		h.env.n++;
	return h;
}

static int run1(struct oci_hook *h, enum oci_hook_kind k, const char *state, struct volt_error *err)
{
	struct oci_hook_list l = {.v = h, .n = 1};
	return volt_hooks_run(&l, k, state, err);
}

/* Run with fd 1 sent to a file, to see what a hook prints. */
static int run_capture(struct oci_hook *h, const char *state, const char *out, struct volt_error *err)
{
	fflush(stdout);
	int saved = fcntl(1, F_DUPFD_CLOEXEC, 10);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 1);
	close(fd);
	int r = run1(h, OCI_HOOK_PRESTART, state, err);
	dup2(saved, 1);
	close(saved);
	return r;
}

static void write_script(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, 0755);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("1..0 # skip mkdtemp failed\n");
		return 1;
	}
	char p1[256], p2[256], p3[256], cmd[1024];
	struct volt_error err = {0};
	const char *state = "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":42}";

	/* stdin and argv (argv[0] taken from args[0]) */
	snprintf(p1, sizeof p1, "%s/stdin", dir);
	snprintf(cmd, sizeof cmd, "cat > %s/stdin; tr '\\0' '|' < /proc/$$/cmdline > %s/argv", dir, dir);
	char *a1[] = {"custom0", "-c", cmd, NULL};
	struct oci_hook h = mk("/bin/sh", a1, NULL, 0);
	int r = run1(&h, OCI_HOOK_CREATE_RUNTIME, state, &err);
	char *s = slurp(p1);
	check(r == 0 && s && strcmp(s, state) == 0, "hook reads the exact state on stdin");
	free(s);
	snprintf(p2, sizeof p2, "%s/argv", dir);
	s = slurp(p2);
	char want[1200];
	snprintf(want, sizeof want, "custom0|-c|%s|", cmd);
	check(s && strcmp(s, want) == 0, "hook argv is exactly args, argv[0] = args[0]");
	free(s);

	/* env: exactly the hook's, nothing inherited */
	setenv("VOLT_TEST_LEAK", "1", 1);
	char *a2[] = {"env", NULL};
	char *e2[] = {"A=1", "B=x y", NULL};
	h = mk("/usr/bin/env", a2, e2, 0);
	snprintf(p1, sizeof p1, "%s/env.out", dir);
	r = run_capture(&h, state, p1, &err);
	s = slurp(p1);
	check(r == 0 && s && strcmp(s, "A=1\nB=x y\n") == 0, "hook env is exactly its env; stdout inherited");
	free(s);
	h = mk("/usr/bin/env", NULL, NULL, 0);
	r = run_capture(&h, state, p1, &err);
	s = slurp(p1);
	check(r == 0 && s && s[0] == '\0', "no env: empty environment");
	free(s);
	/* sh without arguments runs its stdin: the state here is a script */
	snprintf(p2, sizeof p2, "%s/argv0", dir);
	snprintf(cmd, sizeof cmd, "tr '\\0' '|' < /proc/$$/cmdline > %s\n", p2);
	h = mk("/bin/sh", NULL, NULL, 0);
	r = run1(&h, OCI_HOOK_PRESTART, cmd, &err);
	s = slurp(p2);
	check(r == 0 && s && strcmp(s, "/bin/sh|") == 0, "no args: argv is just the path");
	free(s);

	/* fds: a leaked non-CLOEXEC fd must not reach the hook */
	int leak = open("/dev/null", O_RDONLY);
	char *a3[] = {"ls", "/proc/self/fd", NULL};
	h = mk("/bin/ls", a3, NULL, 0);
	r = run_capture(&h, state, p1, &err);
	s = slurp(p1);
	check(r == 0 && s && strcmp(s, "0\n1\n2\n3\n") == 0, "hook gets only fds 0-2 (3 is ls' own dir)");
	free(s);
	close(leak);

	/* failures: index, kind and path in the message */
	snprintf(p1, sizeof p1, "%s/fail.sh", dir);
	write_script(p1, "exit 2");
	struct oci_hook two[2] = {mk("/bin/true", NULL, NULL, 0), mk(p1, NULL, NULL, 0)};
	struct oci_hook_list l2 = {.v = two, .n = 2};
	r = volt_hooks_run(&l2, OCI_HOOK_CREATE_RUNTIME, state, &err);
	snprintf(want, sizeof want, "hooks.createRuntime[1] (%s): exited with status 2", p1);
	check(r < 0 && strcmp(err.msg, want) == 0,
	      "non-zero exit: hooks.createRuntime[1] (...): exited with status 2");

	snprintf(p2, sizeof p2, "%s/sig.sh", dir);
	write_script(p2, "kill -9 $$");
	h = mk(p2, NULL, NULL, 0);
	r = run1(&h, OCI_HOOK_START_CONTAINER, state, &err);
	snprintf(want, sizeof want, "hooks.startContainer[0] (%s): killed by signal 9", p2);
	check(r < 0 && strcmp(err.msg, want) == 0, "signal: killed by signal 9");

	h = mk("/nonexistent/hook", NULL, NULL, 0);
	r = run1(&h, OCI_HOOK_PRESTART, state, &err);
	check(
	    r < 0 &&
		strcmp(err.msg,
		       "hooks.prestart[0] (/nonexistent/hook): cannot execute: No such file or directory") ==
		    0,
	    "missing binary: cannot execute: No such file or directory");
	snprintf(p3, sizeof p3, "%s/noexec", dir);
	write_script(p3, "true");
	chmod(p3, 0644);
	h = mk(p3, NULL, NULL, 0);
	r = run1(&h, OCI_HOOK_PRESTART, state, &err);
	check(r < 0 && strstr(err.msg, "cannot execute: Permission denied"),
	      "non-executable: Permission denied");

	/* timeout */
	char *a4[] = {"sleep", "10", NULL};
	h = mk("/bin/sleep", a4, NULL, 1);
	double t0 = now();
	r = run1(&h, OCI_HOOK_POSTSTART, state, &err);
	double dt = now() - t0;
	check(r < 0 && strcmp(err.msg, "hooks.poststart[0] (/bin/sleep): timed out after 1 s") == 0 &&
		  dt >= 0.9 && dt < 1.5,
	      "timeout 1 s kills sleep 10 within 1.5 s");
	char *a5[] = {"sleep", "0.2", NULL};
	h = mk("/bin/sleep", a5, NULL, 5);
	r = run1(&h, OCI_HOOK_POSTSTART, state, &err);
	check(r == 0, "a hook within its timeout succeeds");

	/* the first failure stops volt_hooks_run; the warn variant goes on */
	snprintf(p2, sizeof p2, "%s/marker", dir);
	char *a6[] = {"touch", p2, NULL};
	struct oci_hook three[2] = {mk(p1, NULL, NULL, 0), mk("/usr/bin/touch", a6, NULL, 0)};
	struct oci_hook_list l3 = {.v = three, .n = 2};
	r = volt_hooks_run(&l3, OCI_HOOK_PRESTART, state, &err);
	check(r < 0 && access(p2, F_OK) != 0, "volt_hooks_run stops at the first failure");
	snprintf(p3, sizeof p3, "%s/warn.log", dir);
	struct volt_logger lg = {.fd = open(p3, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
	volt_hooks_run_warn(&l3, OCI_HOOK_POSTSTOP, state, &lg);
	close(lg.fd);
	s = slurp(p3);
	snprintf(want, sizeof want, "level=warning msg=\"hooks.poststop[0] (%s): exited with status 2\"", p1);
	check(access(p2, F_OK) == 0 && s && strstr(s, want),
	      "warn variant logs a warning and runs the next hook");
	free(s);

	/* a 200 KB state to hooks that read none or all of it */
	size_t big = 200 * 1024;
	char *bs = malloc(big + 1);
	for (size_t i = 0; i < big; i++)
		bs[i] = (char)('a' + i % 26);
	bs[big] = '\0';
	h = mk("/bin/true", NULL, NULL, 5);
	t0 = now();
	r = run1(&h, OCI_HOOK_PRESTART, bs, &err);
	check(r == 0 && now() - t0 < 1.0, "200 KB state, hook not reading stdin: no block, no SIGPIPE");
	char *a7[] = {"sleep", "0.3", NULL};
	h = mk("/bin/sleep", a7, NULL, 5);
	r = run1(&h, OCI_HOOK_PRESTART, bs, &err);
	check(r == 0, "200 KB state, slow hook not reading stdin: completes");
	snprintf(p1, sizeof p1, "%s/big", dir);
	snprintf(cmd, sizeof cmd, "cat > %s", p1);
	char *a8[] = {"sh", "-c", cmd, NULL};
	h = mk("/bin/sh", a8, NULL, 5);
	r = run1(&h, OCI_HOOK_PRESTART, bs, &err);
	s = slurp(p1);
	check(r == 0 && s && strcmp(s, bs) == 0, "200 KB state delivered intact");
	free(s);
	free(bs);

	struct oci_hook_list empty = {0};
	check(volt_hooks_run(&empty, OCI_HOOK_PRESTART, state, &err) == 0, "empty hook list is a no-op");

	int rc = tap_done();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return rc;
}
