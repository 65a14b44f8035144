/*
 * text.c - what every part of the address checker needs to read bytes and
 * report on them: UTF-8 decoding (RFC 3629), the character column of a
 * byte offset, recording a finding with its offending text, and the
 * policy for non-ASCII code points (spaces, invisible characters, C1
 * controls, full-width forms).
 */
#include <string.h>

#include "address/address_int.h"

/* 1 + the characters before off: every byte but UTF-8 continuation bytes
 * (10xxxxxx) counts; those are counted 8 at a time and taken away. */
size_t mm_addr_column(const unsigned char *s, size_t n, size_t off)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    if (off > n)
        off = n;
    size_t col = 1 + off, i = 0;
    for (; i + 8 <= off; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t cont = w & ~(w << 1) & high; /* bit 7 set, bit 6 clear */
        col -= (size_t)(((cont >> 7) * ones) >> 56);
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* the last 1-7 bytes from one load of 8 inside s[0..n): the bytes
     * outside [i, off) shifted or masked away (a zero byte is no
     * continuation byte) instead of a byte loop */
    if (i < off && n >= 8) {
        size_t r = off - i;
        uint64_t w;
        if (off >= 8) {
            memcpy(&w, s + off - 8, 8);
            w >>= 8 * (8 - r);
        } else { /* i == 0, r == off < 8 */
            memcpy(&w, s, 8);
            w &= (1ull << (8 * r)) - 1;
        }
        uint64_t cont = w & ~(w << 1) & high;
        return col - (size_t)(((cont >> 7) * ones) >> 56);
    }
#endif
    for (; i < off; i++)
        col -= (s[i] & 0xC0) == 0x80;
    return col;
}

static void set_text(mm_addr_issue *is, const char *text, size_t tl)
{
    static const char ellipsis[] = "\u2026"; /* 3 bytes of UTF-8 */
    bool cut = tl > sizeof is->text - 1;
    if (cut) {
        /* cut at a character boundary, and say so: a message quoting
         * "verylongtldname" for the TLD "verylongtldnamehere" would name
         * something that is not in the address */
        tl = sizeof is->text - sizeof ellipsis;
        while (tl > 0 && ((unsigned char)text[tl] & 0xC0) == 0x80)
            tl--;
    }
    memcpy(is->text, text, tl);
    if (cut)
        memcpy(is->text + tl, ellipsis, sizeof ellipsis - 1);
    is->text[tl + (cut ? sizeof ellipsis - 1 : 0)] = '\0';
}

static bool record(mm_addr_parse *p, mm_addr_code code, size_t off, const char *text, size_t tl)
{
    mm_addr *o = p->out;
    if (o->n_errors)
        return false;
    mm_addr_issue *is = &o->errors[o->n_errors++];
    is->code = code;
    is->column = mm_addr_column(p->s, p->n, off);
    set_text(is, text, tl);
    return false;
}

bool mm_addr_fail(mm_addr_parse *p, mm_addr_code code, size_t off, size_t tlen)
{
    if (off > p->n)
        off = p->n;
    if (tlen > p->n - off)
        tlen = p->n - off;
    return record(p, code, off, (const char *)p->s + off, tlen);
}

bool mm_addr_fail_cp(mm_addr_parse *p, mm_addr_code code, size_t off, uint32_t cp)
{
    static const char hex[] = "0123456789ABCDEF";
    char t[16] = "U+";
    size_t k = 2;
    int shift = cp > 0xFFFF ? (cp > 0xFFFFF ? 20 : 16) : 12;
    for (; shift >= 0; shift -= 4)
        t[k++] = hex[(cp >> shift) & 0xF];
    return record(p, code, off, t, k);
}

bool mm_addr_fail_num(mm_addr_parse *p, mm_addr_code code, size_t off, size_t num)
{
    char t[24];
    size_t k = sizeof t;
    do
        t[--k] = (char)('0' + num % 10);
    while ((num /= 10) != 0);
    return record(p, code, off, t + k, sizeof t - k);
}

void mm_addr_note(mm_addr_parse *p, mm_addr_code code, size_t off, const char *text)
{
    mm_addr *o = p->out;
    if (o->n_notes >= MM_ADDR_MAX_ISSUES)
        return;
    mm_addr_issue *is = &o->notes[o->n_notes++];
    is->code = code;
    is->column = mm_addr_column(p->s, p->n, off);
    set_text(is, text, strlen(text));
}

size_t mm_addr_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char b = s[0];
    size_t len;
    uint32_t v, min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
        len = 2, v = b & 0x1F, min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3, v = b & 0x0F, min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4, v = b & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/*
 * Policy (docs/VERIFY.md "Disputed cases"): RFC 6531 admits any UTF-8 in
 * a local part, but spaces (NO-BREAK SPACE, IDEOGRAPHIC SPACE ...), C1
 * controls and zero-width/format characters are copy-paste debris that no
 * provider hands out, so they are refused with their own codes.
 * Full-width letters and "＠" stay legal in a local part (RFC 6531 atext).
 */
mm_addr_code mm_addr_cp_local(uint32_t cp)
{
    if (cp <= 0x9F)
        return MM_ADDR_CONTROL_CHAR;
    if (cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
        cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000)
        return MM_ADDR_SPACE;
    if (cp == 0xAD || cp == 0x180E || (cp >= 0x200B && cp <= 0x200F) ||
        (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF ||
        (cp >= 0xFFF9 && cp <= 0xFFFB))
        return MM_ADDR_INVISIBLE_CHAR;
    return MM_ADDR_OK;
}

int mm_addr_fullwidth_ascii(uint32_t cp)
{
    if (cp >= 0xFF01 && cp <= 0xFF5E)
        return (int)(cp - 0xFEE0);
    switch (cp) {
    case 0x3002: /* IDEOGRAPHIC FULL STOP */
    case 0xFF61: /* HALFWIDTH IDEOGRAPHIC FULL STOP */
    case 0xFE52: /* SMALL FULL STOP */
        return '.';
    case 0xFE6B: /* SMALL COMMERCIAL AT */
        return '@';
    case 0xFE50: /* SMALL COMMA */
    case 0x3001: /* IDEOGRAPHIC COMMA */
        return ',';
    case 0x3000: /* IDEOGRAPHIC SPACE */
        return ' ';
    default:
        return 0;
    }
}

/* In a domain, full-width forms are DISALLOWED by IDNA2008 (UTS 46 would
 * map them): say "full-width" rather than a generic IDNA error. */
mm_addr_code mm_addr_cp_domain(uint32_t cp)
{
    mm_addr_code c = mm_addr_cp_local(cp);
    if (c != MM_ADDR_OK)
        return c;
    return mm_addr_fullwidth_ascii(cp) ? MM_ADDR_FULLWIDTH_CHAR : MM_ADDR_OK;
}
