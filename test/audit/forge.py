#!/usr/bin/env python3
"""Every one-byte forgery of a proof must fail tools/ledger-audit.

    forge.py inclusion PROOF.json ANCHOR [--consistency C.json] [--key KEYFILE]
    forge.py consistency PROOF.json OLD_DIGEST.json NEW_DIGEST.json

First checks that the tool accepts the proof as given (exit status 0), then
makes, from the proof file (an inclusion proof of proof_version 2 or a
consistency proof), every forgery of these kinds and runs the tool's own
command line (main(), loaded from tools/ledger-audit, in this process) on
each, which must exit 1 with "FAIL: ...":

  - bytes: every byte of every base64 field (hashes, paths, canonical
    bytes) changed (each of its 8 bits in turn for hashes, the lowest bit
    for canonical bytes), re-encoded as canonical base64;
  - characters: every character of every base64 field replaced by two
    others of the alphabet (its 6-bit value with the lowest bit, and with
    the highest bit, flipped): some of them decode to the same bytes
    (non-canonical encodings, at the last character before padding), or are
    not base64 at all ('=' moved), and must be refused as such;
  - numbers: every integer field plus one and minus one;
  - paths: the last hash dropped, a copy of the first appended;
  - the UUID: each hex digit changed.

The informative "ledger" name is the one field no forgery is made of (the
tool prints it; the UUID is what the hashes bind).  When the proof reaches
its anchor by a history root (a checkpoint, or a digest of another block)
and not by the block hash, the block header (but its tree_size) is not
used: a forgery of it that the tool accepts while saying the header was
not checked is counted apart, as "header not checked".  A row of format 1
(ledgers made by 0.1.0) carries no sequence number in its bytes and no hash
covers the proof's row "seq" (ledger_seq may have gaps: the row's leaf index
is not its sequence number): a forgery of "seq" alone that the tool accepts
with the very line it prints for the true proof (a line that does not name
the sequence number) is counted apart, as "sequence not bound".  Prints
"forgeries N accepted 0 header not checked M" (and " sequence not bound K"
when K > 0) and each accepted forgery; exit status 1 if any was accepted.
"""
import base64
import contextlib
import copy
import io
import json
import os
import re
import sys
import tempfile

from audit_tool import audit  # tools/ledger-audit, through test/audit/audit_tool.py

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def run(argv):
    """The tool's exit status and output for argv."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            rc = audit.main(["ledger-audit"] + argv)
        except SystemExit as e:
            rc = e.code
    return rc, out.getvalue()


def leaves(obj, at=()):
    """(path of keys, value) of every scalar in obj."""
    if isinstance(obj, dict):
        for k in sorted(obj):
            yield from leaves(obj[k], at + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from leaves(v, at + (i,))
    else:
        yield at, obj


def put(obj, at, value):
    o = copy.deepcopy(obj)
    t = o
    for k in at[:-1]:
        t = t[k]
    t[at[-1]] = value
    return o


def is_b64(v):
    try:
        return isinstance(v, str) and len(v) % 4 == 0 and base64.b64encode(
            base64.b64decode(v, validate=True)).decode() == v
    except ValueError:
        return False


def forgeries(proof):
    """(description, forged proof) of every kind above."""
    for at, v in leaves(proof):
        name = "/".join(str(k) for k in at)
        if at == ("ledger",):
            continue
        if isinstance(v, bool):
            continue
        if isinstance(v, int):
            yield f"{name} + 1", put(proof, at, v + 1)
            if v > 0:
                yield f"{name} - 1", put(proof, at, v - 1)
            continue
        if not isinstance(v, str):
            continue
        if at[-1] == "ledger_uuid":
            for i, c in enumerate(v):
                if c != "-":
                    yield f"{name} digit {i}", put(proof, at, v[:i] + ("1" if c == "0" else "0") + v[i + 1:])
            continue
        if not is_b64(v):
            raise SystemExit(f"forge.py: field {name} is not canonical base64: {v!r}")
        data = base64.b64decode(v)
        bits = range(8) if len(data) == 32 else (0,)
        for i in range(len(data)):
            for b in bits:
                d = bytearray(data)
                d[i] ^= 1 << b
                yield f"{name} byte {i} bit {b}", put(proof, at, base64.b64encode(bytes(d)).decode())
        for i, c in enumerate(v):
            if c == "=":
                # padding moved onto a character of data, or dropped
                yield f"{name} padding {i}", put(proof, at, v[:i] + "A" + v[i + 1:])
                continue
            for mask in (1, 32):
                r = B64[B64.index(c) ^ mask]
                yield f"{name} character {i} ({c} -> {r})", put(proof, at, v[:i] + r + v[i + 1:])
    for key in ("transaction", "history", None):
        obj = proof.get(key) if key else proof
        if isinstance(obj, dict) and isinstance(obj.get("path"), list):
            p = obj["path"]
            at = (key, "path") if key else ("path",)
            if p:
                yield f"{'/'.join(at)} last hash dropped", put(proof, at, p[:-1])
                yield f"{'/'.join(at)} first hash appended", put(proof, at, p + p[:1])
            else:
                yield f"{'/'.join(at)} a hash added", put(proof, at, [base64.b64encode(bytes(32)).decode()])


def header_only(proof, forged):
    """Whether forged differs from proof only in block header fields that
    a history root does not cover (all but tree_size)."""
    if not isinstance(proof.get("block"), dict) or not isinstance(forged.get("block"), dict):
        return False
    a, b = dict(proof), dict(forged)
    ha, hb = dict(a.pop("block")), dict(b.pop("block"))
    return a == b and ha.get("tree_size") == hb.get("tree_size")


def seq_only(proof, forged):
    """Whether forged differs from proof only in the row's "seq", and the
    row is of format 1 (its bytes, canonical base64, start 'LR' 0x01)."""
    a, b = copy.deepcopy(proof), copy.deepcopy(forged)
    if not isinstance(a.get("row"), dict) or not isinstance(b.get("row"), dict):
        return False
    a["row"].pop("seq", None)
    b["row"].pop("seq", None)
    if a != b:
        return False
    try:
        data = base64.b64decode(proof["row"]["canonical_bytes"], validate=True)
    except (KeyError, TypeError, ValueError):
        return False
    return data[:3] == b"LR\x01"


def main(argv):
    if len(argv) < 4 or argv[1] not in ("inclusion", "consistency"):
        sys.exit(__doc__)
    cmd, proof_path, rest = argv[1], argv[2], argv[3:]
    rc, out = run([cmd, proof_path] + rest)
    if rc != 0:
        print(f"the proof as given does not verify: {out.strip()}")
        return 1
    true_line = out
    with open(proof_path, encoding="utf-8") as f:
        proof = json.load(f)
    n = accepted = unchecked = unbound = 0
    kinds = {}
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "forged.json")
        for what, forged in forgeries(proof):
            if forged == proof:
                continue
            with open(bad, "w", encoding="utf-8") as f:
                json.dump(forged, f)
            rc, out = run([cmd, bad] + rest)
            n += 1
            if rc == 0 and header_only(proof, forged) and \
                    re.search(r"header in the proof is not covered by the (checkpoint|digest): not checked", out):
                unchecked += 1
            elif rc == 0 and out == true_line and seq_only(proof, forged):
                unbound += 1
            elif rc != 1 or not out.startswith("FAIL: "):
                accepted += 1
                print(f"accepted: {what}: status {rc}: {out.strip()}")
            else:
                msg = re.sub(r"[0-9a-f]{64}", "<hash>", out[6:].strip())
                msg = re.sub(r"[A-Za-z0-9+/]{43}=", "<root>", msg).replace(bad, "<file>")
                kinds[msg] = kinds.get(msg, 0) + 1
    for msg in sorted(kinds):
        print(f"  {kinds[msg]:6d}  {msg}")
    print(f"forgeries {n} accepted {accepted} header not checked {unchecked}"
          + (f" sequence not bound {unbound}" if unbound else ""))
    return 1 if accepted or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
