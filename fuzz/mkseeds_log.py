#!/usr/bin/env python3
"""Write the seed corpora of the bounce-log targets fuzz_imap.in/,
fuzz_listread.in/ and fuzz_logconf.in/ (hand-written; the IMAP responses
follow what Dovecot, Gmail and Tencent Exmail send, with invented values).
Re-running rewrites these seeds and leaves other files (inputs that found
bugs, named crash-*) alone.
"""
from mkseeds import write  # the same seed writer as the diagnose targets


def crlf(s):
    return s.replace("\n", "\r\n").encode()


IMAP = {
    "cap-dovecot": crlf(
        "* CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY "
        "THREAD=REFERENCES THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE "
        "UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH "
        "ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY "
        "PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE\n"
        "A003 OK Capability completed (0.001 + 0.000 secs).\n"),
    "cap-gmail": crlf(
        "* CAPABILITY IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 "
        "UIDPLUS COMPRESS=DEFLATE ENABLE MOVE CONDSTORE ESEARCH UTF8=ACCEPT LIST-EXTENDED "
        "LIST-STATUS LITERAL- SPECIAL-USE APPENDLIMIT=35651584\n"
        "A3 OK Success\n"),
    "cap-exmail": crlf("* CAPABILITY IMAP4 IMAP4rev1 ID AUTH=PLAIN AUTH=LOGIN NAMESPACE\n"
                       "A3 OK CAPABILITY completed\n"),
    "cap-greeting-code": crlf(
        "* OK [CAPABILITY IMAP4rev1 LITERAL+ MOVE UIDPLUS] Dovecot ready.\n"
        "* capability imap4rev1 move]\n* CAPABILITY\n* CAPABILITY MOVEX UIDPLUS2\n"),
    "examine-dovecot": crlf(
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\n"
        "* OK [PERMANENTFLAGS ()] Read-only mailbox.\n* 1250 EXISTS\n* 0 RECENT\n"
        "* OK [UNSEEN 3] First unseen.\n* OK [UIDVALIDITY 1764460800] UIDs valid\n"
        "* OK [UIDNEXT 1251] Predicted next UID\n* OK [HIGHESTMODSEQ 2043] Highest\n"
        "A004 OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).\n"),
    "examine-gmail": crlf(
        "* FLAGS (\\Answered \\Flagged \\Draft \\Deleted \\Seen $NotPhishing $Phishing)\n"
        "* OK [PERMANENTFLAGS ()] Flags permitted.\n* OK [UIDVALIDITY 1] UIDs valid.\n"
        "* 3021 EXISTS\n* 0 RECENT\n* OK [UIDNEXT 3346] Predicted next UID.\n"
        "* OK [HIGHESTMODSEQ 1598413]\nA4 OK [READ-ONLY] INBOX selected. (Success)\n"),
    "examine-exmail": crlf(
        "* 12 EXISTS\n* 0 RECENT\n* OK [UNSEEN 1]\n"
        "* OK [UIDVALIDITY 1611131244] UID validity status\n"
        "* OK [UIDNEXT 1045] Predicted next UID\n"
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Draft \\Seen)\n"
        "* OK [PERMANENTFLAGS (\\* \\Answered \\Flagged \\Deleted \\Draft \\Seen)] Permanent flags\n"
        "A4 OK [READ-ONLY] EXAMINE completed\n"),
    "examine-no-uidvalidity": crlf("* 7 EXISTS\n* 0 RECENT\nA4 OK [READ-ONLY] done\n"),
    "fetch-list": crlf(
        "* 1 FETCH (UID 101 RFC822.SIZE 2048)\n* 2 FETCH (RFC822.SIZE 913 UID 102)\n"
        "* 3 FETCH (UID 103 RFC822.SIZE 40960 FLAGS (\\Seen))\n* 4 FETCH (UID 99 RFC822.SIZE 1)\n"
        "* 2 FETCH (RFC822.SIZE 913 UID 102)\n* 5 FETCH (MODSEQ (12) UID 240 RFC822.SIZE 0)\n"
        "A6 OK Fetch completed (0.002 + 0.000 + 0.001 secs).\n"),
    "fetch-gmail": crlf(
        "* 3019 FETCH (X-GM-THRID 1750311213155342577 UID 3343 RFC822.SIZE 15882)\n"
        "* 3020 FETCH (UID 3344 RFC822.SIZE 7312 X-GM-MSGID 1750311213155342578)\n"
        "* 3021 FETCH (UID 3345 RFC822.SIZE 98231)\nA7 OK Success\n"),
    "fetch-literal": crlf("* 1 FETCH (UID 7 RFC822.SIZE 5 BODY[] {5}\nhello)\n"
                          "* 2 FETCH (UID 8 RFC822.SIZE {2}\n12)\nA8 OK done\n"),
    "fetch-odd": crlf(
        "* 1 FETCH (UID)\n* 1 FETCH (UID RFC822.SIZE)\n*\n* 1 FETCH UID 5 RFC822.SIZE 9\n"
        "* 2 FETCH (XUID 6 RFC822.SIZE 9)\n* 3 FETCH (uid 12 rfc822.size 9)\n"
        "* 4 FETCH (UID 0 RFC822.SIZE 1)\n"),
    "uid-search": crlf("* SEARCH 2 84 882\nA5 OK SEARCH completed (0.001 + 0.000 secs).\n"),
    "esearch": crlf('* ESEARCH (TAG "A282") UID MIN 2 COUNT 3 ALL 2,10:11\n'
                    '* ESEARCH (TAG "A283") UID ALL 4294967295\nA283 OK done\n'),
    "huge-numbers": crlf(
        "* OK [UIDVALIDITY 4294967296] too big\n* OK [UIDVALIDITY 4294967295] max\n"
        "* 18446744073709551616 EXISTS\n* 99999999999999999999999999 EXISTS\n"
        "* 1 FETCH (UID 99999999999999999999 RFC822.SIZE 18446744073709551615)\n"
        "* 2 FETCH (UID 18446744073709551615 RFC822.SIZE 184467440737095516150)\n"
        "* 3 FETCH (UID 4294967296 RFC822.SIZE 1)\n"),
    "signs": crlf("* -1 EXISTS\n* OK [UIDVALIDITY -1]\n* OK [UIDVALIDITY 0]\n"
                  "* OK [UIDVALIDITY +7]\n* +3 EXISTS\n*  9 EXISTS\n* 0x10 EXISTS\n"
                  "* 5 EXISTS trailing\n"),
    "no-crlf": b"* OK [UIDVALIDITY 42]\n* 5 EXISTS",
    "bare-lf-cr": b"* OK [UIDVALIDITY 42]\r* 5 EXISTS\r\r\n\n\n* 1 FETCH (UID 1 RFC822.SIZE 2)\rA1 OK",
    "nuls": b"* 3 EXISTS\x00garbage\r\n* OK [UIDVALIDITY 7\x00]\r\n"
            b"* 1 FETCH (UID 5\x00 RFC822.SIZE 9)\r\n\x00\x00\r\nA9 NO \x00\x01\x7f\r\n",
    "tagged-no": crlf("* BYE Logging out\nA5 NO [TRYCREATE] Mailbox doesn't exist: 已处理\n"
                      "* BYE gone\nA6 LOGOUT completed\n"),
    "tagged-bad": crlf("+ go ahead\nA6 BAD Error in IMAP command UID: Invalid arguments.\n"),
    "tagged-long": ("A7 OK " + "x" * 700 + "\r\n").encode(),
    "tagged-short": b"A NO\r\nA BA\nA NO",
    "expunge": crlf("* 3 EXPUNGE\n* VANISHED 105\n"
                    "* OK [COPYUID 1764460800 105 7] Moved UIDs.\nA9 OK Move completed\n"),
    "names-zh": "退信\n已处理 bounces\n退信/2026\na&b\n&kABP4Q-\n\U0001F600 emoji\n"
                "收件箱/客户/上海 & 北京\n".encode(),
    "names-bad-utf8": b"bad\xff\n\xed\xa0\x80\n\xc0\xaf\n\xf4\x90\x80\x80\n\xe9\x80\n\xf0\x9f\x98\n",
    "names-long": ("退" * 150 + "\n" + "退" * 200 + "\n" + "a" * 499 + "\n" + "&" * 260 + "\n" +
                   "\U0001F600" * 130 + "\n").encode(),
    "names-quotes": b'say "hi" \\ there\n"\n\\\\\n&-&\n',
    "names-controls": b"tab\there\nbell\x07\ndel\x7f\n",
    "url-exmail": b"imaps://imap.exmail.qq.com:993/%E9%80%80%E4%BF%A1\n",
    "url-forms": b"imap://127.0.0.1:1143/INBOX\n",
    "url-gmail": b"imaps://bounces@imap.gmail.com/[Gmail]/All Mail\n",
    "url-password": b"imaps://u:secret@host/INBOX\n",
    "url-params": b"IMAPS://HOST/INBOX;UIDVALIDITY=5\n",
    "url-query": b"imaps://[::1]:993/?ALL\n",
    "url-nul": b"imaps://host/a%00b%0D%0A\n",
    "url-mailbox": b"%E9%80%80%E4%BF%A1/2026\n",
}

LISTREAD = {
    "plain": b"alice@example.com\r\n\r\n  \t\nbob@example.org\n\xef\xbb\xbfnot-a-bom@example.net\n",
    "plain-bom-no-eol": b"\xef\xbb\xbfzhang.san@example.cn\nli.si@163.com",
    "plain-zh": "王五@例子.中国\n 客户 <kehu@qq.com>\n".encode(),
    "csv-en": b"name,email,source\r\nAlice,alice@example.com,fair\r\nBob,bob@example.org,web\r\n",
    "csv-zh-bom": "\ufeff姓名,邮箱,来源\n张三,zhang@example.cn,展会\n李四,li@example.com,官网\n".encode(),
    "csv-zh-email-too": "姓名,Email,邮箱\n张三,a@example.cn,b@example.cn\n".encode(),
    "csv-semicolon": b"Name;Email;Company\nJos\xc3\xa9;jose@example.es;ACME; S.L.\n",
    "csv-tab": b"email\tname\nalice@example.com\tAlice\n\tnobody\n",
    "csv-quoted": b'name,email,note\n"Li, Wei","li@example.com","note ""vip""\nsecond line"\n'
                  b'"x","y@example.com",""""\n',
    "csv-quoted-header": b'"email,addr";name;"Email"\n"a@example.com";b;c@example.com\n',
    "csv-missing": b"name,phone,email\nonly-name\nn,p\nn,p,e@example.com,extra,fields\n\n",
    "csv-spaces-case": b"  Name , EMAIL  \n x , a@example.com \n",
    "csv-no-column": b"name,phone\nAlice,123\n",
    "csv-header-only": b"email",
    "csv-unterminated": b'email,name\n"a@example.com,never closed\nmore\n',
    "csv-cr-only": b"email,name\ra@example.com,A\rb@example.com,B\r",
    "csv-quote-mid": b'email,x\nab"c,d"e,f\n',
    "csv-nuls": b"email,na\x00me\na\x00b@example.com,x\n\x00\n",
    "csv-many-fields": (",".join("c%d" % i for i in range(1100)) + ",email\n" +
                        ",".join(str(i) for i in range(1101)) + "\n").encode(),
    "empty": b"",
    "bom-only": b"\xef\xbb\xbf",
    "utf16": "email\nx@example.com\n".encode("utf-16"),
    "long-plain": b"~a",
    "long-plain-header": b"~email\nb",
    "long-csv-field": b'~email,name\nx@example.com,"' + b"x" * 100,
    "long-csv-lines": b"~email\nx@example.com\n",
    "long-then-short": b"~" + b"y" * 70000 + b"\nshort@example.com\n",
    "huge-csv-header": b"^z",
    "huge-csv-record": b'^email\n"' + b"x" * 100,
    "huge-csv-quoted-lines": b'^email\n"a@example.com\n',
}

LOGCONF = {
    "full": b"# mailmedic log\ndb = /var/lib/mailmedic/log.sqlite\ntemporary_delay = 4h\n"
            b"mailbox_full_delay = 1d\ngive_up_count = 5\ngive_up_age = 7d\n",
    "pg-crlf": b"db=postgresql://mm@127.0.0.1:5432/bounces?sslmode=disable\r\n"
               b"\ttemporary_delay\t=\t90m\r\n",
    "zh-comment": "# 退信日志配置\n  # 缩进的注释\ndb = /数据/退信.sqlite\ngive_up_age = 2w\n".encode(),
    "bad-unit": b"temporary_delay = 4x\n",
    "bad-double-unit": b"give_up_age = 7dd\n",
    "bad-count": b"give_up_count = 0\ngive_up_count = 1001\n",
    "bad-negative": b"temporary_delay = -1h\n",
    "bad-zero": b"mailbox_full_delay = 0d\n",
    "bad-overflow": b"temporary_delay = 99999999999999999999d\ngive_up_age = 36501d\n",
    "bad-space-unit": b"temporary_delay = 5 d\n",
    "no-equals": b"db /tmp/x\n",
    "empty-key": b"  = 4h\ndb =\n",
    "unknown-key": b"retry = 4h\n",
    "long-comment": b"# " + b"x" * 5000 + b"\ndb = /tmp/a\n",
    "long-value": b"db = /" + b"d" * 5000 + b"\n",
    "nul": b"db = /tmp/a\x00b\ngive_up_count = 3\x00\n",
    "times": b"2026-11-30\n2026-11-30 01:02\n2026-11-30T01:02:03Z\n2026-11-30T01:02:03\n"
             b"@1796040000\nnow\n30d\n12h\n+1d\n2w\n30m\n45s\n",
    "times-bad": b"2026-02-31\n2026-13-01\n1969-12-31\n2026-11-30T24:00\n2026-04-31T12:00\n"
                 b"@-1\n@\n@99999999999999999999\n+\n-30d\nd\n2026-11-30T\n2026-11-30Tx\n",
    "times-edge": b"2026-12-31T23:59:60\n9999-12-31T23:59:59Z\n1970-01-01\n2024-02-29\n"
                  b"2023-02-29\n 2026-1-1\n+2026-01-01\n2026-11-30 1:2:3\n36500d\n+36500d\n"
                  b"@253402300799\n",
}


if __name__ == "__main__":
    write("fuzz_imap", IMAP)
    write("fuzz_listread", LISTREAD)
    write("fuzz_logconf", LOGCONF)
