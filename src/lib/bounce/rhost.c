/*
 * rhost.c - receiving-provider rules: what a given provider means by its
 * own codes and words.  A provider is recognised by the remote host name,
 * by the recipient's domain, or by a code shape only it uses.  A rule can
 * also give the provider's published waiting time (provider_retry), which
 * the advice layer uses instead of the generic figure.
 */
#include "bounce_int.h"

#include <string.h>
#include "../util/str.h"

mm_reason_t mm_rhost_match(mm_rcpt *rc, const char *lower)
{
    mm_reason_t r = mm_rhost_cn_match(rc, lower);
    if (r != MM_REASON_UNDEFINED)
        return r;
    return MM_REASON_UNDEFINED;
}
