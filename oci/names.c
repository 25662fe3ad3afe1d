#include "names.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int volt_id_validate(const char *id, struct volt_error *err)
{
	if (!id || !*id)
		return volt_err(err, -EINVAL, "container id must not be empty");
	size_t n = strlen(id);
	if (n > 1024)
		return volt_err(err, -EINVAL, "container id is longer than 1024 characters");
	if (id[0] == '.' || id[0] == '-')
		return volt_err(err, -EINVAL, "invalid container id \"%s\": must not start with '.' or '-'",
				id);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)id[i];
		if (!isalnum(ch) && !strchr("_+.-", ch))
			return volt_err(
			    err, EINVAL,
			    "invalid container id \"%s\": only letters, digits and _+.- are allowed", id);
	}
	return 0;
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},	      {"QUIT", SIGQUIT}, {"ILL", SIGILL},     {"TRAP", SIGTRAP},
    {"ABRT", SIGABRT}, {"IOT", SIGIOT},	      {"BUS", SIGBUS},	 {"FPE", SIGFPE},     {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},
    {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},     {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
    {"POLL", SIGPOLL}, {"PWR", SIGPWR},	      {"SYS", SIGSYS},
};

int volt_signal_parse(const char *s, int *sig, struct volt_error *err)
{
	if (!s || !*s)
		return volt_err(err, -EINVAL, "empty signal");
	char *end;
	if (isdigit((unsigned char)s[0])) {
		errno = 0;
		long v = strtol(s, &end, 10);
		if (errno || *end || v <= 0 || v > SIGRTMAX)
			return volt_err(err, -EINVAL, "invalid signal \"%s\"", s);
		*sig = (int)v;
		return 0;
	}
	const char *n = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
		if (strcasecmp(n, signals[i].name) == 0) {
			*sig = signals[i].sig;
			return 0;
		}
	}
	if (strncasecmp(n, "RTMIN", 5) == 0 || strncasecmp(n, "RTMAX", 5) == 0) {
		int base = strncasecmp(n, "RTMIN", 5) == 0 ? SIGRTMIN : SIGRTMAX;
		long off = 0;
		if (n[5]) {
			errno = 0;
			off = strtol(n + 5, &end, 10);
			if (errno || *end)
				return volt_err(err, -EINVAL, "invalid signal \"%s\"", s);
		}
		long v = base + off;
		if (v < SIGRTMIN || v > SIGRTMAX)
			return volt_err(err, -EINVAL, "invalid signal \"%s\"", s);
		*sig = (int)v;
		return 0;
	}
	return volt_err(err, -EINVAL, "unknown signal \"%s\"", s);
}

const char *volt_signal_name(int sig)
{
	static const char *const names[] = {
	    [SIGHUP] = "SIGHUP",       [SIGINT] = "SIGINT",	  [SIGQUIT] = "SIGQUIT",
	    [SIGILL] = "SIGILL",       [SIGTRAP] = "SIGTRAP",	  [SIGABRT] = "SIGABRT",
	    [SIGBUS] = "SIGBUS",       [SIGFPE] = "SIGFPE",	  [SIGKILL] = "SIGKILL",
	    [SIGUSR1] = "SIGUSR1",     [SIGSEGV] = "SIGSEGV",	  [SIGUSR2] = "SIGUSR2",
	    [SIGPIPE] = "SIGPIPE",     [SIGALRM] = "SIGALRM",	  [SIGTERM] = "SIGTERM",
	    [SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD",	  [SIGCONT] = "SIGCONT",
	    [SIGSTOP] = "SIGSTOP",     [SIGTSTP] = "SIGTSTP",	  [SIGTTIN] = "SIGTTIN",
	    [SIGTTOU] = "SIGTTOU",     [SIGURG] = "SIGURG",	  [SIGXCPU] = "SIGXCPU",
	    [SIGXFSZ] = "SIGXFSZ",     [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
	    [SIGWINCH] = "SIGWINCH",   [SIGIO] = "SIGIO",	  [SIGPWR] = "SIGPWR",
	    [SIGSYS] = "SIGSYS",
	};
	if (sig > 0 && (size_t)sig < sizeof names / sizeof names[0])
		return names[sig];
	return NULL;
}
