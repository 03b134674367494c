// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ifnames.h"

#define INITIAL 64

static size_t slot_of(const struct ifnames *n, unsigned int ifindex)
{
	size_t i = (ifindex * 2654435761u) & (n->cap - 1);

	while (n->slots[i].ifindex && n->slots[i].ifindex != ifindex)
		i = (i + 1) & (n->cap - 1);
	return i;
}

int ifnames_init(struct ifnames *n)
{
	n->cap = INITIAL;
	n->used = 0;
	n->slots = calloc(n->cap, sizeof(*n->slots));
	return n->slots ? 0 : -ENOMEM;
}

void ifnames_free(struct ifnames *n)
{
	free(n->slots);
	n->slots = NULL;
}

static int grow(struct ifnames *n)
{
	struct ifnames bigger = { .cap = n->cap * 2 };

	bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -ENOMEM;
	for (size_t i = 0; i < n->cap; i++)
		if (n->slots[i].ifindex)
			bigger.slots[slot_of(&bigger, n->slots[i].ifindex)] = n->slots[i];
	bigger.used = n->used;
	bigger.changes = n->changes;
	free(n->slots);
	*n = bigger;
	return 0;
}

int ifnames_set(struct ifnames *n, unsigned int ifindex, const char *name)
{
	struct ifname_slot *s;

	if (!ifindex)
		return 0;
	/* at most half full, so probes stay short */
	if ((n->used + 1) * 2 > n->cap && grow(n))
		return -ENOMEM;
	s = &n->slots[slot_of(n, ifindex)];
	if (!s->ifindex) {
		s->ifindex = ifindex;
		n->used++;
	}
	s->deleted = false;
	n->changes++;
	strncpy(s->name, name, IF_NAMESIZE - 1);
	s->name[IF_NAMESIZE - 1] = 0;
	return 0;
}

void ifnames_deleted(struct ifnames *n, unsigned int ifindex)
{
	struct ifname_slot *s = &n->slots[slot_of(n, ifindex)];

	if (s->ifindex == ifindex)
		s->deleted = true;
}

const char *ifnames_get(const struct ifnames *n, unsigned int ifindex)
{
	const struct ifname_slot *s = &n->slots[slot_of(n, ifindex)];

	return s->ifindex == ifindex && ifindex ? s->name : NULL;
}
