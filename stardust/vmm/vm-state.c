#include "stardust/vmm/vm-state.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int sd_vm_state_init(struct sd_vm_state *s, struct volt_error *err)
{
	memset(s, 0, sizeof(*s));
	s->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_efd < 0)
		return volt_err(err, errno, "vm state: eventfd");
	int r = pthread_mutex_init(&s->lock, NULL);
	if (r != 0) {
		close(s->stop_efd);
		s->stop_efd = -1;
		return volt_err(err, r, "vm state: mutex");
	}
	return 0;
}

void sd_vm_state_destroy(struct sd_vm_state *s)
{
	if (s->stop_efd >= 0)
		close(s->stop_efd);
	s->stop_efd = -1;
	pthread_mutex_destroy(&s->lock);
}

bool sd_vm_stop(struct sd_vm_state *s, enum sd_stop_reason reason, int exit_code, const struct volt_error *e)
{
	pthread_mutex_lock(&s->lock);
	bool first = s->reason == SD_STOP_NONE;
	if (first) {
		s->reason = reason;
		s->exit_code = exit_code;
		if (e)
			s->err = *e;
		__atomic_store_n(&s->stopping, 1, __ATOMIC_SEQ_CST);
	}
	pthread_mutex_unlock(&s->lock);
	if (first && s->stop_efd >= 0) {
		uint64_t one = 1;
		ssize_t w;
		do
			w = write(s->stop_efd, &one, sizeof(one));
		while (w < 0 && errno == EINTR);
	}
	return first;
}

bool sd_vm_stopping(const struct sd_vm_state *s)
{
	return __atomic_load_n(&s->stopping, __ATOMIC_SEQ_CST) != 0;
}

void sd_vm_note_refused(struct sd_vm_state *s, const struct volt_error *e)
{
	pthread_mutex_lock(&s->lock);
	if (s->refused++ == 0 && e)
		s->first_refused = *e;
	pthread_mutex_unlock(&s->lock);
}

void sd_vm_note_unclaimed(struct sd_vm_state *s)
{
	__atomic_fetch_add(&s->unclaimed, 1, __ATOMIC_RELAXED);
}

const char *sd_stop_reason_name(enum sd_stop_reason r)
{
	switch (r) {
	case SD_STOP_NONE:
		return "running";
	case SD_STOP_EXIT_PORT:
		return "exit port";
	case SD_STOP_POWEROFF:
		return "power-off";
	case SD_STOP_HALT:
		return "halted";
	case SD_STOP_RESET:
		return "reset";
	case SD_STOP_SIGNAL:
		return "signal";
	case SD_STOP_ERROR:
		return "error";
	}
	return "unknown";
}
