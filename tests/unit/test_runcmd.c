/* test_runcmd.c - --exec commands: input delivered, retries with
 * backoff, time limits that end the whole process group, commands that
 * ignore their input, missing programs, stdout kept clean, no zombies,
 * no inherited descriptors, no stray SIGPIPE. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "runcmd.h"

static char tmpdir[] = "/tmp/twin-test-runcmd-XXXXXX";

static const char *path_of(const char *name)
{
	static char p[4][320];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof p[i], "%s/%s", tmpdir, name);
	return p[i];
}

/* The whole file, NUL-terminated, or NULL; *len its size.  Caller frees. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0, r;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap + 1);
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* True when pid is gone or a zombie (reparented, its reaper may be slow:
 * a container's init need not reap at all). */
static int dead(long pid)
{
	char p[64], *s;
	int gone;

	snprintf(p, sizeof p, "/proc/%ld/stat", pid);
	s = slurp(p, NULL);
	if (!s)
		return 1;
	/* "pid (comm) S ...": the state follows the last ')' */
	gone = strrchr(s, ')') && (strrchr(s, ')')[2] == 'Z' || strrchr(s, ')')[2] == 'X');
	free(s);
	return gone;
}

/* Waits up to 2 s for pid to be dead: SIGKILL is delivered at once but
 * the process takes a moment to go. */
static int dies(long pid)
{
	double end = now() + 2;

	while (!dead(pid) && now() < end)
		usleep(10000);
	return dead(pid);
}

static long read_pid(const char *name)
{
	char *s = slurp(path_of(name), NULL);
	long pid = s ? strtol(s, NULL, 10) : 0;

	free(s);
	return pid;
}

static struct tw_runcmd_opts opts(const char *cmd, double timeout, int retries, double backoff)
{
	struct tw_runcmd_opts o = { cmd, timeout, retries, backoff, NULL };

	return o;
}

static void test_input_delivered(void)
{
	char cmd[512];
	const char rec[] = "{\"asset\":\"pump-1\",\"target\":\"speed\",\"value\":1450}\n";
	struct tw_runcmd_opts o;
	struct tw_runcmd_result r;
	struct tw_err e = { "" };
	size_t n;
	char *got;

	snprintf(cmd, sizeof cmd, "cat > %s", path_of("rec.json"));
	o = opts(cmd, 5, 0, 0);
	CHECK_INT(tw_runcmd(&o, rec, strlen(rec), &r, &e), 0);
	CHECK_INT(r.attempts, 1);
	CHECK_INT(r.status, 0);
	CHECK(!r.timed_out);
	CHECK(!r.interrupted);
	CHECK_STR(r.err, "");
	CHECK(r.seconds >= 0 && r.seconds < 5);
	CHECK_STR(e.msg, "");   /* untouched on success */
	got = slurp(path_of("rec.json"), &n);
	CHECK_STR(got, rec);
	free(got);

	/* no input: an empty stdin, at end of file at once */
	CHECK_INT(tw_runcmd(&o, NULL, 0, &r, &e), 0);
	got = slurp(path_of("rec.json"), &n);
	CHECK(got && n == 0);
	free(got);

	/* no time limit at all */
	o = opts(cmd, 0, 0, 0);
	CHECK_INT(tw_runcmd(&o, "x", 1, &r, &e), 0);
	got = slurp(path_of("rec.json"), &n);
	CHECK_STR(got, "x");
	free(got);
}

/* A big input and a command that echoes it all to stderr: both pipes
 * full at once, which deadlocks a write-then-read implementation. */
static void test_big_input_and_stderr(void)
{
	size_t len = 3u << 20, i;
	char *big = malloc(len);
	struct tw_runcmd_opts o = opts("cat >&2", 20, 0, 0);
	struct tw_runcmd_result r;
	struct tw_err e;

	for (i = 0; i < len; i++)
		big[i] = (char)('a' + i % 26);
	CHECK_INT(tw_runcmd(&o, big, len, &r, &e), 0);
	CHECK_INT(strlen(r.err), TW_RUNCMD_ERR_MAX);
	CHECK(memcmp(r.err, big, TW_RUNCMD_ERR_MAX) == 0);

	/* the same input through a file, byte for byte */
	{
		char cmd[512], *got;
		size_t n;

		snprintf(cmd, sizeof cmd, "cat > %s", path_of("big"));
		o = opts(cmd, 20, 0, 0);
		CHECK_INT(tw_runcmd(&o, big, len, &r, &e), 0);
		got = slurp(path_of("big"), &n);
		CHECK(got && n == len && memcmp(got, big, len) == 0);
		free(got);
	}
	free(big);
}

static void test_retries(void)
{
	char cmd[512];
	struct tw_runcmd_opts o;
	struct tw_runcmd_result r;
	struct tw_err e;
	double t0;

	/* fails twice, then succeeds: a counter in a file */
	snprintf(cmd, sizeof cmd,
		 "n=$(cat %s 2>/dev/null || echo 0); n=$((n + 1)); echo $n > %s; "
		 "[ $n -ge 3 ] || { echo \"try $n failed\" >&2; exit 4; }",
		 path_of("count"), path_of("count"));
	o = opts(cmd, 5, 2, 0.1);
	t0 = now();
	CHECK_INT(tw_runcmd(&o, "r\n", 2, &r, &e), 0);
	CHECK_INT(r.attempts, 3);
	CHECK_INT(r.status, 0);
	/* backoff 0.1 s, then 0.2 s */
	CHECK(now() - t0 >= 0.3);
	CHECK(r.seconds >= 0.3 && r.seconds < 3);

	/* from a fresh counter, one retry is not enough */
	unlink(path_of("count"));
	o = opts(cmd, 5, 1, 0.01);
	CHECK_INT(tw_runcmd(&o, "r\n", 2, &r, &e), -1);
	CHECK_INT(r.attempts, 2);
	CHECK_INT(r.status, 4);
	CHECK(!r.timed_out);
	CHECK_STR(r.err, "try 2 failed\n");
	CHECK(strstr(e.msg, "' exited with status 4 after 2 attempts: try 2 failed") != NULL);
	CHECK(e.msg[0] == '\'');

	/* the message's form, in full */
	o = opts("echo boom >&2; echo second >&2; exit 3", 5, 2, 0);
	CHECK_INT(tw_runcmd(&o, "", 0, &r, &e), -1);
	CHECK_STR(e.msg, "'echo boom >&2; echo second >&2; exit 3' exited with status 3 "
		  "after 3 attempts: boom");
	CHECK_STR(r.err, "boom\nsecond\n");

	o = opts("exit 1", 5, 0, 0);
	CHECK_INT(tw_runcmd(&o, "", 0, &r, &e), -1);
	CHECK_STR(e.msg, "'exit 1' exited with status 1 after 1 attempt");

	/* blank lines and a CR before the message; control bytes as '?' */
	o = opts("printf '\\n\\nbad\\tthing\\r\\nmore' >&2; exit 2", 5, 0, 0);
	CHECK_INT(tw_runcmd(&o, "", 0, &r, &e), -1);
	CHECK(strstr(e.msg, "' exited with status 2 after 1 attempt: bad?thing") != NULL);
	CHECK(e.msg[strlen(e.msg) - 1] == 'g');

	/* a signal: 128 + its number */
	o = opts("kill -9 $$", 5, 0, 0);
	CHECK_INT(tw_runcmd(&o, "", 0, &r, &e), -1);
	CHECK_INT(r.status, 137);
	CHECK(!r.timed_out);
	CHECK_STR(e.msg, "'kill -9 $$' was killed by signal 9 after 1 attempt");

	/* negative retries and backoff mean none */
	o = opts("exit 5", 5, -3, -1);
	CHECK_INT(tw_runcmd(&o, "", 0, &r, &e), -1);
	CHECK_INT(r.attempts, 1);
	CHECK_INT(r.status, 5);
}

static void test_timeout(void)
{
	char cmd[512];
	struct tw_runcmd_opts o;
	struct tw_runcmd_result r;
	struct tw_err e;
	double t0;
	long bg, fg;

	/* a background child, a foreground one, and the shell waiting: the
	 * whole group goes, within the limit plus a little */
	snprintf(cmd, sizeof cmd, "sleep 10 & echo $! > %s; sleep 10 & echo $! > %s; wait",
		 path_of("bg.pid"), path_of("fg.pid"));
	o = opts(cmd, 0.3, 1, 0.1);
	t0 = now();
	CHECK_INT(tw_runcmd(&o, "r\n", 2, &r, &e), -1);
	CHECK(now() - t0 < 3);
	CHECK(now() - t0 >= 0.7);       /* 0.3 + 0.1 + 0.3 */
	CHECK(r.timed_out);
	CHECK_INT(r.attempts, 2);
	CHECK_INT(r.status, 128 + SIGTERM);
	CHECK(strstr(e.msg, "' timed out after 0.3 s (2 attempts)") != NULL);
	bg = read_pid("bg.pid");
	fg = read_pid("fg.pid");
	CHECK(bg > 0 && dies(bg));
	CHECK(fg > 0 && dies(fg));

	/* the brief's form */
	o = opts("sleep 10", 0.2, 0, 0);
	t0 = now();
	CHECK_INT(tw_runcmd(&o, "", 0, &r, &e), -1);
	CHECK(now() - t0 < 1);
	CHECK_STR(e.msg, "'sleep 10' timed out after 0.2 s (1 attempt)");

	/* SIGTERM ignored by the shell and its child: SIGKILL a second later */
	snprintf(cmd, sizeof cmd, "trap '' TERM; sleep 10 & echo $! > %s; wait",
		 path_of("bg.pid"));
	o = opts(cmd, 0.2, 0, 0);
	t0 = now();
	CHECK_INT(tw_runcmd(&o, "", 0, &r, &e), -1);
	CHECK(now() - t0 >= 1.2 && now() - t0 < 3);
	CHECK(r.timed_out);
	CHECK_INT(r.status, 128 + SIGKILL);
	bg = read_pid("bg.pid");
	CHECK(bg > 0 && dies(bg));

	/* a command that will not read a big input and never exits: the
	 * write must not block past the limit */
	{
		size_t len = 4u << 20;
		char *big = calloc(1, len);

		o = opts("sleep 10", 0.3, 0, 0);
		t0 = now();
		CHECK_INT(tw_runcmd(&o, big, len, &r, &e), -1);
		CHECK(now() - t0 < 2);
		CHECK(r.timed_out);
		free(big);
	}

	/* stderr written before the limit is kept and quoted */
	o = opts("echo 'connecting...' >&2; sleep 10", 0.3, 0, 0);
	CHECK_INT(tw_runcmd(&o, "", 0, &r, &e), -1);
	CHECK_STR(e.msg, "'echo 'connecting...' >&2; sleep 10' timed out after 0.3 s "
		  "(1 attempt): connecting...");

	/* a process left behind holding stdin and stderr does not hold up
	 * a command that exited, even one that writes without end */
	snprintf(cmd, sizeof cmd, "sleep 10 & echo $! > %s; exit 0", path_of("bg.pid"));
	o = opts(cmd, 5, 0, 0);
	t0 = now();
	CHECK_INT(tw_runcmd(&o, "r\n", 2, &r, &e), 0);
	CHECK(now() - t0 < 1);
	bg = read_pid("bg.pid");
	CHECK(bg > 0 && kill((pid_t)bg, SIGKILL) == 0 && dies(bg));
	snprintf(cmd, sizeof cmd, "yes >&2 & echo $! > %s; exit 0", path_of("bg.pid"));
	o = opts(cmd, 5, 0, 0);
	t0 = now();
	CHECK_INT(tw_runcmd(&o, "r\n", 2, &r, &e), 0);
	CHECK(now() - t0 < 1);
	bg = read_pid("bg.pid");
	CHECK(bg > 0 && dies(bg));      /* SIGPIPE once the pipe is closed */

	/* a fast command under a limit is not cut */
	o = opts("exit 0", 0.3, 0, 0);
	CHECK_INT(tw_runcmd(&o, "", 0, &r, &e), 0);
	CHECK(!r.timed_out);
}

/* Commands that exit without reading their input: EPIPE on our side,
 * and no SIGPIPE left pending or delivered to the caller. */
static void test_no_sigpipe(void)
{
	size_t len = 2u << 20;
	char *big = malloc(len);
	struct tw_runcmd_opts o = opts("exit 0", 5, 0, 0);
	struct tw_runcmd_result r;
	struct tw_err e;
	sigset_t before, after, pending;
	int i;

	memset(big, 'x', len);
	sigprocmask(SIG_SETMASK, NULL, &before);
	for (i = 0; i < 5; i++)
		CHECK_INT(tw_runcmd(&o, big, len, &r, &e), 0);
	o = opts("head -c 10 >/dev/null", 5, 0, 0);
	CHECK_INT(tw_runcmd(&o, big, len, &r, &e), 0);
	o = opts("exec 0<&-; sleep 0.1; exit 6", 5, 0, 0);
	CHECK_INT(tw_runcmd(&o, big, len, &r, &e), -1);
	CHECK_INT(r.status, 6);
	sigprocmask(SIG_SETMASK, NULL, &after);
	CHECK(sigismember(&after, SIGPIPE) == sigismember(&before, SIGPIPE));
	sigpending(&pending);
	CHECK(!sigismember(&pending, SIGPIPE));

	/* a SIGPIPE the caller itself had pending stays pending */
	{
		sigset_t pipe_set;
		struct timespec zero = { 0, 0 };

		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		sigprocmask(SIG_BLOCK, &pipe_set, NULL);
		raise(SIGPIPE);
		o = opts("exit 0", 5, 0, 0);
		CHECK_INT(tw_runcmd(&o, big, len, &r, &e), 0);
		sigpending(&pending);
		CHECK(sigismember(&pending, SIGPIPE));
		CHECK_INT(sigtimedwait(&pipe_set, NULL, &zero), SIGPIPE);
		sigprocmask(SIG_SETMASK, &before, NULL);
	}
	free(big);
}

static void test_missing_program(void)
{
	struct tw_runcmd_opts o = opts("no-such-program-twin-xyz -s", 5, 1, 0);
	struct tw_runcmd_result r;
	struct tw_err e;
	const char *want = "'no-such-program-twin-xyz -s' exited with status 127 "
			   "after 2 attempts: ";

	CHECK_INT(tw_runcmd(&o, "r\n", 2, &r, &e), -1);
	CHECK_INT(r.status, 127);
	CHECK_INT(r.attempts, 2);
	CHECK(strncmp(e.msg, want, strlen(want)) == 0);
	CHECK(strstr(e.msg, "no-such-program-twin-xyz") != NULL);
	CHECK(strstr(e.msg, "not found") != NULL);
	CHECK(strstr(r.err, "not found") != NULL);
}

/* The child's stdout is /dev/null, whatever the caller's stdout is. */
static void test_stdout_clean(void)
{
	struct tw_runcmd_opts o = opts("echo leaked; echo leaked too >&1; cat", 5, 0, 0);
	struct tw_runcmd_result r;
	struct tw_err e;
	int saved, fd;
	struct stat st;
	int rc;

	fflush(stdout);
	saved = dup(1);
	fd = open(path_of("stdout"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	close(fd);
	rc = tw_runcmd(&o, "record\n", 7, &r, &e);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	CHECK_INT(rc, 0);
	CHECK(stat(path_of("stdout"), &st) == 0 && st.st_size == 0);
}

/* The child gets stdin, stdout and stderr, and nothing else: not even a
 * descriptor the caller left inheritable. */
static void test_no_inherited_fds(void)
{
	struct tw_runcmd_opts o;
	struct tw_runcmd_result r;
	struct tw_err e;
	int fd = open(path_of("open-file"), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	CHECK(dup2(fd, 9) == 9);        /* no O_CLOEXEC */
	close(fd);
	/* a control: the shell can write to a descriptor that is open */
	o = opts("true >&2", 5, 0, 0);
	CHECK_INT(tw_runcmd(&o, "", 0, &r, &e), 0);
	o = opts("true >&9 && exit 1; exit 0", 5, 0, 0);
	CHECK_INT(tw_runcmd(&o, "", 0, &r, &e), 0);
	close(9);

	/* and no descriptor leaks in the caller either */
	{
		int before = dup(0), after, i;

		close(before);
		o = opts("cat >/dev/null", 5, 0, 0);
		for (i = 0; i < 50; i++)
			tw_runcmd(&o, "x\n", 2, &r, &e);
		o = opts("sleep 5", 0.05, 0, 0);
		tw_runcmd(&o, "x\n", 2, &r, &e);
		after = dup(0);
		close(after);
		CHECK_INT(after, before);
	}
}

/* The caller's stdin closed: pipes land on 0 and must not be clobbered
 * by the child's own dup2s. */
static void test_caller_stdin_closed(void)
{
	char cmd[512], *got;
	int saved = dup(0);
	struct tw_runcmd_opts o;
	struct tw_runcmd_result r;
	struct tw_err e;

	snprintf(cmd, sizeof cmd, "cat > %s; echo err >&2", path_of("in0"));
	o = opts(cmd, 5, 0, 0);
	close(0);
	CHECK_INT(tw_runcmd(&o, "abc", 3, &r, &e), 0);
	dup2(saved, 0);
	close(saved);
	got = slurp(path_of("in0"), NULL);
	CHECK_STR(got, "abc");
	CHECK_STR(r.err, "err\n");
	free(got);
}

static volatile sig_atomic_t stop_flag;

static void on_alarm(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void test_stop(void)
{
	struct tw_runcmd_opts o = opts("exit 1", 5, 5, 10);
	struct tw_runcmd_result r;
	struct tw_err e;
	struct sigaction sa;
	double t0;

	/* already set: the first attempt runs, no retry */
	stop_flag = 1;
	o.stop = &stop_flag;
	CHECK_INT(tw_runcmd(&o, "", 0, &r, &e), -1);
	CHECK_INT(r.attempts, 1);
	CHECK(r.interrupted);
	CHECK_STR(e.msg, "'exit 1' exited with status 1 after 1 attempt (interrupted)");

	/* set by a signal during a 10 s backoff: cut short */
	stop_flag = 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	ualarm(200000, 0);
	t0 = now();
	CHECK_INT(tw_runcmd(&o, "", 0, &r, &e), -1);
	CHECK(now() - t0 < 2);
	CHECK_INT(r.attempts, 1);
	CHECK(r.interrupted);
	signal(SIGALRM, SIG_DFL);

	/* unset: retries run */
	stop_flag = 0;
	o = opts("exit 1", 5, 2, 0.01);
	o.stop = &stop_flag;
	CHECK_INT(tw_runcmd(&o, "", 0, &r, &e), -1);
	CHECK_INT(r.attempts, 3);
	CHECK(!r.interrupted);
}

/* Pipes cannot be made: reported, not retried, nothing spawned. */
static void test_cannot_run(void)
{
	struct rlimit old, low;
	struct tw_runcmd_opts o = opts("true", 5, 3, 0);
	struct tw_runcmd_result r;
	struct tw_err e;
	int next = dup(0), rc;

	close(next);
	getrlimit(RLIMIT_NOFILE, &old);
	low = old;
	low.rlim_cur = (rlim_t)next + 1;        /* room for one pipe end */
	setrlimit(RLIMIT_NOFILE, &low);
	rc = tw_runcmd(&o, "", 0, &r, &e);
	setrlimit(RLIMIT_NOFILE, &old);
	CHECK_INT(rc, -1);
	CHECK_INT(r.attempts, 0);
	CHECK_INT(r.status, -1);
	CHECK_STR(e.msg, "cannot run 'true': Too many open files");
}

static void test_long_command_quoted(void)
{
	char cmd[300];
	struct tw_runcmd_opts o;
	struct tw_runcmd_result r;
	struct tw_err e;

	memset(cmd, 0, sizeof cmd);
	strcpy(cmd, "exit 7 #");
	memset(cmd + 8, 'y', 200);
	o = opts(cmd, 5, 0, 0);
	CHECK_INT(tw_runcmd(&o, "", 0, &r, &e), -1);
	CHECK(strncmp(e.msg, "'exit 7 #yyyy", 13) == 0);
	CHECK(strstr(e.msg, "y...' exited with status 7 after 1 attempt") != NULL);
	CHECK(strlen(e.msg) < 150);

	/* a NULL e is allowed */
	CHECK_INT(tw_runcmd(&o, "", 0, &r, NULL), -1);
}

int main(void)
{
	char cmd[400];

	signal(SIGPIPE, SIG_DFL);
	if (!mkdtemp(tmpdir)) {
		perror(tmpdir);
		return 1;
	}
	test_input_delivered();
	test_big_input_and_stderr();
	test_retries();
	test_timeout();
	test_no_sigpipe();
	test_missing_program();
	test_stdout_clean();
	test_no_inherited_fds();
	test_caller_stdin_closed();
	test_stop();
	test_cannot_run();
	test_long_command_quoted();

	/* every child reaped */
	errno = 0;
	CHECK_INT(waitpid(-1, NULL, WNOHANG), -1);
	CHECK_INT(errno, ECHILD);

	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
	return check_done("runcmd");
}
