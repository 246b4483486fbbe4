/* fault.c - an LD_PRELOAD shim that makes file system calls fail, to test
 * the tools' error paths (as jq's inject_errors.c does):
 *
 *   TW_FAULT=ENOSPC  write(2) to a file whose path contains TW_FAULT_PATH
 *                    fails with ENOSPC (a full disk);
 *   TW_FAULT=EROFS   creating a file whose path contains TW_FAULT_PATH
 *                    (mkstemp, mkostemp, open with O_CREAT) fails with
 *                    EROFS (a read-only file system);
 *   TW_FAULT_AFTER=N the first N such calls succeed, the later ones fail
 *                    (a disk that fills up during a run).
 *
 * Built by the test that uses it: cc -shared -fPIC -o fault.so fault.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int wanted(const char *fault)
{
	const char *f = getenv("TW_FAULT");
	return f && strcmp(f, fault) == 0 && getenv("TW_FAULT_PATH");
}

/* True for a call on path that is to fail. */
static int matches(const char *path)
{
	static long calls;
	const char *p = getenv("TW_FAULT_PATH"), *after = getenv("TW_FAULT_AFTER");
	if (!p || !path || !strstr(path, p))
		return 0;
	return ++calls > (after ? atol(after) : 0);
}

static int fd_matches(int fd)
{
	char link[64], path[4096];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof path - 1);
	if (n < 0)
		return 0;
	path[n] = '\0';
	return matches(path);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	if (!real)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (wanted("ENOSPC") && fd_matches(fd)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, buf, n);
}

int mkstemp(char *tmpl)
{
	static int (*real)(char *);
	if (!real)
		real = (int (*)(char *))dlsym(RTLD_NEXT, "mkstemp");
	if (wanted("EROFS") && matches(tmpl)) {
		errno = EROFS;
		return -1;
	}
	return real(tmpl);
}

int mkostemp(char *tmpl, int flags)
{
	static int (*real)(char *, int);
	if (!real)
		real = (int (*)(char *, int))dlsym(RTLD_NEXT, "mkostemp");
	if (wanted("EROFS") && matches(tmpl)) {
		errno = EROFS;
		return -1;
	}
	return real(tmpl, flags);
}

int open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;
	if (!real)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	if (flags & O_CREAT) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
		if (wanted("EROFS") && matches(path)) {
			errno = EROFS;
			return -1;
		}
	}
	return real(path, flags, mode);
}
