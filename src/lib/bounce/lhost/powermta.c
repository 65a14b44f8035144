/*
 * powermta.c - bounces written by PowerMTA (Port25/SparkPost Momentum).
 *
 * PowerMTA sends an RFC 3464 report whose per-recipient blocks carry its
 * own classification of the failure, "X-PowerMTA-BounceCategory:
 * bad-mailbox".  The categories are PowerMTA's fixed vocabulary (its
 * bounce-category-patterns); the table maps each to the reason it states,
 * as Sisimai's PowerMTA module does.  Everything else is the RFC 3464
 * reader's, completed from the prose as for other MTAs.
 */
#include "../decoders.h"
#include "mta_util.h"

#include <stdlib.h>
#include <string.h>
#include "../../util/str.h"

static const struct {
    const char *category;
    mm_reason_t reason;
} categories[] = {
    {"bad-domain", MM_REASON_HOSTUNKNOWN},           {"bad-mailbox", MM_REASON_USERUNKNOWN},
    {"inactive-mailbox", MM_REASON_SUSPEND},         {"message-expired", MM_REASON_EXPIRED},
    {"no-answer-from-host", MM_REASON_NETWORKERROR}, {"policy-related", MM_REASON_POLICYVIOLATION},
    {"quota-issues", MM_REASON_MAILBOXFULL},         {"routing-errors", MM_REASON_SYSTEMERROR},
    {"spam-related", MM_REASON_SPAMDETECTED},
};

static mm_reason_t reason_of(const char *category)
{
    for (size_t i = 0; i < sizeof categories / sizeof categories[0]; i++)
        if (strcasecmp(category, categories[i].category) == 0)
            return categories[i].reason;
    return MM_REASON_UNDEFINED;
}

/* Walk the report's field groups; each category applies to the recipient
 * of its group. */
static mm_status_t set_hints(const mm_msg *m, mm_report *r, size_t start)
{
    mm_fields fs = {0};
    mm_arena a;
    mm_arena_init(&a);
    mm_status_t st = mm_fields_parse_block(&a, m->dsn.data, m->dsn.len, &fs);
    const char *rcpt = NULL, *cat = NULL;
    for (size_t i = 0; st == MM_OK && i <= fs.n; i++) {
        bool end = i == fs.n || fs.v[i].name[0] == '\0';
        if (end && rcpt && cat) {
            const char *semi = strchr(rcpt, ';');
            const char *addr = semi ? semi + 1 : rcpt;
            while (*addr == ' ' || *addr == '<')
                addr++;
            size_t al = strcspn(addr, "> ");
            mm_rcpt *rc = mm_mta_find_rcpt(r, start, addr, al);
            if (rc)
                rc->hint = reason_of(cat);
        }
        if (end) {
            rcpt = cat = NULL;
        } else if (strcasecmp(fs.v[i].name, "Final-Recipient") == 0) {
            rcpt = mm_field_value(&fs.v[i]);
        } else if (strcasecmp(fs.v[i].name, "X-PowerMTA-BounceCategory") == 0) {
            cat = mm_field_value(&fs.v[i]);
        }
    }
    free(fs.v);
    mm_arena_free(&a);
    return st == MM_ENOMEM ? st : MM_OK;
}

mm_status_t mm_decode_powermta(const mm_msg *m, mm_report *r)
{
    if (!m->has_dsn || !mm_memcasemem(m->dsn.data, m->dsn.len, "X-PowerMTA-BounceCategory:", 26))
        return MM_ENOTFOUND;
    size_t start = r->n;
    mm_status_t st = mm_mta_read_dsn(m, r);
    return st != MM_OK ? st : set_hints(m, r, start);
}
