/* What one stardust-vmm run is asked to boot, from its command line:
 *
 *   stardust-vmm --kernel F [--initrd F] [--cmdline S] [--mem MiB] [--vcpus N]
 *                [--disk F[,ro]] [--console-in FD|PATH --console-out FD|PATH]
 *                [--net-tap NAME[,mac=M] | --net-fd FD[,mac=M]]
 *                [--serial] [--no-seccomp] [--no-jail] [--kvm DEV] [--user UID:GID|keep]
 *
 * --memory is accepted for --mem. Options take their value as the next
 * argument or after '='. A console
 * endpoint that is all digits is an inherited fd, anything else a path.
 * --net-tap opens (or creates) tap NAME; --net-fd takes an inherited tap fd
 * or a datagram/seqpacket socket, one frame per datagram. M is the guest's
 * MAC, XX:XX:XX:XX:XX:XX; by default 02:5d:... derived from NAME (or from
 * "fd:FD"). */
#ifndef STARDUST_VMM_CONFIG_H
#define STARDUST_VMM_CONFIG_H

#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/error.h"

#define SD_CFG_MEM_DEFAULT_MIB 256
#define SD_CFG_MEM_MIN_MIB     16
#define SD_CFG_MEM_MAX_MIB     (1024 * 1024) /* 1 TiB */
#define SD_CFG_VCPUS_MAX       32

struct sd_vm_config {
	const char *kernel; /* ELF vmlinux or bzImage */
	const char *initrd;
	const char *cmdline; /* appended to the monitor's own parameters */
	uint64_t mem_mib;
	uint32_t vcpus;
	const char *disk; /* virtio-blk image */
	bool disk_ro;
	/* virtio-console endpoints: fd (>= 0) or path (fd -1, path set). */
	int console_in_fd, console_out_fd;
	const char *console_in_path, *console_out_path;
	bool console; /* a virtio-console is wanted */
	/* virtio-net backend: tap name, or inherited fd (>= 0); net says
	 * either was given. */
	const char *net_tap;
	int net_fd;
	bool net;
	bool net_mac_set;
	uint8_t net_mac[6];
	bool serial; /* COM1, output to stdout, kernel console on it */
	bool seccomp;
	bool jail;
	uid_t uid; /* the jail switches to uid:gid when started as root; -1: keep */
	gid_t gid;
	const char *kvm_dev;
	bool help;
	char disk_buf[4096]; /* --disk's path without ",ro" */
	char net_buf[64];    /* --net-tap's name without ",mac=..." */
};

/* argv[0] is skipped. Fills the defaults, then the options; checks ranges
 * and that --console-in and --console-out come together. */
int sd_vm_config_parse(struct sd_vm_config *cfg, int argc, char *const argv[], struct volt_error *err);

/* The kernel command line: the monitor's parameters for a fast, quiet
 * microVM boot, then cfg->cmdline. */
int sd_vm_cmdline(const struct sd_vm_config *cfg, char *buf, size_t cap, struct volt_error *err);

extern const char sd_vm_usage[];

#endif
