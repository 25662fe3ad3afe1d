/* stardust-vmm: boot one microVM and exit with the guest's status. The
 * command line is in stardust/vmm/config.h; the exit status is the byte the
 * guest wrote to the exit port (0x501), 0 on a clean power-off, 1 when the
 * VM could not run or ended any other way (reset, crash, signal). */
#include <stdio.h>
#include <stdlib.h>

#include "stardust/vmm/config.h"
#include "stardust/vmm/monitor.h"

int main(int argc, char **argv)
{
	static struct sd_vm_config cfg;
	struct volt_error err = {0};
	if (sd_vm_config_parse(&cfg, argc, argv, &err) < 0) {
		fprintf(stderr, "stardust-vmm: %s\n%s", err.msg, sd_vm_usage);
		return 1;
	}
	if (cfg.help) {
		fputs(sd_vm_usage, stdout);
		return 0;
	}
	static struct sd_monitor_result res;
	if (sd_monitor_run(&cfg, &res, &err) < 0) {
		fprintf(stderr, "stardust-vmm: %s\n", err.msg);
		return 1;
	}
	if (res.refused)
		fprintf(stderr,
			"stardust-vmm: the guest made %llu device accesses that were refused; first: %s\n",
			(unsigned long long)res.refused, res.first_refused.msg);
	int status = sd_monitor_exit_status(&res);
	if (res.reason == SD_STOP_ERROR)
		fprintf(stderr, "stardust-vmm: %s\n", res.err.msg);
	else if (status != 0 && res.reason != SD_STOP_EXIT_PORT)
		fprintf(stderr, "stardust-vmm: the VM stopped: %s\n", sd_stop_reason_name(res.reason));
	return status;
}
