#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct volt_arena_chunk {
	struct volt_arena_chunk *next;
	size_t used, cap;
	_Alignas(max_align_t) unsigned char data[];
};

enum { ARENA_CHUNK = 16384 };

void *volt_arena_alloc(struct volt_arena *a, size_t size)
{
	size = (size + _Alignof(max_align_t) - 1) & ~(_Alignof(max_align_t) - 1);
	struct volt_arena_chunk *c = a->head;
	if (!c || c->cap - c->used < size) {
		size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;
		c = malloc(sizeof *c + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	void *p = c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

void *volt_arena_calloc(struct volt_arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return volt_arena_alloc(a, (n && size) ? n * size : 1);
}

char *volt_arena_strndup(struct volt_arena *a, const char *s, size_t n)
{
	char *p = volt_arena_alloc(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *volt_arena_strdup(struct volt_arena *a, const char *s)
{
	return s ? volt_arena_strndup(a, s, strlen(s)) : NULL;
}

void volt_arena_free(struct volt_arena *a)
{
	struct volt_arena_chunk *c = a->head;
	while (c) {
		struct volt_arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	a->head = NULL;
}
