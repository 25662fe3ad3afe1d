/* The EXEC frame's payload (stardust/shim/exec-req.h): what volt-stardust
 * exec encodes is what stardust-init decodes, and a malformed request is
 * refused with a reason rather than half-applied. */
#include <stdio.h>
#include <string.h>

#include "stardust/shim/exec-req.h"
#include "tap.h"

static void test_roundtrip(void)
{
	char *args[] = {"sh", "-c", "echo $A"};
	char *env[] = {"A=1", "B=two words"};
	char *caps[] = {"CAP_NET_RAW"};
	struct volt_exec_opts o = {.args = args,
				   .n_args = 3,
				   .env = env,
				   .n_env = 2,
				   .caps = caps,
				   .n_caps = 1,
				   .cwd = "/tmp",
				   .user = "1000:100",
				   .no_new_privs = true,
				   .console_fd = -1};
	uint8_t buf[512];
	struct volt_error err = {0};
	int len = sd_exec_req_encode(&o, buf, sizeof buf, &err);
	check(len > 0, "encode: arguments, env, caps, cwd, user, nnp");
	struct sd_exec_req r;
	int k = sd_exec_req_decode(buf, (size_t)len, &r, &err);
	check(k == 0 && r.opts.n_args == 3 && strcmp(r.opts.args[2], "echo $A") == 0 &&
		  r.opts.args[3] == NULL,
	      "decode: the arguments in order, NULL-terminated");
	check(k == 0 && r.opts.n_env == 2 && strcmp(r.opts.env[1], "B=two words") == 0 &&
		  r.opts.n_caps == 1 && strcmp(r.opts.caps[0], "CAP_NET_RAW") == 0,
	      "decode: env and caps");
	check(k == 0 && strcmp(r.opts.cwd, "/tmp") == 0 && strcmp(r.opts.user, "1000:100") == 0 &&
		  r.opts.no_new_privs && !r.opts.tty && !r.opts.process_json && r.opts.console_fd == -1,
	      "decode: cwd, user, nnp; no tty, no process, no console");
	if (k == 0)
		sd_exec_req_free(&r);

	static const char json[] = "{\"args\":[\"true\"],\"cwd\":\"/\"}";
	struct volt_exec_opts p = {
	    .process_json = json, .process_json_len = sizeof json - 1, .console_fd = -1};
	len = sd_exec_req_encode(&p, buf, sizeof buf, &err);
	k = len > 0 ? sd_exec_req_decode(buf, (size_t)len, &r, &err) : -1;
	check(k == 0 && r.opts.process_json_len == sizeof json - 1 &&
		  memcmp(r.opts.process_json, json, sizeof json - 1) == 0 && r.opts.n_args == 0,
	      "roundtrip: a process JSON instead of arguments");
	if (k == 0)
		sd_exec_req_free(&r);
}

static void test_limits(void)
{
	char *args[] = {"0123456789abcdef0123456789abcdef"};
	struct volt_exec_opts o = {.args = args, .n_args = 1, .console_fd = -1};
	uint8_t buf[16];
	struct volt_error err = {0};
	check(sd_exec_req_encode(&o, buf, sizeof buf, &err) < 0 && strstr(err.msg, "exceed"),
	      "encode: a request larger than the frame is refused, not cut");
	static const char bad[] = "{\"args\":[\"a\0b\"]}";
	struct volt_exec_opts p = {.process_json = bad, .process_json_len = sizeof bad - 1, .console_fd = -1};
	uint8_t big[128];
	check(sd_exec_req_encode(&p, big, sizeof big, &err) < 0 && strstr(err.msg, "NUL"),
	      "encode: a process JSON with a NUL byte is refused");
}

static void test_hostile(void)
{
	struct sd_exec_req r;
	struct volt_error err = {0};
	const uint8_t unterminated[] = {'a', 's', 'h'};
	check(sd_exec_req_decode(unterminated, sizeof unterminated, &r, &err) < 0 &&
		  strstr(err.msg, "no end"),
	      "decode: a record without its NUL is refused");
	const uint8_t tag_only[] = {'a'};
	check(sd_exec_req_decode(tag_only, sizeof tag_only, &r, &err) < 0, "decode: a lone tag is refused");
	const uint8_t unknown[] = {'a', 's', 'h', 0, 'Z', 'x', 0};
	check(sd_exec_req_decode(unknown, sizeof unknown, &r, &err) < 0 && strstr(err.msg, "unknown"),
	      "decode: an unknown tag is refused, named");
	const uint8_t nothing[] = {'w', '/', 0};
	check(sd_exec_req_decode(nothing, sizeof nothing, &r, &err) < 0 && strstr(err.msg, "no command"),
	      "decode: a request without a command or process is refused");
	check(sd_exec_req_decode(NULL, 0, &r, &err) < 0, "decode: an empty payload is refused");
	const uint8_t tty[] = {'a', 's', 'h', 0, 't', 0};
	check(sd_exec_req_decode(tty, sizeof tty, &r, &err) == 0 && r.opts.tty, "decode: the tty flag");
	sd_exec_req_free(&r);
}

int main(void)
{
	test_roundtrip();
	test_limits();
	test_hostile();
	return tap_done();
}
