#!/usr/bin/env bash
#
# test/check_meta.sh: META.json is valid JSON in PGXN meta spec 1.0.0 form,
# and its versions equal default_version in ledger.control.  Run by
# test/run.sh as one test (suite "meta"); exits non-zero on any mismatch.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

python3 -m json.tool META.json >/dev/null || {
	echo "META.json: not valid JSON" >&2
	exit 1
}

control=$(sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\(.*\)'/\1/p" ledger.control)
[[ -n $control ]] || {
	echo "ledger.control: no default_version" >&2
	exit 1
}

python3 - "$control" <<'PY'
import json
import sys

control = sys.argv[1]
meta = json.load(open("META.json"))
errors = []
for key in ("name", "abstract", "version", "maintainer", "license",
            "provides", "meta-spec"):
    if key not in meta:
        errors.append("missing required key \"%s\"" % key)
if meta.get("meta-spec", {}).get("version") != "1.0.0":
    errors.append("meta-spec version is not 1.0.0")
if meta.get("version") != control:
    errors.append("version %r differs from ledger.control default_version %r"
                  % (meta.get("version"), control))
ext = meta.get("provides", {}).get("ledger", {})
if ext.get("version") != control:
    errors.append("provides.ledger.version %r differs from ledger.control "
                  "default_version %r" % (ext.get("version"), control))
# the install script is generated at build time; the file PGXN points at
# must be one that is in the repository
if ext.get("file") != "ledger.control":
    errors.append("provides.ledger.file %r is not ledger.control"
                  % (ext.get("file"),))
for e in errors:
    print("META.json: " + e, file=sys.stderr)
if errors:
    sys.exit(1)
print("META.json: valid, version %s matches ledger.control" % control)
PY
