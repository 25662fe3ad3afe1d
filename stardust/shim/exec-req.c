#include "stardust/shim/exec-req.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct writer {
	uint8_t *buf;
	size_t cap, len;
	bool full;
};

static void put(struct writer *w, char tag, const char *value)
{
	size_t n = value ? strlen(value) : 0;
	if (w->full || w->len + n + 2 > w->cap) {
		w->full = true;
		return;
	}
	w->buf[w->len++] = (uint8_t)tag;
	if (n)
		memcpy(w->buf + w->len, value, n);
	w->len += n;
	w->buf[w->len++] = '\0';
}

int sd_exec_req_encode(const struct volt_exec_opts *o, uint8_t *buf, size_t cap, struct volt_error *err)
{
	struct writer w = {.buf = buf, .cap = cap};
	if (o->process_json) {
		if (memchr(o->process_json, '\0', o->process_json_len))
			return volt_err(err, -EINVAL, "--process: the file holds a NUL byte");
		if (w.len + o->process_json_len + 2 > cap)
			w.full = true;
		else {
			w.buf[w.len++] = 'p';
			memcpy(w.buf + w.len, o->process_json, o->process_json_len);
			w.len += o->process_json_len;
			w.buf[w.len++] = '\0';
		}
	}
	for (size_t i = 0; i < o->n_args; i++)
		put(&w, 'a', o->args[i]);
	for (size_t i = 0; i < o->n_env; i++)
		put(&w, 'e', o->env[i]);
	for (size_t i = 0; i < o->n_caps; i++)
		put(&w, 'c', o->caps[i]);
	if (o->cwd)
		put(&w, 'w', o->cwd);
	if (o->user)
		put(&w, 'u', o->user);
	if (o->no_new_privs)
		put(&w, 'n', NULL);
	if (o->tty)
		put(&w, 't', NULL);
	if (w.full)
		return volt_err(err, -E2BIG,
				"exec: the process and its options exceed %zu bytes (the microVM's limit)",
				cap);
	return (int)w.len;
}

void sd_exec_req_free(struct sd_exec_req *r)
{
	free(r->text);
	free(r->args);
	free(r->env);
	free(r->caps);
	memset(r, 0, sizeof *r);
}

int sd_exec_req_decode(const uint8_t *p, size_t n, struct sd_exec_req *r, struct volt_error *err)
{
	memset(r, 0, sizeof *r);
	r->opts.console_fd = -1;
	/* A record is at least a tag and its NUL: n/2 bounds every list. */
	r->text = malloc(n + 1);
	r->args = calloc(n / 2 + 1, sizeof(char *));
	r->env = calloc(n / 2 + 1, sizeof(char *));
	r->caps = calloc(n / 2 + 1, sizeof(char *));
	if (!r->text || !r->args || !r->env || !r->caps) {
		sd_exec_req_free(r);
		return volt_err(err, -ENOMEM, "exec request");
	}
	if (n)
		memcpy(r->text, p, n);
	r->text[n] = '\0';
	struct volt_exec_opts *o = &r->opts;
	o->args = r->args, o->env = r->env, o->caps = r->caps;
	size_t at = 0;
	while (at < n) {
		char tag = r->text[at];
		char *value = r->text + at + 1;
		char *nul = at + 1 < n ? memchr(value, '\0', n - at - 1) : NULL;
		if (!nul) {
			sd_exec_req_free(r);
			return volt_err(err, -EPROTO, "exec request: record '%c' at byte %zu has no end", tag,
					at);
		}
		switch (tag) {
		case 'a':
			r->args[o->n_args++] = value;
			break;
		case 'e':
			r->env[o->n_env++] = value;
			break;
		case 'c':
			r->caps[o->n_caps++] = value;
			break;
		case 'w':
			o->cwd = value;
			break;
		case 'u':
			o->user = value;
			break;
		case 'p':
			o->process_json = value;
			o->process_json_len = (size_t)(nul - value);
			break;
		case 'n':
			o->no_new_privs = true;
			break;
		case 't':
			o->tty = true;
			break;
		default:
			sd_exec_req_free(r);
			return volt_err(err, -EPROTO, "exec request: unknown record tag 0x%02x at byte %zu",
					(unsigned char)tag, at);
		}
		at = (size_t)(nul - r->text) + 1;
	}
	if (!o->n_args && !o->process_json) {
		sd_exec_req_free(r);
		return volt_err(err, -EINVAL, "exec request: no command and no process");
	}
	return 0;
}
