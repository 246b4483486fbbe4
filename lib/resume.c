/* resume.c - see resume.h */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "atomic.h"
#include "resume.h"

#define VERSION 1

int tw_resume_load(struct tw_resume *r, const char *tool, const char *path, json_t **engine,
		   struct tw_err *e)
{
	json_int_t lines, crc, out_size = -1, out_dev = -1, out_ino = -1, version;
	json_t *doc, *eng;
	json_error_t je;
	const char *owner = NULL;

	memset(r, 0, sizeof *r);
	r->path = path;
	r->tool = tool;
	*engine = NULL;
	doc = tw_json_load_file(path, true, e);
	if (!doc)
		return e->msg[0] ? -1 : 0;
	if (json_unpack_ex(doc, &je, 0, "{s:I, s?s, s:I, s:I, s?I, s?I, s?I, s:o}", "version", &version,
			   "tool", &owner, "lines", &lines, "crc32", &crc, "output_size", &out_size,
			   "output_dev", &out_dev, "output_ino", &out_ino, "engine", &eng) < 0) {
		json_decref(doc);
		return tw_err_set(e, "%s: not a checkpoint: %s", path, je.text);
	}
	if (owner && strcmp(owner, tool) != 0) {
		tw_err_set(e, "%s: a checkpoint of %.60s, not of %s", path, owner, tool);
		json_decref(doc);
		return -1;
	}
	if (version != VERSION || lines < 0 || crc < 0 || crc > UINT32_MAX) {
		json_decref(doc);
		return tw_err_set(e, "%s: not a checkpoint of this version", path);
	}
	r->skip = lines;
	r->want_crc = (uint32_t)crc;
	r->has_out_size = out_size >= 0;
	r->out_size = out_size;
	r->out_dev = out_dev;
	r->out_ino = out_ino;
	*engine = json_incref(eng);
	json_decref(doc);
	return 0;
}

int tw_resume_cut_output(const struct tw_resume *r, int fd, struct tw_err *e)
{
	struct stat st;

	if (!r->has_out_size || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= r->out_size ||
	    (long long)st.st_dev != r->out_dev || (long long)st.st_ino != r->out_ino)
		return 0;
	if (ftruncate(fd, r->out_size) < 0)
		return tw_err_set(e, "cannot cut standard output back to the checkpoint's %lld bytes: %s",
				  r->out_size, strerror(errno));
	return 0;
}

int tw_resume_line(struct tw_resume *r, const char *line, size_t len, struct tw_err *e)
{
	r->crc = (uint32_t)crc32(r->crc, (const Bytef *)line, (uInt)len);
	r->crc = (uint32_t)crc32(r->crc, (const Bytef *)"\n", 1);
	r->lines++;
	if (r->lines > r->skip)
		return 0;
	if (r->lines == r->skip && r->crc != r->want_crc)
		return tw_err_set(e, "the input does not continue the run saved in %s: its first %lld lines differ"
				  " (remove %s to start afresh)", r->path, r->skip, r->path);
	return 1;
}

int tw_resume_end(const struct tw_resume *r, struct tw_err *e)
{
	if (r->lines < r->skip)
		return tw_err_set(e, "the input has %lld lines, fewer than the %lld the run saved in %s read"
				  " (remove %s to start afresh)", r->lines, r->skip, r->path, r->path);
	return 0;
}

int tw_resume_save(struct tw_resume *r, json_t *engine, int out_fd, struct tw_err *e)
{
	struct stat st;
	json_int_t out_size = -1;

	if (fstat(out_fd, &st) == 0 && S_ISREG(st.st_mode)) {
		/* What the checkpoint vouches for must be on disk before it. */
		if (fdatasync(out_fd) < 0) {
			json_decref(engine);
			return tw_err_set(e, "standard output: %s", strerror(errno));
		}
		out_size = st.st_size;
	}
	json_t *doc = json_pack("{s:i, s:s, s:I, s:I, s:o}", "version", VERSION, "tool", r->tool,
				"lines", (json_int_t)r->lines, "crc32", (json_int_t)r->crc, "engine", engine);
	if (out_size >= 0) {
		json_object_set_new(doc, "output_size", json_integer(out_size));
		json_object_set_new(doc, "output_dev", json_integer((json_int_t)st.st_dev));
		json_object_set_new(doc, "output_ino", json_integer((json_int_t)st.st_ino));
	}
	int rc = tw_atomic_write_json(r->path, doc, e);
	json_decref(doc);
	return rc;
}
