/*
 * input.c - message sources (see input.h).
 *
 * A work list of paths is expanded lazily: a directory is replaced by its
 * sorted entries when reached.  Each file is read line by line through stdio;
 * if its first line is an mbox "From " line the file is split into messages,
 * otherwise the whole file is one message.  Bytes beyond the size limit are
 * read and dropped, never stored.
 */
#include <mailmedic/input.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "../util/buf.h"

struct mm_input {
    char **todo;  /* stack of paths still to visit (last = next) */
    size_t ntodo, captodo;
    size_t limit;
    FILE *fp;     /* current file */
    char *cur;    /* its path */
    bool mbox;
    size_t index;
    char *line;   /* getline buffer */
    size_t linecap;
    ssize_t pending; /* length of a line read ahead (next "From "), -1 if none */
    bool eof;
    mm_buf msg;
};

static mm_status_t push(mm_input *in, const char *path)
{
    if (in->ntodo == in->captodo) {
        size_t cap = in->captodo ? in->captodo * 2 : 16;
        char **v = realloc(in->todo, cap * sizeof *v);
        if (!v)
            return MM_ENOMEM;
        in->todo = v;
        in->captodo = cap;
    }
    in->todo[in->ntodo] = strdup(path);
    if (!in->todo[in->ntodo])
        return MM_ENOMEM;
    in->ntodo++;
    return MM_OK;
}

mm_status_t mm_input_open(const char *const *paths, size_t npaths, size_t max_message_bytes,
                          mm_input **out)
{
    mm_input *in = calloc(1, sizeof *in);
    if (!in)
        return MM_ENOMEM;
    in->limit = max_message_bytes ? max_message_bytes : (8u << 20);
    in->pending = -1;
    mm_buf_init(&in->msg, 0);
    for (size_t i = npaths; i-- > 0;)
        if (push(in, paths[i]) != MM_OK) {
            mm_input_destroy(in);
            return MM_ENOMEM;
        }
    *out = in;
    return MM_OK;
}

static void close_current(mm_input *in)
{
    if (in->fp && in->fp != stdin)
        fclose(in->fp);
    in->fp = NULL;
}

void mm_input_destroy(mm_input *in)
{
    if (!in)
        return;
    close_current(in);
    for (size_t i = 0; i < in->ntodo; i++)
        free(in->todo[i]);
    free(in->todo);
    free(in->cur);
    free(in->line);
    mm_buf_free(&in->msg);
    free(in);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replace a directory by its entries (pushed in reverse so they pop in order). */
static mm_status_t expand_dir(mm_input *in, const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return MM_EIO;
    char **names = NULL;
    size_t n = 0, cap = 0;
    mm_status_t st = MM_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && st == MM_OK) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "tmp") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **v = realloc(names, cap * sizeof *v);
            if (!v) {
                st = MM_ENOMEM;
                break;
            }
            names = v;
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n]) {
            st = MM_ENOMEM;
            break;
        }
        snprintf(names[n], len, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/",
                 e->d_name);
        n++;
    }
    closedir(d);
    if (st == MM_OK)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = n; i-- > 0;) {
        if (st == MM_OK)
            st = push(in, names[i]);
        free(names[i]);
    }
    free(names);
    return st;
}

static bool is_from_line(const char *l, ssize_t n)
{
    return n >= 5 && memcmp(l, "From ", 5) == 0;
}

/* Add a line to the message unless the size limit was reached. */
static void keep_line(mm_input *in, const char *l, size_t n, bool *trunc)
{
    if (in->msg.len + n > in->limit) {
        *trunc = true;
        return;
    }
    if (mm_buf_append(&in->msg, l, n) != MM_OK)
        *trunc = true;
}

/* Read one message from the current file into in->msg. false at end of file. */
static bool read_message(mm_input *in, bool *trunc)
{
    mm_buf_reset(&in->msg);
    *trunc = false;
    bool any = false;
    if (in->pending >= 0) {
        keep_line(in, in->line, (size_t)in->pending, trunc);
        in->pending = -1;
        any = true;
    }
    ssize_t n;
    while ((n = getline(&in->line, &in->linecap, in->fp)) >= 0) {
        if (in->mbox && any && is_from_line(in->line, n) &&
            (in->msg.len == 0 || in->msg.len < 2 || in->msg.data[in->msg.len - 2] == '\n' ||
             in->msg.data[in->msg.len - 2] == '\r')) {
            in->pending = n;
            return true;
        }
        if (in->mbox && any) {
            /* mboxrd: one '>' is removed from ">From ", ">>From ", ... */
            const char *p = in->line;
            while (*p == '>')
                p++;
            if (p > in->line && strncmp(p, "From ", 5) == 0) {
                keep_line(in, in->line + 1, (size_t)n - 1, trunc);
                continue;
            }
        }
        keep_line(in, in->line, (size_t)n, trunc);
        any = true;
    }
    in->eof = true;
    return any;
}

static mm_status_t open_next(mm_input *in, mm_input_msg *msg, char *why, size_t whylen)
{
    while (in->ntodo) {
        char *path = in->todo[--in->ntodo];
        free(in->cur);
        in->cur = path;
        msg->source = path;
        if (strcmp(path, "-") == 0) {
            in->fp = stdin;
        } else {
            struct stat sb;
            if (stat(path, &sb) != 0) {
                snprintf(why, whylen, "%s", strerror(errno));
                return MM_EIO;
            }
            if (S_ISDIR(sb.st_mode)) {
                mm_status_t st = expand_dir(in, path);
                if (st != MM_OK) {
                    snprintf(why, whylen, "cannot read directory: %s", strerror(errno));
                    return st;
                }
                continue;
            }
            in->fp = fopen(path, "rb");
            if (!in->fp) {
                snprintf(why, whylen, "%s", strerror(errno));
                return MM_EIO;
            }
        }
        in->index = 0;
        in->eof = false;
        in->pending = -1;
        int c = getc(in->fp);
        if (c != EOF)
            ungetc(c, in->fp);
        in->mbox = false;
        if (c == 'F') {
            ssize_t n = getline(&in->line, &in->linecap, in->fp);
            in->mbox = is_from_line(in->line, n);
            in->pending = n;
        }
        return MM_OK;
    }
    return MM_ENOTFOUND;
}

mm_status_t mm_input_next(mm_input *in, mm_input_msg *msg, char *why, size_t whylen)
{
    if (why && whylen)
        why[0] = '\0';
    for (;;) {
        if (!in->fp) {
            mm_status_t st = open_next(in, msg, why, whylen);
            if (st != MM_OK)
                return st;
        }
        bool trunc;
        bool got = read_message(in, &trunc);
        msg->source = in->cur;
        if (ferror(in->fp)) {
            snprintf(why, whylen, "read error: %s", strerror(errno));
            close_current(in);
            return MM_EIO;
        }
        if (got || in->index == 0) {
            msg->index = in->index++;
            msg->bytes = mm_buf_str(&in->msg);
            msg->len = in->msg.len;
            msg->truncated = trunc;
            if (in->eof)
                close_current(in);
            return MM_OK;
        }
        close_current(in);
    }
}
