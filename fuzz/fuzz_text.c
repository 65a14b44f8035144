/*
 * fuzz_text.c - mm_diagnose_text() on arbitrary bytes, as a user might paste
 * them: the input is made a C string (it stops at the first NUL).
 */
#include <mailmedic/mailmedic.h>
#include <stdlib.h>
#include <string.h>
#include "fuzzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mm_ctx *ctx;
    if (!ctx && mm_ctx_create(NULL, &ctx) != MM_OK)
        abort();
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    mm_report *r = NULL;
    if (mm_diagnose_text(ctx, text, &r) == MM_OK)
        mm_report_destroy(r);
    free(text);
    return 0;
}
