// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "savefile.h"

#define FILE_BUFFER (4 << 20)

/* tcpdump's getWflagChars: the digits of the largest number, count - 1. */
static int digits(unsigned long count)
{
	int c = 0;

	for (unsigned long x = count ? count - 1 : 0; x > 0; x /= 10)
		c++;
	return c;
}

/* tcpdump's MakeFilename: -w as an strftime pattern with -G, then the -C
 * number unless both it and the width are 0. */
static int make_name(struct savefile *f, unsigned long cnt, int width, char *why, size_t size)
{
	char base[PATH_MAX + 1];
	struct tm tm;

	if (f->seconds) {
		if (!localtime_r(&f->g_time, &tm) || !strftime(base, sizeof(base), f->pattern, &tm)) {
			snprintf(why, size, "-w '%s' makes an empty or too long file name as an strftime pattern", f->pattern);
			return -EINVAL;
		}
	} else {
		snprintf(base, sizeof(base), "%s", f->pattern);
	}
	if (cnt == 0 && width == 0) {
		snprintf(f->name, sizeof(f->name), "%s", base);
	} else if (snprintf(f->name, sizeof(f->name), "%s%0*lu", base, width, cnt) >= (int)sizeof(f->name)) {
		snprintf(why, size, "too many output files or the file name is too long (over %d bytes)", PATH_MAX);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int open_current(struct savefile *f, char *why, size_t size)
{
	int fd, err;

	fd = open(f->name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		snprintf(why, size, "cannot open '%s' for writing: %s", f->name, strerror(errno));
		return err;
	}
	err = out_init(&f->file, fd, FILE_BUFFER);
	if (err) {
		close(fd);
		snprintf(why, size, "out of memory for '%s'", f->name);
		return err;
	}
	f->out = &f->file;
	f->size = 0;
	f->files++;
	return 0;
}

int savefile_open(struct savefile *f, const char *pattern, unsigned long long limit, unsigned long seconds,
		  unsigned long count, struct out *std_out, char *why, size_t size)
{
	int err;

	*f = (struct savefile){ .pattern = pattern, .limit = limit, .seconds = seconds, .count = count,
				.width = digits(count), .g_time = time(NULL) };
	f->file.fd = -1;
	if (!strcmp(pattern, "-")) {
		f->out = std_out;
		return 0;
	}
	err = make_name(f, 0, limit ? f->width : 0, why, size);
	return err ?: open_current(f, why, size);
}

enum savefile_due savefile_due(struct savefile *f)
{
	time_t t;

	if (f->out != &f->file)
		return SAVEFILE_SAME;
	if (f->seconds && (t = time(NULL)) - f->g_time >= (time_t)f->seconds) {
		f->g_time = t;
		if (!f->limit && f->count && ++f->g_count >= f->count)
			return SAVEFILE_END; /* tcpdump: "Maximum file limit reached" */
		if (f->count && f->limit)
			f->g_count++;
		f->c_count = 0; /* a new period starts the -C numbers again */
		return SAVEFILE_NEXT;
	}
	if (f->limit && f->size > f->limit) {
		f->c_count++;
		if (f->count && f->c_count >= f->count)
			f->c_count = 0; /* a ring of -W files */
		return SAVEFILE_NEXT;
	}
	return SAVEFILE_SAME;
}

int savefile_next(struct savefile *f, char *why, size_t size)
{
	int err = savefile_close(f);

	if (err) {
		snprintf(why, size, "cannot write to '%s': %s", f->name, strerror(-err));
		return err;
	}
	err = make_name(f, f->c_count, f->limit ? f->width : 0, why, size);
	return err ?: open_current(f, why, size);
}

uint8_t *savefile_reserve(struct savefile *f, size_t n)
{
	struct out *o = f->out;

	if (o->err)
		return NULL;
	if (o == &f->file && out_free_space(o) < n && out_flush_all(o))
		return NULL;
	if (out_free_space(o) < n)
		return NULL; /* stdout: the writer's room() keeps this from happening */
	return (uint8_t *)o->buf + o->len;
}

int savefile_flush(struct savefile *f)
{
	if (f->out != &f->file || f->file.fd < 0)
		return f->out && f->out->err ? -f->out->err : 0;
	return out_flush_all(&f->file);
}

int savefile_close(struct savefile *f)
{
	int err;

	if (f->out != &f->file || f->file.fd < 0)
		return 0;
	err = out_flush_all(&f->file);
	if (close(f->file.fd) && !err)
		err = -errno;
	f->file.fd = -1;
	out_free(&f->file);
	return err;
}
