/*
 * lint.c - the findings of the transport records and the MTA-STS policy:
 * one row per stable id, with its severity and English text (N_() msgids,
 * translated by the CLI).  When you add an id, add a test that raises it
 * (tests/dnsbl/test_transport.c).
 */
#include <string.h>

#include "transport/transport_int.h"

#define N_(s) s
#define E MM_TRANSPORT_ERROR
#define W MM_TRANSPORT_WARN
#define I MM_TRANSPORT_INFO

static const struct {
    const char *id;
    mm_transport_severity sev;
    const char *msg;
} table[] = {
    /* every record */
    {"not_first_version", E,
     N_("The record does not start with its version tag (v=STSv1, v=TLSRPTv1 or v=BIMI1), so "
        "it is ignored.")},
    {"syntax", E, N_("A field is not written as name=value.")},
    {"bad_field_name", E, N_("A field name holds characters the specification does not allow.")},
    {"bad_field_value", E,
     N_("A field value holds spaces, control characters, '=' or ';', which the specification "
        "does not allow.")},
    {"duplicate_field", E, N_("A field appears twice.")},
    {"unknown_field", I, N_("A field this version does not define; receivers ignore it.")},
    /* MTA-STS TXT (RFC 8461 3.1) */
    {"no_id", E, N_("The MTA-STS record has no id= field, so senders ignore it.")},
    {"bad_id", E, N_("The MTA-STS id= must be 1 to 32 letters and digits.")},
    /* TLS-RPT (RFC 8460 3) */
    {"no_rua", E, N_("The TLS-RPT record has no rua= field, so no report can be sent.")},
    {"rua_scheme", E, N_("A rua= destination is neither mailto: nor https:.")},
    {"rua_bad_uri", E, N_("A rua= destination is not a valid e-mail address or URL.")},
    {"too_many_uris", W,
     N_("More report destinations than mailmedic keeps; the rest were not "
        "checked.")},
    /* BIMI */
    {"no_logo", E, N_("The BIMI record has no l= field (the logo URL).")},
    {"logo_not_https", E, N_("The BIMI logo (l=) must be an https:// URL.")},
    {"logo_not_svg", W, N_("The BIMI logo (l=) should be an SVG file (SVG Tiny PS).")},
    {"no_authority", W,
     N_("No mark certificate (a=): Gmail and Apple Mail show the logo only with a VMC or "
        "CMC.")},
    {"authority_not_https", E, N_("The BIMI certificate (a=) must be an https:// URL.")},
    {"declined", I, N_("l= and a= are empty: the domain asks receivers not to show a logo.")},
    /* MTA-STS policy file (RFC 8461 3.2) */
    {"policy_syntax", E, N_("A policy line is not written as \"key: value\".")},
    {"policy_duplicate", E, N_("A policy field other than mx appears twice.")},
    {"policy_no_version", E, N_("The policy has no \"version: STSv1\" line.")},
    {"policy_bad_version", E, N_("The policy version is not STSv1.")},
    {"policy_no_mode", E, N_("The policy has no mode line.")},
    {"policy_bad_mode", E, N_("The policy mode is not enforce, testing or none.")},
    {"policy_no_max_age", E, N_("The policy has no max_age line.")},
    {"policy_bad_max_age", E, N_("max_age must be a number of seconds up to 31557600 (one year).")},
    {"policy_short_max_age", W,
     N_("max_age is under one day; RFC 8461 suggests weeks, so the policy protects little.")},
    {"policy_no_mx", E, N_("The policy lists no mx pattern, so no MX host can match it.")},
    {"policy_bad_mx", E, N_("An mx pattern is not a host name or \"*.\" followed by one.")},
    {"policy_testing", I,
     N_("mode testing: senders deliver even when TLS fails and only report it (TLS-RPT).")},
    {"policy_mode_none", W, N_("mode none: the domain has withdrawn its MTA-STS policy.")},
};

void mm_transport_add_lint(mm_transport_lint *lints, size_t *n, const char *id, const char *field,
                           const char *value)
{
    if (*n >= MM_TRANSPORT_MAX_LINTS)
        return;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(table[i].id, id) == 0) {
            lints[(*n)++] = (mm_transport_lint){table[i].id, table[i].sev, table[i].msg,
                                                field ? field : "", value ? value : ""};
            return;
        }
    }
}

const char *mm_transport_severity_name(mm_transport_severity s)
{
    return s == E ? "error" : s == W ? "warn" : "info";
}
