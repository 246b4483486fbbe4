/* test_io.c - the line reader, the output writer, reject reporting and
 * the small containers. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "diag.h"
#include "in.h"
#include "out.h"
#include "strmap.h"

static char tmpdir[] = "/tmp/twin-test-io-XXXXXX";

static const char *path_of(const char *name)
{
	static char p[256];
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	return p;
}

static void write_file(const char *name, const void *data, size_t n)
{
	FILE *f = fopen(path_of(name), "wb");
	fwrite(data, 1, n, f);
	fclose(f);
}

static void write_gz(const char *name, const char *text, const char *mode)
{
	gzFile z = gzopen(path_of(name), mode);
	gzwrite(z, text, (unsigned)strlen(text));
	gzclose(z);
}

/* Reads every line of a file into one string, lines joined by '|'. */
static char *read_all(const char *name, enum tw_in_status *last, char *eols)
{
	static char joined[1 << 16];
	struct tw_err e;
	struct tw_in *in = tw_in_open(path_of(name), &e);
	char *line;
	size_t len;
	enum tw_in_status s;

	joined[0] = '\0';
	if (eols)
		eols[0] = '\0';
	if (!in)
		return NULL;
	while ((s = tw_in_getline(in, &line, &len, &e)) == TW_IN_LINE) {
		if (joined[0] || tw_in_lineno(in) > 1)
			strcat(joined, "|");
		strncat(joined, line, len);
		if (eols)
			strcat(eols, strcmp(tw_in_eol(in), "\r\n") == 0 ? "R" : *tw_in_eol(in) ? "N" : "-");
	}
	*last = s;
	tw_in_close(in);
	return joined;
}

static void test_reader(void)
{
	enum tw_in_status s;
	char eols[64];
	struct tw_err e;

	write_file("plain", "a\nbb\r\n\nccc", 10);
	CHECK_STR(read_all("plain", &s, eols), "a|bb||ccc");
	CHECK_INT(s, TW_IN_EOF);
	CHECK_STR(eols, "NRN-");

	write_file("empty", "", 0);
	CHECK_STR(read_all("empty", &s, NULL), "");
	CHECK_INT(s, TW_IN_EOF);

	write_gz("one.gz", "x,1\ny,2\n", "wb");
	CHECK_STR(read_all("one.gz", &s, NULL), "x,1|y,2");
	CHECK_INT(s, TW_IN_EOF);

	/* Two gzip members, as `cat a.gz b.gz` makes. */
	write_gz("m1", "first\n", "wb");
	write_gz("m2", "second\n", "wb");
	char cmd[600];
	snprintf(cmd, sizeof cmd, "cat %s/m1 %s/m2 > %s/two.gz", tmpdir, tmpdir, tmpdir);
	CHECK(system(cmd) == 0);
	CHECK_STR(read_all("two.gz", &s, NULL), "first|second");

	/* A truncated gzip stream is an error, not a short file. */
	static char big[200000];
	unsigned long long x = 88172645463325252ull;
	for (size_t i = 0; i < sizeof big - 1; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		big[i] = (i % 61 == 60) ? '\n' : (char)('a' + x % 26);
	}
	write_gz("big.gz", big, "wb1");
	snprintf(cmd, sizeof cmd, "head -c 5000 %s/big.gz > %s/cut.gz", tmpdir, tmpdir);
	CHECK(system(cmd) == 0);
	struct tw_in *in = tw_in_open(path_of("cut.gz"), &e);
	char *line;
	size_t len;
	int n = 0;
	while ((s = tw_in_getline(in, &line, &len, &e)) == TW_IN_LINE)
		n++;
	CHECK_INT(s, TW_IN_ERROR);
	CHECK(strstr(e.msg, "truncated gzip data") != NULL);
	CHECK(n > 0);
	tw_in_close(in);

	/* Lines far longer than the buffer, across many reads. */
	size_t long_n = 3u << 20;
	char *longline = malloc(long_n + 3);
	memset(longline, 'q', long_n);
	memcpy(longline + long_n, "\nz", 2);
	write_file("long", longline, long_n + 2);
	in = tw_in_open(path_of("long"), &e);
	CHECK_INT(tw_in_getline(in, &line, &len, &e), TW_IN_LINE);
	CHECK_INT(len, long_n);
	CHECK(line[0] == 'q' && line[len - 1] == 'q' && line[len] == '\0');
	CHECK_INT(tw_in_getline(in, &line, &len, &e), TW_IN_LINE);
	CHECK_STR(line, "z");
	CHECK_INT(tw_in_lineno(in), 2);
	CHECK_INT(tw_in_done(in), (long long)long_n + 2);
	CHECK_INT(tw_in_size(in), (long long)long_n + 2);
	CHECK_INT(tw_in_getline(in, &line, &len, &e), TW_IN_EOF);
	tw_in_close(in);
	free(longline);

	CHECK(tw_in_open(path_of("nonexistent"), &e) == NULL);
	CHECK(strstr(e.msg, "No such file or directory") != NULL);
	CHECK(tw_in_open(tmpdir, &e) == NULL);
	CHECK(strstr(e.msg, "is a directory") != NULL);
}

static int idle_calls;
static void on_idle(void *arg)
{
	(void)arg;
	idle_calls++;
}

/* The idle hook runs before a read that would block on a pipe. */
static void test_idle_hook(void)
{
	int fds[2];
	CHECK(pipe(fds) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (write(fds[1], "one\n", 4) != 4)
			_exit(1);
		usleep(200000);
		if (write(fds[1], "two\n", 4) != 4)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	int saved = dup(STDIN_FILENO);
	dup2(fds[0], STDIN_FILENO);
	close(fds[0]);
	struct tw_err e;
	struct tw_in *in = tw_in_open("-", &e);
	char *line;
	size_t len;
	tw_in_on_idle(in, on_idle, NULL);
	CHECK_INT(tw_in_getline(in, &line, &len, &e), TW_IN_LINE);
	CHECK_STR(line, "one");
	int before = idle_calls;
	CHECK_INT(tw_in_getline(in, &line, &len, &e), TW_IN_LINE);
	CHECK_STR(line, "two");
	CHECK(idle_calls > before);
	CHECK_STR(tw_in_name(in), "(stdin)");
	CHECK_INT(tw_in_size(in), -1);
	tw_in_close(in);
	dup2(saved, STDIN_FILENO);
	close(saved);
	waitpid(pid, NULL, 0);
}

static void test_writer(void)
{
	struct tw_out o;
	struct tw_err e;
	int epipe;

	int fd = open(path_of("out"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	tw_out_init(&o, fd, "out");
	tw_out_write(&o, "hello ", 6);
	CHECK_INT(lseek(fd, 0, SEEK_END), 0);    /* buffered */
	tw_out_write(&o, "world\n", 6);
	CHECK_INT(tw_out_flush(&o), 0);
	CHECK_INT(lseek(fd, 0, SEEK_END), 12);
	for (int i = 0; i < 100000; i++)
		tw_out_write(&o, "0123456789", 10);
	CHECK(lseek(fd, 0, SEEK_END) > 12);      /* flushed when full */
	CHECK_INT(tw_out_close(&o, &epipe, &e), 0);
	CHECK_INT(lseek(fd, 0, SEEK_END), 1000012);
	close(fd);

	fd = open("/dev/full", O_WRONLY);
	if (fd >= 0) {
		tw_out_init(&o, fd, "standard output");
		tw_out_write(&o, "x\n", 2);
		CHECK_INT(tw_out_close(&o, &epipe, &e), -1);
		CHECK_INT(epipe, 0);
		CHECK_STR(e.msg, "standard output: No space left on device");
		close(fd);
	}

	int fds[2];
	CHECK(pipe(fds) == 0);
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	tw_out_init(&o, fds[1], "pipe");
	tw_out_write(&o, "x\n", 2);
	CHECK_INT(tw_out_close(&o, &epipe, &e), -1);
	CHECK_INT(epipe, 1);
	signal(SIGPIPE, SIG_DFL);
	close(fds[1]);
}

static void test_diag(void)
{
	struct tw_diag d;
	struct tw_err e;

	tw_diag_init(&d, "twin-test");
	CHECK_INT(tw_diag_open_rejects(&d, "-", &e), -1);
	CHECK_INT(tw_diag_open_rejects(&d, path_of("rej"), &e), 0);
	int saved = dup(STDERR_FILENO);
	int errfd = open(path_of("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(errfd, STDERR_FILENO);
	CHECK(!tw_diag_reject(&d, "f.csv", 7, "a,b", 3, "\r\n", "bad %s", "thing"));
	d.strict = true;
	CHECK(tw_diag_reject(&d, "f.csv", 9, "c", 1, "", "worse"));
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(errfd);
	CHECK_INT(d.rejected, 2);
	CHECK_INT(tw_diag_close(&d, &e), 0);

	char buf[256] = "";
	FILE *f = fopen(path_of("rej"), "rb");
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	CHECK_STR(buf, "a,b\r\nc\n");
	f = fopen(path_of("stderr"), "rb");
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	CHECK_STR(buf, "twin-test: f.csv:7: bad thing\ntwin-test: f.csv:9: worse\n");
}

static void test_strmap(void)
{
	struct tw_strmap m = TW_STRMAP_INIT;
	static int vals[1000];
	char key[32];

	CHECK(tw_strmap_get(&m, "x", 1) == NULL);
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "sensor-%d", i);
		tw_strmap_put(&m, key, strlen(key), &vals[i]);
	}
	int found = 0;
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "sensor-%d", i);
		found += tw_strmap_get(&m, key, strlen(key)) == &vals[i];
	}
	CHECK_INT(found, 1000);
	CHECK_INT(m.used, 1000);
	tw_strmap_put(&m, "sensor-5", 8, &vals[0]);
	CHECK(tw_strmap_get(&m, "sensor-5", 8) == &vals[0]);
	CHECK_INT(m.used, 1000);
	CHECK(tw_strmap_get(&m, "sensor-5x", 8) == &vals[0]);   /* length counts, not NUL */
	CHECK(tw_strmap_get(&m, "sensor-", 7) == NULL);
	/* Deleting every other key keeps the rest findable. */
	int deleted = 0;
	for (int i = 0; i < 1000; i += 2) {
		snprintf(key, sizeof key, "sensor-%d", i);
		deleted += tw_strmap_del(&m, key, strlen(key)) != NULL;
	}
	CHECK_INT(deleted, 500);
	CHECK_INT(m.used, 500);
	found = 0;
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof key, "sensor-%d", i);
		found += (tw_strmap_get(&m, key, strlen(key)) != NULL) == (i % 2 == 1);
	}
	CHECK_INT(found, 1000);
	CHECK(tw_strmap_del(&m, "nope", 4) == NULL);
	tw_strmap_release(&m, NULL);
	CHECK(tw_strmap_get(&m, "sensor-5", 8) == NULL);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_reader();
	test_idle_hook();
	test_writer();
	test_diag();
	test_strmap();
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return check_done("io");
}
