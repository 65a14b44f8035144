/*
 * listread.c - one address per line, or one CSV column (see listread.h).
 */
#include "listread.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cli.h"

#define CHUNK (256u << 10)
#define MAX_FIELDS 1024

struct lr {
    FILE *fp;
    char *buf;             /* input chunk */
    size_t pos, end;
    bool eof;
    int err;
    unsigned long long off; /* bytes consumed */
    size_t line;           /* current line number (1-based) */
    size_t rec_line;       /* CSV: the line the last record started on */
    bool csv;
    char delim;
    size_t col;            /* CSV: index of the address column */
    char *rec;             /* CSV: the record's bytes, fields NUL-separated */
    size_t rec_len;
    const char *fields[MAX_FIELDS];
    size_t nfields;
    char **head;           /* CSV: header fields (owned copies) */
    size_t nhead;
};

static bool fill(lr *r)
{
    if (r->eof)
        return false;
    if (r->pos < r->end)
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
    r->end -= r->pos;
    r->pos = 0;
    size_t n = fread(r->buf + r->end, 1, CHUNK - r->end, r->fp);
    if (n == 0) {
        r->eof = true;
        if (ferror(r->fp))
            r->err = errno ? errno : EIO;
        return false;
    }
    r->end += n;
    return true;
}

/* Next byte, or -1 at the end of input. */
static int getb(lr *r)
{
    if (r->pos == r->end && !fill(r))
        return -1;
    r->off++;
    return (unsigned char)r->buf[r->pos++];
}

static int peekb(lr *r)
{
    if (r->pos == r->end && !fill(r))
        return -1;
    return (unsigned char)r->buf[r->pos];
}

/* ---- plain lists ---- */

/* Skip the rest of an over-long line. */
static void skip_line(lr *r)
{
    for (;;) {
        char *nl = memchr(r->buf + r->pos, '\n', r->end - r->pos);
        if (nl) {
            size_t n = (size_t)(nl - (r->buf + r->pos)) + 1;
            r->pos += n;
            r->off += n;
            return;
        }
        r->off += r->end - r->pos;
        r->pos = r->end;
        if (!fill(r))
            return;
    }
}

static int next_plain(lr *r, lr_rec *rec)
{
    for (;;) {
        char *nl = memchr(r->buf + r->pos, '\n', r->end - r->pos);
        if (!nl && r->end - r->pos < LR_PLAIN_MAX && fill(r))
            continue;
        if (!nl && r->pos == r->end)
            return r->err ? -1 : 0;
        size_t line = ++r->line;
        char *s = r->buf + r->pos;
        size_t n = nl ? (size_t)(nl - s) : r->end - r->pos;
        if (n >= LR_PLAIN_MAX) {
            skip_line(r);
            *rec = (lr_rec){.line = line, .addr = "", .too_long = true};
            return 1;
        }
        size_t used = n + (nl ? 1 : 0);
        r->pos += used;
        r->off += used;
        if (n && s[n - 1] == '\r')
            n--;
        /* The line is used in place (the chunk keeps a spare byte for the
         * NUL of a last line without a newline): fill() moves the chunk only
         * in the next call, after the caller is done with this record. */
        s[n] = '\0';
        if (line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;
            n -= 3;
        }
        bool blank = true;
        for (size_t i = 0; i < n && blank; i++)
            blank = s[i] == ' ' || s[i] == '\t';
        if (blank)
            continue;
        *rec = (lr_rec){.line = line, .addr = s, .addr_len = n};
        return 1;
    }
}

/* ---- CSV (RFC 4180) ---- */

static bool rec_put(lr *r, char c)
{
    if (r->rec_len >= LR_CSV_MAX)
        return false;
    r->rec[r->rec_len++] = c;
    return true;
}

/* Read one record into r->rec/fields.  Returns 1, 0 at end, -1 on error;
 * *too_long when it went past LR_CSV_MAX (the rest of its line skipped). */
static int read_record(lr *r, bool *too_long)
{
    *too_long = false;
    r->rec_len = 0;
    r->nfields = 0;
    int c = getb(r);
    if (c < 0)
        return r->err ? -1 : 0;
    r->rec_line = ++r->line;
    size_t start = 0;
    bool quoted = false, room = true;
    for (;; c = getb(r)) {
        if (c < 0 || (!quoted && (c == '\n' || c == '\r'))) {
            if (c == '\r' && peekb(r) == '\n')
                getb(r);
            break;
        }
        if (c == '\n')
            r->line++;
        if (quoted) {
            if (c == '"') {
                if (peekb(r) == '"')
                    getb(r);
                else {
                    quoted = false;
                    continue;
                }
            }
        } else if (c == '"') {
            quoted = true;
            continue;
        } else if (c == r->delim) {
            room = room && rec_put(r, '\0');
            if (room && r->nfields < MAX_FIELDS)
                r->fields[r->nfields++] = r->rec + start;
            start = r->rec_len;
            continue;
        }
        room = room && rec_put(r, (char)c);
        if (!room && !*too_long) {
            *too_long = true;
            quoted = false; /* resynchronise at the next line end */
        }
    }
    if (*too_long)
        return 1;
    if (!rec_put(r, '\0')) {
        *too_long = true;
        return 1;
    }
    if (r->nfields < MAX_FIELDS)
        r->fields[r->nfields++] = r->rec + start;
    return 1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* Guess the delimiter from the header line: the most frequent of , ; TAB
 * outside quotes (comma on a tie or when none is there). */
static char guess_delim(lr *r)
{
    if (r->end - r->pos < CHUNK / 2)
        fill(r);
    size_t count[3] = {0, 0, 0};
    bool q = false;
    for (size_t i = r->pos; i < r->end && r->buf[i] != '\n'; i++) {
        char c = r->buf[i];
        if (c == '"')
            q = !q;
        else if (!q)
            count[0] += c == ',', count[1] += c == ';', count[2] += c == '\t';
    }
    if (count[1] > count[0] && count[1] >= count[2])
        return ';';
    if (count[2] > count[0] && count[2] > count[1])
        return '\t';
    return ',';
}

static bool open_csv(lr *r, const char *column, char *err, size_t errsz)
{
    r->csv = true;
    r->delim = guess_delim(r);
    r->rec = malloc(LR_CSV_MAX + 1);
    if (!r->rec) {
        snprintf(err, errsz, "%s", strerror(ENOMEM));
        return false;
    }
    bool too_long;
    int st = read_record(r, &too_long);
    if (st <= 0 || too_long) {
        snprintf(err, errsz, _("no CSV header line (expected a column named '%s')"), column);
        return false;
    }
    r->head = calloc(r->nfields, sizeof *r->head);
    if (!r->head) {
        snprintf(err, errsz, "%s", strerror(ENOMEM));
        return false;
    }
    r->nhead = r->nfields;
    bool found = false;
    for (size_t i = 0; i < r->nfields; i++) {
        char *f = (char *)r->fields[i];
        if (i == 0 && strncmp(f, "\xEF\xBB\xBF", 3) == 0)
            f += 3;
        r->head[i] = strdup(trim(f));
        if (!r->head[i]) {
            snprintf(err, errsz, "%s", strerror(ENOMEM));
            return false;
        }
        if (!found && strcasecmp(r->head[i], column) == 0) {
            r->col = i;
            found = true;
        }
    }
    if (!found) {
        char names[512] = "";
        for (size_t i = 0; i < r->nhead && strlen(names) < sizeof names - 80; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s'%s'",
                     i ? ", " : "", r->head[i]);
        snprintf(err, errsz, _("no column named '%s' in the CSV header (columns: %s)"), column,
                 names);
        return false;
    }
    return true;
}

static int next_csv(lr *r, lr_rec *rec)
{
    for (;;) {
        bool too_long;
        int st = read_record(r, &too_long);
        if (st <= 0)
            return st;
        if (too_long) {
            *rec = (lr_rec){.line = r->rec_line, .addr = "", .too_long = true};
            return 1;
        }
        if (r->nfields == 1 && r->fields[0][0] == '\0')
            continue; /* an empty line */
        /* Where it starts, not where a quoted line break made it end. */
        *rec = (lr_rec){.line = r->rec_line, .nfields = r->nfields, .fields = r->fields};
        if (r->col < r->nfields) {
            rec->addr = r->fields[r->col];
            rec->addr_len = strlen(rec->addr);
        } else {
            rec->addr = "";
            rec->missing = true;
        }
        return 1;
    }
}

lr *lr_open(FILE *fp, const char *column, char *err, size_t errsz)
{
    lr *r = calloc(1, sizeof *r);
    if (r)
        r->buf = malloc(CHUNK + 1);
    if (!r || !r->buf) {
        snprintf(err, errsz, "%s", strerror(ENOMEM));
        free(r);
        return NULL;
    }
    r->fp = fp;
    if (column && !open_csv(r, column, err, errsz)) {
        lr_free(r);
        return NULL;
    }
    return r;
}

int lr_next(lr *r, lr_rec *rec)
{
    return r->csv ? next_csv(r, rec) : next_plain(r, rec);
}

const char *const *lr_header(const lr *r, size_t *n)
{
    *n = r->nhead;
    return (const char *const *)r->head;
}

unsigned long long lr_offset(const lr *r)
{
    return r->off;
}

void lr_free(lr *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nhead; i++)
        free(r->head[i]);
    free(r->head);
    free(r->rec);
    free(r->buf);
    free(r);
}
