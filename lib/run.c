/* run.c - see run.h */
#include "in.h"
#include "run.h"

static int run_file(struct tw_run *r, struct tw_in *in, struct tw_err *e)
{
	char *line;
	size_t len;

	tw_in_on_idle(in, tw_out_flush_hook, r->out);
	if (r->signal)
		tw_in_stop_on(in, r->signal);
	for (;;) {
		enum tw_in_status s = tw_in_getline(in, &line, &len, e);
		if (s == TW_IN_EOF)
			return 0;
		if (s == TW_IN_STOPPED || (r->signal && *r->signal)) {
			r->signalled = true;
			return 0;
		}
		if (s == TW_IN_ERROR)
			return -1;
		const char *file = tw_in_name(in);
		long long lineno = tw_in_lineno(in);
		if (r->resume) {
			struct tw_err why;
			int skip = tw_resume_line(r->resume, line, len, &why);
			if (skip < 0)
				return tw_err_set(e, "%s:%lld: %s", file, lineno, why.msg);
			if (skip) {
				r->resumed++;
				continue;
			}
		}
		int rc;
		if (s == TW_IN_TOOLONG && r->diag)
			rc = tw_diag_reject(r->diag, file, lineno, line, len, "", "line longer than %zu bytes",
					    (size_t)TW_IN_MAX_LINE);
		else
			rc = r->line(r->ctx, file, lineno, line, len, tw_in_eol(in), s == TW_IN_TOOLONG, e);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			r->stopped = true;
			return 0;
		}
		if (r->after && r->after(r->ctx, e) < 0)
			return -1;
		if (r->signal && *r->signal) {
			r->signalled = true;
			return 0;
		}
	}
}

int tw_run_files(struct tw_run *r, char *const *files, struct tw_err *e)
{
	for (; *files && !r->stopped && !r->signalled; files++) {
		struct tw_in *in = tw_in_open(*files, e);
		if (!in)
			return -1;
		int rc = run_file(r, in, e);
		tw_in_close(in);
		if (rc < 0)
			return -1;
	}
	return 0;
}
