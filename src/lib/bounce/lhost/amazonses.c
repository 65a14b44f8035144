/*
 * amazonses.c - Amazon SES event notifications in JSON, as delivered by
 * SNS to an e-mail subscription: the body is an SNS envelope whose
 * "Message" is the SES event as an escaped JSON string, or the bare event.
 * Documented in the SES Developer Guide, "Amazon SNS notification contents":
 *   notificationType  Bounce | Complaint | Delivery
 *   bounce.bouncedRecipients[]       emailAddress, action, status, diagnosticCode
 *   complaint.complainedRecipients[] emailAddress; complaintFeedbackType
 *   delivery.recipients[]            addresses; smtpResponse, reportingMTA
 * SES's mail-form bounces (multipart/report from MAILER-DAEMON@...amazonses.com)
 * are read by rfc3464.c; older ones wrap the receiver's reply in SES's own
 * words, "5.1.0 - Unknown address error 550-'5.7.1 <...>... Access denied'
 * (delivery attempts: 0)", and the quoted reply is what the receiver said.
 *
 * The JSON is parsed with jansson.  Before that, the "!\n " that mailers
 * insert into over-long lines (RFC 5322 line-length repair) is removed,
 * since it can fall inside a JSON string.  Newer SES event publishing names
 * the type "eventType" instead of "notificationType"; both are read.
 */
#include "../decoders.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* A copy of the text with the "!\n " line repairs removed; *len set. */
static char *strip_repairs(const char *t, size_t n, size_t *len)
{
    char *o = malloc(n + 1);
    if (!o)
        return NULL;
    /* the runs between '!'s copied whole (a '!' is rare in JSON) */
    size_t w = 0, i = 0;
    for (const char *x; i < n && (x = memchr(t + i, '!', n - i)) != NULL;) {
        size_t k = (size_t)(x - t);
        memcpy(o + w, t + i, k - i);
        w += k - i;
        if (k + 2 < n && t[k + 1] == '\n' && t[k + 2] == ' ') {
            i = k + 3;
            continue;
        }
        o[w++] = '!';
        i = k + 1;
    }
    memcpy(o + w, t + i, n - i);
    w += n - i;
    o[w] = '\0';
    *len = w;
    return o;
}

/*
 * jansson spends ~130 instructions a byte, and most of an event is the
 * "mail" member (the message's headers), which is never read.  So before
 * the parse, the value of every top-level member not read here becomes 0,
 * but only when a strict check proves jansson would accept it: ASCII only,
 * no "\u0000" or surrogate escapes, integers of at most 15 digits, no
 * fractions or exponents, nesting under 32.  Anything else stays as it is
 * and jansson judges it.  A valid value replaced by another leaves the
 * parse's outcome and every member read unchanged (RFC 8259's grammar is
 * context-free; jansson keeps the last of duplicate keys, which a key read
 * here still is).
 */
enum { SKIP_DEPTH = 32, SKIP_DIGITS = 15 };

static const char *skip_ws(const char *s, const char *e)
{
    while (s < e && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
        s++;
    return s;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* The first byte of s..e that skip_string() must look at: a quote, a
 * backslash, a control or an 8-bit byte; e when there is none.  Most of a
 * string is none of these: 16 bytes are passed at once where SSE2 is. */
static const char *plain_run(const char *s, const char *e)
{
#ifdef __SSE2__
    for (; e - s >= 16; s += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
        /* signed: below 0x20 are the controls and the 8-bit bytes */
        __m128i stop = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                                    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                 _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
        unsigned m = (unsigned)_mm_movemask_epi8(stop);
        if (m)
            return s + __builtin_ctz(m);
    }
#endif
    while (s < e && *s != '"' && *s != '\\' && (unsigned char)*s >= 0x20 &&
           (unsigned char)*s < 0x80)
        s++;
    return s;
}

/* The string opening at s: its end after the closing quote, or NULL. */
static const char *skip_string(const char *s, const char *e)
{
    for (s++; (s = plain_run(s, e)) < e; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"')
            return s + 1;
        if (c < 0x20 || c >= 0x80)
            return NULL;
        if (c != '\\')
            continue;
        if (++s == e)
            return NULL;
        if (*s && strchr("\"\\/bfnrt", *s))
            continue;
        if (*s != 'u' || e - s < 5)
            return NULL;
        unsigned v = 0;
        for (int k = 1; k <= 4; k++) {
            if (!is_hex(s[k]))
                return NULL;
            v = v * 16 + (unsigned)(s[k] <= '9' ? s[k] - '0' : (s[k] | 0x20) - 'a' + 10);
        }
        if (v == 0 || (v >= 0xD800 && v <= 0xDFFF))
            return NULL;
        s += 4;
    }
    return NULL;
}

static bool is_digit(const char *s, const char *e)
{
    return s < e && *s >= '0' && *s <= '9';
}

/* An integer: "-"? then "0" or up to 15 digits not starting with 0. */
static const char *skip_number(const char *s, const char *e)
{
    s += (*s == '-');
    if (!is_digit(s, e))
        return NULL;
    const char *d = s;
    if (*s == '0')
        s++;
    else
        while (is_digit(s, e))
            s++;
    if (s - d > SKIP_DIGITS || is_digit(s, e))
        return NULL;
    if (s < e && (*s == '.' || *s == 'e' || *s == 'E'))
        return NULL;
    return s;
}

static const char *skip_word(const char *s, const char *e, const char *w, size_t n)
{
    return (size_t)(e - s) >= n && memcmp(s, w, n) == 0 ? s + n : NULL;
}

static const char *skip_value(const char *s, const char *e, int depth);

/* An object or array opening at s; its members' values through skip_value. */
static const char *skip_container(const char *s, const char *e, int depth)
{
    char close = *s == '{' ? '}' : ']';
    s = skip_ws(s + 1, e);
    if (s < e && *s == close)
        return s + 1;
    for (;;) {
        if (close == '}') {
            if (s == e || *s != '"' || !(s = skip_string(s, e)))
                return NULL;
            s = skip_ws(s, e);
            if (s == e || *s != ':')
                return NULL;
            s = skip_ws(s + 1, e);
        }
        if (!(s = skip_value(s, e, depth)))
            return NULL;
        s = skip_ws(s, e);
        if (s == e || (*s != ',' && *s != close))
            return NULL;
        if (*s == close)
            return s + 1;
        s = skip_ws(s + 1, e);
    }
}

/* The end of the value at s when jansson surely accepts it, else NULL.  A
 * literal or number must be followed by a byte the caller checks (white
 * space, ',', '}' or ']'), so "truex" or "12a" fail there. */
static const char *skip_value(const char *s, const char *e, int depth)
{
    if (s == e)
        return NULL;
    switch (*s) {
    case '"':
        return skip_string(s, e);
    case '{':
    case '[':
        return depth < SKIP_DEPTH ? skip_container(s, e, depth + 1) : NULL;
    case 't':
        return skip_word(s, e, "true", 4);
    case 'f':
        return skip_word(s, e, "false", 5);
    case 'n':
        return skip_word(s, e, "null", 4);
    default:
        return skip_number(s, e);
    }
}

/*
 * The members read by this decoder, by their raw key (a key with an
 * escape is kept as it is: it may decode to one of these), level by
 * level: a member with a child list is an object whose own members are
 * thinned the same way (or, with each, an array of such objects).  When a
 * decoder function here reads a new member, add it: the others reach
 * jansson as 0.
 */
typedef struct member {
    const char *name;
    const struct member *child; /* NULL: the value is kept whole */
    bool each;                  /* child applies to each object of an array */
} member;

static const member rcpt_members[] = {{"emailAddress", NULL, false},
                                      {"diagnosticCode", NULL, false},
                                      {"action", NULL, false},
                                      {"status", NULL, false},
                                      {NULL, NULL, false}};
static const member bounce_members[] = {
    {"reportingMTA", NULL, false}, {"bouncedRecipients", rcpt_members, true}, {NULL, NULL, false}};
static const member complaint_members[] = {{"complaintFeedbackType", NULL, false},
                                           {"complainedRecipients", rcpt_members, true},
                                           {NULL, NULL, false}};
static const member delivery_members[] = {{"smtpResponse", NULL, false},
                                          {"reportingMTA", NULL, false},
                                          {"recipients", NULL, false},
                                          {NULL, NULL, false}};
static const member event_members[] = {{"Message", NULL, false},
                                       {"notificationType", NULL, false},
                                       {"eventType", NULL, false},
                                       {"bounce", bounce_members, false},
                                       {"complaint", complaint_members, false},
                                       {"delivery", delivery_members, false},
                                       {NULL, NULL, false}};

/* The entry of list for the raw key k[0..n); NULL when the member is not
 * read.  *escaped: the key holds an escape (then NULL, and kept whole). */
static const member *member_of(const member *list, const char *k, size_t n, bool *escaped)
{
    *escaped = memchr(k, '\\', n) != NULL;
    if (*escaped)
        return NULL;
    for (; list->name; list++)
        if (strlen(list->name) == n && memcmp(list->name, k, n) == 0)
            return list;
    return NULL;
}

/* src[0..n) appended at j + *w (never past src: the text only shrinks). */
static void put(char *j, size_t *w, const char *src, size_t n)
{
    memmove(j + *w, src, n);
    *w += n;
}

static void thin_value(char *j, size_t *w, const char *v, const char *ve, const member *m);

/* The object s..e, which skip_value() proved already, appended at j + *w
 * with the values of the members list does not read made 0. */
static void thin_object(char *j, size_t *w, const char *s, const char *e, const member *list)
{
    const char *p = skip_ws(s + 1, e), *from;
    put(j, w, s, (size_t)(p - s)); /* the brace and white space */
    for (from = p; *p == '"'; from = p) {
        const char *k = skip_string(p, e), *v = skip_ws(skip_ws(k, e) + 1, e);
        const char *ve = skip_value(v, e, 1);
        bool escaped;
        const member *m = member_of(list, p + 1, (size_t)(k - p - 2), &escaped);
        put(j, w, p, (size_t)(v - p)); /* key, colon, white space */
        if (m || escaped)
            thin_value(j, w, v, ve, m);
        else
            j[(*w)++] = '0';
        from = ve;
        const char *q = skip_ws(ve, e);
        if (*q == '}')
            break;
        p = skip_ws(q + 1, e);
        put(j, w, ve, (size_t)(p - ve)); /* white space, comma, white space */
    }
    /* white space and the closing brace */
    const char *close = memchr(from, '}', (size_t)(e - from));
    put(j, w, from, (size_t)(close + 1 - from));
}

/* The array s..e (proved) of objects thinned by list, appended. */
static void thin_array(char *j, size_t *w, const char *s, const char *e, const member *list)
{
    const char *p = skip_ws(s + 1, e);
    put(j, w, s, (size_t)(p - s));
    while (*p != ']') {
        const char *ve = skip_value(p, e, 1), *q;
        thin_value(j, w, p, ve, &(member){"", list, false});
        q = skip_ws(ve, e);
        if (*q == ']') {
            put(j, w, ve, (size_t)(q - ve));
            p = q;
            break;
        }
        p = skip_ws(q + 1, e);
        put(j, w, ve, (size_t)(p - ve));
    }
    put(j, w, p, 1);
}

/* The proved value v..ve read as m says (m NULL: kept whole), appended. */
static void thin_value(char *j, size_t *w, const char *v, const char *ve, const member *m)
{
    if (m && m->child && *v == '[' && m->each)
        thin_array(j, w, v, ve, m->child);
    else if (m && m->child && *v == '{' && !m->each)
        thin_object(j, w, v, ve, m->child);
    else
        put(j, w, v, (size_t)(ve - v));
}

/* j[0..len) with the unread members' proven values replaced by 0, in place
 * (the text only shrinks); returns the new length.  Stops replacing at the
 * first doubt and keeps the rest as it is. */
static size_t drop_unread(char *j, size_t len)
{
    const char *e = j + len, *s = skip_ws(j, e);
    if (s == e || *s != '{')
        return len;
    size_t w = (size_t)(s + 1 - j); /* j[0..w) is final: up to the brace */
    s = skip_ws(s + 1, e);
    while (s < e && *s == '"') {
        const char *k = skip_string(s, e), *v, *ve, *end;
        if (!k || (v = skip_ws(k, e)) == e || *v != ':')
            break;
        v = skip_ws(v + 1, e);
        if (!(end = skip_value(v, e, 1)) || (ve = skip_ws(end, e)) == e ||
            (*ve != ',' && *ve != '}'))
            break;
        bool escaped;
        const member *m = member_of(event_members, s + 1, (size_t)(k - s - 2), &escaped);
        put(j, &w, s, (size_t)(v - s)); /* key, colon, white space */
        if (m || escaped) {
            thin_value(j, &w, v, end, m);
            put(j, &w, end, (size_t)(ve - end));
        } else
            j[w++] = '0';
        if (*ve == '}') {
            s = ve;
            break;
        }
        j[w++] = ',';
        s = skip_ws(ve + 1, e);
    }
    memmove(j + w, s, (size_t)(e - s));
    return w + (size_t)(e - s);
}

/* Four hex digits at s (checked by skip_string() already). */
static unsigned hex4(const char *s)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++)
        v = v * 16 + (unsigned)(s[k] <= '9' ? s[k] - '0' : (s[k] | 0x20) - 'a' + 10);
    return v;
}

/* The value of the string s..e (quotes included) that skip_string()
 * proved, as jansson decodes it: escapes resolved, "\uXXXX" (never 0 nor
 * a surrogate there) in UTF-8.  Malloc'd, NUL-terminated; NULL when out of
 * memory. */
static char *decode_string(const char *s, const char *e)
{
    char *o = malloc((size_t)(e - s)), *w = o; /* never longer than its source */
    if (!o)
        return NULL;
    for (s++, e--; s < e; s++) {
        if (*s != '\\') {
            *w++ = *s;
            continue;
        }
        switch (*++s) {
        case 'b':
            *w++ = '\b';
            break;
        case 'f':
            *w++ = '\f';
            break;
        case 'n':
            *w++ = '\n';
            break;
        case 'r':
            *w++ = '\r';
            break;
        case 't':
            *w++ = '\t';
            break;
        case 'u': {
            unsigned v = hex4(s + 1);
            s += 4;
            if (v < 0x80) {
                *w++ = (char)v;
            } else if (v < 0x800) {
                *w++ = (char)(0xC0 | v >> 6);
                *w++ = (char)(0x80 | (v & 0x3F));
            } else {
                *w++ = (char)(0xE0 | v >> 12);
                *w++ = (char)(0x80 | (v >> 6 & 0x3F));
                *w++ = (char)(0x80 | (v & 0x3F));
            }
            break;
        }
        default:
            *w++ = *s; /* '"', '\\', '/' */
        }
    }
    *w = '\0';
    return o;
}

/*
 * The SNS envelope's "Message", decoded here instead of by jansson (which
 * spends most of an event's parse on that one string) when the checks of
 * skip_value() prove the whole envelope an object jansson accepts, its
 * keys hold no escape, and "Message" is one of them exactly once, with a
 * string value: then jansson's object would hold that very string.  NULL
 * otherwise (or out of memory), and the caller lets jansson judge.
 */
static char *envelope_message(const char *j, size_t len)
{
    const char *e = j + len, *s = skip_ws(j, e), *mv = NULL, *mve = NULL;
    int seen = 0;
    if (s == e || *s != '{')
        return NULL;
    s = skip_ws(s + 1, e);
    while (s < e && *s == '"') {
        const char *k = skip_string(s, e), *v, *ve;
        if (!k || memchr(s, '\\', (size_t)(k - s)) || (v = skip_ws(k, e)) == e || *v != ':')
            return NULL;
        v = skip_ws(v + 1, e);
        if (!(ve = skip_value(v, e, 1)))
            return NULL;
        if (k - s == 9 && memcmp(s + 1, "Message", 7) == 0) {
            seen++;
            mv = v;
            mve = ve;
        }
        if ((ve = skip_ws(ve, e)) == e || (*ve != ',' && *ve != '}'))
            return NULL;
        if (*ve == '}')
            return seen == 1 && *mv == '"' ? decode_string(mv, mve) : NULL;
        s = skip_ws(ve + 1, e);
    }
    return NULL;
}

static json_t *build_value(const char **ps, const char *e);

/* The members of the proven object at *ps into a new object, as jansson's
 * parser sets them (a repeated key: the last value). */
static json_t *build_object(const char **ps, const char *e)
{
    json_t *o = json_object();
    const char *s = skip_ws(*ps + 1, e);
    while (o && *s == '"') {
        const char *k = skip_string(s, e);
        char *key = decode_string(s, k);
        s = skip_ws(skip_ws(k, e) + 1, e);
        json_t *v = build_value(&s, e);
        if (!key || !v || json_object_set_new_nocheck(o, key, v) != 0) {
            json_decref(v);
            json_decref(o);
            o = NULL;
        }
        free(key);
        s = skip_ws(s, e);
        s = *s == ',' ? skip_ws(s + 1, e) : s;
    }
    *ps = s + 1; /* the closing brace */
    return o;
}

/* The elements of the proven array at *ps into a new array. */
static json_t *build_array(const char **ps, const char *e)
{
    json_t *a = json_array();
    const char *s = skip_ws(*ps + 1, e);
    while (a && *s != ']') {
        json_t *v = build_value(&s, e);
        if (!v || json_array_append_new(a, v) != 0) {
            json_decref(a);
            a = NULL;
        }
        s = skip_ws(s, e);
        s = *s == ',' ? skip_ws(s + 1, e) : s;
    }
    *ps = s + 1;
    return a;
}

/* The value at *ps, which skip_value() proved, made with jansson's
 * constructors (what its parser would have made, without its lexer, which
 * costs ~130 instructions a byte); *ps moves past it.  NULL when out of
 * memory. */
static json_t *build_value(const char **ps, const char *e)
{
    const char *s = *ps, *end;
    switch (*s) {
    case '{':
        return build_object(ps, e);
    case '[':
        return build_array(ps, e);
    case '"': {
        end = skip_string(s, e);
        char *v = decode_string(s, end);
        json_t *j = v ? json_string_nocheck(v) : NULL;
        free(v);
        *ps = end;
        return j;
    }
    case 't':
        *ps = s + 4;
        return json_true();
    case 'f':
        *ps = s + 5;
        return json_false();
    case 'n':
        *ps = s + 4;
        return json_null();
    default: /* an integer of at most 15 digits */
        *ps = skip_number(s, e);
        return json_integer(strtoll(s, NULL, 10));
    }
}

/* j[0..len) thinned (drop_unread) and parsed: made directly when the whole
 * object is proven, else by jansson, which judges what the checks doubt. */
static json_t *parse_event(char *j, size_t len)
{
    size_t n = drop_unread(j, len);
    const char *s = skip_ws(j, j + n);
    if (s < j + n && *s == '{' && skip_value(s, j + n, 0))
        return build_value(&s, j + n);
    json_error_t err;
    return json_loadb(j, n, JSON_DISABLE_EOF_CHECK, &err);
}

/* The SES event: the SNS envelope's "Message" (itself JSON in a string), or
 * the bare event.  Text after the closing brace (a mailer's footer) is
 * ignored.  NULL when it is not a JSON object. */
static json_t *load_event(const char *s, size_t n)
{
    size_t len;
    char *j = strip_repairs(s, n, &len);
    if (!j)
        return NULL;
    char *in = envelope_message(j, len);
    if (in) {
        free(j);
        json_t *root = parse_event(in, strlen(in));
        free(in);
        if (!json_is_object(root)) {
            json_decref(root);
            return NULL;
        }
        return root;
    }
    json_t *root = parse_event(j, len);
    free(j);
    json_t *msg = json_object_get(root, "Message");
    if (json_is_string(msg)) {
        /* a copy: drop_unread writes into it */
        size_t ml = json_string_length(msg);
        char *in = malloc(ml + 1);
        json_t *inner = NULL;
        if (in) {
            memcpy(in, json_string_value(msg), ml + 1);
            inner = parse_event(in, strlen(in));
            free(in);
        }
        json_decref(root);
        root = inner;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* A string member as a report string; "" when absent or not a string. */
static const char *jstr(mm_report *r, const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? mm_report_strz(r, v) : "";
}

static mm_status_t bounced(mm_report *r, const json_t *ev)
{
    const json_t *b = json_object_get(ev, "bounce"), *it;
    const char *rmta = jstr(r, b, "reportingMTA");
    if (mm_startswith_ci(rmta, "dsn;"))
        rmta += 4 + (rmta[4] == ' ');
    size_t i;
    json_array_foreach(json_object_get(b, "bouncedRecipients"), i, it) {
        const char *addr = jstr(r, it, "emailAddress");
        const char *diag = jstr(r, it, "diagnosticCode");
        if (!addr[0])
            continue;
        if (mm_startswith_ci(diag, "smtp;"))
            diag += 5 + (diag[5] == ' ');
        mm_rcpt *rc = mm_mta_add(r, addr, strlen(addr), diag, strlen(diag));
        if (!rc && !mm_mta_full(r))
            return MM_ENOMEM;
        if (!rc)
            break;
        const char *act = jstr(r, it, "action"), *st = jstr(r, it, "status");
        char code[16];
        if (act[0])
            rc->pub.action = act;
        if (mm_find_status(st, strlen(st), code))
            rc->pub.status = mm_report_strz(r, code);
        rc->pub.reporting_mta = rmta;
        mm_prov_refine_status(r, rc);
        rc->pub.smtp_command = mm_mta_command(diag, strlen(diag));
    }
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}

static mm_status_t complained(mm_report *r, const json_t *ev)
{
    const json_t *c = json_object_get(ev, "complaint"), *it;
    const char *type = jstr(r, c, "complaintFeedbackType");
    size_t i;
    json_array_foreach(json_object_get(c, "complainedRecipients"), i, it) {
        const char *addr = jstr(r, it, "emailAddress");
        if (!addr[0])
            continue;
        mm_rcpt *rc = mm_mta_add(r, addr, strlen(addr), type, strlen(type));
        if (!rc && !mm_mta_full(r))
            return MM_ENOMEM;
        if (!rc)
            break;
        rc->pub.action = "";
        rc->hint = MM_REASON_FEEDBACK;
    }
    r->kind = MM_KIND_FEEDBACK;
    return MM_OK;
}

static mm_status_t delivered(mm_report *r, const json_t *ev)
{
    const json_t *d = json_object_get(ev, "delivery"), *it;
    const char *resp = jstr(r, d, "smtpResponse"), *rmta = jstr(r, d, "reportingMTA");
    size_t i;
    json_array_foreach(json_object_get(d, "recipients"), i, it) {
        const char *addr = json_string_value(it);
        if (!addr || !addr[0])
            continue;
        mm_rcpt *rc = mm_mta_add(r, addr, strlen(addr), resp, strlen(resp));
        if (!rc && !mm_mta_full(r))
            return MM_ENOMEM;
        if (!rc)
            break;
        rc->pub.action = "delivered";
        rc->pub.reporting_mta = rmta;
        mm_prov_refine_status(r, rc);
    }
    r->kind = MM_KIND_SUCCESS;
    return MM_OK;
}

/* "5.1.0 - Unknown address error 550-'5.7.1 ... denied' (delivery
 * attempts: 0)" -> "550 5.7.1 ... denied"; d itself when not so wrapped. */
static const char *unwrap_reply(mm_report *r, const char *d)
{
    const char *q = strstr(d, " - ");
    const char *end = strstr(d, "' (delivery attempts");
    if (!q || !end)
        return d;
    for (const char *p = q + 3; p + 5 < end; p++) {
        int code = mm_prov_lead_reply(p);
        if (code && (p[3] == '-' || p[3] == ' ') && p[4] == '\'' && (p == d || p[-1] == ' ')) {
            char *o = mm_arena_alloc(&r->arena, (size_t)(end - p) + 1);
            if (!o)
                return d;
            memcpy(o, p, 3);
            o[3] = ' ';
            memcpy(o + 4, p + 5, (size_t)(end - p - 5));
            o[end - p - 1] = '\0';
            return o;
        }
    }
    return d;
}

/*
 * unwrap_reply() needs "' (delivery attempts" in a recipient's diagnostic,
 * which the RFC 3464 reader takes from the delivery-status fields or from
 * the readable text (its inline fields or a paragraph), squeezed (white
 * space only), cut, RFC 2047-decoded, or unfolded (a repeated code dropped
 * after a space, so every word left was a word of the source).  A message
 * with "attempts" in neither and no encoded word ("=?") in either has no
 * wrapped reply, and the reader need not run here: it runs later anyway.
 */
static bool may_be_wrapped(const mm_msg *m)
{
    const mm_buf *bufs[] = {&m->dsn, &m->text};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
        const char *s = bufs[i]->data;
        size_t n = bufs[i]->len;
        /* the vector search (any case: a looser test, still a necessary one) */
        if (s && (mm_memcasemem(s, n, "attempts", 8) || mm_memcasemem(s, n, "=?", 2)))
            return true;
    }
    return false;
}

/* A mail-form bounce from SES in the wrapped form: the RFC 3464 reader,
 * then the unwrapping.  Unwrapped reports (and other providers' notices
 * relayed through SES) are left to the decoders after this one. */
static mm_status_t mail_form(const mm_msg *m, mm_report *r)
{
    if (!mm_mta_lc_has(r->from_lc, r->from_len, "amazonses.com") || !may_be_wrapped(m))
        return MM_ENOTFOUND;
    size_t from, wrapped = 0;
    mm_status_t st = mm_prov_dsn(m, r, &from);
    for (size_t i = from; st == MM_OK && i < r->n; i++) {
        mm_recipient *p = &r->r[i].pub;
        const char *d = unwrap_reply(r, p->diagnostic);
        if (d == p->diagnostic)
            continue;
        wrapped++;
        p->diagnostic = d;
        p->reply_code = mm_prov_lead_reply(d);
        /* SES's "5.1.0" is its own guess; the receiver's code says more. */
        char code[16];
        if (mm_prov_status(d, strlen(d), code) && code[0] == d[0] && strcmp(code + 1, ".0.0") != 0)
            p->status = mm_report_strz(r, code);
    }
    if (st == MM_OK && wrapped == 0) {
        mm_report_truncate(r, from);
        return MM_ENOTFOUND;
    }
    return st;
}

mm_status_t mm_decode_amazonses(const mm_msg *m, mm_report *r)
{
    /* a delivery-status part decides before the JSON keys are looked for */
    if (m->has_dsn)
        return mail_form(m, r);
    const char *t = mm_buf_str(&m->text);
    /* the event is a JSON object: a text without a brace holds none (one
     * memchr, cheaper than the two searches for its keys) */
    if (!memchr(t, '{', m->text.len))
        return MM_ENOTFOUND;
    const char *p = mm_memcasemem(t, m->text.len, "notificationType", 16);
    if (!p)
        p = mm_memcasemem(t, m->text.len, "\"eventType\"", 11);
    if (!p)
        return MM_ENOTFOUND;
    /* The JSON starts at the first brace of the text (the SNS envelope, or
     * the bare event); failing that, at the last brace before the key. */
    const char *s = memchr(t, '{', (size_t)(p - t));
    json_t *ev = s ? load_event(s, m->text.len - (size_t)(s - t)) : NULL;
    if (!ev) {
        for (s = p; s > t && *s != '{'; s--)
            ;
        ev = load_event(s, m->text.len - (size_t)(s - t));
    }
    if (!ev)
        return MM_ENOTFOUND;
    size_t from = r->n;
    const char *type = json_string_value(json_object_get(ev, "notificationType"));
    if (!type)
        type = json_string_value(json_object_get(ev, "eventType"));
    mm_status_t st = MM_ENOTFOUND;
    if (type && strcasecmp(type, "Bounce") == 0)
        st = bounced(r, ev);
    else if (type && strcasecmp(type, "Complaint") == 0)
        st = complained(r, ev);
    else if (type && strcasecmp(type, "Delivery") == 0)
        st = delivered(r, ev);
    json_decref(ev);
    if (st == MM_OK && r->n == from)
        st = MM_ENOTFOUND;
    return st;
}
