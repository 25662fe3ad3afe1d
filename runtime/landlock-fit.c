/* Which Landlock ABI brought which right, and the downgrade of a request to
 * what the running kernel has (see landlock-fit.h). */
#include "landlock-fit.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "oci/landlock.h"

/* ABI 1 has the first 13 filesystem rights, refer came with 2, truncate with
 * 3, networking (TCP bind/connect) with 4, ioctl_dev with 5; 6 and 7 added
 * scopes and logging, no access rights. */
uint64_t volt_landlock_fs_rights(int abi)
{
	if (abi <= 0)
		return 0;
	if (abi > VOLT_LANDLOCK_ABI_KNOWN)
		return ~0ULL;
	uint64_t r = (VOLT_LL_FS_MAKE_SYM << 1) - 1;
	if (abi >= 2)
		r |= VOLT_LL_FS_REFER;
	if (abi >= 3)
		r |= VOLT_LL_FS_TRUNCATE;
	if (abi >= 5)
		r |= VOLT_LL_FS_IOCTL_DEV;
	return r;
}

uint64_t volt_landlock_net_rights(int abi)
{
	if (abi > VOLT_LANDLOCK_ABI_KNOWN)
		return ~0ULL;
	return abi >= 4 ? VOLT_LL_NET_BIND_TCP | VOLT_LL_NET_CONNECT_TCP : 0;
}

/* The first ABI that has bit, 0 when none we know of does. */
static int abi_of(enum oci_landlock_kind k, uint64_t bit)
{
	for (int abi = 1; abi <= VOLT_LANDLOCK_ABI_KNOWN; abi++) {
		uint64_t have =
		    k == OCI_LANDLOCK_FS ? volt_landlock_fs_rights(abi) : volt_landlock_net_rights(abi);
		if (have & bit)
			return abi;
	}
	return 0;
}

static int missing_error(struct volt_error *err, enum oci_landlock_kind k, uint64_t missing, int abi)
{
	uint64_t bit = missing & -missing;
	const char *name = oci_landlock_access_name(k, bit);
	int need = abi_of(k, bit);
	const char *kind = k == OCI_LANDLOCK_FS ? "filesystem" : "network";
	if (!name || !need)
		return volt_err(
		    err, -EOPNOTSUPP,
		    "process.landlock: %s access bit %d is unknown to Landlock ABI %d (this kernel's)", kind,
		    __builtin_ctzll(bit), abi);
	return volt_err(err, -EOPNOTSUPP, "process.landlock: %s needs Landlock ABI %d, this kernel has %d",
			name, need, abi);
}

static bool grants_refer(const struct oci_landlock *l)
{
	for (size_t i = 0; i < l->n_path_beneath; i++)
		if (l->path_beneath[i].allowed_access & VOLT_LL_FS_REFER)
			return true;
	return false;
}

int volt_landlock_fit(const struct oci_landlock *l, int abi, struct volt_landlock_fit *out,
		      struct volt_error *err)
{
	memset(out, 0, sizeof *out);
	if (!l || !l->present)
		return 0;
	bool best = l->enable_best_effort;
	if (abi <= 0)
		return best ? 0
			    : volt_err(err, -EOPNOTSUPP,
				       "process.landlock: Landlock is not available on this kernel "
				       "and enableBestEffort is false");

	uint64_t fs = l->handled_access_fs, net = l->handled_access_net;
	if (abi < 2 && (fs & VOLT_LL_FS_REFER)) {
		if (!grants_refer(l))
			fs &= ~VOLT_LL_FS_REFER;
		else if (best)
			fs = 0;
	}

	uint64_t missing_fs = fs & ~volt_landlock_fs_rights(abi);
	uint64_t missing_net = net & ~volt_landlock_net_rights(abi);
	if (!best && missing_fs)
		return missing_error(err, OCI_LANDLOCK_FS, missing_fs, abi);
	if (!best && missing_net)
		return missing_error(err, OCI_LANDLOCK_NET, missing_net, abi);
	out->handled_fs = fs & ~missing_fs;
	out->handled_net = net & ~missing_net;
	return 0;
}
