/*
 * fuzz_mtalog.c - mm_mtalog_parse_line() on arbitrary bytes, split into
 * lines at '\n' like a log file, with each format; a record must hold
 * NUL-terminated strings whatever the line held.
 */
#include <mailmedic/mtalog.h>
#include <stdlib.h>
#include <string.h>
#include "fuzzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const mm_mtalog_format fmts[] = {MM_MTALOG_AUTO, MM_MTALOG_POSTFIX, MM_MTALOG_EXIM};
    for (size_t f = 0; f < 3; f++) {
        mm_mtalog_parser *p = mm_mtalog_create(fmts[f], 1796040000);
        if (!p)
            abort();
        const char *s = (const char *)data, *e = s + size;
        while (s < e) {
            const char *nl = memchr(s, '\n', (size_t)(e - s));
            size_t n = nl ? (size_t)(nl - s) : (size_t)(e - s);
            /* An exact-size copy so a read past the line is caught. */
            char *line = malloc(n ? n : 1);
            if (!line)
                abort();
            memcpy(line, s, n);
            mm_mtalog_record r;
            if (mm_mtalog_parse_line(p, line, n, &r) == MM_OK) {
                size_t total = strlen(r.address) + strlen(r.orig_address) + strlen(r.outcome) +
                               strlen(r.status) + strlen(r.reply) + strlen(r.relay) +
                               strlen(r.queue_id) + strlen(r.mta);
                if (total > n + 64)
                    abort();
            }
            free(line);
            s += n + 1;
        }
        mm_mtalog_free(p);
    }
    return 0;
}
