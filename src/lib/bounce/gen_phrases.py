#!/usr/bin/env python3
"""gen_phrases.py - turn data/bounce/phrases.txt into the C table phrases.c walks.

Usage: gen_phrases.py PHRASES.txt OUT.h

The lists are checked here, so a bad edit fails the build instead of shipping:
each pattern a quoted C literal, lower case, no duplicate inside a list, a
known list name.  The output (static const arrays for phrases.c only):

  phrase_rows     every pattern, the lists one after the other
  phrase_spans    the rows of each reason's list ([MM_REASON_X] = {lo, hi})
  phrase_row_list each row's list: MM_REASON_X, or PHRASE_LIST_REJECTED_NOT
                  (phrases.c defines it) for rejected's "is not" list
  phrase_need     each row's pairs other than its key and its two rarest
                  others, rarest first, ended by NEED_END
  phrase_key_*    the rows by key pair: one pair of each pattern, chosen rare;
                  phrase_key_mask: which slots key a row at all (bit
                  s % 64 of word s / 64, as the scan gathers the set);
                  phrase_keyed: per row in key order (a bucket's rows side by
                  side), its two rarest other pairs (ALWAYS if fewer), its
                  row and where the rest of its pairs start in phrase_need:
                  what the scan of a bucket reads, in order, in 8 bytes a row

A pair is two adjacent bytes of a pattern, neither of them a mark ('*',
'#', '$'), hashed as mm_cn_pair_hash() (bounce_int.h) does into one of
SLOTS slots: the set classify.c makes of a lowered reply, which the Chinese
rules read too.  Every plain pair of a pattern occurs as it stands in any
text the pattern matches, so a text that lacks one of them cannot match:
phrases.c lists the pairs a text holds, takes the rows filed under each (one
bucket per slot), and searches only the rows whose other pairs the text
holds as well.  The key is the pattern's rarest pair (see rank()), so that a
text's pairs wake few rows: about 40 of the 700 for a reply.  A pattern
without a plain pair is filed under ALWAYS, a slot every text holds.
"""
import ast
import sys

SLOTS = 1024  # MM_CN_SLOTS
ALWAYS = 0  # MM_PHRASE_ALWAYS
NEED_END = 0xffff  # PHRASE_NEED_END: ends a row's pairs in phrase_need
MARKS = b'*#$'

# The special lists (not a reason of their own).
EXTRA = ('rejected_not',)

def pair_hash(a, b):
    """mm_cn_pair_hash() (bounce_int.h)."""
    return ((a << 5) ^ b) & (SLOTS - 1)


def is_letter(b):
    return ord('a') <= b <= ord('z')


def pairs_of(pat):
    """The slots of the plain pairs of pat (bytes), in order, each once;
    with each, whether both its bytes are letters (for rank())."""
    out = []
    for a, b in zip(pat, pat[1:]):
        if a in MARKS or b in MARKS:
            continue
        s = pair_hash(a, b)
        if all(s != x for x, _ in out):
            out.append((s, is_letter(a) and is_letter(b)))
    return out


def fail(path, n, msg):
    sys.exit('%s:%d: %s' % (path, n, msg))


def read_lists(path):
    lists, cur = [], None
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line.strip() or line.startswith('#'):
                continue
            if line.startswith('['):
                name = line.strip('[]')
                if not name.replace('_', '').isalpha() or name != name.lower():
                    fail(path, n, 'bad list name %r' % line)
                if any(name == x for x, _ in lists):
                    fail(path, n, 'list %s given twice' % name)
                cur = []
                lists.append((name, cur))
                continue
            if cur is None:
                fail(path, n, 'pattern before the first [list]')
            if not (line.startswith('"') and line.endswith('"')):
                fail(path, n, 'a pattern is a quoted C literal: %r' % line)
            try:
                pat = ast.literal_eval('b' + line)
            except (ValueError, SyntaxError):
                fail(path, n, 'not a C literal (ASCII, \\xNN for other bytes): %r' % line)
            if not pat or any(ord('A') <= b <= ord('Z') for b in pat) or 0 in pat:
                fail(path, n, 'a pattern is lower case, not empty, without NUL: %r' % line)
            if any(p == pat for p, _ in cur):
                fail(path, n, 'duplicate pattern in [%s]' % lists[-1][0])
            cur.append((pat, line))
    return lists


def rank(pair, df):
    """How often a text is likely to hold pair (slot, letters): lower is
    rarer.  A pair with a byte other than a letter (a space, digit, mark of
    punctuation) is in nearly every text; among letter pairs, those many
    patterns hold are the replies' own words ("rejected", "quota",
    "unknown") and frequent too."""
    slot, letters = pair
    return (0 if letters else 100000) + df[slot]


def main():
    src, out = sys.argv[1], sys.argv[2]
    lists = read_lists(src)
    rows = []  # (literal, pairs, marks)
    spans = []
    df = [0] * SLOTS
    for name, pats in lists:
        lo = len(rows)
        for pat, lit in pats:
            ps = pairs_of(pat)
            for p, _ in ps:
                df[p] += 1
            rows.append((lit, ps, any(c in pat for c in b'*#$')))
        spans.append((name, lo, len(rows)))
    keys, need = [], []
    for lit, ps, marks in rows:
        ps = [p for p, _ in sorted(ps, key=lambda p: (rank(p, df), p[0]))]
        keys.append(ps[0] if ps else ALWAYS)
        need.append(ps[1:])
    buckets = [[] for _ in range(SLOTS)]
    for i, k in enumerate(keys):
        buckets[k].append(i)

    w = []
    w.append('/* phrase_table.h - generated by src/lib/bounce/gen_phrases.py from')
    w.append(' * data/bounce/phrases.txt: do not edit (see the generator for the layout). */')
    w.append('#define PHRASE_COUNT %d' % len(rows))
    w.append('')
    w.append('static const unsigned short phrase_need[] = {')
    flat, at = [], []
    for ps in need:
        at.append(len(flat))
        flat.extend(ps[2:] + [NEED_END])
    if len(flat) > 0xffff:
        fail(src, 0, 'phrase_need is too long for its 16-bit offsets')
    w.extend(wrap([str(p) for p in flat]))
    w.append('};')
    w.append('')
    w.append('static const phrase_row phrase_rows[PHRASE_COUNT] = {')
    for i, (lit, ps, marks) in enumerate(rows):
        w.append('    {%s, %s},' % (lit, 'true' if marks else 'false'))
    w.append('};')
    w.append('')
    w.append('static const phrase_span phrase_spans[MM_REASON_COUNT_] = {')
    for name, lo, hi in spans:
        if name not in EXTRA:
            w.append('    [MM_REASON_%s] = {%d, %d},' % (name.upper(), lo, hi))
    w.append('};')
    for name, lo, hi in spans:
        if name in EXTRA:
            w.append('static const phrase_span phrase_%s = {%d, %d};' % (name, lo, hi))
    w.append('static const unsigned char phrase_row_list[PHRASE_COUNT] = {')
    ids = []
    for name, lo, hi in spans:
        ident = 'PHRASE_LIST_' + name.upper() if name in EXTRA else 'MM_REASON_' + name.upper()
        ids.extend([ident] * (hi - lo))
    w.extend(wrap(ids))
    w.append('};')
    w.append('')
    first, n = [], 0
    for b in buckets:
        first.append(n)
        n += len(b)
    first.append(n)
    # find_candidates() gathers into a stack array of PHRASE_COUNT (+ 8)
    # entries: every row must be filed in exactly one bucket.
    assert n == len(rows) and sorted(i for b in buckets for i in b) == list(range(len(rows))), \
        'every phrase row keyed once'
    w.append('static const unsigned short phrase_key_first[%d] = {' % (SLOTS + 1))
    w.extend(wrap([str(x) for x in first]))
    w.append('};')
    w.append('/* bit j of [i]: slot 64 * i + j keys a row (the scan skips the others) */')
    w.append('static const uint64_t phrase_key_mask[%d] = {' % (SLOTS // 64))
    w.extend(wrap(['0x%016xu' % sum(1 << j for j in range(64) if buckets[64 * i + j])
                   for i in range(SLOTS // 64)]))
    w.append('};')
    w.append('static const phrase_keyed_row phrase_keyed[PHRASE_COUNT] = {')
    def other(i, k):
        return need[i][k] if len(need[i]) > k else ALWAYS
    w.extend(wrap(['{%d, %d, %d, %d}' % (other(i, 0), other(i, 1), i, at[i])
                   for b in buckets for i in b]))
    w.append('};')
    with open(out, 'w', encoding='utf-8') as f:
        f.write('\n'.join(w) + '\n')


def wrap(items, width=96):
    lines, cur = [], '   '
    for it in items:
        if len(cur) + len(it) + 2 > width:
            lines.append(cur)
            cur = '   '
        cur += ' ' + it + ','
    lines.append(cur)
    return lines


if __name__ == '__main__':
    main()
