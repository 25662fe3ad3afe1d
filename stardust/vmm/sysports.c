#include "stardust/vmm/sysports.h"

#include <string.h>

#include "stardust/vmm/acpi.h"

static uint32_t value(const void *data, uint32_t len)
{
	uint32_t v = 0;
	memcpy(&v, data, len < 4 ? len : 4);
	return v;
}

static int exit_write(void *opaque, uint64_t off, const void *data, uint32_t len, struct volt_error *err)
{
	/* The window spans 4 ports so that 16- and 32-bit writes land in it;
	 * only those starting at the exit port itself count. */
	if (off == 0)
		sd_vm_stop(opaque, SD_STOP_EXIT_PORT, (int)(value(data, len) & 0xff), NULL);
	return 0;
}

static int sleep_write(void *opaque, uint64_t off, const void *data, uint32_t len, struct volt_error *err)
{
	/* Sleep control: SLP_TYP in bits 2..4, SLP_EN bit 5. The status
	 * register shares the port; Linux writes WAK_STS (0x80) to it first,
	 * which has no SLP_EN and is ignored. */
	uint32_t v = value(data, len);
	if ((v & SD_ACPI_SLP_EN) && ((v >> 2) & 7) == SD_ACPI_S5_SLP_TYP)
		sd_vm_stop(opaque, SD_STOP_POWEROFF, 0, NULL);
	return 0;
}

static int i8042_write(void *opaque, uint64_t off, const void *data, uint32_t len, struct volt_error *err)
{
	if ((value(data, len) & 0xff) == SD_I8042_RESET)
		sd_vm_stop(opaque, SD_STOP_RESET, 0, NULL);
	return 0;
}

static int read_zero(void *opaque, uint64_t off, void *data, uint32_t len, struct volt_error *err)
{
	memset(data, 0, len);
	return 0;
}

static int ignore_write(void *opaque, uint64_t off, const void *data, uint32_t len, struct volt_error *err)
{
	return 0;
}

int sd_sysports_register(struct sd_bus *pio, struct sd_vm_state *s, bool pit, struct volt_error *err)
{
	if (sd_bus_add(pio, "exit", SD_PORT_EXIT, 4, read_zero, exit_write, s, err) < 0 ||
	    sd_bus_add(pio, "acpi-sleep", SD_PORT_SLEEP, 1, read_zero, sleep_write, s, err) < 0 ||
	    sd_bus_add(pio, "i8042", SD_PORT_I8042_CMD, 1, NULL, i8042_write, s, err) < 0 ||
	    sd_bus_add(pio, "post", SD_PORT_POST, 1, read_zero, ignore_write, s, err) < 0 ||
	    sd_bus_add(pio, "cmos", SD_PORT_CMOS, 2, read_zero, ignore_write, s, err) < 0)
		return -1;
	if (!pit && sd_bus_add(pio, "sysctl-b", SD_PORT_SYSCTL_B, 1, read_zero, ignore_write, s, err) < 0)
		return -1;
	return 0;
}
