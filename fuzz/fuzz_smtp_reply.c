/*
 * fuzz_smtp_reply.c - the SMTP reply parser on arbitrary server output.
 *
 * The input is read the way the connection reads it: replies one after the
 * other, with the unparsed rest kept in a bounded buffer and fed again, in
 * chunks whose sizes come from the input's first byte (a slow server splits
 * lines anywhere).  Checks what the session relies on: the parser never
 * consumes more than it was given, the kept text is NUL-terminated valid
 * UTF-8 without control characters, and every partial line fits the buffer.
 */
#include <stdlib.h>
#include <string.h>
#include "fuzzer.h"
#include "smtp/reply.h"
#include "util/str.h"

static void check_reply(const mm_smtp_reply *r)
{
    size_t n = strlen(r->text);
    if (n != r->text_len || n >= sizeof r->text || !mm_utf8_valid(r->text, n))
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)r->text[i] < 0x20 || r->text[i] == 0x7F)
            abort();
    if (strlen(r->enhanced) >= sizeof r->enhanced)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t chunk = 1 + data[0] % 64;
    data++;
    size--;
    char buf[2 * MM_SMTP_LINE_MAX + 4];
    size_t have = 0, off = 0;
    mm_smtp_reply r;
    mm_smtp_reply_init(&r);
    while (off < size || have > 0) {
        size_t take = size - off < chunk ? size - off : chunk;
        if (take > sizeof buf - have)
            take = sizeof buf - have;
        memcpy(buf + have, data + off, take);
        have += take;
        off += take;
        size_t used = 0;
        mm_smtp_parse rc = mm_smtp_reply_feed(&r, buf, have, &used);
        if (used > have)
            abort();
        memmove(buf, buf + used, have - used);
        have -= used;
        check_reply(&r);
        if (rc == MM_SMTP_PARSE_BAD || rc == MM_SMTP_PARSE_TOOBIG)
            break;
        if (rc == MM_SMTP_PARSE_DONE)
            mm_smtp_reply_init(&r);
        else if (have > MM_SMTP_LINE_MAX + 1)
            abort(); /* the connection's buffer would run out of room */
        else if (take == 0)
            break; /* input ended inside a reply */
    }
    return 0;
}
