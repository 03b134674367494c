/* SPDX-License-Identifier: MIT */
/* cgroup v2: where it is mounted, a cgroup id's path, and the container a path names. */
#ifndef SW_CGROUPS_H
#define SW_CGROUPS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#define CGROUP_CACHE 4096 /* ids remembered; past it the cache starts over */

struct cgroup_info {
	uint64_t id;
	char *path;          /* from the cgroup v2 root: "/" or "/system.slice/x.scope" */
	char container[72];  /* "" on the host */
	const char *runtime; /* docker, containerd, podman, cri-o, systemd-nspawn; NULL on the host */
};

struct cgroups {
	char root[PATH_MAX];  /* the cgroup v2 mount, "" when there is none */
	bool held;            /* another mount namespace's mount, held open as root_fd (root: /proc/self/fd/N/.) */
	int root_fd;
	char shown[PATH_MAX + 96]; /* where it is, for people: root, or /proc/PID/root/... */
	struct cgroup_info *slots; /* open addressing by id */
	unsigned int used;
	uint64_t last_walk_ms;
	uint64_t walks; /* walks so far: what an id resolves to may change with one */
	/* ids a walk did not find (a removed cgroup), direct-mapped: they wait for the
	 * next timed walk instead of starting one, so a new id is never kept waiting */
	struct cgroup_miss { uint64_t id, until_ms; } missing[64];
};

/* Finds the cgroup v2 mount in /proc/self/mounts, else in another mount
 * namespace (through /proc/PID/root): 0, or -ENOENT without one. */
int cgroups_init(struct cgroups *c);
void cgroups_free(struct cgroups *c);
/* A cgroup id's path and container, walking the hierarchy again for an id not
 * seen yet (an id a walk did not find: at most every 100 ms); NULL when it is not
 * (or no longer) there. */
const struct cgroup_info *cgroups_get(struct cgroups *c, uint64_t id);
/* A path's container id and runtime (the runtime NULL when it names none). */
const char *cgroups_container(const char *path, char *id, size_t size);
/* The id of the cgroup at `path` (from the root, or absolute under the mount). */
int cgroups_id_of(const struct cgroups *c, const char *path, __u64 *id);
/* The ids of every cgroup whose container id starts with `prefix`; returns how many. */
int cgroups_of_container(struct cgroups *c, const char *prefix, __u64 *ids, int max);

#endif
