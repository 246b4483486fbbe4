/* fuzz_expr.c - the expression engine: compile the text (variables
 * created on sight), evaluate it with the variables at NaN and then at
 * 1, and read back what the expression reports of itself. */
#include "expr.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tw_err e;
	char *text = fuzz_str(data, size);
	struct tw_expr_scope *s = tw_expr_scope_new();

	*tw_expr_scope_var(s, "temp_c") = 61.5;
	*tw_expr_scope_var(s, "score.temp_c") = 0.5;
	tw_expr_name_ok(text);
	struct tw_expr *x = tw_expr_compile(s, text, true, &e);
	if (x) {
		tw_expr_eval(x);
		for (int i = 0; i < tw_expr_scope_count(s); i++)
			*tw_expr_scope_slot(s, i) = 1;
		tw_expr_eval(x);
		for (int i = 0; i < tw_expr_nvars(x); i++)
			if (!tw_expr_scope_find(s, tw_expr_var(x, i)))
				abort();
		if (strcmp(tw_expr_text(x), text) != 0)
			abort();
		tw_expr_free(x);
	}
	/* The same text against a scope that may not grow. */
	x = tw_expr_compile(s, text, false, &e);
	if (x)
		tw_expr_free(x);
	tw_expr_scope_free(s);
	free(text);
	return 0;
}
