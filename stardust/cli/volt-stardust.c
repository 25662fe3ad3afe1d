/* volt-stardust: volt-run's command line with the microVM backend. Same
 * commands, options and exit statuses; containers are created with the
 * "stardust" backend (runtime/backend-stardust.c) and kept under their own
 * state root, /run/volt-stardust, unless --root says otherwise.
 *
 * volt-run's main is reused as it is: it is compiled in here under another
 * name, and this main only puts the defaults in front of the caller's
 * arguments: `--backend stardust --root /run/volt-stardust` (a later --root
 * wins, as getopt takes the last). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define main volt_run_main
#include "runtime/cli/main.c"
#undef main

#define VOLT_STARDUST_ROOT "/run/volt-stardust"

int main(int argc, char **argv)
{
	char **args = calloc((size_t)argc + 5, sizeof *args);
	if (!args) {
		perror("volt-stardust");
		return 1;
	}
	int n = 0;
	args[n++] = argv[0];
	args[n++] = "--backend";
	args[n++] = "stardust";
	args[n++] = "--root";
	args[n++] = VOLT_STARDUST_ROOT;
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	return volt_run_main(n, args);
}
