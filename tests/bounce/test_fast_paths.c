/*
 * test_fast_paths.c - the fast paths of the decoders and util/str.c
 * (session 9), each against a plain reference:
 *
 * - mm_mta_any_header_has() (lhost/mta_util.c) turns an absent name away by
 *   the header's key bits: on random headers (names of a small pool, in
 *   other cases, look-alikes one byte apart, repeated) it must answer as a
 *   walk over every field with strcasecmp() and a search of its value does.
 * - mm_squeeze_copy() (util/str.c) works out "coded" (an 8-bit byte or
 *   "=?") only for the 16-byte blocks holding an 8-bit byte or a '?': "=?"
 *   and 8-bit bytes at every place of values of 1 to 80 bytes (across the
 *   blocks' seams, in the tail), with white space runs, each value in a
 *   buffer of its exact size, against a plain squeeze and scan.
 * - mm_strlower() lowers eight bytes a step after a strlen(): every byte
 *   value at every place of strings of 0 to 40 bytes, each in a buffer of
 *   its exact size, against mm_lower() per byte.
 * - mm_decode_rfc3464() makes its copy of the delivery-status part and the
 *   fields' values in the report's arena, and keeps its field list's room
 *   in the report: delivery-status parts of sizes around the arena's 4 KiB
 *   blocks (the copy in a block of its own beyond) and of 1 to 90
 *   recipients, with stray Diagnostic-Code continuation lines, decoded
 *   again and again, alone and through one workspace, must give the same
 *   recipients each time.
 * - mm_mta_has_any() filters a text of up to 128 bytes by its byte pairs,
 *   hashed 16 at a time (SSE2) into a byte per slot (s9dec2): random texts
 *   of 0 to 200 bytes (letters in both cases, '@' and '`' that fold as
 *   letters do, 8-bit bytes, NULs, white space), each in a buffer of its
 *   exact size, with a needle planted in another case at every place (the
 *   16-byte seams, the last bytes), must answer as a search per needle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <mailmedic/mailmedic.h>
#include "bounce/diagnose_ws.h"
#include "bounce/lhost/mta_util.h"
#include "message/message.h"
#include "util/str.h"

static uint64_t rnd_state = 0x9E3779B97F4A7C15ULL;
static unsigned rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (unsigned)rnd_state;
}

static bool naive_any_header_has(const mm_msg *m, const char *name, const char *needle)
{
    for (size_t i = 0; i < m->head.n; i++) {
        if (strcasecmp(m->head.v[i].name, name) != 0)
            continue;
        if (mm_strcasestr(mm_field_value(&m->head.v[i]), needle))
            return true;
    }
    return false;
}

static const char *const names[] = {"Received", "received", "RECEIVED", "Receivec", "Received-X",
                                    "X-Mailer", "x-mailer", "X-Mailed", "X-MimeOLE", "X-MimeOLF",
                                    "From", "Subject", "To", "Reply-To", "X-NAI-Header"};
static const char *const words[] = {".vtext.", "with Internet Mail Service (", ".hotmail.com",
                                    "<SMTP32 v", "Produced By Microsoft Exchange", "mx.example",
                                    "Modified by McAfee", "outlook.com"};

static void header_has_random(void **state)
{
    (void)state;
    mm_ctx *ctx;
    assert_int_equal(mm_ctx_create(NULL, &ctx), MM_OK);
    const mm_limits *lim = mm_ctx_limits(ctx);
    char buf[4096];
    for (int it = 0; it < 3000; it++) {
        /* a header opening with a From field (else the input is no mail) */
        size_t w = (size_t)snprintf(buf, sizeof buf, "From: a@example.org\n"), nf = rnd() % 12;
        for (size_t f = 0; f < nf; f++) {
            const char *nm = names[rnd() % (sizeof names / sizeof names[0])];
            w += (size_t)snprintf(buf + w, sizeof buf - w, "%s: from a (b) by c", nm);
            if (rnd() % 2)
                w += (size_t)snprintf(buf + w, sizeof buf - w, "%s%s%s", rnd() % 2 ? " " : "\r\n\t",
                                      words[rnd() % (sizeof words / sizeof words[0])],
                                      rnd() % 3 ? "" : " =?utf-8?Q?x?=");
            w += (size_t)snprintf(buf + w, sizeof buf - w, "\n");
        }
        w += (size_t)snprintf(buf + w, sizeof buf - w, "\nbody\n");
        mm_msg m;
        assert_int_equal(mm_msg_parse(lim, buf, w, &m), MM_OK);
        for (size_t k = 0; k < 8; k++) {
            const char *nm = names[rnd() % (sizeof names / sizeof names[0])];
            const char *nd = words[rnd() % (sizeof words / sizeof words[0])];
            if (mm_mta_any_header_has(&m, nm, nd) != naive_any_header_has(&m, nm, nd)) {
                fprintf(stderr, "name %s needle %s in:\n%.*s", nm, nd, (int)w, buf);
                fail();
            }
        }
        mm_msg_free(&m);
    }
    mm_ctx_destroy(ctx);
}

/* A DSN whose delivery-status part holds nrcpt groups, each with a
 * Diagnostic-Code continued on lines without folding white space. */
static size_t make_dsn(char *b, size_t cap, size_t nrcpt, size_t pad)
{
    size_t w = (size_t)snprintf(
        b, cap,
        "From: MAILER-DAEMON@mx.example.org\nTo: a@example.org\nSubject: Undelivered\n"
        "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; "
        "boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nDelivery failed.\n\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n"
        "X-Pad: %0*d\n",
        (int)pad, 0);
    for (size_t i = 0; i < nrcpt; i++)
        w += (size_t)snprintf(b + w, cap - w,
                              "\nFinal-Recipient: rfc822; user%zu@example.net\nAction: failed\n"
                              "Status: 5.1.1\nDiagnostic-Code: smtp; 550-5.1.1 user%zu unknown\n"
                              "550 5.1.1 stray line %zu\n",
                              i, i, i);
    w += (size_t)snprintf(b + w, cap - w, "\n--B--\n");
    return w;
}

static void check_dsn_report(const mm_report *r, size_t nrcpt)
{
    assert_int_equal(mm_report_count(r), nrcpt);
    for (size_t i = 0; i < nrcpt; i++) {
        const mm_recipient *p = mm_report_recipient(r, i);
        char want[64];
        snprintf(want, sizeof want, "user%zu@example.net", i);
        assert_string_equal(p->recipient, want);
        assert_string_equal(p->status, "5.1.1");
        snprintf(want, sizeof want, "stray line %zu", i);
        assert_non_null(strstr(p->diagnostic, want));
    }
}

/* Alone (a report each) and through one workspace (its report, arena and
 * the kept field list used again, grown past its first room and, after a
 * notice of over 256 fields, dropped), in an order that shrinks and grows
 * the notices. */
static void dsn_in_report_arena(void **state)
{
    (void)state;
    mm_ctx *ctx;
    mm_diag_ws *ws;
    assert_int_equal(mm_ctx_create(NULL, &ctx), MM_OK);
    assert_int_equal(mm_diag_ws_create(&ws), MM_OK);
    size_t cap = 1 << 20;
    char *b = malloc(cap);
    assert_non_null(b);
    static const size_t counts[] = {1, 8, 90, 2, 15, 60, 1, 29, 3};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        size_t nrcpt = counts[c];
        for (size_t pad = 3000; pad <= 9000; pad += 1500) {
            size_t len = make_dsn(b, cap, nrcpt, pad);
            for (int rep = 0; rep < 2; rep++) {
                mm_report *r = NULL;
                assert_int_equal(mm_diagnose_message(ctx, b, len, &r, NULL, 0), MM_OK);
                check_dsn_report(r, nrcpt);
                mm_report_destroy(r);
                assert_int_equal(mm_diagnose_message_ws(ctx, ws, b, len, &r, NULL, 0), MM_OK);
                check_dsn_report(r, nrcpt);
                mm_diag_ws_release(ws, r);
            }
        }
    }
    free(b);
    mm_diag_ws_destroy(ws);
    mm_ctx_destroy(ctx);
}

/* What mm_squeeze_copy() must give: runs of white space one space, the
 * ends trimmed; coded: an 8-bit byte or "=?" anywhere in the input. */
static size_t naive_squeeze(char *out, const char *s, size_t n, bool *coded)
{
    size_t w = 0;
    bool space = false;
    *coded = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        *coded |= c >= 0x80 || (i + 1 < n && c == '=' && s[i + 1] == '?');
        if (c == ' ' || (c >= '\t' && c <= '\r')) {
            space = w > 0;
            continue;
        }
        if (space)
            out[w++] = ' ';
        space = false;
        out[w++] = (char)c;
    }
    out[w] = '\0';
    return w;
}

static void check_squeeze(const char *in, size_t n)
{
    char *s = malloc(n ? n : 1), *got = malloc(n + 1), *want = malloc(n + 1);
    assert_non_null(s);
    assert_non_null(got);
    assert_non_null(want);
    memcpy(s, in, n);
    bool gc = false, wc = false;
    size_t gl = mm_squeeze_copy(got, s, n, &gc), wl = naive_squeeze(want, s, n, &wc);
    if (gl != wl || strcmp(got, want) != 0 || gc != wc) {
        fprintf(stderr, "n %zu: got \"%s\" (%d), want \"%s\" (%d)\n", n, got, gc, want, wc);
        fail();
    }
    free(s);
    free(got);
    free(want);
}

static void squeeze_coded(void **state)
{
    (void)state;
    char in[96];
    for (size_t n = 1; n <= 80; n++) {
        /* "=?" at every place, and '=' then '?' apart, and 8-bit bytes */
        for (size_t at = 0; at < n; at++) {
            for (int kind = 0; kind < 6; kind++) {
                for (size_t i = 0; i < n; i++)
                    in[i] = (char)('a' + i % 23);
                if (kind >= 3)
                    for (size_t i = 5; i < n; i += 9)
                        in[i] = kind == 3 ? ' ' : kind == 4 ? '\n' : '=';
                switch (kind % 3) {
                case 0:
                    in[at] = '=';
                    if (at + 1 < n)
                        in[at + 1] = '?';
                    break;
                case 1:
                    in[at] = '?';
                    if (at > 1)
                        in[at - 2] = '=';
                    break;
                default:
                    in[at] = (char)0xE9;
                    break;
                }
                check_squeeze(in, n);
            }
        }
    }
    /* random mixes of the bytes that matter */
    static const char alpha[] = "ab=?  \t\n\r\x80\xffZ";
    for (int it = 0; it < 200000; it++) {
        size_t n = rnd() % 90;
        for (size_t i = 0; i < n; i++)
            in[i] = alpha[rnd() % (sizeof alpha - 1)];
        check_squeeze(in, n);
    }
}

static void strlower_words(void **state)
{
    (void)state;
    for (size_t n = 0; n <= 40; n++) {
        for (unsigned b = 1; b < 256; b++) {
            for (size_t at = 0; at < (n ? n : 1); at++) {
                char *s = malloc(n + 1), *want = malloc(n + 1);
                assert_non_null(s);
                assert_non_null(want);
                for (size_t i = 0; i < n; i++)
                    s[i] = i == at ? (char)b : "AbZ@.-[`{q"[(i * 7 + b) % 10];
                s[n] = '\0';
                for (size_t i = 0; i < n; i++)
                    want[i] = mm_lower(s[i]);
                want[n] = '\0';
                assert_ptr_equal(mm_strlower(s), s);
                assert_memory_equal(s, want, n + 1);
                free(s);
                free(want);
            }
        }
    }
}


static bool naive_has_any(const char *s, size_t n, const char *const *needles)
{
    for (size_t i = 0; needles[i]; i++)
        if (mm_memcasemem(s, n, needles[i], strlen(needles[i])))
            return true;
    return false;
}

static const char *const few_needles[] = {"not found", "@x`", "ab", NULL};
static const char *const many_needles[] = {
    "unknown", "not found", "does not exist", "rejected", "denied", "refused", "failed",
    "error", "invalid", "full", "quota", "unavailable", "blocked", "no such", "disabled",
    "timed out", "expired", "too large", "spam", "\xe6\x8b\x92\xe7\xbb\x9d", "a@", "`b", "q\tz", NULL};

static char rnd_byte(void)
{
    static const char pool[] = "abcdefgzABCDEFGZ@`[{ \t\r\n.-0\x80\xe6\xff";
    unsigned r = rnd() % (sizeof pool); /* sizeof: the pool's NUL too */
    return pool[r];
}

static void check_has_any(const char *s, size_t n, const char *const *needles)
{
    if (mm_mta_has_any(s, n, needles) != naive_has_any(s, n, needles)) {
        fprintf(stderr, "mm_mta_has_any differs on %zu bytes\n", n);
        fail();
    }
}

static void has_any_pairs(void **state)
{
    (void)state;
    const char *const *lists[] = {few_needles, many_needles};
    for (size_t n = 0; n <= 200; n++) {
        for (int round = 0; round < 40; round++) {
            char *s = malloc(n ? n : 1);
            assert_non_null(s);
            for (size_t i = 0; i < n; i++)
                s[i] = rnd_byte();
            for (size_t l = 0; l < 2; l++) {
                check_has_any(s, n, lists[l]);
                /* a needle of the list, its letters in random cases, at
                 * every place it fits */
                const char *nd = lists[l][rnd() % (l ? 23 : 3)];
                size_t nl = strlen(nd);
                for (size_t at = 0; nl <= n && at + nl <= n; at++) {
                    char *c = malloc(n);
                    assert_non_null(c);
                    memcpy(c, s, n);
                    for (size_t k = 0; k < nl; k++)
                        c[at + k] = (rnd() & 1) && nd[k] >= 'a' && nd[k] <= 'z'
                                        ? (char)(nd[k] - 32)
                                        : nd[k];
                    check_has_any(c, n, lists[l]);
                    assert_true(mm_mta_has_any(c, n, lists[l]));
                    free(c);
                }
            }
            free(s);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_has_random),
        cmocka_unit_test(squeeze_coded),
        cmocka_unit_test(strlower_words),
        cmocka_unit_test(dsn_in_report_arena),
        cmocka_unit_test(has_any_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
