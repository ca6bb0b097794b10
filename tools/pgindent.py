#!/usr/bin/env python3
"""Format C sources the way PostgreSQL's pgindent does (pgindent's flags and
pre/post-processing around pg_bsd_indent, Debian package pg-bsd-indent).

    tools/pgindent.py [--check] FILE...
    tools/pgindent.py --typedefs FILE...

tools/typedefs.list lists the type names pg_bsd_indent must know: every
typedef declared in PostgreSQL's server headers (pg_config
--includedir-server), in OpenSSL's headers or in FILE..., that FILE... use.
--typedefs writes it anew from FILE...; run it (make indent does) when new
types appear.
"""
import os
import re
import subprocess
import sys
import tempfile

FLAGS = ("-bad -bap -bbb -bc -bl -cli1 -cp33 -cdb -nce -d0 -di12 -nfc1 -i4 -l79 "
         "-lp -lpl -nip -npro -sac -tpg -ts4").split()
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TYPEDEFS = os.path.join(ROOT, "tools", "typedefs.list")

TYPEDEF_RES = [
    re.compile(r"\btypedef\s+(?:struct|union|enum)\s*\w*\s*\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}\s*(\w+)\s*;", re.S),
    re.compile(r"\btypedef\s+[^;{}()]*?\b(\w+)\s*(?:\[[^\]]*\])?\s*;"),
    re.compile(r"\btypedef\s+[^;{}]*?\(\s*\*\s*(\w+)\s*\)\s*\("),
    # typedef double QdV2 __attribute__((vector_size(16)));
    re.compile(r"\btypedef\s+[^;{}()]*?\b(\w+)\s+__attribute__\s*\(\([^;]*\)\)\s*;"),
]


def declared_typedefs(paths):
    names = set()
    for p in paths:
        try:
            with open(p, errors="replace") as f:
                text = re.sub(r"/\*.*?\*/", " ", f.read(), flags=re.S)
        except OSError:
            continue
        for rx in TYPEDEF_RES:
            names.update(rx.findall(text))
    return names


def header_files(*dirs):
    for d in dirs:
        for base, _, files in os.walk(d):
            for name in files:
                if name.endswith(".h"):
                    yield os.path.join(base, name)


def write_typedefs(files):
    incdir = subprocess.run([os.environ.get("PG_CONFIG", "pg_config"), "--includedir-server"],
                            capture_output=True, text=True, check=True).stdout.strip()
    known = declared_typedefs(header_files(incdir, "/usr/include/openssl"))
    known |= declared_typedefs(files)
    known |= {"FILE", "size_t", "ssize_t", "va_list", "pid_t", "time_t", "off_t",
              "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t",
              "uint32_t", "uint64_t", "uintptr_t", "sigjmp_buf"}
    used = set()
    for p in files:
        with open(p) as f:
            code = re.sub(r"/\*.*?\*/", " ", f.read(), flags=re.S)
        code = re.sub(r'"(?:[^"\\\n]|\\.)*"', " ", code)
        used.update(re.findall(r"\b[A-Za-z_]\w*\b", code))
    names = sorted(known & used)
    with open(TYPEDEFS, "w") as f:
        f.write("\n".join(names) + "\n")
    print(f"{TYPEDEFS}: {len(names)} type names")


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
        r = subprocess.run(["pg_bsd_indent", *FLAGS, "-U" + TYPEDEFS,
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
    if "--typedefs" in argv:
        write_typedefs(files)
        return 0
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
