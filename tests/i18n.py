#!/usr/bin/env python3
"""Language selection works without a zh_CN locale on the machine.

Runs `mailmedic --lang zh diagnose --text ...` with LANG=C (no shell, a
minimal environment) and expects Chinese; `--lang en` must give English;
LANG=zh_CN.UTF-8 without --lang must give Chinese even when that locale is
not generated (src/cli/i18n.c switches to C.UTF-8 and sets LANGUAGE).
Usage: i18n.py MAILMEDIC   (MAILMEDIC_LOCALEDIR names the built catalogs)
"""
import os
import re
import subprocess
import sys

CJK = re.compile("[\u4e00-\u9fff]")
TEXT = "550 5.1.1 <a@example.com>: User unknown"


def run(exe, env_extra, args):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if os.environ.get("MAILMEDIC_LOCALEDIR"):
        env["MAILMEDIC_LOCALEDIR"] = os.environ["MAILMEDIC_LOCALEDIR"]
    env.update(env_extra)
    p = subprocess.run([exe] + args, env=env, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", errors="replace")


def main():
    exe = sys.argv[1]
    cases = [
        # (name, environment, arguments, want Chinese, a phrase that must appear)
        ("LANG=C --lang zh", {"LANG": "C"}, ["--lang", "zh", "diagnose", "--text", TEXT],
         True, "收件人地址不存在"),
        ("LANG=C diagnose --lang zh", {"LANG": "C"}, ["diagnose", "--lang", "zh", "--text", TEXT],
         True, "建议操作"),
        ("LC_ALL=C --lang zh help", {"LC_ALL": "C"}, ["--lang", "zh", "diagnose", "--help"],
         True, "用法"),
        ("LANG=C --lang en", {"LANG": "C"}, ["--lang", "en", "diagnose", "--text", TEXT],
         False, "does not exist"),
        ("LANG=zh_CN.UTF-8 --lang en", {"LANG": "zh_CN.UTF-8"},
         ["--lang", "en", "diagnose", "--text", TEXT], False, "To do:"),
        ("LANG=zh_CN.UTF-8", {"LANG": "zh_CN.UTF-8"}, ["diagnose", "--text", TEXT],
         True, "重试时间"),
        ("LANG=C", {"LANG": "C"}, ["diagnose", "--text", TEXT], False, "Retry:"),
        ("json --lang zh", {"LANG": "C"},
         ["--lang", "zh", "diagnose", "-f", "json", "--text", TEXT], True, '"userunknown"'),
    ]
    failed = 0
    for name, env, args, want_zh, phrase in cases:
        rc, out = run(exe, env, args)
        got_zh = bool(CJK.search(out))
        errs = []
        if rc != 0:
            errs.append("exit %d, want 0" % rc)
        if got_zh != want_zh:
            errs.append("Chinese: got %s, want %s" % (got_zh, want_zh))
        if phrase not in out:
            errs.append("output lacks %r" % phrase)
        print("%s %s%s" % ("FAIL" if errs else "ok  ", name, ": " + "; ".join(errs) if errs else ""))
        if errs:
            print(out[:600])
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
