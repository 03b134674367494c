/* SPDX-License-Identifier: MIT */
/* Which compiled filter a device's packets get: its link type, from its ARPHRD type. */
#ifndef SW_LINKTYPES_H
#define SW_LINKTYPES_H

struct engine;

/* SW_LINKTYPE_* for an ARPHRD_* device type. */
unsigned int linktype_of_arphrd(unsigned short type);
/* SW_LINKTYPE_* of an interface now (SW_LINKTYPE_NONE if it cannot be read). */
unsigned int linktype_of_ifindex(unsigned int ifindex);
/* The captured interfaces' one link type, or 0 when they differ (or every interface). */
unsigned int linktypes_fixed(const struct engine *e);
/* Tells the kernel program a device's link type (only non-Ethernet ones are kept). */
void linktypes_set(struct engine *e, unsigned int ifindex, unsigned short arphrd);
/* Every device there is now. */
void linktypes_fill(struct engine *e);

#endif
