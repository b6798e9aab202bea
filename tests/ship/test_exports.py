#!/usr/bin/env python3
"""test_exports.py - the shared library exports exactly the public API: every
function in include/simdnorm.h is SIMDNORM_API and exported, every defined
dynamic symbol (nm -D --defined-only) is one of them, and the static library
defines no global symbol outside the simdnorm_ namespace.
    test_exports.py <nm> <simdnorm.h> <libsimdnorm.so> <libsimdnorm.a>"""
import re
import subprocess
import sys

results = {"passed": 0, "failed": 0}
# what a sanitizer build adds to each object (e.g. ASan's ODR indicators)
SANITIZER_PREFIXES = ("__odr_asan", "__asan", "__ubsan", "__tsan", "__sanitizer", "__sancov",
                      "__start___sancov", "__stop___sancov")  # clang coverage sections


def case(name, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + name + ("" if ok or not detail else ": " + detail))
    results["passed" if ok else "failed"] += 1


def header_functions(path):
    """(all declared function names, those declared SIMDNORM_API)."""
    text = open(path).read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"^\s*#.*$", " ", text, flags=re.M)  # macros and their bodies
    text = text.replace('extern "C" {', " ")
    declared, api = set(), set()
    # top-level declarations end with ';': a function has "name(" in it
    for decl in text.split(";"):
        if "typedef" in decl:
            continue
        m = re.search(r"\b([A-Za-z_]\w*)\s*\(", decl)
        if not m:
            continue
        declared.add(m.group(1))
        if re.match(r"\s*SIMDNORM_API\b", decl):
            api.add(m.group(1))
    return declared, api


def nm(tool, args, path):
    out = subprocess.run([tool] + args + [path], check=True, capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and len(parts[1]) == 1:
            syms[parts[2].split("@")[0]] = parts[1]
    return syms


def main(tool, header, shared, static):
    declared, api = header_functions(header)
    case("header_declares_public_api", len(api) >= 8, "found %s" % sorted(api))
    case("every_header_function_is_SIMDNORM_API", declared == api,
         "without SIMDNORM_API: %s" % sorted(declared - api))

    exported = nm(tool, ["-D", "--defined-only"], shared)
    # a coverage-instrumented build (the fuzz build) exports the linker's
    # __start_/__stop_ symbols of its __sancov sections: not ours
    exported = {s: t for s, t in exported.items()
                if not s.startswith(("__start___sancov", "__stop___sancov"))}
    print("exported:", " ".join(sorted(exported)))
    stray = sorted(s for s in exported if s not in api)
    case("only_public_api_exported", not stray, "not in the header's API: %s" % stray)
    case("exports_are_prefixed", all(s.startswith("simdnorm_") for s in exported),
         "%s" % sorted(s for s in exported if not s.startswith("simdnorm_")))
    missing = sorted(s for s in api if exported.get(s) != "T")
    case("every_public_function_exported", not missing, "not exported as code: %s" % missing)

    archive = nm(tool, ["-g", "--defined-only"], static)
    outside = sorted(s for s in archive
                     if not s.startswith(("simdnorm_",) + SANITIZER_PREFIXES))
    case("static_library_symbols_namespaced", bool(archive) and not outside,
         "outside simdnorm_: %s" % outside)

    print("%d passed, %d failed, 0 skipped" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
