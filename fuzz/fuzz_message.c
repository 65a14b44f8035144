/*
 * fuzz_message.c - mm_diagnose_message() on arbitrary bytes: the whole path
 * from bytes through the sanitiser, GMime, the decoders and the classifier.
 * A small max_message_bytes lets the fuzzer reach the truncation paths too.
 */
#include <mailmedic/mailmedic.h>
#include <stdlib.h>
#include "fuzzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mm_ctx *ctx;
    if (!ctx) {
        mm_limits lim = {.max_message_bytes = 256u << 10, .max_mime_depth = 8, .max_parts = 64};
        if (mm_ctx_create(&lim, &ctx) != MM_OK)
            abort();
    }
    mm_report *r = NULL;
    char why[128];
    if (mm_diagnose_message(ctx, (const char *)data, size, &r, why, sizeof why) == MM_OK) {
        for (size_t i = 0; i < mm_report_count(r); i++)
            (void)mm_report_recipient(r, i);
        mm_report_destroy(r);
    }
    return 0;
}
