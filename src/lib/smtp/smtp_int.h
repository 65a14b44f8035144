/*
 * smtp_int.h - what the smtp module's files share (internal).
 *
 * prober.c schedules jobs; session.c runs one job (one domain, up to
 * MM_SMTP_RCPTS_PER_JOB recipients) as SMTP sessions against its MXs.
 */
#ifndef MM_SMTP_INT_H
#define MM_SMTP_INT_H

#include <mailmedic/smtp.h>
#include <openssl/ssl.h>

/* Recipients per session: Postfix starts sleeping after smtpd_soft_error_limit
 * (10) refused commands and hangs up after smtpd_hard_error_limit (20). */
#define MM_SMTP_RCPTS_PER_JOB 10
/* MX addresses tried per job, like a sending MTA's limit on attempts
 * (Postfix smtp_mx_address_limit is 5). */
#define MM_SMTP_MAX_MX_TRIES 5
/* Longest path sent: RFC 5321 4.5.3.1.3 allows 256 octets with the brackets. */
#define MM_SMTP_PATH_MAX 254

/* The prober's settings, read-only while jobs run. */
typedef struct smtp_cfg {
    mm_smtp_opts o; /* defaults filled in; o.helo NULL: use the address literal */
    SSL_CTX *tls;   /* NULL when o.starttls is off */
    int abort_fd;   /* readable once the prober is being freed */
} smtp_cfg;

struct smtp_domain;

/* One session's worth of work: some recipients of one domain. */
typedef struct smtp_job {
    struct smtp_job *next;
    struct smtp_domain *dom; /* scheduling state, owned by the prober */
    char *domain;
    char **mx;
    size_t n_mx;
    char **rcpt;
    size_t n_rcpt;
    size_t first; /* index of rcpt[0] in the caller's array */
    mm_smtp_cb cb;
    void *arg;
    mm_smtp_result *res; /* n_rcpt results */
    bool *answered;      /* res[i] is final for this job */
} smtp_job;

/* Run a job: fill j->res for every recipient.  False if it was aborted
 * (the prober is being freed), in which case res is incomplete. */
bool mm_smtp_run_job(const smtp_cfg *cfg, smtp_job *j);

#endif
