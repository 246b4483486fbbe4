/* runcmd.c - see runcmd.h
 *
 * One attempt: two pipes (the child's stdin and stderr), posix_spawn of
 * /bin/sh -c CMD as the leader of a new process group, then one poll
 * loop that writes the input, reads stderr and watches for the exit, so
 * that neither side can block the other whatever their sizes.  The exit
 * is seen through a pidfd when the kernel has them, else by polling
 * waitid(WNOWAIT) at growing intervals (1 ms to 50 ms).  The leader is
 * reaped only after any SIGKILL to its group: while it is a zombie its
 * pid, and so the group id, cannot be reused. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runcmd.h"

extern char **environ;

#define NS_PER_S 1000000000LL
#define GRACE_NS NS_PER_S          /* from SIGTERM to SIGKILL */
#define MAX_NS (86400LL * 365 * NS_PER_S) /* longer limits mean "a year" */
#define WRITE_CHUNK 65536
#define DRAIN_MAX (1 << 20)        /* stderr read after the exit, at most */
#define CMD_QUOTE_MAX 100

#if defined(__GLIBC__) && \
	(__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define HAVE_CLOSEFROM_NP 1
#endif

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* Seconds as nanoseconds; 0 for <= 0 or NaN. */
static int64_t to_ns(double s)
{
	if (!(s > 0))
		return 0;
	if (s >= (double)MAX_NS / NS_PER_S)
		return MAX_NS;
	return (int64_t)(s * NS_PER_S);
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* fd itself when it is above stderr, else a close-on-exec copy above it
 * (a caller with stdin closed gets pipes at 0): the child's dup2 onto
 * 0, 1 and 2 must never overwrite a descriptor it still has to dup. */
static int above_stderr(int fd)
{
	int high, saved;

	if (fd < 0 || fd > 2)
		return fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	saved = errno;
	close(fd);
	errno = saved;
	return high;
}

static int pipe_above_stderr(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0) {
		p[0] = p[1] = -1;
		return -1;
	}
	p[0] = above_stderr(p[0]);
	p[1] = above_stderr(p[1]);
	return p[0] < 0 || p[1] < 0 ? -1 : 0;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Starts /bin/sh -c cmd with stdin, stdout and stderr on in, out and
 * err, nothing else open, in a new process group.  Returns 0 or an
 * errno value. */
static int spawn(const char *cmd, int in, int out, int err, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	int rc;

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		return rc;
	if ((rc = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	rc = posix_spawn_file_actions_adddup2(&fa, in, 0);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, out, 1);
	if (!rc)
		rc = posix_spawn_file_actions_adddup2(&fa, err, 2);
#ifdef HAVE_CLOSEFROM_NP
	if (!rc)
		rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#else
	{       /* close what the caller left inheritable; ours are CLOEXEC */
		struct rlimit rl;
		int fd, top = 4096;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)top)
			top = (int)rl.rlim_cur;
		for (fd = 3; !rc && fd < top; fd++) {
			int fl = fcntl(fd, F_GETFD);
			if (fl >= 0 && !(fl & FD_CLOEXEC))
				rc = posix_spawn_file_actions_addclose(&fa, fd);
		}
	}
#endif
	if (!rc)
		rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
					      POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	if (!rc)
		rc = posix_spawnattr_setpgroup(&at, 0);
	if (!rc)
		rc = posix_spawnattr_setsigmask(&at, &none);
	if (!rc)
		rc = posix_spawnattr_setsigdefault(&at, &dfl);
	if (!rc)
		rc = posix_spawn(pid, "/bin/sh", &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/* A descriptor that polls readable when pid exits, or -1 (no pidfds:
 * an old kernel, or a seccomp filter that refuses them). */
static int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);   /* close-on-exec */

	return fd < 0 ? -1 : above_stderr(fd);
#else
	(void)pid;
	return -1;
#endif
}

/* True once pid has exited; it is left unreaped. */
static bool has_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno != EINTR;  /* ECHILD: reaped already (SIGCHLD ignored) */
	return si.si_pid != 0;
}

/* Reads what stderr holds now; keeps the first TW_RUNCMD_ERR_MAX bytes.
 * Returns false at end of file or on an error other than EAGAIN. */
static bool read_err(int fd, char *err, size_t *n, size_t max_total)
{
	char buf[4096];
	size_t total = 0;

	while (total < max_total) {
		ssize_t got = read(fd, buf, sizeof buf);
		if (got < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
		if (got == 0)
			return false;
		if (*n < TW_RUNCMD_ERR_MAX) {
			size_t k = TW_RUNCMD_ERR_MAX - *n;
			if (k > (size_t)got)
				k = (size_t)got;
			memcpy(err + *n, buf, k);
			*n += k;
		}
		total += (size_t)got;
	}
	return true;
}

/* Runs one attempt to its end, filling r->status, r->timed_out and
 * r->err.  limit is the time limit in ns (0: none).  Returns 0, or -1
 * with errno set when the command could not be started. */
static int attempt(const char *cmd, const char *input, size_t len,
		   int64_t limit, struct tw_runcmd_result *r)
{
	int in[2] = { -1, -1 }, er[2] = { -1, -1 }, null_fd = -1, pidfd = -1;
	int rc, st, saved, ramp_ms = 1;
	pid_t pid;
	size_t off = 0, errlen = 0;
	int64_t deadline = limit > 0 ? now_ns() + limit : 0;
	bool terminating = false, pipe_pending;
	sigset_t pipe_set, old_mask, pending;

	r->status = -1;
	r->timed_out = false;
	memset(r->err, 0, sizeof r->err);
	if (pipe_above_stderr(in) < 0 || pipe_above_stderr(er) < 0)
		goto fail;
	null_fd = above_stderr(open("/dev/null", O_WRONLY | O_CLOEXEC));
	if (null_fd < 0)
		goto fail;
	if ((rc = spawn(cmd, in[0], null_fd, er[1], &pid)) != 0) {
		errno = rc;
		goto fail;
	}
	close_fd(&in[0]);
	close_fd(&er[1]);
	close_fd(&null_fd);
	pidfd = open_pidfd(pid);
	/* Without O_NONBLOCK a full pipe would block us past the deadline;
	 * should it fail, the input is dropped rather than risk that. */
	if (len == 0 || set_nonblock(in[1]) < 0)
		close_fd(&in[1]);
	if (set_nonblock(er[0]) < 0)
		close_fd(&er[0]);

	/* A command that exits without reading its input makes our write
	 * raise SIGPIPE: blocked here, and consumed below if it was not
	 * already pending for the caller. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old_mask);
	sigpending(&pending);
	pipe_pending = sigismember(&pending, SIGPIPE);

	while (!has_exited(pid)) {
		struct pollfd p[3];
		int np = 0, i_in = -1, i_er = -1, timeout = -1;
		int64_t t = now_ns();

		if (deadline && t >= deadline) {
			if (terminating)
				break;  /* the grace is over: SIGKILL below */
			r->timed_out = true;
			terminating = true;
			kill(-pid, SIGTERM);
			close_fd(&in[1]);
			deadline = t + GRACE_NS;
		}
		if (in[1] >= 0) {
			p[np] = (struct pollfd){ .fd = in[1], .events = POLLOUT };
			i_in = np++;
		}
		if (er[0] >= 0) {
			p[np] = (struct pollfd){ .fd = er[0], .events = POLLIN };
			i_er = np++;
		}
		if (pidfd >= 0)
			p[np++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		if (deadline) {
			int64_t ms = (deadline - t + 999999) / 1000000;
			timeout = ms > INT32_MAX ? INT32_MAX : (int)ms;
		}
		if (pidfd < 0) {
			if (timeout < 0 || timeout > ramp_ms)
				timeout = ramp_ms;
			if (ramp_ms < 50)
				ramp_ms *= 2;
		}
		if (poll(p, (nfds_t)np, timeout) <= 0)
			continue;       /* timeout, EINTR; the loop checks again */
		if (i_in >= 0 && p[i_in].revents) {
			size_t k = len - off > WRITE_CHUNK ? WRITE_CHUNK : len - off;
			ssize_t n = write(in[1], input + off, k);
			if (n > 0)
				off += (size_t)n;
			if ((n > 0 && off == len) || (n < 0 && errno != EAGAIN &&
					errno != EWOULDBLOCK && errno != EINTR))
				close_fd(&in[1]);  /* all written, or EPIPE */
		}
		if (i_er >= 0 && p[i_er].revents &&
		    !read_err(er[0], r->err, &errlen, SIZE_MAX))
			close_fd(&er[0]);
	}
	close_fd(&in[1]);
	/* After a time limit, whatever is left of the group dies, the
	 * leader included if it ignored SIGTERM. */
	if (r->timed_out)
		kill(-pid, SIGKILL);
	/* What the exited command wrote last; bounded, because a process it
	 * left behind may still hold the pipe and keep writing. */
	if (er[0] >= 0)
		read_err(er[0], r->err, &errlen, DRAIN_MAX);
	close_fd(&er[0]);
	close_fd(&pidfd);
	while ((rc = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (rc == pid)
		r->status = WIFEXITED(st) ? WEXITSTATUS(st)
			  : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -1;

	if (!pipe_pending) {
		sigpending(&pending);
		if (sigismember(&pending, SIGPIPE)) {
			struct timespec zero = { 0, 0 };
			while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
				;
		}
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return 0;

fail:
	saved = errno;
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&er[0]);
	close_fd(&er[1]);
	close_fd(&null_fd);
	errno = saved;
	return -1;
}

/* Sleeps ns on the monotonic clock, in slices so that a stop flag set
 * by a signal handler ends it soon even if the signal came just before
 * the sleep began.  Returns false when stopped. */
static bool backoff_sleep(int64_t ns, volatile sig_atomic_t *stop)
{
	int64_t end = now_ns() + ns;

	for (;;) {
		int64_t t = now_ns(), until = end;
		struct timespec ts;

		if (stop && *stop)
			return false;
		if (t >= end)
			return true;
		if (stop && until - t > NS_PER_S / 10)
			until = t + NS_PER_S / 10;
		ts.tv_sec = (time_t)(until / NS_PER_S);
		ts.tv_nsec = (long)(until % NS_PER_S);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}


/* ns as seconds, "2", "0.3" or "1.25", to the millisecond, written by
 * hand so that no locale can turn the point into a comma. */
static const char *secs(char *buf, size_t size, int64_t ns)
{
	long long ms = (long long)((ns + 500000) / 1000000);
	int frac = (int)(ms % 1000), digits = 3;

	if (frac == 0) {
		snprintf(buf, size, "%lld", ms / 1000);
		return buf;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, size, "%lld.%0*d", ms / 1000, digits, frac);
	return buf;
}

/* e explains r's failure; limit is the time limit in ns. */
static int failure(const char *cmd, int64_t limit,
		   const struct tw_runcmd_result *r, struct tw_err *e)
{
	char qcmd[CMD_QUOTE_MAX + 4], what[128], line[TW_RUNCMD_ERR_MAX + 4];
	char n[32];
	const char *s = r->err, *end = r->err + strlen(r->err);
	const char *plural = r->attempts == 1 ? "" : "s";
	const char *intr = r->interrupted ? " (interrupted)" : "";

	tw_err_quote_max(qcmd, cmd, strlen(cmd), CMD_QUOTE_MAX);
	if (r->timed_out)
		snprintf(what, sizeof what, "timed out after %s s (%d attempt%s)%s",
			 secs(n, sizeof n, limit), r->attempts, plural, intr);
	else if (r->status > 128 && r->status < 128 + 65)
		snprintf(what, sizeof what, "was killed by signal %d after %d attempt%s%s",
			 r->status - 128, r->attempts, plural, intr);
	else if (r->status >= 0)
		snprintf(what, sizeof what, "exited with status %d after %d attempt%s%s",
			 r->status, r->attempts, plural, intr);
	else
		snprintf(what, sizeof what, "ended with its status lost (is SIGCHLD "
			 "ignored?) after %d attempt%s%s", r->attempts, plural, intr);

	/* The first non-empty line of its stderr ("sh: 1: x: not found"). */
	while (s < end && (*s == '\n' || *s == '\r'))
		s++;
	line[0] = '\0';
	if (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t k = (size_t)((nl ? nl : end) - s);
		if (k > 0 && s[k - 1] == '\r')
			k--;
		tw_err_quote_max(line, s, k, TW_RUNCMD_ERR_MAX);
	}
	return tw_err_set(e, "'%s' %s%s%s", qcmd, what, line[0] ? ": " : "", line);
}

int tw_runcmd(const struct tw_runcmd_opts *o, const char *input, size_t len,
	      struct tw_runcmd_result *r, struct tw_err *e)
{
	int64_t t0 = now_ns(), limit = to_ns(o->timeout), gap = to_ns(o->backoff);
	int64_t gap_max = to_ns(TW_RUNCMD_BACKOFF_MAX);
	int tries = o->retries <= 0 ? 1 : o->retries < INT_MAX ? o->retries + 1 : INT_MAX;

	memset(r, 0, sizeof *r);
	r->status = -1;
	if (gap > gap_max)
		gap = gap_max;
	for (;;) {
		if (attempt(o->cmd, input, len, limit, r) < 0) {
			char qcmd[CMD_QUOTE_MAX + 4];
			int saved = errno;
			r->seconds = (double)(now_ns() - t0) / NS_PER_S;
			return tw_err_set(e, "cannot run '%s': %s",
					  tw_err_quote_max(qcmd, o->cmd, strlen(o->cmd), CMD_QUOTE_MAX),
					  strerror(saved));
		}
		r->attempts++;
		if (r->status == 0 && !r->timed_out) {
			r->seconds = (double)(now_ns() - t0) / NS_PER_S;
			return 0;
		}
		if (r->attempts >= tries)
			break;
		if ((o->stop && *o->stop) || !backoff_sleep(gap, o->stop)) {
			r->interrupted = true;
			break;
		}
		gap = gap * 2 > gap_max ? gap_max : gap * 2;
	}
	r->seconds = (double)(now_ns() - t0) / NS_PER_S;
	return failure(o->cmd, limit, r, e);
}
