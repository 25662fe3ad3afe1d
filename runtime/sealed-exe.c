#include "sealed-exe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/cleanup.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

int volt_ensure_sealed_exe(char **argv, struct volt_error *err)
{
	_cleanup_close_ int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return volt_err(err, errno, "open /proc/self/exe");
	int seals = fcntl(self, F_GET_SEALS);
	if (seals >= 0 && (seals & SEALS) == SEALS)
		return 0;
	struct stat st;
	if (fstat(self, &st) < 0)
		return volt_err(err, errno, "stat /proc/self/exe");
	_cleanup_close_ int mfd = memfd_create("volt-run", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return volt_err(err, errno, "memfd_create");
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t n = sendfile(mfd, self, &off, (size_t)(st.st_size - off));
		if (n <= 0)
			return volt_err(err, n < 0 ? errno : EIO, "copy /proc/self/exe");
	}
	if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
		return volt_err(err, errno, "seal the runtime's copy");
	fexecve(mfd, argv, environ);
	return volt_err(err, errno, "re-exec from the sealed copy");
}
