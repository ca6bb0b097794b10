#!/usr/bin/env python3
"""Write a C2SP signed checkpoint and the signers' verifier keys, for tests.

    sign_checkpoint.py DIR ORIGIN SIZE ROOT_HEX SIGNER...

SIGNER is name:alg:seed with alg ed25519 or ecdsa (P-256) and seed a small
integer from which the private key is derived (deterministic test keys, never
for real use).  Writes DIR/checkpoint (note text, blank line, one signature
line per signer, in order) and DIR/<n>.vkey for the n-th signer (from 1):
<name>+<key ID hex>+<base64(type || public key)> as C2SP signed-note and
docs/canonical-format.md specify (Ed25519: type 0x01, key ID over name,
newline, type and key; ECDSA: type 0x02 and DER SubjectPublicKeyInfo, key ID
over the DER).  Uses Python's cryptography package.
"""
import base64
import hashlib
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519


def main(argv):
    out, origin, size, root = argv[1], argv[2], int(argv[3]), bytes.fromhex(argv[4])
    text = f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n".encode()
    lines = []
    for n, spec in enumerate(argv[5:], 1):
        name, alg, seed = spec.split(":")
        if alg == "ed25519":
            priv = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(seed.encode()).digest())
            pub = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            keybytes = b"\x01" + pub
            kid = hashlib.sha256(name.encode() + b"\n" + keybytes).digest()[:4]
            sig = priv.sign(text)
        else:
            priv = ec.derive_private_key(int(seed) + 1000, ec.SECP256R1())
            der = priv.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
            keybytes = b"\x02" + der
            kid = hashlib.sha256(der).digest()[:4]
            sig = priv.sign(text, ec.ECDSA(hashes.SHA256()))
        with open(os.path.join(out, f"{n}.vkey"), "w") as f:
            f.write(f"{name}+{kid.hex()}+{base64.b64encode(keybytes).decode()}\n")
        lines.append(f"\u2014 {name} {base64.b64encode(kid + sig).decode()}\n")
    with open(os.path.join(out, "checkpoint"), "wb") as f:
        f.write(text + b"\n" + "".join(lines).encode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
