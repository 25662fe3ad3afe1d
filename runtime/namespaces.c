#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "oci/cleanup.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

int volt_ns_plan_make(const struct oci_config *c, struct volt_ns_plan *p, struct volt_error *err)
{
	memset(p, 0, sizeof *p);
	p->saved_pid_fd = p->saved_time_fd = -1;
	for (int t = 0; t < OCI_NS__COUNT; t++)
		p->join_fd[t] = -1;
	for (size_t i = 0; i < c->linux.n_namespaces; i++) {
		const struct oci_namespace *ns = &c->linux.namespaces[i];
		if (ns->path && *ns->path) {
			int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				volt_ns_plan_close(p);
				return volt_err(err, errno, "linux.namespaces[%zu].path %s", i, ns->path);
			}
			p->join_fd[ns->type] = fd;
			continue;
		}
		p->new_ns[ns->type] = true;
		/* cgroup: unshared by the init after it joined its cgroup, so the
		 * namespace root is the container's cgroup; time: by the runtime. */
		if (ns->type != OCI_NS_CGROUP && ns->type != OCI_NS_TIME)
			p->clone_flags |= oci_ns_clone_flag(ns->type);
	}
	if ((c->linux.time_monotonic.set || c->linux.time_boottime.set) && !p->new_ns[OCI_NS_TIME]) {
		volt_ns_plan_close(p);
		return volt_err(err, -EINVAL, "linux.timeOffsets: requires a new time namespace");
	}
	if (p->new_ns[OCI_NS_USER] && (c->linux.n_uid_mappings == 0 || c->linux.n_gid_mappings == 0)) {
		volt_ns_plan_close(p);
		return volt_err(err, -EINVAL,
				"linux.uidMappings: a new user namespace needs uid and gid mappings");
	}
	return 0;
}

void volt_ns_plan_close(struct volt_ns_plan *p)
{
	if (p->saved_pid_fd >= 0)
		close(p->saved_pid_fd);
	if (p->saved_time_fd >= 0)
		close(p->saved_time_fd);
	p->saved_pid_fd = p->saved_time_fd = -1;
	for (int t = 0; t < OCI_NS__COUNT; t++) {
		if (p->join_fd[t] >= 0)
			close(p->join_fd[t]);
		p->join_fd[t] = -1;
	}
}

static int write_file(const char *path, const char *data, size_t len, struct volt_error *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return volt_err(err, errno, "open %s", path);
	if (write(fd, data, len) != (ssize_t)len)
		return volt_err(err, errno, "write %s", path);
	return 0;
}

int volt_ns_prepare_parent(const struct oci_config *c, struct volt_ns_plan *p, struct volt_error *err)
{
	if (p->join_fd[OCI_NS_PID] >= 0 &&
	    (p->saved_pid_fd = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC)) < 0)
		return volt_err(err, errno, "open /proc/self/ns/pid_for_children");
	if ((p->join_fd[OCI_NS_TIME] >= 0 || p->new_ns[OCI_NS_TIME]) &&
	    (p->saved_time_fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC)) < 0)
		return volt_err(err, errno, "open /proc/self/ns/time_for_children");
	if (p->join_fd[OCI_NS_PID] >= 0 && setns(p->join_fd[OCI_NS_PID], CLONE_NEWPID) < 0)
		return volt_err(err, errno, "linux.namespaces: join pid namespace");
	if (p->join_fd[OCI_NS_TIME] >= 0 && setns(p->join_fd[OCI_NS_TIME], CLONE_NEWTIME) < 0)
		return volt_err(err, errno, "linux.namespaces: join time namespace");
	if (p->new_ns[OCI_NS_TIME]) {
		if (unshare(CLONE_NEWTIME) < 0)
			return volt_err(err, errno, "linux.namespaces: new time namespace");
		char buf[128];
		int n = 0;
		if (c->linux.time_monotonic.set)
			n += snprintf(buf + n, sizeof buf - (size_t)n, "monotonic %lld %u\n",
				      (long long)c->linux.time_monotonic.secs,
				      c->linux.time_monotonic.nanosecs);
		if (c->linux.time_boottime.set)
			n +=
			    snprintf(buf + n, sizeof buf - (size_t)n, "boottime %lld %u\n",
				     (long long)c->linux.time_boottime.secs, c->linux.time_boottime.nanosecs);
		if (n > 0 && write_file("/proc/self/timens_offsets", buf, (size_t)n, err) < 0)
			return volt_err_ctx(err, "linux.timeOffsets");
	}
	return 0;
}

int volt_ns_restore_parent(struct volt_ns_plan *p, struct volt_error *err)
{
	if (p->saved_pid_fd >= 0 && setns(p->saved_pid_fd, CLONE_NEWPID) < 0)
		return volt_err(err, errno, "restore the runtime's pid namespace");
	if (p->saved_time_fd >= 0 && setns(p->saved_time_fd, CLONE_NEWTIME) < 0)
		return volt_err(err, errno, "restore the runtime's time namespace");
	return 0;
}

static int write_map(pid_t pid, const char *file, const struct oci_idmap *m, size_t n, const char *field,
		     struct volt_error *err)
{
	char buf[4096];
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(buf + len, sizeof buf - len, "%u %u %u\n", m[i].container_id, m[i].host_id,
				 m[i].size);
		if (k < 0 || (size_t)k >= sizeof buf - len)
			return volt_err(err, -E2BIG, "%s: too many mappings", field);
		len += (size_t)k;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
	if (write_file(path, buf, len, err) < 0)
		return volt_err_ctx(err, "%s", field);
	return 0;
}

int volt_ns_write_idmaps(pid_t pid, const struct oci_config *c, struct volt_error *err)
{
	if (write_map(pid, "uid_map", c->linux.uid_mappings, c->linux.n_uid_mappings, "linux.uidMappings",
		      err) < 0)
		return -1;
	return write_map(pid, "gid_map", c->linux.gid_mappings, c->linux.n_gid_mappings, "linux.gidMappings",
			 err);
}

int volt_ns_enter_child(struct volt_ns_plan *p, struct volt_error *err)
{
	/* The user namespace first: it grants the rights to join the others. */
	static const enum oci_ns_type order[] = {OCI_NS_USER, OCI_NS_MOUNT, OCI_NS_NETWORK,
						 OCI_NS_IPC,  OCI_NS_UTS,   OCI_NS_CGROUP};
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		enum oci_ns_type t = order[i];
		if (p->join_fd[t] < 0)
			continue;
		if (setns(p->join_fd[t], oci_ns_clone_flag(t)) < 0)
			return volt_err(err, errno, "linux.namespaces: join %s namespace", oci_ns_name(t));
	}
	if (p->new_ns[OCI_NS_CGROUP] && unshare(CLONE_NEWCGROUP) < 0)
		return volt_err(err, errno, "linux.namespaces: new cgroup namespace");
	return 0;
}
