#!/usr/bin/env python3
"""test_info.py - tools/simdnorm-info: --json is valid JSON with every field,
the version is the project's, the ISAs agree with the CPU features (and with
/proc/cpuinfo or --expect-available), and the choice and its reason follow
SIMDNORM_ISA: default, forced, not available, unknown. The text output and
the usage error are checked too.
    test_info.py [--expect-available=a,b] <version> <simdnorm-info> [wrapper...]
wrapper: a command to run it under, e.g. qemu-x86_64 -cpu Nehalem."""
import json
import os
import subprocess
import sys

ISAS = ["scalar", "avx2", "avx512", "neon", "avx512bf16"]
PREFERENCE = ["avx512bf16", "avx512", "avx2", "neon", "scalar"]
results = {"passed": 0, "failed": 0, "skipped": 0}


def case(name, ok, detail=""):
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)))
    results["passed" if ok else "failed"] += 1


def run(cmd, env_value, *args):
    env = dict(os.environ)
    env.pop("SIMDNORM_ISA", None)
    if env_value is not None:
        env["SIMDNORM_ISA"] = env_value
    return subprocess.run(cmd + list(args), env=env, capture_output=True, text=True, timeout=120)


def info(cmd, env_value=None):
    p = run(cmd, env_value, "--json")
    if p.returncode != 0:
        raise RuntimeError("exit %d: %s" % (p.returncode, p.stderr))
    return json.loads(p.stdout)


def cpuinfo_available():
    """The ISAs /proc/cpuinfo's flags allow, independently of the library."""
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return None
    flags = set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            flags = set(line.split(":", 1)[1].split())
            break
    if "asimd" in flags:
        return ["scalar", "neon"]
    out = ["scalar"]
    if {"avx", "avx2", "fma", "f16c"} <= flags:  # the AVX2 level includes F16C
        out.append("avx2")
        if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= flags:
            out.append("avx512")
            if "avx512_bf16" in flags:
                out.append("avx512bf16")
    return out


def main(argv):
    expect = None
    if argv and argv[0].startswith("--expect-available="):
        expect = argv.pop(0).split("=", 1)[1].split(",")
    version, cmd = argv[0], argv[1:]

    try:
        d = info(cmd)
        ok, err = True, ""
    except (RuntimeError, ValueError) as e:
        d, ok, err = {}, False, e
    case("json_is_valid", ok, err)
    # python3 -m json.tool as a script would use it
    p = subprocess.run(cmd + ["--json"], capture_output=True)
    q = subprocess.run([sys.executable, "-m", "json.tool"], input=p.stdout, capture_output=True)
    case("json_tool_accepts_output", p.returncode == 0 and q.returncode == 0, q.stderr)

    fields = {"version": str, "header_version": str, "arch": str, "features": list,
              "os_saves": dict, "isas": list, "available": list, "active": str,
              "reason": str, "SIMDNORM_ISA": type(None)}
    bad = [k for k, t in fields.items() if not isinstance(d.get(k, KeyError()), t)]
    case("json_fields_present_with_types", ok and not bad, "missing or wrong type: %s" % bad)
    if not ok or bad:
        print("%(passed)d passed, %(failed)d failed, %(skipped)d skipped" % results)
        return 1

    case("version_is_project_version", d["version"] == version == d["header_version"],
         "%s / header %s, project %s" % (d["version"], d["header_version"], version))

    avail, feats = d["available"], set(d["features"])
    per_isa = {e.get("name"): e for e in d["isas"]}
    consistent = (sorted(per_isa) == sorted(ISAS) and "scalar" in avail
                  and all(per_isa[i]["available"] == (i in avail) for i in ISAS)
                  and all(per_isa[i]["compiled"] for i in avail)
                  and all(i in ISAS for i in avail))
    if d["arch"] == "x86_64":
        ymm, zmm = d["os_saves"].get("ymm"), d["os_saves"].get("zmm")
        consistent = consistent and isinstance(ymm, bool) and isinstance(zmm, bool)
        if "avx2" in avail:
            consistent = consistent and {"avx", "fma", "avx2"} <= feats and ymm
        if "avx512" in avail:
            consistent = consistent and "avx2" in avail and zmm and \
                {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= feats
        if "avx512bf16" in avail:
            consistent = consistent and "avx512" in avail and "avx512bf16" in feats
        if per_isa["avx2"]["compiled"] and {"avx", "fma", "avx2"} <= feats and ymm:
            consistent = consistent and "avx2" in avail
    case("isas_consistent_with_features", consistent, d)

    want = expect if expect is not None else cpuinfo_available()
    if want is None:
        print("SKIP available_matches_cpu: no /proc/cpuinfo")
        results["skipped"] += 1
    else:
        want = [i for i in want if per_isa.get(i, {}).get("compiled")]
        case("available_matches_cpu", sorted(avail) == sorted(want),
             "library %s, expected %s" % (avail, want))

    best = next(i for i in PREFERENCE if i in avail)
    case("default_is_best_available",
         d["active"] == best and d["reason"] == "default" and d["SIMDNORM_ISA"] is None,
         "active %s (%s), best %s" % (d["active"], d["reason"], best))

    for isa in ISAS:
        e = info(cmd, isa)
        if isa in avail:
            good = e["active"] == isa and e["reason"] == "SIMDNORM_ISA"
        else:
            good = e["active"] == best and e["reason"] == "SIMDNORM_ISA not available, default used"
        case("SIMDNORM_ISA=%s" % isa, good and e["SIMDNORM_ISA"] == isa,
             "active %s, reason %s" % (e["active"], e["reason"]))
    e = info(cmd, "bogus")
    case("SIMDNORM_ISA=bogus",
         e["active"] == best and e["reason"] == "SIMDNORM_ISA unknown, default used"
         and e["SIMDNORM_ISA"] == "bogus", e)

    p = run(cmd, None)
    case("text_output", p.returncode == 0 and ("active: %s (default)" % best) in p.stdout
         and d["version"] in p.stdout.splitlines()[0], p.stdout + p.stderr)
    p = run(cmd, None, "--bogus")
    case("usage_error_exits_2", p.returncode == 2 and "usage" in p.stderr, p.returncode)

    print("%(passed)d passed, %(failed)d failed, %(skipped)d skipped" % results)
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
