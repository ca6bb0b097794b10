#!/usr/bin/env python3
"""Check a ledger inclusion proof without a database (standard library only).

    verify_proof.py PROOF.json [DIGEST.json]

PROOF.json is the output of ledger.prove(tbl, xact, seq [, to_block]);
DIGEST.json, optional, a digest from ledger.digest() kept outside the
database.  Every hash is recomputed from the row's canonical bytes up to the
last block of the proof's chain, as docs/canonical-format.md specifies:

    row leaf  = SHA-256(0x00 || canonical bytes)
    tx root   = RFC 6962 / RFC 9162 inclusion of the row leaf
    tx leaf   = SHA-256(0x00 || 'T' 0x01 || xact || row_count || root || committed_at)
    block root= inclusion of the tx leaf in the block's tree
    block hash= SHA-256("ledger-block-v1" 0x00 || uuid || block_no || prev_hash
                         || root || tx_count || row_count || sealed_at || format)

and each later block must name its predecessor's hash.  With a digest, the
chain must end at the digest's block with the digest's hash.  Prints OK or
FAIL with the reason; exit status 0 or 1.
"""
import hashlib
import json
import struct
import sys
import uuid


class ProofError(Exception):
    pass


def sha256(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def be64(v):
    return struct.pack(">q", v)


def node(left, right):
    return sha256(b"\x01", left, right)


def root_from_path(leaf, index, size, path):
    """RFC 9162 section 2.1.3.2: the root an inclusion path leads to."""
    if index >= size:
        raise ProofError(f"leaf index {index} is outside a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofError("audit path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while fn != 0 and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("audit path is shorter than the tree is deep")
    return r


def hx(s):
    return bytes.fromhex(s)


def check(proof, digest=None):
    if proof.get("proof_version") != 1:
        raise ProofError("unknown proof_version")
    lid = uuid.UUID(proof["ledger_uuid"]).bytes
    row, tx, blk, chain = proof["row"], proof["transaction"], proof["block"], proof["chain"]

    leaf = sha256(b"\x00", hx(row["canonical_bytes"]))
    if leaf != hx(row["leaf_hash"]):
        raise ProofError("the row's canonical bytes do not hash to its leaf")
    if row["xact"] != tx["xact_id"]:
        raise ProofError("the row belongs to another transaction")
    txroot = root_from_path(leaf, tx["leaf_index"], tx["row_count"], [hx(p) for p in tx["path"]])
    if txroot != hx(tx["root"]):
        raise ProofError("the row is not in its transaction's tree")
    txleaf = sha256(b"\x00", b"T\x01", be64(tx["xact_id"]), be64(tx["row_count"]),
                    txroot, be64(tx["committed_at_us"]))
    if not chain or chain[0]["block_no"] != blk["block_no"]:
        raise ProofError("the chain does not start at the row's block")
    broot = root_from_path(txleaf, blk["tx_index"], blk["tx_count"], [hx(p) for p in blk["path"]])
    if broot != hx(chain[0]["root"]) or blk["tx_count"] != chain[0]["tx_count"]:
        raise ProofError("the transaction is not in its block's tree")

    prev = None
    for b in chain:
        if prev is not None and (b["block_no"] != prev[0] + 1 or hx(b["prev_hash"]) != prev[1]):
            raise ProofError(f"block {b['block_no']} does not link to block {prev[0]}")
        h = sha256(b"ledger-block-v1\x00", lid, be64(b["block_no"]), hx(b["prev_hash"]),
                   hx(b["root"]), be64(b["tx_count"]), be64(b["row_count"]),
                   be64(b["sealed_at_us"]), be64(b["format_version"]))
        if h != hx(b["block_hash"]):
            raise ProofError(f"block {b['block_no']} does not match its hash")
        prev = (b["block_no"], h)

    if digest is not None:
        if uuid.UUID(digest["ledger_uuid"]).bytes != lid:
            raise ProofError("the digest belongs to another ledger")
        if prev[0] != digest["block"] or prev[1] != hx(digest["block_hash"]):
            raise ProofError(f"the chain ends at block {prev[0]}, not at the digest's "
                             f"block {digest['block']} with its hash")
    return prev


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        proof = json.load(f)
    digest = None
    if len(argv) == 3:
        with open(argv[2]) as f:
            digest = json.load(f)
    try:
        last = check(proof, digest)
    except (ProofError, KeyError, ValueError, TypeError) as e:
        print(f"FAIL: {e}")
        return 1
    print(f"OK: row ({proof['row']['xact']}, {proof['row']['seq']}) of {proof['ledger']} is in "
          f"block {proof['block']['block_no']}, chained to block {last[0]} {last[1].hex()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
