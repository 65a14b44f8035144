/*
 * facebook.c - Facebook's delivery status notifications ("Sorry, your
 * message could not be delivered" from mailer-daemon@mx.facebook.com), RFC
 * 3464 reports read by rfc3464.c.
 *
 * Facebook's replies carry a response code of its own, "550 5.1.1 RCP-P2
 * http://postmaster.facebook.com/response_codes ...", whose meaning Facebook
 * documented on that page: the code decides, not the RFC 3463 status (a
 * 5.1.1 "RCP-P2" is the recipient's preferences, not an unknown user).
 */
#include "../decoders.h"

#include <ctype.h>
#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

/* postmaster.facebook.com/response_codes: CODE-[PT]N and its reason. */
static const mm_words fb_codes[] = {
    {"RCP-P1", MM_REASON_USERUNKNOWN},   {"INT-P1", MM_REASON_USERUNKNOWN},
    {"INT-P3", MM_REASON_USERUNKNOWN},   {"INT-P4", MM_REASON_USERUNKNOWN},
    {"RCP-P2", MM_REASON_FILTERED},      {"RCP-P3", MM_REASON_FILTERED},
    {"MSG-P1", MM_REASON_MESGTOOBIG},    {"INT-P2", MM_REASON_MESGTOOBIG},
    {"MSG-P2", MM_REASON_CONTENTERROR},  {"MSG-P3", MM_REASON_CONTENTERROR},
    {"POL-P6", MM_REASON_CONTENTERROR},  {"POL-P7", MM_REASON_CONTENTERROR},
    {"POL-P1", MM_REASON_SECURITYERROR}, {"POL-P2", MM_REASON_SECURITYERROR},
    {"POL-P5", MM_REASON_SECURITYERROR}, {"POL-P3", MM_REASON_NOTACCEPT},
    {"POL-P4", MM_REASON_NOTACCEPT},     {"POL-T1", MM_REASON_NOTACCEPT},
    {"POL-T2", MM_REASON_NOTACCEPT},     {"POL-T3", MM_REASON_NOTACCEPT},
    {"DNS-P1", MM_REASON_REJECTED},      {"DNS-P2", MM_REASON_REJECTED},
    {"DNS-T1", MM_REASON_REJECTED},      {"DNS-P3", MM_REASON_REJECTED},
    {"DNS-T2", MM_REASON_REJECTED},      {"CON-T1", MM_REASON_SYSTEMERROR},
    {"CON-T3", MM_REASON_TOOMANYCONN},   {"RCP-T4", MM_REASON_SUSPEND},
    {"INT-T#", MM_REASON_SYSTEMERROR},   {NULL, MM_REASON_UNDEFINED}};

/* The first "AAA-[PT]N" word in d, copied to out[8]; false if none. */
static bool response_code(const char *d, char out[8])
{
    for (const char *p = d; p[0]; p++) {
        if (p > d && isalnum((unsigned char)p[-1]))
            continue;
        if (!(isupper((unsigned char)p[0]) && isupper((unsigned char)p[1]) &&
              isupper((unsigned char)p[2]) && p[3] == '-' && (p[4] == 'P' || p[4] == 'T') &&
              isdigit((unsigned char)p[5]) && !isalnum((unsigned char)p[6])))
            continue;
        memcpy(out, p, 6);
        out[6] = '\0';
        return true;
    }
    return false;
}

mm_status_t mm_decode_facebook(const mm_msg *m, mm_report *r)
{
    if (!mm_prov_lc_has_by(r->from_lc, r->from_len, "mailer-daemon@mx.facebook.com", '@'))
        return MM_ENOTFOUND;
    size_t from;
    mm_status_t st = mm_prov_dsn(m, r, &from);
    for (size_t i = from; st == MM_OK && i < r->n; i++) {
        char code[8];
        if (response_code(r->r[i].pub.diagnostic, code))
            r->r[i].hint = mm_words_status(fb_codes, code);
    }
    return st;
}
