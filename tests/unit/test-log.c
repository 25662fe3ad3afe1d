/* volt_log: JSON lines that jq accepts with the exact message back, logrus-like
 * text, debug filtering, stderr default, no interleaving between writers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/log.h"
#include "tap.h"

static char dir[] = "/tmp/volt-test-log-XXXXXX";

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	size_t k;
	while (b && (k = fread(b + n, 1, cap - n, f)) > 0) {
		n += k;
		if (n == cap) {
			char *nb = realloc(b, (cap *= 2) + 1);
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
		}
	}
	fclose(f);
	if (b)
		b[n] = '\0';
	if (len)
		*len = n;
	return b;
}

static int open_log(const char *name, char *path, size_t n)
{
	snprintf(path, n, "%s/%s", dir, name);
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
}

static int sh(const char *fmt, const char *arg)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, fmt, arg, arg, arg);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_json(void)
{
	char path[256], out[300];
	int fd = open_log("json.log", path, sizeof path);
	struct volt_logger l = {.fd = fd, .json = true};
	const char *tricky = "say \"hi\" \\ back\nnew\tline\r\x01\x1f\x7f end é";
	volt_log(&l, VOLT_LOG_ERROR, "%s", tricky);
	volt_log(&l, VOLT_LOG_WARN, "w %d", 42);
	volt_log(&l, VOLT_LOG_INFO, "i");
	volt_log(&l, VOLT_LOG_DEBUG, "hidden");
	close(fd);

	size_t len;
	char *s = slurp(path, &len);
	const char *want = "{\"level\":\"error\",\"msg\":\"say \\\"hi\\\" \\\\ "
			   "back\\nnew\\tline\\r\\u0001\\u001f\\u007f end é\",\"time\":\"";
	check(s && strncmp(s, want, strlen(want)) == 0, "json: key order and escapes");
	int lines = 0;
	for (size_t i = 0; s && i < len; i++)
		lines += s[i] == '\n';
	check(lines == 3, "json: one line per message, debug filtered");
	free(s);

	check(sh("jq -e -s 'length == 3 and all(.[]; (keys == [\"level\",\"msg\",\"time\"]))' %s >/dev/null",
		 path) == 0,
	      "json: every line parses with jq, exactly level/msg/time");
	check(sh("jq -e -s '[.[].level] == [\"error\",\"warning\",\"info\"]' %s >/dev/null", path) == 0,
	      "json: level names");
	check(sh("jq -e -s 'all(.[]; .time | "
		 "test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\\\.[0-9]{9}Z$\"))' "
		 "%s >/dev/null",
		 path) == 0,
	      "json: RFC 3339 UTC time with nanoseconds");

	snprintf(out, sizeof out, "%s.msg", path);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "jq -j -s '.[0].msg' %s > %s", path, out);
	int st = system(cmd);
	char *m = slurp(out, NULL);
	check(st == 0 && m && strcmp(m, tricky) == 0, "json: msg round-trips through jq byte for byte");
	free(m);
}

static void test_text_and_debug(void)
{
	char path[256];
	int fd = open_log("text.log", path, sizeof path);
	struct volt_logger l = {.fd = fd, .debug = true};
	errno = EBUSY;
	volt_log(&l, VOLT_LOG_WARN, "a \"b\"\nc");
	check(errno == EBUSY, "errno preserved across volt_log");
	volt_log(&l, VOLT_LOG_DEBUG, "dbg");
	close(fd);
	char *s = slurp(path, NULL);
	char *l2 = s ? strchr(s, '\n') : NULL;
	check(s && strncmp(s, "time=\"", 6) == 0 && strstr(s, "\" level=warning msg=\"a \\\"b\\\"\\nc\"\n") &&
		  l2 && strstr(l2 + 1, " level=debug msg=\"dbg\"\n"),
	      "text: logrus format, quoted msg on one line, debug shown with l->debug");
	free(s);
}

static void test_stderr_default(void)
{
	char path[256];
	int fd = open_log("stderr.log", path, sizeof path);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd, 2);
		struct volt_logger l = {.fd = -1};
		volt_log(&l, VOLT_LOG_ERROR, "to stderr");
		volt_log(NULL, VOLT_LOG_INFO, "null logger");
		volt_log(NULL, VOLT_LOG_DEBUG, "never");
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	close(fd);
	char *s = slurp(path, NULL);
	check(s && strstr(s, "level=error msg=\"to stderr\"") &&
		  strstr(s, "level=info msg=\"null logger\"") && !strstr(s, "never"),
	      "fd -1 and NULL logger write to stderr");
	free(s);
}

static void test_long_and_concurrent(void)
{
	char path[256];
	int fd = open_log("many.log", path, sizeof path);
	size_t big = 20000;
	char *msg = malloc(big + 1);
	for (size_t i = 0; i < big; i++)
		msg[i] = (char)('a' + i % 26);
	msg[big] = '\0';
	fflush(NULL);
	pid_t kids[4];
	for (int k = 0; k < 4; k++) {
		kids[k] = fork();
		if (kids[k] == 0) {
			struct volt_logger l = {.fd = fd, .json = true};
			for (int i = 0; i < 100; i++)
				volt_log(&l, VOLT_LOG_INFO, "%d %s\"\n", k, msg);
			_exit(0);
		}
	}
	for (int k = 0; k < 4; k++)
		waitpid(kids[k], NULL, 0);
	close(fd);
	free(msg);
	check(sh("jq -e -s 'length == 400 and all(.[]; .msg | length == 20004)' %s >/dev/null", path) == 0,
	      "400 long lines from 4 writers, none interleaved");
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("1..0 # skip mkdtemp failed\n");
		return 1;
	}
	test_json();
	test_text_and_debug();
	test_stderr_default();
	test_long_and_concurrent();
	int rc = tap_done();
	sh("rm -rf %s", dir);
	return rc;
}
