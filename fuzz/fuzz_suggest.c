/*
 * fuzz_suggest.c - the domain knowledge on arbitrary bytes: typo suggestions
 * (with small and large output buffers), classes, roles and provider names.
 * Checks the contract besides "no crash": a suggestion is a NUL-terminated
 * lower-case LDH name that fits the buffer, and no suggestion leaves "".
 */
#include <mailmedic/domains.h>
#include <stdlib.h>
#include <string.h>
#include "fuzzer.h"

static void check_suggestion(const mm_domains *d, const char *s, size_t n, size_t outsz)
{
    char out[300];
    memset(out, 'X', sizeof out);
    mm_suggest_kind k = mm_domains_suggest(d, s, n, out, outsz);
    if ((unsigned)k >= MM_SUGGEST_KIND_MAX_)
        abort();
    if (outsz == 0)
        return;
    size_t len = strnlen(out, outsz);
    if (len == outsz || (k == MM_SUGGEST_NONE) != (len == 0))
        abort();
    for (size_t i = 0; i < len; i++) {
        char c = out[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
            abort();
    }
    if (!mm_suggest_kind_name(k) || (k != MM_SUGGEST_NONE && !mm_suggest_kind_message(k)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mm_domains *d;
    if (!d && mm_domains_create(&d) != MM_OK)
        abort();
    /* An exact-size copy, so ASan sees any read past the end. */
    char *s = malloc(size ? size : 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    check_suggestion(d, s, size, 300);
    check_suggestion(d, s, size, 256);
    check_suggestion(d, s, size, 8);
    check_suggestion(d, s, size, 1);
    check_suggestion(d, s, size, 0);
    (void)mm_domains_class(d, s, size);
    (void)mm_domains_role(d, s, size);
    (void)mm_domains_provider(d, s, size);
    free(s);
    return 0;
}
