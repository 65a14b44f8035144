#!/usr/bin/env python3
"""
mkmsg.py KEYDIR - how the signed test messages in msgs/ and the key records
in zones/com.zone were made (run once; the outputs are committed, so the
tests need no signer).  RSA-SHA256, relaxed/relaxed, with the openssl CLI.
"""
import base64
import hashlib
import os
import re
import subprocess
import sys

KEYDIR = sys.argv[1]


def key(name, bits):
    path = os.path.join(KEYDIR, name + ".pem")
    if not os.path.exists(path):
        subprocess.run(["openssl", "genrsa", "-out", path, str(bits)], check=True,
                       capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", path, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return path, base64.b64encode(der).decode()


def canon_body(body):
    lines = body.split("\r\n")
    out = [re.sub(r"[ \t]+", " ", l).rstrip(" \t") for l in lines]
    while out and out[-1] == "":
        out.pop()
    return "".join(l + "\r\n" for l in out)


def canon_header(name, value):
    value = re.sub(r"\r\n", "", value)
    value = re.sub(r"[ \t]+", " ", value).strip(" \t")
    return name.lower().strip() + ":" + value


def sign(headers, body, d, s, keypath):
    bh = base64.b64encode(hashlib.sha256(canon_body(body).encode()).digest()).decode()
    hnames = [h for h, _ in headers]
    sig = (f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={d}; s={s}; t=1700000000; "
           f"h={':'.join(hnames)}; bh={bh}; b=")
    data = "".join(canon_header(h, v) + "\r\n" for h, v in headers)
    data += canon_header("DKIM-Signature", sig)
    b = subprocess.run(["openssl", "dgst", "-sha256", "-sign", keypath], input=data.encode(),
                       check=True, capture_output=True).stdout
    return sig + base64.b64encode(b).decode()


good, goodpub = key("good", 2048)
weak, weakpub = key("weak", 512)
print("good:", "v=DKIM1; k=rsa; p=" + goodpub)
print("weak:", "v=DKIM1; k=rsa; p=" + weakpub)
headers = [("From", " Sender <news@mmck-good.com>"), ("To", " buyer@example.net"),
           ("Subject", " Quote for 500 units"), ("Date", " Tue, 14 Nov 2023 22:13:20 +0000"),
           ("Message-ID", " <q500@mmck-good.com>")]
body = "Hello,\r\n\r\nPlease find our quote below.\r\n"
top = sign(headers, body, "mmck-good.com", "nokey", good)
second = sign(headers, body, "mmck-good.com", "default", good)
hdr = "Return-Path: <bounce@mmck-good.com>\r\n"
hdr += "DKIM-Signature: " + top + "\r\n" + "DKIM-Signature: " + second + "\r\n"
hdr += "".join(f"{h}:{v}\r\n" for h, v in headers)
os.makedirs("msgs", exist_ok=True)
with open("msgs/signed.eml", "w", newline="") as f:
    f.write(hdr + "\r\n" + body)
with open("msgs/tampered.eml", "w", newline="") as f:
    f.write(hdr + "\r\n" + body.replace("500", "900").replace("quote", "invoice"))
