/*
 * fuzz_ingest.c - the ingest side of a message on arbitrary bytes: the
 * report's own Date scanned from the header block (mm_ingest_header_date),
 * then diagnosis, keys over line-end-normalised bytes and the events of
 * mm_ingest_prepare.  No store: nothing is written.
 */
#include <mailmedic/mailmedic.h>
#include <stdlib.h>
#include <string.h>
#include "../src/lib/ingest/ingest_int.h"
#include "fuzzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mm_ctx *ctx;
    if (!ctx && mm_ctx_create(NULL, &ctx) != MM_OK)
        abort();
    char date[256];
    mm_ingest_header_date((const char *)data, size, date);
    if (strlen(date) >= sizeof date)
        abort();
    (void)mm_ingest_parse_date(date);
    mm_ingest_item *it = NULL;
    if (mm_ingest_prepare(ctx, (const char *)data, size, "fuzz", &it) == MM_OK) {
        if (mm_ingest_item_error(it) && mm_ingest_item_events(it))
            abort(); /* an unreadable message gives no events */
        mm_ingest_item_free(it);
    }
    return 0;
}
