/*
 * output.c - text, JSON Lines and CSV renderings of a report.
 * When you add a column, add it to all three and to docs/FORMATS.md.
 *
 * JSON and CSV carry the stable machine names (reason, category, severity)
 * and the advice texts in the user's language; the text format shows
 * translated labels next to the machine names.  Every string written is
 * valid UTF-8: bytes a bounce carried that are not UTF-8 become U+FFFD
 * (the JSON writer below does it as it escapes, CSV through utf8_clean()).
 */
#include "output.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "fmt.h"

/*
 * _(msgid) of an advice text, remembered per thread, with what the JSON
 * writer needs of it.  Each recipient asks for two to four of them and a
 * catalogue look-up costs about as much as writing the recipient's whole
 * JSON line.  The texts are the advice table's constant strings, so their
 * address names them; the language is chosen once, at start-up (i18n.c),
 * before any report is written.
 */
typedef struct advice_memo {
    const char *id, *text;
    size_t len;
    bool verbatim; /* JSON: written as it is between quotes (json_verbatim) */
} advice_memo;

/*
 * An open-addressing table (linear probing, never evicting): the msgids are
 * a fixed set of constant strings, fewer than half the slots.  A slot that
 * is replaced on collision made two hot texts evict each other (-f text
 * then looked up one text per recipient in the catalogue again).  Should the
 * table ever fill, the text is looked up without being kept.
 */
static const advice_memo *advice_entry(const char *msgid)
{
    enum { BITS = 9, SLOTS = 1 << BITS, PROBES = 16 }; /* more than the advice table's strings */
    static _Thread_local advice_memo memo[SLOTS];
    static _Thread_local advice_memo spare;
    /* Fibonacci hashing: neighbouring addresses (one table's strings) spread out */
    size_t slot = (size_t)(((uint64_t)(uintptr_t)msgid * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - BITS));
    advice_memo *m = &spare;
    for (size_t i = 0; msgid && i < PROBES; i++) {
        advice_memo *e = &memo[(slot + i) & (SLOTS - 1)];
        if (e->id == msgid)
            return e;
        if (!e->id) {
            m = e;
            break;
        }
    }
    m->text = _(msgid);
    m->id = msgid;
    m->len = m->text ? strlen(m->text) : 0;
    m->verbatim = m->text && json_verbatim(m->text, m->len);
    return m;
}

static const char *advice_text(const char *msgid)
{
    return advice_entry(msgid)->text;
}

/* _(msgid) for the program's own constant msgids (labels), through the same
 * memo: the text format asks for about a dozen per recipient. */
static const char *tr(const char *msgid)
{
    return advice_entry(msgid)->text;
}

/* Strings appended in order, up to a NULL (printf's "%s%s..." without its
 * cost: the text format writes a dozen such lines per recipient); false
 * when a byte could not be appended. */
static bool put_all(mm_buf *b, ...)
{
    va_list ap;
    bool ok = true;
    va_start(ap, b);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        ok &= mm_buf_puts(b, s) == MM_OK;
    va_end(ap);
    return ok;
}

/* key (kl bytes; "" for an array's first element) then the text as a JSON string. */
static void jc_advice(jc *c, const char *key, size_t kl, const advice_memo *m)
{
    if (!m->verbatim) {
        jc_strn(c, key, kl, m->text, m->len);
    } else if (jc_room(c, kl + m->len + 2)) {
        memcpy(c->d, key, kl);
        c->d[kl] = '"';
        memcpy(c->d + kl + 1, m->text, m->len);
        c->d[kl + 1 + m->len] = '"';
        c->d += kl + m->len + 2;
    }
}

static const char *const csv_cols[] = {
    "source",           "index",         "kind",    "recipient",   "action",
    "status",           "reply_code",    "reason",  "hard_bounce", "category",
    "severity",         "retry_after",   "summary", "actions",     "diagnostic",
    "remote_mta",       "reporting_mta", "date",    "provider",    "original_message_id",
    "original_subject", "mta",           NULL};

void out_header(const out_opts *o, bool bom, mm_buf *b)
{
    if (o->format != OUT_CSV)
        return;
    if (bom)
        mm_buf_puts(b, "\xEF\xBB\xBF");
    for (size_t i = 0; csv_cols[i]; i++) {
        if (i)
            mm_buf_putc(b, ',');
        mm_buf_puts(b, csv_cols[i]);
    }
    mm_buf_puts(b, "\r\n");
}

/*
 * The members from "reason" to "actions" (JSON), and the cells from reason
 * to actions (CSV), depend only on the verdict (reason, hard or soft, the
 * advice), and a run has few distinct verdicts: each is written once per
 * thread and format and then copied.  The texts are the advice table's
 * constant strings (see advice_entry), so the key holds addresses.
 */
typedef struct verdict_key {
    const char *summary, *actions[MM_MAX_ACTIONS];
    long retry_after;
    int reason, category, severity, hard_bounce;
    int part; /* which piece of the format's output (the text format keeps two) */
} verdict_key;

/* An open-addressing table (linear probing, at most VERDICT_PROBES slots
 * looked at, never evicting): with one slot per hash, two verdicts that
 * shared it wrote each other out again and again, and every rewrite took
 * pool room until the pool was full (on 2,000 messages: 40 verdicts, ~190
 * written). */
enum { VERDICT_BITS = 8, VERDICT_PROBES = 16, VERDICT_POOL = 64 << 10 };

typedef struct verdict_memo {
    struct {
        verdict_key key;
        size_t off, len; /* in pool; len 0: empty */
    } slot[1 << VERDICT_BITS];
    char pool[VERDICT_POOL]; /* filled once; when full, verdicts are written each time */
    size_t used;
} verdict_memo;

static verdict_key verdict_of(const mm_recipient *p, int part)
{
    verdict_key k;
    memset(&k, 0, sizeof k); /* padding too: keys are compared with memcmp */
    k.part = part;
    k.summary = p->advice.summary;
    for (size_t i = 0; i < MM_MAX_ACTIONS && p->advice.actions[i]; i++)
        k.actions[i] = p->advice.actions[i];
    k.retry_after = p->advice.retry_after;
    k.reason = (int)p->reason;
    k.category = (int)p->advice.category;
    k.severity = (int)p->advice.severity;
    k.hard_bounce = p->hard_bounce;
    return k;
}

static size_t verdict_slot(const verdict_key *k)
{
    uint64_t h = (uint64_t)(uintptr_t)k->summary ^ (uint64_t)(uintptr_t)k->actions[0] << 1 ^
                 (uint64_t)(uintptr_t)k->actions[1] << 2 ^ (uint64_t)k->retry_after ^
                 (uint64_t)k->reason << 32 ^ (uint64_t)k->hard_bounce << 40 ^
                 (uint64_t)k->part << 48;
    return (size_t)((h * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - VERDICT_BITS));
}

/* The bytes kept for k (*len of them), or NULL; then *at is the free slot
 * where k would go, or SIZE_MAX when the probes found none. */
static const char *verdict_find(const verdict_memo *m, const verdict_key *k, size_t *len,
                                size_t *at)
{
    size_t h = verdict_slot(k);
    *at = SIZE_MAX;
    for (size_t n = 0; n < VERDICT_PROBES; n++) {
        size_t i = (h + n) & ((1u << VERDICT_BITS) - 1);
        if (!m->slot[i].len) {
            *at = i;
            return NULL;
        }
        if (memcmp(&m->slot[i].key, k, sizeof *k) == 0) {
            *len = m->slot[i].len;
            return m->pool + m->slot[i].off;
        }
    }
    return NULL;
}

/* Keep the bytes written for k in free slot i (from verdict_find), while
 * the pool has room. */
static void verdict_keep(verdict_memo *m, size_t i, const verdict_key *k, const char *bytes,
                         size_t len)
{
    if (i == SIZE_MAX || !len || len > VERDICT_POOL - m->used)
        return;
    memcpy(m->pool + m->used, bytes, len);
    m->slot[i].key = *k;
    m->slot[i].off = m->used;
    m->slot[i].len = len;
    m->used += len;
}

static void json_verdict_members(jc *c, const mm_recipient *p)
{
    jc_str(c, JC_KEY("reason"), mm_reason_tostr(p->reason));
    if (p->hard_bounce)
        jc_raw(c, JC_LIT(",\"hard_bounce\":true"));
    else
        jc_raw(c, JC_LIT(",\"hard_bounce\":false"));
    jc_str(c, JC_KEY("category"), mm_category_tostr(p->advice.category));
    jc_str(c, JC_KEY("severity"), mm_severity_tostr(p->advice.severity));
    if (p->advice.retry_after == MM_RETRY_NEVER)
        jc_raw(c, JC_LIT(",\"retry_after\":null"));
    else
        jc_int(c, JC_KEY("retry_after"), p->advice.retry_after);
    jc_advice(c, JC_KEY("summary"), advice_entry(p->advice.summary));
    jc_raw(c, JC_LIT(",\"actions\":["));
    for (size_t i = 0; i < MM_MAX_ACTIONS && p->advice.actions[i]; i++)
        jc_advice(c, ",", i ? 1 : 0, advice_entry(p->advice.actions[i]));
    jc_raw(c, JC_LIT("]"));
}

static void json_verdict(jc *c, const mm_recipient *p)
{
    static _Thread_local verdict_memo memo;
    verdict_key k = verdict_of(p, 0);
    size_t i, len;
    const char *kept = verdict_find(&memo, &k, &len, &i);
    if (kept) {
        jc_raw(c, kept, len);
        return;
    }
    /* nothing can be written when room already failed; an offset, as jc_grow may move the data */
    if (c->failed || !c->d)
        return;
    size_t from = (size_t)(c->d - c->b->data);
    json_verdict_members(c, p);
    if (c->failed)
        return;
    verdict_keep(&memo, i, &k, c->b->data + from, (size_t)(c->d - c->b->data) - from);
}

/* ,"kind":"..." as written the first time for that kind, per thread (a
 * strlen and an escape per line less). */
static void json_kind(jc *c, mm_kind_t k)
{
    enum { KINDS = 8, KIND_MAX = 64 };
    static _Thread_local struct {
        size_t len; /* 0: not written yet */
        char s[KIND_MAX];
    } memo[KINDS];
    if ((unsigned)k < KINDS && memo[k].len) {
        jc_raw(c, memo[k].s, memo[k].len);
        return;
    }
    if (c->failed || !c->d)
        return;
    size_t from = (size_t)(c->d - c->b->data);
    jc_str(c, JC_KEY("kind"), mm_kind_tostr(k));
    size_t len = c->failed ? 0 : (size_t)(c->d - c->b->data) - from;
    if ((unsigned)k < KINDS && len && len <= KIND_MAX) {
        memcpy(memo[k].s, c->b->data + from, len);
        memo[k].len = len;
    }
}

size_t out_source_room(size_t n)
{
    return n + 1 + json_room(n);
}

size_t out_source_put(char *blk, const char *name, size_t n, out_source *src)
{
    memcpy(blk, name, n);
    blk[n] = '\0';
    char *json = blk + n + 1;
    src->name = blk;
    src->json = json;
    src->json_len = (size_t)(json_put_string(json, name, n) - json);
    return n + 1 + src->json_len;
}

char *out_source_dup(const char *name, out_source *src)
{
    size_t n = strlen(name);
    char *blk = malloc(out_source_room(n));
    if (!blk)
        return NULL;
    out_source_put(blk, name, n, src);
    return blk;
}

/* {"source":... opening a JSON line */
static void json_source(jc *c, const out_source *src)
{
    enum { KL = sizeof("{\"source\":") - 1 };
    if (!src->json) {
        jc_str(c, JC_FIRST("source"), src->name);
    } else if (jc_room(c, KL + src->json_len)) {
        memcpy(c->d, "{\"source\":", KL);
        memcpy(c->d + KL, src->json, src->json_len);
        c->d += KL + src->json_len;
    }
}

static void json_one(const out_source *src, size_t index, const mm_report *r,
                     const mm_recipient *p, mm_buf *b)
{
    const mm_original *og = mm_report_original(r);
    jc c = jc_begin(b);
    json_source(&c, src);
    jc_int(&c, JC_KEY("index"), (long long)index);
    json_kind(&c, mm_report_kind(r));
    jc_str(&c, JC_KEY("recipient"), p->recipient);
    jc_str_or_null(&c, JC_KEY("action"), p->action);
    jc_str_or_null(&c, JC_KEY("status"), p->status);
    if (p->reply_code)
        jc_int(&c, JC_KEY("reply_code"), p->reply_code);
    else
        jc_raw(&c, JC_LIT(",\"reply_code\":null"));
    json_verdict(&c, p);
    jc_str(&c, JC_KEY("diagnostic"), p->diagnostic);
    jc_str_or_null(&c, JC_KEY("remote_mta"), p->remote_mta);
    jc_str_or_null(&c, JC_KEY("reporting_mta"), p->reporting_mta);
    jc_str_or_null(&c, JC_KEY("date"), p->date);
    jc_str_or_null(&c, JC_KEY("provider"), p->provider);
    jc_str_or_null(&c, JC_KEY("original_message_id"), og->message_id);
    jc_str_or_null(&c, JC_KEY("original_subject"), og->subject);
    jc_str(&c, JC_KEY("mta"), mm_report_mta(r));
    jc_end(&c);
}

/* The cells from reason to actions, each after a comma; false when a byte
 * could not be appended. */
static bool csv_verdict_cells(const mm_recipient *p, mm_buf *b)
{
    char retry[32];
    if (p->advice.retry_after == MM_RETRY_NEVER)
        retry[0] = '\0';
    else
        *json_put_number(retry, p->advice.retry_after) = '\0';
    mm_buf acts = MM_BUF_INIT;
    bool ok = true;
    for (size_t i = 0; i < MM_MAX_ACTIONS && p->advice.actions[i]; i++) {
        if (i)
            ok &= mm_buf_puts(&acts, " | ") == MM_OK;
        ok &= mm_buf_puts(&acts, advice_text(p->advice.actions[i])) == MM_OK;
    }
    const char *v[] = {mm_reason_tostr(p->reason),
                       p->hard_bounce ? "true" : "false",
                       mm_category_tostr(p->advice.category),
                       mm_severity_tostr(p->advice.severity),
                       retry,
                       advice_text(p->advice.summary),
                       mm_buf_str(&acts)};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        ok &= csv_field(b, v[i], false);
    mm_buf_free(&acts);
    return ok;
}

/*
 * What write() appends for p's verdict, through memo m (see json_verdict):
 * copied when kept, else written and kept if every byte was appended.
 */
static void verdict_put(verdict_memo *m, int part, const mm_recipient *p, mm_buf *b,
                        bool (*write)(const mm_recipient *, mm_buf *))
{
    verdict_key k = verdict_of(p, part);
    size_t i, len;
    const char *kept = verdict_find(m, &k, &len, &i);
    if (kept) {
        mm_buf_append(b, kept, len);
        return;
    }
    size_t from = b->len;
    if (write(p, b) && b->len > from)
        verdict_keep(m, i, &k, b->data + from, b->len - from);
}

static void csv_verdict(const mm_recipient *p, mm_buf *b)
{
    static _Thread_local verdict_memo memo;
    verdict_put(&memo, 0, p, b, csv_verdict_cells);
}

static void csv_one(const char *source, size_t index, const mm_report *r, const mm_recipient *p,
                    mm_buf *b)
{
    const mm_original *og = mm_report_original(r);
    /* the numbers as printf writes them, without its cost per record */
    char idx[32], reply[32];
    *json_put_number(idx, (long long)index) = '\0';
    *json_put_number(reply, p->reply_code) = '\0';
    const char *head[] = {source,   idx,       mm_kind_tostr(mm_report_kind(r)), p->recipient,
                          p->action, p->status, p->reply_code ? reply : ""};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        csv_field(b, head[i], i == 0);
    csv_verdict(p, b);
    const char *tail[] = {p->diagnostic, p->remote_mta, p->reporting_mta, p->date,
                          p->provider,   og->message_id, og->subject,     mm_report_mta(r)};
    for (size_t i = 0; i < sizeof tail / sizeof tail[0]; i++)
        csv_field(b, tail[i], false);
    mm_buf_puts(b, "\r\n");
}

static const char *sev_color(mm_severity_t s)
{
    switch (s) {
    case MM_SEVERITY_CRITICAL: return "\033[1;31m";
    case MM_SEVERITY_HIGH: return "\033[31m";
    case MM_SEVERITY_MEDIUM: return "\033[33m";
    case MM_SEVERITY_LOW: return "\033[36m";
    default: return "\033[32m";
    }
}

static const char *sev_label(mm_severity_t s)
{
    static const char *const names[] = {N_("none"), N_("low"), N_("medium"), N_("high"),
                                        N_("critical")};
    return tr(names[s <= MM_SEVERITY_CRITICAL ? s : 0]);
}

/* Short labels (msgids); the machine names stay beside them in the text. */
static const char *reason_msgid(mm_reason_t r)
{
    static const char *const names[MM_REASON_COUNT_] = {
        [MM_REASON_UNDEFINED] = N_("unknown reason"),
        [MM_REASON_AUTHFAILURE] = N_("SPF/DKIM/DMARC failed"),
        [MM_REASON_BADREPUTATION] = N_("poor sender reputation"),
        [MM_REASON_BLOCKED] = N_("sending server blocked"),
        [MM_REASON_CONTENTERROR] = N_("message format refused"),
        [MM_REASON_DELIVERED] = N_("delivered"),
        [MM_REASON_EXCEEDLIMIT] = N_("over the receiver's limit"),
        [MM_REASON_EXPIRED] = N_("delayed or expired"),
        [MM_REASON_FAILEDSTARTTLS] = N_("TLS failed"),
        [MM_REASON_FEEDBACK] = N_("spam complaint"),
        [MM_REASON_FILTERED] = N_("filtered by the receiver"),
        [MM_REASON_HASMOVED] = N_("recipient has moved"),
        [MM_REASON_HOSTUNKNOWN] = N_("domain not found"),
        [MM_REASON_MAILBOXFULL] = N_("mailbox full"),
        [MM_REASON_MAILERERROR] = N_("receiver's mail program failed"),
        [MM_REASON_MESGTOOBIG] = N_("message too large"),
        [MM_REASON_NETWORKERROR] = N_("network or DNS error"),
        [MM_REASON_NORELAYING] = N_("relaying refused"),
        [MM_REASON_NOTACCEPT] = N_("domain accepts no mail"),
        [MM_REASON_NOTCOMPLIANTRFC] = N_("breaks mail standards"),
        [MM_REASON_ONHOLD] = N_("unclear"),
        [MM_REASON_POLICYVIOLATION] = N_("policy violation"),
        [MM_REASON_REJECTED] = N_("sender rejected"),
        [MM_REASON_REQUIREPTR] = N_("no reverse DNS (PTR)"),
        [MM_REASON_SECURITYERROR] = N_("security requirement not met"),
        [MM_REASON_SPAMDETECTED] = N_("judged as spam"),
        [MM_REASON_SPEEDING] = N_("sending too fast"),
        [MM_REASON_SUSPEND] = N_("mailbox suspended"),
        [MM_REASON_SYNTAXERROR] = N_("SMTP syntax error"),
        [MM_REASON_SYSTEMERROR] = N_("receiver's server error"),
        [MM_REASON_SYSTEMFULL] = N_("receiver's server full"),
        [MM_REASON_TOOMANYCONN] = N_("too many connections"),
        [MM_REASON_VACATION] = N_("automatic reply"),
        [MM_REASON_VIRUSDETECTED] = N_("virus found"),
        [MM_REASON_USERUNKNOWN] = N_("recipient does not exist"),
        [MM_REASON_AUTHSUBMISSION] = N_("your SMTP login failed"),
    };
    const char *n = (unsigned)r < MM_REASON_COUNT_ ? names[r] : NULL;
    return n ? n : names[MM_REASON_UNDEFINED];
}

const char *out_reason_label(mm_reason_t r)
{
    return _(reason_msgid(r));
}

static const char *category_msgid(mm_category_t c)
{
    static const char *const names[MM_CATEGORY_COUNT_] = {
        [MM_CATEGORY_INVALID_ADDRESS] = N_("invalid address"),
        [MM_CATEGORY_MAILBOX_FULL] = N_("full mailbox or server"),
        [MM_CATEGORY_BLOCKED] = N_("blocked or rejected"),
        [MM_CATEGORY_SPAM_CONTENT] = N_("spam or content"),
        [MM_CATEGORY_AUTHENTICATION] = N_("authentication"),
        [MM_CATEGORY_MESSAGE_TOO_LARGE] = N_("size limit"),
        [MM_CATEGORY_DNS_HOST] = N_("DNS or network"),
        [MM_CATEGORY_TEMPORARY] = N_("temporary"),
        [MM_CATEGORY_RATE_LIMITED] = N_("rate limited"),
        [MM_CATEGORY_SENDER_ACCOUNT] = N_("your own account"),
        [MM_CATEGORY_NOT_A_FAILURE] = N_("not a failure"),
        [MM_CATEGORY_OTHER] = N_("other"),
    };
    return (unsigned)c < MM_CATEGORY_COUNT_ ? names[c] : names[MM_CATEGORY_OTHER];
}

const char *out_category_label(mm_category_t c)
{
    return _(category_msgid(c));
}

#define LABEL_COLS 13

/* "    Label:      " with the value column lined up whatever the language. */
static bool put_label(mm_buf *b, const char *label)
{
    size_t w = text_width(label);
    bool ok = put_all(b, "    ", label, NULL);
    for (size_t i = w; i < LABEL_COLS; i++)
        ok &= mm_buf_putc(b, ' ') == MM_OK;
    if (w >= LABEL_COLS)
        ok &= mm_buf_putc(b, ' ') == MM_OK;
    return ok;
}

/* "after N days" (hours, minutes) in the user's language. */
static void format_wait(long secs, char *out, size_t size)
{
    if (secs % 86400 == 0) {
        long n = secs / 86400;
        snprintf(out, size, dngettext("mailmedic", "after %ld day", "after %ld days", n), n);
    } else if (secs >= 3600) {
        long n = (secs + 3599) / 3600;
        snprintf(out, size, dngettext("mailmedic", "after %ld hour", "after %ld hours", n), n);
    } else {
        long n = (secs + 59) / 60;
        snprintf(out, size, dngettext("mailmedic", "after %ld minute", "after %ld minutes", n), n);
    }
}

/* format_wait() remembered per thread: a run has a handful of waits, and a
 * plural look-up costs as much as the rest of a recipient's text. */
static const char *retry_after_text(long secs)
{
    enum { SLOTS = 32, TEXT = 128 };
    static _Thread_local struct {
        long secs;
        char text[TEXT];
    } memo[SLOTS];
    size_t slot = (size_t)((unsigned long)secs * 2654435761u) % SLOTS;
    if (memo[slot].text[0] && memo[slot].secs == secs)
        return memo[slot].text;
    char text[TEXT * 2];
    format_wait(secs, text, sizeof text);
    if (strlen(text) >= TEXT) { /* too long to keep: one more look-up next time */
        static _Thread_local char once[TEXT * 2];
        memcpy(once, text, sizeof text);
        return once;
    }
    memo[slot].secs = secs;
    memcpy(memo[slot].text, text, strlen(text) + 1);
    return memo[slot].text;
}

/*
 * "Never" means different things: a hard bounce (the address is dead), a
 * spam complaint (the person does not want our mail), or a failure that
 * resending cannot cure (too large, login refused), which is not about the
 * address at all.
 */
static bool retry_text(long secs, const mm_recipient *p, mm_buf *b)
{
    const char *t;
    if (secs == MM_RETRY_NEVER && p->hard_bounce)
        t = tr(N_("never — do not send to this address again"));
    else if (secs == MM_RETRY_NEVER && p->reason == MM_REASON_FEEDBACK)
        t = tr(N_("never — the recipient complained; do not mail them again"));
    else if (secs == MM_RETRY_NEVER)
        t = tr(N_("only after the fix — the same message would fail again"));
    else if (secs == 0)
        t = tr(N_("not needed"));
    else
        t = retry_after_text(secs);
    return mm_buf_puts(b, t) == MM_OK;
}

/* At most max bytes of s and a newline, never cutting a UTF-8 sequence. */
static void put_clipped(mm_buf *b, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) {
        mm_buf_append(b, s, n);
        mm_buf_putc(b, '\n');
        return;
    }
    n = max;
    while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    mm_buf_append(b, s, n);
    mm_buf_puts(b, "…\n");
}

/* The "Reason:" line: a function of the verdict (see verdict_put). */
static bool text_reason_line(const mm_recipient *p, mm_buf *b)
{
    bool ok = put_label(b, tr(N_("Reason:")));
    return put_all(b, tr(reason_msgid(p->reason)), " (", mm_reason_tostr(p->reason), "); ",
                   tr(category_msgid(p->advice.category)), " (",
                   mm_category_tostr(p->advice.category), ")\n", NULL) &&
           ok;
}

/* The "Retry:" and "To do:" lines: a function of the verdict. */
static bool text_advice_lines(const mm_recipient *p, mm_buf *b)
{
    bool ok = put_label(b, tr(N_("Retry:")));
    ok &= retry_text(p->advice.retry_after, p, b);
    ok &= mm_buf_putc(b, '\n') == MM_OK;
    for (size_t i = 0; i < MM_MAX_ACTIONS && p->advice.actions[i]; i++) {
        ok &= put_label(b, i == 0 ? tr(N_("To do:")) : "");
        ok &= put_all(b, advice_text(p->advice.actions[i]), "\n", NULL);
    }
    return ok;
}

enum { TEXT_REASON = 1, TEXT_ADVICE = 2 }; /* verdict_key.part */

static void text_one(const out_opts *o, const mm_recipient *p, mm_buf *b)
{
    static _Thread_local verdict_memo memo;
    const char *on = o->color ? sev_color(p->advice.severity) : "";
    const char *off = o->color ? "\033[0m" : "";
    put_all(b, "  ", o->color ? "\033[1m" : "",
            p->recipient[0] ? p->recipient : tr(N_("(unknown recipient)")), off, "  ", on, "[",
            sev_label(p->advice.severity), "] ", advice_text(p->advice.summary), off, "\n", NULL);
    verdict_put(&memo, TEXT_REASON, p, b, text_reason_line);
    char reply[32] = "-";
    if (p->reply_code)
        *json_put_number(reply, p->reply_code) = '\0';
    put_label(b, tr(N_("Code:")));
    put_all(b, p->status[0] ? p->status : "-", " / ", reply, "  (",
            p->hard_bounce ? tr(N_("hard bounce")) : tr(N_("soft")), ")\n", NULL);
    if (p->diagnostic[0]) {
        put_label(b, tr(N_("Server said:")));
        put_clipped(b, p->diagnostic, 300);
    }
    if (p->remote_mta[0]) {
        put_label(b, tr(N_("Remote host:")));
        put_all(b, p->remote_mta, "\n", NULL);
    }
    verdict_put(&memo, TEXT_ADVICE, p, b, text_advice_lines);
}

static void text_report(const out_opts *o, const char *source, size_t index, const mm_report *r,
                        mm_buf *b)
{
    const mm_original *og = mm_report_original(r);
    put_all(b, "== ", source, NULL);
    if (index) {
        char num[32];
        *json_put_number(num, (long long)index + 1) = '\0';
        put_all(b, " #", num, NULL);
    }
    mm_kind_t k = mm_report_kind(r);
    if (k == MM_KIND_NOT_BOUNCE) {
        put_all(b, ": ", tr(N_("not a bounce (ordinary mail)")), "\n\n", NULL);
        return;
    }
    put_all(b, "  (", tr(N_("format")), ": ", mm_report_mta(r), ")\n", NULL);
    if (og->subject[0])
        put_all(b, "  ", tr(N_("Original subject:")), " ", og->subject, "\n", NULL);
    for (size_t i = 0; i < mm_report_count(r); i++)
        text_one(o, mm_report_recipient(r, i), b);
    mm_buf_putc(b, '\n');
}

void out_report(const out_opts *o, const out_source *src, size_t index, const mm_report *r,
                mm_buf *b)
{
    const char *source = src->name;
    if (o->format == OUT_TEXT) {
        text_report(o, source, index, r, b);
        return;
    }
    if (mm_report_count(r) == 0 && o->all) {
        if (o->format == OUT_JSON) {
            jw w = jw_begin(b);
            jw_str(&w, "source", source);
            jw_int(&w, "index", (long long)index);
            jw_str(&w, "kind", mm_kind_tostr(mm_report_kind(r)));
            jw_end(&w);
        }
        return;
    }
    for (size_t i = 0; i < mm_report_count(r); i++) {
        if (o->format == OUT_JSON)
            json_one(src, index, r, mm_report_recipient(r, i), b);
        else
            csv_one(source, index, r, mm_report_recipient(r, i), b);
    }
}

void out_error(const out_opts *o, const char *source, size_t index, const char *msg, mm_buf *b)
{
    if (o->format != OUT_JSON || !o->all)
        return;
    jw w = jw_begin(b);
    jw_str(&w, "source", source);
    jw_int(&w, "index", (long long)index);
    jw_str(&w, "kind", "error");
    jw_str(&w, "error", msg);
    jw_end(&w);
}
