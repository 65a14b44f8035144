#!/usr/bin/env python3
"""check_lists.py DIR - the domain lists in data/domains/ keep their promises.

Each file opens with a header naming its source, date, licence and curation
rules; entries are lower-case and unique; and the curation rules hold: no
domain of popular.txt or free.txt is in disposable.txt, and the major Chinese
providers are listed as real (popular) mail, never as disposable.  Failures
print "got X, want Y".
"""
import os
import re
import sys

MAJORS_CN = ['qq.com', 'foxmail.com', '163.com', '126.com', 'yeah.net', '188.com', '139.com',
             '189.cn', '21cn.com', 'sina.com', 'sina.cn', 'sohu.com', 'aliyun.com', 'tom.com',
             'wo.cn', 'vip.qq.com', 'vip.163.com', 'vip.sina.com']
FILES = ['popular.txt', 'free.txt', 'disposable.txt', 'roles.txt']


def entries(path):
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            if line.strip() and not line.startswith('#'):
                yield n, line.rstrip('\n').split('\t')[0]


def main():
    root = sys.argv[1]
    errors = []
    lists = {}
    for name in FILES:
        path = os.path.join(root, name)
        with open(path, encoding='utf-8') as f:
            head = ''.join(l for l in f.read().split('\n', 40)[:40] if l.startswith('#'))
        for field in ('Source:', 'Date:', 'Licen', 'Curation'):
            if field not in head:
                errors.append('%s: header has no %r line' % (name, field))
        seen = set()
        for n, d in entries(path):
            if d != d.lower() or d.strip() != d:
                errors.append('%s:%d: got %r, want lower case without spaces' % (name, n, d))
            if d in seen:
                errors.append('%s:%d: %s listed twice' % (name, n, d))
            seen.add(d)
        lists[name] = seen
    real = lists['popular.txt'] | lists['free.txt']
    for d in sorted(real & lists['disposable.txt']):
        errors.append('%s: got both a real provider and disposable, want only real' % d)
    for d in sorted(lists['popular.txt'] & lists['free.txt']):
        errors.append('%s: listed in popular.txt and free.txt, want one of them' % d)
    for d in MAJORS_CN:
        if d not in lists['popular.txt']:
            errors.append('%s: got missing from popular.txt, want a known Chinese provider' % d)
        if d in lists['disposable.txt']:
            errors.append('%s: got disposable, want a real provider' % d)
    for e in errors:
        print(e)
    print('%d popular, %d free, %d disposable, %d roles; %d problems' % (
        len(lists['popular.txt']), len(lists['free.txt']), len(lists['disposable.txt']),
        len(lists['roles.txt']), len(errors)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
