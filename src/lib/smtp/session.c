/*
 * session.c - one probe job as SMTP sessions: the dialogue and its verdicts.
 *
 * A job tries the domain's MXs in order.  Each attempt is one session:
 *
 *   connect, banner          failure or 4xx: try the next MX
 *   EHLO (HELO if 5xx)       RFC 5321 4.1.4 fallback for old servers
 *   STARTTLS, EHLO           when offered and wanted; a failed handshake
 *                            retries the same MX once without TLS, as
 *                            opportunistic TLS does (RFC 3207 section 4.1)
 *   MAIL FROM                the null sender unless configured
 *   RCPT TO each address     2xx accepted, 4xx tempfail, 5xx rejected
 *                            (5.7.x: a policy refusal of us, "blocked")
 *   RCPT TO random@domain    accepted too: the domain is a catch-all
 *   QUIT                     never DATA, so no message is ever sent
 *
 * Whatever stops a session early is written into every recipient not yet
 * answered, so each recipient always ends with a verdict, the stage it
 * came from and the server's words (or our own message id when the server
 * said nothing).
 */
#include "smtp/smtp_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include "smtp/conn.h"

#define N_(s) s

typedef enum sess_rc {
    SESS_CONTINUE, /* go on with the next step */
    SESS_NEXT_MX,  /* this MX did not serve us; try the next one */
    SESS_PLAIN,    /* TLS failed; retry this MX without STARTTLS */
    SESS_DONE,     /* every recipient has its verdict */
    SESS_ABORTED,  /* the prober is shutting down */
} sess_rc;

typedef struct session {
    const smtp_cfg *cfg;
    smtp_job *j;
    const char *mx;
    SSL_CTX *tls_ctx; /* NULL: no STARTTLS in this session */
    smtp_conn conn;
    mm_smtp_reply rep;
    bool tls;
    bool broken;  /* an I/O failure: the connection is not worth a QUIT */
    unsigned ext; /* EHLO keywords of the current (TLS or plain) session */
} session;

static void set_result(session *s, size_t i, mm_smtp_verdict v, const char *stage,
                       const mm_smtp_reply *rep, const char *msgid)
{
    mm_smtp_result *r = &s->j->res[i];
    size_t len = 0;
    r->verdict = v;
    r->stage = stage;
    r->tls = s->tls;
    r->reply_code = rep ? rep->code : 0;
    snprintf(r->enhanced, sizeof r->enhanced, "%s", rep ? rep->enhanced : "");
    r->reply[0] = '\0';
    if (rep)
        mm_smtp_sanitize(r->reply, sizeof r->reply, &len, rep->text, rep->text_len);
    else
        snprintf(r->reply, sizeof r->reply, "%s", msgid);
    len = 0;
    r->mx[0] = '\0';
    mm_smtp_sanitize(r->mx, sizeof r->mx, &len, s->mx, strlen(s->mx));
}

/* Give every recipient not yet answered the same verdict. */
static void fail_rest(session *s, mm_smtp_verdict v, const char *stage, const mm_smtp_reply *rep,
                      const char *msgid)
{
    for (size_t i = 0; i < s->j->n_rcpt; i++)
        if (!s->j->answered[i])
            set_result(s, i, v, stage, rep, msgid);
}

/* Record an I/O failure at stage; SESS_DONE unless aborted. */
static sess_rc fail_io(session *s, smtp_io io, const char *stage)
{
    s->broken = true;
    switch (io) {
    case SMTP_IO_ABORTED:
        return SESS_ABORTED;
    case SMTP_IO_TIMEOUT:
        fail_rest(s, MM_SMTP_TIMEOUT, stage, NULL, N_("no reply within the time limit"));
        break;
    case SMTP_IO_CLOSED:
        fail_rest(s, MM_SMTP_CONN_FAILED, stage, NULL, N_("connection closed by the server"));
        break;
    case SMTP_IO_BAD:
        fail_rest(s, MM_SMTP_PROTOCOL_ERROR, stage, NULL, N_("malformed reply from the server"));
        break;
    case SMTP_IO_TOOBIG:
        fail_rest(s, MM_SMTP_PROTOCOL_ERROR, stage, NULL, N_("reply from the server too long"));
        break;
    case SMTP_IO_TLS:
        fail_rest(s, MM_SMTP_PROTOCOL_ERROR, stage, NULL, N_("TLS handshake failed"));
        break;
    default:
        fail_rest(s, MM_SMTP_CONN_FAILED, stage, NULL, N_("network error"));
        break;
    }
    return SESS_DONE;
}

/* A failure to connect, with the reason a person can act on. */
static void fail_connect(session *s, smtp_io io)
{
    const char *msg = N_("connection failed");
    mm_smtp_verdict v = MM_SMTP_CONN_FAILED;
    if (io == SMTP_IO_TIMEOUT) {
        v = MM_SMTP_TIMEOUT;
        msg = N_("connection timed out (is outgoing port 25 blocked?)");
    } else if (s->conn.err == ECONNREFUSED)
        msg = N_("connection refused");
    else if (s->conn.err == ENETUNREACH)
        msg = N_("network unreachable");
    else if (s->conn.err == EHOSTUNREACH)
        msg = N_("host unreachable");
    fail_rest(s, v, "connect", NULL, msg);
}

/* Send one command line (without CRLF) and read the reply into s->rep. */
static smtp_io command(session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static smtp_io command(session *s, const char *fmt, ...)
{
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 2, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line - 2)
        return SMTP_IO_TOOBIG; /* cannot happen: every argument is length-checked */
    memcpy(line + n, "\r\n", 2);
    int64_t deadline = mm_smtp_now_ms() + s->cfg->o.command_timeout_ms;
    smtp_io io = smtp_conn_send(&s->conn, line, (size_t)n + 2, deadline);
    return io != SMTP_IO_OK ? io : smtp_conn_reply(&s->conn, &s->rep, deadline);
}

/* The EHLO/HELO argument: the configured name, else our address literal. */
static void helo_name(session *s, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char ip[INET6_ADDRSTRLEN] = "127.0.0.1";
    if (s->cfg->o.helo) {
        snprintf(out, cap, "%s", s->cfg->o.helo);
        return;
    }
    if (getsockname(s->conn.fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof ip);
            snprintf(out, cap, "[IPv6:%s]", ip); /* RFC 5321 4.1.3 */
            return;
        }
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip);
    }
    snprintf(out, cap, "[%s]", ip);
}

/* EHLO, or HELO when the server does not know EHLO (RFC 5321 4.1.4). */
static sess_rc hello(session *s)
{
    char name[300];
    helo_name(s, name, sizeof name);
    smtp_io io = command(s, "EHLO %s", name);
    if (io != SMTP_IO_OK)
        return fail_io(s, io, "ehlo");
    if (s->rep.code / 100 == 2) {
        s->ext = s->rep.ext;
        return SESS_CONTINUE;
    }
    if (s->rep.code / 100 == 5 && s->rep.code != 554) {
        if ((io = command(s, "HELO %s", name)) != SMTP_IO_OK)
            return fail_io(s, io, "ehlo");
        s->ext = 0;
        if (s->rep.code / 100 == 2)
            return SESS_CONTINUE;
    }
    fail_rest(s, s->rep.code / 100 == 4 ? MM_SMTP_TEMPFAIL : MM_SMTP_BLOCKED, "ehlo", &s->rep,
              NULL);
    return SESS_DONE;
}

/* STARTTLS when offered and wanted, then EHLO again (RFC 3207 4.2: what the
 * server said before TLS no longer counts). */
static sess_rc starttls(session *s)
{
    if (!s->tls_ctx || !(s->ext & MM_SMTP_EXT_STARTTLS))
        return SESS_CONTINUE;
    smtp_io io = command(s, "STARTTLS");
    if (io != SMTP_IO_OK)
        return fail_io(s, io, "starttls");
    if (s->rep.code != 220)
        return SESS_CONTINUE; /* e.g. 454 TLS not available: go on in plain text */
    int64_t deadline = mm_smtp_now_ms() + s->cfg->o.command_timeout_ms;
    io = smtp_conn_starttls(&s->conn, s->tls_ctx, NULL, deadline);
    if (io == SMTP_IO_TLS) {
        fail_io(s, io, "starttls");
        return SESS_PLAIN;
    }
    if (io != SMTP_IO_OK)
        return fail_io(s, io, "starttls");
    s->tls = true;
    return hello(s);
}

static bool needs_utf8(const char *a)
{
    for (; *a; a++)
        if ((unsigned char)*a >= 0x80)
            return true;
    return false;
}

/* Recipients with UTF-8 need SMTPUTF8 (RFC 6531 3.4); without it they
 * cannot be asked about.  True if any UTF-8 recipient is left to send. */
static bool check_utf8(session *s)
{
    bool any = false;
    for (size_t i = 0; i < s->j->n_rcpt; i++) {
        if (s->j->answered[i] || !needs_utf8(s->j->rcpt[i]))
            continue;
        if (s->ext & MM_SMTP_EXT_SMTPUTF8)
            any = true;
        else {
            set_result(s, i, MM_SMTP_PROTOCOL_ERROR, "rcpt", NULL,
                       N_("address not sent: the server does not support SMTPUTF8"));
            s->j->answered[i] = true;
        }
    }
    return any;
}

static sess_rc mail_from(session *s)
{
    bool utf8 = check_utf8(s);
    smtp_io io = command(s, "MAIL FROM:<%s>%s", s->cfg->o.mail_from, utf8 ? " SMTPUTF8" : "");
    if (io != SMTP_IO_OK)
        return fail_io(s, io, "mail");
    switch (s->rep.code / 100) {
    case 2:
        return SESS_CONTINUE;
    case 4:
        fail_rest(s, MM_SMTP_TEMPFAIL, "mail", &s->rep, NULL);
        break;
    case 5:
        fail_rest(s, MM_SMTP_BLOCKED, "mail", &s->rep, NULL);
        break;
    default:
        fail_rest(s, MM_SMTP_PROTOCOL_ERROR, "mail", &s->rep, NULL);
    }
    return SESS_DONE;
}

/* The verdict of a reply to RCPT TO.  A 5.7.x code (RFC 3463: security or
 * policy) refuses us, the client (a DNSBL listing, relaying denied), and
 * says nothing about whether the mailbox exists. */
static mm_smtp_verdict rcpt_verdict(const mm_smtp_reply *r)
{
    switch (r->code / 100) {
    case 2:
        return MM_SMTP_ACCEPTED;
    case 4:
        return MM_SMTP_TEMPFAIL;
    case 5:
        return strncmp(r->enhanced, "5.7.", 4) == 0 ? MM_SMTP_BLOCKED : MM_SMTP_REJECTED;
    default:
        return MM_SMTP_PROTOCOL_ERROR;
    }
}

static sess_rc rcpt_all(session *s, bool *any_accepted)
{
    for (size_t i = 0; i < s->j->n_rcpt; i++) {
        if (s->j->answered[i])
            continue;
        smtp_io io = command(s, "RCPT TO:<%s>", s->j->rcpt[i]);
        if (io != SMTP_IO_OK)
            return fail_io(s, io, "rcpt");
        mm_smtp_verdict v = rcpt_verdict(&s->rep);
        set_result(s, i, v, "rcpt", &s->rep, NULL);
        s->j->answered[i] = true;
        *any_accepted |= v == MM_SMTP_ACCEPTED;
        if (s->rep.code == 421) { /* the server is closing the session (RFC 5321 3.8) */
            s->broken = true;
            fail_rest(s, MM_SMTP_TEMPFAIL, "rcpt", &s->rep, NULL);
            return SESS_DONE;
        }
    }
    return SESS_CONTINUE;
}

/* A local part nobody has: 16 random letters and digits. */
static void random_local(char *out, size_t n)
{
    static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char rnd[32];
    if (n > sizeof rnd + 1)
        n = sizeof rnd + 1;
    if (getrandom(rnd, n - 1, GRND_NONBLOCK) != (ssize_t)(n - 1)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        unsigned long x = (unsigned long)ts.tv_nsec ^ ((unsigned long)ts.tv_sec << 20) ^
                          (unsigned long)(uintptr_t)out;
        for (size_t i = 0; i < n - 1; i++) {
            x = x * 6364136223846793005UL + 1442695040888963407UL;
            rnd[i] = (unsigned char)(x >> 33);
        }
    }
    for (size_t i = 0; i < n - 1; i++)
        out[i] = set[rnd[i] % (sizeof set - 1)];
    out[n - 1] = '\0';
}

/* Ask about a random local part; if it is accepted too, acceptance of the
 * real ones proves nothing.  Its own refusal or failure changes nothing. */
static sess_rc catch_all(session *s)
{
    char local[17];
    random_local(local, sizeof local);
    smtp_io io = command(s, "RCPT TO:<%s@%s>", local, s->j->domain);
    if (io == SMTP_IO_ABORTED)
        return SESS_ABORTED;
    s->broken = io != SMTP_IO_OK;
    if (io != SMTP_IO_OK || s->rep.code / 100 != 2)
        return SESS_CONTINUE;
    for (size_t i = 0; i < s->j->n_rcpt; i++)
        if (s->j->res[i].verdict == MM_SMTP_ACCEPTED)
            s->j->res[i].verdict = MM_SMTP_CATCH_ALL;
    return SESS_CONTINUE;
}

/* Turn an IP literal into a socket address without any lookup. */
static bool parse_addr(const char *mx, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[INET6_ADDRSTRLEN + 32], serv[8];
    size_t n = strlen(mx);
    if (n >= 2 && mx[0] == '[' && mx[n - 1] == ']') {
        mx++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof host)
        return false;
    memcpy(host, mx, n);
    host[n] = '\0';
    snprintf(serv, sizeof serv, "%u", port);
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, serv, &hints, &ai) != 0 || !ai)
        return false;
    bool ok = ai->ai_addrlen <= sizeof *ss;
    if (ok) {
        memcpy(ss, ai->ai_addr, ai->ai_addrlen);
        *len = ai->ai_addrlen;
    }
    freeaddrinfo(ai);
    return ok;
}

/* Connect and read the banner.  SESS_NEXT_MX when this MX cannot serve us. */
static sess_rc open_session(session *s)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    if (!parse_addr(s->mx, s->cfg->o.port, &ss, &len)) {
        fail_rest(s, MM_SMTP_CONN_FAILED, "connect", NULL,
                  N_("not an IP address (host names are not looked up here)"));
        return SESS_NEXT_MX;
    }
    smtp_io io = smtp_conn_open(&s->conn, (struct sockaddr *)&ss, len, s->cfg->o.connect_timeout_ms,
                                s->cfg->abort_fd);
    if (io == SMTP_IO_ABORTED)
        return SESS_ABORTED;
    if (io != SMTP_IO_OK) {
        fail_connect(s, io);
        return SESS_NEXT_MX;
    }
    /* RFC 5321 4.5.3.2.1 allows 5 minutes for the greeting; see smtp.h. */
    io = smtp_conn_reply(&s->conn, &s->rep, mm_smtp_now_ms() + s->cfg->o.command_timeout_ms);
    if (io != SMTP_IO_OK)
        return fail_io(s, io, "banner") == SESS_ABORTED ? SESS_ABORTED : SESS_NEXT_MX;
    switch (s->rep.code / 100) {
    case 2:
        return SESS_CONTINUE;
    case 4:
        fail_rest(s, MM_SMTP_TEMPFAIL, "banner", &s->rep, NULL);
        return SESS_NEXT_MX;
    case 5:
        fail_rest(s, MM_SMTP_BLOCKED, "banner", &s->rep, NULL);
        return SESS_DONE;
    default:
        fail_rest(s, MM_SMTP_PROTOCOL_ERROR, "banner", &s->rep, NULL);
        return SESS_DONE;
    }
}

/* Polite goodbye; its outcome does not matter, so it gets little time. */
static void quit(session *s)
{
    int64_t deadline = mm_smtp_now_ms() + 2000;
    if (smtp_conn_send(&s->conn, "QUIT\r\n", 6, deadline) == SMTP_IO_OK)
        smtp_conn_reply(&s->conn, &s->rep, deadline);
}

/* One session against s->mx, with or without STARTTLS. */
static sess_rc session_run(session *s, bool use_tls)
{
    bool accepted = false;
    s->tls_ctx = use_tls ? s->cfg->tls : NULL;
    s->tls = false;
    s->broken = false;
    s->ext = 0;
    sess_rc rc = open_session(s);
    if (rc == SESS_CONTINUE)
        rc = hello(s);
    if (rc == SESS_CONTINUE)
        rc = starttls(s);
    if (rc == SESS_CONTINUE)
        rc = mail_from(s);
    if (rc == SESS_CONTINUE)
        rc = rcpt_all(s, &accepted);
    if (rc == SESS_CONTINUE && accepted && s->cfg->o.detect_catch_all)
        rc = catch_all(s);
    if (rc != SESS_ABORTED && rc != SESS_PLAIN && s->conn.fd >= 0 && !s->broken)
        quit(s);
    if (rc == SESS_CONTINUE)
        rc = SESS_DONE;
    smtp_conn_close(&s->conn);
    return rc;
}

/* Addresses that cannot be sent as they are: empty, too long, or with
 * control characters (a CR or LF would inject commands). */
static bool sendable(const char *a)
{
    size_t n = strlen(a);
    if (n == 0 || n > MM_SMTP_PATH_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)a[i] < 0x20 || a[i] == 0x7F)
            return false;
    return true;
}

bool mm_smtp_run_job(const smtp_cfg *cfg, smtp_job *j)
{
    session s = {.cfg = cfg, .j = j, .mx = ""};
    s.conn.fd = -1;
    const char *why = NULL;
    mm_smtp_verdict v = MM_SMTP_CONN_FAILED;
    if (mm_smtp_always_accepts(j->domain)) {
        v = MM_SMTP_ALWAYS_ACCEPTS;
        why = N_("not probed: this provider accepts every recipient at RCPT TO");
    } else if (j->n_mx == 0)
        why = N_("no MX address to connect to");
    for (size_t i = 0; i < j->n_rcpt; i++) {
        if (!why && sendable(j->rcpt[i]))
            continue;
        set_result(&s, i, why ? v : MM_SMTP_PROTOCOL_ERROR, why ? "connect" : "rcpt", NULL,
                   why ? why : N_("address not sent: empty, too long or with control characters"));
        j->answered[i] = true;
    }
    sess_rc rc = SESS_NEXT_MX;
    for (size_t m = 0; !why && m < j->n_mx && m < MM_SMTP_MAX_MX_TRIES; m++) {
        s.mx = j->mx[m];
        rc = session_run(&s, true);
        if (rc == SESS_PLAIN)
            rc = session_run(&s, false);
        if (rc != SESS_NEXT_MX)
            break;
    }
    return rc != SESS_ABORTED;
}
