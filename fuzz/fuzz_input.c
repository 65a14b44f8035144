/*
 * fuzz_input.c - mm_input over an mbox (or single message) file holding the
 * arbitrary bytes, then each message it yields through mm_diagnose_message(),
 * as `mailmedic diagnose FILE` does.  The file is a temporary one rewritten
 * for each input; the message limit is small so truncation paths are hit.
 */
#include <mailmedic/mailmedic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "fuzzer.h"

#define LIMIT 4096

static char path[] = "/tmp/mm-fuzz-input-XXXXXX";

static void remove_temp(void)
{
    unlink(path);
}

static const char *temp_path(void)
{
    static int fd = -1;
    if (fd < 0) {
        if ((fd = mkstemp(path)) < 0)
            abort();
        close(fd);
        atexit(remove_temp);
    }
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mm_ctx *ctx;
    if (!ctx) {
        mm_limits lim = {.max_message_bytes = LIMIT};
        if (mm_ctx_create(&lim, &ctx) != MM_OK)
            abort();
    }
    const char *file = temp_path();
    FILE *fp = fopen(file, "wb");
    if (!fp || fwrite(data, 1, size, fp) != size || fclose(fp) != 0)
        abort();
    mm_input *in;
    if (mm_input_open(&file, 1, LIMIT, &in) != MM_OK)
        return 0;
    mm_input_msg msg;
    char why[128];
    mm_status_t st;
    while ((st = mm_input_next(in, &msg, why, sizeof why)) != MM_ENOTFOUND) {
        if (st != MM_OK)
            continue;
        if (msg.len > LIMIT)
            abort(); /* the reader must never hand out more than the limit */
        mm_report *r;
        if (mm_diagnose_message(ctx, msg.bytes, msg.len, &r, why, sizeof why) == MM_OK)
            mm_report_destroy(r);
    }
    mm_input_destroy(in);
    return 0;
}
