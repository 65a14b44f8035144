/*
 * test_provfast.c - the provider decoders' cheap first tests (session 6,
 * branch dprov) give the answers the full recognition gave:
 *   - Amazon SES: the SNS envelope's "Message" string, decoded by the
 *     decoder itself when the envelope is proven plain, reads as jansson
 *     read it (escapes, \u in UTF-8, line repairs); an envelope it cannot
 *     prove (a repeated or escaped "Message" key) is still jansson's.
 *   - an auto-reply (rfc3834) is found whatever order its tests run in,
 *     and a bounce-looking one is still turned away.
 * Each expectation was checked against the code before the change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <mailmedic/mailmedic.h>
#include <stdio.h>
#include <string.h>

#define HEAD                                                                                       \
    "From: SES <no-reply@sns.amazonaws.com>\n"                                                     \
    "To: sender@example.org\n"                                                                     \
    "Subject: AWS Notification Message\n"                                                          \
    "Content-Type: text/plain; charset=UTF-8\n"                                                    \
    "\n"

/* A bounce event for addr with diagnostic code diag (JSON-escaped twice:
 * it sits in a string inside a string). */
#define EVENT(addr, diag)                                                                          \
    "{\\\"notificationType\\\":\\\"Bounce\\\",\\\"bounce\\\":{\\\"bounceType\\\":"                 \
    "\\\"Permanent\\\",\\\"bouncedRecipients\\\":[{\\\"emailAddress\\\":\\\"" addr "\\\","         \
    "\\\"action\\\":\\\"failed\\\",\\\"status\\\":\\\"5.1.1\\\",\\\"diagnosticCode\\\":"           \
    "\\\"smtp; " diag "\\\"}],\\\"reportingMTA\\\":\\\"dsn; a1.example.com\\\"},"                  \
    "\\\"mail\\\":{\\\"source\\\":\\\"s@example.org\\\",\\\"headers\\\":[{\\\"name\\\":"           \
    "\\\"Subject\\\",\\\"value\\\":\\\"x\\\"}]}}"

static mm_report *diagnose(const char *msg)
{
    mm_ctx *ctx;
    mm_report *r = NULL;
    assert_int_equal(mm_ctx_create(NULL, &ctx), MM_OK);
    assert_int_equal(mm_diagnose_message(ctx, msg, strlen(msg), &r, NULL, 0), MM_OK);
    mm_ctx_destroy(ctx);
    return r;
}

static void expect_one(const char *msg, const char *mta, const char *rcpt, const char *diag)
{
    mm_report *r = diagnose(msg);
    assert_string_equal(mm_report_mta(r), mta);
    assert_int_equal(mm_report_count(r), 1);
    const mm_recipient *p = mm_report_recipient(r, 0);
    assert_string_equal(p->recipient, rcpt);
    if (diag)
        assert_string_equal(p->diagnostic, diag);
    mm_report_destroy(r);
}

/* Escapes of every kind, \u to one, two and three UTF-8 bytes, and a
 * mailer's "!\n " repair inside the string. */
static void test_envelope_escapes(void **state)
{
    (void)state;
    static const char msg[] = HEAD "{\n  \"Type\" : \"Notification\",\n  \"Message\" : \"" EVENT(
        "a@example.com", "550 5.1.1 caf\\\\u00e9 \\\\u4e2d \\\\u0041 a\\\\/b \\\\\\\"q\\\\\\\" "
                         "t\\\\tx o\\u00e9 \\/") "\",\n"
                                                 "  \"Signature\" : \"abc/def==\"\n}\n";
    expect_one(msg, "amazonses", "a@example.com", "550 5.1.1 café 中 A a/b \"q\" t x oé /");
    static const char repaired[] =
        HEAD "{\n  \"Type\" : \"Notification\",\n  \"Message\" : \"" EVENT(
            "a@example.com", "550 5.1.1 unknown us!\n er") "\",\n  \"Timestamp\" : 12\n}\n";
    expect_one(repaired, "amazonses", "a@example.com", "550 5.1.1 unknown user");
}

/* Two "Message" members: jansson keeps the last, and so does the decoder. */
static void test_envelope_repeated_key(void **state)
{
    (void)state;
    static const char msg[] = HEAD
        "{\"Message\" : \"" EVENT("first@example.com", "550 5.1.1 x") "\", \"Message\" : \"" EVENT(
            "last@example.com", "550 5.1.1 y") "\"}\n";
    expect_one(msg, "amazonses", "last@example.com", NULL);
}

/* A key with an escape that jansson reads as "Message" counts too. */
static void test_envelope_escaped_key(void **state)
{
    (void)state;
    static const char msg[] = HEAD "{\"Message\" : \"" EVENT(
        "first@example.com",
        "550 5.1.1 x") "\", \"Mess\\u0061ge\" : \"" EVENT("last@example.com",
                                                          "550 5.1.1 y") "\"}\n";
    expect_one(msg, "amazonses", "last@example.com", NULL);
}

/* A bare event (no envelope) still reads. */
static void test_bare_event(void **state)
{
    (void)state;
    static const char msg[] =
        HEAD "{\"notificationType\":\"Bounce\",\"bounce\":{\"bouncedRecipients\":[{"
             "\"emailAddress\":\"bare@example.com\",\"diagnosticCode\":\"smtp; 550 5.1.1 no\"}]},"
             "\"mail\":{\"source\":\"s@example.org\"}}\n";
    expect_one(msg, "amazonses", "bare@example.com", "550 5.1.1 no");
}

/* Values of every kind, a repeated member (the last counts) and a key
 * with an escape, read by the decoder's own builder as jansson read them. */
static void test_event_values(void **state)
{
    (void)state;
    static const char msg[] =
        HEAD "{\"notificationType\":\"Bounce\",\"n\":-0,\"t\":[true,false,null,12,{}],"
             "\"bounce\":{\"bouncedRecipients\":[{\"emailAddress\":\"old@example.com\"}]},"
             "\"bounce\":{\"bouncedRecipients\":[{\"emailAddress\":null},"
             "{\"emailAddress\":7,\"action\":true},"
             "{\"emailAddr\\u0065ss\":\"new@example.com\",\"action\":\"failed\","
             "\"diagnosticCode\":\"smtp; 550 5.1.1 \\u00e9\"}]}}\n";
    expect_one(msg, "amazonses", "new@example.com", "550 5.1.1 é");
}

static void test_autoreply(void **state)
{
    (void)state;
    static const char reply[] = "From: Person <person@example.com>\n"
                                "To: sender@example.org\n"
                                "Subject: Automatische Antwort: hello\n"
                                "\n"
                                "I am away until Monday.\n";
    expect_one(reply, "rfc3834", "person@example.com", NULL);
    static const char header[] = "From: Person <person@example.com>\n"
                                 "To: sender@example.org\n"
                                 "Subject: hello\n"
                                 "Auto-Submitted: auto-replied\n"
                                 "\n"
                                 "I am away until Monday.\n";
    expect_one(header, "rfc3834", "person@example.com", NULL);
    /* an auto-reply's subject, but a notice that reads as a bounce */
    static const char bounce[] = "From: Mail Delivery System <person@example.com>\n"
                                 "To: sender@example.org\n"
                                 "Subject: Auto-reply: Undeliverable\n"
                                 "\n"
                                 "hello\n";
    mm_report *r = diagnose(bounce);
    const char *mta = mm_report_mta(r); /* NULL when no decoder took it */
    assert_true(mta == NULL || strcmp(mta, "rfc3834") != 0);
    mm_report_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_envelope_escapes),     cmocka_unit_test(test_envelope_repeated_key),
        cmocka_unit_test(test_envelope_escaped_key), cmocka_unit_test(test_bare_event),
        cmocka_unit_test(test_event_values),         cmocka_unit_test(test_autoreply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
