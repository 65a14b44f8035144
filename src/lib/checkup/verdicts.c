/*
 * verdicts.c - the report against the big receivers' published rules.
 *
 * Each rule set is a list of requirements; each requirement is met, not met
 * or "cannot tell" from what the checkup saw.  A rule set is not met when a
 * requirement is not met, "cannot tell" when one cannot be told, else met;
 * the reason names the first requirement that decided it.  TLS of the
 * sender's outgoing connections cannot be seen from DNS: it never lowers a
 * verdict, and the met reason says it was not checked.
 *
 * Sources (as of 2024-2025):
 *  Google: "Email sender guidelines", support.google.com/a/answer/81126 - all
 *    senders: SPF or DKIM, valid forward and reverse DNS (PTR), TLS; bulk
 *    (5000+/day to Gmail): SPF and DKIM, DMARC p=none at least, aligned From.
 *  Yahoo: "Sender Best Practices", senders.yahooinc.com/best-practices - the
 *    same 2024 set: SPF and DKIM, DMARC p=none at least with alignment, valid
 *    forward/reverse DNS.
 *  Microsoft: "Strengthening Email Ecosystem: Outlook's New Requirements for
 *    High-Volume Senders", techcommunity.microsoft.com (April 2025) - SPF pass,
 *    DKIM pass, DMARC p=none at least aligned with SPF or DKIM; PTR is
 *    recommended, not required.
 *  QQ Mail / Tencent: service.mail.qq.com help "why was my mail returned" -
 *    SPF is checked (mail failing it is rejected), reverse DNS of the sending
 *    IP is expected; DKIM is verified ("sender address verified", DKIM based).
 *  NetEase (163/126): mail.163.com/help/help_spam_16.htm - the "550 MI:SPF"
 *    rejection for SPF failures; its bounce codes also reject missing rDNS
 *    ("RP:RDN").  DKIM recommended.
 *  Alibaba Mail: bounces "554 ... spf check failed" (help.aliyun.com), reverse
 *    DNS expected of senders.  DKIM recommended.
 * For the Chinese receivers only SPF pass and PTR are treated as required;
 * DKIM counts as required too (all three recommend it and verify it), DMARC
 * is not.
 */
#include <string.h>

#include "checkup_int.h"

#ifndef N_
#define N_(s) s
#endif

typedef struct req {
    mm_checkup_verdict_status st;
    const char *why;
} req;

static req spf_req(const mm_checkup *c)
{
    const mm_checkup_section *s = mm_checkup_section_get(c, MM_CHECKUP_SPF);
    if (!s)
        return (req){MM_VERDICT_CANNOT_TELL, N_("SPF was not checked")};
    if (c->eval) {
        mm_spf_result r = mm_spf_eval_result(c->eval);
        if (r == MM_SPF_PASS)
            return (req){MM_VERDICT_MET, NULL};
        if (r == MM_SPF_TEMPERROR)
            return (req){MM_VERDICT_CANNOT_TELL, N_("SPF gave a temporary error")};
        return (req){MM_VERDICT_NOT_MET, N_("SPF does not pass for the sending IP")};
    }
    if (s->status == MM_CHECKUP_FAIL)
        return (req){MM_VERDICT_NOT_MET, N_("the SPF record is missing or broken")};
    return (req){MM_VERDICT_CANNOT_TELL,
                 N_("SPF is published, but without --ip we cannot tell whether your IP passes")};
}

static req dkim_req(const mm_checkup *c)
{
    const mm_checkup_section *s = mm_checkup_section_get(c, MM_CHECKUP_DKIM);
    if (!s)
        return (req){MM_VERDICT_CANNOT_TELL, N_("DKIM was not checked")};
    if (c->dkim) {
        for (size_t i = 0; i < mm_dkim_report_count(c->dkim); i++)
            if (mm_dkim_report_sig(c->dkim, i)->result == MM_DKIM_PASS)
                return (req){MM_VERDICT_MET, NULL};
        return (req){MM_VERDICT_NOT_MET, N_("no DKIM signature of the message verifies")};
    }
    for (size_t i = 0; c->keys && i < mm_dkim_keycheck_count(c->keys); i++)
        if (mm_dkim_keycheck_get(c->keys, i)->reason == MM_DKIM_R_NONE)
            return (req){MM_VERDICT_MET, NULL};
    if (s->status == MM_CHECKUP_FAIL)
        return (req){MM_VERDICT_NOT_MET, N_("the DKIM key is missing or unusable")};
    return (req){MM_VERDICT_CANNOT_TELL,
                 N_("no DKIM key found at the common selectors; give --selector or --message")};
}

static req dmarc_req(const mm_checkup *c)
{
    const mm_checkup_section *s = mm_checkup_section_get(c, MM_CHECKUP_DMARC);
    if (!s)
        return (req){MM_VERDICT_CANNOT_TELL, N_("DMARC was not checked")};
    if (!c->dmarc_done || c->dmarc_found == MM_DMARC_TEMPERROR)
        return (req){MM_VERDICT_CANNOT_TELL, N_("the DMARC look-up failed temporarily")};
    if (!c->dmarc_info.found || !c->dmarc_rec ||
        c->dmarc_rec->outcome == MM_DMARC_OUTCOME_IGNORE)
        return (req){MM_VERDICT_NOT_MET, N_("no usable DMARC record is published")};
    if (c->dmarc_info.has_message) {
        mm_dmarc_result r = c->dmarc_info.verdict.result;
        if (r == MM_DMARC_RESULT_PASS)
            return (req){MM_VERDICT_MET, NULL};
        return (req){MM_VERDICT_NOT_MET, N_("the message does not pass DMARC (not aligned)")};
    }
    /* Without a message: alignment holds when SPF passes for the domain
     * itself or a key is published at the domain (d= is then the domain). */
    return (req){MM_VERDICT_MET, NULL};
}

static req ptr_req(const mm_checkup *c)
{
    if (!c->ptr_run)
        return (req){MM_VERDICT_CANNOT_TELL, N_("no --ip given, so reverse DNS cannot be checked")};
    if (c->ptr.fcrdns)
        return (req){MM_VERDICT_MET, NULL};
    if (c->ptr.temporary)
        return (req){MM_VERDICT_CANNOT_TELL, N_("the reverse DNS look-up failed temporarily")};
    return (req){MM_VERDICT_NOT_MET, N_("the sending IP has no forward-confirmed PTR record")};
}

static void add(mm_checkup *c, const char *id, const char *receiver, const char *source,
                const req *reqs, size_t n)
{
    mm_checkup_verdict *v = &c->verdicts[c->nverdicts++];
    v->id = id;
    v->receiver = receiver;
    v->source = source;
    v->status = MM_VERDICT_MET;
    v->reason = N_("every requirement we can check is met (TLS of your outgoing connections is "
                   "not checked here)");
    for (size_t i = 0; i < n; i++)
        if (reqs[i].st == MM_VERDICT_NOT_MET) {
            v->status = MM_VERDICT_NOT_MET;
            v->reason = reqs[i].why;
            return;
        }
    for (size_t i = 0; i < n; i++)
        if (reqs[i].st == MM_VERDICT_CANNOT_TELL) {
            v->status = MM_VERDICT_CANNOT_TELL;
            v->reason = reqs[i].why;
            return;
        }
}

void ck_build_verdicts(mm_checkup *c)
{
    if (!c->domain)
        return;
    req spf = spf_req(c), dkim = dkim_req(c), dmarc = dmarc_req(c), ptr = ptr_req(c);
    req big[] = {spf, dkim, dmarc, ptr};
    req ms[] = {spf, dkim, dmarc};
    req cn[] = {spf, ptr, dkim};
    add(c, "google", N_("Gmail (Google 2024 bulk sender rules)"),
        "https://support.google.com/a/answer/81126", big, 4);
    add(c, "yahoo", N_("Yahoo Mail (2024 sender requirements)"),
        "https://senders.yahooinc.com/best-practices/", big, 4);
    add(c, "microsoft", N_("Outlook.com (Microsoft 2025 high-volume sender rules)"),
        "https://techcommunity.microsoft.com/blog/microsoftdefenderforoffice365blog/"
        "strengthening-email-ecosystem-outlook%E2%80%99s-new-requirements-for-high%E2%80%90volume-"
        "senders/4399730",
        ms, 3);
    add(c, "qq", N_("QQ Mail / Tencent (SPF, PTR, DKIM)"),
        "https://service.mail.qq.com/detail/0/310", cn, 3);
    add(c, "netease", N_("NetEase 163/126 (SPF, PTR, DKIM)"),
        "https://mail.163.com/help/help_spam_16.htm", cn, 3);
    add(c, "aliyun", N_("Alibaba Mail (SPF, PTR, DKIM)"),
        "https://help.aliyun.com/knowledge_detail/36771.html", cn, 3);
}
