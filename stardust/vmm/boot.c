#include "stardust/vmm/boot.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <string.h>

#include "stardust/vmm/e820.h"
#include "stardust/vmm/layout.h"
#include "stardust/vmm/le.h"

#define PAGE 4096ULL

enum sd_kernel_kind sd_kernel_detect(const uint8_t *img, size_t size)
{
	if (size >= SELFMAG && memcmp(img, ELFMAG, SELFMAG) == 0)
		return SD_KERNEL_ELF;
	if (size >= SD_BP_HEADER + 4 && sd_get32(img + SD_BP_HEADER) == SD_HDRS_MAGIC)
		return SD_KERNEL_BZIMAGE;
	return SD_KERNEL_UNKNOWN;
}

int sd_bzimage_parse(const uint8_t *img, size_t size, struct sd_bzimage *out, struct volt_error *err)
{
	memset(out, 0, sizeof(*out));
	if (size < SD_BP_INIT_SIZE + 4)
		return volt_err(err, -EINVAL, "bzImage: %zu bytes is too short for a setup header", size);
	if (sd_get32(img + SD_BP_HEADER) != SD_HDRS_MAGIC)
		return volt_err(err, -EINVAL, "bzImage: no \"HdrS\" magic at %#x", SD_BP_HEADER);
	if (sd_get16(img + SD_BP_BOOT_FLAG) != SD_BOOT_FLAG_MAGIC)
		return volt_err(err, -EINVAL, "bzImage: boot_flag is %#x, not 0xaa55",
				sd_get16(img + SD_BP_BOOT_FLAG));
	out->version = sd_get16(img + SD_BP_VERSION);
	if (out->version < SD_BOOT_MIN_PROTOCOL)
		return volt_err(err, -EINVAL,
				"bzImage: boot protocol %u.%02u is older than 2.12 (no 64-bit entry)",
				out->version >> 8, out->version & 0xff);
	out->setup_sects = img[SD_BP_SETUP_SECTS];
	out->loadflags = img[SD_BP_LOADFLAGS];
	out->xloadflags = sd_get16(img + SD_BP_XLOADFLAGS);
	out->code32_start = sd_get32(img + SD_BP_CODE32_START);
	out->initrd_addr_max = sd_get32(img + SD_BP_INITRD_ADDR_MAX);
	out->kernel_alignment = sd_get32(img + SD_BP_KERNEL_ALIGNMENT);
	out->relocatable = img[SD_BP_RELOCATABLE];
	out->cmdline_size = sd_get32(img + SD_BP_CMDLINE_SIZE);
	out->pref_address = sd_get64(img + SD_BP_PREF_ADDRESS);
	out->init_size = sd_get32(img + SD_BP_INIT_SIZE);
	/* The header ends where the jump at 0x200 lands. */
	out->hdr_end = (size_t)SD_BP_HEADER + img[SD_BP_JUMP + 1];
	if (!(out->xloadflags & SD_XLF_KERNEL_64))
		return volt_err(err, -EINVAL,
				"bzImage: xloadflags %#x lack XLF_KERNEL_64 (not a 64-bit kernel)",
				out->xloadflags);
	if (!(out->loadflags & SD_LOADFLAG_LOADED_HIGH))
		return volt_err(err, -EINVAL, "bzImage: loadflags %#x lack LOADED_HIGH (zImage)",
				out->loadflags);
	size_t sects = out->setup_sects ? out->setup_sects : 4;
	out->pm_offset = (sects + 1) * 512;
	if (out->pm_offset >= size)
		return volt_err(err, -EINVAL,
				"bzImage: setup_sects %zu reach past the end of the %zu-byte file", sects,
				size);
	out->pm_size = size - out->pm_offset;
	return 0;
}

struct elf_plan {
	uint64_t lo, hi, entry;
};

static int elf_check(const uint8_t *img, size_t size, const struct sd_guest_mem *m, struct elf_plan *plan,
		     struct volt_error *err)
{
	Elf64_Ehdr eh;
	if (size < sizeof(eh))
		return volt_err(err, -EINVAL, "vmlinux: %zu bytes is too short for an ELF header", size);
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_X86_64)
		return volt_err(err, -EINVAL, "vmlinux: not a little-endian x86-64 ELF64 file");
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0)
		return volt_err(err, -EINVAL, "vmlinux: e_phentsize %u / e_phnum %u unusable", eh.e_phentsize,
				eh.e_phnum);
	if (eh.e_phoff > size || (size - eh.e_phoff) / sizeof(Elf64_Phdr) < eh.e_phnum)
		return volt_err(err, -EINVAL, "vmlinux: program headers at %#" PRIx64 " outside the file",
				(uint64_t)eh.e_phoff);
	plan->lo = UINT64_MAX;
	plan->hi = 0;
	plan->entry = eh.e_entry;
	bool entry_found = false;
	for (size_t i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
			return volt_err(err, -EINVAL, "vmlinux: segment %zu's file range outside the file",
					i);
		if (ph.p_filesz > ph.p_memsz)
			return volt_err(err, -EINVAL, "vmlinux: segment %zu has p_filesz > p_memsz", i);
		if (ph.p_paddr < SD_KERNEL_MIN_GPA || !sd_gpa(m, ph.p_paddr, ph.p_memsz))
			return volt_err(err, -ERANGE,
					"vmlinux: segment %zu at %#" PRIx64 " (+%#" PRIx64
					") is outside guest memory above 1 MiB",
					i, (uint64_t)ph.p_paddr, (uint64_t)ph.p_memsz);
		if (ph.p_paddr < plan->lo)
			plan->lo = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > plan->hi)
			plan->hi = ph.p_paddr + ph.p_memsz;
		/* The 64-bit entry (startup_64) is e_entry, a physical address:
		 * it must fall in a loaded executable segment. */
		if ((ph.p_flags & PF_X) && eh.e_entry >= ph.p_paddr && eh.e_entry - ph.p_paddr < ph.p_filesz)
			entry_found = true;
	}
	if (plan->hi == 0)
		return volt_err(err, -EINVAL, "vmlinux: no PT_LOAD segment");
	if (!entry_found)
		return volt_err(err, -EINVAL,
				"vmlinux: entry %#" PRIx64 " is not in a loaded executable segment",
				plan->entry);
	return 0;
}

static void elf_write(const uint8_t *img, struct sd_guest_mem *m)
{
	Elf64_Ehdr eh;
	memcpy(&eh, img, sizeof(eh));
	for (size_t i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		uint8_t *dst = sd_gpa(m, ph.p_paddr, ph.p_memsz); /* checked by elf_check */
		memcpy(dst, img + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
}

static uint64_t low_ram_end(const struct sd_guest_mem *m)
{
	return m->n > 0 && m->r[0].gpa == 0 ? m->r[0].size : 0;
}

int sd_boot_load(struct sd_guest_mem *m, const struct sd_boot_cfg *cfg, struct sd_boot_info *out,
		 struct volt_error *err)
{
	memset(out, 0, sizeof(*out));
	const uint8_t *img = cfg->kernel;
	size_t size = cfg->kernel_size;
	if (!img || size == 0)
		return volt_err(err, -EINVAL, "kernel: no image");

	struct sd_e820_entry e820[SD_E820_MAX];
	size_t n_e820 = 0;
	if (sd_e820_for_mem(m, e820, SD_E820_MAX, &n_e820, err) < 0)
		return -1;
	uint64_t low_end = low_ram_end(m);

	struct sd_bzimage bz = {0};
	struct elf_plan elf = {0};
	uint64_t cmdline_max = SD_CMDLINE_MAX_DEFAULT;
	uint64_t initrd_max = SD_INITRD_ADDR_MAX_DEFAULT;
	out->kind = sd_kernel_detect(img, size);
	switch (out->kind) {
	case SD_KERNEL_ELF:
		if (elf_check(img, size, m, &elf, err) < 0)
			return -1;
		out->protocol = SD_BOOT_PROTOCOL;
		out->entry = elf.entry;
		out->kernel_start = elf.lo;
		out->kernel_end = elf.hi;
		break;
	case SD_KERNEL_BZIMAGE:
		if (sd_bzimage_parse(img, size, &bz, err) < 0)
			return -1;
		out->protocol = bz.version;
		out->kernel_start = SD_BZIMAGE_LOAD_GPA;
		out->kernel_end = SD_BZIMAGE_LOAD_GPA + bz.pm_size;
		/* The decompressor runs the kernel at pref_address (its
		 * LOAD_PHYSICAL_ADDR) and needs init_size bytes from there
		 * before it can read the memory map. */
		if (bz.pref_address >= SD_KERNEL_MIN_GPA && bz.pref_address < UINT64_MAX - bz.init_size &&
		    bz.pref_address + bz.init_size > out->kernel_end)
			out->kernel_end = bz.pref_address + bz.init_size;
		/* The 64-bit entry is 0x200 past the start of the loaded
		 * protected-mode kernel (code32_start, which we set). */
		out->entry = SD_BZIMAGE_LOAD_GPA + 0x200;
		if (!sd_gpa(m, SD_BZIMAGE_LOAD_GPA, bz.pm_size))
			return volt_err(err, -ERANGE,
					"bzImage: %zu-byte kernel at %#llx is outside guest memory",
					bz.pm_size, SD_BZIMAGE_LOAD_GPA);
		if (out->kernel_end > low_end)
			return volt_err(err, -ERANGE,
					"bzImage: the kernel needs memory up to %#" PRIx64
					" (pref_address + init_size), guest low RAM ends at %#" PRIx64,
					out->kernel_end, low_end);
		cmdline_max = bz.cmdline_size;
		initrd_max = bz.initrd_addr_max;
		break;
	default:
		return volt_err(err, -EINVAL,
				"kernel: neither an ELF vmlinux nor a bzImage (no \"HdrS\" at %#x)",
				SD_BP_HEADER);
	}

	const char *cmdline = cfg->cmdline ? cfg->cmdline : "";
	size_t cmdline_len = strlen(cmdline);
	if (cmdline_len > cmdline_max || cmdline_len + 1 > SD_CMDLINE_AREA)
		return volt_err(
		    err, -E2BIG, "cmdline: %zu bytes, the kernel accepts at most %" PRIu64, cmdline_len,
		    (uint64_t)(cmdline_max < SD_CMDLINE_AREA - 1 ? cmdline_max : SD_CMDLINE_AREA - 1));
	uint8_t *cmd_dst = sd_gpa(m, SD_CMDLINE_GPA, cmdline_len + 1);
	uint8_t *zp = sd_gpa(m, SD_ZERO_PAGE_GPA, PAGE);
	if (!cmd_dst || !zp)
		return volt_err(err, -ERANGE, "boot: zero page or cmdline outside guest memory");

	uint64_t initrd_gpa = 0;
	if (cfg->initrd_size > 0) {
		if (!cfg->initrd)
			return volt_err(err, -EINVAL, "initrd: size %zu without data", cfg->initrd_size);
		/* initrd_addr_max is the highest address the last byte may have. */
		uint64_t top = low_end < (uint64_t)initrd_max + 1 ? low_end : (uint64_t)initrd_max + 1;
		if (cfg->initrd_size > top || ((top - cfg->initrd_size) & ~(PAGE - 1)) < out->kernel_end)
			return volt_err(err, -ERANGE,
					"initrd: %zu bytes do not fit between the kernel's end %#" PRIx64
					" and %#" PRIx64,
					cfg->initrd_size, out->kernel_end, top);
		initrd_gpa = (top - cfg->initrd_size) & ~(PAGE - 1);
		if (!sd_gpa(m, initrd_gpa, cfg->initrd_size))
			return volt_err(err, -ERANGE, "initrd: %#" PRIx64 " (+%zu) outside guest memory",
					initrd_gpa, cfg->initrd_size);
	}

	/* Everything checked: write. */
	if (out->kind == SD_KERNEL_ELF)
		elf_write(img, m);
	else
		memcpy(sd_gpa(m, SD_BZIMAGE_LOAD_GPA, bz.pm_size), img + bz.pm_offset, bz.pm_size);
	memcpy(cmd_dst, cmdline, cmdline_len + 1);
	if (initrd_gpa)
		memcpy(sd_gpa(m, initrd_gpa, cfg->initrd_size), cfg->initrd, cfg->initrd_size);

	memset(zp, 0, PAGE);
	if (out->kind == SD_KERNEL_BZIMAGE) {
		size_t end = bz.hdr_end < SD_BP_HDR_LIMIT ? bz.hdr_end : SD_BP_HDR_LIMIT;
		if (end > size)
			end = size;
		memcpy(zp + SD_BP_SETUP_SECTS, img + SD_BP_SETUP_SECTS, end - SD_BP_SETUP_SECTS);
		zp[SD_BP_LOADFLAGS] |= SD_LOADFLAG_LOADED_HIGH;
		sd_put32(zp + SD_BP_CODE32_START, (uint32_t)SD_BZIMAGE_LOAD_GPA);
	} else {
		sd_put16(zp + SD_BP_BOOT_FLAG, SD_BOOT_FLAG_MAGIC);
		sd_put32(zp + SD_BP_HEADER, SD_HDRS_MAGIC);
		sd_put16(zp + SD_BP_VERSION, SD_BOOT_PROTOCOL);
		zp[SD_BP_LOADFLAGS] = SD_LOADFLAG_LOADED_HIGH;
		sd_put32(zp + SD_BP_INITRD_ADDR_MAX, (uint32_t)initrd_max);
		sd_put32(zp + SD_BP_KERNEL_ALIGNMENT, 0x200000);
		sd_put16(zp + SD_BP_XLOADFLAGS, SD_XLF_KERNEL_64);
		sd_put32(zp + SD_BP_CMDLINE_SIZE, SD_CMDLINE_MAX_DEFAULT);
	}
	zp[SD_BP_TYPE_OF_LOADER] = SD_LOADER_UNDEFINED;
	sd_put32(zp + SD_BP_CMD_LINE_PTR, (uint32_t)SD_CMDLINE_GPA);
	sd_put32(zp + SD_BP_RAMDISK_IMAGE, (uint32_t)initrd_gpa);
	sd_put32(zp + SD_BP_RAMDISK_SIZE, (uint32_t)cfg->initrd_size);
	sd_put64(zp + SD_BP_ACPI_RSDP_ADDR, cfg->rsdp_gpa);
	zp[SD_BP_E820_ENTRIES] = (uint8_t)n_e820;
	for (size_t i = 0; i < n_e820; i++) {
		uint8_t *e = zp + SD_BP_E820_TABLE + 20 * i;
		sd_put64(e, e820[i].addr);
		sd_put64(e + 8, e820[i].size);
		sd_put32(e + 16, e820[i].type);
	}

	out->zero_page = SD_ZERO_PAGE_GPA;
	out->initrd_gpa = initrd_gpa;
	out->initrd_size = cfg->initrd_size;
	out->cmdline_gpa = SD_CMDLINE_GPA;
	out->cmdline_len = cmdline_len;
	return 0;
}
