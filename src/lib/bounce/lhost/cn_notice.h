/*
 * cn_notice.h - the reader shared by the Chinese providers' own bounce
 * notices (cn_tencent.c, cn_netease.c, cn_coremail.c, cn_alibaba.c).
 *
 * Those notices are written for people, not programs, but they all follow
 * one shape: a label in front of each failed address ("无法发送到",
 * "收件人"), then a labelled reason block ("退信原因") closed by the advice
 * block ("解决方案", "建议").  A decoder gives its labels; the reader finds
 * the addresses and cuts each reason block out as the diagnostic.
 */
#ifndef MM_LHOST_CN_NOTICE_H
#define MM_LHOST_CN_NOTICE_H

#include "../decoders.h"

typedef struct mm_cn_labels {
    const char *const *rcpt;   /* labels written right before a failed address */
    const char *const *reason; /* labels that open the reason block */
    const char *const *end;    /* labels that close it */
    const char *const *extra;  /* labels of a block appended to the reason
                                  (the remote server's own reply), or NULL */
} mm_cn_labels;

/* True when one of the NULL-terminated needles occurs in s (ASCII case-insensitive). */
bool mm_cn_has(const char *s, const char *const *needles);
/* mm_cn_has() on m's readable text, without its pass for 8-bit bytes:
 * r->text_ascii (diagnose.c) answers that already. */
bool mm_cn_text_has(const mm_msg *m, const mm_report *r, const char *const *needles);
/* True when the value of some top-level header contains one of the needles. */
bool mm_cn_head_has(const mm_msg *m, const char *const *needles);
/* True when the From header's address ends in "@" + one of the domains. */
bool mm_cn_from_domain(const mm_msg *m, const char *const *domains);

/*
 * Read the notice text of m with the labels in l and add one recipient per
 * failed address (status and Remote-MTA taken from a delivery-status part
 * when the notice has one).  MM_ENOTFOUND when no labelled address is found.
 */
mm_status_t mm_cn_notice_decode(const mm_msg *m, mm_report *r, const mm_cn_labels *l);

#endif
