/* ctx.c - the library context (see ctx.h). */
#include <mailmedic/ctx.h>

#include <stdlib.h>
#include "message/message.h"

struct mm_ctx {
    mm_limits limits;
};

mm_status_t mm_ctx_create(const mm_limits *limits, mm_ctx **out)
{
    mm_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return MM_ENOMEM;
    if (limits)
        c->limits = *limits;
    if (!c->limits.max_message_bytes)
        c->limits.max_message_bytes = 8u << 20;
    if (!c->limits.max_recipients)
        c->limits.max_recipients = 1000;
    if (!c->limits.max_mime_depth)
        c->limits.max_mime_depth = 32;
    if (!c->limits.max_parts)
        c->limits.max_parts = 512;
    if (!c->limits.max_header_fields)
        c->limits.max_header_fields = 1000;
    if (!c->limits.max_field_bytes)
        c->limits.max_field_bytes = 64u << 10;
    mm_msg_global_init();
    *out = c;
    return MM_OK;
}

void mm_ctx_destroy(mm_ctx *ctx)
{
    free(ctx);
}

const mm_limits *mm_ctx_limits(const mm_ctx *ctx)
{
    return &ctx->limits;
}

const char *mm_version(void)
{
    return MM_VERSION;
}
