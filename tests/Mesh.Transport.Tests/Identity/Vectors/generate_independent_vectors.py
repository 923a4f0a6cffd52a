#!/usr/bin/env python3
"""Independent cross-check vectors for Mesh.Transport.Identity, made with Python `cryptography` (OpenSSL).

Nothing here uses MeshCore code. The keys are the libp2p peer-ids spec test vectors (libp2p/specs,
peer-ids/peer-ids.md, "Test vectors") plus the fixed RSA test key A of /work/shared/vectors/keys.json. For each key
the script derives the public key, the PublicKey protobuf, the peer id (multihash, base58btc, CIDv1 libp2p-key
base32) with its own small base58/base32 code, the OpenSSH form where one exists, and signatures over a fixed
message, so the C# tests check MeshCore against a second implementation.

    # spec_rsa.txt: the spec's "rsa private key" and "rsa public key" hex strings, whitespace-separated
    python3 generate_independent_vectors.py spec_rsa.txt > independent_vectors.json

The ECDSA and PSS signatures are randomised, so a rerun changes those bytes (tests only verify them).
"""
import base64
import hashlib
import json
import sys

import cryptography
from cryptography.hazmat.backends.openssl.backend import backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

SPEC = {
    "ecdsa_private": "08031279307702010104203E5B1FE9712E6C314942A750BD67485DE3C1EFE85B1BFB520AE8F9AE3DFA4A4CA00A06082A8648CE3D030107A14403420004DE3D300FA36AE0E8F5D530899D83ABAB44ABF3161F162A4BC901D8E6ECDA020E8B6D5F8DA30525E71D6851510C098E5C47C646A597FB4DCEC034E9F77C409E62",
    "ecdsa_public": "0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004de3d300fa36ae0e8f5d530899d83abab44abf3161f162a4bc901d8e6ecda020e8b6d5f8da30525e71d6851510c098e5c47c646a597fb4dcec034e9f77c409e62",
    "ed25519_private": "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e",
    "ed25519_public": "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e",
    "secp256k1_private": "0802122053DADF1D5A164D6B4ACDB15E24AA4C5B1D3461BDBD42ABEDB0A4404D56CED8FB",
    "secp256k1_public": "08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99",
}
MESSAGE = b"MeshCore identity cross-check: libp2p signature vectors"

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def key_protobuf(key_type: int, data: bytes) -> bytes:
    return b"\x08" + bytes([key_type]) + b"\x12" + varint(len(data)) + data


def parse_key_protobuf(pb: bytes):
    assert pb[0] == 0x08 and pb[2] == 0x12
    n, shift, i = 0, 0, 3
    while True:
        n |= (pb[i] & 0x7F) << shift
        shift += 7
        i += 1
        if pb[i - 1] < 0x80:
            break
    assert len(pb) == i + n
    return pb[1], pb[i:]


def peer_id(pub_pb: bytes) -> dict:
    mh = (b"\x00" + varint(len(pub_pb)) + pub_pb) if len(pub_pb) <= 42 else (b"\x12\x20" + hashlib.sha256(pub_pb).digest())
    cid = b"\x01" + varint(0x72) + mh
    return {
        "multihash_hex": mh.hex(),
        "base58": b58(mh),
        "cid_base32": "b" + base64.b32encode(cid).decode().lower().rstrip("="),
    }


def openssh(pub) -> str:
    return pub.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def high_s(der: bytes, order: int) -> bytes:
    r, s = utils.decode_dss_signature(der)
    return utils.encode_dss_signature(r, order - s if s <= order // 2 else s)


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def main():
    cases = []

    # Ed25519: private Data = seed || public.
    _, data = parse_key_protobuf(bytes.fromhex(SPEC["ed25519_private"]))
    priv = ed25519.Ed25519PrivateKey.from_private_bytes(data[:32])
    raw = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert raw == data[32:]
    pub_pb = key_protobuf(1, raw)
    cases.append({
        "name": "spec-ed25519", "key_type": "Ed25519",
        "private_protobuf_hex": SPEC["ed25519_private"].lower(), "public_protobuf_hex": pub_pb.hex(),
        "spec_public_protobuf_hex": SPEC["ed25519_public"], "peer_id": peer_id(pub_pb), "openssh": openssh(priv.public_key()),
        "signatures": [{"kind": "ed25519", "hex": priv.sign(MESSAGE).hex(), "deterministic": True}],
    })

    # secp256k1: private Data = 32-byte scalar; public = compressed point.
    _, data = parse_key_protobuf(bytes.fromhex(SPEC["secp256k1_private"]))
    priv = ec.derive_private_key(int.from_bytes(data, "big"), ec.SECP256K1())
    compressed = priv.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    uncompressed = priv.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    pub_pb = key_protobuf(2, compressed)
    sig = priv.sign(MESSAGE, ec.ECDSA(hashes.SHA256()))
    cases.append({
        "name": "spec-secp256k1", "key_type": "Secp256k1",
        "private_protobuf_hex": SPEC["secp256k1_private"].lower(), "public_protobuf_hex": pub_pb.hex(),
        "spec_public_protobuf_hex": SPEC["secp256k1_public"], "peer_id": peer_id(pub_pb),
        "uncompressed_public_hex": uncompressed.hex(),
        "signatures": [
            {"kind": "ecdsa-sha256-der", "hex": sig.hex(), "deterministic": False},
            {"kind": "ecdsa-sha256-der-high-s", "hex": high_s(sig, SECP256K1_N).hex(), "deterministic": False},
        ],
    })

    # ECDSA P-256: private Data = SEC1 DER; public = PKIX DER.
    _, data = parse_key_protobuf(bytes.fromhex(SPEC["ecdsa_private"]))
    priv = serialization.load_der_private_key(data, password=None)
    spki = priv.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    sec1 = priv.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    assert sec1 == data, "spec ECDSA private key is not OpenSSL's SEC1 re-encoding"
    pub_pb = key_protobuf(3, spki)
    cases.append({
        "name": "spec-ecdsa-p256", "key_type": "Ecdsa",
        "private_protobuf_hex": SPEC["ecdsa_private"].lower(), "public_protobuf_hex": pub_pb.hex(),
        "spec_public_protobuf_hex": SPEC["ecdsa_public"], "peer_id": peer_id(pub_pb),
        "pkcs8_hex": priv.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).hex(),
        "signatures": [{"kind": "ecdsa-sha256-der", "hex": priv.sign(MESSAGE, ec.ECDSA(hashes.SHA256())).hex(), "deterministic": False}],
    })

    # RSA: the spec's 4096-bit key and keys.json key A (2048-bit); private Data = PKCS#1 DER, public = PKIX DER.
    spec_rsa = open(sys.argv[1]).read().split() if len(sys.argv) > 1 else None
    rsa_inputs = []
    if spec_rsa:
        rsa_inputs.append(("spec-rsa-4096", spec_rsa[0].lower(), spec_rsa[1].lower()))
    keys = json.load(open("/work/shared/vectors/keys.json"))
    key_a = serialization.load_pem_private_key(keys["rsa_pkcs8_pem"]["A"].encode(), password=None)
    pkcs1_a = key_a.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    rsa_inputs.append(("vectors-rsa-a", key_protobuf(0, pkcs1_a).hex(), None))
    for name, priv_hex, spec_pub_hex in rsa_inputs:
        _, data = parse_key_protobuf(bytes.fromhex(priv_hex))
        priv = serialization.load_der_private_key(data, password=None)
        spki = priv.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        pub_pb = key_protobuf(0, spki)
        key_bytes = (priv.key_size + 7) // 8
        max_salt = padding.calculate_max_pss_salt_length(priv, hashes.SHA256())
        case = {
            "name": name, "key_type": "Rsa", "private_protobuf_hex": priv_hex, "public_protobuf_hex": pub_pb.hex(),
            "peer_id": peer_id(pub_pb), "openssh": openssh(priv.public_key()), "key_size": priv.key_size,
            "pss_max_salt_length": max_salt,
            "signatures": [
                {"kind": "rsa-pkcs1v15-sha256", "hex": priv.sign(MESSAGE, padding.PKCS1v15(), hashes.SHA256()).hex(), "deterministic": True},
                {"kind": "rsa-pss-sha256-max-salt", "hex": priv.sign(MESSAGE, padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.MAX_LENGTH), hashes.SHA256()).hex(), "deterministic": False},
                {"kind": "rsa-pss-sha256-salt-32", "hex": priv.sign(MESSAGE, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256()).hex(), "deterministic": False},
            ],
        }
        assert len(bytes.fromhex(case["signatures"][0]["hex"])) == key_bytes
        if spec_pub_hex:
            case["spec_public_protobuf_hex"] = spec_pub_hex
        cases.append(case)

    json.dump({
        "description": "Independent cross-check vectors made with Python cryptography (OpenSSL), see generate_independent_vectors.py",
        "generator": {"cryptography": cryptography.__version__, "openssl": backend.openssl_version_text()},
        "message_hex": MESSAGE.hex(),
        "spec_examples": {
            "note": "peer-ids spec, 'String representation': the same sha2-256 peer id as base58btc and as a CIDv1",
            "base58": "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N",
            "cid": "bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe",
            "ed25519_base58": "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA",
        },
        "cases": cases,
    }, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
