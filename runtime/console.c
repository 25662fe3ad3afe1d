#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "terminal.h"

int volt_console_setup(int console_fd, const struct oci_process *p, bool bind_dev_console,
		       struct volt_error *err)
{
	if (console_fd < 0)
		return volt_err(err, -EINVAL, "process.terminal: needs --console-socket");
	int master = -1, slave = -1;
	_cleanup_free_ char *slave_path = NULL;
	if (volt_pty_open(&master, &slave, &slave_path, err) < 0)
		return volt_err_ctx(err, "process.terminal");
	_cleanup_close_ int m = master;
	_cleanup_close_ int s = slave;
	if (p->has_console_size && volt_pty_set_size(s, p->console_height, p->console_width, err) < 0)
		return -1;
	if (bind_dev_console) {
		/* /dev/console is the pty slave, like every runtime does. */
		int cfd = open("/dev/console", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (cfd >= 0) {
			close(cfd);
			if (mount(slave_path, "/dev/console", NULL, MS_BIND, NULL) < 0)
				return volt_err(err, errno, "bind %s on /dev/console", slave_path);
		}
	}
	if (volt_console_send(console_fd, m, err) < 0)
		return volt_err_ctx(err, "--console-socket");
	return volt_pty_make_controlling(s, err);
}
