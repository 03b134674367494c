/* SPDX-License-Identifier: MIT */
/* Flows mode: read and clear the kernel's flow table, one flow record each. */
#ifndef SW_FLOWS_H
#define SW_FLOWS_H

#include "out.h"

/* Moves every flow out of the map (lookup-and-delete in batches) into flow
 * records; returns how many were written, or -errno. */
long flows_drain(int map_fd, struct out *o);

#endif
