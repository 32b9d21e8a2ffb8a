#!/usr/bin/env python3
"""Check data/*.csv against the hard rules of the Rust loader and the counts in data/README.md.
Run: python3 data/check_datasets.py   (exit status 1 on any violation)."""
import csv
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
COLUMNS = ["episode", "treaty", "country", "year", "decade", "route", "referendum", "binding", "requirement",
           "threshold", "supermajority", "yes_share", "turnout", "poll", "renegotiable",
           "foreign_constraint", "outcome", "first_outcome", "continues", "source"]
FILES = ["eu_treaty_ratifications.csv", "treaty_referendums.csv"]
errors = []


def check(name):
    with open(os.path.join(HERE, name), newline="", encoding="utf-8") as f:
        rd = csv.DictReader(f)
        if rd.fieldnames != COLUMNS:
            errors.append(f"{name}: columns {rd.fieldnames}")
        rows = list(rd)
    ids = [r["episode"] for r in rows]
    if len(set(ids)) != len(ids):
        errors.append(f"{name}: duplicate episode ids")
    idset = set(ids)
    for r in rows:
        e = f"{name}:{r['episode']}"
        for k in COLUMNS:
            if r[k] == "" and k not in ("yes_share", "turnout", "continues"):
                errors.append(f"{e}: empty {k}")
        for k in ("referendum", "binding", "supermajority", "poll", "renegotiable", "foreign_constraint"):
            if r[k] not in ("0", "1"):
                errors.append(f"{e}: {k}={r[k]}")
        if not r["year"].isdigit():
            errors.append(f"{e}: year {r['year']}")
        if r["route"] not in ("parliament", "mandatory_referendum", "optional_referendum", "consultative_referendum"):
            errors.append(f"{e}: route {r['route']}")
        if (r["referendum"] == "1") != (r["route"] != "parliament"):
            errors.append(f"{e}: referendum/route mismatch")
        if r["route"] == "parliament" and (r["binding"] != "1" or r["yes_share"] or r["turnout"]):
            errors.append(f"{e}: parliament row must be binding with no vote shares")
        if r["requirement"] not in ("simple_majority", "supermajority", "double_majority"):
            errors.append(f"{e}: requirement {r['requirement']}")
        if (r["supermajority"] == "1") != (r["requirement"] != "simple_majority"):
            errors.append(f"{e}: supermajority flag")
        thr = float(r["threshold"])
        if r["requirement"] in ("simple_majority", "double_majority") and thr != 0.5:
            errors.append(f"{e}: threshold {thr}")
        if r["requirement"] == "supermajority" and not 0.5 < thr < 1:
            errors.append(f"{e}: threshold {thr}")
        for k in ("yes_share", "turnout"):
            if r[k] and not 0 <= float(r[k]) <= 1:
                errors.append(f"{e}: {k} out of range")
        if r["outcome"] not in ("ratified", "renegotiated", "failed"):
            errors.append(f"{e}: outcome {r['outcome']}")
        if r["outcome"] == "renegotiated" and r["renegotiable"] != "1":
            errors.append(f"{e}: renegotiated but not renegotiable")
        if r["continues"] and r["continues"] not in idset:
            errors.append(f"{e}: continues {r['continues']} missing")
        if r["continues"] == r["episode"]:
            errors.append(f"{e}: continues itself")
        if not re.fullmatch(r"[A-Z]{2}", r["country"]):
            errors.append(f"{e}: country {r['country']}")
    return rows


def main():
    readme = open(os.path.join(HERE, "README.md"), encoding="utf-8").read()
    for name in FILES:
        rows = check(name)
        c = Counter(r["outcome"] for r in rows)
        line = (f"{name}: {len(rows)} rows; ratified {c['ratified']}, renegotiated {c['renegotiated']}, "
                f"failed {c['failed']}; with continues {sum(1 for r in rows if r['continues'])}; "
                f"poll=1 {sum(1 for r in rows if r['poll'] == '1')}")
        print(line)
        if line not in readme:
            errors.append(f"README.md does not contain the count line: {line}")
        for oc in ("renegotiated", "failed"):
            print(f"  {oc}: " + " ".join(r["episode"] for r in rows if r["outcome"] == oc))
    for e in errors:
        print("ERROR", e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
