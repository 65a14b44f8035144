/*
 * providers.c - hosted mail providers' SPF include and DKIM selector
 * convention, for the fix texts of `mailmedic checkup --provider`.  A
 * read-only table; each row cites where the provider documents it.
 *
 * Alibaba: its current help page names spf.qiye.aliyun.com; older pages and
 * many resellers still give spf.mxhichina.com, which remains published (both
 * lead to the same hichina ranges).  We advise the documented one.
 * NetEase qiye: spf.163.com is what NetEase's enterprise mail help gives for
 * qiye.163.com domains; we did not find a first-party page in our reference
 * store to cite, so the source says so.
 * Tencent and the Chinese providers generate the DKIM selector per customer
 * in their console (no fixed name we could confirm), so selectors is "".
 */
#include <mailmedic/checkup.h>
#include <string.h>

static const mm_checkup_provider providers[] = {
    {"tencent", "Tencent Exmail", "spf.mail.qq.com", "",
     "service.mail.qq.com/cgi-bin/help?subtype=1&no=417&id=48 (v=spf1 include:spf.mail.qq.com "
     "~all); DKIM selector set in the Exmail console"},
    {"netease", "NetEase qiye mail", "spf.163.com", "",
     "qiye.163.com help (v=spf1 include:spf.163.com -all) - not confirmed from a first-party "
     "page here; DKIM selector set in the console"},
    {"aliyun", "Alibaba Mail (Aliyun qiye)", "spf.qiye.aliyun.com", "",
     "help.aliyun.com/knowledge_detail/36771.html (v=spf1 include:spf.qiye.aliyun.com -all; "
     "older pages: include:spf.mxhichina.com)"},
    {"google", "Google Workspace", "_spf.google.com", "google",
     "support.google.com/a/answer/10685031 (SPF), support.google.com/a/answer/174126 (DKIM "
     "prefix 'google')"},
    {"microsoft", "Microsoft 365", "spf.protection.outlook.com", "selector1 selector2",
     "learn.microsoft.com/defender-office-365/email-authentication-spf-configure and "
     "email-authentication-dkim-configure"},
};

const mm_checkup_provider *mm_checkup_providers(size_t *n)
{
    if (n)
        *n = sizeof providers / sizeof providers[0];
    return providers;
}

const mm_checkup_provider *mm_checkup_provider_find(const char *id)
{
    if (!id)
        return NULL;
    for (size_t i = 0; i < sizeof providers / sizeof providers[0]; i++)
        if (strcmp(providers[i].id, id) == 0)
            return &providers[i];
    return NULL;
}
