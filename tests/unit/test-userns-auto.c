/* org.volt.userns=auto: the id-range allocator under a temporary state root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "oci/config.h"
#include "runtime/userns-auto.h"
#include "tap.h"

#define BASE_CONFIG "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}, "

static struct oci_config *parse(const char *json)
{
	struct oci_config *c = NULL;
	struct volt_error err;
	if (oci_config_parse(json, strlen(json), &c, &err) < 0) {
		fprintf(stderr, "# parse: %s\n", err.msg);
		return NULL;
	}
	return c;
}

static struct oci_config *auto_config(void)
{
	return parse(BASE_CONFIG
		     "\"annotations\": {\"org.volt.userns\": \"auto\"}, "
		     "\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"}]}}");
}

/* Apply for id; returns the host id of the uid mapping, 0 on error. */
static unsigned apply(const char *root, const char *id)
{
	_cleanup_config_ struct oci_config *c = auto_config();
	struct volt_error err;
	if (!c || volt_userns_auto_apply(root, id, c, &err) < 0)
		return 0;
	if (c->linux.n_uid_mappings != 1 || c->linux.n_gid_mappings != 1)
		return 0;
	return c->linux.uid_mappings[0].host_id;
}

static void shape(const char *root)
{
	_cleanup_config_ struct oci_config *c = auto_config();
	struct volt_error err;
	check(c && volt_userns_auto_apply(root, "shape", c, &err) == 0, "apply succeeds");
	if (!c)
		return;
	const struct oci_namespace *ns = oci_config_namespace(c, OCI_NS_USER);
	check(ns && !ns->path, "a new user namespace is added");
	check(c->linux.n_namespaces == 3 && c->linux.namespaces[0].type == OCI_NS_PID &&
		  c->linux.namespaces[1].type == OCI_NS_MOUNT,
	      "the other namespaces are kept");
	check(c->linux.n_uid_mappings == 1 && c->linux.uid_mappings[0].container_id == 0 &&
		  c->linux.uid_mappings[0].size == 65536,
	      "uid mapping is {0, base, 65536}");
	check(c->linux.n_gid_mappings == 1 &&
		  c->linux.gid_mappings[0].host_id == c->linux.uid_mappings[0].host_id,
	      "gid mapping matches the uid mapping");
	volt_userns_auto_release(root, "shape");
}

/* A container with state, as create makes it before it takes a slot. */
static void live(const char *root, const char *id)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", root, id);
	mkdir(path, 0700);
}

static void allocator(const char *root)
{
	const char *ids[] = {"a", "b", "c", "d", "e"};
	for (size_t i = 0; i < 5; i++)
		live(root, ids[i]);
	check(apply(root, "a") == 65536, "first container gets 65536");
	check(apply(root, "b") == 131072, "second container gets 131072");
	check(apply(root, "c") == 196608, "third container gets 196608");
	volt_userns_auto_release(root, "b");
	check(apply(root, "d") == 131072, "a released range is reused");
	check(apply(root, "a") == 65536, "applying again for the same id takes back its stale slot");
	volt_userns_auto_release(root, "a");
	volt_userns_auto_release(root, "c");
	volt_userns_auto_release(root, "d");
	volt_userns_auto_release(root, "nobody");
	check(apply(root, "e") == 65536, "after releasing all, the first range is free again");
	volt_userns_auto_release(root, "e");

	/* A runtime killed mid-create left slot 0 to "ghost", whose state is
	 * gone; slot 1 belongs to a live container; slot 2 is being taken. */
	char path[4200];
	snprintf(path, sizeof path, "%s/.userns/0", root);
	FILE *f = fopen(path, "w");
	if (f)
		fputs("ghost", f), fclose(f);
	check(apply(root, "b") == 65536 && apply(root, "a") == 131072,
	      "a slot whose container has no state is reclaimed, a live one is not");
	snprintf(path, sizeof path, "%s/.userns/2", root);
	f = fopen(path, "w");
	if (f)
		fclose(f);
	check(apply(root, "c") == 262144, "an empty slot (a create in progress) is left alone");
	const char *all[] = {"a", "b", "c"};
	for (size_t i = 0; i < 3; i++)
		volt_userns_auto_release(root, all[i]);
	unlink(path);
}

static void no_annotation(const char *root)
{
	_cleanup_config_ struct oci_config *c =
	    parse(BASE_CONFIG "\"linux\": {\"namespaces\": [{\"type\": \"pid\"}]}}");
	struct volt_error err;
	check(c && volt_userns_auto_apply(root, "x", c, &err) == 0 && c->linux.n_namespaces == 1 &&
		  c->linux.n_uid_mappings == 0,
	      "no annotation: config unchanged");
}

static void errors(const char *root)
{
	struct volt_error err = {0};
	{
		_cleanup_config_ struct oci_config *c =
		    parse(BASE_CONFIG "\"annotations\": {\"org.volt.userns\": \"host\"}}");
		check(c && volt_userns_auto_apply(root, "x", c, &err) < 0 &&
			  strstr(err.msg, "org.volt.userns") && strstr(err.msg, "host"),
		      "a value other than auto is refused");
	}
	{
		_cleanup_config_ struct oci_config *c = parse(
		    BASE_CONFIG
		    "\"annotations\": {\"org.volt.userns\": \"auto\"}, \"linux\": {\"namespaces\": "
		    "[{\"type\": \"user\"}], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, "
		    "\"size\": 65536}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, "
		    "\"size\": 65536}]}}");
		check(c && volt_userns_auto_apply(root, "x", c, &err) < 0 &&
			  strstr(err.msg, "annotations[\"org.volt.userns\"]: the config already maps users"),
		      "user namespace and mappings in the config: refused");
	}
	{
		_cleanup_config_ struct oci_config *c =
		    parse(BASE_CONFIG
			  "\"annotations\": {\"org.volt.userns\": \"auto\"}, \"linux\": {\"namespaces\": "
			  "[{\"type\": \"user\"}]}}");
		check(c && volt_userns_auto_apply(root, "y", c, &err) == 0 && c->linux.n_namespaces == 1 &&
			  c->linux.n_uid_mappings == 1 && c->linux.uid_mappings[0].host_id == 65536,
		      "a user namespace without mappings gets the range, no second namespace");
		volt_userns_auto_release(root, "y");
	}
	char slot[4200];
	snprintf(slot, sizeof slot, "%s/.userns/0", root);
	check(access(slot, F_OK) < 0, "refused configs leave no slot taken");
}

int main(void)
{
	char root[] = "/tmp/volt-userns-test.XXXXXX";
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	shape(root);
	allocator(root);
	no_annotation(root);
	errors(root);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", root);
	return tap_done();
}
