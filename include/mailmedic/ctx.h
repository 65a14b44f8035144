/*
 * ctx.h - the library context.
 *
 * Everything the library would otherwise keep in globals lives here: size
 * limits, and (in later modules) the resolver, the Public Suffix List handle
 * and the clock.  A context is read-only after creation, so one context may be
 * shared by many threads; each thread then diagnoses its own messages.
 */
#ifndef MAILMEDIC_CTX_H
#define MAILMEDIC_CTX_H

#include <stddef.h>
#include <mailmedic/export.h>
#include <mailmedic/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mm_ctx mm_ctx;

/* Limits that bound memory and work on hostile input.  Zero means "default". */
typedef struct mm_limits {
    size_t max_message_bytes;  /* bytes of one message that are parsed (default 8 MiB);
                                * the rest is skipped, the report says it was truncated */
    size_t max_recipients;     /* recipients kept per message (default 1000) */
    size_t max_mime_depth;     /* nesting of multiparts/attached messages followed (default 32);
                                * deeper subtrees are dropped before GMime parses the message,
                                * so its recursion is bounded too */
    size_t max_parts;          /* MIME parts examined per message (default 512); after
                                * 4 * max_parts Content-Type lines the rest of a message is
                                * not parsed (a backstop for structures we cannot follow) */
    size_t max_header_fields;  /* fields kept per header block (default 1000) */
    size_t max_field_bytes;    /* bytes kept of one header field (default 64 KiB) */
} mm_limits;

/*
 * Create a context.  limits may be NULL for the defaults.  On success *out
 * owns a new context that the caller frees with mm_ctx_destroy().  The first
 * call also initialises GMime for the process (once, thread-safe).
 */
MM_EXTERN mm_status_t mm_ctx_create(const mm_limits *limits, mm_ctx **out);

/* Free a context; NULL is a no-op.  No report created from it may outlive it. */
MM_EXTERN void mm_ctx_destroy(mm_ctx *ctx);

/* The limits in force (defaults filled in); borrowed, lives as long as ctx. */
MM_EXTERN const mm_limits *mm_ctx_limits(const mm_ctx *ctx);

/* The library version, e.g. "0.1.0". */
MM_EXTERN const char *mm_version(void);

#ifdef __cplusplus
}
#endif
#endif
