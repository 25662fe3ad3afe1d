#include "stardust/vmm/acpi.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/cleanup.h"
#include "stardust/vmm/aml.h"
#include "stardust/vmm/layout.h"
#include "stardust/vmm/le.h"

#define HDR_LEN			       36
#define RSDP_LEN		       36
#define FADT_LEN		       276 /* ACPI 6.x, with the hypervisor vendor identity */
#define FADT_HW_REDUCED		       (1u << 20)
#define FADT_PWR_BUTTON		       (1u << 4) /* no fixed-feature power button */
#define FADT_SLP_BUTTON		       (1u << 5)
#define BOOT_ARCH_VGA_NOT_PRESENT      (1u << 2)
#define BOOT_ARCH_CMOS_RTC_NOT_PRESENT (1u << 5)
#define GAS_SYSTEM_IO		       1
#define GAS_ACCESS_BYTE		       1

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)(0x100 - sum);
}

static void header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	sd_put32(t + 4, len);
	t[8] = rev;
	t[9] = 0; /* checksum, filled last */
	memcpy(t + 10, SD_ACPI_OEM_ID, 6);
	memcpy(t + 16, SD_ACPI_OEM_TABLE_ID, 8);
	sd_put32(t + 24, 1);	   /* OEM revision */
	memcpy(t + 28, "VOLT", 4); /* creator */
	sd_put32(t + 32, 1);
}

static void seal(uint8_t *t)
{
	uint32_t len = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
	t[9] = 0;
	t[9] = checksum(t, len);
}

static void gas_io(uint8_t *g, uint16_t port)
{
	g[0] = GAS_SYSTEM_IO;
	g[1] = 8; /* bit width */
	g[2] = 0;
	g[3] = GAS_ACCESS_BYTE;
	sd_put64(g + 4, port);
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static int check_cfg(const struct sd_acpi_cfg *cfg, struct volt_error *err)
{
	if (cfg->n_vcpus == 0 || cfg->n_vcpus > SD_ACPI_MAX_VCPUS)
		return volt_err(err, -EINVAL, "acpi: %u vCPUs, the MADT describes 1..%d", cfg->n_vcpus,
				SD_ACPI_MAX_VCPUS);
	if (cfg->n_virtio > SD_ACPI_MAX_VIRTIO || (cfg->n_virtio && !cfg->virtio))
		return volt_err(err, -EINVAL, "acpi: %zu virtio devices (at most %d)", cfg->n_virtio,
				SD_ACPI_MAX_VIRTIO);
	for (size_t i = 0; i < cfg->n_virtio; i++) {
		const struct sd_acpi_virtio *d = &cfg->virtio[i];
		uint64_t size = d->size ? d->size : SD_ACPI_VIRTIO_SIZE;
		if (d->base < SD_MMIO_HOLE_START || size > SD_HIGH_MEM_START - d->base)
			return volt_err(err, -ERANGE,
					"acpi: virtio[%zu] at %#" PRIx64 " (+%#" PRIx64
					") is outside the MMIO hole %#llx..4G",
					i, d->base, size, SD_MMIO_HOLE_START);
		if (overlaps(d->base, size, SD_ACPI_IOAPIC_GPA, 0x1000) ||
		    overlaps(d->base, size, SD_ACPI_LAPIC_GPA, 0x1000))
			return volt_err(err, -ERANGE, "acpi: virtio[%zu] at %#" PRIx64 " overlaps an APIC", i,
					d->base);
		if (d->irq >= SD_ACPI_IOAPIC_PINS)
			return volt_err(err, -ERANGE,
					"acpi: virtio[%zu].irq %u is not an IO APIC pin (0..%d)", i, d->irq,
					SD_ACPI_IOAPIC_PINS - 1);
		for (size_t j = 0; j < i; j++) {
			const struct sd_acpi_virtio *o = &cfg->virtio[j];
			if (overlaps(d->base, size, o->base, o->size ? o->size : SD_ACPI_VIRTIO_SIZE))
				return volt_err(err, -EEXIST, "acpi: virtio[%zu] overlaps virtio[%zu]", i, j);
		}
	}
	return 0;
}

/* DSDT body: the virtio-mmio devices and, with a sleep port, \_S5. */
static int dsdt_aml(struct sd_aml *a, const struct sd_acpi_cfg *cfg, struct volt_error *err)
{
	size_t sb = sd_aml_scope_open(a, "\\_SB_");
	for (size_t i = 0; i < cfg->n_virtio; i++) {
		const struct sd_acpi_virtio *d = &cfg->virtio[i];
		char name[16];
		snprintf(name, sizeof(name), "V%03X", (unsigned)(i & 0xfff));
		size_t dev = sd_aml_device_open(a, name);
		sd_aml_name(a, "_HID");
		sd_aml_string(a, "LNRO0005");
		sd_aml_name(a, "_UID");
		sd_aml_integer(a, i);
		sd_aml_name(a, "_CCA"); /* DMA is cache coherent */
		sd_aml_integer(a, 1);
		uint8_t rbuf[64];
		struct sd_aml r;
		sd_aml_init(&r, rbuf, sizeof(rbuf));
		sd_res_memory32_fixed(&r, (uint32_t)d->base,
				      (uint32_t)(d->size ? d->size : SD_ACPI_VIRTIO_SIZE), true);
		sd_res_interrupt(&r, SD_AML_IRQ_CONSUMER | (d->edge ? SD_AML_IRQ_EDGE : 0), d->irq);
		sd_res_end(&r);
		if (sd_aml_status(&r, err) < 0)
			return -1;
		sd_aml_name(a, "_CRS");
		sd_aml_buffer(a, r.buf, r.len);
		sd_aml_close(a, dev);
	}
	sd_aml_close(a, sb);
	if (cfg->sleep_port) {
		sd_aml_name(a, "\\_S5_");
		size_t pkg = sd_aml_package_open(a, 4);
		sd_aml_integer(a, SD_ACPI_S5_SLP_TYP);
		sd_aml_integer(a, 0);
		sd_aml_integer(a, 0);
		sd_aml_integer(a, 0);
		sd_aml_close(a, pkg);
	}
	return sd_aml_status(a, err);
}

static size_t align16(size_t v)
{
	return (v + 15) & ~(size_t)15;
}

int sd_acpi_build(struct sd_guest_mem *m, uint64_t base_gpa, const struct sd_acpi_cfg *cfg,
		  uint64_t *rsdp_gpa, struct volt_error *err)
{
	if (base_gpa & 15)
		return volt_err(err, -EINVAL, "acpi: base %#" PRIx64 " is not 16-byte aligned", base_gpa);
	if (check_cfg(cfg, err) < 0)
		return -1;
	_cleanup_free_ uint8_t *t = calloc(1, SD_ACPI_SIZE);
	if (!t)
		return volt_err(err, ENOMEM, "acpi: scratch buffer");

	size_t rsdp = 0;
	size_t xsdt = align16(rsdp + RSDP_LEN);
	size_t xsdt_len = HDR_LEN + 2 * 8;
	size_t fadt = align16(xsdt + xsdt_len);
	size_t madt = align16(fadt + FADT_LEN);
	size_t madt_len = 44 + 8 * (size_t)cfg->n_vcpus + 12;
	size_t dsdt = align16(madt + madt_len);

	struct sd_aml a;
	sd_aml_init(&a, t + dsdt + HDR_LEN, SD_ACPI_SIZE - dsdt - HDR_LEN);
	if (dsdt_aml(&a, cfg, err) < 0)
		return volt_err_ctx(err, "acpi: DSDT: ");
	size_t dsdt_len = HDR_LEN + a.len;
	size_t used = dsdt + dsdt_len;
	if (base_gpa > SD_HIGH_MEM_START || used > SD_HIGH_MEM_START - base_gpa)
		return volt_err(err, -ERANGE, "acpi: tables at %#" PRIx64 " must lie below 4 GiB", base_gpa);
	uint8_t *dst = sd_gpa(m, base_gpa, used);
	if (!dst)
		return volt_err(err, -ERANGE, "acpi: %zu bytes at %#" PRIx64 " outside guest memory", used,
				base_gpa);

	/* RSDP: revision 2, XSDT only (the RSDT address stays 0). */
	uint8_t *r = t + rsdp;
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, SD_ACPI_OEM_ID, 6);
	r[15] = 2;
	sd_put32(r + 20, RSDP_LEN);
	sd_put64(r + 24, base_gpa + xsdt);
	r[8] = checksum(r, 20);
	r[32] = checksum(r, RSDP_LEN);

	uint8_t *x = t + xsdt;
	header(x, "XSDT", (uint32_t)xsdt_len, 1);
	sd_put64(x + HDR_LEN, base_gpa + fadt);
	sd_put64(x + HDR_LEN + 8, base_gpa + madt);
	seal(x);

	uint8_t *f = t + fadt;
	header(f, "FACP", FADT_LEN, 6);
	sd_put32(f + 40, (uint32_t)(base_gpa + dsdt));
	sd_put16(f + 109, BOOT_ARCH_VGA_NOT_PRESENT | BOOT_ARCH_CMOS_RTC_NOT_PRESENT);
	sd_put32(f + 112, FADT_HW_REDUCED | FADT_PWR_BUTTON | FADT_SLP_BUTTON);
	f[131] = 3; /* FADT minor version: ACPI 6.3 */
	sd_put64(f + 140, base_gpa + dsdt);
	if (cfg->sleep_port) {
		gas_io(f + 244, cfg->sleep_port);
		gas_io(f + 256, cfg->sleep_port);
	}
	memcpy(f + 268, "STARDUST", 8); /* hypervisor vendor identity */
	seal(f);

	uint8_t *p = t + madt;
	header(p, "APIC", (uint32_t)madt_len, 5);
	sd_put32(p + 36, SD_ACPI_LAPIC_GPA);
	sd_put32(p + 40, 0); /* no PCAT_COMPAT: there is no 8259 to mask */
	uint8_t *e = p + 44;
	for (uint32_t i = 0; i < cfg->n_vcpus; i++, e += 8) {
		e[0] = 0; /* Processor Local APIC */
		e[1] = 8;
		e[2] = (uint8_t)i; /* ACPI processor UID */
		e[3] = (uint8_t)i; /* APIC ID, as CPUID reports it */
		sd_put32(e + 4, 1);   /* enabled */
	}
	e[0] = 1; /* IO APIC */
	e[1] = 12;
	e[2] = 0; /* IO APIC ID: KVM's in-kernel one reads back 0 */
	sd_put32(e + 4, SD_ACPI_IOAPIC_GPA);
	sd_put32(e + 8, 0); /* GSI base */
	seal(p);

	uint8_t *d = t + dsdt;
	header(d, "DSDT", (uint32_t)dsdt_len, 2);
	seal(d);

	memcpy(dst, t, used);
	*rsdp_gpa = base_gpa + rsdp;
	return 0;
}
