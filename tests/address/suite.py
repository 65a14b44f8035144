#!/usr/bin/env python3
"""Scores the address checker on ../shared/testsuites/address/syntax.tsv.

Usage: suite.py ADDRCHECK SUITE_DIR [--show]

* agreement with the `expected` column (RFC 5321 + 6531): all rows and the
  "core" rows (no quoted-local/address-literal/smtputf8/idn/dotless/special
  tags), floor 99 %;
* rows tagged as common mistakes must get the SPECIFIC code of their tag
  (table COMMON below), floor 100 %;
* the `rfc5322` column under --rfc5322 (`obs` counts as valid), reported;
* syntax-disputed.tsv must be decided as our policy (table DISPUTED).

Without the suite it prints SKIP and exits 77, except under CI=true, where a
missing ../shared is a failure.  Failures print "got X, want Y".
"""
import os
import subprocess
import sys

FLOOR_ALL = 99.0
FLOOR_COMMON = 100.0
POLICY_TAGS = {'quoted-local', 'address-literal', 'smtputf8', 'idn', 'dotless-domain',
               'special-use'}
# tag -> the codes that name that mistake (a row passes if its code names
# any of its common tags)
COMMON = {
    'missing-at': {'missing_at', 'fullwidth_char'},  # "＠" / "﹫" typed for "@"
    'multiple-at': {'multiple_at'},
    'fullwidth': {'fullwidth_char'},
    'whitespace': {'space', 'line_break', 'comment'},  # CFWS rows are tagged whitespace
    'comma': {'domain_comma', 'local_comma', 'address_list'},
    'underscore-domain': {'domain_underscore'},
    'missing-local': {'missing_local'},
    'missing-domain': {'missing_domain', 'missing_at', 'empty'},
    'display-name': {'display_name'},
    'angle-brackets': {'angle_brackets'},
    'dots': {'leading_dot', 'trailing_dot', 'double_dot'},
    'hyphen': {'hyphen_start', 'hyphen_end'},
    'length': {'local_too_long', 'address_too_long', 'domain_too_long', 'label_too_long'},
}
# Our policy for syntax-disputed.tsv (docs/VERIFY.md "Disputed cases"):
# the code each row gets ('ok' = valid).  Not part of the agreement score.
DISPUTED = {
    '"test@iana.123"': 'numeric_tld',
    '"test@255.255.255.255"': 'numeric_tld',
    '"unbracketed-IP@127.0.0.1"': 'numeric_tld',
    '"invalid-ip@127.0.0.1.26"': 'numeric_tld',
    '"another-invalid-ip@127.0.0.256"': 'numeric_tld',
    '"user@example.123"': 'numeric_tld',
    '"test@[IPv6:1111:2222:3333:4444:5555:6666::8888]"': 'ok',
    '"me@xn--0.tld"': 'fake_alabel',
    '"me@yy--0.tld"': 'reserved_label',
    '"user@ab--cd.com"': 'reserved_label',
    '"me@[tag:text]"': 'literal_tag',
    '"\\"\\"@iana.org"': 'quote_empty',
    '"\\"test\\\\©\\"@iana.org"': 'quote_char',
    '"\\"\\u0080\\"@iana.org"': 'control_char',
    '"me.\\u037e@example.com"': 'ok',
    '"john.doe@gmail。com"': 'fullwidth_char',
    '"john.doe@qq．com"': 'fullwidth_char',
    '"john.doe@ｇｍａｉｌ.com"': 'fullwidth_char',
    '"user@MÜNCHEN.de"': 'idn_invalid',
    '"user@Пример.рф"': 'idn_invalid',
    '"john.doe@gmail.com\\u200b"': 'invisible_char',
    '"john.doe\\u200b@gmail.com"': 'invisible_char',
    '"john.doe\\u00a0@gmail.com"': 'space',
    '"用户\\u3000名@example.com"': 'space',
}
NAMED = ['missing-at', 'multiple-at', 'fullwidth', 'whitespace', 'comma', 'underscore-domain',
         'missing-local', 'missing-domain', 'display-name', 'angle-brackets']


def run(exe, lines, opt=None):
    args = [exe] + ([opt] if opt else [])
    out = subprocess.run(args, input=('\n'.join(lines) + '\n').encode(), capture_output=True, check=True).stdout.decode('utf-8', 'replace')
    res = [ln.split('\t') for ln in out.split('\n')[:-1]]
    assert len(res) == len(lines), (len(res), len(lines))
    return res


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    exe, suite = sys.argv[1], sys.argv[2]
    show = '--show' in sys.argv
    path = os.path.join(suite, 'syntax.tsv')
    if not os.path.exists(path):
        if os.environ.get('CI') == 'true':
            print(f'FAIL: {path} is missing (CI=true)')
            return 1
        print(f'SKIP: {path} is not there')
        return 77
    rows = []
    with open(path, encoding='utf-8') as f:
        f.readline()
        for ln in f:
            c = ln.rstrip('\n').split('\t')
            rows.append({'lit': c[0], 'expected': c[1], 'rfc5322': c[2],
                         'tags': set(c[3].split(',')) if c[3] else set()})
    got = run(exe, [r['lit'] for r in rows])
    got22 = run(exe, [r['lit'] for r in rows], '--rfc5322')
    ok = core = core_ok = ok22 = 0
    com = com_ok = named = named_ok = 0
    fails = []
    for r, g, g22 in zip(rows, got, got22):
        verdict, code = g[0], g[1]
        good = verdict == r['expected']
        ok += good
        if not r['tags'] & POLICY_TAGS:
            core += 1
            core_ok += good
        if not good:
            fails.append(f"{r['lit']}: got {verdict} ({code} col {g[2]}), want {r['expected']}")
        want22 = 'valid' if r['rfc5322'] in ('valid', 'obs') else 'invalid'
        ok22 += g22[0] == want22
        if show and g22[0] != want22:
            print(f"rfc5322 {r['lit']}: got {g22[0]}, want {r['rfc5322']}")
        tags = r['tags'] & COMMON.keys()
        if r['expected'] == 'invalid' and tags:
            codes = set().union(*(COMMON[t] for t in tags))
            spec = code in codes
            com += 1
            com_ok += spec
            if tags & set(NAMED):
                named += 1
                named_ok += spec
            if not spec:
                fails.append(f"{r['lit']} [{','.join(sorted(tags))}]: got code {code}, "
                             f"want one of {sorted(codes)}")
        if show:
            print('\t'.join([r['lit'], r['expected']] + g[:5]))
    pct = lambda a, b: 100.0 * a / b if b else 100.0
    print(f'expected column: {ok}/{len(rows)} = {pct(ok, len(rows)):.2f}% '
          f'(core rows {core_ok}/{core} = {pct(core_ok, core):.2f}%)')
    print(f'rfc5322 column (--rfc5322, obs = valid): {ok22}/{len(rows)} = '
          f'{pct(ok22, len(rows)):.2f}%')
    print(f'common mistakes with their specific code: {com_ok}/{com} = {pct(com_ok, com):.2f}% '
          f'(the ten named tags: {named_ok}/{named} = {pct(named_ok, named):.2f}%)')
    dpath = os.path.join(suite, 'syntax-disputed.tsv')
    if os.path.exists(dpath):
        with open(dpath, encoding='utf-8') as f:
            f.readline()
            lits = [ln.split('\t')[0] for ln in f if ln.strip()]
        dgot = run(exe, lits)
        dok = 0
        for lit, g in zip(lits, dgot):
            want = DISPUTED.get(lit)
            if g[1] == want:
                dok += 1
            else:
                fails.append(f'disputed {lit}: got {g[1]}, want {want} (our policy)')
        print(f'disputed rows decided as our documented policy: {dok}/{len(lits)}')
    for f in fails:
        print('  ' + f)
    if (pct(ok, len(rows)) < FLOOR_ALL or pct(com_ok, com) < FLOOR_COMMON or
            any(f.startswith('disputed') for f in fails)):
        print('FAIL: under the floor')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
