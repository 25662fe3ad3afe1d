/* A small AML (ACPI Machine Language) encoder: just what a DSDT describing
 * virtio-mmio devices needs (ACPI 6.x, chapter 20; resource descriptors,
 * chapter 6.4). Writes into a caller-supplied buffer; errors (buffer full,
 * a bad name, a package too long) are sticky and reported once by
 * sd_aml_status(), so building code reads as the ASL it encodes. */
#ifndef STARDUST_VMM_AML_H
#define STARDUST_VMM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/error.h"

struct sd_aml {
	uint8_t *buf;
	size_t len, cap;
	const char *bad; /* first error, static text */
};

/* Interrupt descriptor flags (Extended Interrupt Descriptor, byte 3). */
#define SD_AML_IRQ_CONSUMER   0x01
#define SD_AML_IRQ_EDGE	      0x02 /* clear: level triggered */
#define SD_AML_IRQ_ACTIVE_LOW 0x04
#define SD_AML_IRQ_SHARED     0x08

void sd_aml_init(struct sd_aml *a, uint8_t *buf, size_t cap);
int sd_aml_status(const struct sd_aml *a, struct volt_error *err);

void sd_aml_raw(struct sd_aml *a, const void *p, size_t n);
/* "\\_SB_", "V000", "_SB_.V000", "\\_S5_": segments of up to 4
 * characters, padded with '_'. */
void sd_aml_namestring(struct sd_aml *a, const char *path);
/* Smallest encoding: Zero, One, Ones, Byte/Word/DWord/QWordConst. */
void sd_aml_integer(struct sd_aml *a, uint64_t v);
void sd_aml_string(struct sd_aml *a, const char *s);
/* Name(name, <the object encoded next>) */
void sd_aml_name(struct sd_aml *a, const char *name);
void sd_aml_buffer(struct sd_aml *a, const uint8_t *data, size_t n);

/* Open a construct whose length prefix depends on its contents; the
 * returned mark is closed with sd_aml_close() once the contents are in. */
size_t sd_aml_scope_open(struct sd_aml *a, const char *name);
size_t sd_aml_device_open(struct sd_aml *a, const char *name);
size_t sd_aml_package_open(struct sd_aml *a, uint8_t n_elements);
void sd_aml_close(struct sd_aml *a, size_t mark);

/* PkgLength for a construct with content_len bytes after it: writes 1-4
 * bytes to out, returns how many, or 0 if too long (>= 2^28). */
size_t sd_aml_pkglen(size_t content_len, uint8_t out[4]);

/* Resource descriptors, appended to a resource-template buffer r (a second
 * struct sd_aml); sd_res_end() adds the End Tag with the checksum that
 * makes the whole template sum to zero. */
void sd_res_memory32_fixed(struct sd_aml *r, uint32_t base, uint32_t len, bool writable);
void sd_res_interrupt(struct sd_aml *r, uint8_t flags, uint32_t irq);
void sd_res_end(struct sd_aml *r);

#endif
