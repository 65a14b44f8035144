/*
 * smtp.c - the probe's tables: default options, verdict names, and the
 * providers whose answer at RCPT TO means nothing.
 */
#include <mailmedic/smtp.h>

#include <string.h>
#include <strings.h>

void mm_smtp_opts_default(mm_smtp_opts *o)
{
    memset(o, 0, sizeof *o);
    o->helo = NULL;
    o->mail_from = "";
    o->port = 25;
    o->connect_timeout_ms = 10000; /* why these values: see smtp.h */
    o->command_timeout_ms = 30000;
    o->starttls = true;
    o->detect_catch_all = true;
    o->per_domain_concurrency = 2;
    o->per_domain_rate = 1.0;
    o->max_sessions = 32;
}

/* When you add a verdict, add its id here and in docs/VERIFY.md. */
static const char *const verdict_names[MM_SMTP_VERDICT_MAX_] = {
    [MM_SMTP_ACCEPTED] = "accepted",
    [MM_SMTP_REJECTED] = "rejected",
    [MM_SMTP_TEMPFAIL] = "tempfail",
    [MM_SMTP_CATCH_ALL] = "catch_all",
    [MM_SMTP_ALWAYS_ACCEPTS] = "always_accepts",
    [MM_SMTP_CONN_FAILED] = "conn_failed",
    [MM_SMTP_TIMEOUT] = "timeout",
    [MM_SMTP_PROTOCOL_ERROR] = "protocol_error",
    [MM_SMTP_BLOCKED] = "blocked",
};

const char *mm_smtp_verdict_name(mm_smtp_verdict v)
{
    if ((unsigned)v >= MM_SMTP_VERDICT_MAX_ || !verdict_names[v])
        return "unknown";
    return verdict_names[v];
}

/*
 * Domains served by Yahoo's MXs (*.yahoodns.net), which answer 250 to any
 * RCPT TO and bounce afterwards, so a probe reports every address as
 * existing (reacherhq/check-if-email-exists#580, which checks these through
 * other means; shared/research/anchors.md A.4).  AOL and Verizon mail moved
 * onto the same platform (Verizon Media, 2017).  Yahoo Japan (yahoo.co.jp)
 * is a different company with its own servers and is not listed.
 */
static const char *const always_accepts[] = {
    "yahoo.com",    "yahoo.co.uk",  "yahoo.co.in",  "yahoo.co.id",  "yahoo.co.nz",
    "yahoo.com.au", "yahoo.com.ar", "yahoo.com.br", "yahoo.com.hk", "yahoo.com.mx",
    "yahoo.com.my", "yahoo.com.ph", "yahoo.com.sg", "yahoo.com.tw", "yahoo.com.vn",
    "yahoo.ca",     "yahoo.de",     "yahoo.dk",     "yahoo.es",     "yahoo.fr",
    "yahoo.gr",     "yahoo.ie",     "yahoo.in",     "yahoo.it",     "yahoo.no",
    "yahoo.pl",     "yahoo.ro",     "yahoo.se",     "ymail.com",    "rocketmail.com",
    "aol.com",      "aol.co.uk",    "aol.de",       "aol.fr",       "aim.com",
    "verizon.net",
};

bool mm_smtp_always_accepts(const char *domain)
{
    if (!domain)
        return false;
    size_t n = strlen(domain);
    if (n > 0 && domain[n - 1] == '.') /* the root label */
        n--;
    for (size_t i = 0; i < sizeof always_accepts / sizeof always_accepts[0]; i++)
        if (strlen(always_accepts[i]) == n && strncasecmp(always_accepts[i], domain, n) == 0)
            return true;
    return false;
}
