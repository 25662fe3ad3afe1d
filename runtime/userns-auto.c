/* org.volt.userns=auto. Slot k owns host ids 65536*(k+1) .. +65535; slot k
 * is taken by creating <root>/.userns/<k> with O_EXCL, which is atomic, so
 * two runtimes racing for the same slot cannot both win. The file holds the
 * container id, which is how delete finds the slot to give back. */
#include "userns-auto.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/cleanup.h"

#define USERNS_ANNOTATION "org.volt.userns"
#define USERNS_DIR	  ".userns"
#define USERNS_SIZE	  65536u
/* The last slot whose range still ends below 2^32. */
#define USERNS_SLOTS 65535u

static int open_slot_dir(const char *state_root, bool create)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof path, "%s/" USERNS_DIR, state_root) >= sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
		return -1;
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

/* A slot whose container has no state dir is stale: a runtime was killed
 * between taking it and removing the state (create makes the state dir
 * before it takes a slot, delete removes the dir before it gives the slot
 * back, so a live slot's container always has one). An empty slot file is
 * a create in progress. True when the slot was removed. */
static bool reclaim_stale(const char *state_root, int dfd, const char *name)
{
	char id[1100];
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n = fd < 0 ? -1 : read(fd, id, sizeof id - 1);
	if (n <= 0)
		return false;
	id[n] = '\0';
	if (strchr(id, '/') || !strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	_cleanup_close_ int rootfd = open(state_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (rootfd < 0 || fstatat(rootfd, id, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
		return false;
	return unlinkat(dfd, name, 0) == 0;
}

/* Take the lowest free slot for id; *base gets its first host id. */
static int take_slot(const char *state_root, const char *id, uint32_t *base, struct volt_error *err)
{
	_cleanup_close_ int dfd = open_slot_dir(state_root, true);
	if (dfd < 0)
		return volt_err(err, errno, "annotations[\"" USERNS_ANNOTATION "\"]: %s/" USERNS_DIR,
				state_root);
	for (uint32_t k = 0; k < USERNS_SLOTS; k++) {
		char name[16];
		snprintf(name, sizeof name, "%u", k);
		_cleanup_close_ int fd =
		    openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno == EEXIST && reclaim_stale(state_root, dfd, name))
			fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0) {
			if (errno == EEXIST)
				continue;
			return volt_err(err, errno,
					"annotations[\"" USERNS_ANNOTATION "\"]: %s/" USERNS_DIR "/%s",
					state_root, name);
		}
		size_t len = strlen(id);
		if (write(fd, id, len) != (ssize_t)len) {
			int e = errno ? errno : EIO;
			unlinkat(dfd, name, 0);
			return volt_err(err, e,
					"annotations[\"" USERNS_ANNOTATION "\"]: %s/" USERNS_DIR "/%s",
					state_root, name);
		}
		*base = USERNS_SIZE * (k + 1);
		return 0;
	}
	return volt_err(err, -ENOSPC, "annotations[\"" USERNS_ANNOTATION "\"]: every id range is in use");
}

void volt_userns_auto_release(const char *state_root, const char *id)
{
	_cleanup_close_ int dfd = open_slot_dir(state_root, false);
	if (dfd < 0)
		return;
	int scan = dup(dfd);
	if (scan < 0)
		return;
	_cleanup_closedir_ DIR *d = fdopendir(scan);
	if (!d) {
		close(scan);
		return;
	}
	size_t idlen = strlen(id);
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		_cleanup_close_ int fd = openat(dfd, e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		char buf[1100];
		ssize_t n = read(fd, buf, sizeof buf);
		if (n == (ssize_t)idlen && memcmp(buf, id, idlen) == 0)
			unlinkat(dfd, e->d_name, 0);
	}
}

static int add_user_namespace(struct oci_config *c)
{
	size_t n = c->linux.n_namespaces;
	struct oci_namespace *ns = volt_arena_calloc(&c->arena, n + 1, sizeof *ns);
	if (!ns)
		return -1;
	if (n)
		memcpy(ns, c->linux.namespaces, n * sizeof *ns);
	ns[n].type = OCI_NS_USER;
	ns[n].path = NULL;
	c->linux.namespaces = ns;
	c->linux.n_namespaces = n + 1;
	return 0;
}

int volt_userns_auto_apply(const char *state_root, const char *id, struct oci_config *c,
			   struct volt_error *err)
{
	const char *v = oci_map_get(&c->annotations, USERNS_ANNOTATION);
	if (!v)
		return 0;
	if (strcmp(v, "auto") != 0)
		return volt_err(
		    err, -EINVAL,
		    "annotations[\"" USERNS_ANNOTATION "\"]: \"%s\" is not supported (only \"auto\")", v);
	/* Mappings given by the config would leave the allocated range unused:
	 * refuse rather than silently pick one of the two. */
	if (c->linux.n_uid_mappings || c->linux.n_gid_mappings)
		return volt_err(err, -EINVAL,
				"annotations[\"" USERNS_ANNOTATION "\"]: the config already maps users");
	const struct oci_namespace *have = oci_config_namespace(c, OCI_NS_USER);
	if (have && have->path)
		return volt_err(err, -EINVAL,
				"annotations[\"" USERNS_ANNOTATION
				"\"]: the config joins the user namespace %s",
				have->path);

	/* A leftover slot of this id (a runtime killed mid-create) is stale:
	 * the id's state directory was free, so nothing else can own it. */
	volt_userns_auto_release(state_root, id);
	uint32_t base = 0;
	if (take_slot(state_root, id, &base, err) < 0)
		return -1;
	struct oci_idmap *uid = volt_arena_calloc(&c->arena, 1, sizeof *uid);
	struct oci_idmap *gid = volt_arena_calloc(&c->arena, 1, sizeof *gid);
	if (!uid || !gid || (!have && add_user_namespace(c) < 0)) {
		volt_userns_auto_release(state_root, id);
		return volt_err(err, -ENOMEM, "annotations[\"" USERNS_ANNOTATION "\"]: out of memory");
	}
	*uid = (struct oci_idmap){.container_id = 0, .host_id = base, .size = USERNS_SIZE};
	*gid = *uid;
	c->linux.uid_mappings = uid;
	c->linux.n_uid_mappings = 1;
	c->linux.gid_mappings = gid;
	c->linux.n_gid_mappings = 1;
	c->has_linux = true;
	return 0;
}
