/*
 * fuzz_listread.c - the address-list reader of the program
 * (src/cli/listread.c, compiled into this target) on arbitrary bytes
 * through a FILE* from fmemopen(), as a plain list and as a CSV file whose
 * address column is looked up by an English and by a Chinese header name
 * (as `verify --list`, `log check --list`, `log contacts import` and
 * `log import-suppressions` do).
 *
 * Input starting with '~' (or '^'): its first line once, then the rest
 * repeated to just over 64 KiB (or 1 MiB), so that over-long lines
 * (LR_PLAIN_MAX) and CSV records (LR_CSV_MAX) are reached.
 * Checks: every record and field is a NUL-terminated string within its
 * limit, the address is the column's field, line numbers never go back,
 * the byte count never passes the input, and a refused header says why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../src/cli/listread.h"
#include "fuzzer.h"

static void check_rec(const lr_rec *rec, bool csv, size_t *last_line)
{
    if (!rec->addr || rec->line < *last_line || rec->line == 0)
        abort();
    *last_line = rec->line;
    if (rec->too_long) {
        if (rec->addr[0] || rec->nfields)
            abort();
        return;
    }
    if (strlen(rec->addr) > rec->addr_len || rec->addr_len >= (csv ? LR_CSV_MAX : LR_PLAIN_MAX))
        abort();
    if (!csv) {
        if (!rec->addr_len || rec->nfields)
            abort();
        return;
    }
    if (!rec->nfields || rec->nfields > 1024 || !rec->fields)
        abort();
    size_t total = 0;
    for (size_t i = 0; i < rec->nfields; i++)
        total += strlen(rec->fields[i]) + 1;
    if (total > LR_CSV_MAX + 1)
        abort();
    if (!rec->missing) {
        bool found = false;
        for (size_t i = 0; i < rec->nfields && !found; i++)
            found = rec->fields[i] == rec->addr;
        if (!found || strlen(rec->addr) != rec->addr_len)
            abort();
    } else if (rec->addr[0]) {
        abort();
    }
}

static void run(const uint8_t *data, size_t size, const char *column)
{
    FILE *fp = fmemopen((void *)data, size, "r");
    if (!fp)
        abort();
    char err[768];
    memset(err, 'x', sizeof err);
    lr *r = lr_open(fp, column, err, sizeof err);
    if (!r) {
        if (!column || !memchr(err, '\0', sizeof err) || !err[0])
            abort(); /* only a CSV header is refused, with a message */
        fclose(fp);
        return;
    }
    size_t nhead, last = 0;
    const char *const *head = lr_header(r, &nhead);
    if (column && (!nhead || !head))
        abort();
    for (size_t i = 0; i < nhead; i++)
        if (strlen(head[i]) > LR_CSV_MAX)
            abort();
    lr_rec rec;
    int st;
    while ((st = lr_next(r, &rec)) == 1) {
        check_rec(&rec, column != NULL, &last);
        if (lr_offset(r) > size)
            abort();
    }
    if (st != 0)
        abort(); /* a memory stream has no read errors */
    lr_free(r);
    fclose(fp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* '~': past a plain line's limit, all three ways; '^': past a CSV
     * record's, as CSV only (1 MiB a run is slow: keep it to one pass). */
    bool huge = size > 1 && data[0] == '^';
    uint8_t *big = NULL;
    if (size > 1 && (data[0] == '~' || huge)) {
        /* The first line once (a CSV header), then the rest over and over. */
        const uint8_t *nl = memchr(data + 1, '\n', size - 1);
        size_t head = nl && nl + 1 < data + size ? (size_t)(nl - data) : 0;
        size_t unit = size - 1 - head, total = head;
        size_t want = (huge ? LR_CSV_MAX : LR_PLAIN_MAX) + (4u << 10);
        big = malloc(head + want + unit);
        if (!big)
            abort();
        memcpy(big, data + 1, head);
        while (total < head + want) {
            memcpy(big + total, data + 1 + head, unit);
            total += unit;
        }
        data = big;
        size = total;
    }
    if (!huge) {
        run(data, size, NULL);
        run(data, size, "邮箱");
    }
    run(data, size, "email");
    free(big);
    return 0;
}
