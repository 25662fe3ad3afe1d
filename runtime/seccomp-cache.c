#include "seccomp-cache.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/cleanup.h"

#define MAGIC "VOLTBPF1"

struct buf {
	char *p;
	size_t n, cap;
	bool failed;
};

static void put(struct buf *b, const void *data, size_t len)
{
	if (b->failed)
		return;
	if (b->n + len > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->n + len)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
}

static void buf_release(struct buf *b)
{
	free(b->p);
}

static void put_u64(struct buf *b, uint64_t v)
{
	put(b, &v, sizeof v);
}

/* Length-prefixed so that no two different profiles serialize alike. */
static void put_str(struct buf *b, const char *s)
{
	if (!s) {
		put_u64(b, UINT64_MAX);
		return;
	}
	size_t len = strlen(s);
	put_u64(b, len);
	put(b, s, len);
}

static void put_strv(struct buf *b, const struct oci_strv *v)
{
	put_u64(b, v->n);
	for (size_t i = 0; i < v->n; i++)
		put_str(b, v->v[i]);
}

static void make_key(struct buf *b, const struct oci_seccomp *s)
{
	const struct scmp_version *ver = seccomp_version();
	put_str(b, "volt seccomp cache 1");
	put_u64(b, ((uint64_t)ver->major << 32) | ((uint64_t)ver->minor << 16) | ver->micro);
	put_str(b, s->default_action);
	put_u64(b, s->has_default_errno_ret ? s->default_errno_ret : UINT64_MAX);
	put_strv(b, &s->architectures);
	put_strv(b, &s->flags);
	put_str(b, s->listener_path);
	put_u64(b, s->n_syscalls);
	for (size_t i = 0; i < s->n_syscalls; i++) {
		const struct oci_seccomp_syscall *sc = &s->syscalls[i];
		put_strv(b, &sc->names);
		put_str(b, sc->action);
		put_u64(b, sc->has_errno_ret ? sc->errno_ret : UINT64_MAX);
		put_u64(b, sc->n_args);
		for (size_t k = 0; k < sc->n_args; k++) {
			put_u64(b, sc->args[k].index);
			put_u64(b, sc->args[k].value);
			put_u64(b, sc->args[k].value_two);
			put_str(b, sc->args[k].op);
		}
	}
}

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
	return h;
}

struct header {
	char magic[8];
	uint64_t key_len;
	uint32_t flags;
	uint32_t notify;
	uint64_t prog_len;
};

static int read_all(int fd, void *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int cache_load(int dirfd, const char *name, const struct buf *key, struct volt_seccomp_filter *out)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	struct header h;
	if (read_all(fd, &h, sizeof h) < 0 || memcmp(h.magic, MAGIC, 8) || h.key_len != key->n ||
	    h.prog_len == 0 || h.prog_len > BPF_MAXINSNS)
		return -1;
	_cleanup_free_ char *k = malloc(key->n);
	if (!k || read_all(fd, k, key->n) < 0 || memcmp(k, key->p, key->n))
		return -1;
	struct sock_filter *f = calloc(h.prog_len, sizeof *f);
	if (!f || read_all(fd, f, h.prog_len * sizeof *f) < 0) {
		free(f);
		return -1;
	}
	out->prog.filter = f;
	out->prog.len = (unsigned short)h.prog_len;
	out->flags = h.flags;
	out->notify = h.notify;
	return 0;
}

static void cache_store(int dirfd, const char *name, const struct buf *key,
			const struct volt_seccomp_filter *f)
{
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%s.%d.tmp", name, (int)getpid());
	_cleanup_close_ int fd =
	    openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	struct header h = {
	    .key_len = key->n, .flags = f->flags, .notify = f->notify, .prog_len = f->prog.len};
	memcpy(h.magic, MAGIC, 8);
	size_t plen = f->prog.len * sizeof(struct sock_filter);
	if (write(fd, &h, sizeof h) != (ssize_t)sizeof h || write(fd, key->p, key->n) != (ssize_t)key->n ||
	    write(fd, f->prog.filter, plen) != (ssize_t)plen || renameat(dirfd, tmp, dirfd, name) < 0)
		unlinkat(dirfd, tmp, 0);
}

int volt_seccomp_compile_cached(const char *state_root, const struct oci_seccomp *s,
				const struct volt_seccomp_compile_opts *o, struct volt_seccomp_filter *out,
				struct volt_error *err)
{
	if (!s->present || (o && o->audit) || !state_root)
		return volt_seccomp_compile(s, o, out, err);
	_cleanup_(buf_release) struct buf key = {0};
	make_key(&key, s);
	if (key.failed)
		return volt_seccomp_compile(s, o, out, err);
	char name[32];
	snprintf(name, sizeof name, "%016llx.bpf", (unsigned long long)fnv1a(key.p, key.n));
	_cleanup_close_ int rootfd = open(state_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd >= 0)
		mkdirat(rootfd, VOLT_SECCOMP_CACHE_DIR, 0700);
	_cleanup_close_ int dirfd = rootfd < 0 ? -1
					       : openat(rootfd, VOLT_SECCOMP_CACHE_DIR,
							O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	memset(out, 0, sizeof *out);
	if (dirfd >= 0 && cache_load(dirfd, name, &key, out) == 0)
		return 0;
	if (volt_seccomp_compile(s, o, out, err) < 0)
		return -1;
	if (dirfd >= 0)
		cache_store(dirfd, name, &key, out);
	return 0;
}
