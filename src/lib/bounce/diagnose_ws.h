/*
 * diagnose_ws.h - mm_diagnose_message() for a caller that diagnoses many
 * messages: the parse's buffers, field lists and arena blocks live in a
 * workspace kept from one message to the next, so they are not allocated
 * and freed per message.  Internal (the program links the static library);
 * the public mm_diagnose_message() makes and frees a workspace per call.
 */
#ifndef MM_BOUNCE_DIAGNOSE_WS_H
#define MM_BOUNCE_DIAGNOSE_WS_H

#include <stddef.h>
#include <mailmedic/bounce.h>
#include <mailmedic/ctx.h>

/* One thread's workspace: used by one call at a time. */
typedef struct mm_diag_ws mm_diag_ws;

/* A new workspace into *out; MM_ENOMEM. */
mm_status_t mm_diag_ws_create(mm_diag_ws **out);
/* Frees ws and what it kept; NULL is a no-op. */
void mm_diag_ws_destroy(mm_diag_ws *ws);

/* mm_diagnose_message() (same contract, same result) with ws's memory;
 * ws NULL: a workspace made and freed for this call, as that function does. */
mm_status_t mm_diagnose_message_ws(const mm_ctx *ctx, mm_diag_ws *ws, const char *bytes,
                                   size_t len, mm_report **out, char *why, size_t whylen);
/* r (from mm_diagnose_message_ws() with ws) is done with: ws keeps it, to
 * fill again for its next message, sparing the report's allocations;
 * mm_report_destroy() when ws is NULL or keeps one already.  r must not be
 * read after the next call with ws. */
void mm_diag_ws_release(mm_diag_ws *ws, mm_report *r);

#endif
