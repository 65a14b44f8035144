/*
 * fuzz_input.c - mm_input over an mbox (or single message) file holding the
 * arbitrary bytes, then each message it yields through mm_diagnose_message(),
 * as `mailmedic diagnose FILE` does.  The file is a temporary one rewritten
 * for each input; the message limit is small so truncation paths are hit.
 * Then the same file in keep mode (mm_input_keep, as `diagnose --jobs`
 * reads), a batch released right after the next was read: every message
 * must be the one the normal mode gave, and a kept one must not change
 * until released.
 */
#include <mailmedic/mailmedic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fuzzer.h"

#define LIMIT 4096
#define SEEN 256 /* messages compared between the two modes */

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

static uint64_t sum_of(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211u;
    return h;
}

/* Keep mode over file, in batches of 3, a batch released right after the
 * next one was read; the first n messages checked against the normal mode. */
static void check_keep_mode(const char *file, size_t n, const void *seen_v)
{
    const struct {
        size_t len;
        uint64_t sum;
    } *seen = seen_v;
    mm_input *in;
    if (mm_input_open(&file, 1, LIMIT, &in) != MM_OK || mm_input_keep(in) != MM_OK)
        abort();
    mm_input_msg held[6];
    size_t k = 0, nheld = 0;
    char why[128];
    mm_status_t st;
    while ((st = mm_input_next(in, &held[nheld], why, sizeof why)) != MM_ENOTFOUND) {
        if (st != MM_OK)
            continue;
        const mm_input_msg *m = &held[nheld++];
        if (k < n && (m->len != seen[k].len || sum_of(m->bytes, m->len) != seen[k].sum))
            abort(); /* keep mode read another message than the normal mode */
        k++;
        if (nheld == 6) { /* the older batch is done with: still intact? */
            for (size_t i = 0; i < 3; i++)
                if (held[i].kept && k - 6 + i < n &&
                    sum_of(held[i].bytes, held[i].len) != seen[k - 6 + i].sum)
                    abort();
            mm_input_release(in, mm_input_mark(in) - 3); /* as diagnose --jobs does */
            memmove(held, held + 3, 3 * sizeof *held);
            nheld = 3;
        }
    }
    if (k < n)
        abort();
    mm_input_destroy(in);
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
    static struct {
        size_t len;
        uint64_t sum;
    } seen[SEEN];
    size_t n = 0;
    while ((st = mm_input_next(in, &msg, why, sizeof why)) != MM_ENOTFOUND) {
        if (st != MM_OK)
            continue;
        if (msg.len > LIMIT)
            abort(); /* the reader must never hand out more than the limit */
        if (n < SEEN) {
            seen[n].len = msg.len;
            seen[n++].sum = sum_of(msg.bytes, msg.len);
        }
        mm_report *r;
        if (mm_diagnose_message(ctx, msg.bytes, msg.len, &r, why, sizeof why) == MM_OK)
            mm_report_destroy(r);
    }
    mm_input_destroy(in);
    check_keep_mode(file, n, seen);
    return 0;
}
