// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filter.h"
#include "sw_contract.h"

static const struct {
	const char *name;
	enum sw_lit_kind kind;
} kinds[] = { SW_LIT_KIND_NAMES }; /* generated from the contract (sw_contract.h) */

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || *out > max ? -1 : 0;
}

/* ADDR/PREFIX → family, masked address and mask, all network order */
static int parse_net(struct sw_literal *l, char *v)
{
	char *slash = strchr(v, '/');
	unsigned long prefix;
	__u8 *addr = (__u8 *)l->addr, *mask = (__u8 *)l->mask;
	int bytes;

	if (!slash)
		return -1;
	*slash = 0;
	if (inet_pton(AF_INET, v, addr) == 1)
		l->family = 4, bytes = 4;
	else if (inet_pton(AF_INET6, v, addr) == 1)
		l->family = 6, bytes = 16;
	else
		return -1;
	if (parse_uint(slash + 1, bytes * 8, &prefix))
		return -1;
	for (int i = 0; i < bytes; i++) {
		int bits = prefix >= (unsigned long)(i + 1) * 8 ? 8 : prefix > (unsigned long)i * 8 ? prefix - i * 8 : 0;

		mask[i] = bits ? (__u8)(0xff << (8 - bits)) : 0;
		addr[i] &= mask[i];
	}
	return 0;
}

static int parse_range(struct sw_literal *l, char *v)
{
	char *dash = strchr(v, '-');
	unsigned long lo, hi;

	if (!dash)
		return -1;
	*dash = 0;
	if (parse_uint(v, 65535, &lo) || parse_uint(dash + 1, 65535, &hi) || lo > hi)
		return -1;
	l->lo = lo;
	l->hi = hi;
	return 0;
}

static int parse_literal(struct sw_literal *l, char *text, char *err, size_t errlen)
{
	char *eq = strchr(text, '='), *v;
	unsigned long n;
	size_t k;

	memset(l, 0, sizeof(*l));
	if (*text == '!') {
		l->negate = 1;
		text++;
	}
	if (!eq)
		goto bad;
	*eq = 0;
	v = eq + 1;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strcmp(text, kinds[k].name))
			break;
	if (k == sizeof(kinds) / sizeof(kinds[0]))
		goto bad;
	l->kind = kinds[k].kind;

	switch (l->kind) {
	case SW_LIT_DIR:
		if (strcmp(v, "in") && strcmp(v, "out"))
			goto bad;
		l->value = strcmp(v, "in") ? SW_DIR_OUT : SW_DIR_IN;
		return 0;
	case SW_LIT_IFINDEX:
		l->value = if_nametoindex(v);
		if (!l->value) {
			snprintf(err, errlen, "no interface named '%s': 'ip link' lists them", v);
			return -2;
		}
		return 0;
	case SW_LIT_FAMILY:
		if (parse_uint(v, 6, &n) || (n != 4 && n != 6))
			goto bad;
		l->value = n;
		return 0;
	case SW_LIT_PROTO:
		if (parse_uint(v, 255, &n))
			goto bad;
		l->value = n;
		return 0;
	case SW_LIT_SRC:
	case SW_LIT_DST:
	case SW_LIT_HOST:
		return parse_net(l, v);
	default:
		return parse_range(l, v) ? -1 : 0;
	}
bad:
	return -1;
}

int filter_add_clause(struct sw_filter *f, const char *text, char *err, size_t errlen)
{
	struct sw_clause *c;
	char buf[1024], *save = NULL, *tok;
	int err_code;

	if (f->n == SW_MAX_CLAUSES) {
		snprintf(err, errlen, "at most %d --clause flags", SW_MAX_CLAUSES);
		return -1;
	}
	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, errlen, "--clause is too long");
		return -1;
	}
	c = &f->clause[f->n];
	memset(c, 0, sizeof(*c));
	strcpy(buf, text);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char lit[256];

		if (c->n == SW_MAX_LITERALS) {
			snprintf(err, errlen, "a --clause has at most %d literals, got more in '%s'",
				 SW_MAX_LITERALS, text);
			return -1;
		}
		snprintf(lit, sizeof(lit), "%s", tok);
		err_code = parse_literal(&c->lit[c->n], tok, err, errlen);
		if (err_code == -1)
			snprintf(err, errlen, "'%s' in --clause '%s' is not a literal like dport=53-53 (docs/filters.md)",
				 lit, text);
		if (err_code)
			return err_code;
		c->n++;
	}
	if (!c->n) {
		snprintf(err, errlen, "--clause '%s' has no literals", text);
		return -1;
	}
	f->n++;
	return 0;
}
