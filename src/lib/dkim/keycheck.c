/*
 * keycheck.c - key records of a domain's selectors, fetched concurrently on
 * the DNS layer and checked like a verifier would (key.c), plus the table of
 * selectors worth trying when the user does not know theirs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim_int.h"
#include "util/str.h"

/*
 * Each row says who uses the selector and where that is written.  The
 * Chinese hosted-mail services were searched for (2026-11): 263 and Zoho
 * China document theirs; we found no published selector for Tencent Exmail
 * or NetEase qiye (both generate the DKIM record in their admin consoles and
 * the pages we found show only "get the value from the console"), and
 * Alibaba mail hands out a pair of CNAME records whose names we could not
 * confirm, so none is listed for them: a guessed name would only cost a
 * query, but would tell the user something we do not know.
 */
static const mm_dkim_selector selectors[] = {
    {"default", "cPanel, Plesk, many self-hosted MTAs (OpenDKIM examples)",
     "common default of signers"},
    {"selector1", "Microsoft 365", "learn.microsoft.com email-authentication-dkim-configure"},
    {"selector2", "Microsoft 365 (rotation)",
     "learn.microsoft.com email-authentication-dkim-configure"},
    {"google", "Google Workspace", "support.google.com/a/answer/174126 (default prefix)"},
    {"k1", "Mailchimp / Mandrill", "Mailchimp domain authentication guide"},
    {"k2", "Mailchimp (k2/k3 CNAMEs since 2023)", "Mailchimp domain authentication guide"},
    {"s1", "SendGrid", "SendGrid domain authentication (s1._domainkey CNAME)"},
    {"s2", "SendGrid (rotation)", "SendGrid domain authentication (s2._domainkey CNAME)"},
    {"dkim", "263 enterprise mail, mailcow", "cusdn.org.cn/jxuwd/202509/553734.html; mailcow docs"},
    {"mail", "docker-mailserver, Rails dkim gem examples", "docker-mailserver issue 1191"},
    {"zoho", "Zoho Mail (China and global)",
     "zoho.com.cn/mail/help/adminconsole/domain-keys-configuration.html"},
};

const mm_dkim_selector *mm_dkim_common_selectors(size_t *n)
{
    if (n)
        *n = sizeof selectors / sizeof selectors[0];
    return selectors;
}

typedef struct keyslot {
    mm_dkim_key_info info;
    mm_dkim_keycheck *kc;
    char *selector, *name, *record, *ktype;
} keyslot;

struct mm_dkim_keycheck {
    mm_dns *dns;
    keyslot *slots;
    size_t n;
};

/* Fill info from a record text; strings owned by the slot. */
static void slot_fill(keyslot *s, const char *rec, size_t len)
{
    mm_dkim_key k;
    mm_dkim_key_read(rec, len, &k);
    free(s->record);
    free(s->ktype);
    s->record = strndup(rec, len);
    s->ktype = strdup(k.ktype);
    s->info.record = s->record ? s->record : "";
    s->info.key_type = s->ktype ? s->ktype : "";
    s->info.reason = k.reason;
    s->info.notes = k.notes;
    s->info.key_bits = k.bits;
    s->info.strict = k.strict;
    s->info.detail = k.detail;
    mm_dkim_key_clear(&k);
}

static void on_key(void *arg, const mm_dns_answer *ans)
{
    keyslot *s = arg;
    if (ans->result == MM_DNS_ANSWER && ans->nrecords > 0) {
        const mm_dns_record *rec = &ans->records[mm_dkim_key_pick(ans)];
        slot_fill(s, rec->u.txt.data, rec->u.txt.len);
        return;
    }
    s->info.reason =
        mm_dns_result_is_temporary(ans->result) ? MM_DKIM_R_KEY_TEMPERROR : MM_DKIM_R_KEY_NOT_FOUND;
    s->info.detail = mm_dns_result_name(ans->result);
}

mm_status_t mm_dkim_key_parse(const char *rec, size_t len, mm_dkim_key_info **out)
{
    if ((!rec && len) || !out)
        return MM_EINVAL;
    keyslot *s = calloc(1, sizeof *s);
    if (!s)
        return MM_ENOMEM;
    s->info.selector = s->info.name = "";
    slot_fill(s, rec ? rec : "", len);
    *out = &s->info;
    return MM_OK;
}

static void slot_clear(keyslot *s)
{
    free(s->selector);
    free(s->name);
    free(s->record);
    free(s->ktype);
}

void mm_dkim_key_info_free(mm_dkim_key_info *k)
{
    if (!k)
        return;
    keyslot *s = (keyslot *)k; /* info is the first member */
    slot_clear(s);
    free(s);
}

static mm_status_t start_one(mm_dkim_keycheck *kc, keyslot *s, const char *domain, const char *sel)
{
    s->kc = kc;
    s->selector = strdup(sel);
    size_t n = strlen(sel) + strlen(domain) + 13;
    s->name = malloc(n);
    if (!s->selector || !s->name)
        return MM_ENOMEM;
    snprintf(s->name, n, "%s._domainkey.%s", sel, domain);
    mm_strlower(s->name);
    s->info.selector = s->selector;
    s->info.name = s->name;
    s->info.key_type = s->info.record = s->info.detail = "";
    s->info.reason = MM_DKIM_R_KEY_TEMPERROR; /* until answered */
    mm_status_t st = mm_dns_query_owned(kc->dns, kc, s->name, MM_DNS_T_TXT, on_key, s);
    if (st == MM_EINVAL) {
        s->info.reason = MM_DKIM_R_KEY_NOT_FOUND;
        s->info.detail = "not a valid DNS name";
        st = MM_OK;
    }
    return st;
}

mm_status_t mm_dkim_keycheck_start(mm_dns *dns, const char *domain, const char *const *sels,
                                   size_t n, mm_dkim_keycheck **out)
{
    if (!dns || !domain || !*domain || !out || (n && !sels))
        return MM_EINVAL;
    *out = NULL;
    size_t ncommon;
    const mm_dkim_selector *common = mm_dkim_common_selectors(&ncommon);
    size_t count = n ? n : ncommon;
    mm_dkim_keycheck *kc = calloc(1, sizeof *kc);
    if (!kc || !(kc->slots = calloc(count, sizeof *kc->slots))) {
        free(kc);
        return MM_ENOMEM;
    }
    kc->dns = dns;
    kc->n = count;
    for (size_t i = 0; i < count; i++) {
        mm_status_t st = start_one(kc, &kc->slots[i], domain, n ? sels[i] : common[i].selector);
        if (st != MM_OK) {
            mm_dkim_keycheck_free(kc);
            return st;
        }
    }
    *out = kc;
    return MM_OK;
}

mm_status_t mm_dkim_keycheck_run(mm_dns *dns, const char *domain, const char *const *sels, size_t n,
                                 mm_dkim_keycheck **out)
{
    mm_status_t st = mm_dkim_keycheck_start(dns, domain, sels, n, out);
    return st == MM_OK ? mm_dns_run(dns) : st;
}

size_t mm_dkim_keycheck_count(const mm_dkim_keycheck *k)
{
    return k ? k->n : 0;
}

const mm_dkim_key_info *mm_dkim_keycheck_get(const mm_dkim_keycheck *k, size_t i)
{
    return k && i < k->n ? &k->slots[i].info : NULL;
}

void mm_dkim_keycheck_free(mm_dkim_keycheck *k)
{
    if (!k)
        return;
    mm_dns_cancel(k->dns, k);
    for (size_t i = 0; i < k->n; i++)
        slot_clear(&k->slots[i]);
    free(k->slots);
    free(k);
}
