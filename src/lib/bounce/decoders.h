/*
 * decoders.h - every decoder's entry point.  The order in which they are
 * tried is in lhost.c.  To add a decoder: write src/lib/bounce/lhost/NAME.c
 * with mm_decode_NAME(), declare it here, list it in lhost.c and in
 * src/lib/meson.build, and add its golden tests under tests/bounce/.
 */
#ifndef MM_BOUNCE_DECODERS_H
#define MM_BOUNCE_DECODERS_H

#include "bounce_int.h"

mm_status_t mm_decode_arf(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_rfc3834(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_rfc3464(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_text(const mm_msg *m, mm_report *r);

/* Chinese providers' own notices (lhost/cn_*.c) */
mm_status_t mm_decode_cn_tencent(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_cn_netease(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_cn_alibaba(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_cn_coremail(const mm_msg *m, mm_report *r);

/* end of Chinese providers */

/* mail providers and ESPs (lhost/) */
mm_status_t mm_decode_amazonses(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_dragonfly(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_gmail(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_googlegroups(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_yahoo(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_mailru(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_mxlogic(const mm_msg *m, mm_report *r);

mm_status_t mm_decode_zoho(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_gmx(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_office365(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_gsuite(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_amazonworkmail(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_receivingses(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_facebook(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_messagelabs(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_outlook(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_ezweb(const mm_msg *m, mm_report *r);
/* end of mail providers and ESPs */

/* MTA families (lhost/) */
mm_status_t mm_decode_postfix(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_exim(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_sendmail(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_qmail(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_opensmtpd(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_domino(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_fml(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_vendors(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_powermta(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_exchange(const mm_msg *m, mm_report *r);
mm_status_t mm_decode_dsn_prose(const mm_msg *m, mm_report *r);

/* end of MTA families */

/* True when the message presents itself as a delivery report (sender,
 * subject or MIME type say so); used by text decoders to avoid reading
 * ordinary mail as a bounce.  r is the report being filled, for the
 * message's facts (its From and Subject, read once). */
bool mm_looks_like_bounce(const mm_msg *m, const mm_report *r);

#endif
