/*
 * smtp.h - the optional SMTP probe behind `mailmedic verify --smtp`.
 *
 * For each domain the caller hands over the MX addresses (already resolved
 * by the DNS layer, in preference order) and the recipients to check.  The
 * prober opens one SMTP session per attempt and asks the server about each
 * recipient the way a sending MTA would, but stops before any message is
 * sent:
 *
 *     banner, EHLO (HELO if refused), STARTTLS when offered, EHLO again,
 *     MAIL FROM, RCPT TO for each address, RCPT TO a random local part
 *     (catch-all test), QUIT.  Never DATA.
 *
 * It connects only to the addresses it is given (IP literals; no lookups).
 * Many domains are probed at once, with a bound per domain (sessions at the
 * same time and sessions per second) and overall (max_sessions).
 *
 * What a verdict means, and which wins: REJECTED is the only verdict that
 * says the address does not exist; ACCEPTED says the server would take it
 * (weakened by CATCH_ALL and ALWAYS_ACCEPTS, where acceptance proves
 * nothing); every other verdict is "unknown": a 4xx (greylisting, a full
 * queue, 452) is TEMPFAIL, never REJECTED, and a failure of our own session
 * (CONN_FAILED, TIMEOUT, PROTOCOL_ERROR, BLOCKED) says nothing about the
 * address.  Read docs/VERIFY.md ("SMTP probe") before turning this on: port
 * 25 is blocked on many networks, and probing can get the probing address
 * listed.
 */
#ifndef MAILMEDIC_SMTP_H
#define MAILMEDIC_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <mailmedic/export.h>
#include <mailmedic/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Options.  Fill with mm_smtp_opts_default() and change what you need; zero
 * in a numeric field also means "the default".  The strings are borrowed
 * only during mm_smtp_prober_create(), which copies them.
 *
 * Why shorter timeouts than RFC 5321 section 4.5.3.2 (5 minutes for the
 * greeting, MAIL and RCPT; 2 to 3 minutes elsewhere): those figures keep a
 * sending MTA from giving up on a busy server and delaying real mail.  A
 * probe is interactive and only advisory; a server that takes longer than
 * 30 s to answer one command gets TIMEOUT ("unknown"), which costs the user
 * nothing.  30 s still covers deliberate greeting delays (tarpits, Postfix
 * postscreen) and slow anti-spam gateways.  10 s to connect: a network that
 * blocks port 25 usually drops the SYN silently, and waiting for the
 * kernel's own TCP timeout (about 2 minutes) on every MX would stall a run.
 * command_timeout_ms bounds the whole reply, not each read, so a server
 * that trickles a byte at a time cannot hold a session open.
 */
typedef struct mm_smtp_opts {
    const char *helo;      /* EHLO/HELO name; NULL (default): the host name if it is a
                            * fully qualified name, else the address literal of our end of
                            * the connection, e.g. "[192.0.2.7]" (RFC 5321 4.1.4) */
    const char *mail_from; /* MAIL FROM path; default "" = the null sender <> */
    unsigned port;         /* default 25; tests use a loopback port */
    int connect_timeout_ms;       /* default 10000 */
    int command_timeout_ms;       /* per command, the whole reply; default 30000 */
    bool starttls;                /* default true: use STARTTLS when the server offers it */
    bool detect_catch_all;        /* default true: RCPT TO a random local part as well */
    size_t per_domain_concurrency; /* sessions to one domain at the same time; default 2 */
    double per_domain_rate;        /* sessions started per second per domain; default 1.0;
                                    * negative: no rate limit */
    size_t max_sessions;           /* sessions at the same time overall; default 32 */
} mm_smtp_opts;

/* Fill *o with the defaults above. */
MM_EXTERN void mm_smtp_opts_default(mm_smtp_opts *o);

typedef enum mm_smtp_verdict {
    MM_SMTP_ACCEPTED = 0,    /* 2xx on RCPT TO */
    MM_SMTP_REJECTED,        /* 5xx on RCPT TO (not a 5.7.x policy refusal: see BLOCKED) */
    MM_SMTP_TEMPFAIL,        /* 4xx anywhere (greylisting, 452, 421): unknown, retry later;
                              * never "invalid" */
    MM_SMTP_CATCH_ALL,       /* accepted, but a random local part was accepted too */
    MM_SMTP_ALWAYS_ACCEPTS,  /* a provider known to accept every RCPT TO (e.g. Yahoo, AOL)
                              * and bounce later; such domains are not contacted */
    MM_SMTP_CONN_FAILED,     /* could not connect to any MX, or the server hung up */
    MM_SMTP_TIMEOUT,         /* connecting or a command timed out */
    MM_SMTP_PROTOCOL_ERROR,  /* a malformed or oversized reply, a failed TLS handshake, an
                              * address that cannot be sent (control characters, UTF-8
                              * without SMTPUTF8) */
    MM_SMTP_BLOCKED,         /* our probe was refused: 5xx at banner, EHLO/HELO or MAIL, or a
                              * 5.7.x policy code at RCPT (e.g. a DNSBL listing, relay denied) */
    MM_SMTP_VERDICT_MAX_
} mm_smtp_verdict;

/* A stable lower-case id for JSON ("accepted", "rejected", "tempfail", "catch_all",
 * "always_accepts", "conn_failed", "timeout", "protocol_error", "blocked");
 * "unknown" for a value out of range.  Static, never NULL. */
MM_EXTERN const char *mm_smtp_verdict_name(mm_smtp_verdict v);

typedef struct mm_smtp_result {
    mm_smtp_verdict verdict;
    int reply_code;     /* the server's last reply code (e.g. 550); 0 if it gave none */
    char enhanced[16];  /* its enhanced status code (RFC 3463, e.g. "5.1.1"), or "" */
    char reply[512];    /* the server's last reply text, one line, sanitised (control
                         * characters become spaces, invalid UTF-8 becomes '?'), without
                         * the codes.  When reply_code is 0 it is instead one of our
                         * English message ids (e.g. "connection refused"), which a
                         * program may translate with dgettext("mailmedic", reply). */
    char mx[256];       /* the MX address used (as given), "" if none was tried */
    bool tls;           /* STARTTLS was used in the session */
    const char *stage;  /* where the verdict was decided: "connect", "banner", "ehlo",
                         * "starttls", "mail" or "rcpt"; static */
} mm_smtp_result;

/* Runs many probes concurrently with per-domain limits.  Opaque. */
typedef struct mm_smtp_prober mm_smtp_prober;

/*
 * Create a prober.  o may be NULL for the defaults.  Returns MM_EINVAL for
 * a HELO name (at most 255 bytes) or MAIL FROM path (at most 254) that is
 * not printable ASCII without spaces, or a port above 65535; MM_ENOMEM
 * otherwise on failure.  No thread is started and no connection made until the first
 * mm_smtp_probe_domain().  Free with mm_smtp_prober_free().
 */
MM_EXTERN mm_status_t mm_smtp_prober_create(const mm_smtp_opts *o, mm_smtp_prober **out);

/*
 * Free a prober; NULL is a no-op.  Sessions still running are aborted
 * (promptly: their waits are woken) and probes still queued are dropped,
 * without callbacks.  Call mm_smtp_prober_wait() first to get every
 * result.  Never call from a callback.
 */
MM_EXTERN void mm_smtp_prober_free(mm_smtp_prober *p);

/*
 * The callback gets each recipient's result: index is the recipient's
 * position in the rcpts array given to mm_smtp_probe_domain(); r is
 * borrowed for the duration of the call.  Results come in no particular
 * order (sessions end when they end).  Callbacks run on the prober's
 * worker threads, but never two at once (one lock serialises them), so a
 * callback may write to shared state without locking of its own.  A
 * callback may submit more work with mm_smtp_probe_domain() but must not
 * call mm_smtp_prober_wait() or mm_smtp_prober_free().
 */
typedef void (*mm_smtp_cb)(void *arg, size_t index, const mm_smtp_result *r);

/*
 * Queue the probe of one domain's recipients and return at once; cb is
 * called exactly once per recipient (unless the prober is freed first).
 * Everything is copied: the arrays and strings may be freed on return.
 *
 *   mx_addrs: IP literals ("192.0.2.1", "2001:db8::1", "[2001:db8::1]") in
 *             the order to try; host names are refused (no lookups here).
 *             The next MX is tried when connecting fails or times out, the
 *             server hangs up before its greeting, or the greeting is 4xx; at
 *             most 5 are tried.  With no MX every recipient gets
 *             CONN_FAILED.
 *   rcpts:    full addresses, sent as given inside <>.  At most 10 go into
 *             one session (several sessions then count against the domain's
 *             limits): servers start delaying or disconnecting after about
 *             10 to 20 refused recipients (Postfix smtpd_soft_error_limit
 *             and smtpd_hard_error_limit).
 *
 * Returns MM_EINVAL for NULL arrays with non-zero counts, a NULL callback,
 * or a domain that is NULL, empty, longer than 255 bytes or holds control
 * characters, MM_ENOMEM when the copies or the first worker thread cannot
 * be made (nothing is queued then).
 */
MM_EXTERN mm_status_t mm_smtp_probe_domain(mm_smtp_prober *p, const char *domain,
                                           const char *const *mx_addrs, size_t n_mx,
                                           const char *const *rcpts, size_t n_rcpts,
                                           mm_smtp_cb cb, void *arg);

/* Wait until every submitted probe has finished and its callbacks returned.
 * Returns MM_OK.  Never call from a callback. */
MM_EXTERN mm_status_t mm_smtp_prober_wait(mm_smtp_prober *p);

/* True if domain belongs to a provider that accepts every RCPT TO and bounces
 * later (the ALWAYS_ACCEPTS table); such domains are never probed. */
MM_EXTERN bool mm_smtp_always_accepts(const char *domain);

#ifdef __cplusplus
}
#endif
#endif
