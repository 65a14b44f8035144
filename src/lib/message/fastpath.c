/*
 * fastpath.c - read the MIME structure of the sanitised copy without GMime's
 * object tree (see message_int.h).
 *
 * GMime's parser makes a GObject of every part, data wrapper, stream and
 * header list and finalises them all again; for the usual bounce shapes
 * that was a third of the time per message.  Here the structure is read the
 * way GMime 3.2's parser reads it (RFC 2046 section 5.1.1: a part ends at the
 * line "--boundary" or "--boundary--" of any open multipart, the newline
 * before it belongs to the delimiter, white space may follow it), while
 * GMime still does the hard parts: Content-Type syntax (RFC 2045/2231,
 * g_mime_content_type_parse), base64 and quoted-printable
 * (g_mime_encoding_step) and, in message.c, charsets and RFC 2047 words.
 *
 * Anything this reader is not sure to see as GMime does makes it give up
 * before it has touched the mm_msg, and the caller parses with GMime: header
 * lines that are not "Name: value" or hold a NUL byte, a field given twice,
 * transfer encodings other than 7bit, 8bit, binary, base64 and
 * quoted-printable, multipart/digest, a multipart whose value names a
 * boundary we do not read, or one that is a prefix of another open one,
 * message/ types other than rfc822 inside a multipart (news, global,
 * external-body; partial is a leaf), an attached message at the top or
 * directly inside another, an empty attached message, and more parts than
 * the limits let through.  tests/message/fastcheck.c runs both paths on
 * every message it is given and compares the mm_msg field by field (meson
 * test message-fastpath*).
 */
#include <string.h>
#include "../util/str.h"
#include "message_int.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define FP_DEPTH 64 /* open multiparts; the sanitiser already cut deeper ones */

typedef enum { N_LEAF, N_MULTI, N_MSG } nkind;

/* What we read of a Content-Type: pointers into gct's strings or into copy. */
typedef struct ctinfo {
    bool given; /* false: none given, text/plain */
    const char *type, *sub, *charset, *boundary, *report_type;
    GMimeContentType *gct; /* GMime's reading, for values simple_ctype() leaves alone */
    char *copy;            /* simple_ctype()'s reading, in place (in the message's arena) */
} ctinfo;

typedef struct node {
    nkind kind;
    ctinfo ct;
    GMimeContentEncoding enc;
    const char *body; /* leaf content, transfer-encoded */
    size_t blen;
    int child, next; /* node indices, -1 for none */
} node;

/* Where a content scan stopped: EOF, or a boundary line of an open multipart. */
typedef struct term {
    int level; /* index into the boundary stack, -1 at end of input */
    bool end;  /* "--boundary--" */
} term;

typedef struct fp {
    const char *p, *end;
    mm_arena *arena; /* the message's: the Content-Type values are copied there */
    node *nodes;
    size_t n, cap, max_nodes;
    const char *bnd[FP_DEPTH];
    size_t blen[FP_DEPTH];
    size_t nb;
    const char *buf;          /* where the copy begins */
    const mm_dashes *dashes;  /* its "--" lines, or NULL: searched for */
    size_t next_dash;         /* the first of them not behind p */
    bool bail;
    node first[8]; /* most messages have fewer parts: no heap block for them */
} fp;

static int new_node(fp *f, nkind kind)
{
    if (f->n >= f->max_nodes) {
        f->bail = true;
        return -1;
    }
    if (f->n == 0) {
        f->nodes = f->first;
        f->cap = sizeof f->first / sizeof f->first[0];
    } else if (f->n == f->cap) {
        size_t cap = f->cap * 2;
        node *v = g_try_malloc(cap * sizeof *v);
        if (!v) {
            f->bail = true;
            return -1;
        }
        memcpy(v, f->nodes, f->n * sizeof *v);
        if (f->nodes != f->first)
            g_free(f->nodes);
        f->nodes = v;
        f->cap = cap;
    }
    /* Member by member: a memset() of the 104 bytes became "rep stos", whose
     * start-up costs more than the dozen stores, and a branch in valgrind's
     * count (mispredicted ~8 k times in 2,000 messages). */
    node *nd = &f->nodes[f->n];
    nd->kind = kind;
    nd->ct = (ctinfo){.given = false, .type = NULL, .sub = NULL, .charset = NULL,
                      .boundary = NULL, .report_type = NULL, .gct = NULL, .copy = NULL};
    nd->enc = GMIME_CONTENT_ENCODING_DEFAULT; /* 0: what the memset() gave */
    nd->body = NULL;
    nd->blen = 0;
    nd->child = nd->next = -1;
    return (int)f->n++;
}

static bool name_is(const char *p, size_t n, const char *want)
{
    if (strlen(want) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (mm_lower(p[i]) != want[i]) /* want is lower case */
            return false;
    return true;
}

/* Where a letter of "content-" is (mm_eq_ci_word). */
#define CONTENT_FOLD "\x20\x20\x20\x20\x20\x20\x20\x00"
#define LETTERS_FOLD "\x20\x20\x20\x20\x20\x20\x20\x20"

/* The name l[0..k) is "Content-Type", in any case (a word compare, not a
 * byte loop: every field of every MIME header block is asked). */
static bool is_ctype_name(const char *l, size_t k)
{
    return k == 12 && mm_eq_ci_word(l, "content-", CONTENT_FOLD, 8) &&
           mm_eq_ci_word(l + 8, "type", LETTERS_FOLD, 4);
}

/* The name l[0..k) is "Content-Transfer-Encoding", in any case. */
static bool is_cte_name(const char *l, size_t k)
{
    return k == 25 && mm_eq_ci_word(l, "content-", CONTENT_FOLD, 8) &&
           mm_eq_ci_word(l + 8, "transfer", LETTERS_FOLD, 8) &&
           mm_eq_ci_word(l + 16, "-encodin", "\x00\x20\x20\x20\x20\x20\x20\x20", 8) &&
           mm_lower(l[24]) == 'g';
}

/* The transfer encodings this path decodes; anything else goes to GMime. */
static bool encoding_of(const char *v, size_t n, GMimeContentEncoding *enc)
{
    while (n && (*v == ' ' || *v == '\t' || *v == '\n'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\n'))
        n--;
    if (name_is(v, n, "7bit") || name_is(v, n, "8bit") || name_is(v, n, "binary"))
        *enc = GMIME_CONTENT_ENCODING_DEFAULT;
    else if (name_is(v, n, "base64"))
        *enc = GMIME_CONTENT_ENCODING_BASE64;
    else if (name_is(v, n, "quoted-printable"))
        *enc = GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
    else
        return false;
    return true;
}

/* Letters, digits and "-.+_": what simple_ctype() takes in a token (one load per byte). */
static const bool token_chars[256] = {
    ['-'] = true, ['.'] = true, ['+'] = true, ['_'] = true,
    ['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true, ['4'] = true,
    ['5'] = true, ['6'] = true, ['7'] = true, ['8'] = true, ['9'] = true,
    ['a'] = true, ['b'] = true, ['c'] = true, ['d'] = true, ['e'] = true, ['f'] = true,
    ['g'] = true, ['h'] = true, ['i'] = true, ['j'] = true, ['k'] = true, ['l'] = true,
    ['m'] = true, ['n'] = true, ['o'] = true, ['p'] = true, ['q'] = true, ['r'] = true,
    ['s'] = true, ['t'] = true, ['u'] = true, ['v'] = true, ['w'] = true, ['x'] = true,
    ['y'] = true, ['z'] = true,
    ['A'] = true, ['B'] = true, ['C'] = true, ['D'] = true, ['E'] = true, ['F'] = true,
    ['G'] = true, ['H'] = true, ['I'] = true, ['J'] = true, ['K'] = true, ['L'] = true,
    ['M'] = true, ['N'] = true, ['O'] = true, ['P'] = true, ['Q'] = true, ['R'] = true,
    ['S'] = true, ['T'] = true, ['U'] = true, ['V'] = true, ['W'] = true, ['X'] = true,
    ['Y'] = true, ['Z'] = true,
};

static bool token_char(char c)
{
    return token_chars[(unsigned char)c];
}

static bool ws_char(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* Skip white space, then a token; NUL-terminated later by the caller.
 * Inline: three or more per Content-Type value. */
static inline char *token(char **p)
{
    while (ws_char(**p))
        (*p)++;
    char *t = *p;
    while (token_char(**p))
        (*p)++;
    return *p > t ? t : NULL;
}

/*
 * The common Content-Type values without GMime's object: "type/subtype"
 * then "; name=value" with token or plain quoted values (RFC 2045 section
 * 5.1), read in place in v, a ';' at the end allowed.  Anything else --
 * comments, RFC 2231 or 2047 encoded values, backslashes, 8-bit bytes, a
 * parameter given twice, an empty one -- returns false and GMime reads the
 * value.  end: v's NUL (the copy's length is known).
 */
static bool simple_ctype(char *v, const char *end, ctinfo *ci)
{
    char *names[16];
    size_t np = 0;
    char *p = v, *type = token(&p);
    if (!type || *p != '/')
        return false;
    char *type_end = p++;
    char *sub = token(&p);
    if (!sub || (*p && !ws_char(*p) && *p != ';'))
        return false;
    char *sub_end = p;
    bool semi = false; /* the last value ended at a ';', already cut */
    for (;;) {
        if (!semi) {
            while (ws_char(*p))
                p++;
            if (!*p)
                break;
            if (*p != ';')
                return false;
            p++;
        }
        semi = false;
        while (ws_char(*p))
            p++;
        if (!*p) /* a ';' that ends the value ("text/plain;"): GMime reads no parameter */
            break;
        char *name = token(&p);
        if (!name || *p != '=' || np == sizeof names / sizeof names[0])
            return false;
        *p++ = '\0';
        char *val;
        if (*p == '"') {
            val = ++p;
            /* boundaries are 30-70 bytes: 16 at a time (end: the copy's NUL) */
            p += mm_qtext_span(p, (size_t)(end - p));
            if (*p != '"')
                return false;
            *p++ = '\0';
            /* an encoded word: GMime's reading (a token holds no '=' or '?') */
            if (strstr(val, "=?"))
                return false;
        } else {
            val = p;
            p += mm_token_span(p, (size_t)(end - p));
            if (p == val || (*p && !ws_char(*p) && *p != ';'))
                return false;
            semi = *p == ';';
            if (*p)
                *p++ = '\0';
        }
        for (size_t i = 0; i < np; i++)
            if (mm_eq_ci(names[i], name))
                return false;
        names[np++] = name;
        if (MM_MSG_EQ_LIT(name, "charset"))
            ci->charset = val;
        else if (MM_MSG_EQ_LIT(name, "boundary"))
            ci->boundary = val;
        else if (MM_MSG_EQ_LIT(name, "report-type"))
            ci->report_type = val;
    }
    *type_end = '\0';
    *sub_end = '\0';
    ci->type = type;
    ci->sub = sub;
    return true;
}

static void read_ctype(fp *f, ctinfo *ci, const char *raw, size_t n)
{
    /* in the arena, not g_strndup()'d: one malloc and free less per part */
    ci->copy = mm_arena_strndup(f->arena, raw, n);
    if (!ci->copy) {
        f->bail = true; /* GMime's path reports the lack of memory */
        return;
    }
    ci->given = true;
    if (simple_ctype(ci->copy, ci->copy + n, ci))
        return;
    /* simple_ctype() may have cut the copy (NULs after names and values)
     * before it gave up: GMime must read the value as written, not the cut
     * one, or it loses the parameters from the first cut on */
    memcpy(ci->copy, raw, n);
    ci->charset = ci->boundary = ci->report_type = NULL;
    ci->gct = g_mime_content_type_parse(mm_msg_parser_options(), ci->copy);
    ci->type = g_mime_content_type_get_media_type(ci->gct);
    ci->sub = g_mime_content_type_get_media_subtype(ci->gct);
    ci->charset = g_mime_content_type_get_parameter(ci->gct, "charset");
    ci->boundary = g_mime_content_type_get_parameter(ci->gct, "boundary");
    ci->report_type = g_mime_content_type_get_parameter(ci->gct, "report-type");
}

/*
 * The first LF or NUL in [p, end), or end: a part's header lines are short
 * (Content-Type, Content-Transfer-Encoding), and one inline search costs
 * less than a memchr() call for the line's end and another for a NUL in it.
 */
static const char *lf_or_nul(const char *p, const char *end)
{
#ifdef __SSE2__
    for (; end - p >= 16; p += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_cmpeq_epi8(v, _mm_set1_epi8('\n')), _mm_cmpeq_epi8(v, _mm_setzero_si128())));
        if (m)
            return p + __builtin_ctz(m);
    }
#endif
    while (p < end && *p != '\n' && *p != '\0')
        p++;
    return p;
}

/*
 * One header block, up to and including its empty line.  The sanitiser left
 * only MIME fields in it.  Sets nd->ct (what the Content-Type says)
 * and nd->enc.
 */
static void read_headers(fp *f, node *nd)
{
    const char *ct = NULL, *cte = NULL, *field = NULL;
    size_t ctlen = 0, ctelen = 0;
    const char **cur = NULL;
    size_t *curlen = NULL;
    nd->enc = GMIME_CONTENT_ENCODING_DEFAULT;
    for (;;) {
        if (f->p >= f->end) {
            f->bail = true;
            return;
        }
        const char *l = f->p, *nl = lf_or_nul(l, f->end);
        if (nl < f->end && *nl == '\0') { /* GMime's header strings end there; ours would not */
            f->bail = true;
            return;
        }
        size_t n = (size_t)(nl - l);
        f->p = nl < f->end ? nl + 1 : f->end;
        if (n == 0)
            break;
        if (l[0] == ' ' || l[0] == '\t') {
            if (!field) {
                f->bail = true;
                return;
            }
            if (cur)
                *curlen = (size_t)(l + n - *cur);
            continue;
        }
        size_t k = (size_t)(mm_field_name_end(l, l + n) - l);
        if (k == 0 || k == n || l[k] != ':') {
            f->bail = true;
            return;
        }
        field = l;
        cur = NULL;
        if (is_ctype_name(l, k)) {
            cur = &ct;
            curlen = &ctlen;
        } else if (is_cte_name(l, k)) {
            cur = &cte;
            curlen = &ctelen;
        }
        if (cur) {
            if (*cur) { /* GMime's parser and its objects disagree on which one counts */
                f->bail = true;
                return;
            }
            *cur = l + k + 1;
            *curlen = n - k - 1;
        }
    }
    if (cte && !encoding_of(cte, ctelen, &nd->enc)) {
        f->bail = true;
        return;
    }
    if (ct)
        read_ctype(f, &nd->ct, ct, ctlen);
}

/* Level of the open multipart whose boundary line l is, or -1. */
static term boundary_line(const fp *f, const char *l, size_t n)
{
    term t = {-1, false};
    if (n < 2 || l[0] != '-' || l[1] != '-')
        return t;
    for (size_t k = f->nb; k-- > 0;) {
        size_t bl = f->blen[k];
        if (n < 2 + bl || memcmp(l + 2, f->bnd[k], bl) != 0)
            continue;
        size_t i = 2 + bl;
        bool end = n - i >= 2 && l[i] == '-' && l[i + 1] == '-';
        if (end)
            i += 2;
        while (i < n && (l[i] == ' ' || l[i] == '\t'))
            i++;
        if (i == n) {
            t.level = (int)k;
            t.end = end;
            return t;
        }
    }
    return t;
}

/*
 * The first line start from l (a line start) on whose line begins "--", or
 * end: the next the sanitiser noted (l only moves forward), else searched.
 */
static const char *next_dash_line(fp *f, const char *l, const char *end)
{
    const mm_dashes *d = f->dashes;
    if (d) {
        while (f->next_dash < d->n && f->buf + d->at[f->next_dash] < l)
            f->next_dash++;
        return f->next_dash < d->n ? f->buf + d->at[f->next_dash] : end;
    }
    if (end - l >= 2 && l[0] == '-' && l[1] == '-')
        return l;
    const char *h = mm_memcasemem(l, (size_t)(end - l), "\n--", 3); /* no letters: exact */
    return h ? h + 1 : end;
}

/*
 * Content from the cursor to the next boundary line of an open multipart
 * (left unread) or the end.  The newline before a boundary line is the
 * delimiter's (RFC 2046 section 5.1.1), as GMime takes it.  Only a line that
 * begins "--" can be a boundary line, so the search goes from one such line
 * to the next, and nowhere when no multipart is open.
 */
static term scan_content(fp *f, const char **start, size_t *len)
{
    *start = f->p;
    while (f->nb && f->p < f->end) {
        const char *l = next_dash_line(f, f->p, f->end);
        if (l >= f->end)
            break;
        const char *nl = memchr(l, '\n', (size_t)(f->end - l));
        size_t n = nl ? (size_t)(nl - l) : (size_t)(f->end - l);
        term t = boundary_line(f, l, n);
        if (t.level >= 0) {
            f->p = l;
            *len = (size_t)(l - *start);
            if (*len && (*start)[*len - 1] == '\n')
                (*len)--;
            return t;
        }
        f->p = nl ? nl + 1 : f->end;
    }
    f->p = f->end;
    *len = (size_t)(f->end - *start);
    term eof = {-1, false};
    return eof;
}

static void skip_line(fp *f)
{
    const char *nl = memchr(f->p, '\n', (size_t)(f->end - f->p));
    f->p = nl ? nl + 1 : f->end;
}

/* The part's media type is the lower-case literal type (n bytes). */
static inline bool type_is(const ctinfo *ct, const char *type, size_t n)
{
    const char *t = ct->given ? ct->type : "text";
    return t && mm_msg_eq_lit(t, type, n);
}

static inline bool sub_is(const ctinfo *ct, const char *sub, size_t n)
{
    const char *s = ct->given ? ct->sub : "plain";
    return s && mm_msg_eq_lit(s, sub, n);
}

/* With the literal's length worked out where it is written. */
#define IS_TYPE(ct, lit) type_is((ct), "" lit, sizeof(lit) - 1)
#define IS_SUB(ct, lit) sub_is((ct), "" lit, sizeof(lit) - 1)

/* The message/ subtypes GMime keeps as plain parts, read as leaves by message.c. */
static bool leaf_message(const ctinfo *ct)
{
    return IS_SUB(ct, "delivery-status") || IS_SUB(ct, "global-delivery-status") ||
           IS_SUB(ct, "feedback-report") || IS_SUB(ct, "rfc822-headers") ||
           IS_SUB(ct, "global-headers") || IS_SUB(ct, "disposition-notification") ||
           IS_SUB(ct, "partial");
}

static term entity(fp *f, int *out, bool in_multipart, bool in_message);

static bool push_boundary(fp *f, const char *b)
{
    size_t bl = b ? strlen(b) : 0;
    if (bl == 0 || f->nb >= FP_DEPTH)
        return false;
    for (size_t k = 0; k < f->nb; k++) {
        size_t m = bl < f->blen[k] ? bl : f->blen[k];
        if (memcmp(b, f->bnd[k], m) == 0)
            return false; /* one a prefix of the other: which matches first is GMime's business */
    }
    f->bnd[f->nb] = b;
    f->blen[f->nb++] = bl;
    return true;
}

/* A multipart body: preamble, parts, epilogue (RFC 2046 section 5.1.1). */
static term multipart(fp *f, int idx)
{
    const char *s;
    size_t n;
    int level = (int)f->nb;
    const ctinfo *ct = &f->nodes[idx].ct;
    if (!ct->boundary && !mm_strcasestr(ct->copy, "boundary")) {
        /* No boundary parameter however the value is read ("multipart/
         * alternative;"): GMime scans the whole content into the prologue,
         * and no part follows. */
        term t = scan_content(f, &s, &n);
        f->nodes[idx].body = s;
        f->nodes[idx].blen = n;
        return t;
    }
    if (!push_boundary(f, ct->boundary)) {
        f->bail = true;
        term t = {-1, false};
        return t;
    }
    term t = scan_content(f, &s, &n); /* preamble */
    f->nodes[idx].body = s;           /* read as text when no part follows */
    f->nodes[idx].blen = n;
    int last = -1;
    while (!f->bail && t.level == level && !t.end) {
        skip_line(f);
        int child;
        t = entity(f, &child, true, false);
        if (f->bail)
            break;
        if (last < 0)
            f->nodes[idx].child = child;
        else
            f->nodes[last].next = child;
        last = child;
    }
    f->nb--;
    if (!f->bail && t.level == level && t.end) {
        skip_line(f);
        t = scan_content(f, &s, &n); /* epilogue */
    }
    return t;
}

/* A header block and its body; *out is its node. */
static term entity(fp *f, int *out, bool in_multipart, bool in_message)
{
    term t = {-1, false};
    int idx = new_node(f, N_LEAF);
    *out = idx;
    if (idx < 0)
        return t;
    read_headers(f, &f->nodes[idx]);
    if (f->bail)
        return t;
    const ctinfo *ct = &f->nodes[idx].ct;
    if (IS_TYPE(ct, "multipart")) {
        if (IS_SUB(ct, "digest")) {
            f->bail = true;
            return t;
        }
        f->nodes[idx].kind = N_MULTI;
        return multipart(f, idx);
    }
    if (IS_TYPE(ct, "message") && !leaf_message(ct)) {
        const char *nl = f->p < f->end ? memchr(f->p, '\n', (size_t)(f->end - f->p)) : NULL;
        size_t first = nl ? (size_t)(nl - f->p) : (size_t)(f->end - f->p);
        if (!in_multipart || in_message || !IS_SUB(ct, "rfc822") || f->p >= f->end ||
            boundary_line(f, f->p, first).level >= 0) {
            f->bail = true;
            return t;
        }
        f->nodes[idx].kind = N_MSG;
        int child;
        t = entity(f, &child, false, true);
        f->nodes[idx].child = child;
        return t;
    }
    node *nd = &f->nodes[idx];
    return scan_content(f, &nd->body, &nd->blen);
}

/*
 * leaf_bytes() for quoted-printable.  GMime's decoder copies every byte but
 * '=' as it is while no "=XX" sequence is open (state 0): such runs are
 * copied here, found with memchr; "=XX" in upper-case hex and "=" LF are
 * read here too, and GMime decodes any other '=', three bytes at a time,
 * until its state is 0 again.  The decoder being a state
 * machine fed in pieces, the bytes are GMime's (fastcheck compares them).
 */
/* An upper-case hex digit's value plus one, 0 for any other byte: a load,
 * not a digit-or-letter branch per digit that escapes of random bytes
 * mispredict. */
static const unsigned char hex_upper_1[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/*
 * "=XX" at p with XX two upper-case hex digits (what encoders write): its
 * byte into *out, as GMime's decoder would give it; false for every other
 * shape (lower case, soft breaks, broken escapes), left to GMime.
 */
static bool qp_plain_escape(const char *p, size_t left, char *out)
{
    if (left < 3)
        return false;
    unsigned hi = hex_upper_1[(unsigned char)p[1]], lo = hex_upper_1[(unsigned char)p[2]];
    if (!hi || !lo)
        return false;
    *out = (char)((hi - 1) << 4 | (lo - 1));
    return true;
}

/*
 * The bytes of in[0..n) before its first '=' (or all n) copied to out; their
 * count.  out must have room for n bytes: 16 are stored at a time while
 * 16 remain, and what follows the '=' in them is written over next.  QP text has an
 * escape or a soft break every few dozen bytes: for runs that short this
 * beats a memchr() and a memcpy() call each.
 */
#ifdef __SSE2__
/* The 16 bytes at in stored at out; the '=' among them as bits. */
static inline uint64_t qp_copy16(char *out, const char *in)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)in);
    _mm_storeu_si128((__m128i *)(void *)out, v);
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('=')));
}
#endif

static size_t qp_copy_run(char *out, const char *in, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    /* 64 bytes a step, one test: QP lines are at most 76 bytes and end in
     * "=" LF or hold escapes, so nearly every step finds a '='.  A test per
     * 16 bytes was taken or not as the run's length fell (mispredicted ~34 k
     * times in 83 k tests on 2,000 messages). */
    for (; n - i >= 64; i += 64) {
        uint64_t m = qp_copy16(out + i, in + i) | qp_copy16(out + i + 16, in + i + 16) << 16 |
                     qp_copy16(out + i + 32, in + i + 32) << 32 |
                     qp_copy16(out + i + 48, in + i + 48) << 48;
        if (m)
            return i + (size_t)__builtin_ctzll(m);
    }
    for (; n - i >= 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(in + i));
        _mm_storeu_si128((__m128i *)(void *)(out + i), v);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('=')));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    const char *eq = memchr(in + i, '=', n - i);
    size_t run = eq ? (size_t)(eq - (in + i)) : n - i;
    memcpy(out + i, in + i, run);
    return i + run;
}

static char *qp_bytes(const node *nd, size_t cap, size_t *len)
{
    GMimeEncoding state;
    g_mime_encoding_init_decode(&state, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
    const char *in = nd->body;
    size_t n = nd->blen, i = 0, o = 0;
    /* the output is never longer than the input, and passes cap by 3 at most */
    char *out = g_malloc((n < cap ? n : cap) + 16);
    while (i < n && o < cap) {
        if (state.state == 0) {
            /* room: o <= i, so o + (n - i) + 15 < n + 16; o + (cap - o) + 15 < cap + 16 */
            size_t run = qp_copy_run(out + o, in + i, n - i < cap - o ? n - i : cap - o);
            o += run;
            i += run;
            if (i == n || o >= cap)
                break;
        }
        if (state.state == 0 && qp_plain_escape(in + i, n - i, out + o)) {
            o++;
            i += 3;
            continue;
        }
        if (state.state == 0 && n - i >= 2 && in[i + 1] == '\n') {
            i += 2; /* "=" LF: a soft line break, as GMime reads it */
            continue;
        }
        size_t k = n - i < 3 ? n - i : 3;
        o += g_mime_encoding_step(&state, in + i, k, out + o);
        i += k;
    }
    *len = o < cap ? o : cap;
    return out;
}

/* At most cap bytes of a leaf's content, transfer encoding removed; g_free() it. */
static char *leaf_bytes(const node *nd, size_t cap, size_t *len)
{
    if (nd->enc == GMIME_CONTENT_ENCODING_DEFAULT) {
        *len = nd->blen < cap ? nd->blen : cap;
        return NULL;
    }
    if (nd->enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE)
        return qp_bytes(nd, cap, len);
    GMimeEncoding state;
    g_mime_encoding_init_decode(&state, nd->enc);
    size_t done = 0, outlen = 0;
    /* Each step adds at most outlen(4096) bytes, and the loop stops once cap is reached. */
    size_t room = g_mime_encoding_outlen(&state, nd->blen);
    size_t most = cap + g_mime_encoding_outlen(&state, 4096);
    char *out = g_malloc((room < most ? room : most) + 16);
    while (done < nd->blen && outlen < cap) {
        size_t chunk = nd->blen - done < 4096 ? nd->blen - done : 4096;
        outlen += g_mime_encoding_step(&state, nd->body + done, chunk, out + outlen);
        done += chunk;
    }
    *len = outlen < cap ? outlen : cap;
    return out;
}

static void leaf(mm_walk *w, const node *nd)
{
    const ctinfo *ct = &nd->ct;
    const char *type = ct->given ? ct->type : NULL;
    const char *sub = ct->given ? ct->sub : NULL;
    const char *cs = ct->given ? ct->charset : NULL;
    bool headers_block;
    mm_buf *dst;
    size_t room = mm_walk_leaf_room(w, type, sub, &dst, &headers_block);
    if (room == 0)
        return;
    size_t len;
    char *dec = leaf_bytes(nd, room, &len);
    /* undecoded, the content is the sanitised copy's bytes: no CR there */
    mm_walk_leaf_put(w, dst, headers_block, dec ? dec : nd->body, len, cs, dec == NULL,
                     dec ? &dec : NULL);
    g_free(dec); /* NULL if the walk took it */
}

/* message.c's walk_obj() over our nodes: the same limits, in the same order. */
static void walk(const fp *f, mm_walk *w, int idx, size_t depth)
{
    if (w->st != MM_OK || depth > w->lim->max_mime_depth || w->m->parts >= w->lim->max_parts)
        return;
    w->m->parts++;
    const node *nd = &f->nodes[idx];
    if (nd->kind == N_MULTI) {
        for (int c = nd->child; c >= 0 && w->st == MM_OK; c = f->nodes[c].next)
            walk(f, w, c, depth + 1);
        if (nd->child < 0) /* no part: GMime keeps the content as the prologue */
            mm_walk_empty_multipart(w, nd->body, nd->blen);
    } else if (nd->kind == N_MSG) {
        mm_walk_attached_begin(w);
        w->in_attached++;
        if (nd->child >= 0)
            walk(f, w, nd->child, depth + 1);
        w->in_attached--;
    } else {
        leaf(w, nd);
    }
}

/* s[0..n) with its ASCII capitals lowered into d: a lowering copy (measuring,
 * copying and then lowering read it thrice), eight bytes at a time from 8
 * on ("multipart", "delivery-status"). */
static void lower_copy(char *d, const char *s, size_t n)
{
    if (n >= 8) {
        mm_lower_copy8(d, s, n);
        return;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = mm_lower(s[i]);
}

/* m->ctype and m->report_type as message.c sets them from GMime's object. */
static void set_ctype(mm_msg *m, const ctinfo *ct)
{
    if (!ct->given || ct->gct) {
        mm_msg_set_ctype(m, ct->gct);
        return;
    }
    size_t tl = strlen(ct->type), sl = strlen(ct->sub);
    char *mt = mm_arena_alloc(&m->arena, tl + sl + 2);
    m->ctype = "text/plain";
    m->report_type = "";
    if (mt) {
        lower_copy(mt, ct->type, tl);
        mt[tl] = '/';
        lower_copy(mt + tl + 1, ct->sub, sl);
        mt[tl + 1 + sl] = '\0';
        m->ctype = mt;
    }
    if (ct->report_type) {
        size_t rl = strlen(ct->report_type);
        char *rt = mm_arena_alloc(&m->arena, rl + 1);
        if (rt) {
            lower_copy(rt, ct->report_type, rl);
            rt[rl] = '\0';
            m->report_type = rt;
        }
    }
}

mm_status_t mm_msg_fast(mm_msg *m, const mm_limits *lim, const char *buf, size_t len,
                        mm_buf *head_raw, mm_buf *orig_raw, const mm_dashes *dashes)
{
    /* Only the scalars are set: the boundary stack is read below nb, the
     * nodes below n, and new_node() clears each node it hands out; clearing
     * the arrays too (about 2 KB) cost ~250 instructions a message. */
    fp f;
    f.p = buf;
    f.end = buf + len;
    f.buf = buf;
    f.dashes = dashes && !dashes->lost ? dashes : NULL;
    f.next_dash = 0;
    f.arena = &m->arena;
    f.nodes = NULL;
    f.n = f.cap = f.nb = 0;
    f.max_nodes = 4 * lim->max_parts + 16;
    f.bail = false;
    int root;
    entity(&f, &root, false, false);
    mm_status_t st = MM_ENOTFOUND;
    if (!f.bail && root >= 0) {
        mm_walk w = {m, lim, orig_raw, MM_BUF_INIT, 0, MM_OK, NULL, 0, NULL};
        /* From here on the fast path must not give up (MM_ENOTFOUND): the
         * collect ends names in place in head_raw, so GMime's parse of the
         * same block would find no fields. */
        st = mm_msg_collect_block(m, head_raw, &m->head);
        set_ctype(m, &f.nodes[root].ct);
        if (st == MM_OK)
            walk(&f, &w, root, 0);
        st = mm_walk_finish(&w, st);
    }
    for (size_t i = 0; i < f.n; i++)
        if (f.nodes[i].ct.gct)
            g_object_unref(f.nodes[i].ct.gct);
    if (f.nodes != f.first)
        g_free(f.nodes);
    return st;
}
