#!/usr/bin/env python3
"""Fixed test keys and a signer for signed-ledger tests (python3-cryptography).

Used at test-authoring time for sql/signed_rows.sql, whose embedded
signatures came from this script and from the openssl command line:

  sign_rows.py pem KEY              PEM private key (PKCS#8) for the openssl CLI
  sign_rows.py pub KEY              hex of the public key to register
  sign_rows.py sign ALG KEY HEXMSG  hex signature by KEY over the message:
                                    ALG ed25519 | ecdsa-p256 (DER) |
                                    ecdsa-p256-p1363 (r || s)
  sign_rows.py der2p1363 HEXDER     DER ECDSA signature -> 64-byte r || s
  sign_rows.py highs HEXDER         the high-S twin (r, n - s) of a DER signature

Keys (all published test keys, never use them for anything else):
  rfc8032-1, rfc8032-2, rfc8032-3   RFC 8032 section 7.1, TEST 1, 2 and 3
  rfc6979-p256                      RFC 6979 appendix A.2.5 (P-256)
"""
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils

ED = {
    "rfc8032-1": "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "rfc8032-2": "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    "rfc8032-3": "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
}
EC = {
    "rfc6979-p256": "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
}
N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def key(name):
    if name in ED:
        return ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(ED[name]))
    return ec.derive_private_key(int(EC[name], 16), ec.SECP256R1())


def main(argv):
    cmd = argv[1]
    if cmd == "pem":
        print(key(argv[2]).private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()).decode(), end="")
    elif cmd == "pub":
        k = key(argv[2]).public_key()
        if argv[2] in ED:
            raw = k.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        else:
            raw = k.public_bytes(serialization.Encoding.X962,
                                 serialization.PublicFormat.UncompressedPoint)
        print(raw.hex())
    elif cmd == "sign":
        alg, k, msg = argv[2], key(argv[3]), bytes.fromhex(argv[4])
        if alg == "ed25519":
            sig = k.sign(msg)
        else:
            sig = k.sign(msg, ec.ECDSA(hashes.SHA256()))
            if alg == "ecdsa-p256-p1363":
                r, s = utils.decode_dss_signature(sig)
                sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        print(sig.hex())
    elif cmd == "der2p1363":
        r, s = utils.decode_dss_signature(bytes.fromhex(argv[2]))
        print((r.to_bytes(32, "big") + s.to_bytes(32, "big")).hex())
    elif cmd == "highs":
        r, s = utils.decode_dss_signature(bytes.fromhex(argv[2]))
        print(utils.encode_dss_signature(r, N - s).hex())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
