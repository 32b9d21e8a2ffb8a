#!/usr/bin/env python3
"""Build data/treaty_referendums.csv: national referendums on international agreements.

Reads the raw public sources from ../shared/data/ relative to the repository root
(rdb_foreign_policy_referendums.csv, swissvotes_foreign_policy.csv), keeps only the votes in the
explicit include lists below (each with a short reason), adds the qualifying votes that the raw
files lack from the public record (PUBLIC, each with its citation), and writes one row per
ratification episode with the project's coding. Run from anywhere:

    python3 data/build_treaty_referendums.py

Coding conventions (see data/README.md for the full rules):
- Inclusion rule (data/README.md, "Inclusion rule"): a popular vote of the home electorate on
  whether the home state becomes bound, as a party, by a specific agreement already concluded
  with at least one foreign state or international organisation that remains a separate party
  once the agreement is in force (directly, or through a constitutional amendment whose purpose
  is to permit that ratification). DROPPED lists the votes that an earlier version included and
  the rule excludes.
- yes_share = yes / (yes + no) (valid votes). turnout = (yes + no + blank + invalid) / electorate
  counting only the components the source reports: RDB often leaves blank and invalid votes empty,
  and then turnout is valid votes / electorate, below the official figure (see data/README.md,
  column `turnout`). Swissvotes: `volkja-proz` / 100 and `bet` / 100 (official turnout, ballots
  cast including blank and invalid). PUBLIC rows: counts from the cited official results, blank and
  invalid included. Empty when the source lacks counts.
- Swiss votes are taken from Swissvotes only (RDB also lists them; they are not used, to avoid
  double-listing). Mandatory Swiss referendums (rechtsform 1) need a majority of people and of
  cantons: requirement double_majority, threshold 0.5.
- Chains: the first (rejected) vote is the chain root; its outcome is `renegotiated` if a revised
  version of the same agreement (data/README.md, "Renegotiation rule") was later ratified, else
  `failed`. Every later vote of the chain is its own row with its
  own outcome (a rejected intermediate vote is coded like the root: `renegotiated` if the chain
  ends in ratification, else `failed`) and `continues` = the chain root's episode id.
"""
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
RAW = os.path.normpath(os.path.join(REPO, "..", "shared", "data"))
OUT = os.path.join(HERE, "treaty_referendums.csv")

COLUMNS = ["episode", "treaty", "country", "year", "decade", "route", "referendum", "binding",
           "requirement", "threshold", "supermajority", "yes_share", "turnout", "poll",
           "renegotiable", "foreign_constraint", "outcome", "first_outcome", "continues", "source"]

SM = ("simple_majority", 0.5)
DM = ("double_majority", 0.5)
P75 = ("supermajority", 0.75)

# ---------------------------------------------------------------------------------------------
# RDB include list. Fields:
# (rdb_id, episode, treaty, route, binding, (requirement, threshold), poll, renegotiable,
#  foreign_constraint, outcome, continues, reason)
# ---------------------------------------------------------------------------------------------
R = [
    ("5bbbe28092a21351232ddddb", "IS-1918-UNION-DK", "Danish-Icelandic Act of Union", "optional_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "negotiated union agreement with Denmark, approved by referendum"),
    ("5bbbe2a492a21351232de70f", "PY-1938-CHACO", "Chaco Peace Treaty with Bolivia", "optional_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "peace treaty approved by plebiscite"),
    ("5bbbe2c892a21351232df125", "FR-1962-EVIAN", "Evian Accords", "optional_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "art. 11 referendum approving the Evian agreements with the Algerian GPRA/FLN"),
    ("5bbbe53c92a21351232dfab9", "FR-1972-EC-ENLARGEMENT", "EC enlargement (1972 accession treaty)", "optional_referendum", 1, SM, 0, 0, 1, "ratified", "",
     "art. 11 referendum on ratifying the accession treaty of DK, IE, NO, UK"),
    ("5bbbe5de92a21351232dfb27", "IE-1972-EC-ACCESSION", "EC accession", "mandatory_referendum", 1, SM, 0, 0, 1, "ratified", "",
     "constitutional amendment to ratify EC accession"),
    ("5bbbe5fb92a21351232dfbf7", "NO-1972-EC-ACCESSION", "EC accession", "consultative_referendum", 0, SM, 0, 0, 1, "failed", "",
     "consultative vote on the signed accession treaty; rejected, Norway did not accede"),
    ("5bbbe5fb92a21351232dfbf9", "DK-1972-EC-ACCESSION", "EC accession", "mandatory_referendum", 1, SM, 0, 0, 1, "ratified", "",
     "art. 20 referendum on the accession treaty"),
    ("5bbbe8f492a21351232e05d9", "PA-1977-CANAL-TREATIES", "Torrijos-Carter Treaties", "mandatory_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "plebiscite on the Panama Canal treaties; US Senate ratified 1978"),
    ("5bbbe99c92a21351232e0955", "EG-1979-PEACE-ISRAEL", "Egypt-Israel Peace Treaty", "optional_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "referendum on the peace treaty (Knesset also approved)"),
    # Palau Compact of Free Association chain. 1983: the Compact question needed a simple majority
    # (62% yes); the 75% rule of the constitution's nuclear clause applied to the separate question
    # on the Compact's subsidiary agreement on radioactive, chemical and biological materials
    # (RDB 5bbbec3592a21351232e11a9, 53% yes), which failed, so the package could not enter into
    # force. 1984-1990: the revised Compact itself carried the nuclear provisions and needed 75%
    # (RDB records those votes as rejected at 61-73% yes). 1993: simple majority (1992 amendment).
    ("5bbbec3592a21351232e11a7", "PW-1983-COMPACT", "Compact of Free Association with the USA", "mandatory_referendum", 1, SM, 0, 1, 1, "renegotiated", "",
     "chain root: Compact question approved by 62% (simple majority); the package failed because its nuclear-materials agreement got 53% of the 75% required"),
    ("5bbbed0992a21351232e14c1", "PW-1984-COMPACT", "Compact of Free Association with the USA", "mandatory_referendum", 1, P75, 0, 1, 1, "renegotiated", "PW-1983-COMPACT",
     "second Compact vote, below 75%"),
    ("5bbbee0d92a21351232e1809", "PW-1986A-COMPACT", "Compact of Free Association with the USA", "mandatory_referendum", 1, P75, 0, 1, 1, "renegotiated", "PW-1983-COMPACT",
     "revised Compact, Feb 1986, below 75%"),
    ("5bbbee9b92a21351232e1a03", "PW-1986B-COMPACT", "Compact of Free Association with the USA", "mandatory_referendum", 1, P75, 0, 1, 1, "renegotiated", "PW-1983-COMPACT",
     "Dec 1986 vote, below 75%"),
    ("5bbbef8192a21351232e1b21", "PW-1987A-COMPACT", "Compact of Free Association with the USA", "mandatory_referendum", 1, P75, 0, 1, 1, "renegotiated", "PW-1983-COMPACT",
     "June 1987 vote, below 75%"),
    ("5bbbef8192a21351232e1b43", "PW-1987B-COMPACT", "Compact of Free Association with the USA", "mandatory_referendum", 1, P75, 0, 1, 1, "renegotiated", "PW-1983-COMPACT",
     "Compact vote of 21 Aug 1987 (RDB dates it 1987-08-30; the 4 Aug 1987 vote was on the threshold-lowering amendment): 73% under that amendment, which the Palau Supreme Court voided (1988); coded under the 75% rule"),
    ("5bbbf19692a21351232e20f1", "PW-1990-COMPACT", "Compact of Free Association with the USA", "mandatory_referendum", 1, P75, 0, 1, 1, "renegotiated", "PW-1983-COMPACT",
     "1990 vote, below 75%"),
    ("5bbbf47192a21351232e29f3", "PW-1993-COMPACT", "Compact of Free Association with the USA", "mandatory_referendum", 1, SM, 0, 1, 1, "ratified", "PW-1983-COMPACT",
     "threshold lowered to simple majority by 1992 amendment; approved"),
    ("5bbbec7592a21351232e1239", "FM-1983-COMPACT", "Compact of Free Association with the USA", "mandatory_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "plebiscite on the Compact (main question only; status-alternative questions dropped)"),
    ("5bbbec9492a21351232e126b", "MH-1983-COMPACT", "Compact of Free Association with the USA", "mandatory_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "plebiscite on the Compact (main question only)"),
    ("5bbbed2b92a21351232e154d", "AR-1984-BEAGLE", "Beagle Channel Treaty with Chile", "consultative_referendum", 0, SM, 0, 1, 0, "ratified", "",
     "consultative vote on the Vatican-mediated treaty; Congress then ratified"),
    ("5bbbee0d92a21351232e180b", "DK-1986-SEA", "Single European Act", "consultative_referendum", 0, SM, 0, 1, 1, "ratified", "",
     "advisory referendum called after the Folketing majority opposed the SEA"),
    ("5bbbef4a92a21351232e1ae3", "IE-1987-SEA", "Single European Act", "mandatory_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "constitutional amendment required after Crotty v An Taoiseach"),
    ("5bbbf37c92a21351232e26eb", "DK-1992-MAASTRICHT", "Treaty on European Union (Maastricht)", "mandatory_referendum", 1, SM, 0, 1, 1, "renegotiated", "",
     "chain root: art. 20 referendum rejected; Edinburgh opt-outs, ratified 1993"),
    ("5bbbf37c92a21351232e26f5", "IE-1992-MAASTRICHT", "Treaty on European Union (Maastricht)", "mandatory_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "RDB title 'Accession to the European Union' = Maastricht ratification (11th amendment)"),
    ("5bbbf37c92a21351232e2737", "FR-1992-MAASTRICHT", "Treaty on European Union (Maastricht)", "optional_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "art. 11 referendum on Maastricht"),
    ("5bbbf39d92a21351232e27f9", "LI-1992-EEA", "EEA Agreement", "optional_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "art. 66bis treaty referendum on the EEA"),
    ("5bbbf44192a21351232e28cf", "DK-1993-MAASTRICHT", "Treaty on European Union + Edinburgh decision", "optional_referendum", 1, SM, 0, 1, 1, "ratified", "DK-1992-MAASTRICHT",
     "revised package (Edinburgh opt-outs); binding referendum under Law no. 153 art. 19/42(6)"),
    ("5bbbf50592a21351232e2c93", "AT-1994-EU-ACCESSION", "EU accession", "mandatory_referendum", 1, SM, 0, 0, 1, "ratified", "",
     "total revision of the constitution: mandatory referendum"),
    ("5bbbf53192a21351232e2cf7", "SE-1994-EU-ACCESSION", "EU accession", "consultative_referendum", 0, SM, 0, 0, 1, "ratified", "",
     "consultative vote of 13 Nov 1994 (RDB dates it 1994-10-13) on the signed accession treaty"),
    ("5bbbf53192a21351232e2d15", "FI-1994-EU-ACCESSION", "EU accession", "consultative_referendum", 0, SM, 0, 0, 1, "ratified", "",
     "consultative vote on the signed accession treaty"),
    ("5bbbf53292a21351232e2d6b", "NO-1994-EU-ACCESSION", "EU accession", "consultative_referendum", 0, SM, 0, 0, 1, "failed", "",
     "consultative vote on the signed accession treaty; rejected"),
    ("5bbbf7a292a21351232e3545", "HU-1997-NATO", "NATO accession", "optional_referendum", 1, SM, 0, 0, 1, "ratified", "",
     "NATO accession vote after the Madrid invitation (protocol signed Dec 1997)"),
    ("5bbbf7ff92a21351232e3791", "IE-1998-AMSTERDAM", "Treaty of Amsterdam", "mandatory_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "constitutional amendment for Amsterdam"),
    ("5bbbf7ff92a21351232e3795", "DK-1998-AMSTERDAM", "Treaty of Amsterdam", "mandatory_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "art. 20 referendum on Amsterdam"),
    ("5bbbfa8792a21351232e3ddd", "LI-2000-TRUCK-LEVY", "Agreement with Switzerland on the heavy vehicle levy", "optional_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "art. 66bis treaty referendum (petition)"),
    ("5bbbfaf892a21351232e3f17", "IE-2001-NICE", "Treaty of Nice", "mandatory_referendum", 1, SM, 0, 1, 1, "renegotiated", "",
     "chain root: rejected; Seville declarations, ratified 2002"),
    ("5bbbfbdc92a21351232e4297", "IE-2002-NICE", "Treaty of Nice + Seville declarations", "mandatory_referendum", 1, SM, 0, 1, 1, "ratified", "IE-2001-NICE",
     "second Nice vote with the Seville declarations"),
    ("5bbbfc2a92a21351232e439d", "MT-2003-EU-ACCESSION", "EU accession", "consultative_referendum", 0, SM, 0, 0, 1, "ratified", "",
     "consultative vote on the concluded accession package"),
    ("5bbbfc2a92a21351232e43a5", "SI-2003-EU-ACCESSION", "EU accession", "optional_referendum", 1, SM, 0, 0, 1, "ratified", "",
     "vote on EU accession under new art. 3a (binding status uncertain, see README)"),
    ("5bbbfc2a92a21351232e43a3", "SI-2003-NATO", "NATO accession", "optional_referendum", 1, SM, 0, 0, 1, "ratified", "",
     "vote on NATO accession (binding status uncertain, see README)"),
    ("5bbbfc2a92a21351232e43b1", "HU-2003-EU-ACCESSION", "EU accession", "mandatory_referendum", 1, SM, 0, 0, 1, "ratified", "",
     "constitutionally required accession referendum"),
    ("5bbbfc4092a21351232e43d9", "LT-2003-EU-ACCESSION", "EU accession", "mandatory_referendum", 1, SM, 0, 0, 1, "ratified", "",
     "mandatory accession referendum (turnout quorum 50%)"),
    ("5bbbfc4092a21351232e43db", "SK-2003-EU-ACCESSION", "EU accession", "optional_referendum", 1, SM, 0, 0, 1, "ratified", "",
     "accession referendum (valid if turnout > 50%)"),
    ("5bbbfc7a92a21351232e441f", "PL-2003-EU-ACCESSION", "EU accession", "optional_referendum", 1, SM, 0, 0, 1, "ratified", "",
     "art. 90 accession referendum (binding if turnout > 50%)"),
    ("5bbbfc7a92a21351232e4421", "CZ-2003-EU-ACCESSION", "EU accession", "mandatory_referendum", 1, SM, 0, 0, 1, "ratified", "",
     "accession referendum under a special constitutional act"),
    ("5bbbfc8492a21351232e443b", "EE-2003-EU-ACCESSION", "EU accession", "mandatory_referendum", 1, SM, 0, 0, 1, "ratified", "",
     "constitutional amendment referendum for accession"),
    ("5bbbfc8492a21351232e4441", "LV-2003-EU-ACCESSION", "EU accession", "mandatory_referendum", 1, SM, 0, 0, 1, "ratified", "",
     "mandatory accession referendum"),
    ("5bbbfd5792a21351232e4667", "CY-2004-ANNAN-PLAN", "Annan Plan (Foundation Agreement)", "optional_referendum", 1, SM, 0, 1, 1, "failed", "",
     "Greek Cypriot vote on the UN settlement plan; rejected (Turkish Cypriot vote 5bbbfd5792a21351232e4669 not used)"),
    ("5bbbfdba92a21351232e47f3", "ES-2005-CONSTITUTION", "Treaty establishing a Constitution for Europe", "consultative_referendum", 0, SM, 0, 1, 1, "ratified", "",
     "consultative vote; Cortes then ratified"),
    ("5bbbfde192a21351232e4881", "FR-2005-CONSTITUTION", "Treaty establishing a Constitution for Europe", "optional_referendum", 1, SM, 0, 1, 1, "renegotiated", "",
     "rejected; content renegotiated as the Treaty of Lisbon, ratified by parliament 2008 (not a referendum, not in this file)"),
    ("5bbbfde192a21351232e4883", "NL-2005-CONSTITUTION", "Treaty establishing a Constitution for Europe", "consultative_referendum", 0, SM, 0, 1, 1, "renegotiated", "",
     "rejected in an advisory referendum; renegotiated as Lisbon, ratified by parliament 2008"),
    ("5bbbfe0492a21351232e48c9", "LU-2005-CONSTITUTION", "Treaty establishing a Constitution for Europe", "consultative_referendum", 0, SM, 0, 1, 1, "ratified", "",
     "consultative vote; Chamber then ratified"),
    ("5bbbfeb892a21351232e4d61", "CR-2007-CAFTA", "CAFTA-DR free trade agreement", "optional_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "binding referendum (40% turnout quorum) on CAFTA-DR"),
    ("5bbbff2f92a21351232e4fdd", "IE-2008-LISBON", "Treaty of Lisbon", "mandatory_referendum", 1, SM, 0, 1, 1, "renegotiated", "",
     "chain root: rejected; legal guarantees (June 2009 European Council), ratified 2009"),
    ("5bbbffea92a21351232e51fd", "IE-2009-LISBON", "Treaty of Lisbon + legal guarantees", "mandatory_referendum", 1, SM, 0, 1, 1, "ratified", "IE-2008-LISBON",
     "second Lisbon vote with legal guarantees"),
    ("5bbbfff892a21351232e5275", "IS-2010-ICESAVE", "Icesave agreement with the UK and the Netherlands", "optional_referendum", 1, SM, 0, 1, 0, "failed", "",
     "chain root: law vetoed by the President (art. 26), rejected; renegotiated agreement also rejected in 2011"),
    ("5bbc00ef92a21351232e5411", "IS-2011-ICESAVE", "Icesave agreement (renegotiated 2010)", "optional_referendum", 1, SM, 0, 0, 0, "failed", "IS-2010-ICESAVE",
     "renegotiated Icesave III agreement rejected; dispute went to the EFTA Court (2013)"),
    ("5bbc004292a21351232e52e9", "SI-2010-ARBITRATION-HR", "Border Arbitration Agreement with Croatia", "optional_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "legislative referendum on the ratification act"),
    ("5bbc018892a21351232e5547", "HR-2012-EU-ACCESSION", "EU accession", "mandatory_referendum", 1, SM, 0, 0, 1, "ratified", "",
     "mandatory accession referendum"),
    ("5bbc01c192a21351232e559b", "IE-2012-FISCAL-COMPACT", "Treaty on Stability Coordination and Governance (Fiscal Compact)", "mandatory_referendum", 1, SM, 0, 0, 1, "ratified", "",
     "constitutional amendment for the TSCG; renegotiable 0: TSCG enters into force with 12 euro-area ratifications, no unanimity"),
    ("5bbc036292a21351232e57fb", "DK-2014-UPC", "Agreement on a Unified Patent Court", "mandatory_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "art. 20 referendum on the UPC agreement"),
    ("5caf5cd161af8403c235ddec", "NL-2016-UKRAINE-AA", "EU-Ukraine Association Agreement", "consultative_referendum", 0, SM, 0, 1, 1, "renegotiated", "",
     "advisory referendum rejected; European Council decision (Dec 2016), ratified by parliament 2017"),
    ("5d234598dc0aeb467bfcc0b6", "GT-2018-ICJ-BELIZE", "Special Agreement with Belize to submit the claim to the ICJ", "mandatory_referendum", 1, SM, 0, 1, 1, "ratified", "",
     "popular consultation required by the 2008 special agreement; Belize voted 2019"),
    ("5d248c4ddc0aeb467bfcc128", "MK-2018-PRESPA", "Prespa Agreement with Greece", "consultative_referendum", 0, SM, 0, 1, 1, "ratified", "",
     "consultative vote: 94% yes but turnout below the 50% quorum (RDB result 'no'); parliament ratified the same package 2018-2019"),
    ("66fff490c3cd670460580111", "LI-2024-IMF", "IMF accession (Articles of Agreement)", "optional_referendum", 1, SM, 0, 0, 0, "ratified", "",
     "art. 66bis treaty referendum on IMF membership"),
]

# Votes that an earlier version of this file included and that the inclusion rule excludes
# (data/README.md, "Inclusion rule" and "Referee audit (2026): decisions"): (rdb_id, former episode, reason).
DROPPED = [
    ("5bbbe26a92a21351232dd74d", "DO-1870-US-ANNEXATION",
     "annexation treaty: the Dominican Republic would have become part of the USA, so no separate home party remains"),
    ("5bbbe7bb92a21351232e0185", "MP-1975-COVENANT",
     "Covenant establishing the Northern Marianas as a commonwealth under US sovereignty: no separate home party remains"),
    ("5bbbf59192a21351232e2e61", "LI-1995-EEA",
     "second vote on the EEA Agreement that Liechtenstein's voters had approved in 1992 (LI-1992-EEA): one ratification, counted once"),
    ("5bbc041c92a21351232e592b", "GR-2015-BAILOUT",
     "vote on the creditors' 25 June 2015 proposal, never agreed and lapsed with the programme on 30 June; no concluded agreement"),
    ("5d19fb53fe65c2bfeba00bb5", "GD-2016-CCJ",
     "constitutional bill to make the CCJ the final court of appeal; Grenada was already a party to the Agreement Establishing the CCJ"),
]

# ---------------------------------------------------------------------------------------------
# Public-record rows: qualifying votes that the RDB extract in ../shared/data/ lacks (its topic
# filter did not select them). Fields:
# (episode, treaty, country, year, route, binding, (requirement, threshold), poll, renegotiable,
#  foreign_constraint, outcome, continues, yes, no, blank_and_invalid, electorate, source)
# ---------------------------------------------------------------------------------------------
PUBLIC = [
    ("DK-1916-WEST-INDIES", "Treaty ceding the Danish West Indies to the USA", "DK", 1916, "consultative_referendum", 0, SM, 0, 1, 1,
     "ratified", "", 283670, 158157, 7267, 1200000,
     "Public record: Danish referendum of 14 Dec 1916 on the treaty of 4 Aug 1916 (US Senate consent 7 Sep 1916; "
     "Rigsdag approval Dec 1916); yes 283670 no 158157 (Rigsarkivet: A historic referendum) invalid 7267; "
     "electorate about 1.2 million (a rounded figure as reported online) so turnout 37.4%"),
    ("IE-1998-BRITISH-IRISH-AGREEMENT", "British-Irish Agreement (Good Friday Agreement)", "IE", 1998, "mandatory_referendum", 1, SM, 0, 1, 1,
     "ratified", "", 1442583, 85748, 17064, 2747088,
     "Public record: referendum of 22 May 1998 on the Nineteenth Amendment of the Constitution Bill 1998 "
     "(the State may consent to be bound by the British-Irish Agreement of 10 Apr 1998); electorate 2747088 "
     "total poll 1545395 yes 1442583 no 85748 invalid 17064 (Referendum Results 1937-2019; Dept of Housing "
     "Planning and Local Government)"),
    ("IE-2001-ICC", "Rome Statute of the International Criminal Court", "IE", 2001, "mandatory_referendum", 1, SM, 0, 0, 1,
     "ratified", "", 629234, 350512, 17819, 2867960,
     "Public record: referendum of 7 Jun 2001 on the Twenty-third Amendment of the Constitution Bill 2001 "
     "(the State may ratify the Rome Statute); electorate 2867960 total poll 997565 yes 629234 no 350512 "
     "invalid 17819 (Referendum Results 1937-2019; Dept of Housing Planning and Local Government)"),
    ("BZ-2019-ICJ-GUATEMALA", "Special Agreement with Guatemala to submit the claim to the ICJ", "BZ", 2019, "mandatory_referendum", 1, SM, 0, 1, 1,
     "ratified", "", 53388, 43029, 702, 148500,
     "Public record: Belize referendum of 8 May 2019 required by the Special Agreement of 8 Dec 2008 with "
     "Guatemala (Guatemala voted in 2018: GT-2018-ICJ-BELIZE); certified result yes 53388 no 43029 "
     "(Chief Elections Officer); 702 rejected ballots; 148500 registered voters (Elections and Boundaries Department)"),
]

# ---------------------------------------------------------------------------------------------
# Swissvotes include list (anr). Fields:
# (anr, episode, treaty, poll, renegotiable, foreign_constraint, outcome, continues, reason)
# route/requirement come from rechtsform (1 mandatory -> double majority; 2 optional).
# ---------------------------------------------------------------------------------------------
S = [
    ("83", "CH-1920-LEAGUE", "League of Nations accession", 0, 0, 0, "ratified", "",
     "mandatory referendum (sui generis) on accession to the League"),
    ("95", "CH-1923-ZONES-FR", "Convention with France on the free zones", 0, 1, 1, "failed", "",
     "optional treaty referendum; rejected, dispute went to the PCIJ (Free Zones case)"),
    ("190", "CH-1958-SPOEL-IT", "Agreement with Italy on the Spoel hydropower", 0, 1, 1, "ratified", "",
     "optional referendum on a bilateral agreement"),
    ("233", "CH-1972-EEC-FTA", "Free trade agreement with the EEC", 0, 1, 0, "ratified", "",
     "mandatory referendum (sui generis) on the FTA"),
    ("258", "CH-1976-IDA-LOAN", "Loan agreement with the International Development Association", 0, 0, 0, "failed", "",
     "optional treaty referendum; rejected"),
    ("338", "CH-1986-UN", "UN accession", 0, 0, 0, "failed", "",
     "mandatory referendum; rejected. Failed by the renegotiation rule: the 2002 accession was to the unchanged Charter "
     "(no revised package) and came from a popular initiative (anr 485) that is not a ratification vote"),
    ("375", "CH-1992-BRETTON-WOODS", "IMF and World Bank accession", 0, 0, 0, "ratified", "",
     "optional referendum on the accession decree (implementing law anr 376 dropped)"),
    ("388", "CH-1992-EEA", "EEA Agreement", 0, 1, 1, "failed", "",
     "rejected; failed by the renegotiation rule: the EEA was not revised for CH, and the Bilateral Agreements I "
     "(negotiated 1994-98) are a different package"),
    ("464", "CH-2000-BILATERALS-I", "Bilateral agreements I with the EC", 0, 1, 1, "ratified", "",
     "optional referendum on the seven sectoral agreements; an episode of its own, not a continuation of the EEA"),
    ("517", "CH-2005-SCHENGEN-DUBLIN", "Schengen/Dublin association agreements", 0, 1, 0, "ratified", "",
     "optional referendum on the bilateral II Schengen/Dublin agreements"),
    ("519", "CH-2005-FMP-EXTENSION", "Protocol extending free movement to the 10 new EU states", 0, 1, 1, "ratified", "",
     "optional referendum on the protocol"),
    ("540", "CH-2009-FMP-CONTINUATION", "Continuation of free movement and extension to BG/RO", 0, 1, 1, "ratified", "",
     "optional referendum on the renewal and the protocol"),
    ("542", "CH-2009-BIOMETRIC-PASSPORT", "Exchange of notes on the EC biometric passport regulation (Schengen)", 0, 0, 0, "ratified", "",
     "optional referendum on the approval of a Schengen development"),
    ("628", "CH-2019-WEAPONS-DIRECTIVE", "Exchange of notes on the EU weapons directive (Schengen)", 0, 0, 0, "ratified", "",
     "optional referendum on the approval of a Schengen development"),
    ("640", "CH-2021-EFTA-INDONESIA", "EFTA-Indonesia comprehensive economic partnership agreement", 0, 1, 1, "ratified", "",
     "optional treaty referendum"),
    ("657", "CH-2022-FRONTEX", "Exchange of notes on the Frontex regulation (Schengen)", 0, 0, 0, "ratified", "",
     "optional referendum on the approval of a Schengen development"),
]


def num(s):
    s = (s or "").strip()
    if s in ("", ".", "9999"):
        return None
    return float(s)


def share(x):
    return "" if x is None else f"{x:.4f}"


def main():
    rdb_path = os.path.join(RAW, "rdb_foreign_policy_referendums.csv")
    sv_path = os.path.join(RAW, "swissvotes_foreign_policy.csv")
    rdb = {r["id"]: r for r in csv.DictReader(open(rdb_path, newline="", encoding="utf-8"))}
    sv = {r["anr"]: r for r in csv.DictReader(open(sv_path, newline="", encoding="utf-8"))}
    rows = []
    included = {x[0] for x in R}
    for (rid, ep, _why) in DROPPED:
        assert rid in rdb and rid not in included, (rid, ep)
    for (rid, ep, treaty, route, binding, (req, thr), poll, reneg, foreign, outcome, cont, _why) in R:
        r = rdb[rid]
        assert r["country_code"] != "CH", rid
        y, n = num(r["votes_yes"]), num(r["votes_no"])
        e = num(r["electorate_total"])
        ys = y / (y + n) if y is not None and n is not None and y + n > 0 else None
        tot = sum(v for v in (y, n, num(r["votes_empty"]), num(r["votes_invalid"])) if v is not None)
        to = tot / e if e and y is not None and n is not None else None
        # sanity: RDB result vs our outcome (documented exceptions)
        res = r["result"]
        if outcome == "ratified" and res == "no":
            assert ep == "MK-2018-PRESPA", ep  # 94% yes, below the turnout quorum
        if outcome in ("failed", "renegotiated") and res == "yes":
            assert ep == "PW-1983-COMPACT", ep  # yes by simple majority, below the 75% rule
        rows.append(dict(episode=ep, treaty=treaty, country=r["country_code"], year=int(r["date"][:4]),
                         route=route, referendum=1, binding=binding, requirement=req, threshold=thr,
                         supermajority=int(req != "simple_majority"), yes_share=share(ys),
                         turnout=share(to), poll=poll, renegotiable=reneg, foreign_constraint=foreign,
                         outcome=outcome, continues=cont, source=f"RDB {rid}"))
    for (anr, ep, treaty, poll, reneg, foreign, outcome, cont, _why) in S:
        r = sv[anr]
        form = r["rechtsform"].strip()
        assert form in ("1", "2"), anr
        route = "mandatory_referendum" if form == "1" else "optional_referendum"
        req, thr = DM if form == "1" else SM
        accepted = r["annahme"].strip() == "1"
        assert accepted == (outcome == "ratified"), anr
        ys, to = num(r["volkja-proz"]), num(r["bet"])
        rows.append(dict(episode=ep, treaty=treaty, country="CH", year=int(r["datum"][-4:]),
                         route=route, referendum=1, binding=1, requirement=req, threshold=thr,
                         supermajority=int(req != "simple_majority"),
                         yes_share=share(ys / 100 if ys is not None else None),
                         turnout=share(to / 100 if to is not None else None), poll=poll,
                         renegotiable=reneg, foreign_constraint=foreign, outcome=outcome,
                         continues=cont, source=f"Swissvotes {anr}"))
    for (ep, treaty, cc, year, route, binding, (req, thr), poll, reneg, foreign, outcome, cont,
         y, n, other, e, source) in PUBLIC:
        rows.append(dict(episode=ep, treaty=treaty, country=cc, year=year, route=route, referendum=1,
                         binding=binding, requirement=req, threshold=thr,
                         supermajority=int(req != "simple_majority"), yes_share=share(y / (y + n)),
                         turnout=share((y + n + other) / e), poll=poll, renegotiable=reneg,
                         foreign_constraint=foreign, outcome=outcome, continues=cont, source=source))
    rows.sort(key=lambda d: (d["year"], d["country"], d["episode"]))
    write_rows(rows, OUT)


def write_rows(rows, out):
    """Adds the derived columns, checks the rows and writes them (shared by both builders)."""
    for d in rows:
        d["threshold"] = f"{d['threshold']:g}"
        d["decade"] = f"{(int(d['year']) - 2000) / 10:g}"  # (year - 2000) / 10, a covariate on a readable scale
        # The first attempt's result: a renegotiated episode was rejected at its first vote.
        d["first_outcome"] = "ratified" if d["outcome"] == "ratified" else "failed"
        for k, v in d.items():
            assert "," not in str(v) and '"' not in str(v), (d["episode"], k)
    assert len({d["episode"] for d in rows}) == len(rows), "duplicate episode id"
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
