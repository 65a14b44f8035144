/*
 * store.c - the store front: what every backend shares.
 *
 * The front picks a backend from the location (mm_store_open), checks and
 * normalises arguments (addresses: trimmed, domain lower-cased), wraps each
 * public write in one backend transaction (rolled back on any error, so a
 * failed call leaves nothing behind) and runs the retry policy (policy.c)
 * on new events inside that transaction.  Backends (backend.h) only move
 * rows.
 */
#include "store/backend.h"
#include "store/policy.h"
#include "util/arena.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct mm_store {
    const store_ops *ops;
    void *be;
    mm_store_options opt;
    char err[1024]; /* the last failure, for mm_store_error() */
};

void mm_retry_policy_default(mm_retry_policy *p)
{
    p->temporary_delay = 4 * 3600;
    p->mailbox_full_delay = 24 * 3600;
    p->give_up_count = 5;
    p->give_up_age = 7 * 24 * 3600;
}

void mm_store_options_default(mm_store_options *o)
{
    mm_retry_policy_default(&o->policy);
    o->busy_timeout_ms = 30000;
    o->connect_timeout_s = 10;
}

int mm_store_schema_version(void)
{
    return store_migration_count;
}

const char *mm_addr_state_tostr(mm_addr_state s)
{
    switch (s) {
    case MM_ADDR_ACTIVE:
        return "active";
    case MM_ADDR_SOFT:
        return "soft";
    case MM_ADDR_SUPPRESSED:
        return "suppressed";
    }
    return "active";
}

static void say(char *why, size_t whylen, const char *fmt, ...)
{
    if (!why || !whylen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

/* ---- opening ---------------------------------------------------------- */

/* mkdir -p of the directories above path. */
static mm_status_t make_parents(char *path, char *why, size_t whylen)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0700);
        int e = errno;
        *p = '/';
        if (rc != 0 && e != EEXIST) {
            *p = '\0';
            say(why, whylen, "cannot create the directory %s for the bounce log (%s)", path,
                strerror(e));
            *p = '/';
            return MM_EIO;
        }
    }
    return MM_OK;
}

/* $XDG_DATA_HOME/mailmedic/log.sqlite, else ~/.local/share/mailmedic/log.sqlite
 * (XDG Base Directory Specification: a relative XDG_DATA_HOME is ignored). */
static mm_status_t default_path(char *out, size_t outlen, char *why, size_t whylen)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(out, outlen, "%s/mailmedic/log.sqlite", xdg);
    else if (home && home[0])
        n = snprintf(out, outlen, "%s/.local/share/mailmedic/log.sqlite", home);
    else {
        say(why, whylen,
            "no default place for the bounce log: set HOME or XDG_DATA_HOME, "
            "or name a database");
        return MM_EINVAL;
    }
    if (n < 0 || (size_t)n >= outlen) {
        say(why, whylen, "the default bounce log path is too long");
        return MM_EINVAL;
    }
    return make_parents(out, why, whylen);
}

static bool is_postgres(const char *where)
{
    return strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0;
}

mm_status_t mm_store_open(const char *where, const mm_store_options *opt, mm_store **out, char *why,
                          size_t whylen)
{
    char path[4096];
    const store_ops *ops = &store_sqlite_ops;
    if (why && whylen)
        why[0] = '\0';
    *out = NULL;
    if (!where || !where[0]) {
        mm_status_t st = default_path(path, sizeof path, why, whylen);
        if (st != MM_OK)
            return st;
        where = path;
    } else if (is_postgres(where)) {
        ops = &store_pg_ops;
    } else if (strncmp(where, "sqlite:", 7) == 0) {
        where += 7;
        if (!where[0]) {
            say(why, whylen, "sqlite: names no file");
            return MM_EINVAL;
        }
    }

    mm_store *s = calloc(1, sizeof *s);
    if (!s) {
        say(why, whylen, "out of memory");
        return MM_ENOMEM;
    }
    if (opt)
        s->opt = *opt;
    else
        mm_store_options_default(&s->opt);
    s->ops = ops;
    mm_status_t st = ops->open(where, &s->opt, &s->be, why, whylen);
    if (st != MM_OK) {
        free(s);
        return st;
    }
    *out = s;
    return MM_OK;
}

void mm_store_close(mm_store *s)
{
    if (!s)
        return;
    s->ops->close(s->be);
    free(s);
}

const char *mm_store_backend(const mm_store *s)
{
    return s->ops->name;
}

const char *mm_store_error(const mm_store *s)
{
    return s ? s->err : "";
}

/* Record a backend failure for mm_store_error() and pass the status on. */
static mm_status_t failed(mm_store *s, mm_status_t st)
{
    if (st != MM_OK) {
        const char *e = s->ops->error(s->be);
        snprintf(s->err, sizeof s->err, "%s", e && e[0] ? e : mm_strerror(st));
    }
    return st;
}

static mm_status_t invalid(mm_store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return MM_EINVAL;
}

static mm_status_t begin(mm_store *s)
{
    s->err[0] = '\0';
    return failed(s, s->ops->begin(s->be));
}

/* Commit when st is MM_OK, else roll back; returns the first failure. */
static mm_status_t finish(mm_store *s, mm_status_t st)
{
    if (st == MM_OK)
        st = failed(s, s->ops->commit(s->be));
    if (st != MM_OK)
        s->ops->rollback(s->be);
    return st;
}

/* ---- addresses -------------------------------------------------------- */

/* A copy of addr with surrounding white space trimmed and the domain (after
 * the last '@') lower-cased; NULL when nothing is left (or out of memory:
 * *nomem tells). */
static char *normalise(mm_arena *ar, const char *addr, bool *nomem)
{
    *nomem = false;
    if (!addr)
        return NULL;
    while (*addr == ' ' || *addr == '\t' || *addr == '\r' || *addr == '\n')
        addr++;
    size_t n = strlen(addr);
    while (n && (addr[n - 1] == ' ' || addr[n - 1] == '\t' || addr[n - 1] == '\r' ||
                 addr[n - 1] == '\n'))
        n--;
    if (n == 0)
        return NULL;
    char *c = mm_arena_strndup(ar, addr, n);
    if (!c) {
        *nomem = true;
        return NULL;
    }
    char *at = strrchr(c, '@');
    if (at)
        for (char *p = at + 1; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    return c;
}

static mm_status_t normalise_all(mm_store *s, mm_arena *ar, const char *const *in, size_t n,
                                 const char ***out)
{
    const char **v = mm_arena_alloc(ar, (n ? n : 1) * sizeof *v);
    if (!v)
        return MM_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        bool nomem;
        v[i] = normalise(ar, in ? in[i] : NULL, &nomem);
        if (nomem)
            return MM_ENOMEM;
        if (!v[i])
            return invalid(s, "address %zu of %zu is empty", i + 1, n);
    }
    *out = v;
    return MM_OK;
}

const char *store_domain_of(const char *address)
{
    const char *at = strrchr(address, '@');
    return at ? at + 1 : "";
}

static const char *why_name(mm_arena *ar, const char *why)
{
    static const char *const known[] = {MM_WHY_HARD_BOUNCE, MM_WHY_COMPLAINT, MM_WHY_MANUAL,
                                        MM_WHY_GAVE_UP,     MM_WHY_IMPORTED,  ""};
    if (!why)
        return "";
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(why, known[i]) == 0)
            return known[i];
    return mm_arena_strdup(ar, why);
}

/* Rows loaded for a read-modify-write, copied out of the callbacks. */
typedef struct rows {
    mm_address_info *a;
    size_t n, cap;
    mm_arena *ar;
    bool nomem;
} rows;

static const char *dup(rows *r, const char *s)
{
    char *c = mm_arena_strdup(r->ar, s ? s : "");
    if (!c)
        r->nomem = true;
    return c ? c : "";
}

static int keep_row(void *arg, const mm_address_info *a)
{
    rows *r = arg;
    if (r->n >= r->cap)
        return 1;
    mm_address_info *c = &r->a[r->n++];
    *c = *a;
    c->address = dup(r, a->address);
    c->why = why_name(r->ar, a->why);
    c->note = dup(r, a->note);
    c->fix = dup(r, a->fix);
    c->outcome = dup(r, a->outcome);
    c->corrected = dup(r, a->corrected);
    c->source = dup(r, a->source);
    c->name = dup(r, a->name);
    if (!c->why)
        r->nomem = true;
    return 0;
}

static mm_status_t load_rows(mm_store *s, const char *const *addrs, size_t n, rows *r, mm_arena *ar)
{
    r->a = mm_arena_alloc(ar, (n ? n : 1) * sizeof *r->a);
    r->n = 0;
    r->cap = n;
    r->ar = ar;
    r->nomem = false;
    if (!r->a)
        return MM_ENOMEM;
    mm_status_t st = failed(s, s->ops->load_addresses(s->be, addrs, n, keep_row, r));
    if (st == MM_OK && r->nomem)
        st = MM_ENOMEM;
    if (st == MM_OK && r->n != n)
        st = invalid(s, "the backend returned %zu address rows for %zu addresses", r->n, n);
    return st;
}

/* ---- events ----------------------------------------------------------- */

static const char *nz(const char *s)
{
    return s ? s : "";
}

static int by_address_time(const void *x, const void *y)
{
    const mm_event *a = *(const mm_event *const *)x, *b = *(const mm_event *const *)y;
    int c = strcmp(a->address, b->address);
    if (c)
        return c;
    if (a->time != b->time)
        return a->time < b->time ? -1 : 1;
    return strcmp(a->key, b->key);
}

static mm_status_t copy_events(mm_store *s, mm_arena *ar, const mm_event *ev, size_t n,
                               mm_event **out)
{
    mm_event *c = mm_arena_alloc(ar, (n ? n : 1) * sizeof *c);
    if (!c)
        return MM_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const mm_event *e = &ev[i];
        bool nomem;
        if (!e->key || !e->key[0])
            return invalid(s, "event %zu of %zu has no key", i + 1, n);
        if (!e->action || !e->action[0])
            return invalid(s, "event %zu of %zu (%s) has no action", i + 1, n, e->key);
        c[i] = *e;
        c[i].address = normalise(ar, e->address, &nomem);
        if (nomem)
            return MM_ENOMEM;
        if (!c[i].address)
            return invalid(s, "event %zu of %zu (%s) has no address", i + 1, n, e->key);
        c[i].status = nz(e->status);
        c[i].provider = nz(e->provider);
        c[i].diagnostic = nz(e->diagnostic);
        c[i].remote_mta = nz(e->remote_mta);
        c[i].mta = nz(e->mta);
        c[i].subject = nz(e->subject);
        c[i].message_id = nz(e->message_id);
        c[i].origin = nz(e->origin);
    }
    *out = c;
    return MM_OK;
}

/* Run the policy over the new events: sorted by address then time, each
 * address's run of events is applied to its row in time order. */
static mm_status_t apply_policy(mm_store *s, mm_arena *ar, const mm_event **news, size_t k)
{
    qsort(news, k, sizeof *news, by_address_time);
    const char **addrs = mm_arena_alloc(ar, (k ? k : 1) * sizeof *addrs);
    size_t *first = mm_arena_alloc(ar, (k + 1) * sizeof *first);
    if (!addrs || !first)
        return MM_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (i == 0 || strcmp(news[i]->address, news[i - 1]->address) != 0) {
            first[m] = i;
            addrs[m++] = news[i]->address;
        }
    first[m] = k;

    rows r;
    mm_status_t st = load_rows(s, addrs, m, &r, ar);
    if (st != MM_OK)
        return st;
    size_t changed = 0;
    for (size_t g = 0; g < m; g++) {
        bool ch = false;
        for (size_t i = first[g]; i < first[g + 1]; i++)
            ch |= store_policy_apply(&s->opt.policy, &r.a[g], news[i]);
        if (ch)
            r.a[changed++] = r.a[g];
    }
    return changed ? failed(s, s->ops->save_addresses(s->be, r.a, changed)) : MM_OK;
}

static mm_status_t check_cursor(mm_store *s, const char *name, const char *value)
{
    if (name && (!name[0] || !value))
        return invalid(s, "cursor %s needs a name and a value", name[0] ? name : "\"\"");
    return MM_OK;
}

mm_status_t mm_store_add_events(mm_store *s, const mm_event *ev, size_t n, const char *cursor_name,
                                const char *cursor_value, size_t *added)
{
    mm_arena ar;
    mm_event *c = NULL;
    bool *ins = NULL;
    const mm_event **news = NULL;
    size_t k = 0;
    mm_status_t st;

    if (added)
        *added = 0;
    s->err[0] = '\0';
    if (n == 0 && !cursor_name)
        return MM_OK;
    mm_arena_init(&ar);
    if ((n && !ev) || (st = check_cursor(s, cursor_name, cursor_value)) != MM_OK ||
        (st = copy_events(s, &ar, ev, n, &c)) != MM_OK) {
        st = n && !ev ? invalid(s, "no events given") : st;
        goto done;
    }
    ins = calloc(n ? n : 1, sizeof *ins);
    news = calloc(n ? n : 1, sizeof *news);
    if (!ins || !news) {
        st = MM_ENOMEM;
        goto done;
    }
    if ((st = begin(s)) != MM_OK)
        goto done;
    st = failed(s, s->ops->insert_events(s->be, c, n, (int64_t)time(NULL), ins));
    for (size_t i = 0; st == MM_OK && i < n; i++)
        if (ins[i])
            news[k++] = &c[i];
    if (st == MM_OK && k)
        st = apply_policy(s, &ar, news, k);
    if (st == MM_OK && cursor_name)
        st = failed(s, s->ops->set_cursor(s->be, cursor_name, cursor_value, time(NULL)));
    st = finish(s, st);
    if (st == MM_OK && added)
        *added = k;
done:
    if (st == MM_ENOMEM && !s->err[0])
        snprintf(s->err, sizeof s->err, "out of memory");
    free(ins);
    free(news);
    mm_arena_free(&ar);
    return st;
}

mm_status_t mm_store_get_cursor(mm_store *s, const char *name, char **value)
{
    *value = NULL;
    s->err[0] = '\0';
    if (!name || !name[0])
        return invalid(s, "a cursor needs a name");
    return failed(s, s->ops->get_cursor(s->be, name, value));
}

mm_status_t mm_store_each_event(mm_store *s, const mm_event_filter *f, mm_event_cb cb, void *arg)
{
    mm_event_filter g = {0};
    mm_arena ar;
    mm_status_t st = MM_OK;
    s->err[0] = '\0';
    mm_arena_init(&ar);
    if (f) {
        g = *f;
        if (f->address) {
            bool nomem;
            g.address = normalise(&ar, f->address, &nomem);
            if (!g.address)
                st = nomem ? MM_ENOMEM : invalid(s, "the address to filter on is empty");
        }
    }
    if (st == MM_OK)
        st = failed(s, s->ops->each_event(s->be, &g, cb, arg));
    mm_arena_free(&ar);
    return st;
}

/* ---- addresses: check, list, suppress, annotate ------------------------ */

mm_status_t mm_store_check(mm_store *s, const char *const *addrs, size_t n, mm_address_cb cb,
                           void *arg)
{
    mm_arena ar;
    const char **v = NULL;
    s->err[0] = '\0';
    mm_arena_init(&ar);
    mm_status_t st =
        n && !addrs ? invalid(s, "no addresses given") : normalise_all(s, &ar, addrs, n, &v);
    if (st == MM_OK && n)
        st = failed(s, s->ops->load_addresses(s->be, v, n, cb, arg));
    mm_arena_free(&ar);
    return st;
}

mm_status_t mm_store_each_address(mm_store *s, const mm_address_filter *f, mm_address_cb cb,
                                  void *arg)
{
    mm_address_filter g = {0};
    if (f)
        g = *f;
    s->err[0] = '\0';
    return failed(s, s->ops->each_address(s->be, &g, cb, arg));
}

/* Inside a transaction: load n (normalised) addresses, let edit() change
 * each row, save them. */
typedef void (*edit_fn)(mm_address_info *a, const void *ctx);

static mm_status_t edit_rows(mm_store *s, mm_arena *ar, const char *const *v, size_t n,
                             edit_fn edit, const void *ctx)
{
    rows r;
    mm_status_t st = load_rows(s, v, n, &r, ar);
    for (size_t i = 0; st == MM_OK && i < n; i++) {
        r.a[i].address = v[i];
        edit(&r.a[i], ctx);
        r.a[i].known = true;
    }
    if (st == MM_OK)
        st = failed(s, s->ops->save_addresses(s->be, r.a, n));
    return st;
}

static mm_status_t edit_addresses(mm_store *s, const char *const *addrs, size_t n, edit_fn edit,
                                  const void *ctx)
{
    mm_arena ar;
    const char **v = NULL;
    s->err[0] = '\0';
    mm_arena_init(&ar);
    mm_status_t st =
        n && !addrs ? invalid(s, "no addresses given") : normalise_all(s, &ar, addrs, n, &v);
    if (st == MM_OK && n && (st = begin(s)) == MM_OK)
        st = finish(s, edit_rows(s, &ar, v, n, edit, ctx));
    if (st == MM_ENOMEM && !s->err[0])
        snprintf(s->err, sizeof s->err, "out of memory");
    mm_arena_free(&ar);
    return st;
}

typedef struct change {
    const char *why, *note;
    int64_t now;
} change;

static void do_suppress(mm_address_info *a, const void *ctx)
{
    const change *c = ctx;
    a->state = MM_ADDR_SUPPRESSED;
    a->why = c->why;
    a->retry_at = 0;
    if (c->note)
        a->note = c->note;
    a->updated = c->now;
}

static void do_unsuppress(mm_address_info *a, const void *ctx)
{
    const change *c = ctx;
    a->state = MM_ADDR_ACTIVE;
    a->why = "";
    store_policy_end_run(a);
    if (c->note)
        a->note = c->note;
    a->updated = c->now;
}

mm_status_t mm_store_suppress(mm_store *s, const char *const *addrs, size_t n, const char *why,
                              const char *note, int64_t now)
{
    change c = {why ? why : MM_WHY_MANUAL, note, now};
    if (strcmp(c.why, MM_WHY_MANUAL) != 0 && strcmp(c.why, MM_WHY_IMPORTED) != 0)
        return invalid(s, "suppress: why must be \"%s\" or \"%s\", not \"%s\"", MM_WHY_MANUAL,
                       MM_WHY_IMPORTED, c.why);
    return edit_addresses(s, addrs, n, do_suppress, &c);
}

mm_status_t mm_store_unsuppress(mm_store *s, const char *const *addrs, size_t n, const char *note,
                                int64_t now)
{
    change c = {"", note, now};
    return edit_addresses(s, addrs, n, do_unsuppress, &c);
}

typedef struct annotation {
    const mm_annotation *a;
    const char *corrected;
    int64_t now;
} annotation;

static void do_annotate(mm_address_info *a, const void *ctx)
{
    const annotation *an = ctx;
    if (an->a->fix)
        a->fix = an->a->fix;
    if (an->a->note)
        a->note = an->a->note;
    if (an->a->outcome) {
        a->outcome = an->a->outcome;
        if (strcmp(an->a->outcome, MM_OUTCOME_RESOLVED) == 0) {
            a->state = MM_ADDR_ACTIVE;
            a->why = "";
            store_policy_end_run(a);
            a->updated = an->now;
        }
    }
    if (an->corrected)
        a->corrected = an->corrected;
    /* Notes alone leave `updated` (the time of the last state change)
     * alone: a note written today must not make a bounce from yesterday,
     * ingested tomorrow, look late to the policy. */
}

/* The corrected address becomes a known row (active unless it already has
 * a state of its own); edit_rows() marks it known. */
static void do_known(mm_address_info *a, const void *ctx)
{
    (void)a;
    (void)ctx;
}

static bool outcome_ok(const char *o)
{
    return !o || !o[0] || strcmp(o, MM_OUTCOME_RESOLVED) == 0 ||
           strcmp(o, MM_OUTCOME_FAILING) == 0 || strcmp(o, MM_OUTCOME_LOST) == 0;
}

mm_status_t mm_store_annotate(mm_store *s, const char *addr, const mm_annotation *a, int64_t now)
{
    mm_arena ar;
    annotation an = {a, NULL, now};
    const char *old = NULL;
    bool nomem = false;
    mm_status_t st = MM_OK;
    s->err[0] = '\0';
    if (!a)
        return invalid(s, "annotate: nothing to record");
    if (!outcome_ok(a->outcome))
        return invalid(s, "annotate: unknown outcome \"%s\" (%s, %s or %s)", a->outcome,
                       MM_OUTCOME_RESOLVED, MM_OUTCOME_FAILING, MM_OUTCOME_LOST);
    mm_arena_init(&ar);
    if (!(old = normalise(&ar, addr, &nomem)))
        st = nomem ? MM_ENOMEM : invalid(s, "annotate: the address is empty");
    if (st == MM_OK && a->corrected && a->corrected[0]) {
        an.corrected = normalise(&ar, a->corrected, &nomem);
        if (!an.corrected)
            st = nomem ? MM_ENOMEM : invalid(s, "annotate: the corrected address is empty");
    } else if (a->corrected) {
        an.corrected = "";
    }
    if (st == MM_OK && (st = begin(s)) == MM_OK) {
        if (an.corrected && an.corrected[0] && strcmp(an.corrected, old) != 0)
            st = edit_rows(s, &ar, &an.corrected, 1, do_known, &an);
        if (st == MM_OK)
            st = edit_rows(s, &ar, &old, 1, do_annotate, &an);
        st = finish(s, st);
    }
    if (st == MM_ENOMEM && !s->err[0])
        snprintf(s->err, sizeof s->err, "out of memory");
    mm_arena_free(&ar);
    return st;
}

/* ---- contacts and deliveries ------------------------------------------ */

mm_status_t mm_store_add_contacts(mm_store *s, const mm_contact *c, size_t n, size_t *changed)
{
    mm_arena ar;
    mm_contact *v = NULL;
    mm_status_t st = MM_OK;
    if (changed)
        *changed = 0;
    s->err[0] = '\0';
    if (n && !c)
        return invalid(s, "no contacts given");
    mm_arena_init(&ar);
    v = mm_arena_alloc(&ar, (n ? n : 1) * sizeof *v);
    if (!v)
        st = MM_ENOMEM;
    for (size_t i = 0; st == MM_OK && i < n; i++) {
        bool nomem;
        v[i].address = normalise(&ar, c[i].address, &nomem);
        v[i].source = nz(c[i].source);
        v[i].name = nz(c[i].name);
        if (!v[i].address)
            st = nomem ? MM_ENOMEM : invalid(s, "contact %zu of %zu has no address", i + 1, n);
    }
    size_t ch = 0;
    if (st == MM_OK && n && (st = begin(s)) == MM_OK) {
        st = failed(s, s->ops->add_contacts(s->be, v, n, time(NULL), &ch));
        st = finish(s, st);
    }
    if (st == MM_OK && changed)
        *changed = ch;
    mm_arena_free(&ar);
    return st;
}

static int by_address_then_late(const void *x, const void *y)
{
    const mm_delivery *a = *(const mm_delivery *const *)x, *b = *(const mm_delivery *const *)y;
    int c = strcmp(a->address, b->address);
    if (c)
        return c;
    return a->time == b->time ? 0 : a->time > b->time ? -1 : 1;
}

/* New "sent" deliveries end the open soft runs of their addresses (the
 * latest one per address is enough).  Rows are only changed, never made:
 * most recipients of a mail log never bounced. */
static mm_status_t end_soft_runs(mm_store *s, mm_arena *ar, const mm_delivery *v, const bool *ins,
                                 size_t n)
{
    const mm_delivery **sent = mm_arena_alloc(ar, (n ? n : 1) * sizeof *sent);
    if (!sent)
        return MM_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (ins[i] && strcmp(v[i].outcome, "sent") == 0)
            sent[k++] = &v[i];
    if (k == 0)
        return MM_OK;
    qsort(sent, k, sizeof *sent, by_address_then_late);
    const char **addrs = mm_arena_alloc(ar, k * sizeof *addrs);
    int64_t *when = mm_arena_alloc(ar, k * sizeof *when);
    if (!addrs || !when)
        return MM_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (i == 0 || strcmp(sent[i]->address, sent[i - 1]->address) != 0) {
            addrs[m] = sent[i]->address;
            when[m++] = sent[i]->time;
        }
    rows r;
    mm_status_t st = load_rows(s, addrs, m, &r, ar);
    if (st != MM_OK)
        return st;
    size_t changed = 0;
    for (size_t g = 0; g < m; g++)
        if (store_policy_delivered(&r.a[g], when[g]))
            r.a[changed++] = r.a[g];
    return changed ? failed(s, s->ops->save_addresses(s->be, r.a, changed)) : MM_OK;
}

mm_status_t mm_store_add_deliveries(mm_store *s, const mm_delivery *d, size_t n,
                                    const char *cursor_name, const char *cursor_value,
                                    size_t *added)
{
    mm_arena ar;
    mm_delivery *v = NULL;
    bool *ins = NULL;
    mm_status_t st;
    if (added)
        *added = 0;
    s->err[0] = '\0';
    if (n && !d)
        return invalid(s, "no deliveries given");
    if ((st = check_cursor(s, cursor_name, cursor_value)) != MM_OK)
        return st;
    mm_arena_init(&ar);
    v = mm_arena_alloc(&ar, (n ? n : 1) * sizeof *v);
    ins = calloc(n ? n : 1, sizeof *ins);
    if (!v || !ins)
        st = MM_ENOMEM;
    for (size_t i = 0; st == MM_OK && i < n; i++) {
        bool nomem;
        v[i] = d[i];
        if (!d[i].key || !d[i].key[0])
            st = invalid(s, "delivery %zu of %zu has no key", i + 1, n);
        else if (!d[i].outcome || !d[i].outcome[0])
            st = invalid(s, "delivery %zu of %zu (%s) has no outcome", i + 1, n, d[i].key);
        else if (!(v[i].address = normalise(&ar, d[i].address, &nomem)))
            st = nomem ? MM_ENOMEM
                       : invalid(s, "delivery %zu of %zu (%s) has no address", i + 1, n, d[i].key);
        v[i].status = nz(d[i].status);
        v[i].reply = nz(d[i].reply);
        v[i].relay = nz(d[i].relay);
        v[i].queue_id = nz(d[i].queue_id);
        v[i].origin = nz(d[i].origin);
    }
    if (st == MM_OK && (st = begin(s)) == MM_OK) {
        st = failed(s, s->ops->insert_deliveries(s->be, v, n, ins));
        if (st == MM_OK)
            st = end_soft_runs(s, &ar, v, ins, n);
        if (st == MM_OK && cursor_name)
            st = failed(s, s->ops->set_cursor(s->be, cursor_name, cursor_value, time(NULL)));
        st = finish(s, st);
    }
    if (st == MM_OK && added)
        for (size_t i = 0; i < n; i++)
            *added += ins[i];
    if (st == MM_ENOMEM && !s->err[0])
        snprintf(s->err, sizeof s->err, "out of memory");
    free(ins);
    mm_arena_free(&ar);
    return st;
}

/* ---- statistics scans ------------------------------------------------- */

mm_status_t mm_store_each_stat_row(mm_store *s, int64_t since, int64_t until, mm_stat_row_cb cb,
                                   void *arg)
{
    s->err[0] = '\0';
    return failed(s, s->ops->each_stat_row(s->be, since, until, cb, arg));
}

mm_status_t mm_store_each_delivery_count(mm_store *s, int64_t since, int64_t until,
                                         mm_delivery_count_cb cb, void *arg)
{
    s->err[0] = '\0';
    return failed(s, s->ops->each_delivery_count(s->be, since, until, cb, arg));
}

mm_status_t mm_store_each_source_count(mm_store *s, mm_source_count_cb cb, void *arg)
{
    s->err[0] = '\0';
    return failed(s, s->ops->each_source_count(s->be, cb, arg));
}
