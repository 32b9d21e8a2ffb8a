#!/usr/bin/env python3
"""Build data/eu_treaty_ratifications.csv: one row per member state and EU treaty revision
(SEA, Maastricht, Amsterdam, Nice, Constitutional Treaty, Lisbon, Fiscal Compact), plus the
accession/association agreements that went to a popular vote.

Parliamentary rows are hand-coded from the public record (table below). Referendum rows take
yes_share and turnout from the raw files in ../shared/data/ (RDB id or Swissvotes anr), and their
route/binding/requirement from the include list of build_treaty_referendums.py, so the two files
agree. Run: python3 data/build_eu_treaty_ratifications.py

Chains follow the same rule as treaty_referendums.csv: the first (rejected) vote is the chain root
(`renegotiated` if a revised package was later ratified, else `failed`); the later ratification is
its own row with its own outcome and `continues` = the root's episode id.
"""
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep data/ free of __pycache__
sys.path.insert(0, HERE)
import build_treaty_referendums as tr  # noqa: E402

OUT = os.path.join(HERE, "eu_treaty_ratifications.csv")
COLUMNS = tr.COLUMNS

OJ = {
    "SEA": "Single European Act (OJ L 169/1987)",
    "MAASTRICHT": "Treaty on European Union (OJ C 191/1992)",
    "AMSTERDAM": "Treaty of Amsterdam (OJ C 340/1997)",
    "NICE": "Treaty of Nice (OJ C 80/2001)",
    "CONSTITUTION": "Treaty establishing a Constitution for Europe (OJ C 310/2004)",
    "LISBON": "Treaty of Lisbon (OJ C 306/2007)",
    "FISCAL": "Treaty on Stability Coordination and Governance in the EMU (signed 2 March 2012)",
}
NAME = {
    "SEA": "Single European Act", "MAASTRICHT": "Maastricht Treaty", "AMSTERDAM": "Treaty of Amsterdam",
    "NICE": "Treaty of Nice", "CONSTITUTION": "Constitutional Treaty", "LISBON": "Treaty of Lisbon",
    "FISCAL": "Fiscal Compact (TSCG)",
}
# renegotiable: EU treaty revisions need unanimity, so a national rejection forces renegotiation
# (1); the TSCG enters into force with 12 euro-area ratifications, so a rejection does not (0).
RENEG = {"SEA": 1, "MAASTRICHT": 1, "AMSTERDAM": 1, "NICE": 1, "CONSTITUTION": 1, "LISBON": 1, "FISCAL": 0}

# Parliamentary approval: year of the final parliamentary vote (not of deposit of the instrument).
# '?' marks a year we are not sure of (+-1); see README.
PARL = {
    "SEA": "BE 1986, DE 1986, GR 1986, ES 1986, FR 1986, IT 1986, LU 1986, NL 1986?, PT 1986, GB 1986",
    "MAASTRICHT": "BE 1992, DE 1992, GR 1992, ES 1992, IT 1992, LU 1992, NL 1992, PT 1992, GB 1993",
    "AMSTERDAM": "AT 1998, BE 1998?, DE 1998, ES 1998, FI 1998?, FR 1999, GR 1998?, IT 1998, LU 1998, "
                 "NL 1998?, PT 1999?, SE 1998, GB 1998",
    "NICE": "AT 2001, BE 2001?, DK 2001, DE 2001, ES 2001, FI 2001?, FR 2001, GR 2001?, IT 2002, LU 2001, "
            "NL 2001?, PT 2001?, SE 2001?, GB 2002",
    "CONSTITUTION": "LT 2004, HU 2004, SI 2005, IT 2005, GR 2005, AT 2005, DE 2005, SK 2005, LV 2005, "
                    "CY 2005, MT 2005, BE 2006, EE 2006, FI 2006",
    "LISBON": "HU 2007, MT 2008, SI 2008, RO 2008, FR 2008, BG 2008, PL 2008, SK 2008, PT 2008, DK 2008, "
              "AT 2008, LV 2008, LT 2008, DE 2008, LU 2008, EE 2008, FI 2008, GR 2008, NL 2008, CY 2008, "
              "ES 2008, BE 2008, GB 2008, IT 2008, SE 2008, CZ 2009",
    "FISCAL": "AT 2012, BE 2013?, BG 2012?, CY 2012, DK 2012, EE 2012, FI 2012, FR 2012, DE 2012, GR 2012, "
              "HU 2012?, IT 2012, LV 2012, LT 2012, LU 2013, MT 2012?, NL 2013, PL 2013, PT 2012, RO 2012, "
              "SK 2012, SI 2012?, ES 2012, SE 2012?",
}
# Parliamentary supermajorities required for these treaties (best effort from the constitutions;
# entries marked in README as uncertain). Default: simple majority.
T23, T35, T34 = 0.6667, 0.6, 0.75
SUPER = {}
for t in ("MAASTRICHT", "AMSTERDAM", "NICE", "CONSTITUTION", "LISBON", "FISCAL"):
    SUPER[("DE", t)] = T23          # art. 23(1) + 79(2) Basic Law (from 1992)
for t in ("AMSTERDAM", "NICE", "CONSTITUTION", "LISBON"):
    SUPER[("AT", t)] = T23          # constitutional-law majority / art. 50(4) B-VG
    SUPER[("FI", t)] = T23          # sovereignty-affecting treaty, 2/3 of votes cast
for t in ("AMSTERDAM", "NICE", "LISBON"):
    SUPER[("SE", t)] = T34          # ch. 10 Instrument of Government: 3/4 of those voting
for t in ("MAASTRICHT", "AMSTERDAM", "NICE", "CONSTITUTION", "LISBON"):
    SUPER[("LU", t)] = T23          # art. 37 + 114 (treaties under art. 49bis)
    SUPER[("GR", t)] = T35          # art. 28(2): 3/5 of all members
for t in ("CONSTITUTION", "LISBON"):
    SUPER[("SK", t)] = T35          # art. 84(4)
    SUPER[("HU", t)] = T23          # art. 2/A
    SUPER[("SI", t)] = T23          # art. 3a
    SUPER[("LV", t)] = T23          # art. 68
SUPER[("CZ", "LISBON")] = T35       # art. 39(4)
SUPER[("PL", "LISBON")] = T23       # art. 90(2)
SUPER[("RO", "LISBON")] = T23       # art. 148(3)
SUPER[("BG", "LISBON")] = T23       # art. 85(1) item 9 and 85(2): 2/3 of all members for treaties
                                    # conferring powers on the EU (Lisbon passed 195-15 in 2008)
# Not coded as supermajorities: the TSCG outside DE (an intergovernmental treaty read as conferring
# no powers on the EU, so the EU-transfer clauses of BG, CZ, SK, SI, LV, HU, PL and RO are coded as
# not engaged; unverified, see README "Facts we are unsure of"); the Danish parliamentary rows
# (Nice, Lisbon, TSCG: approved under art. 19, the government having found art. 20, 5/6 of members
# or a referendum, not engaged).

# Referendum rows: (episode, treaty key or name, rdb id | 'SV:anr', outcome, continues, poll,
#                   renegotiable, foreign_constraint)
REFS = [
    ("EU-SEA-DK", "SEA", "5bbbee0d92a21351232e180b", "ratified", ""),
    ("EU-SEA-IE", "SEA", "5bbbef4a92a21351232e1ae3", "ratified", ""),
    ("EU-MAASTRICHT-DK", "MAASTRICHT", "5bbbf37c92a21351232e26eb", "renegotiated", ""),
    ("EU-MAASTRICHT-DK-2", "MAASTRICHT", "5bbbf44192a21351232e28cf", "ratified", "EU-MAASTRICHT-DK"),
    ("EU-MAASTRICHT-IE", "MAASTRICHT", "5bbbf37c92a21351232e26f5", "ratified", ""),
    ("EU-MAASTRICHT-FR", "MAASTRICHT", "5bbbf37c92a21351232e2737", "ratified", ""),
    ("EU-AMSTERDAM-IE", "AMSTERDAM", "5bbbf7ff92a21351232e3791", "ratified", ""),
    ("EU-AMSTERDAM-DK", "AMSTERDAM", "5bbbf7ff92a21351232e3795", "ratified", ""),
    ("EU-NICE-IE", "NICE", "5bbbfaf892a21351232e3f17", "renegotiated", ""),
    ("EU-NICE-IE-2", "NICE", "5bbbfbdc92a21351232e4297", "ratified", "EU-NICE-IE"),
    ("EU-CONSTITUTION-ES", "CONSTITUTION", "5bbbfdba92a21351232e47f3", "ratified", ""),
    ("EU-CONSTITUTION-FR", "CONSTITUTION", "5bbbfde192a21351232e4881", "renegotiated", ""),
    ("EU-CONSTITUTION-NL", "CONSTITUTION", "5bbbfde192a21351232e4883", "renegotiated", ""),
    ("EU-CONSTITUTION-LU", "CONSTITUTION", "5bbbfe0492a21351232e48c9", "ratified", ""),
    ("EU-LISBON-IE", "LISBON", "5bbbff2f92a21351232e4fdd", "renegotiated", ""),
    ("EU-LISBON-IE-2", "LISBON", "5bbbffea92a21351232e51fd", "ratified", "EU-LISBON-IE"),
    ("EU-FISCAL-IE", "FISCAL", "5bbc01c192a21351232e559b", "ratified", ""),
    # accession / association agreements put to a popular vote (renegotiable 0 for accessions)
    ("EC-ACCESSION-1972-FR", "EC enlargement 1972 (accession treaty)", "5bbbe53c92a21351232dfab9", "ratified", ""),
    ("EC-ACCESSION-1972-IE", "EC accession 1972", "5bbbe5de92a21351232dfb27", "ratified", ""),
    ("EC-ACCESSION-1972-NO", "EC accession 1972", "5bbbe5fb92a21351232dfbf7", "failed", ""),
    ("EC-ACCESSION-1972-DK", "EC accession 1972", "5bbbe5fb92a21351232dfbf9", "ratified", ""),
    ("EU-ACCESSION-1994-AT", "EU accession 1994", "5bbbf50592a21351232e2c93", "ratified", ""),
    ("EU-ACCESSION-1994-SE", "EU accession 1994", "5bbbf53192a21351232e2cf7", "ratified", ""),
    ("EU-ACCESSION-1994-FI", "EU accession 1994", "5bbbf53192a21351232e2d15", "ratified", ""),
    ("EU-ACCESSION-1994-NO", "EU accession 1994", "5bbbf53292a21351232e2d6b", "failed", ""),
    ("EU-ACCESSION-2003-MT", "EU accession 2003", "5bbbfc2a92a21351232e439d", "ratified", ""),
    ("EU-ACCESSION-2003-SI", "EU accession 2003", "5bbbfc2a92a21351232e43a5", "ratified", ""),
    ("EU-ACCESSION-2003-HU", "EU accession 2003", "5bbbfc2a92a21351232e43b1", "ratified", ""),
    ("EU-ACCESSION-2003-LT", "EU accession 2003", "5bbbfc4092a21351232e43d9", "ratified", ""),
    ("EU-ACCESSION-2003-SK", "EU accession 2003", "5bbbfc4092a21351232e43db", "ratified", ""),
    ("EU-ACCESSION-2003-PL", "EU accession 2003", "5bbbfc7a92a21351232e441f", "ratified", ""),
    ("EU-ACCESSION-2003-CZ", "EU accession 2003", "5bbbfc7a92a21351232e4421", "ratified", ""),
    ("EU-ACCESSION-2003-EE", "EU accession 2003", "5bbbfc8492a21351232e443b", "ratified", ""),
    ("EU-ACCESSION-2003-LV", "EU accession 2003", "5bbbfc8492a21351232e4441", "ratified", ""),
    ("EU-ACCESSION-2012-HR", "EU accession 2012", "5bbc018892a21351232e5547", "ratified", ""),
    # EEA-CH failed: the Bilateral Agreements I (negotiated 1994-98) are a different package, not a
    # revised EEA (renegotiation rule, data/README.md); EU-BILATERALS1-CH is an episode of its own.
    ("EEA-CH", "EEA Agreement", "SV:388", "failed", ""),
    ("EU-BILATERALS1-CH", "EU-Swiss Bilateral Agreements I", "SV:464", "ratified", ""),
    ("EEA-LI", "EEA Agreement", "5bbbf39d92a21351232e27f9", "ratified", ""),
    ("EU-UKRAINE-AA-NL", "EU-Ukraine Association Agreement", "5caf5cd161af8403c235ddec", "renegotiated", ""),
]
# chain continuations ratified by parliament: (episode, treaty, country, year, continues, source)
PARL_CONT = {
    ("LISBON", "FR"): "EU-CONSTITUTION-FR",
    ("LISBON", "NL"): "EU-CONSTITUTION-NL",
}
EXTRA = [
    ("EU-UKRAINE-AA-NL-2", "EU-Ukraine Association Agreement", "NL", 2017, "EU-UKRAINE-AA-NL",
     "Public record: European Council decision of 15 December 2016 on the EU-Ukraine Association Agreement; "
     "ratification act adopted by the Tweede Kamer (Feb 2017) and Eerste Kamer (30 May 2017)"),
]


def main():
    raw = tr.RAW
    rdb = {r["id"]: r for r in csv.DictReader(open(os.path.join(raw, "rdb_foreign_policy_referendums.csv"), encoding="utf-8"))}
    sv = {r["anr"]: r for r in csv.DictReader(open(os.path.join(raw, "swissvotes_foreign_policy.csv"), encoding="utf-8"))}
    spec = {x[0]: x for x in tr.R}          # rdb id -> include entry of the other file
    svspec = {x[0]: x for x in tr.S}
    rows = []

    def parl_row(ep, treaty, cc, year, key, cont, source):
        req, thr = ("supermajority", SUPER[(cc, key)]) if (cc, key) in SUPER else ("simple_majority", 0.5)
        return dict(episode=ep, treaty=treaty, country=cc, year=year, route="parliament", referendum=0,
                    binding=1, requirement=req, threshold=thr, supermajority=int(req != "simple_majority"),
                    yes_share="", turnout="", poll=0, renegotiable=RENEG.get(key, 1), foreign_constraint=1,
                    outcome="ratified", continues=cont, source=source)

    for key, spec_s in PARL.items():
        for item in spec_s.split(","):
            cc, y = item.split()
            unsure = y.endswith("?")
            year = int(y.rstrip("?"))
            src = f"Public record: {OJ[key]}; parliamentary approval {cc} {year}"
            if unsure:
                src += " (year uncertain +-1)"
            if key == "CONSTITUTION" and cc in ("DE", "SK"):
                src += "; approved by parliament but instrument not deposited"
            cont = PARL_CONT.get((key, cc), "")
            if cont:
                src += "; content of the rejected Constitutional Treaty renegotiated as Lisbon"
            rows.append(parl_row(f"EU-{key}-{cc}", NAME[key], cc, year, key, cont, src))
    for (ep, treaty, cc, year, cont, src) in EXTRA:
        rows.append(parl_row(ep, treaty, cc, year, "", cont, src))

    for (ep, key, ref, outcome, cont) in REFS:
        treaty = NAME.get(key, key)
        accession = "accession" in treaty.lower() or "enlargement" in treaty.lower()
        reneg = 0 if accession else RENEG.get(key, 1)
        if ref.startswith("SV:"):
            anr = ref[3:]
            r, s = sv[anr], svspec[anr]
            form = r["rechtsform"].strip()
            route = "mandatory_referendum" if form == "1" else "optional_referendum"
            req, thr = tr.DM if form == "1" else tr.SM
            binding, poll = 1, 0
            ys = tr.num(r["volkja-proz"]) / 100
            to = tr.num(r["bet"]) / 100
            cc, year = "CH", int(r["datum"][-4:])
            source = f"Swissvotes {anr}"
            assert (r["annahme"].strip() == "1") == (outcome == "ratified")
        else:
            r, s = rdb[ref], spec[ref]
            route, binding, (req, thr), poll = s[3], s[4], s[5], s[6]
            y, n, e = tr.num(r["votes_yes"]), tr.num(r["votes_no"]), tr.num(r["electorate_total"])
            ys = y / (y + n)
            tot = sum(v for v in (y, n, tr.num(r["votes_empty"]), tr.num(r["votes_invalid"])) if v is not None)
            to = tot / e if e else None
            cc, year = r["country_code"], int(r["date"][:4])
            source = f"RDB {ref}"
            assert (r["result"] == "yes") == (outcome == "ratified"), ep
        rows.append(dict(episode=ep, treaty=treaty, country=cc, year=year, route=route, referendum=1,
                         binding=binding, requirement=req, threshold=thr,
                         supermajority=int(req != "simple_majority"), yes_share=tr.share(ys),
                         turnout=tr.share(to), poll=poll, renegotiable=reneg, foreign_constraint=1,
                         outcome=outcome, continues=cont, source=source))

    order = {k: i for i, k in enumerate(["SEA", "MAASTRICHT", "AMSTERDAM", "NICE", "CONSTITUTION", "LISBON", "FISCAL"])}
    def sortkey(d):
        parts = d["episode"].split("-")
        return (order.get(parts[1], 99) if parts[0] == "EU" else 99, d["year"], d["episode"])
    rows.sort(key=sortkey)
    tr.write_rows(rows, OUT)


if __name__ == "__main__":
    main()
