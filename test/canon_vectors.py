#!/usr/bin/env python3
"""Independent reference encoder for ledger's canonical row format v1.

Written from docs/canonical-format.md with the Python standard library only,
so that the test vectors in sql/canon.sql do not come from the C code under
test.  Run it to print the vectors:  python3 test/canon_vectors.py
"""
import hashlib
import struct
import uuid as uuidmod

TAGS = {"bool": 1, "int2": 2, "int4": 3, "int8": 4, "float4": 5, "float8": 6,
        "numeric": 7, "text": 8, "varchar": 9, "bpchar": 10, "bytea": 11,
        "date": 12, "timestamp": 13, "timestamptz": 14, "uuid": 15,
        "jsonb": 16, "name": 17}


def value_bytes(typ, v):
    if typ == "bool":
        return b"\x01" if v else b"\x00"
    if typ == "int2":
        return struct.pack(">h", v)
    if typ in ("int4", "date"):
        return struct.pack(">i", v)
    if typ in ("int8", "timestamp", "timestamptz"):
        return struct.pack(">q", v)
    if typ == "float4":
        return struct.pack(">f", v)
    if typ == "float8":
        return struct.pack(">d", v)
    if typ == "bytea":
        return v
    if typ == "uuid":
        return uuidmod.UUID(v).bytes
    # numeric, text, varchar, bpchar, name, jsonb: UTF-8 text
    return v.encode("utf-8")


def row_bytes(cols):
    """cols: list of (name, type, value or None) in attribute order."""
    present = [(n, t, v) for (n, t, v) in cols if v is not None]
    out = b"LR\x01" + struct.pack(">H", len(present))
    for name, typ, v in present:
        nb = name.encode("utf-8")
        vb = value_bytes(typ, v)
        out += struct.pack(">H", len(nb)) + nb + bytes([TAGS[typ]])
        out += struct.pack(">I", len(vb)) + vb
    return out


def leaf(data):
    return hashlib.sha256(b"\x00" + data).hexdigest()


VECTORS = {
    # every supported type, one row (see sql/canon.sql for the SQL values)
    "all_types": [
        ("b", "bool", True),
        ("i2", "int2", -2),
        ("i4", "int4", 100000),
        ("i8", "int8", 9007199254740993),
        ("f4", "float4", 1.5),
        ("f8", "float8", -0.1),
        ("n", "numeric", "12.340"),
        ("t", "text", "h\u00e9llo"),
        ("vc", "varchar", "ab"),
        ("c", "bpchar", "x  "),
        ("by", "bytea", b"\x00\xff"),
        ("d", "date", 1),                       # 2000-01-02
        ("ts", "timestamp", 1000000),           # 2000-01-01 00:00:01
        ("tz", "timestamptz", -3600000000),     # 2000-01-01 00:00:00+01
        ("u", "uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
        ("j", "jsonb", '{"a": [true, null], "b": 1}'),
        ("nm", "name", "nm"),
    ],
    # NULLs are encoded by absence
    "with_nulls": [
        ("id", "int4", 7),
        ("memo", "text", None),
        ("amount", "numeric", "-0.5"),
    ],
    "empty_text": [("id", "int4", 0), ("memo", "text", "")],
}

if __name__ == "__main__":
    for name, cols in VECTORS.items():
        data = row_bytes(cols)
        print(f"{name}\n  bytes {data.hex()}\n  leaf  {leaf(data)}")
