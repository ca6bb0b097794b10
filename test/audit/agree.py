#!/usr/bin/env python3
"""Hold tools/ledger-audit's RFC 9162 code to the SQL functions' output.

Reads lines from standard input, written by test/t/085_audit_tool.pl from
ledger.merkle_inclusion_proof / merkle_consistency_proof / merkle_root:

    I <m> <n> <leaf data hex> <root hex> <path hex,hex,...>
    C <m> <n> <old root hex> <new root hex> <proof hex,hex,...>
    L <leaf data hex>            (the leaves, in order, for the roots)

and checks with the tool's own functions (loaded from tools/ledger-audit)
that every proof verifies, that the tool's MTH of the first n leaves is the
SQL root, and that one-byte forgeries of every proof element and root, and
sizes or indexes off by one where the RFC binds them, are refused.  Prints
counts and every disagreement; exit status 1 on any.
"""
import sys

from audit_tool import audit  # tools/ledger-audit, through test/audit/audit_tool.py


def flip(b, i):
    b = bytearray(b)
    b[i % len(b)] ^= 1
    return bytes(b)


def hashes(s):
    return [bytes.fromhex(x) for x in s.split(",") if x]


leaves, incl, cons = [], [], []
for line in sys.stdin:
    f = line.split()
    if not f:
        continue
    if f[0] == "L":
        leaves.append(audit.leaf_hash(bytes.fromhex(f[1])))
    elif f[0] == "I":
        incl.append((int(f[1]), int(f[2]), bytes.fromhex(f[3]), bytes.fromhex(f[4]),
                     hashes(f[5] if len(f) > 5 else "")))
    elif f[0] == "C":
        cons.append((int(f[1]), int(f[2]), bytes.fromhex(f[3]), bytes.fromhex(f[4]),
                     hashes(f[5] if len(f) > 5 else "")))

bad = []
sql_roots = {}
for m, n, leaf, root, p in incl:
    sql_roots[n] = root
    lh = audit.leaf_hash(leaf)
    if lh != leaves[m]:
        bad.append(f"inclusion {m} {n}: leaf data is not leaf {m}")
    if audit.root_from_inclusion(lh, m, n, p) != root:
        bad.append(f"inclusion {m} {n}: does not verify")
forged = 0
for m, n, leaf, root, p in incl:
    lh = audit.leaf_hash(leaf)
    tries = [(lh, m, n, [flip(x, j) if j == e else x for j, x in enumerate(p)], root)
             for e in range(len(p))]
    tries += [(lh, m, n, p, flip(root, m + n)), (flip(lh, m), m, n, p, root),
              (lh, m + 1, n, p, root), (lh, m, n, p + [root], root)]
    if m > 0:
        tries.append((lh, m - 1, n, p, root))
    if p:
        tries.append((lh, m, n, p[:-1], root))
    for t in tries:
        forged += 1
        if audit.root_from_inclusion(t[0], t[1], t[2], t[3]) == t[4]:
            bad.append(f"inclusion {m} {n}: a forgery verifies")
root_checks = 0
for n, root in sorted(sql_roots.items()):
    root_checks += 1
    if audit.mth(leaves[:n]) != root:
        bad.append(f"root of {n}: the tool's MTH differs from SQL's")
    s = audit.Stream()
    for h in leaves[:n]:
        s.add(h)
    if s.root() != root:
        bad.append(f"root of {n}: the tool's streaming root differs from SQL's")
for m, n, o, w, p in cons:
    if not audit.verify_consistency(m, n, o, w, p):
        bad.append(f"consistency {m} {n}: does not verify")
    if m >= 1 and sql_roots.get(m) not in (None, o):
        bad.append(f"consistency {m} {n}: old root is not the SQL root of {m}")
    tries = [(m, n, o, w, [flip(x, j) if j == e else x for j, x in enumerate(p)]) for e in range(len(p))]
    tries += [(m, n, flip(o, n), w, p), (m, n, o, flip(w, m), p), (m + 1, n, o, w, p),
              (m - 1, n, o, w, p), (m, n, o, w, p + [w])]
    if m < n:
        tries.append((m, n, w, o, p))
    if p:
        tries.append((m, n, o, w, p[:-1]))
    for t in tries:
        forged += 1
        if audit.verify_consistency(*t):
            bad.append(f"consistency {m} {n}: a forgery verifies")
for b in bad[:20]:
    print("BAD:", b)
print(f"inclusion {len(incl)} consistency {len(cons)} roots {root_checks} forgeries {forged} bad {len(bad)}")
sys.exit(1 if bad else 0)
