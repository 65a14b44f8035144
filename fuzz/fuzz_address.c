/*
 * fuzz_address.c - mm_addr_check() on arbitrary bytes, in both modes, with
 * the invariants the verify pipeline relies on:
 *   - a valid address has no error, a local part <= 64 octets, an address
 *     <= 254 octets counted with A-labels, labels <= 63, an ASCII lower-case
 *     domain_ascii; an invalid one has a first error with a real column and
 *     no address parts;
 *   - an offered fix differs from the input and is itself valid;
 *   - RFC 5321-valid implies RFC 5322-valid; the same input gives the same
 *     answer twice.
 */
#include <mailmedic/address.h>
#include <stdlib.h>
#include <string.h>
#include "fuzzer.h"

static size_t chars(const uint8_t *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += (s[i] & 0xC0) != 0x80;
    return c;
}

static void check_valid(const mm_addr *a)
{
    if (a->n_errors || strlen(a->local) > 64)
        abort();
    if (a->flags & MM_ADDR_F_LITERAL)
        return;
    size_t dl = strlen(a->domain_ascii), label = 0;
    if (strlen(a->local) + 1 + dl > 254 || dl == 0)
        abort();
    for (size_t i = 0; i < dl; i++) {
        unsigned char c = (unsigned char)a->domain_ascii[i];
        if (c >= 0x80 || (c >= 'A' && c <= 'Z'))
            abort();
        label = c == '.' ? 0 : label + 1;
        if (label > 63)
            abort();
    }
}

static void check_invalid(const mm_addr *a, const uint8_t *data, size_t size)
{
    if (a->n_errors < 1 || a->n_errors > MM_ADDR_MAX_ISSUES || a->address[0] || a->domain[0])
        abort();
    if (mm_addr_code_is_note(a->errors[0].code) || a->errors[0].code == MM_ADDR_OK)
        abort();
    if (a->errors[0].column < 1 || a->errors[0].column > chars(data, size) + 1)
        abort();
    if (strlen(a->errors[0].text) >= sizeof a->errors[0].text)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mm_addr_checker *chk;
    static mm_addr a, b, f;
    if (!chk && mm_addr_checker_create(&chk) != MM_OK)
        abort();
    const char *in = (const char *)data;
    if (mm_addr_check(chk, in, size, 0, &a) != MM_OK)
        abort();
    if (a.syntax_ok)
        check_valid(&a);
    else
        check_invalid(&a, data, size);
    if (a.fixed[0]) {
        size_t fl = strlen(a.fixed);
        if ((fl == size && memcmp(a.fixed, in, size) == 0) ||
            mm_addr_check(chk, a.fixed, fl, 0, &f) != MM_OK || !f.syntax_ok)
            abort();
    }
    if (mm_addr_check(chk, in, size, 0, &b) != MM_OK || b.syntax_ok != a.syntax_ok ||
        strcmp(a.address, b.address) != 0 || strcmp(a.fixed, b.fixed) != 0 ||
        (a.n_errors &&
         (a.errors[0].code != b.errors[0].code || a.errors[0].column != b.errors[0].column)))
        abort();
    if (mm_addr_check(chk, in, size, MM_ADDR_RFC5322, &b) != MM_OK || (a.syntax_ok && !b.syntax_ok))
        abort();
    return 0;
}
