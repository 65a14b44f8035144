/*
 * dmarc_int.h - what the files of src/lib/dmarc/ share: the record as
 * allocated (public part first, then the arrays it points into), the lint
 * table, and the checker.
 */
#ifndef MM_DMARC_INT_H
#define MM_DMARC_INT_H

#include <libpsl.h>
#include <mailmedic/dmarc.h>

#include "util/arena.h"

typedef struct mm_dmarc_rec_impl {
    mm_dmarc_record pub; /* first: the public pointer is the allocation */
    mm_arena arena;      /* every string of the record */
    mm_dmarc_uri rua[MM_DMARC_MAX_URIS];
    mm_dmarc_uri ruf[MM_DMARC_MAX_URIS];
    mm_dmarc_lint lints[MM_DMARC_MAX_LINTS];
} mm_dmarc_rec_impl;

/* One row of the lint table (lint.c). */
typedef struct mm_dmarc_lint_def {
    const char *id;
    mm_dmarc_severity severity;
    const char *message;
} mm_dmarc_lint_def;

/* The row for id, or NULL (ids are compared as strings, the table is small). */
const mm_dmarc_lint_def *mm_dmarc_lint_find(const char *id);

struct mm_dmarc {
    mm_dns *dns;
    psl_ctx_t *psl;        /* from psl_latest()/psl_load_file(); NULL when built-in */
    const psl_ctx_t *view; /* the one to ask */
    bool no_external;
    struct mm_dmarc_disc *discs; /* discoveries under way (discover.c) */
};

/* Drop every discovery under way, with its queries; no callback is called. */
void mm_dmarc_discover_cancel_all(mm_dmarc *c);

/* Add a finding (by lint.c id) to a record the caller owns; MM_ENOMEM. */
mm_status_t mm_dmarc_record_add_lint(mm_dmarc_record *r, const char *id, const char *tag,
                                     const char *value);

/* Lower-case ASCII copy of a domain without its trailing dot into out;
 * false when it does not fit or is empty. */
bool mm_dmarc_norm_domain(const char *in, char *out, size_t outlen);

#endif
