/* Stardust ACPI tables and the AML encoder: checksums, the RSDP -> XSDT ->
 * FADT/MADT -> DSDT chain, LNRO0005 devices with their MMIO window and
 * IRQ, refusal of bad device lists, and, when acpica-tools is installed,
 * iasl -d disassembling the tables. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/cleanup.h"
#include "stardust/vmm/acpi.h"
#include "stardust/vmm/aml.h"
#include "stardust/vmm/layout.h"
#include "tap.h"

static uint32_t g32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t g64(const uint8_t *p)
{
	return (uint64_t)g32(p) | (uint64_t)g32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static bool same(const struct sd_aml *a, const uint8_t *want, size_t n)
{
	return a->bad == NULL && a->len == n && memcmp(a->buf, want, n) == 0;
}

static void test_aml(void)
{
	uint8_t pl[4];
	check(sd_aml_pkglen(0, pl) == 1 && pl[0] == 1, "pkglen: empty -> 0x01");
	check(sd_aml_pkglen(62, pl) == 1 && pl[0] == 0x3f, "pkglen: 62 bytes -> one byte 0x3f");
	check(sd_aml_pkglen(63, pl) == 2 && pl[0] == 0x41 && pl[1] == 0x04,
	      "pkglen: 63 bytes -> 0x41 0x04 (65)");
	check(sd_aml_pkglen(4093, pl) == 2 && pl[0] == 0x4f && pl[1] == 0xff,
	      "pkglen: 4093 -> two bytes (4095)");
	check(sd_aml_pkglen(4094, pl) == 3 && pl[0] == 0x81 && pl[1] == 0x00 && pl[2] == 0x01,
	      "pkglen: 4094 -> three bytes (4097)");
	check(sd_aml_pkglen(1u << 28, pl) == 0, "pkglen: 2^28 refused");

	uint8_t buf[512];
	struct sd_aml a;
	sd_aml_init(&a, buf, sizeof(buf));
	sd_aml_integer(&a, 0);
	sd_aml_integer(&a, 1);
	sd_aml_integer(&a, 5);
	sd_aml_integer(&a, 0x1234);
	sd_aml_integer(&a, 0x12345678);
	sd_aml_integer(&a, 1ULL << 40);
	sd_aml_integer(&a, UINT64_MAX);
	const uint8_t ints[] = {0x00, 0x01, 0x0a, 0x05, 0x0b, 0x34, 0x12, 0x0c, 0x78, 0x56, 0x34,
				0x12, 0x0e, 0,	  0,	0,    0,    0,	  1,	0,    0,    0xff};
	check(same(&a, ints, sizeof(ints)), "integers: Zero, One, Byte/Word/DWord/QWordConst, Ones");

	sd_aml_init(&a, buf, sizeof(buf));
	sd_aml_namestring(&a, "\\_SB_");
	sd_aml_namestring(&a, "_SB.V000");
	sd_aml_namestring(&a, "A.B.C");
	const uint8_t names[] = {'\\', '_', 'S', 'B', '_', 0x2e, '_', 'S', 'B', '_', 'V', '0', '0', '0',
				 0x2f, 3,   'A', '_', '_', '_',	 'B', '_', '_', '_', 'C', '_', '_', '_'};
	check(same(&a, names, sizeof(names)), "names: root prefix, dual and multi name paths, '_' padding");
	struct volt_error err = {0};
	sd_aml_namestring(&a, "v0");
	check(sd_aml_status(&a, &err) < 0 && strstr(err.msg, "name"), "names: lower case refused");
	sd_aml_init(&a, buf, sizeof(buf));
	sd_aml_namestring(&a, "1ABC");
	check(a.bad != NULL, "names: leading digit refused");

	/* Name(_HID, "LNRO0005") */
	sd_aml_init(&a, buf, sizeof(buf));
	sd_aml_name(&a, "_HID");
	sd_aml_string(&a, "LNRO0005");
	const uint8_t hid[] = {0x08, '_', 'H', 'I', 'D', 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0};
	check(same(&a, hid, sizeof(hid)), "Name(_HID, \"LNRO0005\")");

	/* A device whose body needs a two-byte PkgLength. */
	sd_aml_init(&a, buf, sizeof(buf));
	size_t d = sd_aml_device_open(&a, "DEV0");
	uint8_t payload[100] = {0};
	sd_aml_name(&a, "BUF0");
	sd_aml_buffer(&a, payload, sizeof(payload));
	sd_aml_close(&a, d);
	/* body: "DEV0"(4) + NameOp(1) + "BUF0"(4) + BufferOp(1) + pkglen(2: 100+2+1 > 63) + 0x0a 0x64 + 100
	 */
	size_t body = 4 + 1 + 4 + 1 + 2 + 2 + 100;
	check(a.bad == NULL && buf[0] == 0x5b && buf[1] == 0x82 && a.len == 2 + 2 + body &&
		  (buf[2] & 0xc0) == 0x40 && (size_t)((buf[2] & 0xf) | buf[3] << 4) == body + 2,
	      "Device() with a long body: two-byte PkgLength counts itself");

	uint8_t rb[64];
	struct sd_aml r;
	sd_aml_init(&r, rb, sizeof(rb));
	sd_res_memory32_fixed(&r, 0xd0000000, 0x200, true);
	sd_res_interrupt(&r, SD_AML_IRQ_CONSUMER, 5);
	sd_res_end(&r);
	const uint8_t res[] = {0x86, 9,	   0, 1, 0,    0, 0, 0xd0, 0, 2, 0,
			       0,    0x89, 6, 0, 0x01, 1, 5, 0,	   0, 0, 0x79};
	check(r.len == sizeof(res) + 1 && memcmp(rb, res, sizeof(res)) == 0 && sum(rb, r.len) == 0,
	      "resource template: Memory32Fixed, Interrupt, End Tag with checksum");

	uint8_t tiny[3];
	sd_aml_init(&a, tiny, sizeof(tiny));
	sd_aml_string(&a, "LNRO0005");
	check(sd_aml_status(&a, &err) < 0 && strstr(err.msg, "full"),
	      "buffer overflow reported, not written past");
}

struct tables {
	const uint8_t *rsdp, *xsdt, *fadt, *madt, *dsdt;
};

static const uint8_t *at(const struct sd_guest_mem *m, uint64_t gpa, uint64_t len)
{
	return sd_gpa(m, gpa, len);
}

static bool find_tables(const struct sd_guest_mem *m, uint64_t rsdp_gpa, struct tables *t)
{
	memset(t, 0, sizeof(*t));
	t->rsdp = at(m, rsdp_gpa, 36);
	if (!t->rsdp)
		return false;
	t->xsdt = at(m, g64(t->rsdp + 24), 36);
	if (!t->xsdt)
		return false;
	uint32_t n = (g32(t->xsdt + 4) - 36) / 8;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *tab = at(m, g64(t->xsdt + 36 + 8 * i), 36);
		if (tab && memcmp(tab, "FACP", 4) == 0)
			t->fadt = tab;
		if (tab && memcmp(tab, "APIC", 4) == 0)
			t->madt = tab;
	}
	if (t->fadt)
		t->dsdt = at(m, g64(t->fadt + 140), 36);
	return t->fadt && t->madt && t->dsdt;
}

static const uint8_t *memfind(const uint8_t *h, size_t hn, const void *n, size_t nn, size_t from)
{
	for (size_t i = from; i + nn <= hn; i++)
		if (memcmp(h + i, n, nn) == 0)
			return h + i;
	return NULL;
}

static int run(const char *dir, const char *cmd)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "cd '%s' && %s >iasl.log 2>&1", dir, cmd);
	return system(buf);
}

static bool file_has(const char *path, const char *needle)
{
	_cleanup_fclose_ FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char line[512];
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			return true;
	return false;
}

static void dump(const char *dir, const char *name, const uint8_t *t)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	_cleanup_fclose_ FILE *f = fopen(path, "wb");
	if (f)
		fwrite(t, 1, g32(t + 4), f);
}

static void test_tables(void)
{
	struct sd_guest_mem m = {.n = 1, .r = {{.gpa = 0, .size = 16 << 20, .host = calloc(1, 16 << 20)}}};
	const struct sd_acpi_virtio dev[] = {
	    {.base = 0xd0000000, .irq = 5},
	    {.base = 0xd0000200, .irq = 6},
	    {.base = 0xd0001000, .size = 0x1000, .irq = 7, .edge = true},
	};
	struct sd_acpi_cfg cfg = {.n_vcpus = 2, .virtio = dev, .n_virtio = 3, .sleep_port = 0x600};
	uint64_t rsdp = 0;
	struct volt_error err = {0};
	int r = sd_acpi_build(&m, SD_ACPI_GPA, &cfg, &rsdp, &err);
	if (r < 0)
		printf("# %s\n", err.msg);
	check(r == 0 && rsdp == SD_ACPI_GPA, "tables built, RSDP at 0xe0000");
	struct tables t;
	bool found = r == 0 && find_tables(&m, rsdp, &t);
	check(found, "RSDP -> XSDT lists FACP and APIC; FADT -> DSDT");
	if (!found)
		return;
	check(memcmp(t.rsdp, "RSD PTR ", 8) == 0 && t.rsdp[15] == 2 && g32(t.rsdp + 20) == 36 &&
		  g32(t.rsdp + 16) == 0,
	      "RSDP: signature, revision 2, length 36, XSDT only");
	check(sum(t.rsdp, 20) == 0 && sum(t.rsdp, 36) == 0, "RSDP: checksum and extended checksum");
	check(sum(t.xsdt, g32(t.xsdt + 4)) == 0 && sum(t.fadt, g32(t.fadt + 4)) == 0 &&
		  sum(t.madt, g32(t.madt + 4)) == 0 && sum(t.dsdt, g32(t.dsdt + 4)) == 0,
	      "XSDT, FADT, MADT, DSDT checksums sum to 0");
	check(g32(t.xsdt + 4) == 36 + 16, "XSDT has two entries");
	check(g32(t.fadt + 4) == 276 && t.fadt[8] == 6 && (g32(t.fadt + 112) & (1u << 20)),
	      "FADT: ACPI 6, HW_REDUCED_ACPI");
	check(g32(t.fadt + 40) == g64(t.fadt + 140) && memcmp(t.dsdt, "DSDT", 4) == 0,
	      "FADT: DSDT and X_DSDT agree");
	check((t.fadt[109] & 0x3) == 0 && (t.fadt[109] & (1u << 5)),
	      "FADT: no legacy devices, no 8042, no CMOS RTC");
	check(t.fadt[244] == 1 && g64(t.fadt + 248) == 0x600 && t.fadt[256] == 1 &&
		  g64(t.fadt + 260) == 0x600,
	      "FADT: sleep control/status registers on the given port");
	uint32_t madt_len = g32(t.madt + 4);
	check(madt_len == 44 + 2 * 8 + 12 && g32(t.madt + 36) == 0xfee00000,
	      "MADT: length, local APIC address");
	const uint8_t *e = t.madt + 44;
	check(e[0] == 0 && e[1] == 8 && e[3] == 0 && (g32(e + 4) & 1) && e[8] == 0 && e[11] == 1 &&
		  (g32(e + 12) & 1),
	      "MADT: an enabled local APIC per vCPU, APIC IDs 0 and 1");
	check(e[16] == 1 && e[17] == 12 && g32(e + 20) == 0xfec00000 && g32(e + 24) == 0,
	      "MADT: IO APIC at 0xfec00000, GSI 0");

	size_t dl = g32(t.dsdt + 4);
	int n_hid = 0;
	for (const uint8_t *p = t.dsdt; (p = memfind(t.dsdt, dl, "LNRO0005", 8, (size_t)(p - t.dsdt))); p++)
		n_hid++;
	check(n_hid == 3, "DSDT: three LNRO0005 devices");
	bool res_ok = true;
	size_t from = 0;
	for (int i = 0; i < 3; i++) {
		const uint8_t *crs = memfind(t.dsdt, dl, "_CRS", 4, from);
		if (!crs || crs[4] != 0x11) {
			res_ok = false;
			break;
		}
		from = (size_t)(crs - t.dsdt) + 4;
		/* BufferOp PkgLength(1) BytePrefix n <n bytes> */
		const uint8_t *rt = crs + 4 + 2;
		uint8_t n = rt[1];
		rt += 2;
		uint64_t size = dev[i].size ? dev[i].size : 0x200;
		uint8_t flags = dev[i].edge ? 0x03 : 0x01;
		res_ok &= rt[0] == 0x86 && g32(rt + 4) == dev[i].base && g32(rt + 8) == size &&
			  rt[12] == 0x89 && rt[15] == flags && rt[16] == 1 && g32(rt + 17) == dev[i].irq &&
			  rt[21] == 0x79 && sum(rt, n) == 0;
		char uid[] = {0x08, '_', 'U', 'I', 'D', (char)(i == 0 ? 0x00 : i == 1 ? 0x01 : 0x0a)};
		res_ok &= memfind(t.dsdt, dl, uid, sizeof(uid), 0) != NULL;
	}
	check(res_ok, "DSDT: each device's _UID and _CRS (Memory32Fixed base/size, Interrupt level/edge + "
		      "irq, End Tag checksum)");
	const uint8_t s5[] = {0x08, '\\', '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00};
	check(memfind(t.dsdt, dl, s5, sizeof(s5), 0) != NULL, "DSDT: \\_S5_ package {5, 0, 0, 0}");

	if (access("/usr/bin/iasl", X_OK) != 0) {
		skip("iasl -d disassembles DSDT, FACP, APIC",
		     "iasl not installed (apt-get install acpica-tools)");
	} else {
		char dir[] = "/tmp/sd-acpi-XXXXXX";
		if (!mkdtemp(dir)) {
			check(false, "iasl: mkdtemp");
		} else {
			dump(dir, "dsdt.dat", t.dsdt);
			dump(dir, "facp.dat", t.fadt);
			dump(dir, "apic.dat", t.madt);
			char p[600];
			int rc = run(dir, "iasl -d dsdt.dat facp.dat apic.dat");
			snprintf(p, sizeof(p), "%s/dsdt.dsl", dir);
			bool dsl = file_has(p, "LNRO0005") && file_has(p, "Memory32Fixed (ReadWrite") &&
				   file_has(p, "Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive") &&
				   file_has(p, "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive") &&
				   file_has(p, "0xD0000200");
			snprintf(p, sizeof(p), "%s/facp.dsl", dir);
			bool facp = file_has(p, "Hardware Reduced (V5) : 1");
			snprintf(p, sizeof(p), "%s/apic.dsl", dir);
			bool apic = file_has(p, "I/O APIC");
			snprintf(p, sizeof(p), "%s/iasl.log", dir);
			bool clean = !file_has(p, "Invalid") && !file_has(p, "rror");
			check(rc == 0 && dsl && facp && apic && clean,
			      "iasl -d disassembles DSDT, FACP, APIC without complaint");
			if (!(rc == 0 && dsl && facp && apic && clean))
				printf("# iasl output kept in %s\n", dir);
			else
				run(dir, "rm -f dsdt.* facp.* apic.* iasl.log && cd / && rmdir \"$OLDPWD\"");
		}
	}

	/* Refusals: nothing written. */
	struct sd_guest_mem clean = {.n = 1,
				     .r = {{.gpa = 0, .size = 16 << 20, .host = calloc(1, 16 << 20)}}};
	struct {
		const char *name;
		struct sd_acpi_virtio d[2];
		size_t n;
		uint32_t vcpus;
		const char *msg;
	} bad[] = {
	    {"irq 24 refused", {{.base = 0xd0000000, .irq = 24}}, 1, 1, "IO APIC pin"},
	    {"device in RAM refused", {{.base = 0x100000, .irq = 5}}, 1, 1, "MMIO hole"},
	    {"device over the IO APIC refused", {{.base = 0xfec00000, .irq = 5}}, 1, 1, "APIC"},
	    {"device crossing 4 GiB refused", {{.base = 0xffffff00, .irq = 5}}, 1, 1, "MMIO hole"},
	    {"overlapping devices refused",
	     {{.base = 0xd0000000, .irq = 5}, {.base = 0xd0000100, .irq = 6}},
	     2,
	     1,
	     "overlaps"},
	    {"0 vCPUs refused", {{.base = 0xd0000000, .irq = 5}}, 1, 0, "vCPUs"},
	    {"255 vCPUs refused", {{.base = 0xd0000000, .irq = 5}}, 1, 255, "vCPUs"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sd_acpi_cfg c = {.n_vcpus = bad[i].vcpus, .virtio = bad[i].d, .n_virtio = bad[i].n};
		err.msg[0] = 0;
		r = sd_acpi_build(&clean, SD_ACPI_GPA, &c, &rsdp, &err);
		bool zero =
		    sum(clean.r[0].host + SD_ACPI_GPA, 0x1000) == 0 && clean.r[0].host[SD_ACPI_GPA] == 0;
		check(r < 0 && strstr(err.msg, bad[i].msg) && zero, bad[i].name);
	}
	check(sd_acpi_build(&clean, SD_ACPI_GPA + 8, &cfg, &rsdp, &err) < 0 && strstr(err.msg, "aligned"),
	      "unaligned base refused");
	struct sd_guest_mem small = {.n = 1, .r = {{.gpa = 0, .size = 0xe0100, .host = clean.r[0].host}}};
	check(sd_acpi_build(&small, SD_ACPI_GPA, &cfg, &rsdp, &err) < 0 &&
		  strstr(err.msg, "outside guest memory"),
	      "tables beyond guest memory refused");
	struct sd_acpi_virtio many[SD_ACPI_MAX_VIRTIO];
	for (int i = 0; i < SD_ACPI_MAX_VIRTIO; i++)
		many[i] =
		    (struct sd_acpi_virtio){.base = 0xd0000000 + 0x200 * (uint64_t)i, .irq = 5 + i % 16};
	struct sd_acpi_cfg big = {.n_vcpus = 254, .virtio = many, .n_virtio = SD_ACPI_MAX_VIRTIO};
	check(sd_acpi_build(&m, SD_ACPI_GPA, &big, &rsdp, &err) == 0 && find_tables(&m, rsdp, &t) &&
		  sum(t.dsdt, g32(t.dsdt + 4)) == 0 && sum(t.madt, g32(t.madt + 4)) == 0 &&
		  g32(t.dsdt + 4) > 4096,
	      "254 vCPUs and 64 devices: multi-byte package lengths, checksums hold");
	free(m.r[0].host);
	free(clean.r[0].host);
}

int main(void)
{
	test_aml();
	test_tables();
	return tap_done();
}
