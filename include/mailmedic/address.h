/*
 * address.h - e-mail address syntax checker (the first stage of `verify`).
 *
 * mm_addr_check() judges one address as an RFC 5321 Mailbox (what goes in
 * MAIL FROM / RCPT TO), extended by RFC 6531 for UTF-8 local parts and by
 * IDNA2008 (RFC 5890-5892, no UTS 46 mapping) for U-label domains.  With
 * MM_ADDR_RFC5322 it judges an RFC 5322 addr-spec (+ RFC 6532) instead,
 * where comments, folding white space and the obsolete syntax count.
 *
 * Every rejection names the first real problem in reading order and the
 * 1-based character column where it is (columns count characters of the
 * input as given, not octets).  Separately, *domain notes* keep the syntax
 * valid but say the domain cannot get mail (unknown TLD, dotless domain,
 * special-use name).  Safe normalisations are reported as flags, and a
 * corrected address is offered in mm_addr.fixed when the fix is unambiguous
 * (full-width characters, surrounding white space, mailto:, <...>, a display
 * name) and the result is valid.
 *
 * Cost: ASCII addresses are checked in one pass with no allocation and no
 * locale call; only domains with non-ASCII or "xn--" labels go through
 * libidn2 (which allocates internally).  The policy for the disputed cases
 * is in docs/VERIFY.md.
 */
#ifndef MAILMEDIC_ADDRESS_H
#define MAILMEDIC_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <mailmedic/export.h>
#include <mailmedic/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Read-only after create: one checker may be shared by many threads. */
typedef struct mm_addr_checker mm_addr_checker;

/* Loads the Public Suffix List (psl_latest(NULL), falling back to
 * psl_builtin()) and builds the TLD set.  MM_ENOMEM on allocation failure,
 * MM_ENOTFOUND when no PSL at all is available. */
MM_EXTERN mm_status_t mm_addr_checker_create(mm_addr_checker **out);
/* Frees the checker; NULL is a no-op. */
MM_EXTERN void mm_addr_checker_free(mm_addr_checker *c);

/* What is wrong.  The numbers are fixed and never reused.  Codes below
 * MM_ADDR_NOTE_FIRST_ are errors (syntax invalid); the others are notes. */
typedef enum mm_addr_code {
    MM_ADDR_OK = 0,
    MM_ADDR_EMPTY = 1,              /* nothing was given */
    MM_ADDR_MISSING_AT = 2,         /* no "@" */
    MM_ADDR_MULTIPLE_AT = 3,        /* a second "@" */
    MM_ADDR_MISSING_LOCAL = 4,      /* nothing before "@" */
    MM_ADDR_MISSING_DOMAIN = 5,     /* nothing after "@" */
    MM_ADDR_SPACE = 6,              /* a space, tab or Unicode space */
    MM_ADDR_LINE_BREAK = 7,         /* CR or LF */
    MM_ADDR_CONTROL_CHAR = 8,       /* another control character */
    MM_ADDR_INVISIBLE_CHAR = 9,     /* zero-width / format character */
    MM_ADDR_FULLWIDTH_CHAR = 10,    /* a full-width form (CJK input methods) */
    MM_ADDR_DISPLAY_NAME = 11,      /* "Name <user@example.com>" */
    MM_ADDR_ANGLE_BRACKETS = 12,    /* "<user@example.com>" */
    MM_ADDR_MAILTO = 13,            /* "mailto:user@example.com" */
    MM_ADDR_COMMENT = 14,           /* an RFC 5322 "(comment)" */
    MM_ADDR_ADDRESS_LIST = 15,      /* two addresses separated by "," or ";" */
    MM_ADDR_INVALID_UTF8 = 16,      /* bytes that are not UTF-8 */
    MM_ADDR_LOCAL_CHAR = 17,        /* a character not allowed in the local part */
    MM_ADDR_LOCAL_COMMA = 18,       /* a comma in the local part */
    MM_ADDR_LEADING_DOT = 19,       /* a part starts with "." */
    MM_ADDR_TRAILING_DOT = 20,      /* a part ends with "." */
    MM_ADDR_DOUBLE_DOT = 21,        /* ".." */
    MM_ADDR_QUOTE_UNCLOSED = 22,    /* a quoted local part without its closing quote */
    MM_ADDR_QUOTE_CHAR = 23,        /* a character not allowed inside quotes */
    MM_ADDR_QUOTE_MIXED = 24,       /* quoted and unquoted text mixed (RFC 5322 obsolete) */
    MM_ADDR_QUOTE_EMPTY = 25,       /* "" as the local part */
    MM_ADDR_LOCAL_TOO_LONG = 26,    /* local part over 64 octets */
    MM_ADDR_ADDRESS_TOO_LONG = 27,  /* address over 254 octets */
    MM_ADDR_DOMAIN_TOO_LONG = 28,   /* domain over 255 octets */
    MM_ADDR_LABEL_TOO_LONG = 29,    /* a domain label over 63 octets */
    MM_ADDR_DOMAIN_CHAR = 30,       /* a character not allowed in a domain */
    MM_ADDR_DOMAIN_UNDERSCORE = 31, /* "_" in the domain */
    MM_ADDR_DOMAIN_COMMA = 32,      /* "," in the domain */
    MM_ADDR_HYPHEN_START = 33,      /* a label starts with "-" */
    MM_ADDR_HYPHEN_END = 34,        /* a label ends with "-" */
    MM_ADDR_RESERVED_LABEL = 35,    /* "ab--cd": "--" at positions 3-4 (RFC 5890 2.3.1) */
    MM_ADDR_FAKE_ALABEL = 36,       /* "xn--" label that is no valid A-label */
    MM_ADDR_IDN_INVALID = 37,       /* a U-label that IDNA2008 does not allow */
    MM_ADDR_NUMERIC_TLD = 38,       /* the last label is all digits */
    MM_ADDR_LITERAL_UNCLOSED = 39,  /* "[" without "]" */
    MM_ADDR_LITERAL_BAD = 40,       /* [...] that is neither IPv4 nor IPv6 */
    MM_ADDR_IPV4_BAD = 41,          /* [1.2.3.999] */
    MM_ADDR_IPV6_BAD = 42,          /* [IPv6:...] that is not an IPv6 address */
    MM_ADDR_LITERAL_TAG = 43,       /* [tag:...] with a tag other than IPv6 */
    MM_ADDR_AFTER_LITERAL = 44,     /* text after the closing "]" */

    MM_ADDR_NOTE_FIRST_ = 60,
    MM_ADDR_TLD_UNKNOWN = 60,  /* note: TLD not in the Public Suffix List */
    MM_ADDR_DOTLESS = 61,      /* note: user@com - no mail in practice */
    MM_ADDR_SPECIAL_USE = 62,  /* note: .test .example .invalid .localhost ... */
    MM_ADDR_RFC5322_ONLY = 63, /* note (MM_ADDR_RFC5322): fine in a message, not in SMTP */
    MM_ADDR_CODE_MAX_
} mm_addr_code;

/* Stable snake_case id for JSON ("missing_at"); "unknown" for a bad code. */
MM_EXTERN const char *mm_addr_code_name(mm_addr_code c);
/* English msgid (translate with dgettext("mailmedic", ...)) taking printf
 * positional arguments %1$zu = column, %2$s = offending text.  Every
 * message uses %1$zu; those that show the text also use %2$s. */
MM_EXTERN const char *mm_addr_code_message(mm_addr_code c);
/* True for the codes that leave the syntax valid (notes). */
MM_EXTERN bool mm_addr_code_is_note(mm_addr_code c);

/* One finding: the code, the 1-based character column in the input as
 * given (0 when it concerns the whole address), and the offending text
 * (NUL-terminated; a longer text is cut at a character boundary and ends
 * with "\u2026").  For the *_too_long codes
 * the text is the length in octets, e.g. "65". */
typedef struct mm_addr_issue {
    mm_addr_code code;
    size_t column;
    char text[16];
} mm_addr_issue;

enum {
    /* judge as RFC 5322 addr-spec (+6532) instead of RFC 5321 mailbox (+6531) */
    MM_ADDR_RFC5322 = 1u << 0,
};

/* mm_addr.flags: what the address is. */
enum {
    MM_ADDR_F_QUOTED_LOCAL = 1u << 0, /* "..."@ */
    MM_ADDR_F_LITERAL = 1u << 1,      /* @[1.2.3.4] or @[IPv6:...] */
    MM_ADDR_F_UTF8_LOCAL = 1u << 2,   /* needs SMTPUTF8 (RFC 6531) */
    MM_ADDR_F_IDN = 1u << 3,          /* domain has U-labels / A-labels */
    MM_ADDR_F_DOTLESS = 1u << 4,      /* domain is one label */
    MM_ADDR_F_OBSOLETE = 1u << 5,     /* MM_ADDR_RFC5322: valid only by RFC 5322 4.4 */
};

/* mm_addr.norms: what was changed, in `address` (valid input) or in
 * `fixed` (invalid input), so the caller can say so. */
enum {
    MM_ADDR_N_LOWER_DOMAIN = 1u << 0,   /* the domain was lower-cased */
    MM_ADDR_N_TRIMMED = 1u << 1,        /* white space around the address removed */
    MM_ADDR_N_FULLWIDTH = 1u << 2,      /* full-width forms turned into ASCII */
    MM_ADDR_N_UNWRAPPED = 1u << 3,      /* mailto:, <...> or a display name removed */
    MM_ADDR_N_IDN_MAPPED = 1u << 4,     /* domain mapped as UTS 46 would (case, width) */
    MM_ADDR_N_ALABEL_DECODED = 1u << 5, /* `domain` shows A-labels as U-labels */
    MM_ADDR_N_COMMA_AS_DOT = 1u << 6,   /* "," between domain labels read as "." */
};

/* A stable id ("trimmed", "domain_lowercased", "fullwidth_mapped", ...) for
 * one MM_ADDR_N_* bit; "unknown" for anything else. */
MM_EXTERN const char *mm_addr_norm_name(unsigned bit);
/* English msgid saying what the normalisation did ("" for an unknown bit). */
MM_EXTERN const char *mm_addr_norm_message(unsigned bit);

enum {
    MM_ADDR_MAX_ISSUES = 4,
    MM_ADDR_TEXT_MAX = 1024, /* room for a domain of U-labels decoded from A-labels */
};

/* The result, allocated by the caller (no heap per call).  Strings are
 * NUL-terminated; the address parts are "" unless syntax_ok.  Only the
 * first problem is recorded (n_errors is 0 or 1 today; callers should
 * still loop).  Under MM_ADDR_RFC5322, an address that only RFC 5322
 * accepts is syntax_ok with an MM_ADDR_RFC5322_ONLY note naming what SMTP
 * refuses, and its address parts stay "" (it cannot be sent as is). */
typedef struct mm_addr {
    bool syntax_ok;
    unsigned flags;                           /* MM_ADDR_F_* */
    unsigned norms;                           /* MM_ADDR_N_* */
    size_t n_errors;                          /* 0 when syntax_ok */
    mm_addr_issue errors[MM_ADDR_MAX_ISSUES]; /* errors[0] is the first problem */
    size_t n_notes;
    mm_addr_issue notes[MM_ADDR_MAX_ISSUES];
    char address[MM_ADDR_TEXT_MAX]; /* local "@" domain (domain lower case, U-labels) */
    char local[256];                /* local part as given (quotes kept) */
    char domain[MM_ADDR_TEXT_MAX];  /* lower case, U-labels; "[...]" for a literal */
    char domain_ascii[256];         /* lower case, A-labels: what DNS is asked */
    char fixed[256];                /* the input with unambiguous fixes, or "" */
} mm_addr;

/* Checks `len` bytes at `in` (need not be NUL-terminated; NUL bytes are
 * control characters).  Fills *out completely.  Returns MM_OK whatever the
 * verdict (see out->syntax_ok), MM_EINVAL for NULL arguments.  The work is
 * linear in len, so a 10 MB line is judged (too long), not refused. */
MM_EXTERN mm_status_t mm_addr_check(const mm_addr_checker *c, const char *in, size_t len,
                                    unsigned opts, mm_addr *out);

#ifdef __cplusplus
}
#endif
#endif
