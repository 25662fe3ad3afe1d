#include "stardust/shim/vm-net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t mask_of(uint8_t prefix)
{
	return prefix == 0 ? 0 : ~UINT32_C(0) << (32 - prefix);
}

/* An address a host can hold; what is wrong with it otherwise. */
static const char *unusable(uint32_t h)
{
	if (h >> 24 == 0)
		return "in 0.0.0.0/8 (this network)";
	if (h >> 24 == 127)
		return "a loopback address";
	if (h >> 28 >= 0xe)
		return "a multicast or reserved address";
	return NULL;
}

/* Network and broadcast addresses exist only down to /30: /31 (RFC 3021)
 * and /32 use every address. */
static const char *edge_of_subnet(uint32_t h, uint8_t prefix)
{
	if (prefix > 30)
		return NULL;
	uint32_t host = h & ~mask_of(prefix);
	if (host == 0)
		return "the subnet's network address";
	if (host == ~mask_of(prefix))
		return "the subnet's broadcast address";
	return NULL;
}

static int parse_ip(const char *s, size_t len, struct in_addr *a, struct volt_error *err)
{
	char buf[INET_ADDRSTRLEN];
	if (len == 0 || len >= sizeof buf)
		return volt_err(err, -EINVAL, "\"%.*s\" is not an IPv4 address (a.b.c.d)", (int)len, s);
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, a) != 1)
		return volt_err(err, -EINVAL, "\"%s\" is not an IPv4 address (a.b.c.d)", buf);
	return 0;
}

int sd_vm_net_parse_cidr(const char *s, struct in_addr *addr, uint8_t *prefix, struct volt_error *err)
{
	const char *slash = strchr(s, '/');
	if (!slash)
		return volt_err(err, -EINVAL, "\"%s\" is not ADDRESS/PREFIX (e.g. 10.88.0.2/24)", s);
	struct in_addr a;
	if (parse_ip(s, (size_t)(slash - s), &a, err) < 0)
		return -1;
	const char *p = slash + 1;
	unsigned v = 0;
	size_t nd = strspn(p, "0123456789");
	if (nd == 0 || nd > 2 || p[nd] != '\0' || (v = (unsigned)strtoul(p, NULL, 10)) < 1 || v > 32)
		return volt_err(err, -EINVAL, "\"%s\": the prefix length must be 1..32", s);
	uint32_t h = ntohl(a.s_addr);
	const char *why = unusable(h);
	if (!why)
		why = edge_of_subnet(h, (uint8_t)v);
	if (why)
		return volt_err(err, -EINVAL, "\"%s\": the address is %s", s, why);
	*addr = a;
	*prefix = (uint8_t)v;
	return 0;
}

int sd_vm_net_parse_gateway(const char *s, struct in_addr addr, uint8_t prefix, struct in_addr *gw,
			    struct volt_error *err)
{
	struct in_addr g;
	if (parse_ip(s, strlen(s), &g, err) < 0)
		return -1;
	uint32_t h = ntohl(g.s_addr), own = ntohl(addr.s_addr), m = mask_of(prefix);
	char net[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &addr, net, sizeof net);
	const char *why = unusable(h);
	if (!why && (h & m) != (own & m))
		return volt_err(err, -EINVAL,
				"%s is not inside %s/%u (the route needs no other hop to reach it)", s, net,
				prefix);
	if (!why && h == own)
		why = "the guest's own address";
	if (!why)
		why = edge_of_subnet(h, prefix);
	if (why)
		return volt_err(err, -EINVAL, "%s is %s", s, why);
	*gw = g;
	return 0;
}

int sd_vm_net_param(const struct sd_vm_net *n, char *buf, size_t cap, struct volt_error *err)
{
	int len;
	if (!n->on)
		len = snprintf(buf, cap, "%s", "");
	else if (!n->has_addr)
		len = snprintf(buf, cap, SD_VM_NET_PARAM "=up");
	else {
		char a[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN] = "";
		inet_ntop(AF_INET, &n->addr, a, sizeof a);
		if (n->has_gw)
			inet_ntop(AF_INET, &n->gw, g, sizeof g);
		len = snprintf(buf, cap, SD_VM_NET_PARAM "=%s/%u%s%s", a, n->prefix, n->has_gw ? ",gw=" : "",
			       g);
	}
	if (len < 0 || (size_t)len >= cap)
		return volt_err(err, -E2BIG, SD_VM_NET_PARAM ": longer than %zu bytes", cap);
	return 0;
}

static int parse_value(const char *v, struct sd_vm_net *n, struct volt_error *err)
{
	*n = (struct sd_vm_net){.on = true};
	if (strcmp(v, "up") == 0)
		return 0;
	char cidr[INET_ADDRSTRLEN + 4];
	const char *comma = strchr(v, ',');
	size_t len = comma ? (size_t)(comma - v) : strlen(v);
	if (len >= sizeof cidr)
		return volt_err(err, -EINVAL, "\"%s\" is not ADDRESS/PREFIX", v);
	memcpy(cidr, v, len);
	cidr[len] = '\0';
	if (sd_vm_net_parse_cidr(cidr, &n->addr, &n->prefix, err) < 0)
		return -1;
	n->has_addr = true;
	if (!comma)
		return 0;
	if (strncmp(comma, ",gw=", 4) != 0)
		return volt_err(err, -EINVAL, "\"%s\": only \",gw=GATEWAY\" may follow the address", v);
	if (sd_vm_net_parse_gateway(comma + 4, n->addr, n->prefix, &n->gw, err) < 0)
		return -1;
	n->has_gw = true;
	return 0;
}

int sd_vm_net_from_cmdline(const char *cmdline, struct sd_vm_net *n, struct volt_error *err)
{
	static const char key[] = SD_VM_NET_PARAM "=";
	const char *val = NULL;
	size_t val_len = 0;
	for (const char *p = cmdline; *p;) {
		p += strspn(p, " \t\n");
		size_t len = strcspn(p, " \t\n");
		if (len >= sizeof key - 1 && strncmp(p, key, sizeof key - 1) == 0)
			val = p + sizeof key - 1, val_len = len - (sizeof key - 1);
		p += len;
	}
	*n = (struct sd_vm_net){0};
	if (!val)
		return 0;
	char buf[96];
	if (val_len >= sizeof buf)
		return volt_err(err, -EINVAL, "kernel parameter " SD_VM_NET_PARAM ": value too long");
	memcpy(buf, val, val_len);
	buf[val_len] = '\0';
	if (parse_value(buf, n, err) < 0) {
		*n = (struct sd_vm_net){0};
		return volt_err_ctx(err, "kernel parameter " SD_VM_NET_PARAM);
	}
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sd_vm_net_parse_mac(const char *s, uint8_t mac[SD_VM_NET_MAC_LEN], struct volt_error *err)
{
	uint8_t m[SD_VM_NET_MAC_LEN];
	for (int i = 0; i < SD_VM_NET_MAC_LEN; i++) {
		const char *p = s + 3 * i;
		int hi = hex_digit(p[0]), lo = hi < 0 ? -1 : hex_digit(p[1]);
		char sep = lo < 0 ? 0 : p[2];
		if (hi < 0 || lo < 0 || sep != (i == SD_VM_NET_MAC_LEN - 1 ? '\0' : ':'))
			return volt_err(err, -EINVAL, "MAC \"%s\" is not XX:XX:XX:XX:XX:XX", s);
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	if (m[0] & 1)
		return volt_err(err, -EINVAL, "MAC %s is a multicast address", s);
	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return volt_err(err, -EINVAL, "MAC %s is all zeros", s);
	memcpy(mac, m, SD_VM_NET_MAC_LEN);
	return 0;
}
