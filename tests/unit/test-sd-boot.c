/* Stardust boot loading: the e820 map for several guest sizes, a fake
 * bzImage and a hand-made ELF64 vmlinux loaded into buffer-backed guest
 * memory (zero page fields, entry points, initrd placement, refusals that
 * write nothing), and the real Debian bzImage's header when installed. */
#include <elf.h>
#include <glob.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/cleanup.h"
#include "stardust/vmm/boot.h"
#include "stardust/vmm/e820.h"
#include "stardust/vmm/layout.h"
#include "tap.h"

static uint16_t g16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t g32(const uint8_t *p)
{
	return (uint32_t)g16(p) | (uint32_t)g16(p + 2) << 16;
}
static uint64_t g64(const uint8_t *p)
{
	return (uint64_t)g32(p) | (uint64_t)g32(p + 4) << 32;
}
static void p16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static void p32(uint8_t *p, uint32_t v)
{
	p16(p, (uint16_t)v);
	p16(p + 2, (uint16_t)(v >> 16));
}
static void p64(uint8_t *p, uint64_t v)
{
	p32(p, (uint32_t)v);
	p32(p + 4, (uint32_t)(v >> 32));
}

static struct sd_guest_mem guest(size_t size, uint8_t fill)
{
	uint8_t *h = malloc(size);
	memset(h, fill, size);
	return (struct sd_guest_mem){.n = 1, .r = {{.gpa = 0, .size = size, .host = h}}};
}

/* ---- e820 ---- */

static bool e820_sane(const struct sd_e820_entry *t, size_t n, uint64_t ram)
{
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i].size == 0)
			return false;
		if (i > 0 && t[i].addr < t[i - 1].addr + t[i - 1].size)
			return false; /* unsorted or overlapping */
		if (t[i].type == SD_E820_RAM) {
			total += t[i].size;
			/* no RAM in the EBDA/BIOS area or the MMIO hole */
			if (t[i].addr < 0x100000 && t[i].addr + t[i].size > 0x9fc00)
				return false;
			if (t[i].addr < 0x100000000ULL && t[i].addr + t[i].size > SD_MMIO_HOLE_START)
				return false;
		}
	}
	/* All of the guest's memory is RAM except 0x9fc00..1 MiB (EBDA, ISA
	 * hole, ACPI tables). */
	return total == ram - (0x100000 - 0x9fc00);
}

static void test_e820(void)
{
	const uint64_t sizes[] = {2ULL << 20, 64ULL << 20, 256ULL << 20, 3ULL << 30, (3ULL << 30) + (1 << 20),
				  8ULL << 30};
	struct volt_error err = {0};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct sd_e820_entry t[SD_E820_MAX];
		size_t n = 0;
		char name[160];
		int r = sd_e820_build(sizes[i], t, SD_E820_MAX, &n, &err);
		snprintf(name, sizeof(name), "e820 %llu MiB: sorted, disjoint, RAM adds up, holes kept",
			 (unsigned long long)(sizes[i] >> 20));
		check(r == 0 && e820_sane(t, n, sizes[i]), name);
		bool layout = n >= 4 && t[0].addr == 0 && t[0].size == 0x9fc00 && t[0].type == SD_E820_RAM &&
			      t[1].addr == 0x9fc00 && t[1].type == SD_E820_RESERVED &&
			      t[2].addr == SD_ACPI_GPA && t[2].type == SD_E820_ACPI &&
			      t[2].addr + t[2].size == 0x100000 && t[3].addr == 0x100000 &&
			      t[3].type == SD_E820_RAM;
		bool high = sizes[i] > SD_MMIO_HOLE_START ? n == 5 && t[4].addr == 0x100000000ULL &&
								t[4].size == sizes[i] - SD_MMIO_HOLE_START
							  : n == 4;
		snprintf(name, sizeof(name),
			 "e820 %llu MiB: low RAM, EBDA reserved, ACPI at 0xe0000, RAM from 1 MiB%s",
			 (unsigned long long)(sizes[i] >> 20),
			 sizes[i] > SD_MMIO_HOLE_START ? ", rest above 4 GiB" : "");
		check(r == 0 && layout && high, name);
	}
	struct sd_e820_entry t[SD_E820_MAX];
	size_t n;
	check(sd_e820_build(1 << 20, t, SD_E820_MAX, &n, &err) < 0, "e820 refuses a 1 MiB guest");
	check(sd_e820_build(64 << 20, t, 3, &n, &err) < 0 && strstr(err.msg, "full"),
	      "e820 refuses a too small table");
	struct sd_guest_mem bad = {.n = 2,
				   .r = {{.gpa = 0, .size = 1 << 30}, {.gpa = 1ULL << 32, .size = 1 << 20}}};
	check(sd_e820_for_mem(&bad, t, SD_E820_MAX, &n, &err) < 0,
	      "e820 refuses high memory after a partial low region");
	struct sd_guest_mem good = {
	    .n = 2, .r = {{.gpa = 0, .size = SD_MMIO_HOLE_START}, {.gpa = 1ULL << 32, .size = 1 << 30}}};
	check(sd_e820_for_mem(&good, t, SD_E820_MAX, &n, &err) == 0 && n == 5 && t[4].size == 1 << 30,
	      "e820 from a two-region guest memory");
}

/* ---- bzImage ---- */

#define FAKE_SETUP_SECTS 2
#define FAKE_PM_SIZE	 8192

static uint8_t *fake_bzimage(size_t *size)
{
	*size = (FAKE_SETUP_SECTS + 1) * 512 + FAKE_PM_SIZE;
	uint8_t *b = calloc(1, *size);
	b[0x1f1] = FAKE_SETUP_SECTS;
	p16(b + 0x1fe, 0xaa55);
	b[0x200] = 0xeb;
	b[0x201] = 0x6a; /* header ends at 0x26c */
	memcpy(b + 0x202, "HdrS", 4);
	p16(b + 0x206, 0x020f);
	b[0x211] = 0x01; /* LOADED_HIGH */
	p32(b + 0x214, 0x100000);
	p32(b + 0x22c, 0x7fffffff);
	p32(b + 0x230, 0x200000);
	b[0x234] = 1;
	p16(b + 0x236, 0x3); /* XLF_KERNEL_64 | CAN_BE_LOADED_ABOVE_4G */
	p32(b + 0x238, 2047);
	p64(b + 0x258, 0x1000000);
	p32(b + 0x260, 0x400000); /* init_size */
	for (size_t i = 0; i < FAKE_PM_SIZE; i++)
		b[(FAKE_SETUP_SECTS + 1) * 512 + i] = (uint8_t)(i * 7 + 3);
	return b;
}

static bool untouched(const struct sd_guest_mem *m, uint8_t fill)
{
	for (size_t i = 0; i < m->r[0].size; i++)
		if (m->r[0].host[i] != fill)
			return false;
	return true;
}

static void test_bzimage(void)
{
	size_t ksize;
	_cleanup_free_ uint8_t *k = fake_bzimage(&ksize);
	size_t isize = 10000;
	_cleanup_free_ uint8_t *initrd = malloc(isize);
	for (size_t i = 0; i < isize; i++)
		initrd[i] = (uint8_t)(i ^ 0x5a);
	struct sd_guest_mem m = guest(64 << 20, 0xaa);
	struct sd_boot_cfg cfg = {.kernel = k,
				  .kernel_size = ksize,
				  .initrd = initrd,
				  .initrd_size = isize,
				  .cmdline = "console=ttyS0 quiet",
				  .rsdp_gpa = 0xe0000};
	struct sd_boot_info info;
	struct volt_error err = {0};
	int r = sd_boot_load(&m, &cfg, &info, &err);
	check(r == 0, "bzImage: loads into 64 MiB");
	if (r < 0)
		printf("# %s\n", err.msg);
	uint8_t *zp = m.r[0].host + SD_ZERO_PAGE_GPA;
	check(info.kind == SD_KERNEL_BZIMAGE && info.protocol == 0x020f, "bzImage: detected, protocol 2.15");
	check(info.entry == 0x100200 && info.zero_page == 0x7000,
	      "bzImage: 64-bit entry at 0x100000 + 0x200");
	check(memcmp(m.r[0].host + 0x100000, k + 3 * 512, FAKE_PM_SIZE) == 0,
	      "bzImage: protected-mode kernel copied to 0x100000");
	check(memcmp(zp + 0x202, "HdrS", 4) == 0 && g16(zp + 0x206) == 0x020f &&
		  zp[0x1f1] == FAKE_SETUP_SECTS && g64(zp + 0x258) == 0x1000000 &&
		  g32(zp + 0x260) == 0x400000 && g16(zp + 0x1fe) == 0xaa55,
	      "zero page: setup header copied from the image");
	check(zp[0x210] == 0xff, "zero page: type_of_loader 0xff");
	check(g32(zp + 0x214) == 0x100000 && (zp[0x211] & 1), "zero page: code32_start, LOADED_HIGH");
	check(g32(zp + 0x228) == 0x20000 && strcmp((char *)m.r[0].host + 0x20000, "console=ttyS0 quiet") == 0,
	      "zero page: cmd_line_ptr -> the command line");
	uint32_t rd = g32(zp + 0x218);
	check(rd == info.initrd_gpa && g32(zp + 0x21c) == isize && (rd & 0xfff) == 0,
	      "zero page: ramdisk_image page aligned, ramdisk_size");
	check(rd + isize <= (64u << 20) && rd + isize > (64u << 20) - 4096 && rd >= 0x1000000 + 0x400000,
	      "initrd: at the top of RAM, above pref_address + init_size");
	check(memcmp(m.r[0].host + rd, initrd, isize) == 0, "initrd: bytes copied");
	check(g64(zp + 0x070) == 0xe0000, "zero page: acpi_rsdp_addr at 0x070");
	check(zp[0x1e8] == 4 && g64(zp + 0x2d0) == 0 && g64(zp + 0x2d0 + 8) == 0x9fc00 &&
		  g32(zp + 0x2d0 + 16) == 1 && g64(zp + 0x2d0 + 60) == 0x100000 &&
		  g64(zp + 0x2d0 + 68) == (64u << 20) - 0x100000,
	      "zero page: e820 table");
	check(g32(zp + 0x0c0) == 0 && g32(zp + 0x0c8) == 0,
	      "zero page: ext_ramdisk_image / ext_cmd_line_ptr 0");

	/* Refusals: each one must leave guest memory untouched. */
	struct sd_guest_mem clean = guest(64 << 20, 0xaa);
	struct {
		const char *name;
		size_t off;
		uint8_t val;
		const char *msg;
	} bad[] = {
	    {"bzImage: bad magic refused", 0x202, 'X', "neither"},
	    {"bzImage: boot protocol 2.11 refused", 0x206, 0x0b, "older than 2.12"},
	    {"bzImage: 32-bit only kernel (no XLF_KERNEL_64) refused", 0x236, 0x02, "XLF_KERNEL_64"},
	    {"bzImage: bad boot_flag refused", 0x1fe, 0, "boot_flag"},
	    {"bzImage: setup_sects past the end refused", 0x1f1, 200, "past the end"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		_cleanup_free_ uint8_t *b = malloc(ksize);
		memcpy(b, k, ksize);
		b[bad[i].off] = bad[i].val;
		struct sd_boot_cfg c = cfg;
		c.kernel = b;
		err.msg[0] = 0;
		r = sd_boot_load(&clean, &c, &info, &err);
		check(r < 0 && strstr(err.msg, bad[i].msg) && untouched(&clean, 0xaa), bad[i].name);
	}
	char longcmd[2049];
	memset(longcmd, 'a', 2048);
	longcmd[2048] = 0;
	struct sd_boot_cfg c = cfg;
	c.cmdline = longcmd;
	check(sd_boot_load(&clean, &c, &info, &err) < 0 && strstr(err.msg, "cmdline") &&
		  untouched(&clean, 0xaa),
	      "cmdline longer than the image's cmdline_size refused");
	longcmd[2047] = 0;
	check(sd_boot_load(&m, &c, &info, &err) == 0 && info.cmdline_len == 2047,
	      "cmdline of exactly cmdline_size accepted");
	c = cfg;
	c.initrd_size = 60 << 20;
	_cleanup_free_ uint8_t *big = calloc(1, c.initrd_size);
	c.initrd = big;
	check(sd_boot_load(&clean, &c, &info, &err) < 0 && strstr(err.msg, "initrd") &&
		  untouched(&clean, 0xaa),
	      "initrd that does not fit above the kernel refused, nothing written");
	struct sd_guest_mem small = guest(16 << 20, 0xaa);
	check(sd_boot_load(&small, &cfg, &info, &err) < 0 && strstr(err.msg, "init_size") &&
		  untouched(&small, 0xaa),
	      "guest smaller than pref_address + init_size refused");
	_cleanup_free_ uint8_t *lowmax = malloc(ksize);
	memcpy(lowmax, k, ksize);
	p32(lowmax + 0x22c, 0x1000000); /* initrd must end below 16 MiB: inside the kernel */
	c = cfg;
	c.kernel = lowmax;
	check(sd_boot_load(&clean, &c, &info, &err) < 0 && strstr(err.msg, "initrd"),
	      "initrd_addr_max below the kernel refused");
	p32(lowmax + 0x22c, 0x2ffffff); /* last byte at 48 MiB - 1 */
	check(sd_boot_load(&m, &c, &info, &err) == 0 && info.initrd_gpa + isize <= 0x3000000 &&
		  info.initrd_gpa + isize > 0x3000000 - 4096,
	      "initrd placed right below initrd_addr_max");
	c = cfg;
	c.initrd = NULL;
	c.initrd_size = 0;
	check(sd_boot_load(&m, &c, &info, &err) == 0 && g32(zp + 0x218) == 0 && g32(zp + 0x21c) == 0,
	      "no initrd: ramdisk fields 0");
	free(m.r[0].host);
	free(clean.r[0].host);
	free(small.r[0].host);
}

/* ---- ELF vmlinux ---- */

static uint8_t *fake_vmlinux(size_t *size, uint64_t paddr0, uint64_t entry)
{
	*size = 0x3000;
	uint8_t *b = calloc(1, *size);
	Elf64_Ehdr eh = {0};
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = entry;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;
	Elf64_Phdr ph[3] = {
	    {.p_type = PT_LOAD,
	     .p_flags = PF_R | PF_X,
	     .p_offset = 0x1000,
	     .p_vaddr = 0xffffffff81000000ULL,
	     .p_paddr = paddr0,
	     .p_filesz = 0x1000,
	     .p_memsz = 0x1000},
	    {.p_type = PT_LOAD,
	     .p_flags = PF_R | PF_W,
	     .p_offset = 0x2000,
	     .p_vaddr = 0xffffffff82000000ULL,
	     .p_paddr = paddr0 + 0x400000,
	     .p_filesz = 0x100,
	     .p_memsz = 0x2000}, /* .bss after */
	    {.p_type = PT_NOTE, .p_offset = 0x2100, .p_filesz = 0x10},
	};
	memcpy(b, &eh, sizeof(eh));
	memcpy(b + sizeof(eh), ph, sizeof(ph));
	for (size_t i = 0x1000; i < 0x2100; i++)
		b[i] = (uint8_t)(i * 13);
	return b;
}

static void test_elf(void)
{
	size_t ksize;
	_cleanup_free_ uint8_t *k = fake_vmlinux(&ksize, 0x1000000, 0x1000000);
	struct sd_guest_mem m = guest(64 << 20, 0xaa);
	struct sd_boot_cfg cfg = {.kernel = k, .kernel_size = ksize, .cmdline = "root=/dev/vda"};
	struct sd_boot_info info;
	struct volt_error err = {0};
	int r = sd_boot_load(&m, &cfg, &info, &err);
	if (r < 0)
		printf("# %s\n", err.msg);
	uint8_t *h = m.r[0].host;
	uint8_t *zp = h + SD_ZERO_PAGE_GPA;
	check(r == 0 && info.kind == SD_KERNEL_ELF, "vmlinux: ELF64 detected and loaded");
	check(info.entry == 0x1000000, "vmlinux: entry = e_entry (startup_64 at its physical address)");
	check(memcmp(h + 0x1000000, k + 0x1000, 0x1000) == 0 && memcmp(h + 0x1400000, k + 0x2000, 0x100) == 0,
	      "vmlinux: PT_LOAD segments at p_paddr (not p_vaddr)");
	bool bss = true;
	for (size_t i = 0x100; i < 0x2000; i++)
		bss &= h[0x1400000 + i] == 0;
	check(bss, "vmlinux: p_memsz beyond p_filesz zeroed");
	check(info.kernel_start == 0x1000000 && info.kernel_end == 0x1402000,
	      "vmlinux: kernel extent from the segments");
	check(memcmp(zp + 0x202, "HdrS", 4) == 0 && g16(zp + 0x1fe) == 0xaa55 && zp[0x210] == 0xff &&
		  g32(zp + 0x228) == 0x20000 && zp[0x1e8] == 4,
	      "vmlinux: zero page has magic, loader type, cmdline, e820");
	check(g64(zp + 0x070) == 0, "vmlinux: no RSDP given -> acpi_rsdp_addr 0");

	struct {
		const char *name;
		uint64_t paddr, entry;
		const char *msg;
	} bad[] = {
	    {"vmlinux: segment beyond guest memory refused", 0x8000000, 0x8000000, "outside guest memory"},
	    {"vmlinux: segment below 1 MiB refused", 0x10000, 0x10000, "outside guest memory"},
	    {"vmlinux: entry outside the loaded code refused", 0x1000000, 0x1400000, "entry"},
	};
	struct sd_guest_mem clean = guest(64 << 20, 0xaa);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t s;
		_cleanup_free_ uint8_t *b = fake_vmlinux(&s, bad[i].paddr, bad[i].entry);
		struct sd_boot_cfg c = {.kernel = b, .kernel_size = s};
		check(sd_boot_load(&clean, &c, &info, &err) < 0 && strstr(err.msg, bad[i].msg) &&
			  untouched(&clean, 0xaa),
		      bad[i].name);
	}
	struct sd_boot_cfg c = cfg;
	c.kernel_size = 0x1800; /* first segment's bytes cut off */
	check(sd_boot_load(&clean, &c, &info, &err) < 0 && strstr(err.msg, "outside the file") &&
		  untouched(&clean, 0xaa),
	      "vmlinux: truncated file refused");
	_cleanup_free_ uint8_t *arm = malloc(ksize);
	memcpy(arm, k, ksize);
	p16(arm + 18, EM_AARCH64);
	c = cfg;
	c.kernel = arm;
	check(sd_boot_load(&clean, &c, &info, &err) < 0 && strstr(err.msg, "x86-64"),
	      "vmlinux: other machine refused");
	c = cfg;
	c.kernel = (const uint8_t *)"not a kernel at all";
	c.kernel_size = 19;
	check(sd_boot_load(&clean, &c, &info, &err) < 0 && strstr(err.msg, "neither"),
	      "garbage image refused");
	free(m.r[0].host);
	free(clean.r[0].host);
}

/* ---- the real Debian kernel ---- */

static void test_real_kernel(void)
{
	glob_t g;
	if (glob("/boot/vmlinuz-*", 0, NULL, &g) != 0 || g.gl_pathc == 0) {
		skip("real bzImage header parses", "no /boot/vmlinuz-* (apt-get install linux-image-amd64)");
		skip("real bzImage loads into a 256 MiB guest", "no /boot/vmlinuz-*");
		return;
	}
	const char *path = g.gl_pathv[g.gl_pathc - 1];
	_cleanup_fclose_ FILE *f = fopen(path, "rb");
	_cleanup_free_ uint8_t *k = NULL;
	long size = -1;
	if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		k = malloc((size_t)size);
		if (k && fread(k, 1, (size_t)size, f) != (size_t)size)
			size = -1;
	}
	if (!k || size <= 0) {
		skip("real bzImage header parses", "cannot read the kernel image");
		skip("real bzImage loads into a 256 MiB guest", "cannot read the kernel image");
		globfree(&g);
		return;
	}
	struct sd_bzimage bz;
	struct volt_error err = {0};
	int r = sd_bzimage_parse(k, (size_t)size, &bz, &err);
	printf("# %s: protocol %u.%02u, setup_sects %u, xloadflags %#x, init_size %#x, pref_address %#llx\n",
	       path, bz.version >> 8, bz.version & 0xff, bz.setup_sects, bz.xloadflags, bz.init_size,
	       (unsigned long long)bz.pref_address);
	check(r == 0 && bz.version >= 0x020c && (bz.xloadflags & 1) && bz.relocatable &&
		  bz.cmdline_size >= 255 && bz.pm_offset + bz.pm_size == (size_t)size,
	      "real bzImage header parses (>= 2.12, 64-bit, relocatable)");
	struct sd_guest_mem m = guest(256 << 20, 0);
	_cleanup_free_ uint8_t *initrd = calloc(1, 1 << 20);
	struct sd_boot_cfg cfg = {.kernel = k,
				  .kernel_size = (size_t)size,
				  .initrd = initrd,
				  .initrd_size = 1 << 20,
				  .cmdline = "console=ttyS0"};
	struct sd_boot_info info;
	r = sd_boot_load(&m, &cfg, &info, &err);
	if (r < 0)
		printf("# %s\n", err.msg);
	uint8_t *zp = m.r[0].host + SD_ZERO_PAGE_GPA;
	check(r == 0 && info.entry == 0x100200 && memcmp(zp + 0x202, "HdrS", 4) == 0 &&
		  g16(zp + 0x206) == bz.version && g32(zp + 0x260) == bz.init_size &&
		  info.initrd_gpa >= info.kernel_end &&
		  memcmp(m.r[0].host + 0x100000, k + bz.pm_offset, 4096) == 0,
	      "real bzImage loads into a 256 MiB guest");
	free(m.r[0].host);
	globfree(&g);
}

int main(void)
{
	test_e820();
	test_bzimage();
	test_elf();
	test_real_kernel();
	return tap_done();
}
