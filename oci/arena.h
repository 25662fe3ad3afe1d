/* A bump allocator: a parsed config lives in one arena and is freed at once,
 * so the parser needs no per-field free code. */
#ifndef VOLT_OCI_ARENA_H
#define VOLT_OCI_ARENA_H

#include <stddef.h>

struct volt_arena_chunk;
struct volt_arena {
	struct volt_arena_chunk *head;
};

/* Returns zeroed memory; aborts the process only never: NULL on ENOMEM. */
void *volt_arena_alloc(struct volt_arena *a, size_t size);
void *volt_arena_calloc(struct volt_arena *a, size_t n, size_t size);
char *volt_arena_strdup(struct volt_arena *a, const char *s);
char *volt_arena_strndup(struct volt_arena *a, const char *s, size_t n);
void volt_arena_free(struct volt_arena *a);

#endif
