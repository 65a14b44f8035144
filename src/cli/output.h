/*
 * output.h - render reports as text, JSON Lines or CSV into a buffer.
 * Rendering into a buffer (not straight to stdout) lets worker threads
 * format in parallel while the main thread writes in input order.
 * The JSON and CSV columns are a stable interface: docs/FORMATS.md.
 */
#ifndef MM_CLI_OUTPUT_H
#define MM_CLI_OUTPUT_H

#include <mailmedic/mailmedic.h>
#include <stdbool.h>
#include "../lib/util/buf.h"

typedef enum out_format { OUT_TEXT, OUT_JSON, OUT_CSV } out_format;

typedef struct out_opts {
    out_format format;
    bool color;     /* ANSI colours (text, on a terminal) */
    bool all;       /* JSON only: also a line for non-bounces and unreadable inputs */
} out_opts;

/* An input's name, and its JSON string (quotes and escapes) when made once
 * for all its lines by out_source_dup(): every line of an mbox repeats it. */
typedef struct out_source {
    const char *name;
    const char *json; /* NULL: escaped for each line */
    size_t json_len;
} out_source;

/* A copy of name with its JSON string after it, in one block to free();
 * NULL without memory.  src is set to point into the block. */
char *out_source_dup(const char *name, out_source *src);
/* The most bytes out_source_put() writes for a name of n bytes. */
size_t out_source_room(size_t n);
/* name[0..n) (no NUL in it), a NUL and its JSON string into blk, which has
 * out_source_room(n) bytes; src points into blk.  Returns the bytes that
 * stay used (the rest of the room may have been written). */
size_t out_source_put(char *blk, const char *name, size_t n, out_source *src);

void out_header(const out_opts *o, bool bom, mm_buf *b);
void out_report(const out_opts *o, const out_source *src, size_t index, const mm_report *r,
                mm_buf *b);
/* A line for an input that could not be read or parsed: JSON with --all only;
 * the other formats print nothing (the caller warns on stderr). */
void out_error(const out_opts *o, const char *source, size_t index, const char *msg, mm_buf *b);

/* Short translated labels of a reason and a category (the text formats of
 * diagnose and log). */
const char *out_reason_label(mm_reason_t r);
const char *out_category_label(mm_category_t c);

#endif
