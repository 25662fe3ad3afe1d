#include "stardust/vmm/serial.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void sd_serial_init(struct sd_serial *s, int out_fd, void (*irq)(void *opaque, int level), void *irq_opaque)
{
	memset(s, 0, sizeof(*s));
	s->out_fd = out_fd;
	s->irq = irq;
	s->irq_opaque = irq_opaque;
	s->dll = 0x0c; /* 9600 baud, what firmware leaves behind */
}

/* The only interrupt source is THR empty (the receiver never has data). The
 * line follows the condition, so an edge-triggered IO APIC pin sees a fresh
 * edge every time the driver re-enables ETBEI or writes THR. */
static void update_irq(struct sd_serial *s)
{
	int level = (s->ier & SD_UART_IER_ETBEI) && s->thre_pending;
	if (level != s->irq_level) {
		s->irq_level = level;
		if (s->irq)
			s->irq(s->irq_opaque, level);
	}
}

static void transmit(struct sd_serial *s, uint8_t c)
{
	if (s->mcr & SD_UART_MCR_LOOP)
		return; /* loopback: the byte goes to our own receiver, which drops it */
	if (s->out_fd >= 0) {
		ssize_t w;
		do
			w = write(s->out_fd, &c, 1);
		while (w < 0 && errno == EINTR);
		if (w != 1)
			s->dropped++;
	}
}

static uint8_t msr(const struct sd_serial *s)
{
	if (s->mcr & SD_UART_MCR_LOOP) {
		/* Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD: the
		 * 8250 probe checks exactly this. */
		uint8_t m = s->mcr;
		return (uint8_t)(((m & 0x01) << 5) | ((m & 0x02) << 3) | ((m & 0x04) << 4) |
				 ((m & 0x08) << 4));
	}
	return 0xb0; /* DCD, DSR, CTS: a cable is attached and ready */
}

static uint8_t read_reg(struct sd_serial *s, unsigned reg)
{
	bool dlab = s->lcr & SD_UART_LCR_DLAB;
	switch (reg) {
	case SD_UART_RBR_THR:
		return dlab ? s->dll : 0;
	case SD_UART_IER:
		return dlab ? s->dlm : s->ier;
	case SD_UART_IIR_FCR: {
		uint8_t fifo = (s->fcr & SD_UART_FCR_ENABLE) ? SD_UART_IIR_FIFO : 0;
		if ((s->ier & SD_UART_IER_ETBEI) && s->thre_pending) {
			/* Reading IIR while it names THRE acknowledges it. */
			s->thre_pending = false;
			update_irq(s);
			return fifo | SD_UART_IIR_THRI;
		}
		return fifo | SD_UART_IIR_NO_INT;
	}
	case SD_UART_LCR:
		return s->lcr;
	case SD_UART_MCR:
		return s->mcr;
	case SD_UART_LSR:
		return SD_UART_LSR_THRE | SD_UART_LSR_TEMT;
	case SD_UART_MSR:
		return msr(s);
	default:
		return s->scr;
	}
}

static void write_reg(struct sd_serial *s, unsigned reg, uint8_t v)
{
	bool dlab = s->lcr & SD_UART_LCR_DLAB;
	switch (reg) {
	case SD_UART_RBR_THR:
		if (dlab) {
			s->dll = v;
			return;
		}
		transmit(s, v);
		/* The byte left at once: THR is empty again. */
		s->thre_pending = true;
		break;
	case SD_UART_IER:
		if (dlab) {
			s->dlm = v;
			return;
		}
		/* Enabling ETBEI with THR empty raises THRE, as on a 16550. */
		if ((v & SD_UART_IER_ETBEI) && !(s->ier & SD_UART_IER_ETBEI))
			s->thre_pending = true;
		s->ier = v & 0x0f;
		break;
	case SD_UART_IIR_FCR:
		s->fcr = v & (SD_UART_FCR_ENABLE | 0xc0); /* FIFO enable and trigger level stick */
		return;
	case SD_UART_LCR:
		s->lcr = v;
		return;
	case SD_UART_MCR:
		s->mcr = v & 0x1f;
		return;
	case SD_UART_LSR:
	case SD_UART_MSR:
		return; /* read-only */
	default:
		s->scr = v;
		return;
	}
	update_irq(s);
}

int sd_serial_read(void *opaque, uint64_t off, void *data, uint32_t len, struct volt_error *err)
{
	struct sd_serial *s = opaque;
	uint8_t *p = data;
	for (uint32_t i = 0; i < len; i++)
		p[i] = off + i < SD_SERIAL_PORTS ? read_reg(s, (unsigned)(off + i)) : 0xff;
	return 0;
}

int sd_serial_write(void *opaque, uint64_t off, const void *data, uint32_t len, struct volt_error *err)
{
	struct sd_serial *s = opaque;
	const uint8_t *p = data;
	for (uint32_t i = 0; i < len; i++)
		if (off + i < SD_SERIAL_PORTS)
			write_reg(s, (unsigned)(off + i), p[i]);
	return 0;
}
