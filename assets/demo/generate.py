#!/usr/bin/env python3
"""Writes the closedesk demo period -- Northstar Health Benefits, 2026-03 -- as the 16 CSV
files of docs/snapshot-format.md, next to this script.

Deterministic: one fixed seed, integer cents everywhere (never floats), stdlib only.
Run it, then check the result independently:

    python3 assets/demo/generate.py && python3 assets/demo/check.py

The period is built to reconcile cleanly except for exactly two mismatches
(docs/reconciliation.md):

  exports:GL-2026-03:ar-total        the GL export netted a 9.75 unapplied credit of
                                     Cedar Ridge Health System into its AR line  (-9.75)
  employer_programs:STM-VERIFY-2026-03:statement-total
                                     the benefits-verification statement header was
                                     computed at last year's rate, 452 x 0.55    (+4.52)

and these headline figures: usage billed 4318.42, program fees billed 912.13.
"""

import csv
import datetime as dt
import os
import random

SEED = 20260331
HERE = os.path.dirname(os.path.abspath(__file__))

D = dt.date
WS = D(2026, 3, 1)   # window start
WE = D(2026, 3, 31)  # window end
FEB1 = D(2026, 2, 1)

USAGE_BILLED = 431842          # cents: usage lines billed in the window
GL_SHORT = 975                 # cents the GL export's Cedar Ridge line is short
STATEMENT_OVER = 452           # cents the VERIFY statement header is over

rng = random.Random(SEED)


# ---------------------------------------------------------------------------
# small helpers


def money(c):
    """Integer cents as a plain two-decimal amount."""
    sign = "-" if c < 0 else ""
    c = abs(c)
    return f"{sign}{c // 100}.{c % 100:02d}"


def days(d, n):
    return d + dt.timedelta(days=n)


def month_end(d):
    nxt = D(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return days(nxt, -1)


def add_month(d):
    y, m = d.year + (d.month == 12), d.month % 12 + 1
    return D(y, m, min(d.day, month_end(D(y, m, 1)).day))


def ts(d, h, m, s=0):
    return f"{d.isoformat()}T{h:02d}:{m:02d}:{s:02d}Z"


def pct(amount, bp):
    """amount x bp/10000, rounded half up (amount >= 0)."""
    return (amount * bp + 5000) // 10000


# ---------------------------------------------------------------------------
# who

PERIOD = dict(
    id="2026-03", entity="Northstar Health Benefits", window_start=WS.isoformat(),
    window_end=WE.isoformat(), currency="USD", close_owner="finance@northstar.example",
    materiality_medium="5.00", materiality_high="500.00", materiality_critical="5000.00",
    last_clean_period="2026-02", last_clean_date="2026-03-04",
)

LANE_OWNERS = [
    ("employer_programs", "programs@northstar.example"),
    ("exports", "gl-team@northstar.example"),
]

ROSTER = [
    ("jokafor", "Jordan Okafor", "reviewer"),
    ("mhale", "Morgan Hale", "lead"),
    ("rdiaz", "Rosa Díaz", "operator"),
    ("sgupta", "Sanjay Gupta", "lead"),
    ("tlin", "Tina Lin", "operator"),
]

# id, name, sites, monthly fee per site (cents), cycle day, sales tax (basis points),
# usage cadence, usage kinds (L lookups, R reports, E exports), payer behaviour
CUSTOMERS = [
    ("ACC-1001", "Brightwater Clinics", 2, 118000, 1, 0, "weekly", "LRE", "ach"),
    ("ACC-1002", "Clínica Santa Lucía", 1, 42500, 1, 0, "semi", "LR", "card"),
    ("ACC-1003", "Patel, Okafor & Reyes Family Medicine", 1, 38000, 15, 0, "monthly", "L", "check"),
    ("ACC-1004", "Cedar Ridge Health System", 5, 96000, 1, 0, "weekly", "LRE", "ach"),
    ("ACC-1005", "Lakeshore Pediatrics", 1, 31000, 1, 625, "semi", "L", "card"),
    ("ACC-1006", "Northgate Orthopedic Partners", 2, 54000, 15, 0, "monthly", "LR", "ach"),
    ("ACC-1007", "Summit Valley Medical Group", 3, 72000, 1, 0, "weekly", "LRE", "ach"),
    ("ACC-1008", "Harbor Point Urgent Care", 2, 39500, 1, 0, "semi", "LE", "card"),
    ("ACC-1009", "Centro Médico Nuestra Señora", 1, 45000, 15, 0, "monthly", "LR", "check"),
    ("ACC-1010", "Willow Creek Behavioral Health", 1, 29500, 1, 0, None, "", "card"),
    ("ACC-1011", "Redwood Coast Dermatology", 1, 33500, 1, 725, "monthly", "L", "card"),
    ("ACC-1012", "Bayfront Cardiology Associates", 2, 61000, 1, 0, "semi", "LR", "ach"),
    ("ACC-1013", "Prairie Wind Rural Health Clinic", 1, 24500, 1, 0, None, "", "hold"),
    ("ACC-1014", "Mercy Crossing Hospital", 4, 128000, 1, 0, "weekly", "LRE", "ach"),
    ("ACC-1015", "St. Brendan's Regional Medical Center", 3, 115000, 15, 0, "semi", "LRE", "check"),
    ("ACC-1016", "Granite State Physical Therapy", 1, 27500, 1, 0, None, "", "card"),
    ("ACC-1017", "Silverline Dental Group", 2, 35000, 15, 625, "monthly", "L", "ach"),
    ("ACC-1018", "Oakhaven Women's Health", 1, 41000, 1, 0, "semi", "LR", "card"),
    ("ACC-1019", "Riverbend Family Practice", 1, 26000, 1, 0, "monthly", "L", "ach"),
    ("ACC-1020", "Pinecrest Sleep Center", 1, 31500, 15, 0, None, "", "ach"),
    ("ACC-1021", "Tidewater Internal Medicine", 1, 36500, 1, 0, "monthly", "LR", "check"),
    ("ACC-1022", "Meadowlark Pediatric Dentistry", 1, 22500, 1, 0, None, "", "card"),
    ("ACC-1023", "Blue Heron Eye Institute", 2, 48500, 1, 0, "semi", "LE", "ach"),
    ("ACC-1024", "Copper Canyon Community Health", 3, 52000, 1, 0, "weekly", "LR", "slow"),
    ("ACC-1025", "Evergreen Hospice & Palliative Care", 1, 34000, 15, 0, None, "", "ach"),
    ("ACC-1026", "Foothills Allergy and Asthma", 1, 28500, 1, 825, "monthly", "L", "card"),
    ("ACC-1027", "Greenfield Radiology Partners", 2, 74000, 1, 0, "semi", "LRE", "ach"),
    ("ACC-1028", "Ironwood Occupational Medicine", 1, 39000, 15, 0, "monthly", "LR", "ach"),
    ("ACC-1029", "Juniper Hill Counseling Collective", 1, 19500, 1, 0, None, "", "card"),
    ("ACC-1030", "Keystone Renal Care", 2, 58000, 1, 600, "monthly", "LR", "ach"),
    ("ACC-1031", "Lighthouse Oncology Network", 3, 99000, 15, 0, "weekly", "LRE", "check"),
    ("ACC-1032", "Maple Grove Chiropractic", 1, 18500, 1, 0, None, "", "card"),
    ("ACC-1033", "Northwind Telehealth Services", 1, 64000, 1, 0, "semi", "LE", "ach"),
    ("ACC-1034", "Old Mill Podiatry", 1, 21500, 1, 0, None, "", "card"),
    ("ACC-1035", "Quarry Lake Surgical Center", 1, 55000, 15, 0, "monthly", "L", "ach"),
    ("ACC-1036", "Sunrise Senior Care Clinics", 2, 43000, 1, 0, "monthly", "LR", "slow"),
    ("ACC-1037", "Dr. Müller & Associates Dermatology", 1, 29000, 1, 0, "monthly", "L", "ach"),
    ("ACC-1038", "Valley Health Partners, P.C.", 2, 47000, 1, 0, "semi", "LR", "check"),
]

EMPLOYERS = [
    ("EMP-2001", "Harborview Logistics Group"),
    ("EMP-2002", "Cascade Unified School District"),
    ("EMP-2003", "Meridian Manufacturing Co."),
]

# Employer programs: id, employer, name, basis units, rate (cents).
# basis x rate: 350.20 + 244.08 + 317.85 = 912.13 = program fees billed in March.
PROGRAMS = [
    ("PRG-SCREEN", "EMP-2003", "Background screening reports", 15, 2119),
    ("PRG-VERIFY", "EMP-2002", "Benefits eligibility verification", 452, 54),
    ("PRG-WELL", "EMP-2001", "Wellness lookups", 412, 85),
]

BALANCER = "ACC-1028"  # its March usage absorbs the remainder so usage billed is exact
GL_SHORT_ACCOUNT = "ACC-1004"

ACCOUNT = {c[0]: c for c in CUSTOMERS}
PAYER = {c[0]: c[8] for c in CUSTOMERS}
for e in EMPLOYERS:
    PAYER[e[0]] = "ach"


# ---------------------------------------------------------------------------
# the model


class Line:
    def __init__(self, kind, amount, rule, desc, start=None, end=None, program=None):
        self.kind, self.amount, self.rule, self.desc = kind, amount, rule, desc
        self.start, self.end, self.program = start, end, program
        self.id = None
        self.events = []


class Invoice:
    def __init__(self, account, posted, due, role, status="posted"):
        self.account, self.posted, self.due, self.role = account, posted, due, role
        self.status = status
        self.voided = None
        self.lines = []
        self.moves = []        # (date, delta): disbursements (-) and system adjustments (+/-)
        self.special = False   # payments handled by a hand-written scenario below
        self.id = None
        self.order = 0         # creation order, breaks ties in numbering

    def add(self, line):
        self.lines.append(line)
        return line

    def total(self):
        return sum(l.amount for l in self.lines)

    def balance(self, on=WE):
        return self.total() + sum(delta for d, delta in self.moves if d <= on)


class Row:
    """A payments / credits / disbursements / ledger row; ids are given at write time."""

    def __init__(self, **kw):
        self.__dict__.update(kw)
        self.id = None


invoices = []
payments = []
credits = []
disbursements = []
ledger = []
adjust_rows = []   # system adjustments: (invoice, date, amount, reference)


def new_invoice(account, posted, role, due=None, status="posted"):
    if due is None:
        due = posted if PAYER.get(account) == "card" else days(posted, 30)
    inv = Invoice(account, posted, due, role, status)
    inv.order = len(invoices)
    invoices.append(inv)
    return inv


# ---------------------------------------------------------------------------
# subscriptions (one invoice per site per cycle)

SUBS = {}  # (account, cycle start, site) -> invoice


def cycle(anniv, month_first):
    start = D(month_first.year, month_first.month, anniv)
    return start, days(add_month(start), -1)


for (acc, name, sites, fee, anniv, tax, cadence, kinds, payer) in CUSTOMERS:
    months = [FEB1, WS] if payer not in ("card",) else [WS]
    for mf in months:
        start, end = cycle(anniv, mf)
        for s in range(1, sites + 1):
            inv = new_invoice(acc, start, "sub")
            label = f", site {s}" if sites > 1 else ""
            inv.add(Line("recurring", fee, "ratable_daily",
                         f"Northstar platform subscription{label}, {start} to {end}", start, end))
            SUBS[(acc, start, s)] = inv

# Prairie Wind Rural Health Clinic: disputed since November, nothing paid (aged AR)
for mf in (D(2025, 11, 1), D(2025, 12, 1), D(2026, 1, 1)):
    start, end = cycle(1, mf)
    inv = new_invoice("ACC-1013", start, "sub")
    inv.add(Line("recurring", 24500, "ratable_daily",
                 f"Northstar platform subscription, {start} to {end}", start, end))
    inv.special = True
    SUBS[("ACC-1013", start, 1)] = inv

# Sunrise Senior Care: one January invoice still open (seat-count dispute)
inv = new_invoice("ACC-1036", D(2026, 1, 1), "sub")
inv.add(Line("recurring", 43000, "ratable_daily",
             "Northstar platform subscription, site 1, 2026-01-01 to 2026-01-31",
             D(2026, 1, 1), D(2026, 1, 31)))
inv.special = True
SUBS[("ACC-1036", D(2026, 1, 1), 1)] = inv

# ---------------------------------------------------------------------------
# usage invoices: one line per usage kind per billing period

KIND_WORD = {"L": "protected_lookup", "R": "report", "E": "export"}
KIND_LABEL = {"L": "Protected lookups", "R": "Reports", "E": "Exports"}
UNITS_MAX = {"L": 15, "R": 3, "E": 8}
RATES = {}  # account -> {kind letter: cents per unit}


def periods(cadence, mf):
    me = month_end(mf)
    if cadence == "weekly":
        out = [(days(mf, 0), days(mf, 6)), (days(mf, 7), days(mf, 13)),
               (days(mf, 14), days(mf, 20)), (days(mf, 21), me)]
    elif cadence == "semi":
        out = [(mf, days(mf, 14)), (days(mf, 15), me)]
    else:
        out = [(mf, me)]
    return [(a, b, min(days(b, 1), me)) for a, b in out]   # (start, end, posted)


USAGE_LINES = []  # March usage lines: (account, kind letter, line, start, end)

for (acc, name, sites, fee, anniv, tax, cadence, kinds, payer) in CUSTOMERS:
    if not cadence:
        continue
    RATES[acc] = {
        "L": rng.choice([35, 38, 40, 42, 45]),
        "R": rng.choice([225, 240, 250, 275, 310]),
        "E": rng.choice([95, 110, 120, 125, 140]),
    }
    if acc == "ACC-1004":
        RATES[acc]["L"] = 39
    if acc == BALANCER:
        RATES[acc].update(L=37, R=245)
    months = [FEB1, WS] if payer != "card" else [WS]
    for mf in months:
        for (a, b, posted) in periods(cadence, mf):
            inv = new_invoice(acc, posted, "usage")
            for k in kinds:
                line = inv.add(Line("usage", 0, "immediate", "", a, b))
                line.letter = k
                if mf == WS:
                    USAGE_LINES.append((acc, k, line, a, b))
                else:
                    # February usage: billed and paid under the February close; its events
                    # are not part of this period's snapshot.
                    share = {"L": 5200, "R": 2600, "E": 1900}[k] * sites
                    n = (b - a).days + 1
                    units = (share * n // 28) // RATES[acc][k]
                    units = max(1, units + rng.randint(-(units // 5), units // 5))
                    line.amount = units * RATES[acc][k]
                    line.desc = (f"{KIND_LABEL[k]}, {a} to {b} ({units} units @ "
                                 f"{money(RATES[acc][k])})")

# ---------------------------------------------------------------------------
# usage events for March, tied to the lines that billed them

events = []   # dicts; ids given after sorting by time


def event_time(a, b):
    span = (b - a).days
    while True:
        d = days(a, rng.randint(0, span))
        if d.weekday() < 5 or rng.random() < 0.25:
            break
    return dt.datetime(d.year, d.month, d.day, rng.randint(7, 19), rng.randint(0, 59),
                       rng.randint(0, 59))


def add_event(acc, k, line, a, b, units):
    amt = units * RATES[acc][k]
    events.append(dict(account=acc, kind=KIND_WORD[k], at=event_time(a, b), units=units,
                       amount=amt, line=line))
    line.amount += amt
    line.events.append(events[-1])


usage_accounts = [c for c in CUSTOMERS if c[6] and c[0] != BALANCER]
weights = {c[0]: c[2] * {"weekly": 5, "semi": 3, "monthly": 2}[c[6]] + rng.randint(0, 3)
           for c in usage_accounts}
others_budget = USAGE_BILLED - 16000
wsum = sum(weights.values())
budget = {acc: others_budget * w // wsum for acc, w in weights.items()}
KIND_SHARE = {"L": 55, "R": 30, "E": 15}

for (acc, k, line, a, b) in USAGE_LINES:
    if acc == BALANCER:
        continue
    kinds = ACCOUNT[acc][7]
    share = KIND_SHARE[k] * 100 // sum(KIND_SHARE[x] for x in kinds)   # percent
    n = (b - a).days + 1
    target = budget[acc] * share // 100 * n // 31 * rng.randint(80, 120) // 100
    rate = RATES[acc][k]
    while True:
        left = target - line.amount
        if left < rate:
            break
        units = min(rng.randint(1, UNITS_MAX[k]), left // rate)
        add_event(acc, k, line, a, b, units)

# The balancer: Ironwood Occupational Medicine's monthly lookups (0.37) and reports (2.45)
# take exactly what is left, so the window's usage billed is 4318.42 to the cent.
remainder = USAGE_BILLED - sum(e["amount"] for e in events)
assert 9000 <= remainder <= 40000, remainder
b_units = remainder * 30 // 100 // 245
while (remainder - 245 * b_units) % 37:
    b_units += 1
a_units = (remainder - 245 * b_units) // 37
assert b_units > 0 and a_units > 0, (remainder, a_units, b_units)
bal_lines = {k: line for (acc, k, line, a, b) in USAGE_LINES if acc == BALANCER}
for k, units in (("L", a_units), ("R", b_units)):
    while units:
        u = min(units, rng.randint(1, UNITS_MAX[k]))
        add_event(BALANCER, k, bal_lines[k], WS, WE, u)
        units -= u
assert sum(e["amount"] for e in events) == USAGE_BILLED

for (acc, k, line, a, b) in USAGE_LINES:
    units = sum(e["units"] for e in line.events)
    assert units > 0, (acc, k, a)
    line.desc = f"{KIND_LABEL[k]}, {a} to {b} ({units} units @ {money(RATES[acc][k])})"

# A few events failed rating on the day and were reprocessed before their invoice posted.
events.sort(key=lambda e: (e["at"], e["account"], e["kind"]))
candidates = [e for e in events if e["line"].end - e["at"].date() >= dt.timedelta(days=2)]
for e in rng.sample(candidates, 7):
    e["reprocessed"] = e["at"] + dt.timedelta(hours=rng.randint(6, 30), minutes=rng.randint(0, 59))

# ---------------------------------------------------------------------------
# employer program invoices

# February (posted in February; February service, so not billed in this window). VERIFY
# was still at last year's rate, 0.55.
for (prg, emp, pname, posted, units, rate) in [
    ("PRG-WELL", "EMP-2001", "Wellness lookups", D(2026, 2, 2), 405, 85),
    ("PRG-VERIFY", "EMP-2002", "Benefits eligibility verification", D(2026, 2, 27), 447, 55),
    ("PRG-SCREEN", "EMP-2003", "Background screening reports", D(2026, 2, 27), 11, 2119),
]:
    inv = new_invoice(emp, posted, "program")
    rule = "on_service_date" if prg == "PRG-SCREEN" else "ratable_daily"
    inv.add(Line("program_fee", units * rate, rule,
                 f"{pname}, February 2026, {units} x {money(rate)}", FEB1, D(2026, 2, 28), prg))

# March: WELL billed in advance on 03-02 (two member plans), VERIFY in arrears on 03-31
# (two employee groups), SCREEN semi-monthly per report delivered.
march_program_lines = [
    ("PRG-WELL", D(2026, 3, 2), [("Plan A (PPO)", 300, 85, WS, WE), ("Plan B (HDHP)", 112, 85, WS, WE)]),
    ("PRG-VERIFY", WE, [("certificated staff", 300, 54, WS, WE), ("classified staff", 152, 54, WS, WE)]),
    ("PRG-SCREEN", D(2026, 3, 16), [("reports 2026-03-01 to 2026-03-15", 9, 2119, WS, D(2026, 3, 15))]),
    ("PRG-SCREEN", WE, [("reports 2026-03-16 to 2026-03-31", 6, 2119, D(2026, 3, 16), WE)]),
]
PROGRAM_LINES = {p[0]: [] for p in PROGRAMS}
for (prg, posted, parts) in march_program_lines:
    emp = next(p[1] for p in PROGRAMS if p[0] == prg)
    pname = next(p[2] for p in PROGRAMS if p[0] == prg)
    inv = new_invoice(emp, posted, "program")
    rule = "on_service_date" if prg == "PRG-SCREEN" else "ratable_daily"
    for (label, units, rate, a, b) in parts:
        line = inv.add(Line("program_fee", units * rate, rule,
                            f"{pname}, {label}, {units} x {money(rate)}", a, b, prg))
        line.units, line.rate, line.label = units, rate, label
        PROGRAM_LINES[prg].append(line)
for (prg, emp, pname, units, rate) in PROGRAMS:
    assert sum(l.amount for l in PROGRAM_LINES[prg]) == units * rate

# ---------------------------------------------------------------------------
# services delivered on a date (kind recurring, recognized on the service date)

SERVICES = [
    ("ACC-1004", D(2026, 3, 12), 180000, "Quarterly HIPAA access review, Q1 2026"),
    ("ACC-1014", D(2026, 3, 13), 240000, "Quarterly HIPAA access review, Q1 2026"),
    ("ACC-1031", D(2026, 3, 19), 195000, "Quarterly HIPAA access review, Q1 2026"),
    ("ACC-1015", D(2026, 3, 5), 65000, "Staff training: protected lookup workflows"),
    ("ACC-1012", D(2026, 3, 24), 65000, "Staff training: protected lookup workflows"),
    ("ACC-1002", D(2026, 3, 11), 45000, "Staff training, Spanish-language session"),
    ("ACC-1007", D(2026, 3, 10), 48000, "Report template configuration"),
    ("ACC-1027", D(2026, 3, 17), 90000, "Integration health check"),
    ("ACC-1033", D(2026, 3, 26), 110000, "Telehealth intake integration review"),
    ("ACC-1038", D(2026, 3, 4), 72500, "Eligibility feed onboarding, second location"),
    ("ACC-1018", D(2026, 3, 20), 39000, "Staff training: report builder"),
]
for (acc, on, amount, desc) in SERVICES:
    inv = new_invoice(acc, on, "service")
    inv.add(Line("recurring", amount, "on_service_date", f"{desc}, delivered {on}", on, None))

# Add-on seats, prorated to the end of the current subscription cycle.
ADDONS = [
    ("ACC-1001", D(2026, 3, 10), D(2026, 3, 31), 3, 4800),
    ("ACC-1006", D(2026, 3, 20), D(2026, 4, 14), 2, 5400),
    ("ACC-1017", D(2026, 3, 23), D(2026, 4, 14), 4, 3500),
    ("ACC-1033", D(2026, 3, 9), D(2026, 3, 31), 5, 6400),
    ("ACC-1014", D(2026, 3, 16), D(2026, 3, 31), 10, 6400),
    ("ACC-1010", D(2026, 3, 18), D(2026, 3, 31), 2, 2950),
]
for (acc, a, b, seats, per_seat) in ADDONS:
    amount = seats * per_seat * ((b - a).days + 1) // 31   # both March cycles have 31 days
    inv = new_invoice(acc, a, "addon")
    inv.add(Line("recurring", amount, "ratable_daily",
                 f"{seats} additional seats @ {money(per_seat)}/month, prorated {a} to {b}", a, b))

# Courtesy discount and a late fee, as invoice lines of kind adjustment.
SUBS[("ACC-1038", WS, 1)].add(Line("adjustment", -5000, "immediate", "Courtesy discount, Q1 renewal"))
LATE_FEE_INV = SUBS[("ACC-1013", WS, 1)]
LATE_FEE_INV.add(Line("adjustment", 2500, "immediate",
                      "Late fee, subscription 2025-12 more than 60 days past due"))
LATE_FEE_INV.special = True

# ---------------------------------------------------------------------------
# voids (posted, never paid, voided; the ledger posts then reverses them)

VOIDS = []


def void_invoice(acc, posted, voided, lines, note):
    inv = new_invoice(acc, posted, "void")
    for l in lines:
        inv.add(l)
    inv.voided, inv.special, inv.void_note = voided, True, note
    VOIDS.append(inv)
    return inv


void_invoice("ACC-1006", D(2026, 3, 15), D(2026, 3, 16), [
    Line("recurring", 54000, "ratable_daily",
         "Northstar platform subscription, site 1, 2026-03-15 to 2026-04-14 (duplicate run)",
         D(2026, 3, 15), D(2026, 4, 14))], "duplicate subscription run")
void_invoice("ACC-1020", D(2026, 2, 20), D(2026, 3, 9), [
    Line("recurring", 145000, "on_service_date",
         "Sleep-study report integration, on-site setup, delivered 2026-02-19",
         D(2026, 2, 19), None)], "billed at the list rate instead of the contract rate")
void_invoice("ACC-1031", D(2026, 3, 18), D(2026, 3, 26), [
    Line("recurring", 84000, "ratable_daily",
         "8 additional seats @ 99.00/month, prorated 2026-03-18 to 2026-04-14",
         D(2026, 3, 18), D(2026, 4, 14))], "seats added in error")
void_invoice("ACC-1025", D(2026, 3, 24), D(2026, 3, 30), [
    Line("recurring", 68000, "ratable_daily",
         "Northstar platform subscription, hospice home-care unit, 2026-03-24 to 2026-04-14",
         D(2026, 3, 24), D(2026, 4, 14))], "billed to the wrong entity; to be reissued in April")

# Pinecrest's reissue at the contract rate (service in February: billed in March,
# recognized in February).
inv = new_invoice("ACC-1020", D(2026, 3, 9), "service")
inv.add(Line("recurring", 120000, "on_service_date",
             "Sleep-study report integration, on-site setup, delivered 2026-02-19 (reissue)",
             D(2026, 2, 19), None))

# ---------------------------------------------------------------------------
# drafts for April (not AR)

for (acc, site) in [("ACC-1002", 1), ("ACC-1005", 1), ("ACC-1008", 1), ("ACC-1008", 2),
                    ("ACC-1010", 1), ("ACC-1016", 1), ("ACC-1022", 1), ("ACC-1029", 1),
                    ("ACC-1032", 1), ("ACC-1034", 1)]:
    c = ACCOUNT[acc]
    a, b = D(2026, 4, 1), D(2026, 4, 30)
    inv = new_invoice(acc, None, "draft", due=D(2026, 4, 1), status="draft")
    label = f", site {site}" if c[2] > 1 else ""
    inv.add(Line("recurring", c[3], "ratable_daily",
                 f"Northstar platform subscription{label}, {a} to {b}", a, b))

# ---------------------------------------------------------------------------
# sales tax, on every taxable account's non-draft invoice

for inv in invoices:
    bp = ACCOUNT[inv.account][5] if inv.account in ACCOUNT else 0
    if bp and inv.status != "draft":
        sub = sum(l.amount for l in inv.lines)
        inv.add(Line("tax", pct(sub, bp), "immediate", f"Sales tax {bp // 100}.{bp % 100:02d}%"))
for inv in invoices:
    if inv.status == "draft":
        bp = ACCOUNT[inv.account][5]
        if bp:
            inv.add(Line("tax", pct(inv.total(), bp), "immediate",
                         f"Sales tax {bp // 100}.{bp % 100:02d}%"))

# ---------------------------------------------------------------------------
# cash and credits

AUTH = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


CARD_LAST4 = {acc: rng.randint(1000, 9999) for acc, p in sorted(PAYER.items()) if p == "card"}


def card_ref(acc):
    return f"Card autopay, Visa ending {CARD_LAST4[acc]}, auth " + \
        "".join(rng.choice(AUTH) for _ in range(6))


def ach_ref():
    return f"ACH CCD trace {rng.randint(10**14, 10**15 - 1)}"


def check_ref():
    return f"Check #{rng.randint(10000, 29999)} (lockbox 7721)"


def pay(acc, on, amount, ref, kind="payment", related=None):
    p = Row(account=acc, kind=kind, related=related, on=on, amount=amount, ref=ref)
    payments.append(p)
    return p


def credit(acc, on, amount, reason, kind="credit", related=None):
    c = Row(account=acc, kind=kind, related=related, on=on, amount=amount, reason=reason)
    credits.append(c)
    return c


def disburse(source, inv, on, amount):
    assert inv.status in ("posted", "closed") and inv.posted <= on, (inv.account, inv.posted, on)
    d = Row(source=source, inv=inv, on=on, amount=amount)
    disbursements.append(d)
    inv.moves.append((on, -amount))
    return d


def system_adjustment(inv, on, amount, reference):
    adjust_rows.append(Row(inv=inv, on=on, amount=amount, ref=reference))
    inv.moves.append((on, amount))


# Hand-written scenarios, run on their day before the regular payment runs.
SCENARIOS = {}


def on_day(d):
    def register(fn):
        SCENARIOS.setdefault(d, []).append(fn)
        return fn
    return register


# 1. Chargeback: Redwood Coast Dermatology's March subscription, paid by card autopay on
#    03-01, disputed by the cardholder on 03-19; the payment is unwound from the invoice.
CB_INV = SUBS[("ACC-1011", WS, 1)]
CB_INV.special = True


@on_day(WS)
def _():
    p = pay("ACC-1011", WS, CB_INV.balance(WS), card_ref("ACC-1011"))
    disburse(p, CB_INV, WS, p.amount)
    CB_INV.cb_payment = p


@on_day(D(2026, 3, 19))
def _():
    p = CB_INV.cb_payment
    cb = pay("ACC-1011", D(2026, 3, 19), p.amount,
             "Visa dispute 4410-2291, reason 10.4 (cardholder does not recognize)",
             kind="chargeback", related=p)
    d = disburse(p, CB_INV, cb.on, -p.amount)
    d.unwinds = cb


# 2. Reversal: Riverbend's ACH for its February subscription came back R01 (insufficient
#    funds); they re-paid by wire a week later.
RV_INV = SUBS[("ACC-1019", FEB1, 1)]
RV_INV.special = True


@on_day(D(2026, 3, 4))
def _():
    p = pay("ACC-1019", D(2026, 3, 4), RV_INV.balance(), ach_ref())
    disburse(p, RV_INV, p.on, p.amount)
    RV_INV.rv_payment = p


@on_day(D(2026, 3, 9))
def _():
    p = RV_INV.rv_payment
    rv = pay("ACC-1019", D(2026, 3, 9), p.amount, "ACH return R01, insufficient funds",
             kind="reversal", related=p)
    d = disburse(p, RV_INV, rv.on, -p.amount)
    d.unwinds = rv


@on_day(D(2026, 3, 17))
def _():
    p = pay("ACC-1019", D(2026, 3, 17), RV_INV.balance(), "Wire 20260317-88412")
    disburse(p, RV_INV, p.on, p.amount)


# 3. Duplicate remittance, refunded: Greenfield Radiology paid its February site-1
#    subscription twice; the second payment was never applied and was refunded on 03-20.
DUP_INV = SUBS[("ACC-1027", FEB1, 1)]
DUP_INV.special = True


@on_day(D(2026, 3, 5))
def _():
    p = pay("ACC-1027", D(2026, 3, 5), DUP_INV.balance(), ach_ref())
    disburse(p, DUP_INV, p.on, p.amount)
    DUP_INV.dup = pay("ACC-1027", D(2026, 3, 6), p.amount, ach_ref() + " (duplicate remittance)")


@on_day(D(2026, 3, 20))
def _():
    p = DUP_INV.dup
    pay("ACC-1027", D(2026, 3, 20), p.amount,
        "ACH refund of duplicate remittance, ticket FIN-4502", kind="refund", related=p)


# 4. Unapplied cash: Northwind Telehealth paid on 03-30 without remittance advice; Keystone
#    Renal overpaid its site-1 subscription by 187.60.
@on_day(D(2026, 3, 30))
def _():
    inv = SUBS[("ACC-1033", WS, 1)]
    pay("ACC-1033", D(2026, 3, 30), inv.total(), ach_ref() + " (remittance advice pending)")


KR_INV = SUBS[("ACC-1030", WS, 1)]
KR_INV.special = True


@on_day(D(2026, 3, 26))
def _():
    p = pay("ACC-1030", D(2026, 3, 26), KR_INV.balance() + 18760,
            check_ref() + " (overpaid; customer to advise)")
    disburse(p, KR_INV, p.on, KR_INV.balance())


# 5. Partial payment: Sunrise Senior Care paid half of its site-1 March subscription
#    pending a seat-count dispute.
SP_INV = SUBS[("ACC-1036", WS, 1)]
SP_INV.special = True


@on_day(D(2026, 3, 20))
def _():
    p = pay("ACC-1036", D(2026, 3, 20), SP_INV.total() // 2, check_ref())
    disburse(p, SP_INV, p.on, p.amount)


# 6. Tidewater paid 200.00 on its February subscription in February (opening balance is the
#    rest) and the rest on 03-12.
TW_INV = SUBS[("ACC-1021", FEB1, 1)]
TW_INV.special = True


@on_day(D(2026, 2, 24))
def _():
    p = pay("ACC-1021", D(2026, 2, 24), 20000, check_ref())
    disburse(p, TW_INV, p.on, p.amount)


@on_day(D(2026, 3, 12))
def _():
    p = pay("ACC-1021", D(2026, 3, 12), TW_INV.balance(), check_ref())
    disburse(p, TW_INV, p.on, p.amount)


# 7. Small-balance write-off: Centro Médico's check for its February subscription arrived
#    0.37 short (bank fee); the balance was written off by a system adjustment.
WO_INV = SUBS[("ACC-1009", D(2026, 2, 15), 1)]
WO_INV.special = True


@on_day(D(2026, 3, 10))
def _():
    p = pay("ACC-1009", D(2026, 3, 10), WO_INV.balance() - 37, "Check #4471 (lockbox 7721)")
    disburse(p, WO_INV, p.on, p.amount)


@on_day(D(2026, 3, 11))
def _():
    system_adjustment(WO_INV, D(2026, 3, 11), -37,
                      "Small-balance write-off under 1.00 per policy AR-7 (bank fee on check #4471)")


# 8. Late fee waived on Prairie Wind's March invoice.
@on_day(D(2026, 3, 18))
def _():
    system_adjustment(LATE_FEE_INV, D(2026, 3, 18), -2500, "Late fee waived per ticket FIN-4471")


# 9. Credits.
@on_day(D(2026, 3, 3))
def _():
    c = credit("ACC-1015", D(2026, 3, 3), 40000, "SLA credit, February report latency")
    disburse(c, SUBS[("ACC-1015", D(2026, 2, 15), 1)], c.on, c.amount)


@on_day(D(2026, 3, 6))
def _():
    for acc, site, amount in (("ACC-1004", 1, 25000), ("ACC-1007", 1, 12000), ("ACC-1012", 1, 8500)):
        c = credit(acc, D(2026, 3, 6), amount, "Service credit, outage 2026-03-03")
        disburse(c, SUBS[(acc, WS, site)], c.on, c.amount)


@on_day(D(2026, 3, 9))
def _():
    c = credit("ACC-1014", D(2026, 3, 9), 30000, "Service credit, outage 2026-03-03")
    disburse(c, SUBS[("ACC-1014", WS, 2)], c.on, c.amount)


@on_day(D(2026, 3, 11))
def _():
    c = credit("ACC-1028", D(2026, 3, 11), 6000, "Service credit, outage 2026-03-03")
    D12 = D(2026, 3, 12)
    credit("ACC-1028", D12, 6000, "Issued to the wrong account (meant for ACC-1026)",
           kind="reversal", related=c)
    credit("ACC-1026", D12, 6000, "Service credit, outage 2026-03-03 (reissued from ACC-1028)")


@on_day(D(2026, 3, 24))
def _():
    credit("ACC-1023", D(2026, 3, 24), 15000, "Goodwill credit, onboarding delay (ticket CS-1189)")


@on_day(D(2026, 3, 30))
def _():
    credit(GL_SHORT_ACCOUNT, D(2026, 3, 30), GL_SHORT,
           "Billing correction: 25 duplicate protected lookups on 2026-03-27 @ 0.39, "
           "to apply in April")


# Regular payment behaviour: card accounts pay on posting; ACH and check accounts pay in
# runs every 14 days, everything posted at least MIN_AGE days before; slow ones every 28.
MIN_AGE = {"ach": 20, "check": 24, "slow": 45}
EVERY = {"ach": 14, "check": 14, "slow": 28}
REF = {"ach": ach_ref, "check": check_ref, "slow": check_ref}
first_run = {acc: days(FEB1, rng.randint(0, EVERY[p] - 1))
             for acc, p in sorted(PAYER.items()) if p in MIN_AGE}

day = FEB1
while day <= WE:
    for fn in SCENARIOS.get(day, []):
        fn()
    for acc in sorted(PAYER):
        behaviour = PAYER[acc]
        open_invs = [i for i in invoices if i.account == acc and not i.special
                     and i.status == "posted" and i.posted is not None]
        if behaviour == "card":
            for inv in open_invs:
                if inv.posted == day and inv.balance(day) > 0:
                    p = pay(acc, day, inv.balance(day), card_ref(acc))
                    disburse(p, inv, day, p.amount)
        elif behaviour in MIN_AGE and (day - first_run[acc]).days % EVERY[behaviour] == 0 \
                and day >= first_run[acc]:
            due = [i for i in open_invs
                   if (day - i.posted).days >= MIN_AGE[behaviour] and i.balance(day) > 0]
            if due:
                p = pay(acc, day, sum(i.balance(day) for i in due), REF[behaviour]())
                for inv in sorted(due, key=lambda i: (i.posted, i.order)):
                    disburse(p, inv, day, inv.balance(day))
    day = days(day, 1)

# The snapshot holds what is open at the start of the window or moves in it: February
# invoices paid off in February (and those payments) were closed in the February close.
dropped = {id(i) for i in invoices
           if i.posted and i.posted < WS and i.status == "posted" and not i.special
           and i.balance(days(WS, -1)) == 0}
gone_payments = set()
for d in disbursements:
    if id(d.inv) in dropped:
        assert d.on < WS
        gone_payments.add(id(d.source))
for d in disbursements:
    if id(d.source) in gone_payments:
        assert id(d.inv) in dropped, "a February payment also paid a kept invoice"
invoices = [i for i in invoices if id(i) not in dropped]
disbursements = [d for d in disbursements if id(d.inv) not in dropped]
payments = [p for p in payments if id(p) not in gone_payments]

for inv in invoices:
    if inv.status == "posted" and inv.balance() == 0:
        inv.status = "closed"
    elif inv.role == "void":
        inv.status = "void"
    assert inv.status in ("draft", "void") or inv.balance() >= 0

# ---------------------------------------------------------------------------
# ids


seq = {}
for inv in sorted(invoices, key=lambda i: (i.posted or D(2026, 4, 1), i.status == "draft", i.account, i.order)):
    ym = "2604" if inv.status == "draft" else inv.posted.strftime("%y%m")
    seq[ym] = seq.get(ym, 0) + 1
    inv.id = f"INV-{ym}{seq[ym]:04d}"
invoices.sort(key=lambda i: i.id)

n = 0
for inv in invoices:
    for line in inv.lines:
        n += 1
        line.id = f"LN-{n:05d}"

KIND_PREFIX = {"payment": "PAY", "reversal": "REV", "refund": "RFD", "chargeback": "CHB"}
payments.sort(key=lambda p: (p.on, p.kind != "payment", p.account))
counter = {}
for p in payments:
    counter[p.kind] = counter.get(p.kind, 0) + 1
    p.id = f"{KIND_PREFIX[p.kind]}-{counter[p.kind]:04d}"

credits.sort(key=lambda c: (c.on, c.kind != "credit", c.account))
for i, c in enumerate(credits, 1):
    c.id = f"CR-{i:04d}"

disbursements.sort(key=lambda d: (d.on, d.source.id, d.inv.id))
for i, d in enumerate(disbursements, 1):
    d.id = f"DSB-{i:05d}"

events.sort(key=lambda e: (e["at"], e["account"], e["kind"]))
for i, e in enumerate(events, 1):
    e["id"] = f"UE-{i:05d}"

# ---------------------------------------------------------------------------
# the ledger (account invoice transaction trail)

L = []  # (timestamp, order, account, invoice id, kind, amount, reference)
for inv in invoices:
    if inv.status == "draft":
        continue
    L.append((ts(inv.posted, 6, 0) , 0, inv.account, inv.id, "invoice_posted", inv.total(), ""))
    if inv.status == "void":
        L.append((ts(inv.voided, 17, 30), 5, inv.account, inv.id, "void", -inv.total(), inv.id))
for d in disbursements:
    if d.amount > 0:
        kind = "payment_disbursed" if d.source.kind == "payment" else "credit_disbursed"
        L.append((ts(d.on, 14, 0), 2, d.inv.account, d.inv.id, kind, -d.amount, d.id))
    else:
        row = d.unwinds
        L.append((ts(d.on, 15, 0), 3, d.inv.account, d.inv.id, row.kind, -d.amount, row.id))
for p in payments:
    if p.kind == "refund":
        L.append((ts(p.on, 15, 30), 3, p.account, "", "refund", -p.amount, p.id))
for a in adjust_rows:
    L.append((ts(a.on, 16, 0), 4, a.inv.account, a.inv.id, "adjustment", a.amount, a.ref))
L.sort(key=lambda r: (r[0], r[1], r[3], r[6]))
ledger = [(f"LG-{i:05d}",) + r for i, r in enumerate(L, 1)]

# ---------------------------------------------------------------------------
# employer statements and exports

receivable = [i for i in invoices if i.status in ("posted", "closed")]
closing = {}
for inv in receivable:
    closing[inv.account] = closing.get(inv.account, 0) + inv.balance()
ledger_ar = {}
for row in ledger:
    if row[5] != "refund":
        ledger_ar[row[3]] = ledger_ar.get(row[3], 0) + row[6]
assert all(ledger_ar.get(a, 0) == closing.get(a, 0) for a in set(closing) | set(ledger_ar))
assert sum(closing.values()) == sum(ledger_ar.values())

statements, statement_lines = [], []
for (prg, emp, pname, units, rate) in PROGRAMS:
    sid = f"STM-{prg[4:]}-2026-03"
    total = units * rate
    if prg == "PRG-VERIFY":
        total = units * (rate + 1)   # the header still uses the old rate, 0.55
        assert total - units * rate == STATEMENT_OVER
    statements.append((sid, prg, WE.isoformat(), money(total)))
    for line in PROGRAM_LINES[prg]:
        statement_lines.append((sid, line.id, f"{pname}, {line.label}, {line.units} x {money(line.rate)}",
                                money(line.amount)))
statement_lines = [(f"STL-{i:03d}",) + r for i, r in enumerate(statement_lines, 1)]

batches, export_lines = [], []
gl = []
for acc in sorted(closing):
    if closing[acc]:
        amt = closing[acc] - (GL_SHORT if acc == GL_SHORT_ACCOUNT else 0)
        gl.append((acc, "", amt))
bx = [(acc, "", ledger_ar[acc]) for acc in sorted(ledger_ar) if ledger_ar[acc]]
close_pop = [i for i in receivable if WS <= i.posted <= WE]
arch = [(i.account, i.id, i.total()) for i in close_pop]
for (bid, kind, dest, at, rows, prefix) in [
    ("ARCH-2026-03", "archive", "s3-archive", ts(WE, 22, 10), arch, "ARL"),
    ("BX-2026-03", "billing_extract", "billing-extract", ts(WE, 22, 5), bx, "BXL"),
    ("GL-2026-03", "gl", "netsuite-gl", ts(WE, 22, 0), gl, "GLL"),
]:
    batches.append((bid, kind, dest, at, money(sum(r[2] for r in rows))))
    for i, (acc, inv_id, amt) in enumerate(rows, 1):
        export_lines.append((f"{prefix}-{i:03d}", bid, acc, inv_id, money(amt)))
export_lines.sort(key=lambda r: r[0])

# ---------------------------------------------------------------------------
# write


def write(name, header, rows):
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(["" if v is None else v for v in r])
    print(f"{name:24} {len(rows):5} rows")


def d_or_empty(d):
    return d.isoformat() if d else ""


write("period.csv", list(PERIOD), [list(PERIOD.values())])
write("lane_owners.csv", ["lane", "owner"], LANE_OWNERS)
write("accounts.csv", ["id", "name", "kind"],
      [(c[0], c[1], "customer") for c in CUSTOMERS] + [(e[0], e[1], "employer") for e in EMPLOYERS])
write("invoices.csv", ["id", "account_id", "status", "posted_at", "voided_at", "due_date", "total", "balance"],
      [(i.id, i.account, i.status, d_or_empty(i.posted), d_or_empty(i.voided), i.due.isoformat(),
        money(i.total()), money(0 if i.status == "void" else i.balance())) for i in invoices])
write("invoice_lines.csv", ["id", "invoice_id", "kind", "program_id", "service_start", "service_end",
                            "amount", "revenue_rule", "description"],
      [(l.id, i.id, l.kind, l.program or "", d_or_empty(l.start), d_or_empty(l.end), money(l.amount),
        l.rule, l.desc) for i in invoices for l in i.lines])
write("payments.csv", ["id", "account_id", "kind", "related_payment_id", "occurred_on", "amount", "reference"],
      [(p.id, p.account, p.kind, p.related.id if p.related else "", p.on.isoformat(), money(p.amount), p.ref)
       for p in payments])
write("credits.csv", ["id", "account_id", "kind", "related_credit_id", "issued_on", "amount", "reason"],
      [(c.id, c.account, c.kind, c.related.id if c.related else "", c.on.isoformat(), money(c.amount),
        c.reason) for c in credits])
write("disbursements.csv", ["id", "source_kind", "source_id", "invoice_id", "disbursed_on", "amount"],
      [(d.id, "payment" if d.source.kind == "payment" else "credit", d.source.id, d.inv.id, d.on.isoformat(),
        money(d.amount)) for d in disbursements])
write("ledger.csv", ["id", "account_id", "invoice_id", "occurred_at", "kind", "amount", "reference"],
      [(r[0], r[3], r[4], r[1], r[5], money(r[6]), r[7]) for r in ledger])
write("usage_events.csv", ["id", "account_id", "kind", "occurred_at", "units", "rated_amount", "state",
                           "invoice_line_id", "reprocessed_at"],
      [(e["id"], e["account"], e["kind"], e["at"].strftime("%Y-%m-%dT%H:%M:%SZ"), e["units"],
        money(e["amount"]), "rated", e["line"].id,
        e["reprocessed"].strftime("%Y-%m-%dT%H:%M:%SZ") if "reprocessed" in e else "")
       for e in events])
write("export_batches.csv", ["id", "kind", "destination", "created_at", "total"], batches)
write("export_lines.csv", ["id", "batch_id", "account_id", "invoice_id", "amount"], export_lines)
write("employer_programs.csv", ["id", "employer_account_id", "name", "basis_units", "rate"],
      [(p[0], p[1], p[2], p[3], money(p[4])) for p in PROGRAMS])
write("program_statements.csv", ["id", "program_id", "issued_on", "total"], statements)
write("statement_lines.csv", ["id", "statement_id", "invoice_line_id", "description", "amount"],
      statement_lines)
write("roster.csv", ["login", "display_name", "role"], ROSTER)
