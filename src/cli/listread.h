/*
 * listread.h - read a list of addresses: one per line, or one column of a
 * CSV file chosen by its header name.
 *
 * Records come one at a time from a buffered reader (memory does not grow
 * with the list).  A record longer than the limit is not kept: it comes back
 * flagged too_long, and the reader goes on with the next line, so one
 * hostile line never stops a batch.  CSV follows RFC 4180 (quoted fields,
 * doubled quotes, line breaks inside quotes); the delimiter is guessed from
 * the header (comma, semicolon as Excel writes in much of Europe, or tab).
 */
#ifndef MM_CLI_LISTREAD_H
#define MM_CLI_LISTREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define LR_PLAIN_MAX (64u << 10)  /* bytes of one plain line kept */
#define LR_CSV_MAX (1u << 20)     /* bytes of one CSV record kept */

typedef struct lr lr;

typedef struct lr_rec {
    size_t line;         /* line number where the record starts (1-based) */
    const char *addr;    /* the address field (NUL-terminated), "" when absent */
    size_t addr_len;
    bool too_long;       /* the record was longer than the limit; addr is "" */
    bool missing;        /* CSV: the record has fewer fields than the column's index */
    size_t nfields;      /* CSV: fields of the record (all of them, for passing through) */
    const char *const *fields;
} lr_rec;

/* Open a reader over fp (not closed by lr_free).  column NULL = one address
 * per line; else the CSV column of that name (case-insensitive).  On
 * failure (no such column, unreadable header) returns NULL with a message
 * for people in err. */
lr *lr_open(FILE *fp, const char *column, char *err, size_t errsz);
/* 1 = a record, 0 = end of input, -1 = read error (errno set). Blank lines
 * of a plain list are skipped.  The record lives until the next call. */
int lr_next(lr *r, lr_rec *rec);
/* CSV only: the header fields (NULL, 0 for a plain list). */
const char *const *lr_header(const lr *r, size_t *n);
/* Bytes consumed so far (for a progress bar). */
unsigned long long lr_offset(const lr *r);
void lr_free(lr *r);

#endif
