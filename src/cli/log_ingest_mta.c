/*
 * log_ingest_mta.c - `log ingest --mta-log FILE`: Postfix/Exim delivery
 * logs into the store.
 *
 * A file's cursor ("file:" + its absolute path) is "OFFSET:LINE", the byte
 * just after the last complete line handed to the ingest, written in the
 * transaction of the batch that holds that line; a re-run seeks there.  A
 * file now shorter than the offset was rotated, so it is read from the
 * start.  Correctness does not rest on the cursor — each line's key makes a
 * second copy a no-op — it only saves re-reading.  A last line without its
 * "\n" may still be being written: it is left for the next run (except on
 * standard input, which has no next run).
 *
 * Classic syslog lines and Exim's default main log carry no zone: they are
 * in the mail server's local time.  By default that is this machine's zone
 * at the file's modification time (mailmedic usually runs on the server);
 * --mta-tz names another for a log copied from elsewhere.  One offset per
 * file: lines on the far side of a daylight-saving change are an hour off.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include "cli.h"
#include "log_ingest.h"
#include "../lib/util/buf.h"

typedef struct mta_file {
    const char *path; /* as given, for messages */
    char *cursor;     /* cursor name, NULL for stdin */
    FILE *fp;
    long long offset; /* of the next line */
    size_t line;      /* number of the next line, 1-based */
} mta_file;

static mm_mtalog_format parse_format(const char *s)
{
    if (strcmp(s, "postfix") == 0)
        return MM_MTALOG_POSTFIX;
    if (strcmp(s, "exim") == 0)
        return MM_MTALOG_EXIM;
    return MM_MTALOG_AUTO;
}

bool mta_zone_parse(const char *s, mta_zone *z)
{
    z->local = false;
    z->east = 0;
    if (strcmp(s, "local") == 0) {
        z->local = true;
        return true;
    }
    if (strcasecmp(s, "UTC") == 0 || strcasecmp(s, "GMT") == 0 || strcmp(s, "Z") == 0)
        return true;
    int sign = s[0] == '+' ? 1 : s[0] == '-' ? -1 : 0;
    const char *d = s + 1;
    if (!sign || !isdigit((unsigned char)d[0]) || !isdigit((unsigned char)d[1]))
        return false;
    int hh = (d[0] - '0') * 10 + (d[1] - '0');
    d += 2;
    if (*d == ':')
        d++;
    int mm = 0;
    if (*d) {
        if (!isdigit((unsigned char)d[0]) || !isdigit((unsigned char)d[1]) || d[2])
            return false;
        mm = (d[0] - '0') * 10 + (d[1] - '0');
    }
    if (hh > 14 || mm > 59)
        return false;
    z->east = sign * (hh * 3600 + mm * 60);
    return true;
}

static int32_t zone_offset(const mta_zone *z, int64_t when)
{
    if (!z->local)
        return z->east;
    time_t t = (time_t)when;
    struct tm tm;
    return localtime_r(&t, &tm) ? (int32_t)tm.tm_gmtoff : 0;
}

/* Seek to the stored cursor; false on a store error. */
static bool resume(ingest_run *r, mta_file *f, const struct stat *sb)
{
    char *v = NULL;
    mm_status_t st = mm_store_get_cursor(r->store, f->cursor, &v);
    if (st != MM_OK)
        return ingest_store_failed(r, st);
    long long off = 0;
    size_t line = 0;
    if (v && sscanf(v, "%lld:%zu", &off, &line) == 2 && off > 0 && off <= (long long)sb->st_size &&
        fseeko(f->fp, (off_t)off, SEEK_SET) == 0) {
        f->offset = off;
        f->line = line + 1;
    }
    free(v);
    return true;
}

static bool open_file(ingest_run *r, mta_file *f, int64_t *mtime)
{
    struct stat sb;
    f->line = 1;
    *mtime = (int64_t)time(NULL);
    if (strcmp(f->path, "-") == 0) {
        f->fp = stdin;
        return true;
    }
    f->fp = fopen(f->path, "rb");
    if (!f->fp || fstat(fileno(f->fp), &sb) != 0) {
        log_warnx("%s: %s", f->path, strerror(errno));
        r->unreadable++;
        return false;
    }
    *mtime = (int64_t)sb.st_mtime;
    char abs[PATH_MAX];
    mm_buf b = MM_BUF_INIT;
    mm_buf_printf(&b, "file:%s", realpath(f->path, abs) ? abs : f->path);
    f->cursor = mm_buf_detach(&b);
    return resume(r, f, &sb);
}

/* One line: parse, and queue what it gives.  false on a store error. */
static bool do_line(ingest_run *r, mta_file *f, mm_mtalog_parser *p, const char *line, size_t n)
{
    mm_mtalog_record rec;
    mm_status_t st = mm_mtalog_parse_line(p, line, n, &rec);
    r->lines++;
    if (f->cursor) {
        char v[64];
        snprintf(v, sizeof v, "%lld:%zu", f->offset, f->line);
        if (mm_ingest_set_cursor(r->ing, f->cursor, v) != MM_OK)
            fatalx("out of memory");
    }
    if (st == MM_ENOTFOUND)
        return true;
    char origin[PATH_MAX + 64];
    snprintf(origin, sizeof origin, "%s:%s:%zu", st == MM_OK ? rec.mta : "log",
             strcmp(f->path, "-") == 0 ? "stdin" : f->path, f->line);
    if (st == MM_ENOMEM)
        fatalx("out of memory");
    if (st != MM_OK) {
        log_warnx(_("%s: not a readable delivery line (%s)"), origin, mm_strerror(st));
        r->bad_lines++;
        return true;
    }
    st = mm_ingest_mtalog_record(r->ing, &rec, line, n, origin);
    return st == MM_OK || ingest_store_failed(r, st);
}

void ingest_mta_log(ingest_run *r, const char *path, const char *format, const mta_zone *zone)
{
    mta_file f = {path, NULL, NULL, 0, 1};
    int64_t mtime;
    if (!open_file(r, &f, &mtime))
        goto done;
    mm_mtalog_parser *p = mm_mtalog_create(parse_format(format), mtime);
    if (!p)
        fatalx("out of memory");
    mm_mtalog_set_utc_offset(p, zone_offset(zone, mtime));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f.fp)) > 0) {
        bool complete = line[n - 1] == '\n';
        if (!complete && f.cursor)
            break; /* still being written: the next run reads it whole */
        f.offset += n;
        if (!do_line(r, &f, p, line, (size_t)n))
            break;
        f.line++;
        if (r->progress && r->lines % 65536 == 0)
            ingest_progress(r);
    }
    if (ferror(f.fp)) {
        log_warnx("%s: %s", path, strerror(errno));
        r->unreadable++;
    }
    free(line);
    mm_mtalog_free(p);
    /* The ingest holds one cursor: write this file's before the next file's
     * replaces it. */
    if (!r->dberr) {
        mm_status_t st = mm_ingest_flush(r->ing);
        if (st != MM_OK)
            ingest_store_failed(r, st);
    }
done:
    if (f.fp && f.fp != stdin)
        fclose(f.fp);
    free(f.cursor);
}
