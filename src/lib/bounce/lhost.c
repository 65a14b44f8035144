/*
 * lhost.c - the order in which decoders are tried.  Specific formats come
 * before general ones: a feedback report or an auto-reply is recognised
 * first, family decoders (lhost/) before the RFC 3464 reader when their
 * reports need extra care, and the prose reader last.
 */
#include "decoders.h"

const mm_decoder mm_decoders[] = {
    {"arf", mm_decode_arf},
    {"rfc3834", mm_decode_rfc3834},

    /* Chinese providers' own notices (lhost/cn_*.c); Coremail last, as
     * NetEase's notices are Coremail's template from NetEase's domains. */
    {"cn_tencent", mm_decode_cn_tencent},
    {"cn_netease", mm_decode_cn_netease},
    {"cn_alibaba", mm_decode_cn_alibaba},
    {"cn_coremail", mm_decode_cn_coremail},

    /* end of Chinese providers */

    /* mail providers and ESPs (lhost/) */
    {"amazonses", mm_decode_amazonses},
    {"dragonfly", mm_decode_dragonfly},
    {"gmail", mm_decode_gmail},
    {"googlegroups", mm_decode_googlegroups},
    {"yahoo", mm_decode_yahoo},
    {"mailru", mm_decode_mailru},
    {"mxlogic", mm_decode_mxlogic},

    {"zoho", mm_decode_zoho},
    {"gmx", mm_decode_gmx},
    {"office365", mm_decode_office365},
    {"gsuite", mm_decode_gsuite},
    {"amazonworkmail", mm_decode_amazonworkmail},
    {"receivingses", mm_decode_receivingses},
    {"facebook", mm_decode_facebook},
    {"messagelabs", mm_decode_messagelabs},
    {"outlook", mm_decode_outlook},
    {"ezweb", mm_decode_ezweb},
    /* end of mail providers and ESPs */

    /* MTA families (lhost/) */
    {"postfix", mm_decode_postfix},
    {"exim", mm_decode_exim},
    {"sendmail", mm_decode_sendmail},
    {"qmail", mm_decode_qmail},
    {"opensmtpd", mm_decode_opensmtpd},
    {"domino", mm_decode_domino},
    {"fml", mm_decode_fml},
    {"vendors", mm_decode_vendors},
    {"powermta", mm_decode_powermta},
    {"exchange", mm_decode_exchange},
    {"dsn+prose", mm_decode_dsn_prose},

    /* end of MTA families */

    {"rfc3464", mm_decode_rfc3464},
    {"text", mm_decode_text},
    {NULL, NULL},
};
