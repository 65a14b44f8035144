/* str.c - string helpers (see str.h). */
#include "str.h"

#include <string.h>

/* Candidates for the first byte come from memchr (vectorised in libc), once
 * for each case of a letter; only they are compared further.  Decoders ask
 * this for every marker in every message, so it is on the hot path. */
const char *mm_memcasemem(const char *hay, size_t n, const char *needle, size_t nlen)
{
    if (nlen == 0)
        return hay;
    if (nlen > n)
        return NULL;
    unsigned char f = (unsigned char)mm_lower(needle[0]);
    unsigned char F = (f >= 'a' && f <= 'z') ? (unsigned char)(f - 32) : f;
    const char *end = hay + n - nlen + 1; /* a match starts before end */
    const char *lo = memchr(hay, f, (size_t)(end - hay));
    const char *up = F != f ? memchr(hay, F, (size_t)(end - hay)) : NULL;
    while (lo || up) {
        const char *p;
        if (lo && (!up || lo < up)) {
            p = lo;
            lo = memchr(lo + 1, f, (size_t)(end - lo - 1));
        } else {
            p = up;
            up = memchr(up + 1, F, (size_t)(end - up - 1));
        }
        size_t i = 1;
        while (i < nlen && mm_lower(p[i]) == mm_lower(needle[i]))
            i++;
        if (i == nlen)
            return p;
    }
    return NULL;
}

const char *mm_strcasestr(const char *hay, const char *needle)
{
    return mm_memcasemem(hay, strlen(hay), needle, strlen(needle));
}

bool mm_startswith_ci(const char *s, const char *prefix)
{
    while (*prefix) {
        if (mm_lower(*s) != mm_lower(*prefix))
            return false;
        s++;
        prefix++;
    }
    return true;
}

char *mm_strlower(char *s)
{
    for (char *p = s; *p; p++)
        *p = mm_lower(*p);
    return s;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

char *mm_strtrim(char *s)
{
    while (is_space(*s))
        s++;
    size_t n = strlen(s);
    while (n && is_space(s[n - 1]))
        s[--n] = '\0';
    return s;
}

void mm_squeeze_space(char *s)
{
    char *w = s;
    bool space = false;
    for (char *r = s; *r; r++) {
        if (is_space(*r)) {
            space = true;
            continue;
        }
        if (space && w != s)
            *w++ = ' ';
        space = false;
        *w++ = *r;
    }
    *w = '\0';
}

bool mm_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e) {
        unsigned c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t k;
        if ((c & 0xE0) == 0xC0 && c >= 0xC2)
            k = 1;
        else if ((c & 0xF0) == 0xE0)
            k = 2;
        else if ((c & 0xF8) == 0xF0 && c <= 0xF4)
            k = 3;
        else
            return false;
        if ((size_t)(e - p) <= k)
            return false;
        for (size_t i = 1; i <= k; i++)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        p += k + 1;
    }
    return true;
}
