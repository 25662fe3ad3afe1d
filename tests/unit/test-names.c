/* Pure logic of ids, signals and the state file. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "oci/names.h"
#include "oci/state.h"
#include "tap.h"

static void ids(void)
{
	struct volt_error e;
	check(volt_id_validate("abc-123_x.y+z", &e) == 0, "id: letters digits and _.+- are valid");
	check(volt_id_validate("", &e) < 0, "id: empty refused");
	check(volt_id_validate("../x", &e) < 0 && strstr(e.msg, "../x"), "id: ../x refused and named");
	check(volt_id_validate("a/b", &e) < 0, "id: slash refused");
	check(volt_id_validate(".", &e) < 0 && volt_id_validate("..", &e) < 0, "id: . and .. refused");
	check(volt_id_validate("-x", &e) < 0, "id: leading dash refused (would look like an option)");
	check(volt_id_validate("a b", &e) < 0 && volt_id_validate("a\nb", &e) < 0,
	      "id: space/newline refused");
	char long_id[1100];
	memset(long_id, 'a', sizeof long_id - 1);
	long_id[sizeof long_id - 1] = '\0';
	check(volt_id_validate(long_id, &e) < 0, "id: longer than 1024 refused");
}

static void signals_(void)
{
	struct volt_error e;
	int s = 0;
	check(volt_signal_parse("9", &s, &e) == 0 && s == SIGKILL, "signal: number");
	check(volt_signal_parse("KILL", &s, &e) == 0 && s == SIGKILL, "signal: bare name");
	check(volt_signal_parse("SIGTERM", &s, &e) == 0 && s == SIGTERM, "signal: SIG name");
	check(volt_signal_parse("sigusr1", &s, &e) == 0 && s == SIGUSR1, "signal: lower case");
	check(volt_signal_parse("SIGRTMIN+3", &s, &e) == 0 && s == SIGRTMIN + 3, "signal: SIGRTMIN+3");
	check(volt_signal_parse("RTMAX-1", &s, &e) == 0 && s == SIGRTMAX - 1, "signal: RTMAX-1");
	check(volt_signal_parse("SIGFOO", &s, &e) < 0 && strstr(e.msg, "SIGFOO"), "signal: unknown named");
	check(volt_signal_parse("0", &s, &e) < 0 && volt_signal_parse("65", &s, &e) < 0,
	      "signal: out of range");
	check(volt_signal_parse("9x", &s, &e) < 0, "signal: trailing garbage");
	check(volt_signal_parse("SIGRTMAX+1", &s, &e) < 0, "signal: beyond RTMAX");
	check(strcmp(volt_signal_name(SIGKILL), "SIGKILL") == 0 && volt_signal_name(0) == NULL,
	      "signal: names");
}

static void state_roundtrip(void)
{
	char dir[] = "/tmp/volt-test-state-XXXXXX";
	if (!mkdtemp(dir)) {
		check(0, "state: mkdtemp");
		return;
	}
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	struct oci_kv ann[] = {{"a\"quote", "v\n1"}, {"org.x", ""}};
	struct volt_state s = {
	    .oci_version = "1.2.0",
	    .id = "c1",
	    .pid = 4242,
	    .pid_start = 123456789,
	    .bundle = "/b",
	    .rootfs = "/b/rootfs",
	    .created = "2026-01-01T00:00:00.000000000Z",
	    .owner = "root",
	    .annotations = {ann, 2},
	    .backend = "native",
	    .cgroup_path = "/volt/c1",
	    .started = true,
	};
	struct volt_error e;
	check(volt_state_write(dfd, &s, &e) == 0, "state: write");
	check(faccessat(dfd, "state.json.tmp", F_OK, 0) < 0, "state: no temp file left (atomic rename)");
	struct volt_state r;
	check(volt_state_read(dfd, &r, &e) == 0, "state: read back");
	check(r.pid == 4242 && r.pid_start == 123456789 && r.started, "state: numbers and flags");
	check(strcmp(r.id, "c1") == 0 && strcmp(r.cgroup_path, "/volt/c1") == 0 &&
		  strcmp(r.backend, "native") == 0,
	      "state: strings");
	check(r.annotations.n == 2 && strcmp(r.annotations.v[0].key, "a\"quote") == 0 &&
		  strcmp(r.annotations.v[0].value, "v\n1") == 0,
	      "state: annotations with escapes");
	_cleanup_free_ char *json = NULL;
	check(volt_state_to_json(&r, VOLT_STATUS_STOPPED, false, &json, &e) == 0 &&
		  strstr(json, "\"pid\":0") && strstr(json, "\"status\":\"stopped\""),
	      "state: OCI JSON of a stopped container has pid 0");
	free(json);
	json = NULL;
	check(volt_state_to_json(&r, VOLT_STATUS_RUNNING, false, &json, &e) == 0 &&
		  strstr(json, "\"pid\":4242") && strstr(json, "\"rootfs\":\"/b/rootfs\"") &&
		  strstr(json, "\"owner\":\"root\""),
	      "state: OCI JSON running has pid, rootfs, owner");
	volt_state_release(&r);
	int fd = openat(dfd, "state.json", O_WRONLY | O_TRUNC);
	check(fd >= 0 && write(fd, "{garbage", 8) == 8, "state: corrupt it");
	close(fd);
	check(volt_state_read(dfd, &r, &e) < 0 && strstr(e.msg, "corrupt"),
	      "state: corrupt file is an error");
	volt_state_release(&r);
	unlinkat(dfd, "state.json", 0);
	rmdir(dir);
}

int main(void)
{
	ids();
	signals_();
	state_roundtrip();
	return tap_done();
}
