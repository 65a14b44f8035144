/*
 * lint.c - the DMARC lint findings: one table, each row with its stable id
 * (used in JSON and tests: never rename one), its severity and its English
 * msgid.  The parser (record.c) and discovery (discover.c) name rows by id.
 * When you add a row, also document the id in the checkup report's docs.
 */
#include <string.h>

#include "dmarc/dmarc_int.h"

#define N_(s) s

static const mm_dmarc_lint_def lint_table[] = {
    /* the record as a whole (RFC 7489 6.6.3) */
    {"not_dmarc", MM_DMARC_ERROR,
     N_("The record does not start with v=DMARC1, so receivers ignore it.")},
    {"no_policy", MM_DMARC_ERROR,
     N_("The record has no p= tag and no valid rua=, so receivers ignore it.")},
    {"invalid_p", MM_DMARC_ERROR, N_("The p= value is not none, quarantine or reject.")},
    {"invalid_sp", MM_DMARC_ERROR, N_("The sp= value is not none, quarantine or reject.")},
    {"fallback_none", MM_DMARC_WARN,
     N_("Because p= or sp= is invalid, receivers act as if p=none was published.")},
    {"nul_byte", MM_DMARC_ERROR, N_("The record contains a NUL byte.")},
    {"multiple_records", MM_DMARC_ERROR,
     N_("More than one DMARC record is published at this name, so receivers apply none of them.")},
    {"no_record", MM_DMARC_WARN,
     N_("No DMARC record is published for this domain or its organizational domain.")},
    /* policy strength */
    {"p_none", MM_DMARC_WARN,
     N_("p=none is monitoring only: receivers take no action on failing mail.")},
    {"sp_weaker", MM_DMARC_WARN,
     N_("sp= is weaker than p=, so subdomains are less protected than the domain.")},
    {"pct_partial", MM_DMARC_WARN,
     N_("pct= is below 100: the policy applies to only part of the failing mail.")},
    {"testing", MM_DMARC_INFO, N_("t=y (DMARCbis) asks receivers to treat the policy as a test.")},
    {"np_weaker", MM_DMARC_INFO,
     N_("np= (DMARCbis) is weaker than the policy for existing subdomains.")},
    /* reporting */
    {"no_rua", MM_DMARC_WARN,
     N_("No rua= address: you receive no aggregate reports and cannot see who sends as your "
        "domain.")},
    {"rua_not_mailto", MM_DMARC_WARN,
     N_("A report URI is not a mailto: URI; receivers are only required to support mailto.")},
    {"too_many_uris", MM_DMARC_WARN,
     N_("More report URIs than mailmedic keeps; receivers may also use only the first two.")},
    {"fo_without_ruf", MM_DMARC_INFO, N_("fo= has no effect without a ruf= address.")},
    {"external_unauthorized", MM_DMARC_ERROR,
     N_("A report address at another domain has not authorized reports for this domain (no "
        "_report._dmarc record), so receivers send nothing there.")},
    {"external_temperror", MM_DMARC_WARN,
     N_("The authorization of an external report address could not be checked (temporary DNS "
        "failure).")},
    /* syntax of single tags: the value is discarded for the default (6.3) */
    {"invalid_pct", MM_DMARC_ERROR,
     N_("The pct= value is not a whole number from 0 to 100; receivers use 100.")},
    {"invalid_adkim", MM_DMARC_ERROR, N_("The adkim= value is not r or s; receivers use r.")},
    {"invalid_aspf", MM_DMARC_ERROR, N_("The aspf= value is not r or s; receivers use r.")},
    {"invalid_rua_uri", MM_DMARC_ERROR,
     N_("A rua= entry is not a valid URI (mailto:address with an optional !size).")},
    {"invalid_ruf_uri", MM_DMARC_ERROR,
     N_("A ruf= entry is not a valid URI (mailto:address with an optional !size).")},
    {"invalid_fo", MM_DMARC_ERROR,
     N_("The fo= value is not a colon-separated list of 0, 1, d and s; receivers use 0.")},
    {"invalid_rf", MM_DMARC_ERROR,
     N_("The rf= value is not a list of report format names; receivers use afrf.")},
    {"rf_unknown", MM_DMARC_WARN,
     N_("rf= names a report format other than afrf, the only one defined.")},
    {"invalid_ri", MM_DMARC_ERROR,
     N_("The ri= value is not a number of seconds; receivers use 86400.")},
    {"invalid_np", MM_DMARC_ERROR,
     N_("The np= value (DMARCbis) is not none, quarantine or reject.")},
    {"invalid_t", MM_DMARC_ERROR, N_("The t= value (DMARCbis) is not y or n.")},
    {"invalid_psd", MM_DMARC_ERROR, N_("The psd= value (DMARCbis) is not y, n or u.")},
    {"malformed_tag", MM_DMARC_ERROR, N_("A part of the record is not a tag=value pair.")},
    {"duplicate_tag", MM_DMARC_WARN, N_("A tag appears twice; only the first one is used.")},
    {"unknown_tag", MM_DMARC_INFO, N_("Unknown tag: receivers ignore it (check for a typo).")},
    {"empty_tag", MM_DMARC_INFO, N_("Empty entry between two semicolons.")},
    {"bad_whitespace", MM_DMARC_WARN,
     N_("Whitespace where DMARC allows none (only spaces and tabs around ; = and , are allowed).")},
    {"uppercase", MM_DMARC_INFO,
     N_("A tag name or value is in upper case; some receivers only accept lower case.")},
    {"p_not_second", MM_DMARC_INFO,
     N_("p= is not right after v=DMARC1 as the grammar asks; most receivers accept it.")},
    /* DMARCbis notes */
    {"bis_pct", MM_DMARC_INFO, N_("pct= is dropped in DMARCbis (t=y replaces it).")},
    {"bis_rf_ri", MM_DMARC_INFO, N_("rf= and ri= are dropped in DMARCbis.")},
};

const mm_dmarc_lint_def *mm_dmarc_lint_find(const char *id)
{
    for (size_t i = 0; i < sizeof lint_table / sizeof lint_table[0]; i++)
        if (strcmp(lint_table[i].id, id) == 0)
            return &lint_table[i];
    return NULL;
}
