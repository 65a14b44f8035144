/* checkup_int.h - the report's storage, shared by the checkup files. */
#ifndef MM_CHECKUP_INT_H
#define MM_CHECKUP_INT_H

#include <mailmedic/checkup.h>
#include <mailmedic/dnsbl.h>
#include <mailmedic/transport.h>

#define CK_MAX_FINDINGS 48
#define CK_MAX_EVIDENCE 64
#define CK_MAX_FIXES 6
#define CK_MAX_PTR 8

typedef struct ck_section {
    mm_checkup_section pub;
    bool run;
    mm_checkup_finding findings[CK_MAX_FINDINGS];
    const char *evidence[CK_MAX_EVIDENCE];
    mm_checkup_fix fixes[CK_MAX_FIXES];
} ck_section;

typedef struct ck_ptr_name {
    struct mm_checkup *c;
    const char *name;
    bool confirmed;
} ck_ptr_name;

struct mm_checkup {
    char *domain;
    char *ip, *mail_from, *helo, *provider;
    mm_dns *dns;
    mm_status_t oom; /* MM_ENOMEM once any allocation failed */
    char **strs;     /* every string the report owns */
    size_t nstrs, capstrs;

    mm_spf *spf;
    mm_spf_lint *lint;
    mm_spf_eval *eval, *helo_eval;
    const char *spf_domain; /* the identity the eval checked */
    mm_dkim_keycheck *keys;
    bool explicit_selectors;
    mm_dkim_report *dkim;
    const char *msg_from_domain, *msg_mail_from;
    mm_dmarc *dmarc;
    bool dmarc_done;
    mm_dmarc_found dmarc_found;
    const char *dmarc_policy_domain, *dmarc_org;
    mm_dmarc_record *dmarc_rec;
    size_t ndmarc_txt;
    const char *dmarc_txt[8];
    size_t ndests;
    struct {
        const char *uri, *query;
        mm_dmarc_dest_status status;
    } dests[16];
    mm_checkup_dmarc_info dmarc_info;
    mm_mailcheck *mc;
    const mm_mx_result *mx;

    bool ptr_run;
    int ip_family;
    unsigned char ip_bytes[16];
    char ptr_qname[80];
    mm_checkup_ptr_info ptr;
    const char *ptr_names[CK_MAX_PTR];
    ck_ptr_name ptr_ctx[CK_MAX_PTR];

    mm_dnsbl *bl;
    bool bl_done;
    size_t nbl_items;
    mm_checkup_dnsbl_item bl_items[24];
    mm_transport *tr;
    bool tr_done;
    bool sts_found;   /* a valid MTA-STS record: fetch the policy */
    bool no_fetch;
    const mm_mta_sts_fetch_opts *sts_fetch;

    ck_section sec[MM_CHECKUP_SECTION_MAX_];
    mm_checkup_verdict verdicts[8];
    size_t nverdicts;
};

/* A copy of s the report owns ("" on NULL or out of memory). */
const char *ck_keep(struct mm_checkup *c, const char *s);
const char *ck_keepf(struct mm_checkup *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ck_find(struct mm_checkup *c, mm_checkup_section_id s, const char *id,
             mm_checkup_status sev, const char *msg, const char *detail);
void ck_evidence(struct mm_checkup *c, mm_checkup_section_id s, const char *line);
void ck_fix(struct mm_checkup *c, mm_checkup_section_id s, const char *msg, const char *name,
            const char *value);

void ck_settle(struct mm_checkup *c, mm_checkup_section_id s);
void ck_build_verdicts(struct mm_checkup *c);

/* blocklists.c: the dnsbl and mta_sts sections. */
mm_status_t ck_start_dnsbl(struct mm_checkup *c, const char *psl_file);
mm_status_t ck_start_transport(struct mm_checkup *c);
void ck_build_dnsbl(struct mm_checkup *c);
void ck_build_mta_sts(struct mm_checkup *c);

#endif
