/* The per-container state kept under <root>/<id>/state.json, written
 * atomically (temp file + rename), and the OCI state document printed by
 * `state` and fed to hooks. */
#ifndef VOLT_OCI_STATE_H
#define VOLT_OCI_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "arena.h"
#include "config.h"
#include "error.h"

#define VOLT_STATE_FILE	 "state.json"
#define VOLT_CONFIG_COPY "config.json"
#define VOLT_EXEC_SOCK	 "exec.sock"

enum volt_status {
	VOLT_STATUS_CREATING,
	VOLT_STATUS_CREATED,
	VOLT_STATUS_RUNNING,
	VOLT_STATUS_PAUSED,
	VOLT_STATUS_STOPPED,
};

const char *volt_status_name(enum volt_status s);

struct volt_state {
	struct volt_arena arena;
	char *oci_version;
	char *id;
	pid_t pid;
	unsigned long long pid_start; /* starttime of pid (/proc/PID/stat field 22): detects pid reuse */
	char *bundle;
	char *rootfs;
	char *created; /* RFC 3339 */
	char *owner;
	struct oci_map annotations;
	char *backend;	   /* "native" */
	char *cgroup_path; /* the container's cgroup, relative to each hierarchy root */
	bool started;	   /* `start` ran */
	/* The saved config has poststart/poststop hooks: only then do start and
	 * delete need to parse it. */
	bool has_poststart, has_poststop;
};

void volt_state_release(struct volt_state *s);

/* Write state.json in dirfd atomically. */
int volt_state_write(int dirfd, const struct volt_state *s, struct volt_error *err);
/* Read state.json from dirfd into s (arena-owned strings). */
int volt_state_read(int dirfd, struct volt_state *s, struct volt_error *err);

/* The OCI state JSON (runtime.md + rootfs/created/owner like runc). pid is 0 when stopped.
 * Returns a malloc'd NUL-terminated string. */
int volt_state_to_json(const struct volt_state *s, enum volt_status status, bool pretty, char **out,
		       struct volt_error *err);

/* Current time as RFC 3339 with nanoseconds, UTC. */
void volt_rfc3339_now(char *buf, size_t len);

#endif
