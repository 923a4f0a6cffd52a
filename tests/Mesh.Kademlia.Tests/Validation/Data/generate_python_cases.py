"""Generates python_cases.json: the exact behaviour of CPython's `re` (mesh's marker regexes) and of
`base64.b64decode` (non-validating, as mesh's PublicKey.verify uses it) on tricky inputs.

Run: python3 generate_python_cases.py > python_cases.json   (CPython 3.11 was used; only the stdlib is needed)
"""
import base64, binascii, json, random, re, sys

OWNER = re.compile(re.escape(b"[owner:_key_]").replace(b"_key_", rb"(.+?)"))
SIGNATURE = re.compile(re.escape(b"[signature:_value_]").replace(b"_value_", rb"(.+?)"))
WITH_PUBLIC_KEY = re.compile(b".*" + re.escape(b"[owner:_key_]").replace(b"_key_", rb"(.+?)") + b".*")

rng = random.Random(1234)
pieces = [b"[owner:", b"[signature:", b"]", b"\n", b"[", b":", b"a", b"ssh-ed25519 AAAA", b"xyz", b"]]", b"[owner:]", b"\x00", b"\xff"]

inputs = [
    b"", b"[owner:]", b"[owner:]]", b"[owner:x]", b"[owner:\n]", b"[owner:a\nb]", b"[owner:a]b]", b"[owner:[owner:k]]",
    b"[owner:k1][owner:k2]", b"x[owner:k\n[owner:j]", b"[signature:AAAA][signature:BBBB]", b"v[signature:]]",
    b"a\n[owner:k]", b"[owner:k]\nzz", b"[owner:", b"[owner:k", b"]]][owner:k]]]",
]
for _ in range(400):
    inputs.append(b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))))

def spans(regex, data):
    return [[m.start(), m.end(), m.start(1), m.end(1)] for m in regex.finditer(data)]

markers = []
for data in inputs:
    markers.append({
        "hex": data.hex(),
        "owner": spans(OWNER, data),
        "signature": spans(SIGNATURE, data),
        "owner_findall_hex": [g.hex() for g in OWNER.findall(data)],
        "signature_stripped_hex": SIGNATURE.sub(b"", data).hex(),
        "bytes_with_public_key": WITH_PUBLIC_KEY.match(data) is not None,
    })

b64_inputs = [b"", b"QQ==", b"QQ=", b"QQ", b"Q", b"QUJD", b"QUJDRA==", b"QU JD\nRA==", b"QU!JD", b"====", b"QQ==QUJD",
              b"QUI=", b"QUI", b"Q=Q=", b"QQ=x=", b"-_-_", b"QUJDRA==junk", b"Q\x00U\xffJD", b"QUJDRA=", b"QUJD=", b"=QUJD"]
for _ in range(300):
    raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 9)))
    enc = bytearray(base64.b64encode(raw))
    for _ in range(rng.randint(0, 3)):
        pos = rng.randint(0, len(enc))
        enc[pos:pos] = rng.choice([b"=", b" ", b"\n", b"!", b"A", b"==", b"-"])
    b64_inputs.append(bytes(enc))

b64 = []
for text in b64_inputs:
    try:
        b64.append({"hex": text.hex(), "ok": True, "decoded_hex": base64.b64decode(text).hex()})
    except binascii.Error:
        b64.append({"hex": text.hex(), "ok": False})

json.dump({"python": sys.version.split()[0], "markers": markers, "b64decode": b64}, sys.stdout, indent=0)
