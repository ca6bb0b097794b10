#!/usr/bin/env python3
"""Format C sources the way PostgreSQL's pgindent does (pgindent's flags and
pre/post-processing around pg_bsd_indent, Debian package pg-bsd-indent).

    tools/pgindent.py [--check] FILE...

typedefs.list (repository root) lists the type names: PostgreSQL's,
OpenSSL's and ours; regenerate it with --typedefs when new types appear.
"""
import os
import re
import subprocess
import sys
import tempfile

FLAGS = ("-bad -bap -bbb -bc -bl -cli1 -cp33 -cdb -nce -d0 -di12 -nfc1 -i4 -l79 "
         "-lp -lpl -nip -npro -sac -tpg -ts4").split()
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pre(src):
    src = re.sub(r"^([ \t]*)//(.*)$", r"\1/* \2 */", src, flags=re.M)
    return src.replace("/* ---", "/*---X_X")


def post(src):
    src = src.replace("/*---X_X", "/* ---")
    src = re.sub(r"\*/(/\*.*\*/)$", "*/\t\\1", src, flags=re.M)
    return re.sub(r"^([A-Za-z_]\S*)[ \t]+\*$", r"\1 *", src, flags=re.M)


def indent(path):
    with open(path) as f:
        orig = f.read()
    with tempfile.NamedTemporaryFile("w", suffix=".c", delete=False) as t:
        t.write(pre(orig))
        name = t.name
    outname = name + ".out"
    try:
        # an explicit output file: in place, pg_bsd_indent leaves a .BAK
        # copy in the current directory
        r = subprocess.run(["pg_bsd_indent", *FLAGS, "-U" + os.path.join(ROOT, "typedefs.list"),
                            name, outname],
                           capture_output=True, text=True)
        if r.returncode != 0 or r.stdout or r.stderr:
            raise SystemExit(f"{path}: pg_bsd_indent: {r.stdout}{r.stderr}")
        with open(outname) as f:
            out = post(f.read())
    finally:
        for p in (name, outname):
            if os.path.exists(p):
                os.unlink(p)
    return orig, out


def main(argv):
    check = "--check" in argv
    files = [a for a in argv[1:] if not a.startswith("--")]
    changed = []
    for path in files:
        orig, out = indent(path)
        if out != orig:
            changed.append(path)
            if not check:
                with open(path, "w") as f:
                    f.write(out)
    for p in changed:
        print(("would reformat " if check else "reformatted ") + p)
    return 1 if check and changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
