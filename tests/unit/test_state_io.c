/* test_state_io.c - state files written atomically, read back with
 * positions in errors, and sharding by asset as Kafka partitions. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "check.h"
#include "shard.h"

static char tmpdir[] = "/tmp/twin-test-state-XXXXXX";

/* A path in the test directory.  Four buffers in turn, so a message can
 * name two paths; a test that holds one longer copies it. */
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
	char *buf = malloc(cap + 1);

	if (!f) {
		free(buf);
		return NULL;
	}
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

static void put(const char *name, const char *text)
{
	FILE *f = fopen(path_of(name), "wb");

	fputs(text, f);
	fclose(f);
}

/* Entries of the test directory whose name starts with prefix. */
static int count_prefixed(const char *prefix)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/* Temporary files ("NAME.json.XXXXXX") anywhere in the test directory. */
static int count_temps(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d))) {
		const char *dot = strstr(de->d_name, ".json.");
		n += dot && strlen(dot) == 12;
	}
	closedir(d);
	return n;
}

/* Removes the temporary files a kill left behind; returns how many. */
static int remove_prefixed(const char *prefix)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
			unlink(path_of(de->d_name));
			n++;
		}
	closedir(d);
	return n;
}

static void remove_all(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;

	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlink(path_of(de->d_name)) < 0 && errno == EISDIR)
			rmdir(path_of(de->d_name));
	}
	closedir(d);
	rmdir(tmpdir);
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_write_read(void)
{
	char p[320];
	struct tw_err e;
	struct stat st;
	char *got;
	size_t len;
	mode_t old;
	int cwd;

	snprintf(p, sizeof p, "%s", path_of("s.json"));
	old = umask(022);   /* whatever the caller's, for the modes below */
	CHECK_INT(tw_atomic_write(p, "hello\n", 6, &e), 0);
	got = slurp(p, &len);
	CHECK_STR(got, "hello\n");
	CHECK_INT(len, 6);
	free(got);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0644);

	/* Overwrite: the new content, and the mode follows the umask. */
	umask(027);
	CHECK_INT(tw_atomic_write(p, "bye", 3, &e), 0);
	umask(old);
	got = slurp(p, NULL);
	CHECK_STR(got, "bye");
	free(got);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0640);

	/* Empty content is a file of 0 bytes, not an error. */
	CHECK_INT(tw_atomic_write(p, "", 0, &e), 0);
	CHECK(stat(p, &st) == 0 && st.st_size == 0);
	CHECK_INT(count_prefixed("s.json."), 0);

	/* A name without a directory: the temporary file goes in ".". */
	cwd = open(".", O_RDONLY | O_DIRECTORY);
	CHECK(chdir(tmpdir) == 0);
	CHECK_INT(tw_atomic_write("rel.json", "{}\n", 3, &e), 0);
	got = slurp(path_of("rel.json"), NULL);
	CHECK_STR(got, "{}\n");
	free(got);
	CHECK(fchdir(cwd) == 0);
	close(cwd);
	CHECK_INT(count_prefixed("rel.json."), 0);
}

static void test_json_roundtrip(void)
{
	char p[320];
	json_t *doc = json_pack("{s:i,s:[b,n,s],s:f,s:{}}", "z", 1, "a", 1, "x",
				"b", 0.5, "m");
	json_t *back, *num = json_integer(3);
	struct tw_err e;
	char *got;

	snprintf(p, sizeof p, "%s", path_of("doc.json"));
	CHECK_INT(tw_atomic_write_json(p, doc, &e), 0);
	got = slurp(p, NULL);
	/* Compact, insertion order, one final newline. */
	CHECK_STR(got, "{\"z\":1,\"a\":[true,null,\"x\"],\"b\":0.5,\"m\":{}}\n");
	free(got);
	back = tw_json_load_file(p, false, &e);
	CHECK(back && json_equal(back, doc));
	json_decref(back);

	/* A scalar is refused before anything is written. */
	CHECK_INT(tw_atomic_write_json(p, num, &e), -1);
	CHECK(strstr(e.msg, "cannot serialise") != NULL);
	back = tw_json_load_file(p, false, &e);
	CHECK(back && json_equal(back, doc));
	json_decref(back);
	json_decref(num);
	json_decref(doc);
	CHECK_INT(count_prefixed("doc.json."), 0);
}

static void test_failures(void)
{
	char p[320];
	struct tw_err e;
	struct rlimit rl, small;
	char want[600], *got, *big;

	snprintf(p, sizeof p, "%s", path_of("keep.json"));
	CHECK_INT(tw_atomic_write(p, "{\"old\":1}\n", 10, &e), 0);

	/* The write step fails (EFBIG past RLIMIT_FSIZE stands in for a full
	 * disk): the old file is intact and the temporary file is gone. */
	big = malloc(1 << 16);
	memset(big, 'x', 1 << 16);
	getrlimit(RLIMIT_FSIZE, &rl);
	small = rl;
	small.rlim_cur = 4096;
	signal(SIGXFSZ, SIG_IGN);
	CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
	CHECK_INT(tw_atomic_write(p, big, 1 << 16, &e), -1);
	setrlimit(RLIMIT_FSIZE, &rl);
	signal(SIGXFSZ, SIG_DFL);
	snprintf(want, sizeof want, "%s: %s", p, strerror(EFBIG));
	CHECK_STR(e.msg, want);
	got = slurp(p, NULL);
	CHECK_STR(got, "{\"old\":1}\n");
	free(got);
	free(big);
	CHECK_INT(count_prefixed("keep.json."), 0);

	/* The rename step fails (the target is a non-empty directory): the
	 * temporary file, written and synced by then, is removed. */
	CHECK(mkdir(path_of("d.json"), 0755) == 0);
	put("d.json/inside", "x");
	CHECK_INT(tw_atomic_write(path_of("d.json"), "{}\n", 3, &e), -1);
	CHECK(strstr(e.msg, "cannot rename") != NULL);
	CHECK(strstr(e.msg, strerror(EISDIR)) != NULL ||
	      strstr(e.msg, strerror(ENOTEMPTY)) != NULL);
	CHECK_INT(count_prefixed("d.json."), 0);
	unlink(path_of("d.json/inside"));
	rmdir(path_of("d.json"));

	/* No directory to create the temporary file in. */
	snprintf(want, sizeof want,
		 "%s: cannot create a temporary file in '%s': %s",
		 path_of("nodir/s.json"), path_of("nodir"), strerror(ENOENT));
	CHECK_INT(tw_atomic_write(path_of("nodir/s.json"), "{}", 2, &e), -1);
	CHECK_STR(e.msg, want);

	/* A read-only directory refuses the temporary file, but not to root,
	 * who writes anywhere: the EFBIG case above covers the old file
	 * staying intact whoever runs the tests. */
	if (geteuid() != 0) {
		CHECK(mkdir(path_of("ro"), 0755) == 0);
		put("ro/s.json", "old\n");
		CHECK(chmod(path_of("ro"), 0555) == 0);
		snprintf(want, sizeof want,
			 "%s: cannot create a temporary file in '%s': %s",
			 path_of("ro/s.json"), path_of("ro"), strerror(EACCES));
		CHECK_INT(tw_atomic_write(path_of("ro/s.json"), "new\n", 4, &e), -1);
		CHECK_STR(e.msg, want);
		got = slurp(path_of("ro/s.json"), NULL);
		CHECK_STR(got, "old\n");
		free(got);
		chmod(path_of("ro"), 0755);
		unlink(path_of("ro/s.json"));
		rmdir(path_of("ro"));
	}
}

static void test_big(void)
{
	char p[320];
	json_t *doc = json_array(), *back;
	struct tw_err e;
	struct stat st;
	char s[1001];
	int i;

	snprintf(p, sizeof p, "%s", path_of("big.json"));
	/* 10,000 strings of 1,000 bytes: a file of about 10 MB. */
	for (i = 0; i < 10000; i++) {
		memset(s, 'a' + i % 26, 1000);
		snprintf(s, 12, "%010d", i);
		s[10] = '-';
		s[1000] = '\0';
		json_array_append_new(doc, json_string(s));
	}
	CHECK_INT(tw_atomic_write_json(p, doc, &e), 0);
	CHECK(stat(p, &st) == 0 && st.st_size > 10000000);
	back = tw_json_load_file(p, false, &e);
	CHECK(back && json_equal(back, doc));
	json_decref(back);
	json_decref(doc);
	CHECK_INT(count_prefixed("big.json."), 0);
	unlink(p);
}

static void test_load_errors(void)
{
	static const struct {
		const char *text, *want;   /* want follows "PATH" */
	} cases[] = {
		{ "{\n  \"a\": [1,2,\n  x]}\n", ":3:3: invalid token near 'x'" },
		{ "{\"a\":1,\"a\":2}", ":1:10: duplicate object key near '\"a\"'" },
		{ "{\"a\":1", ":1:6: '}' expected near end of file" },
		{ "", ":1:1: '[' or '{' expected near end of file" },
		{ "{\"a\":1} x", ":1:9: end of file expected near 'x'" },
		{ "3\n", ":1:1: '[' or '{' expected near '3'" },
	};
	struct tw_err e;
	char want[600];
	json_t *doc;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		put("bad.json", cases[i].text);
		doc = tw_json_load_file(path_of("bad.json"), true, &e);
		CHECK(doc == NULL);
		snprintf(want, sizeof want, "%s%s", path_of("bad.json"), cases[i].want);
		CHECK_STR(e.msg, want);
	}

	/* Missing: an error, or with missing_ok NULL and an empty message. */
	doc = tw_json_load_file(path_of("none.json"), false, &e);
	snprintf(want, sizeof want, "%s: %s", path_of("none.json"), strerror(ENOENT));
	CHECK(doc == NULL);
	CHECK_STR(e.msg, want);
	strcpy(e.msg, "stale");
	doc = tw_json_load_file(path_of("none.json"), true, &e);
	CHECK(doc == NULL);
	CHECK_STR(e.msg, "");

	/* A directory is unreadable, not absent, even with missing_ok. */
	doc = tw_json_load_file(tmpdir, true, &e);
	snprintf(want, sizeof want, "%s: %s", tmpdir, strerror(EISDIR));
	CHECK(doc == NULL);
	CHECK_STR(e.msg, want);

	put("ok.json", "[1,{\"k\":\"v\"}]\r\n");
	doc = tw_json_load_file(path_of("ok.json"), true, &e);
	CHECK(doc && json_is_array(doc) && json_array_size(doc) == 2);
	json_decref(doc);
}

/* A child rewrites one file with A and B in turn and is killed at random
 * moments: the file must always be A or B exactly, never torn. */
static void test_crash(void)
{
	char p[320];
	json_t *da = json_object(), *db = json_array();
	char *ta, *tb, *got, key[32];
	uint64_t seed = 0x9e3779b97f4a7c15u;
	int round, seen_a = 0, seen_b = 0, torn = 0, left = 0;
	struct tw_err e;
	size_t len;

	snprintf(p, sizeof p, "%s", path_of("crash.json"));
	/* Sizes unlike each other, big enough that a kill often lands
	 * inside the write. */
	for (round = 0; round < 4000; round++) {
		snprintf(key, sizeof key, "sensor-%d", round);
		json_object_set_new(da, key, json_real(round * 0.25));
	}
	for (round = 0; round < 2500; round++)
		json_array_append_new(db, json_string("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"));
	ta = json_dumps(da, JSON_COMPACT);
	tb = json_dumps(db, JSON_COMPACT);
	CHECK_INT(tw_atomic_write_json(p, da, &e), 0);
	fflush(NULL);   /* a child must not inherit buffered output */

	for (round = 0; round < 200; round++) {
		pid_t pid = fork();
		struct timespec ts;
		int status;

		if (pid == 0) {
			unsigned long i;

			alarm(10);   /* never outlive a parent that died */
			for (i = 0;; i++)
				tw_atomic_write_json(p, i % 2 ? da : db, &e);
		}
		CHECK(pid > 0);
		if (pid < 0)
			break;
		/* < 8 ms; on a loaded machine a write may take longer than
		 * that, so the last rounds wait up to 0.5 s until the child
		 * has been seen to finish writes of both kinds. */
		long max_us = round < 180 || (seen_a && seen_b) ? 8000 : 500000;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(xorshift(&seed) % (unsigned long)max_us) * 1000;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);

		got = slurp(p, &len);
		if (got && len > 0 && got[len - 1] == '\n') {
			got[len - 1] = '\0';
			if (strcmp(got, ta) == 0)
				seen_a++;
			else if (strcmp(got, tb) == 0)
				seen_b++;
			else
				torn++;
		} else
			torn++;
		free(got);
		left += remove_prefixed("crash.json.");
	}
	CHECK_INT(torn, 0);
	CHECK_INT(seen_a + seen_b, 200);
	/* Both seen: the child did rewrite the file between kills. */
	CHECK(seen_a > 0 && seen_b > 0);
	printf("crash: 200 kills: %d A, %d B, %d torn; %d temporary files "
	       "left by kills\n", seen_a, seen_b, torn, left);
	free(ta);
	free(tb);
	json_decref(da);
	json_decref(db);
	unlink(p);
}

static void test_murmur2(void)
{
	/* Apache Kafka's UtilsTest.testMurmur2, as in
	 * aiven/kafka clients/src/test/java/org/apache/kafka/common/utils/
	 * UtilsTest.java (commit 0c8ca3c54b2fc31b14b5aeb78a93a037c9116ecb),
	 * an apache/kafka fork; the same six cases are cited from
	 * apache/kafka@8ab09949 by kafka_ex.  Then Akka's Murmur2Spec cases,
	 * which it took from Kafka's implementation, and the empty key; all
	 * rechecked here with a Python transcription of Utils.murmur2. */
	static const struct {
		const char *key;
		int32_t want;
	} cases[] = {
		{ "21", -973932308 },
		{ "foobar", -790332482 },
		{ "a-little-bit-long-string", -985981536 },
		{ "a-little-bit-longer-string", -1486304829 },
		{ "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971 },
		{ "abc", 479470107 },
		{ "1", -1993445489 },
		{ "12", 126087238 },
		{ "123", -267702483 },
		{ "1234", -1614185708 },
		{ "12345", -1188365604 },
		{ "", 275646681 },
	};
	/* Bytes >= 0x80 are taken unsigned (Java's & 0xff). */
	static const unsigned char high[] = { 0xff, 0xfe, 0x80 };
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_INT(tw_murmur2(cases[i].key, strlen(cases[i].key)),
			  (uint32_t)cases[i].want);
	CHECK_INT(tw_murmur2(high, sizeof high), (uint32_t)-160726397);
	CHECK_INT(tw_murmur2("p\xc3\xbcmp-7", 7), 1476619135);
}

static void test_partition(void)
{
	int counts[4] = { 0 }, n, i, bad = 0;
	char name[32];

	/* toPositive then modulo: "foobar" is negative as a Java int. */
	CHECK_INT(tw_shard_partition("foobar", 6, 12), 6);
	CHECK_INT(tw_shard_partition("21", 2, 12), 0);
	CHECK_INT(tw_shard_partition("a-little-bit-longer-string", 26, 12), 11);
	CHECK_INT(tw_shard_partition("abc", 3, 4), 3);
	CHECK_INT(tw_shard_partition("abc", 3, 1), 0);
	CHECK_INT(tw_shard_partition("abc", 3, 0), 0);

	for (i = 0; i < 10000; i++) {
		snprintf(name, sizeof name, "pump-%d", i);
		counts[tw_shard_partition(name, strlen(name), 4)]++;
	}
	for (i = 0; i < 4; i++)
		CHECK(counts[i] >= 2000 && counts[i] <= 3000);
	for (n = 1; n <= 13; n++)
		for (i = 0; i < 1000; i++) {
			int k;

			snprintf(name, sizeof name, "asset/%d", i);
			k = tw_shard_partition(name, strlen(name), n);
			bad += k < 0 || k >= n;
		}
	CHECK_INT(bad, 0);
}

static void test_shard_parse(void)
{
	static const struct {
		const char *spec;
		int k, n;
	} good[] = {
		{ "0/1", 0, 1 }, { "1/2", 1, 2 }, { "3/4", 3, 4 }, { "0/12", 0, 12 },
		{ "007/10", 7, 10 }, { "0/2147483647", 0, 2147483647 },
		{ "2147483646/2147483647", 2147483646, 2147483647 },
	};
	static const char *const bad[] = {
		"1/0", "2/2", "-1/3", "a/b", "1/2x", " 1/2", "", "/", "1/", "/2", "1",
		"1/2/3", "+1/2", "1 /2", "1/ 2", "1/2 ", "1/-2", "0x1/2", "1.0/2",
		"1/2\n", "0/0", "5/3",
	};
	static const char *const huge[] = {
		"2147483648/2147483649", "1/2147483648", "1/99999999999999999999",
	};
	struct tw_err e;
	size_t i;
	int k, n;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		k = n = -9;
		CHECK_INT(tw_shard_parse(good[i].spec, &k, &n, &e), 0);
		CHECK_INT(k, good[i].k);
		CHECK_INT(n, good[i].n);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		k = n = -9;
		if (!check_one(tw_shard_parse(bad[i], &k, &n, &e) == -1, __FILE__,
			       __LINE__, "rejected"))
			fprintf(stderr, "    accepted \"%s\"\n", bad[i]);
		CHECK(k == -9 && n == -9);
		CHECK(strstr(e.msg, "must be K/N with 0 <= K < N") != NULL);
	}
	for (i = 0; i < sizeof huge / sizeof huge[0]; i++) {
		CHECK_INT(tw_shard_parse(huge[i], &k, &n, &e), -1);
		CHECK(strstr(e.msg, "must be at most 2147483647") != NULL);
	}
	tw_shard_parse("2/2", &k, &n, &e);
	CHECK_STR(e.msg, "--shard: '2/2' must be K/N with 0 <= K < N");
	tw_shard_parse("1/2\n", &k, &n, &e);
	CHECK_STR(e.msg, "--shard: '1/2?' must be K/N with 0 <= K < N");
	tw_shard_parse("1/99999999999", &k, &n, &e);
	CHECK_STR(e.msg, "--shard: '1/99999999999': numbers must be at most 2147483647");
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	test_write_read();
	test_json_roundtrip();
	test_failures();
	test_big();
	test_load_errors();
	test_crash();
	test_murmur2();
	test_partition();
	test_shard_parse();
	CHECK_INT(count_temps(), 0);
	remove_all();
	return check_done("test_state_io");
}
