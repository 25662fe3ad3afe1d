/* The profiles/ tree compiled into libvolt by scripts/embed-profiles.sh
 * ($(BUILD)/gen/profiles-embedded.c), sorted by kind then name. */
#ifndef VOLT_RUNTIME_PROFILES_EMBEDDED_H
#define VOLT_RUNTIME_PROFILES_EMBEDDED_H

#include <stddef.h>

struct volt_embedded_profile {
	const char *kind; /* "seccomp", "landlock", "caps": the directory */
	const char *name; /* the file name without .json */
	const char *text; /* the JSON, NUL-terminated */
};

extern const struct volt_embedded_profile volt_embedded_profiles[];
extern const size_t volt_embedded_profiles_n;

#endif
