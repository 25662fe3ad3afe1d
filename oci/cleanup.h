/* Scope-bound cleanup so early returns cannot leak. */
#ifndef VOLT_OCI_CLEANUP_H
#define VOLT_OCI_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void volt_freep(void *p)
{
	free(*(void **)p);
}
static inline void volt_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
/* Close *fd if open and mark it closed: for fds held in structs. */
static inline void volt_close_reset(int *fd)
{
	volt_closep(fd);
	*fd = -1;
}
static inline void volt_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
static inline void volt_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define _cleanup_free_	   _cleanup_(volt_freep)
#define _cleanup_close_	   _cleanup_(volt_closep)
#define _cleanup_fclose_   _cleanup_(volt_fclosep)
#define _cleanup_closedir_ _cleanup_(volt_closedirp)

/* Hand ownership out of a cleanup-guarded variable. */
static inline int volt_steal_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}
#define volt_steal_ptr(pp)                                                                                   \
	({                                                                                                   \
		__typeof__(*(pp)) _tmp = *(pp);                                                              \
		*(pp) = NULL;                                                                                \
		_tmp;                                                                                        \
	})

#endif
