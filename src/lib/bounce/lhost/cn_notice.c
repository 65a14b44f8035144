/*
 * cn_notice.c - the label reader behind the Chinese providers' notice
 * decoders (see cn_notice.h).
 *
 * The notice text arrives as UTF-8 with HTML already turned into lines
 * (message.c), so a table cell "收件人：</th><td>a@b.cn" becomes two
 * lines.  An address counts as failed only when it follows its label
 * directly, with nothing between but white space, colons or '<': the
 * reason text often says "收件人邮件地址（a@b.cn）不存在", which must not
 * start a second recipient.  Each reason block runs from its label to the
 * first closing label, the next recipient, or MAX_BLOCK bytes.
 */
#include "cn_notice.h"
#include "mta_util.h"

#include <stdlib.h>
#include <string.h>
#include "../../util/str.h"

#define MAX_BLOCK 1200 /* bytes of reason text kept per recipient */
#define MAX_SKIP 64    /* bytes of separators allowed between label and address */
#define MAX_HITS 64

typedef struct hit {
    size_t label;      /* offset of the label */
    size_t addr, alen; /* the address after it */
} hit;

/* Does every needle hold an 8-bit byte (Chinese words in UTF-8 do)? */
static bool all_8bit(const char *const *needles)
{
    for (; *needles; needles++) {
        const unsigned char *p = (const unsigned char *)*needles;
        while (*p && *p < 0x80)
            p++;
        if (!*p)
            return false;
    }
    return true;
}

bool mm_cn_has(const char *s, const char *const *needles)
{
    if (!s || !needles)
        return false;
    size_t n = strlen(s);
    /* Most notices are plain ASCII: no Chinese word can be in them, and a
     * pass over the text for 8-bit bytes costs less than one search. */
    if (all_8bit(needles) && mm_ascii(s, n))
        return false;
    for (; *needles; needles++)
        if (mm_memcasemem(s, n, *needles, strlen(*needles)))
            return true;
    return false;
}

bool mm_cn_text_has(const mm_msg *m, const mm_report *r, const char *const *needles)
{
    if (r->text_ascii && all_8bit(needles))
        return false;
    const char *t = mm_buf_str(&m->text);
    size_t n = strlen(t);
    for (; *needles; needles++)
        if (mm_memcasemem(t, n, *needles, strlen(*needles)))
            return true;
    return false;
}

bool mm_cn_head_has(const mm_msg *m, const char *const *needles)
{
    for (size_t i = 0; i < m->head.n; i++)
        if (mm_cn_has(mm_field_value(&m->head.v[i]), needles))
            return true;
    return false;
}

bool mm_cn_from_domain(const mm_msg *m, const char *const *domains)
{
    const char *from = mm_fields_get(&m->head, "From");
    size_t alen;
    const char *a = from ? mm_find_addr(from, strlen(from), &alen) : NULL;
    const char *at = a ? memchr(a, '@', alen) : NULL;
    if (!at)
        return false;
    size_t dlen = alen - (size_t)(at + 1 - a);
    for (; *domains; domains++)
        if (strlen(*domains) == dlen && strncasecmp(at + 1, *domains, dlen) == 0)
            return true;
    return false;
}

/* Earliest occurrence at or after pos of any label; *llen gets its length. */
static const char *first_label(const char *t, size_t n, size_t pos, const char *const *labels,
                               size_t *llen)
{
    const char *best = NULL;
    for (; labels && *labels && pos < n; labels++) {
        const char *p = mm_memcasemem(t + pos, n - pos, *labels, strlen(*labels));
        if (p && (!best || p < best)) {
            best = p;
            *llen = strlen(*labels);
        }
    }
    return best;
}

/* Skip white space, ASCII and full-width colons and '<' after a label. */
static size_t skip_sep(const char *t, size_t n, size_t p)
{
    size_t start = p;
    while (p < n && p - start < MAX_SKIP) {
        if (strchr(" \t\n:<\"", t[p]) && t[p] != '\0')
            p++;
        else if (n - p >= 3 && memcmp(t + p, "\xef\xbc\x9a", 3) == 0) /* "：" */
            p += 3;
        else
            break;
    }
    return p;
}

static bool seen_addr(const char *t, const hit *h, size_t nh, const char *a, size_t alen)
{
    for (size_t i = 0; i < nh; i++)
        if (h[i].alen == alen && strncasecmp(t + h[i].addr, a, alen) == 0)
            return true;
    return false;
}

/* Every label directly followed by an address, first occurrence of each address. */
static size_t find_hits(const char *t, size_t n, const char *const *labels, hit *h, size_t max)
{
    size_t nh = 0, pos = 0, llen = 0;
    const char *l;
    while (nh < max && (l = first_label(t, n, pos, labels, &llen)) != NULL) {
        size_t p = skip_sep(t, n, (size_t)(l - t) + llen), alen;
        size_t win = n - p < 320 ? n - p : 320;
        const char *a = mm_find_addr(t + p, win, &alen);
        if (a == t + p && !seen_addr(t, h, nh, a, alen))
            h[nh++] = (hit){(size_t)(l - t), p, alen};
        pos = (size_t)(l - t) + llen;
    }
    return nh;
}

/* The block after the first of labels in [from, limit): its start and end. */
static bool cut_block(const char *t, size_t limit, size_t from, const mm_cn_labels *l,
                      const char *const *open, size_t *bs, size_t *be)
{
    size_t llen = 0, elen = 0;
    const char *o = first_label(t, limit, from, open, &llen);
    if (!o)
        return false;
    *bs = skip_sep(t, limit, (size_t)(o - t) + llen);
    const char *e = first_label(t, limit, *bs, l->end, &elen);
    *be = e ? (size_t)(e - t) : limit;
    if (*be - *bs > MAX_BLOCK)
        *be = *bs + MAX_BLOCK;
    return *be > *bs;
}

/* The reason for hit i: its block, or the notice's first one when the
 * label comes before the address (one-recipient layouts). */
static const char *reason_text(mm_report *r, const char *t, size_t n, const hit *h, size_t i,
                               size_t nh, const mm_cn_labels *l)
{
    size_t limit = i + 1 < nh ? h[i + 1].label : n, bs, be, xs, xe;
    if (!cut_block(t, limit, h[i].addr, l, l->reason, &bs, &be) &&
        !(nh == 1 && cut_block(t, n, 0, l, l->reason, &bs, &be)))
        bs = be = 0;
    if (!l->extra || !cut_block(t, limit, h[i].addr, l, l->extra, &xs, &xe))
        return mm_report_str(r, t + bs, be - bs);
    size_t rl = be - bs, xl = xe - xs;
    char *buf = malloc(rl + xl + 2);
    if (!buf)
        return "";
    memcpy(buf, t + xs, xl);
    buf[xl] = ' ';
    memcpy(buf + xl + 1, t + bs, rl);
    const char *s = mm_report_str(r, buf, rl + xl + 1);
    free(buf);
    return s;
}

/* "host mx3.qq.com[1.2.3.4] said" / "Host qq.com(1.2.3.4)" in the reason. */
static const char *remote_host(mm_report *r, const char *d)
{
    const char *h = mm_strcasestr(d, "host ");
    if (!h)
        return "";
    h += 5;
    size_t len = strcspn(h, " [(:,;<>");
    const char *dot = memchr(h, '.', len);
    return dot ? mm_report_str(r, h, len) : "";
}

/* Status and Remote-MTA from a delivery-status part, for the same address. */
static void dsn_fill(const mm_msg *m, mm_report *r, mm_rcpt *rc)
{
    mm_fields fs = {0};
    mm_arena a;
    mm_arena_init(&a);
    bool mine = false;
    if (m->has_dsn && mm_fields_parse_block(&a, m->dsn.data, m->dsn.len, &fs) == MM_OK)
        for (size_t i = 0; i < fs.n; i++) {
            const mm_field *f = &fs.v[i];
            if (strcasecmp(f->name, "Final-Recipient") == 0)
                mine = mm_strcasestr(mm_field_value(f), rc->pub.recipient) != NULL;
            char code[16];
            if (mine && strcasecmp(f->name, "Status") == 0 &&
                mm_find_status(mm_field_value(f), strlen(mm_field_value(f)), code))
                rc->pub.status = mm_report_strz(r, code);
            if (mine && strcasecmp(f->name, "Remote-MTA") == 0 && !rc->pub.remote_mta[0]) {
                const char *v = strchr(mm_field_value(f), ';');
                rc->pub.remote_mta = mm_report_strz(r, v ? v + 1 : mm_field_value(f));
            }
        }
    free(fs.v);
    mm_arena_free(&a);
}

mm_status_t mm_cn_notice_decode(const mm_msg *m, mm_report *r, const mm_cn_labels *l)
{
    const char *t = mm_buf_str(&m->text);
    size_t n = m->text.len;
    hit h[MAX_HITS];
    size_t nh = find_hits(t, n, l->rcpt, h, MAX_HITS);
    if (nh == 0)
        return MM_ENOTFOUND;
    for (size_t i = 0; i < nh; i++) {
        mm_rcpt *rc = mm_report_add(r);
        if (!rc)
            return mm_mta_add_failed(r);
        rc->pub.recipient = mm_report_addr(r, t + h[i].addr, h[i].alen);
        rc->pub.action = "failed";
        rc->pub.diagnostic = reason_text(r, t, n, h, i, nh, l);
        dsn_fill(m, r, rc);
        if (!rc->pub.remote_mta[0])
            rc->pub.remote_mta = remote_host(r, rc->pub.diagnostic);
    }
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
