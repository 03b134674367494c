// SPDX-License-Identifier: MIT
/* cgroup v2 ids to paths (the kernel gives the id: the inode of the cgroup's
 * directory), and the container a path names, as runtimes name their cgroups. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/types.h>
#include "cgroups.h"

uint64_t now_ms(void);

#define REWALK_MS 100
#define MAX_DIRS 100000 /* a walk stops there */

#define MAX_PROCS 65536 /* /proc entries looked at for another namespace's mount */
#define CGROUP2_MAGIC 0x63677270
#define ROOT_CGROUP_INO 1 /* the hierarchy's own root; a cgroup namespace's is deeper */

/* The first cgroup2 mount a mounts file lists: 0, or -errno. */
static int find_mount(const char *mounts, char *dir, size_t size)
{
	struct mntent *m;
	FILE *f;

	dir[0] = 0;
	f = setmntent(mounts, "re");
	if (!f)
		return -errno;
	while ((m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(dir, size, "%s", m->mnt_dir);
			break;
		}
	endmntent(f);
	return dir[0] ? 0 : -ENOENT;
}

/* Our mount namespace has none (a container's, or `ip netns exec`'s, which
 * mounts a /sys of its own): another namespace's, through a process of it
 * (/proc/PID/root), held open and walked as /proc/self/fd/N. Only the
 * hierarchy's own root will do: the socket hooks must hang on it, and a mount
 * made in a cgroup namespace shows that namespace's cgroup as its root. */
static int other_namespace(struct cgroups *c)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	struct statfs sfs;
	struct stat st;
	char path[PATH_MAX + 64], dir[PATH_MAX];
	int procs = 0, fd;

	if (!proc)
		return -errno;
	while (!c->held && (p = readdir(proc)) && procs++ < MAX_PROCS) {
		unsigned long pid = strtoul(p->d_name, NULL, 10);

		snprintf(path, sizeof(path), "/proc/%lu/mounts", pid);
		if (!pid || find_mount(path, dir, sizeof(dir)))
			continue;
		snprintf(path, sizeof(path), "/proc/%lu/root%s", pid, dir);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue; /* gone, or not ours to enter */
		if (fstatfs(fd, &sfs) || sfs.f_type != CGROUP2_MAGIC || fstat(fd, &st) || st.st_ino != ROOT_CGROUP_INO) {
			close(fd);
			continue;
		}
		c->held = true;
		c->root_fd = fd;
		snprintf(c->root, sizeof(c->root), "/proc/self/fd/%d/.", fd);
		snprintf(c->shown, sizeof(c->shown), "%.*s (another mount namespace's)", PATH_MAX, path);
	}
	closedir(proc);
	return c->held ? 0 : -ENOENT;
}

int cgroups_init(struct cgroups *c)
{
	int err;

	c->held = false;
	err = find_mount("/proc/self/mounts", c->root, sizeof(c->root));
	snprintf(c->shown, sizeof(c->shown), "%s", c->root);
	if (err == -ENOENT)
		err = other_namespace(c);
	if (err)
		return err;
	c->slots = calloc(CGROUP_CACHE, sizeof(*c->slots));
	return c->slots ? 0 : -ENOMEM;
}

static void clear(struct cgroups *c)
{
	for (unsigned int i = 0; c->slots && i < CGROUP_CACHE; i++) {
		free(c->slots[i].path);
		c->slots[i] = (struct cgroup_info){ 0 };
	}
	c->used = 0;
}

void cgroups_free(struct cgroups *c)
{
	clear(c);
	free(c->slots);
	c->slots = NULL;
	if (c->held)
		close(c->root_fd);
	c->held = false;
}

static struct cgroup_info *slot(struct cgroups *c, uint64_t id)
{
	unsigned int i = (unsigned int)(id * 0x9E3779B97F4A7C15ULL >> 52) % CGROUP_CACHE;

	while (c->slots[i].id && c->slots[i].id != id)
		i = (i + 1) % CGROUP_CACHE;
	return &c->slots[i];
}

static bool hex_id(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

/* systemd escapes '-' in a unit name as \x2d. */
static void unescape(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < size; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x') {
			char hex[3] = { s[i + 2], s[i + 3], 0 };

			out[o++] = (char)strtol(hex, NULL, 16);
			i += 3;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = 0;
}

/* One path component: "docker-<64 hex>.scope" and the like, or a bare id
 * under a runtime's own directory ("/docker/<64 hex>"). */
static const char *component(const char *s, size_t n, const char *parent, size_t pn, char *id, size_t size)
{
	static const struct { const char *prefix, *runtime; } scopes[] = {
		{ "docker-", "docker" },
		{ "cri-containerd-", "containerd" },
		{ "libpod-", "podman" },
		{ "crio-", "cri-o" },
	};
	static const char scope[] = ".scope";
	size_t sl = sizeof(scope) - 1;

	if (n > sl && !memcmp(s + n - sl, scope, sl)) {
		for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
			size_t pl = strlen(scopes[i].prefix);

			if (n > pl + sl && !memcmp(s, scopes[i].prefix, pl) && hex_id(s + pl, n - pl - sl)) {
				snprintf(id, size, "%.*s", 64, s + pl);
				return scopes[i].runtime;
			}
		}
		/* systemd-nspawn (machinectl): machine-<name>.scope */
		if (n > 8 + sl && !memcmp(s, "machine-", 8)) {
			unescape(s + 8, n - 8 - sl, id, size);
			return "systemd-nspawn";
		}
	}
	if (hex_id(s, n) && pn == 6 && !memcmp(parent, "docker", 6)) {
		snprintf(id, size, "%.64s", s);
		return "docker";
	}
	return NULL;
}

const char *cgroups_container(const char *path, char *id, size_t size)
{
	const char *runtime = NULL, *p = path, *parent = "", *end;
	size_t pn = 0;
	char one[sizeof(((struct cgroup_info *)0)->container)];

	id[0] = 0;
	while (*p) {
		const char *r;

		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		if (end == p)
			break;
		r = component(p, end - p, parent, pn, one, sizeof(one));
		if (r) { /* the innermost one names it */
			runtime = r;
			snprintf(id, size, "%s", one);
		}
		parent = p;
		pn = end - p;
		p = end;
	}
	return runtime;
}

static void remember(struct cgroups *c, uint64_t id, const char *rel)
{
	struct cgroup_info *s;

	if (c->used >= CGROUP_CACHE * 3 / 4) {
		clear(c);
		c->walks++;
	}
	s = slot(c, id);
	if (s->id == id && s->path && !strcmp(s->path, rel))
		return;
	free(s->path);
	if (!s->id)
		c->used++;
	s->id = id;
	s->path = strdup(rel);
	s->runtime = cgroups_container(rel, s->container, sizeof(s->container));
}

struct walk {
	const char *prefix; /* cgroups_of_container: only ids of this container */
	__u64 *ids;
	int n, max;
};

/* Every directory under the mount (fts: no callback, so no global state),
 * into the cache, or with w->prefix the ids of one container's cgroups. */
static int walk(struct cgroups *c, struct walk *w)
{
	char *const roots[] = { c->root, NULL };
	size_t rootlen = strlen(c->root);
	FTSENT *ent;
	int dirs = 0;
	char id[72];
	FTS *fts;

	fts = fts_open(roots, FTS_PHYSICAL | FTS_XDEV | FTS_NOCHDIR, NULL);
	if (!fts)
		return -errno;
	while ((ent = fts_read(fts)) && dirs < MAX_DIRS) {
		const char *rel = ent->fts_path + rootlen;

		if (ent->fts_info != FTS_D)
			continue;
		dirs++;
		if (!*rel)
			rel = "/";
		if (!w->prefix)
			remember(c, ent->fts_statp->st_ino, rel);
		else if (cgroups_container(rel, id, sizeof(id)) && !strncmp(id, w->prefix, strlen(w->prefix)) &&
			 w->n < w->max)
			w->ids[w->n++] = ent->fts_statp->st_ino;
	}
	fts_close(fts);
	return 0;
}

const struct cgroup_info *cgroups_get(struct cgroups *c, uint64_t id)
{
	struct cgroup_info *s;
	struct walk w = { 0 };
	uint64_t now;
	struct cgroup_miss *miss;

	if (!c->slots || !id)
		return NULL;
	s = slot(c, id);
	if (s->id == id)
		return s;
	/* A new id (a cgroup made since the last walk) walks at once: its packets
	 * must not go unnamed. One a walk already missed (removed) waits, so stale
	 * ids cannot make the sidecar walk for every packet. */
	miss = &c->missing[id % (sizeof(c->missing) / sizeof(c->missing[0]))];
	now = now_ms();
	if (miss->id == id && now < miss->until_ms)
		return NULL;
	if (miss->id == id && now - c->last_walk_ms < REWALK_MS)
		return NULL;
	c->last_walk_ms = now;
	c->walks++;
	walk(c, &w);
	s = slot(c, id);
	if (s->id == id)
		return s;
	miss->id = id;
	miss->until_ms = now + REWALK_MS;
	return NULL;
}

int cgroups_id_of(const struct cgroups *c, const char *path, __u64 *id)
{
	char full[PATH_MAX * 2];
	size_t rl = strlen(c->root);
	struct stat st;

	if (!c->root[0])
		return -ENOENT;
	if (!strncmp(path, c->root, rl) && (path[rl] == '/' || !path[rl]))
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", c->root, path[0] == '/' ? path + 1 : path);
	if (stat(full, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*id = st.st_ino;
	return 0;
}

int cgroups_of_container(struct cgroups *c, const char *prefix, __u64 *ids, int max)
{
	struct walk w = { .prefix = prefix, .ids = ids, .max = max };

	if (!c->root[0])
		return 0;
	walk(c, &w);
	return w.n;
}
