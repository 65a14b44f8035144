/*
 * codes.c - names and messages of the address findings.  The names are
 * stable JSON ids; the messages are English msgids (the CLI translates
 * them) taking %1$zu = character column and %2$s = offending text.  Every
 * message names %1$zu so positional printf stays defined (POSIX requires
 * arguments 1..N-1 to be used when N is).
 */
#include "address/address_int.h"

#define N_(s) s

static const struct {
    const char *name;
    const char *msg;
} codes[MM_ADDR_CODE_MAX_] = {
    [MM_ADDR_OK] = {"ok", N_("the address is valid (checked up to character %1$zu)")},
    [MM_ADDR_EMPTY] = {"empty", N_("the address is empty (character %1$zu)")},
    [MM_ADDR_MISSING_AT] =
        {"missing_at", N_("there is no '@' (the text ends at character %1$zu): an address looks "
                          "like name@example.com")},
    [MM_ADDR_MULTIPLE_AT] = {"multiple_at",
                             N_("a second '@' at character %1$zu: an address has exactly one "
                                "'@' (is it two addresses, or a typing slip?)")},
    [MM_ADDR_MISSING_LOCAL] = {"missing_local", N_("nothing before the '@' at character %1$zu: "
                                                   "the name part of the address is missing")},
    [MM_ADDR_MISSING_DOMAIN] = {"missing_domain",
                                N_("nothing after the '@' at character %1$zu: the domain (such as "
                                   "example.com) is missing")},
    [MM_ADDR_SPACE] = {"space",
                       N_("white space (%2$s) at character %1$zu: an address cannot contain "
                          "spaces; remove it")},
    [MM_ADDR_LINE_BREAK] = {"line_break", N_("a line break (%2$s) at character %1$zu: the "
                                             "address was copied with a line break; remove it")},
    [MM_ADDR_CONTROL_CHAR] = {"control_char", N_("an invisible control character (%2$s) at "
                                                 "character %1$zu; remove it")},
    [MM_ADDR_INVISIBLE_CHAR] = {"invisible_char",
                                N_("an invisible character (%2$s) at character %1$zu, usually "
                                   "copied along with the address; remove it")},
    [MM_ADDR_FULLWIDTH_CHAR] = {"fullwidth_char",
                                N_("a full-width '%2$s' at character %1$zu: type it again with the "
                                   "input method in English (half-width) mode")},
    [MM_ADDR_DISPLAY_NAME] = {"display_name",
                              N_("a name and angle brackets around the address (from character "
                                 "%1$zu): give only the part inside '<' and '>'")},
    [MM_ADDR_ANGLE_BRACKETS] = {"angle_brackets", N_("an angle bracket '%2$s' at character "
                                                     "%1$zu: give the address without '<' "
                                                     "and '>'")},
    [MM_ADDR_MAILTO] = {"mailto", N_("'%2$s' at character %1$zu is a link prefix, not part of "
                                     "the address: remove it")},
    [MM_ADDR_COMMENT] = {"comment", N_("a comment in parentheses at character %1$zu: remove "
                                       "'%2$s' and what it encloses")},
    [MM_ADDR_ADDRESS_LIST] =
        {"address_list", N_("'%2$s' at character %1$zu separates two addresses: check them one "
                            "at a time")},
    [MM_ADDR_INVALID_UTF8] = {"invalid_utf8", N_("bytes that are not UTF-8 text at character "
                                                 "%1$zu (a wrong character set?)")},
    [MM_ADDR_LOCAL_CHAR] = {"local_char",
                            N_("'%2$s' at character %1$zu is not allowed in the part before the "
                               "'@' unless that part is in double quotes")},
    [MM_ADDR_LOCAL_COMMA] = {"local_comma", N_("a comma at character %1$zu, before the '@': "
                                               "did you mean a dot '.'?")},
    [MM_ADDR_LEADING_DOT] = {"leading_dot", N_("a dot at character %1$zu begins a part of the "
                                               "address: a dot may only stand between words")},
    [MM_ADDR_TRAILING_DOT] = {"trailing_dot", N_("a dot at character %1$zu ends a part of the "
                                                 "address: remove it")},
    [MM_ADDR_DOUBLE_DOT] = {"double_dot", N_("two dots in a row at character %1$zu: remove "
                                             "one")},
    [MM_ADDR_QUOTE_UNCLOSED] = {"quote_unclosed", N_("the double quote at character %1$zu is "
                                                     "never closed")},
    [MM_ADDR_QUOTE_CHAR] = {"quote_char", N_("'%2$s' at character %1$zu is not allowed inside "
                                             "double quotes in SMTP")},
    [MM_ADDR_QUOTE_MIXED] =
        {"quote_mixed", N_("quoted and unquoted text mixed at character %1$zu: quote the whole "
                           "part before the '@' or nothing of it")},
    [MM_ADDR_QUOTE_EMPTY] = {"quote_empty", N_("the part before the '@' is an empty pair of "
                                               "quotes (character %1$zu)")},
    [MM_ADDR_LOCAL_TOO_LONG] =
        {"local_too_long",
         N_("the part before the '@' at character %1$zu is %2$s bytes long in UTF-8; "
            "the limit is 64 (RFC 5321 4.5.3.1.1)")},
    [MM_ADDR_ADDRESS_TOO_LONG] =
        {"address_too_long",
         N_("the address is %2$s bytes long (the domain counted as DNS sees it) and goes "
            "past the limit of 254 (RFC 5321 4.5.3.1.3) at character %1$zu")},
    [MM_ADDR_DOMAIN_TOO_LONG] =
        {"domain_too_long",
         N_("the domain starting at character %1$zu is %2$s bytes long as DNS sees it; "
            "the limit is 255 (RFC 5321 4.5.3.1.2)")},
    [MM_ADDR_LABEL_TOO_LONG] = {"label_too_long",
                                N_("the part of the domain starting at character %1$zu is %2$s "
                                   "bytes long as DNS sees it; the limit is 63 (RFC 1035)")},
    [MM_ADDR_DOMAIN_CHAR] = {"domain_char", N_("'%2$s' at character %1$zu is not allowed in a "
                                               "domain (only letters, digits, '-' and '.')")},
    [MM_ADDR_DOMAIN_UNDERSCORE] =
        {"domain_underscore", N_("an underscore '_' at character %1$zu: domains cannot contain "
                                 "'_' (did you mean '-' or '.'?)")},
    [MM_ADDR_DOMAIN_COMMA] = {"domain_comma", N_("a comma at character %1$zu in the domain: "
                                                 "did you mean a dot '.'?")},
    [MM_ADDR_HYPHEN_START] = {"hyphen_start", N_("a part of the domain begins with '-' at "
                                                 "character %1$zu")},
    [MM_ADDR_HYPHEN_END] = {"hyphen_end", N_("a part of the domain ends with '-' at character "
                                             "%1$zu")},
    [MM_ADDR_RESERVED_LABEL] =
        {"reserved_label", N_("'%2$s' at character %1$zu: a domain label with '--' in the third "
                              "and fourth place is reserved (RFC 5890) and cannot exist")},
    [MM_ADDR_FAKE_ALABEL] = {"fake_alabel", N_("'%2$s' at character %1$zu starts like an "
                                               "internationalised label (xn--) but is not a "
                                               "valid one")},
    [MM_ADDR_IDN_INVALID] = {"idn_invalid",
                             N_("'%2$s' at character %1$zu is not allowed in an internationalised "
                                "domain name (IDNA2008)")},
    [MM_ADDR_NUMERIC_TLD] =
        {"numeric_tld", N_("the domain ends in digits ('%2$s' at character %1$zu): no top-level "
                           "domain is a number; an IP address must be written in brackets, "
                           "e.g. user@[192.0.2.1]")},
    [MM_ADDR_LITERAL_UNCLOSED] = {"literal_unclosed", N_("the '[' at character %1$zu is never "
                                                         "closed with ']'")},
    [MM_ADDR_LITERAL_BAD] = {"literal_bad",
                             N_("'%2$s' in brackets at character %1$zu is neither an IPv4 address "
                                "nor 'IPv6:' followed by an IPv6 address")},
    [MM_ADDR_IPV4_BAD] = {"ipv4_bad", N_("'%2$s' at character %1$zu is not an IPv4 address "
                                         "(four numbers 0-255 separated by dots)")},
    [MM_ADDR_IPV6_BAD] = {"ipv6_bad", N_("'%2$s' at character %1$zu is not an IPv6 address")},
    [MM_ADDR_LITERAL_TAG] = {"literal_tag",
                             N_("the address literal tag '%2$s' at character %1$zu is not one that "
                                "mail servers know (only 'IPv6:' is defined)")},
    [MM_ADDR_AFTER_LITERAL] = {"after_literal", N_("'%2$s' at character %1$zu follows the "
                                                   "closing ']' of the address literal")},
    [MM_ADDR_TLD_UNKNOWN] = {"tld_unknown",
                             N_("'%2$s' at character %1$zu is not an existing top-level domain "
                                "(not in the Public Suffix List): mail to it cannot be delivered")},
    [MM_ADDR_DOTLESS] = {"dotless", N_("the domain '%2$s' at character %1$zu has no dot: mail "
                                       "servers do not deliver to such names (is an ending "
                                       "such as '.com' missing?)")},
    [MM_ADDR_SPECIAL_USE] = {"special_use",
                             N_("'%2$s' at character %1$zu is a reserved name for testing or local "
                                "use (RFC 2606, RFC 6761): it never receives Internet mail")},
    [MM_ADDR_RFC5322_ONLY] = {"rfc5322_only",
                              N_("valid in a message header (RFC 5322) but not in SMTP: '%2$s' at "
                                 "character %1$zu")},
};

const char *mm_addr_code_name(mm_addr_code c)
{
    if ((unsigned)c >= MM_ADDR_CODE_MAX_ || !codes[c].name)
        return "unknown";
    return codes[c].name;
}

const char *mm_addr_code_message(mm_addr_code c)
{
    if ((unsigned)c >= MM_ADDR_CODE_MAX_ || !codes[c].msg)
        return N_("unknown problem at character %1$zu");
    return codes[c].msg;
}

bool mm_addr_code_is_note(mm_addr_code c)
{
    return c >= MM_ADDR_NOTE_FIRST_ && c < MM_ADDR_CODE_MAX_;
}

/* The normalisations (mm_addr.norms bits), by bit number. */
static const struct {
    const char *name;
    const char *msg;
} norms[] = {
    {"domain_lowercased", N_("the domain was written in lower case")},
    {"trimmed", N_("spaces around the address were removed")},
    {"fullwidth_mapped", N_("full-width characters were changed to ordinary ones")},
    {"unwrapped", N_("mailto:, angle brackets or a name around the address were removed")},
    {"idn_mapped", N_("the international domain was mapped to its standard form")},
    {"alabel_decoded", N_("the domain's xn-- labels are shown as the characters they stand for")},
    {"comma_as_dot", N_("a comma in the domain was read as a dot")},
};

static int norm_index(unsigned bit)
{
    if (!bit || (bit & (bit - 1)))
        return -1;
    int i = __builtin_ctz(bit);
    return i < (int)(sizeof norms / sizeof norms[0]) ? i : -1;
}

const char *mm_addr_norm_name(unsigned bit)
{
    int i = norm_index(bit);
    return i < 0 ? "unknown" : norms[i].name;
}

const char *mm_addr_norm_message(unsigned bit)
{
    int i = norm_index(bit);
    return i < 0 ? "" : norms[i].msg;
}
