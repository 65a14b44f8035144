/*
 * prober.c - run probe jobs concurrently, within per-domain limits.
 *
 * Design: a small pool of worker threads, each running one SMTP session at
 * a time with a non-blocking socket and poll()-based deadlines (conn.c).
 * Why threads and not one event loop: probes are few (the limits below keep
 * them few on purpose: dozens of sessions, not thousands) and spend their
 * life waiting on the network, so a thread each costs little; and a session
 * then reads as the dialogue it is, including OpenSSL's STARTTLS handshake,
 * which in a state machine would have to be unwound into WANT_READ /
 * WANT_WRITE states at every step.  The scheduler is one mutex-protected
 * FIFO of jobs; a worker takes the first job whose domain may start a
 * session now:
 *
 *   - concurrency: fewer than per_domain_concurrency sessions of that
 *     domain are running (a counter per domain, i.e. a semaphore);
 *   - rate: its start time has come.  Each domain keeps the earliest time
 *     its next session may start, pushed 1/per_domain_rate seconds ahead at
 *     each start (a token bucket holding one token, so no bursts);
 *   - max_sessions: the number of workers.
 *
 * When no job may start, workers sleep until the earliest start time or
 * until a job is submitted or finishes.  The scan is linear in the queue,
 * which is fine: a session lasts far longer than a scan of even thousands
 * of jobs.  Domains are kept in a hash table for the prober's life so their
 * rate state survives between submissions.  Threads are started on demand,
 * one per job up to max_sessions, and stay until the prober is freed.  Freeing the prober makes a
 * pipe readable, which wakes every session's poll() at once.
 */
#include "smtp/smtp_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "smtp/conn.h"

#define DOMAIN_BUCKETS 1024
#define WORKER_STACK (1024 * 1024)

typedef struct smtp_domain {
    struct smtp_domain *next; /* hash chain */
    char *name;               /* lower case */
    size_t running;
    int64_t next_start; /* mm_smtp_now_ms() time */
} smtp_domain;

struct mm_smtp_prober {
    smtp_cfg cfg;
    char *helo, *mail_from; /* owned copies behind cfg.o */
    int wake[2];            /* wake[0] is cfg.abort_fd */
    int64_t interval_ms;    /* between session starts per domain; 0: no limit */

    pthread_mutex_t mu; /* everything below */
    pthread_cond_t work;
    pthread_cond_t idle;
    smtp_job *head, *tail;
    size_t queued, running;
    size_t n_threads, idle_threads;
    pthread_t *threads; /* max_sessions */
    bool stopping;
    smtp_domain *domains[DOMAIN_BUCKETS];

    pthread_mutex_t cb_mu; /* callbacks run one at a time */
};

/* -- jobs ------------------------------------------------------------- */

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

static char **strv_dup(const char *const *v, size_t n)
{
    char **out = calloc(n ? n : 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++) {
        if (!(out[i] = strdup(v[i] ? v[i] : ""))) {
            strv_free(out, i);
            return NULL;
        }
    }
    return out;
}

static void job_free(smtp_job *j)
{
    if (!j)
        return;
    free(j->domain);
    strv_free(j->mx, j->n_mx);
    strv_free(j->rcpt, j->n_rcpt);
    free(j->res);
    free(j->answered);
    free(j);
}

static smtp_job *job_new(const char *domain, const char *const *mx, size_t n_mx,
                         const char *const *rcpt, size_t n_rcpt, size_t first)
{
    smtp_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->n_mx = n_mx;
    j->n_rcpt = n_rcpt;
    j->first = first;
    j->domain = strdup(domain);
    j->mx = strv_dup(mx, n_mx);
    j->rcpt = strv_dup(rcpt + first, n_rcpt);
    j->res = calloc(n_rcpt, sizeof *j->res);
    j->answered = calloc(n_rcpt, sizeof *j->answered);
    if (!j->domain || !j->mx || !j->rcpt || !j->res || !j->answered) {
        if (!j->mx)
            j->n_mx = 0;
        if (!j->rcpt)
            j->n_rcpt = 0;
        job_free(j);
        return NULL;
    }
    return j;
}

/* -- domains (called with mu held) ------------------------------------ */

static size_t domain_hash(const char *s)
{
    size_t h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)(*s >= 'A' && *s <= 'Z' ? *s + 32 : *s);
    return h % DOMAIN_BUCKETS;
}

static smtp_domain *domain_get(mm_smtp_prober *p, const char *name)
{
    size_t h = domain_hash(name);
    for (smtp_domain *d = p->domains[h]; d; d = d->next)
        if (strcasecmp(d->name, name) == 0)
            return d;
    smtp_domain *d = calloc(1, sizeof *d);
    if (!d || !(d->name = strdup(name))) {
        free(d);
        return NULL;
    }
    d->next = p->domains[h];
    p->domains[h] = d;
    return d;
}

/* The first job that may start now; else *wake_at gets the earliest time a
 * rate-limited one may (or stays -1 if only concurrency holds them back). */
static smtp_job *pick(mm_smtp_prober *p, int64_t now, int64_t *wake_at)
{
    smtp_job *prev = NULL;
    *wake_at = -1;
    for (smtp_job *j = p->head; j; prev = j, j = j->next) {
        smtp_domain *d = j->dom;
        if (d->running >= p->cfg.o.per_domain_concurrency)
            continue;
        if (d->next_start > now) {
            if (*wake_at < 0 || d->next_start < *wake_at)
                *wake_at = d->next_start;
            continue;
        }
        if (prev)
            prev->next = j->next;
        else
            p->head = j->next;
        if (p->tail == j)
            p->tail = prev;
        j->next = NULL;
        p->queued--;
        d->running++;
        d->next_start = now + p->interval_ms;
        return j;
    }
    return NULL;
}

/* -- workers ---------------------------------------------------------- */

static void deliver(mm_smtp_prober *p, smtp_job *j)
{
    pthread_mutex_lock(&p->cb_mu);
    for (size_t i = 0; i < j->n_rcpt; i++)
        j->cb(j->arg, j->first + i, &j->res[i]);
    pthread_mutex_unlock(&p->cb_mu);
}

static void cond_wait_until(mm_smtp_prober *p, int64_t wake_at)
{
    if (wake_at < 0) {
        pthread_cond_wait(&p->work, &p->mu);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t left = wake_at - mm_smtp_now_ms();
    if (left <= 0)
        return;
    ts.tv_sec += left / 1000;
    ts.tv_nsec += (left % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&p->work, &p->mu, &ts);
}

static void *worker(void *arg)
{
    mm_smtp_prober *p = arg;
    /* OpenSSL writes with write(): a server that hung up must give EPIPE,
     * not a SIGPIPE that kills the program.  Only our own threads are
     * touched; the process's signal handling is left alone. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    pthread_mutex_lock(&p->mu);
    while (!p->stopping) {
        int64_t wake_at;
        smtp_job *j = pick(p, mm_smtp_now_ms(), &wake_at);
        if (!j) {
            p->idle_threads++;
            cond_wait_until(p, wake_at);
            p->idle_threads--;
            continue;
        }
        p->running++;
        pthread_mutex_unlock(&p->mu);

        bool done = mm_smtp_run_job(&p->cfg, j);
        /* A SIGPIPE left pending by a write to a dead connection. */
        struct timespec zero = {0, 0};
        while (sigtimedwait(&set, NULL, &zero) > 0)
            ;
        if (done)
            deliver(p, j);

        pthread_mutex_lock(&p->mu);
        j->dom->running--;
        p->running--;
        job_free(j);
        if (p->queued == 0 && p->running == 0)
            pthread_cond_broadcast(&p->idle);
        pthread_cond_broadcast(&p->work); /* a domain slot is free again */
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Start workers until there is one per job (running, queued and n_new),
 * up to max_sessions; called with mu held.  Fails only if there is no
 * worker at all afterwards. */
static mm_status_t ensure_workers(mm_smtp_prober *p, size_t n_new)
{
    size_t want = p->running + p->queued + n_new;
    if (want > p->cfg.o.max_sessions)
        want = p->cfg.o.max_sessions;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, WORKER_STACK);
    while (p->n_threads < want) {
        if (pthread_create(&p->threads[p->n_threads], &attr, worker, p) != 0)
            break;
        p->n_threads++;
    }
    pthread_attr_destroy(&attr);
    return p->n_threads > 0 ? MM_OK : MM_ENOMEM;
}

/* -- public ----------------------------------------------------------- */

/* HELO names and MAIL FROM paths go on a command line: printable ASCII only. */
static bool printable(const char *s, size_t max, bool space_ok)
{
    size_t n = strlen(s);
    if (n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '!' || s[i] > '~' || (!space_ok && s[i] == ' '))
            return false;
    return true;
}

/* The host name, if it is fully qualified (RFC 5321 4.1.1.1); else NULL. */
static char *host_name(void)
{
    char name[256] = "";
    if (gethostname(name, sizeof name - 1) != 0 || !strchr(name, '.') ||
        !printable(name, 255, false))
        return NULL;
    return strdup(name);
}

static mm_status_t fill_cfg(mm_smtp_prober *p, const mm_smtp_opts *o)
{
    mm_smtp_opts d;
    mm_smtp_opts_default(&d);
    p->cfg.o = *o;
    mm_smtp_opts *c = &p->cfg.o;
    if (!c->port)
        c->port = d.port;
    if (c->port > 65535)
        return MM_EINVAL;
    if (c->connect_timeout_ms <= 0)
        c->connect_timeout_ms = d.connect_timeout_ms;
    if (c->command_timeout_ms <= 0)
        c->command_timeout_ms = d.command_timeout_ms;
    if (!c->per_domain_concurrency)
        c->per_domain_concurrency = d.per_domain_concurrency;
    if (c->per_domain_rate == 0)
        c->per_domain_rate = d.per_domain_rate;
    if (!c->max_sessions)
        c->max_sessions = d.max_sessions;
    p->interval_ms = c->per_domain_rate > 0 ? (int64_t)(1000.0 / c->per_domain_rate) : 0;
    if ((o->helo && (!*o->helo || !printable(o->helo, 255, false))) ||
        (o->mail_from && !printable(o->mail_from, MM_SMTP_PATH_MAX, false)))
        return MM_EINVAL;
    p->helo = o->helo ? strdup(o->helo) : host_name();
    p->mail_from = strdup(o->mail_from ? o->mail_from : "");
    if ((o->helo && !p->helo) || !p->mail_from)
        return MM_ENOMEM;
    c->helo = p->helo;
    c->mail_from = p->mail_from;
    return MM_OK;
}

/* A TLS client context for opportunistic STARTTLS: no certificate check
 * (a probe sends nothing worth protecting, and MX certificates are often
 * self-signed or for another name), and every protocol version, because
 * the point is only to talk to the server the way other MTAs do. */
static SSL_CTX *tls_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    return ctx;
}

mm_status_t mm_smtp_prober_create(const mm_smtp_opts *o, mm_smtp_prober **out)
{
    mm_smtp_opts d;
    if (!out)
        return MM_EINVAL;
    *out = NULL;
    if (!o) {
        mm_smtp_opts_default(&d);
        o = &d;
    }
    mm_smtp_prober *p = calloc(1, sizeof *p);
    if (!p)
        return MM_ENOMEM;
    p->wake[0] = p->wake[1] = -1;
    mm_status_t st = fill_cfg(p, o);
    if (st != MM_OK)
        goto fail;
    st = MM_ENOMEM;
    p->threads = calloc(p->cfg.o.max_sessions, sizeof *p->threads);
    if (!p->threads || pipe2(p->wake, O_CLOEXEC | O_NONBLOCK) != 0)
        goto fail;
    p->cfg.abort_fd = p->wake[0];
    if (p->cfg.o.starttls && !(p->cfg.tls = tls_ctx()))
        goto fail;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->work, &ca);
    pthread_cond_init(&p->idle, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&p->mu, NULL);
    pthread_mutex_init(&p->cb_mu, NULL);
    *out = p;
    return MM_OK;
fail:
    if (p->wake[0] >= 0) {
        close(p->wake[0]);
        close(p->wake[1]);
    }
    SSL_CTX_free(p->cfg.tls);
    free(p->threads);
    free(p->helo);
    free(p->mail_from);
    free(p);
    return st;
}

void mm_smtp_prober_free(mm_smtp_prober *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    if (write(p->wake[1], "x", 1) < 0) {
        /* The pipe is empty and non-blocking: this cannot fail usefully. */
    }
    for (size_t i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    for (smtp_job *j = p->head, *next; j; j = next) {
        next = j->next;
        job_free(j);
    }
    for (size_t h = 0; h < DOMAIN_BUCKETS; h++) {
        for (smtp_domain *d = p->domains[h], *next; d; d = next) {
            next = d->next;
            free(d->name);
            free(d);
        }
    }
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->idle);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->cb_mu);
    close(p->wake[0]);
    close(p->wake[1]);
    SSL_CTX_free(p->cfg.tls);
    free(p->threads);
    free(p->helo);
    free(p->mail_from);
    free(p);
}

/* Split the recipients into jobs of MM_SMTP_RCPTS_PER_JOB; a list of them. */
static smtp_job *make_jobs(const char *domain, const char *const *mx, size_t n_mx,
                           const char *const *rcpts, size_t n_rcpts, mm_smtp_cb cb, void *arg,
                           smtp_job **last)
{
    smtp_job *head = NULL, **tail = &head;
    *last = NULL;
    for (size_t first = 0; first < n_rcpts; first += MM_SMTP_RCPTS_PER_JOB) {
        size_t n =
            n_rcpts - first < MM_SMTP_RCPTS_PER_JOB ? n_rcpts - first : MM_SMTP_RCPTS_PER_JOB;
        smtp_job *j = job_new(domain, mx, n_mx, rcpts, n, first);
        if (!j) {
            while (head) {
                smtp_job *next = head->next;
                job_free(head);
                head = next;
            }
            return NULL;
        }
        j->cb = cb;
        j->arg = arg;
        *tail = *last = j;
        tail = &j->next;
    }
    return head;
}

mm_status_t mm_smtp_probe_domain(mm_smtp_prober *p, const char *domain, const char *const *mx_addrs,
                                 size_t n_mx, const char *const *rcpts, size_t n_rcpts,
                                 mm_smtp_cb cb, void *arg)
{
    if (!p || !domain || !cb || (n_mx && !mx_addrs) || (n_rcpts && !rcpts))
        return MM_EINVAL;
    /* The domain goes on the catch-all RCPT TO line: no control characters. */
    size_t dlen = strlen(domain);
    if (dlen == 0 || dlen > 255)
        return MM_EINVAL;
    for (size_t i = 0; i < dlen; i++)
        if ((unsigned char)domain[i] < 0x20 || domain[i] == 0x7F)
            return MM_EINVAL;
    if (n_rcpts == 0)
        return MM_OK;
    smtp_job *last, *jobs = make_jobs(domain, mx_addrs, n_mx, rcpts, n_rcpts, cb, arg, &last);
    if (!jobs)
        return MM_ENOMEM;
    pthread_mutex_lock(&p->mu);
    size_t n = 0;
    for (smtp_job *j = jobs; j; j = j->next)
        n++;
    smtp_domain *d = domain_get(p, domain);
    mm_status_t st = d ? ensure_workers(p, n) : MM_ENOMEM;
    if (st == MM_OK) {
        for (smtp_job *j = jobs; j; j = j->next)
            j->dom = d;
        if (p->tail)
            p->tail->next = jobs;
        else
            p->head = jobs;
        p->tail = last;
        p->queued += n;
        pthread_cond_broadcast(&p->work);
    }
    pthread_mutex_unlock(&p->mu);
    if (st != MM_OK) {
        while (jobs) {
            smtp_job *next = jobs->next;
            job_free(jobs);
            jobs = next;
        }
    }
    return st;
}

mm_status_t mm_smtp_prober_wait(mm_smtp_prober *p)
{
    if (!p)
        return MM_EINVAL;
    pthread_mutex_lock(&p->mu);
    while (p->queued > 0 || p->running > 0)
        pthread_cond_wait(&p->idle, &p->mu);
    pthread_mutex_unlock(&p->mu);
    return MM_OK;
}
