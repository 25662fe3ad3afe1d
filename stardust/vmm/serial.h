/* A 16550A UART at the PC's COM1 (0x3f8, IRQ 4), output only: what the guest
 * writes to THR goes to a host fd, the receiver never has data, LSR always
 * says the transmitter is empty. The register set is complete enough for
 * Linux's 8250 driver to probe a 16550A (scratch, loopback MSR, FIFO bits in
 * IIR), and it raises the THRE interrupt when enabled: a port that never
 * does makes the tty layer stall and truncate user-space output. Pure model:
 * the interrupt line goes through a callback. */
#ifndef STARDUST_VMM_SERIAL_H
#define STARDUST_VMM_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "oci/error.h"

#define SD_SERIAL_COM1_PORT 0x3f8
#define SD_SERIAL_COM1_IRQ  4
#define SD_SERIAL_PORTS	    8

/* Register offsets. */
#define SD_UART_RBR_THR 0 /* DLL when DLAB */
#define SD_UART_IER	1 /* DLM when DLAB */
#define SD_UART_IIR_FCR 2
#define SD_UART_LCR	3
#define SD_UART_MCR	4
#define SD_UART_LSR	5
#define SD_UART_MSR	6
#define SD_UART_SCR	7

#define SD_UART_LCR_DLAB   0x80
#define SD_UART_IER_ERBFI  0x01
#define SD_UART_IER_ETBEI  0x02
#define SD_UART_IIR_NO_INT 0x01
#define SD_UART_IIR_THRI   0x02
#define SD_UART_IIR_FIFO   0xc0
#define SD_UART_FCR_ENABLE 0x01
#define SD_UART_LSR_THRE   0x20
#define SD_UART_LSR_TEMT   0x40
#define SD_UART_MCR_LOOP   0x10

struct sd_serial {
	int out_fd; /* -1: output dropped */
	void (*irq)(void *opaque, int level);
	void *irq_opaque;
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thre_pending; /* THR-empty interrupt not yet taken by an IIR read */
	int irq_level;
	uint64_t dropped; /* bytes the host fd did not take */
};

void sd_serial_init(struct sd_serial *s, int out_fd, void (*irq)(void *opaque, int level), void *irq_opaque);

/* Bus handlers (struct sd_bus): opaque is the struct sd_serial, one byte at
 * a time (wider accesses touch consecutive registers, as on ISA). */
int sd_serial_read(void *opaque, uint64_t off, void *data, uint32_t len, struct volt_error *err);
int sd_serial_write(void *opaque, uint64_t off, const void *data, uint32_t len, struct volt_error *err);

#endif
