/* SPDX-License-Identifier: MIT */
/* --clause flags → struct sw_filter (format: docs/filters.md). */
#ifndef SW_FILTER_H
#define SW_FILTER_H

#include <stddef.h>
#include <linux/types.h>
#include "../bpf/sockwatch.h"

/*
 * Adds one clause ("[!]kind=value,..."). Returns 0, or -1 with a sentence in
 * err naming the bad literal; -2 when an iface= names no interface.
 */
int filter_add_clause(struct sw_filter *f, const char *text, char *err, size_t errlen);

#endif
