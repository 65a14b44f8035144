/*
 * vendors.c - notices of MTAs and mail services whose layout the generic
 * readers already handle, but whose error sentences are fixed strings
 * that state the reason: the Japanese carriers' gateways (au/KDDI,
 * BIGLOBE), Verizon Wireless, 1&1, Ipswitch IMail, Trend Micro InterScan,
 * Courier, Sun/Oracle Messaging Server, the McAfee Email Gateway and
 * Exchange 5.5 to 2003 (whose error codes, "MSEXCH:IMS:... (000C05A6)",
 * state the reason).  (EZweb has its own decoder,
 * ezweb.c: its verdict stands apart from the recipients it concerns.)
 *
 * Each row of the table says how to recognise the vendor (a From, Subject,
 * Reply-To, Message-ID, Received or any other header, FIELD("Name", "", place),
 * "Name:" alone, when the header's presence is enough, or a sentence of
 * the notice)
 * and lists its fixed sentences with the reason each states, as Sisimai's
 * lhost modules of the same names do.  Recipients come from the RFC 3464
 * part when there is one (completed from the prose), else from the generic
 * prose reader; a vendor sentence found in a recipient's diagnostic is set
 * as its hint.  The report names the vendor (r->mta).  To add a vendor,
 * add a row (a sentence also needs its key in keys[]); no code changes.
 */
#include "../decoders.h"
#include "mta_util.h"

#include <string.h>
#include <strings.h>
#include "../../util/str.h"

/* A mark: "Name:needle" (a header field Name whose value contains needle,
 * or the text holding "Name:needle"; needle "": the field's presence) or
 * a sentence of the notice (name NULL), spelt out once by FIELD() and
 * SENTENCE_K() with its lengths, so that nothing is measured per message. */
typedef struct mark {
    const char *text; /* "Name:needle" or the sentence */
    size_t len, nl;   /* text's length; "Name:"'s (0 for a sentence) */
    const char *name; /* "Name", or NULL */
    unsigned key;     /* a sentence's key (keys[]), or 0 for a field */
    size_t key_off;   /* where those words sit in the sentence */
    unsigned place;   /* a field's name in place_names[] (PLACE_*), or PLACE_NONE */
} mark;

/* The names whose places in the text one walk finds (place_names[], in
 * this order), given with each mark so that no mark looks its name up per
 * message. */
enum {
    PLACE_NONE,
    PLACE_FROM,
    PLACE_MESSAGE_ID,
    PLACE_REPLY_TO,
    PLACE_RECEIVED,
    PLACE_SUBJECT,
    PLACE_X_MAILER,
    PLACE_X_NAI_HEADER,
    PLACE_X_MIMEOLE,
};

/* The words each sentence is found by: those two sentences of one vendor
 * share, or the sentence itself (or its start, when it is longer than
 * mm_mta_find_any() takes).  The first places of all of them are found in
 * two passes over the text, when a sentence is first asked (find_keys()),
 * instead of a search per sentence; a sentence is then searched for only
 * from its key's first place less the key's offset in it, and not at all
 * when the key is the sentence. */
enum {
    KEY_NONE,
    KEY_YOUR_MAIL,
    KEY_COURIER,
    KEY_NON_DELIVERED,
    KEY_1AND1,
    KEY_INTERSCAN,
    KEY_REPORT,
    N_KEYS
};
static const mm_needle keys[N_KEYS] = {
    {"", 0},
    MM_NEEDLE("Your mail "),
    MM_NEEDLE("Courier mail server"),
    MM_NEEDLE("----- Non-delivered information -----"),
    MM_NEEDLE("postmaster.1and1.com"),
    MM_NEEDLE("Message from InterScan Messaging Security Suite"),
    MM_NEEDLE("This report relates to a message you sent"),
};

/* a field mark; place: PLACE_NONE, or the name's entry in place_names[] */
#define FIELD(name, needle, place)                                                                 \
    {name ":" needle, sizeof(name ":" needle) - 1, sizeof(name), name, 0, 0, place}
/* a sentence holding keys[key] off bytes in (every sentence has a key) */
#define SENTENCE_K(text, key, off) {text, sizeof(text) - 1, 0, NULL, key, off, PLACE_NONE}

enum { MAX_MARKS = 6 };

typedef struct vendor {
    const char *name;
    /* any one recognises it (the unused rows have a NULL text) */
    mark marks[MAX_MARKS];
    const mm_words *phrases;
    /* the marks are on every message the software handles, not only on
     * its notices: the message must also present itself as a bounce */
    bool bounce_only;
} vendor;

/* au one net / KDDI gateway (Sisimai Lhost::KDDI) */
static const mm_words kddi[] = {
    {"as their mailbox is full", MM_REASON_MAILBOXFULL},
    {"due to the following smtp relay error", MM_REASON_NORELAYING},
    {"as the remote domain doesnt exist", MM_REASON_HOSTUNKNOWN},
    {NULL, MM_REASON_UNDEFINED},
};

/* BIGLOBE (Sisimai Lhost::Biglobe) */
static const mm_words biglobe[] = {
    {"mail delivery failed... user unknown", MM_REASON_FILTERED},
    {"the number of messages in recipient's mailbox exceeded the local limit.",
     MM_REASON_MAILBOXFULL},
    {NULL, MM_REASON_UNDEFINED},
};

/* 1&1 / kundenserver (Sisimai Lhost::EinsUndEins) */
static const mm_words einsundeins[] = {
    {"mail size limit exceeded", MM_REASON_MESGTOOBIG},
    {NULL, MM_REASON_UNDEFINED},
};

/* Ipswitch IMail Server (Sisimai Lhost::IMailServer) */
static const mm_words imail[] = {
    {"unknown host", MM_REASON_HOSTUNKNOWN},
    {"unknown user", MM_REASON_USERUNKNOWN},
    {"invalid final delivery userid", MM_REASON_USERUNKNOWN},
    {"user mailbox exceeds allowed size", MM_REASON_MAILBOXFULL},
    {"requested action not taken: virus detected", MM_REASON_VIRUSDETECTED},
    {"delivery failed ", MM_REASON_EXPIRED},
    {NULL, MM_REASON_UNDEFINED},
};

/* Courier's module.esmtp/esmtpclient.c (Sisimai Lhost::Courier) */
static const mm_words courier[] = {
    {"no such domain.", MM_REASON_HOSTUNKNOWN},
    {"this domain's dns violates rfc 1035.", MM_REASON_SYSTEMERROR},
    {"dns lookup failed.", MM_REASON_NETWORKERROR},
    {NULL, MM_REASON_UNDEFINED},
};

/* Sun/Oracle Messaging Server, PMDF (Sisimai Lhost::MessagingServer) */
static const mm_words messaging[] = {
    {"illegal host/domain name found", MM_REASON_HOSTUNKNOWN},
    {NULL, MM_REASON_UNDEFINED},
};

/* Verizon Wireless SMS and MMS gateways (Sisimai Lhost::Verizon) */
static const mm_words verizon[] = {
    {"550 - requested action not taken: no such user here", MM_REASON_USERUNKNOWN},
    {"no valid recipients for this mm", MM_REASON_USERUNKNOWN},
    {NULL, MM_REASON_UNDEFINED},
};

/* Trend Micro InterScan MSS (Sisimai Lhost::InterScanMSS) */
static const mm_words interscan[] = {
    {"unable to deliver message to <", MM_REASON_USERUNKNOWN},
    {NULL, MM_REASON_UNDEFINED},
};

/* McAfee Email Gateway, "X-NAI-Header: Modified by McAfee ..." (Sisimai
 * Lhost::McAfee): its own sentences for an unknown recipient */
static const mm_words mcafee[] = {
    {"no such user", MM_REASON_USERUNKNOWN},
    {">... user not exist", MM_REASON_USERUNKNOWN},
    {"550 unknown user ", MM_REASON_USERUNKNOWN},
    {NULL, MM_REASON_UNDEFINED},
};

/* Exchange 5.5 to 2003 (Internet Mail Service): the hexadecimal code after
 * "MSEXCH:IMS:..." (Sisimai Lhost::Exchange2003's table).  "Host unknown",
 * "Unable to relay" and remote errors share their codes, so those are only
 * "onhold": the words beside them decide. */
static const mm_words exchange2003[] = {
    {"(000c05a6)", MM_REASON_USERUNKNOWN},   /* Unknown Recipient */
    {"(000c0595)", MM_REASON_FILTERED},      /* Ambiguous Recipient */
    {"(000b099c)", MM_REASON_ONHOLD},        /* Host Unknown, size limit, ... */
    {"(000b09aa)", MM_REASON_ONHOLD},        /* Unable to relay, size limit, ... */
    {"(000b09b6)", MM_REASON_ONHOLD},        /* the remote MTA's error */
    {"(00010256)", MM_REASON_SYSTEMERROR},   /* Too many recipients */
    {"(000d06b5)", MM_REASON_SYSTEMERROR},   /* No proxy for recipient */
    {"(00120270)", MM_REASON_NETWORKERROR},  /* Too Many Hops */
    {"(00050311)", MM_REASON_CONTENTERROR},  /* Conversion to Internet format failed */
    {"(000502cc)", MM_REASON_CONTENTERROR},  /* Conversion to Internet format failed */
    {"(000b0981)", MM_REASON_SECURITYERROR}, /* 502 Server does not support AUTH */
    {NULL, MM_REASON_UNDEFINED},
};

static const vendor vendors[] = {
    {.name = "kddi",
     .marks = {FIELD("From", ".dion.ne.jp", PLACE_FROM),
               FIELD("Message-ID", ".auone-net.jp", PLACE_MESSAGE_ID),
               FIELD("Reply-To", "no-reply@app.auone-net.jp", PLACE_REPLY_TO),
               SENTENCE_K("Your mail sent on:", KEY_YOUR_MAIL, 0),
               SENTENCE_K("Your mail attempted to be delivered on:", KEY_YOUR_MAIL, 0)},
     .phrases = kddi},
    {.name = "biglobe",
     .marks = {FIELD("From", "@biglobe.ne.jp", PLACE_FROM),
               SENTENCE_K("----- Non-delivered information -----", KEY_NON_DELIVERED, 0)},
     .phrases = biglobe},
    {.name = "einsundeins",
     .marks = {FIELD("From", "kundenserver.", PLACE_FROM),
               SENTENCE_K("postmaster.1and1.com", KEY_1AND1, 0)},
     .phrases = einsundeins},
    {.name = "verizon",
     .marks = {FIELD("From", "vzwpix.com", PLACE_FROM), FIELD("From", "@vtext.", PLACE_FROM),
               FIELD("Received", ".vtext.", PLACE_RECEIVED)},
     .phrases = verizon},
    {.name = "interscanmss",
     .marks = {FIELD("From", "InterScan", PLACE_FROM),
               SENTENCE_K("Message from InterScan Messaging Security Suite", KEY_INTERSCAN, 0),
               FIELD("Subject", "メッセージを配信できません。", PLACE_SUBJECT),
               FIELD("Subject", "メール配信に失敗しました", PLACE_SUBJECT)},
     .phrases = interscan},
    {.name = "imailserver",
     .marks = {FIELD("X-Mailer", "<SMTP32 v", PLACE_X_MAILER)},
     .phrases = imail},
    {.name = "courier",
     .marks = {FIELD("Message-ID", "<courier.", PLACE_MESSAGE_ID),
               SENTENCE_K("Courier mail server at", KEY_COURIER, 0),
               SENTENCE_K("running the Courier mail server", KEY_COURIER, 12)},
     .phrases = courier},
    {.name = "messagingserver",
     .marks = {SENTENCE_K(
         "This report relates to a message you sent with the following header fields",
         KEY_REPORT, 0)},
     .phrases = messaging},
    {.name = "mcafee",
     .marks = {FIELD("X-NAI-Header", "Modified by McAfee", PLACE_X_NAI_HEADER)},
     .phrases = mcafee,
     .bounce_only = true},
    {.name = "exchange2003",
     .marks = {FIELD("X-MS-Embedded-Report", "", PLACE_NONE),
               FIELD("X-Mailer", "Internet Mail Service (", PLACE_X_MAILER),
               FIELD("X-Mailer", "Microsoft Exchange Server Internet Mail Connector",
                     PLACE_X_MAILER),
               FIELD("X-MimeOLE", "Produced By Microsoft Exchange", PLACE_X_MIMEOLE),
               FIELD("Received", "with Internet Mail Service (", PLACE_RECEIVED)},
     .phrases = exchange2003,
     .bounce_only = true},
};

#undef FIELD
#undef SENTENCE_K

/*
 * Where the text holds a header name with its colon ("From:"): a mark
 * "Name:value" can only start at one of those places.  Every such place
 * has its colon at the end, so one walk over the text's colons (a notice
 * holds a dozen or so) finds the places of all the names the marks use,
 * instead of a search of the text per name and place.  A name found more
 * than MAX_AT times, or not listed here, is left to a search per mark.
 */
enum { MAX_AT = 16 };

#define NAME(s) {s, sizeof s - 1}
static const struct {
    const char *name; /* as the marks spell it, with the colon */
    size_t nl;
} place_names[] = {
    /* in the order of the PLACE_* names (entry PLACE_x - 1) */
    NAME("From:"),     NAME("Message-ID:"), NAME("Reply-To:"),     NAME("Received:"),
    NAME("Subject:"),  NAME("X-Mailer:"),   NAME("X-NAI-Header:"), NAME("X-MimeOLE:"),
};
#undef NAME

enum { N_NAMES = sizeof place_names / sizeof place_names[0] };
_Static_assert((int)N_NAMES == (int)PLACE_X_MIMEOLE, "place_names[] and the PLACE_* names go together");

typedef struct name_at {
    size_t n; /* places in at[], MAX_AT + 1 when more */
    const char *at[MAX_AT];
} name_at;

typedef struct text_marks {
    const char *t;
    size_t n;
    bool walked; /* names[] filled */
    name_at names[N_NAMES];
    /* how many From, Subject, Message-ID fields the header holds (-1: not
     * counted yet): with one at most, the report's lower-cased copy of the
     * first (r->from_lc...) is all a mark may be found in */
    int count[3];
    /* where keys[k] first is in the text, once keys_found: n (absent) or
     * its offset */
    bool keys_found;
    size_t key_at[N_KEYS];
} text_marks;

static int count_named(const mm_msg *m, const char *name, size_t len)
{
    unsigned key = mm_field_key(name, len);
    int c = 0;
    for (size_t i = 0; i < m->head.n; i++)
        if (m->head.v[i].key == key && strcasecmp(m->head.v[i].name, name) == 0)
            c++;
    return c;
}

/* Which of the facts From, Subject, Message-ID name[0..len) is (-1: none), its first letter
 * and length first: most marks' names are not facts, and a compare of a
 * known length is made inline (a strcmp() call per mark was most of it). */
static int fact_of(const char *name, size_t len)
{
    switch (name[0]) {
    case 'F':
        return len == 4 && memcmp(name, "From", 4) == 0 ? 0 : -1;
    case 'S':
        return len == 7 && memcmp(name, "Subject", 7) == 0 ? 1 : -1;
    case 'M':
        return len == 10 && memcmp(name, "Message-ID", 10) == 0 ? 2 : -1;
    default:
        return -1;
    }
}

static bool eq_ci(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (mm_lower(a[i]) != mm_lower(b[i]))
            return false;
    return true;
}

/* Does needle[0..nl) occur in lc[0..n), one of the report's lower-cased
 * facts?  As mm_memcasemem() answers, with the copy's bytes compared as
 * they are: the needle lowered, then mm_mta_lc_find(). */
static bool lc_holds(const char *lc, size_t n, const char *needle, size_t nl)
{
    enum { LOW_MAX = 128 };
    char low[LOW_MAX + 8]; /* room for the last word's bytes past nl */
    if (nl == 0 || nl > n)
        return nl == 0;
    if (nl > LOW_MAX) {
        const char *end = lc + n - nl + 1;
        for (const char *p = lc; p < end; p++)
            if (eq_ci(p, needle, nl))
                return true;
        return false;
    }
    /* lowered eight bytes at a time, the last eight those ending at the
     * needle's end (read within its bytes; a byte loop's exit at the
     * needle's length was a mispredict a mark) */
    if (nl >= 8) {
        mm_lower_copy8(low, needle, nl);
    } else {
        uint64_t w = mm_lower8(mm_word_le(needle, nl));
        memcpy(low, &w, 8);
    }
    return mm_mta_lc_find(lc, n, low, nl, 0);
}

/* A "Name:needle" mark on one of the fact fields, answered from the
 * report's copy: 1 or 0, or -1 when the field is repeated (or its copy
 * could not be made), for mm_mta_any_header_has() to answer. */
static int fact_mark(const mm_msg *m, const mm_report *r, text_marks *tm, const char *name,
                     size_t name_len, const char *needle, size_t nl)
{
    const char *lc[3] = {r->from_lc, r->subject_lc, r->message_id_lc};
    size_t len[3] = {r->from_len, r->subject_len, r->message_id_len};
    int f = fact_of(name, name_len);
    if (f < 0)
        return -1;
    if (tm->count[f] < 0)
        tm->count[f] = count_named(m, name, name_len);
    if (tm->count[f] == 0)
        return 0;
    if (tm->count[f] > 1 || !lc[f])
        return -1;
    return lc_holds(lc[f], len[f], needle, nl);
}

static bool header_mark(const mm_msg *m, const mm_report *r, text_marks *tm, const mark *mk)
{
    const char *needle = mk->text + mk->nl;
    if (!needle[0]) /* "Name:": the header's presence */
        return mm_fields_get(&m->head, mk->name) != NULL;
    int known = fact_mark(m, r, tm, mk->name, mk->nl - 1, needle, mk->len - mk->nl);
    return known >= 0 ? known : mm_mta_any_header_has(m, mk->name, needle);
}

/* The places of every name of place_names[] in the text, in order. */
static void walk_names(text_marks *tm)
{
    /* by_last[b & 31]: the names whose byte before the colon has the low
     * five bits b has (both cases of a letter share them), so that most
     * colons are turned away by one look-up instead of a test per name */
    unsigned by_last[32] = {0};
    for (size_t k = 0; k < N_NAMES; k++)
        by_last[(unsigned char)place_names[k].name[place_names[k].nl - 2] & 31] |= 1u << k;
    const char *end = tm->t + tm->n;
    for (const char *c = tm->t; (c = memchr(c, ':', (size_t)(end - c))) != NULL; c++) {
        size_t before = (size_t)(c - tm->t) + 1; /* bytes up to the colon */
        unsigned cand = before > 1 ? by_last[(unsigned char)c[-1] & 31] : 0;
        for (; cand; cand &= cand - 1) {
            size_t k = (size_t)__builtin_ctz(cand), nl = place_names[k].nl;
            name_at *na = &tm->names[k];
            if (nl > before || mm_lower(c[-1]) != mm_lower(place_names[k].name[nl - 2]) ||
                na->n > MAX_AT || !eq_ci(c + 1 - nl, place_names[k].name, nl - 1))
                continue;
            if (na->n < MAX_AT)
                na->at[na->n] = c + 1 - nl;
            na->n++;
        }
    }
    tm->walked = true;
}

/* The places of mark mk's name, or NULL when it is not one of
 * place_names[]. */
static const name_at *places_of(text_marks *tm, const mark *mk)
{
    if (mk->place == PLACE_NONE)
        return NULL;
    if (!tm->walked)
        walk_names(tm);
    return &tm->names[mk->place - 1];
}

/* The first places of keys[1..], MM_NEEDLES_MAX at a time: each pass
 * takes the earliest of those not met yet, from the last place met on. */
static void find_keys(text_marks *tm)
{
    for (size_t g = 1; g < N_KEYS; g += MM_NEEDLES_MAX) {
        size_t k = N_KEYS - g < MM_NEEDLES_MAX ? N_KEYS - g : MM_NEEDLES_MAX, from = 0, w;
        unsigned active = (1u << k) - 1;
        const char *p;
        for (size_t i = 0; i < k; i++)
            tm->key_at[g + i] = tm->n;
        while (active && (p = mm_mta_find_any(tm->t, tm->n, from, &keys[g], k, active, &w))) {
            from = (size_t)(p - tm->t);
            tm->key_at[g + w] = from;
            active &= ~(1u << w);
        }
    }
    tm->keys_found = true;
}

/* mm_memcasemem(text, mk->text) != NULL for a sentence: an occurrence of
 * it holds its key key_off bytes in, so none starts before the key's first
 * occurrence minus that (nor at all without the key); a key that is the
 * whole sentence is the answer. */
static bool sentence_with_key(text_marks *tm, const mark *mk)
{
    if (!tm->keys_found)
        find_keys(tm);
    size_t at = tm->key_at[mk->key];
    if (at == tm->n)
        return false;
    if (mk->len == keys[mk->key].len)
        return true;
    size_t from = at > mk->key_off ? at - mk->key_off : 0;
    return mm_memcasemem(tm->t + from, tm->n - from, mk->text, mk->len) != NULL;
}

/* mm_memcasemem(text, mk->text) != NULL, a "Name:value" mark asked at the
 * places of its name. */
static bool text_has(text_marks *tm, const mark *mk)
{
    if (mk->key)
        return sentence_with_key(tm, mk);
    const name_at *na = places_of(tm, mk);
    if (!na || na->n > MAX_AT)
        return mm_memcasemem(tm->t, tm->n, mk->text, mk->len) != NULL;
    for (size_t i = 0; i < na->n; i++)
        if ((size_t)(tm->t + tm->n - na->at[i]) >= mk->len &&
            eq_ci(na->at[i] + mk->nl, mk->text + mk->nl, mk->len - mk->nl))
            return true;
    return false;
}

static bool has_mark(const mm_msg *m, const mm_report *r, text_marks *tm, const mark *mk)
{
    if (!mk->name)
        return text_has(tm, mk);
    if (header_mark(m, r, tm, mk))
        return true;
    /* a presence mark ("Name:") may be in a quoted original's header */
    if (mk->nl == mk->len)
        return false;
    return text_has(tm, mk);
}

static const vendor *which_vendor(const mm_msg *m, const mm_report *r)
{
    text_marks tm = {.t = mm_buf_str(&m->text), .n = m->text.len, .walked = false,
                     .count = {-1, -1, -1}, .keys_found = false};
    int bounce = -1; /* mm_looks_like_bounce(), asked once */
    for (size_t v = 0; v < sizeof vendors / sizeof vendors[0]; v++) {
        if (vendors[v].bounce_only) {
            if (bounce < 0)
                bounce = mm_looks_like_bounce(m, r);
            if (!bounce)
                continue;
        }
        for (size_t i = 0; i < MAX_MARKS && vendors[v].marks[i].text; i++)
            if (has_mark(m, r, &tm, &vendors[v].marks[i]))
                return &vendors[v];
    }
    return NULL;
}

mm_status_t mm_decode_vendors(const mm_msg *m, mm_report *r)
{
    const vendor *v = which_vendor(m, r);
    if (!v)
        return MM_ENOTFOUND;
    size_t start = r->n;
    mm_status_t st = mm_mta_read_dsn(m, r);
    if (st == MM_ENOTFOUND)
        st = mm_mta_prose_read(m, r);
    if (st != MM_OK)
        return st;
    for (size_t i = start; i < r->n; i++) {
        const char *d = r->r[i].pub.diagnostic;
        r->r[i].hint = mm_words_find(v->phrases, d, strlen(d));
    }
    r->kind = MM_KIND_BOUNCE;
    r->mta = v->name;
    return r->n > start ? MM_OK : MM_ENOTFOUND;
}
