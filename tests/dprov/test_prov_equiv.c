/*
 * test_prov_equiv.c - two helpers of lhost/prov_util.c rewritten for speed
 * (branch dprov) give the old answers: mm_prov_status() (one walk instead
 * of two) and mm_prov_addr_line() (the other bytes counted without a
 * strchr() each, up to 12).  The old versions are copied here and both
 * are run on random texts built from the bytes that matter to them.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "../../src/lib/bounce/lhost/prov_util.h"
#include "../../src/lib/util/str.h"

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool inside_ip(const char *t, size_t n, size_t i, size_t len)
{
    if (i > 0 && t[i - 1] == '.')
        return true;
    return i + len + 1 < n && t[i + len] == '.' && digit(t[i + len + 1]);
}

static size_t code_at(const char *t, size_t n, size_t i, char out[16])
{
    char c[16];
    size_t lim = n - i < 12 ? n - i : 12;
    if (i > 0 && (digit(t[i - 1]) || isalpha((unsigned char)t[i - 1])))
        return 0;
    if (!mm_find_status(t + i, lim, c) || strncmp(t + i, c, strlen(c)) != 0)
        return 0;
    size_t len = strlen(c);
    if (inside_ip(t, n, i, len))
        return 0;
    memcpy(out, c, len + 1);
    return len;
}

/* mm_prov_status() as it was at a0a275e */
static bool old_status(const char *t, size_t n, char out[16])
{
    for (const char *p = t; (p = memchr(p, '(', n - (size_t)(p - t))) != NULL; p++)
        if ((size_t)(p - t) + 3 < n && p[1] == '#' && code_at(t, n, (size_t)(p - t) + 2, out))
            return true;
    for (size_t i = 0; i + 6 < n; i++) {
        const char *c = mm_memchr3(t + i, n - i, '2', '4', '5');
        if (!c || (i = (size_t)(c - t)) + 6 >= n)
            break;
        if (!(t[i] == '4' || t[i] == '5' || t[i] == '2') || !digit(t[i + 1]) || !digit(t[i + 2]))
            continue;
        if (i > 0 && (isalnum((unsigned char)t[i - 1]) || t[i - 1] == '.'))
            continue;
        size_t j = i + 3;
        if (t[j] != ' ' && t[j] != '-')
            continue;
        j++;
        while (j < n && j < i + 6 && (t[j] == '\'' || t[j] == '#' || t[j] == ' ' || t[j] == '"'))
            j++;
        if (j < n && t[j] == t[i] && code_at(t, n, j, out))
            return true;
    }
    for (size_t i = 0; i + 4 < n; i++) {
        const char *c = mm_memchr3(t + i, n - i, '2', '4', '5');
        if (!c || (i = (size_t)(c - t)) + 4 >= n)
            break;
        if (code_at(t, n, i, out))
            return true;
    }
    return false;
}

/* mm_prov_addr_line() as it was at a0a275e */
static bool old_addr_line(const char *l, size_t len, const char **a, size_t *alen)
{
    const char *p = mm_find_addr(l, len, alen);
    if (!p)
        return false;
    size_t other = 0;
    for (size_t i = 0; i < len; i++) {
        const char *c = l + i;
        if (c >= p && c < p + *alen)
            continue;
        if (!strchr(" \t<>:\"'", *c))
            other++;
    }
    *a = p;
    return other == 0 || (other < 12 && mm_memcasemem(l, len, "mailto:", 7));
}

static uint64_t rng = 88172645463325252u;
static unsigned next(unsigned m)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % m);
}

/* Random text of up to max bytes from alphabet, or a piece of a
 * realistic reply/line, mixed. */
static size_t random_text(char *buf, size_t max, const char *alphabet, const char *const *pieces)
{
    size_t n = 0, want = next((unsigned)max);
    while (n < want) {
        if (next(3) == 0) {
            const char *p = pieces[next(8)];
            size_t pl = strlen(p);
            if (n + pl > max)
                break;
            memcpy(buf + n, p, pl);
            n += pl;
        } else {
            buf[n++] = alphabet[next((unsigned)strlen(alphabet))];
        }
    }
    buf[n] = '\0';
    return n;
}

static void test_status(void **state)
{
    (void)state;
    static const char *const pieces[] = {"550 5.1.1 ", "550-'5.7.1 ", "(#5.1.1)",   "192.5.1.1",
                                         "4.4.7",      "5.0.0",       "250 2.0.0 ", "v5.1.2"};
    char t[64], a[16], b[16];
    long found = 0;
    for (int k = 0; k < 2000000; k++) {
        size_t n = random_text(t, 48, "245 .-'#\"(0179ax", pieces);
        memset(a, 'A', sizeof a);
        memset(b, 'A', sizeof b);
        bool x = old_status(t, n, a), y = mm_prov_status(t, n, b);
        assert_int_equal(x, y);
        if (x)
            assert_string_equal(a, b);
        found += x;
    }
    assert_true(found > 100000 && found < 1900000); /* both answers were met often */
}

static void test_addr_line(void **state)
{
    (void)state;
    static const char *const pieces[] = {"user@example.org", "<a@b.cn>", "mailto:", "  ", "x@y.z",
                                         "\"q\" <p@q.r>",    ": 550 no", "\t"};
    char t[96];
    long found = 0;
    for (int k = 0; k < 1000000; k++) {
        size_t n = random_text(t, 80, " \t<>:\"'ab@.1-", pieces);
        const char *a1 = NULL, *a2 = NULL;
        size_t l1 = 0, l2 = 0;
        bool x = old_addr_line(t, n, &a1, &l1), y = mm_prov_addr_line(t, n, &a2, &l2);
        assert_int_equal(x, y);
        if (x) {
            assert_ptr_equal(a1, a2);
            assert_int_equal(l1, l2);
        }
        found += x;
    }
    assert_true(found > 50000 && found < 950000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_status),
                                       cmocka_unit_test(test_addr_line)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
