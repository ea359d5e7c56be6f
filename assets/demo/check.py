#!/usr/bin/env python3
"""An independent checker for a closedesk CSV period (by default the demo beside this file).

    python3 assets/demo/check.py [DIR]

1. Validates the CSV format of docs/snapshot-format.md: exact header columns, one row in
   period.csv, ids, unique ids, amounts (plain, at most two decimals), dates, timestamps,
   words, required and conditional cells, and that every reference names a row.
2. Checks that the data is internally consistent the way a billing platform's export would
   be (ledger row for every disbursement and posting, status closed iff nothing is owed,
   usage events add up to the lines that billed them, ...). These are *not* reconciliation
   mismatches; for the demo there must be none.
3. Runs every check of docs/reconciliation.md in plain Python on integer cents and prints
   every figure and every mismatch (key, expected, actual, variance, severity, owner).

Exit status: 0 when the files are valid and consistent (mismatches are findings, not
failures), 1 on consistency problems, 2 on format errors. Stdlib only; never floats.
"""

import csv
import datetime as dt
import os
import re
import sys

DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------
# 1. format (docs/snapshot-format.md)

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
LOGIN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
AMOUNT_RE = re.compile(r"^(-?)([0-9]+)(?:\.([0-9]{1,2}))?$")
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
TS_RE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z?$")
MAX_CENTS = 10 ** 15

LANES = ["usage", "exports", "employer_programs", "statements", "invoices", "disbursements",
         "ledger", "adjustments", "revenue"]

# file -> [(column, type, optional)]; type: id, login, text, amount, date, ts, int,
# word:<a|b>, ref:<file>, periodid, currency
REQ, OPT = False, True
SCHEMA = {
    "period.csv": [("id", "periodid", REQ), ("entity", "text", REQ), ("window_start", "date", REQ),
                   ("window_end", "date", REQ), ("currency", "currency", REQ),
                   ("close_owner", "text", REQ), ("materiality_medium", "amount", REQ),
                   ("materiality_high", "amount", REQ), ("materiality_critical", "amount", REQ),
                   ("last_clean_period", "periodid", OPT), ("last_clean_date", "date", OPT)],
    "lane_owners.csv": [("lane", "word:" + "|".join(LANES), REQ), ("owner", "login", REQ)],
    "accounts.csv": [("id", "id", REQ), ("name", "text", REQ), ("kind", "word:customer|employer", REQ)],
    "invoices.csv": [("id", "id", REQ), ("account_id", "ref:accounts.csv", REQ),
                     ("status", "word:draft|posted|closed|void", REQ), ("posted_at", "date", OPT),
                     ("voided_at", "date", OPT), ("due_date", "date", REQ), ("total", "amount", REQ),
                     ("balance", "amount", REQ)],
    "invoice_lines.csv": [("id", "id", REQ), ("invoice_id", "ref:invoices.csv", REQ),
                          ("kind", "word:usage|program_fee|recurring|tax|adjustment", REQ),
                          ("program_id", "ref:employer_programs.csv", OPT), ("service_start", "date", OPT),
                          ("service_end", "date", OPT), ("amount", "amount", REQ),
                          ("revenue_rule", "word:immediate|ratable_daily|on_service_date", REQ),
                          ("description", "text", OPT)],
    "payments.csv": [("id", "id", REQ), ("account_id", "ref:accounts.csv", REQ),
                     ("kind", "word:payment|reversal|refund|chargeback", REQ),
                     ("related_payment_id", "ref:payments.csv", OPT), ("occurred_on", "date", REQ),
                     ("amount", "amount", REQ), ("reference", "text", OPT)],
    "credits.csv": [("id", "id", REQ), ("account_id", "ref:accounts.csv", REQ),
                    ("kind", "word:credit|reversal", REQ), ("related_credit_id", "ref:credits.csv", OPT),
                    ("issued_on", "date", REQ), ("amount", "amount", REQ), ("reason", "text", OPT)],
    "disbursements.csv": [("id", "id", REQ), ("source_kind", "word:payment|credit", REQ),
                          ("source_id", "id", REQ), ("invoice_id", "ref:invoices.csv", REQ),
                          ("disbursed_on", "date", REQ), ("amount", "amount", REQ)],
    "ledger.csv": [("id", "id", REQ), ("account_id", "ref:accounts.csv", REQ),
                   ("invoice_id", "ref:invoices.csv", OPT), ("occurred_at", "ts", REQ),
                   ("kind", "word:invoice_posted|payment_disbursed|credit_disbursed|void|adjustment|"
                            "reversal|refund|chargeback", REQ),
                   ("amount", "amount", REQ), ("reference", "text", OPT)],
    "usage_events.csv": [("id", "id", REQ), ("account_id", "ref:accounts.csv", REQ),
                         ("kind", "word:protected_lookup|report|export", REQ), ("occurred_at", "ts", REQ),
                         ("units", "int", REQ), ("rated_amount", "amount", OPT),
                         ("state", "word:rated|unprocessed|rerating", REQ),
                         ("invoice_line_id", "ref:invoice_lines.csv", OPT), ("reprocessed_at", "ts", OPT)],
    "export_batches.csv": [("id", "id", REQ), ("kind", "word:gl|billing_extract|archive", REQ),
                           ("destination", "text", REQ), ("created_at", "ts", REQ), ("total", "amount", REQ)],
    "export_lines.csv": [("id", "id", REQ), ("batch_id", "ref:export_batches.csv", REQ),
                         ("account_id", "ref:accounts.csv", REQ), ("invoice_id", "ref:invoices.csv", OPT),
                         ("amount", "amount", REQ)],
    "employer_programs.csv": [("id", "id", REQ), ("employer_account_id", "ref:accounts.csv", REQ),
                              ("name", "text", REQ), ("basis_units", "int", REQ), ("rate", "amount", REQ)],
    "program_statements.csv": [("id", "id", REQ), ("program_id", "ref:employer_programs.csv", REQ),
                               ("issued_on", "date", REQ), ("total", "amount", REQ)],
    "statement_lines.csv": [("id", "id", REQ), ("statement_id", "ref:program_statements.csv", REQ),
                            ("invoice_line_id", "ref:invoice_lines.csv", OPT), ("description", "text", OPT),
                            ("amount", "amount", REQ)],
    "roster.csv": [("login", "login", REQ), ("display_name", "text", REQ),
                   ("role", "word:operator|reviewer|lead", REQ)],
}
KEY = {f: ("login" if f == "roster.csv" else "lane" if f == "lane_owners.csv" else "id") for f in SCHEMA}

errors = []   # format errors: file:line:column: reason
style = []    # demo house style (exactly two decimals, sorted files): warnings


def err(f, line, col, why):
    errors.append(f"{f}:{line}:{col}: {why}")


def parse_amount(text):
    m = AMOUNT_RE.match(text)
    if not m:
        return None
    cents = int(m.group(2)) * 100 + int((m.group(3) or "0").ljust(2, "0"))
    if cents >= MAX_CENTS:
        return None
    return -cents if m.group(1) else cents


def parse_date(text):
    if not DATE_RE.match(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def parse_ts(text):
    m = TS_RE.match(text)
    if not m:
        return None
    try:
        return dt.datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}:{m.group(3)}:{m.group(4)}")
    except ValueError:
        return None


raw = {}      # file -> list of (line number, dict of raw cells)
for f, cols in SCHEMA.items():
    path = os.path.join(DIR, f)
    if not os.path.exists(path):
        err(f, 0, "-", "file is missing")
        raw[f] = []
        continue
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        err(f, 1, "-", "no header row")
        raw[f] = []
        continue
    header = rows[0]
    want = [c[0] for c in cols]
    for c in header:
        if c not in want:
            err(f, 1, c, "unknown column")
    for c in want:
        if c not in header:
            err(f, 1, c, "missing column")
    if len(set(header)) != len(header):
        err(f, 1, "-", "a column is named twice")
    out = []
    for n, r in enumerate(rows[1:], start=2):
        if r == []:
            continue
        if len(r) != len(header):
            err(f, n, "-", f"{len(r)} cells, the header has {len(header)}")
            continue
        out.append((n, dict(zip(header, r))))
    raw[f] = out

ids = {f: set() for f in SCHEMA}
for f, rows in raw.items():
    key = KEY[f]
    for n, r in rows:
        k = r.get(key, "")
        if k in ids[f]:
            err(f, n, key, f"duplicate {key} {k!r}")
        ids[f].add(k)
if len(raw["period.csv"]) != 1:
    err("period.csv", 2, "-", f"exactly one row expected, found {len(raw['period.csv'])}")

data = {}
for f, cols in SCHEMA.items():
    parsed = []
    for n, r in raw[f]:
        row = {"_line": n}
        for (c, typ, optional) in cols:
            if c not in r:
                continue
            v = r[c]
            if v == "":
                if not optional:
                    err(f, n, c, "empty, but the column is required")
                row[c] = None
                continue
            if typ in ("id", "login"):
                if not (ID_RE if typ == "id" else LOGIN_RE).match(v):
                    err(f, n, c, f"not an id: {v!r}")
                row[c] = v
            elif typ == "amount":
                a = parse_amount(v)
                if a is None:
                    err(f, n, c, f"not a plain amount with at most two decimals: {v!r}")
                elif not re.match(r"^-?[0-9]+\.[0-9]{2}$", v):
                    style.append(f"{f}:{n}:{c}: amount {v!r} is not written with exactly two decimals")
                row[c] = a
            elif typ == "date":
                row[c] = parse_date(v)
                if row[c] is None:
                    err(f, n, c, f"not a date YYYY-MM-DD: {v!r}")
            elif typ == "ts":
                row[c] = parse_ts(v)
                if row[c] is None:
                    err(f, n, c, f"not a timestamp YYYY-MM-DDTHH:MM:SSZ: {v!r}")
            elif typ == "int":
                if not re.match(r"^[0-9]+$", v):
                    err(f, n, c, f"not a whole number: {v!r}")
                    row[c] = None
                else:
                    row[c] = int(v)
            elif typ.startswith("word:"):
                if v not in typ[5:].split("|"):
                    err(f, n, c, f"{v!r} is not one of {typ[5:].replace('|', ', ')}")
                row[c] = v
            elif typ.startswith("ref:"):
                target = typ[4:]
                if not ID_RE.match(v):
                    err(f, n, c, f"not an id: {v!r}")
                elif v not in ids[target]:
                    err(f, n, c, f"{v!r} names no row of {target}")
                row[c] = v
            elif typ == "periodid":
                if not re.match(r"^[0-9]{4}-(0[1-9]|1[0-2])$", v):
                    err(f, n, c, f"not a period id YYYY-MM: {v!r}")
                row[c] = v
            elif typ == "currency":
                if not re.match(r"^[A-Z]{3}$", v):
                    err(f, n, c, f"not an ISO 4217 code: {v!r}")
                row[c] = v
            else:
                row[c] = v
        parsed.append(row)
    data[f] = parsed


def conditional(f, cond, n, col, why):
    if cond:
        err(f, n, col, why)


for r in data["invoices.csv"]:
    n = r["_line"]
    conditional("invoices.csv", r["status"] != "draft" and r["posted_at"] is None, n, "posted_at",
                "required unless the invoice is a draft")
    conditional("invoices.csv", r["status"] == "void" and r["voided_at"] is None, n, "voided_at",
                "required for a void invoice")
    conditional("invoices.csv", r["status"] != "void" and r["voided_at"] is not None, n, "voided_at",
                "must be empty unless the invoice is void")
for r in data["invoice_lines.csv"]:
    conditional("invoice_lines.csv", r["kind"] == "program_fee" and not r["program_id"], r["_line"],
                "program_id", "required for a program_fee line")
for r in data["payments.csv"]:
    conditional("payments.csv", r["kind"] != "payment" and not r["related_payment_id"], r["_line"],
                "related_payment_id", f"required for a {r['kind']}")
    conditional("payments.csv", r["amount"] is not None and r["amount"] <= 0, r["_line"], "amount",
                "must be positive")
for r in data["credits.csv"]:
    conditional("credits.csv", r["kind"] == "reversal" and not r["related_credit_id"], r["_line"],
                "related_credit_id", "required for a reversal")
    conditional("credits.csv", r["amount"] is not None and r["amount"] <= 0, r["_line"], "amount",
                "must be positive")
for r in data["disbursements.csv"]:
    target = "payments.csv" if r["source_kind"] == "payment" else "credits.csv"
    conditional("disbursements.csv", r["source_id"] not in ids[target], r["_line"], "source_id",
                f"{r['source_id']!r} names no row of {target}")
for r in data["ledger.csv"]:
    conditional("ledger.csv", r["kind"] != "refund" and not r["invoice_id"], r["_line"], "invoice_id",
                "required except for a refund")
for r in data["usage_events.csv"]:
    conditional("usage_events.csv", r["units"] is not None and r["units"] < 1, r["_line"], "units",
                "at least 1")
kinds = {a["id"]: a["kind"] for a in data["accounts.csv"]}
for r in data["employer_programs.csv"]:
    conditional("employer_programs.csv", kinds.get(r["employer_account_id"]) != "employer", r["_line"],
                "employer_account_id", "must name an employer account")

# house style: files sorted by id or by date
SORT_DATE = {"payments.csv": "occurred_on", "credits.csv": "issued_on", "disbursements.csv": "disbursed_on",
             "ledger.csv": "occurred_at", "usage_events.csv": "occurred_at"}
for f, rows in data.items():
    keys = [r.get(KEY[f]) for r in rows]
    by_date = SORT_DATE.get(f)
    ok = keys == sorted(keys, key=lambda x: x or "")
    if not ok and by_date:
        ds = [r[by_date] for r in rows]
        ok = None not in ds and ds == sorted(ds)
    if not ok and f != "lane_owners.csv":
        style.append(f"{f}: rows are sorted neither by id nor by date")

if errors:
    print(f"FORMAT: {len(errors)} error(s)")
    for e in errors[:50]:
        print("  " + e)
    sys.exit(2)

# ---------------------------------------------------------------------------
# the data, indexed

P = data["period.csv"][0]
W0, W1 = P["window_start"], P["window_end"]
DAY_BEFORE = W0 - dt.timedelta(days=1)


def inw(d):
    return d is not None and W0 <= d <= W1


def m(c):
    sign = "-" if c < 0 else ""
    return f"{sign}{abs(c) // 100}.{abs(c) % 100:02d}"


def by(f, key="id"):
    return {r[key]: r for r in data[f]}


def group(f, key):
    out = {}
    for r in data[f]:
        out.setdefault(r[key], []).append(r)
    return out


accounts = by("accounts.csv")
invoices = by("invoices.csv")
lines = by("invoice_lines.csv")
lines_of = group("invoice_lines.csv", "invoice_id")
payments = by("payments.csv")
credits = by("credits.csv")
disb = [r for r in data["disbursements.csv"]]
ledger = data["ledger.csv"]
events = data["usage_events.csv"]
batches = by("export_batches.csv")
elines = group("export_lines.csv", "batch_id")
programs = by("employer_programs.csv")
statements = by("program_statements.csv")
slines = data["statement_lines.csv"]
owners = {r["lane"]: r["owner"] for r in data["lane_owners.csv"]}
AR_KINDS = {"invoice_posted", "payment_disbursed", "credit_disbursed", "void", "adjustment", "reversal",
            "chargeback"}


def receivable(inv):
    return inv["status"] in ("posted", "closed") and inv["posted_at"] is not None and inv["posted_at"] <= W1


REC = [i for i in data["invoices.csv"] if receivable(i)]
REC_IDS = {i["id"] for i in REC}
CLOSE = [i for i in REC if inw(i["posted_at"])]
CLOSE_IDS = {i["id"] for i in CLOSE}


def lines_total(inv_id):
    return sum(l["amount"] for l in lines_of.get(inv_id, []))


def service_date(line):
    return line["service_start"] or invoices[line["invoice_id"]]["posted_at"]


def billed_in_window(line):
    return line["invoice_id"] in REC_IDS and inw(service_date(line))


def ldate(row):
    return row["occurred_at"].date()


# ---------------------------------------------------------------------------
# 2. consistency of the data (not reconciliation checks)

problems = []


def problem(text):
    problems.append(text)


led_by_ref = group("ledger.csv", "reference")
for inv in data["invoices.csv"]:
    i = inv["id"]
    posted = [r for r in ledger if r["invoice_id"] == i and r["kind"] == "invoice_posted"]
    if inv["status"] == "draft":
        if posted or inv["posted_at"]:
            problem(f"draft {i} has a posting")
        continue
    if len(posted) != 1 or posted[0]["amount"] != inv["total"] or ldate(posted[0]) != inv["posted_at"]:
        problem(f"{i}: expected one invoice_posted ledger row of {m(inv['total'])} on {inv['posted_at']}")
    if any(r["account_id"] != inv["account_id"] for r in ledger if r["invoice_id"] == i):
        problem(f"{i}: a ledger row names another account")
    if inv["status"] in ("posted", "closed") and (inv["balance"] == 0) != (inv["status"] == "closed"):
        problem(f"{i}: status {inv['status']} with balance {m(inv['balance'])} (closed means fully paid)")
    if inv["balance"] < 0:
        problem(f"{i}: negative balance")
    if inv["status"] == "void":
        voids = [r for r in ledger if r["invoice_id"] == i and r["kind"] == "void"]
        before = sum(r["amount"] for r in ledger if r["invoice_id"] == i and r["kind"] in AR_KINDS
                     and r["kind"] != "void")
        if len(voids) != 1 or voids[0]["amount"] != -before or ldate(voids[0]) != inv["voided_at"]:
            problem(f"{i}: expected one void ledger row of {m(-before)} on {inv['voided_at']}")
    for l in lines_of.get(i, []):
        if l["kind"] == "usage" and inw(service_date(l)) and (l["service_end"] or W1) > W1:
            problem(f"{l['id']}: usage service period runs past the window")
for d in disb:
    inv = invoices[d["invoice_id"]]
    src = (payments if d["source_kind"] == "payment" else credits)[d["source_id"]]
    src_date = src.get("occurred_on") or src.get("issued_on")
    if src["kind"] not in ("payment", "credit"):
        problem(f"{d['id']}: disburses a {src['kind']} row")
    if src["account_id"] != inv["account_id"]:
        problem(f"{d['id']}: source and invoice belong to different accounts")
    if inv["posted_at"] is None or d["disbursed_on"] < inv["posted_at"] or d["disbursed_on"] < src_date:
        problem(f"{d['id']}: disbursed before the invoice posted or the value arrived")
    rows = led_by_ref.get(d["id"], [])
    if d["amount"] > 0:
        kind = d["source_kind"] + "_disbursed"
        if len(rows) != 1 or rows[0]["kind"] != kind or rows[0]["amount"] != -d["amount"] \
                or rows[0]["invoice_id"] != d["invoice_id"] or ldate(rows[0]) != d["disbursed_on"]:
            problem(f"{d['id']}: expected one {kind} ledger row of {m(-d['amount'])}")
    else:
        undo = [p for p in payments.values() if p["related_payment_id"] == d["source_id"]
                and p["kind"] in ("reversal", "chargeback") and p["occurred_on"] == d["disbursed_on"]
                and p["amount"] == -d["amount"]]
        if len(undo) != 1 or d["source_kind"] != "payment":
            problem(f"{d['id']}: a negative disbursement without its reversal/chargeback row")
        else:
            got = [r for r in led_by_ref.get(undo[0]["id"], []) if r["invoice_id"] == d["invoice_id"]]
            if sum(r["amount"] for r in got) != -d["amount"]:
                problem(f"{d['id']}: the {undo[0]['kind']} is not on the invoice's ledger")
disb_ids = {d["id"] for d in disb}
for r in ledger:
    if r["kind"] in ("payment_disbursed", "credit_disbursed") and r["reference"] not in disb_ids:
        problem(f"{r['id']}: {r['kind']} names no disbursement")
    if r["kind"] == "refund" and r["invoice_id"]:
        problem(f"{r['id']}: a refund names an invoice")
    if r["kind"] == "refund" and payments.get(r["reference"], {}).get("account_id") != r["account_id"]:
        problem(f"{r['id']}: refund of another account's payment")
for p in payments.values():
    rel = payments.get(p["related_payment_id"]) if p["related_payment_id"] else None
    if p["kind"] == "payment" and rel:
        problem(f"{p['id']}: a payment names a related payment")
    if rel and (rel["kind"] != "payment" or rel["account_id"] != p["account_id"] or rel["occurred_on"] > p["occurred_on"]):
        problem(f"{p['id']}: related payment {rel['id']} is not an earlier payment of the account")
for c in credits.values():
    rel = credits.get(c["related_credit_id"]) if c["related_credit_id"] else None
    if rel and (rel["kind"] != "credit" or rel["account_id"] != c["account_id"]):
        problem(f"{c['id']}: related credit {rel['id']} is not a credit of the account")
ev_of_line = {}
for e in events:
    if e["invoice_line_id"]:
        ev_of_line.setdefault(e["invoice_line_id"], []).append(e)
        l = lines[e["invoice_line_id"]]
        inv = invoices[l["invoice_id"]]
        if l["kind"] != "usage" or inv["account_id"] != e["account_id"]:
            problem(f"{e['id']}: billed on a line that is not the account's usage")
        if not (l["service_start"] <= e["occurred_at"].date() <= l["service_end"]):
            problem(f"{e['id']}: occurred outside its line's service period")
    if e["state"] == "rated" and (e["rated_amount"] is None or not e["invoice_line_id"]):
        problem(f"{e['id']}: rated without an amount or a line")
    if e["reprocessed_at"] is not None and e["reprocessed_at"] < e["occurred_at"]:
        problem(f"{e['id']}: reprocessed before it occurred")
for lid, evs in ev_of_line.items():
    if sum(e["rated_amount"] or 0 for e in evs) != lines[lid]["amount"]:
        problem(f"{lid}: its events add up to {m(sum(e['rated_amount'] or 0 for e in evs))}, "
                f"the line says {m(lines[lid]['amount'])}")
    if len({e["kind"] for e in evs}) != 1:
        problem(f"{lid}: one usage line bills events of several kinds")
for l in lines.values():
    inv = invoices[l["invoice_id"]]
    if l["kind"] == "usage" and inv["posted_at"] and inw(l["service_start"]) and l["id"] not in ev_of_line:
        problem(f"{l['id']}: a March usage line without events")
    if l["kind"] == "program_fee" and programs[l["program_id"]]["employer_account_id"] != inv["account_id"]:
        problem(f"{l['id']}: program fee billed to another account than the program's employer")
    if l["kind"] != "program_fee" and l["program_id"]:
        problem(f"{l['id']}: program_id on a {l['kind']} line")
# nothing happens after the window, except due dates and service periods
late = [r["id"] for r in ledger if ldate(r) > W1] + [d["id"] for d in disb if d["disbursed_on"] > W1] \
    + [p["id"] for p in payments.values() if p["occurred_on"] > W1] \
    + [c["id"] for c in credits.values() if c["issued_on"] > W1] \
    + [e["id"] for e in events if e["occurred_at"].date() > W1] \
    + [i["id"] for i in invoices.values() if (i["posted_at"] or W0) > W1 or (i["voided_at"] or W0) > W1]
if late:
    problem(f"activity after the window: {', '.join(late[:5])}")
for b in batches.values():
    seen = set()
    for el in elines.get(b["id"], []):
        k = el["invoice_id"] if b["kind"] == "archive" else el["account_id"]
        if k in seen:
            problem(f"{b['id']}: more than one line for {k}")
        seen.add(k)
        if el["invoice_id"] and invoices[el["invoice_id"]]["account_id"] != el["account_id"]:
            problem(f"{el['id']}: invoice of another account")

# ---------------------------------------------------------------------------
# 3. reconciliation (docs/reconciliation.md)

SEV = ["low", "medium", "high", "critical"]
INTERNAL = {"invoices", "disbursements", "ledger", "adjustments"}
mismatches = []


def severity(variance, floor="low"):
    a = abs(variance)
    s = "critical" if a >= P["materiality_critical"] else "high" if a >= P["materiality_high"] \
        else "medium" if a >= P["materiality_medium"] else "low"
    return max(s, floor, key=SEV.index)


def mismatch(lane, subject, check, expected, actual, floor=None):
    if floor is None:
        floor = "high" if lane in INTERNAL else "low"
    v = actual - expected
    mismatches.append(dict(key=f"{lane}:{subject}:{check}", lane=lane, expected=expected, actual=actual,
                           variance=v, severity=severity(v, floor),
                           owner=owners.get(lane, P["close_owner"])))


out = []


def say(text=""):
    out.append(text)


# -- 1. posted invoice totals
disb_to = {}
for d in disb:
    if d["disbursed_on"] <= W1:
        disb_to[d["invoice_id"]] = disb_to.get(d["invoice_id"], 0) + d["amount"]
adj_to = {}
for r in ledger:
    if r["kind"] == "adjustment" and r["invoice_id"] and ldate(r) <= W1:
        adj_to[r["invoice_id"]] = adj_to.get(r["invoice_id"], 0) + r["amount"]
for inv in data["invoices.csv"]:
    i = inv["id"]
    if inv["status"] != "draft" and lines_total(i) != inv["total"]:
        mismatch("invoices", i, "lines-total", lines_total(i), inv["total"])
    if i in REC_IDS:
        want = inv["total"] - disb_to.get(i, 0) + adj_to.get(i, 0)
        if want != inv["balance"]:
            mismatch("invoices", i, "balance", want, inv["balance"])
    if inv["status"] == "void" and inv["balance"] != 0:
        mismatch("invoices", i, "void-balance", 0, inv["balance"])
posted_receivables = sum(i["total"] for i in CLOSE)
closing_ar = sum(i["balance"] for i in REC)
voided = [i for i in invoices.values() if i["status"] == "void" and inw(i["voided_at"])]
drafts = [i for i in invoices.values() if i["status"] == "draft"]
say("1. Posted invoice totals")
say(f"   close population {len(CLOSE)} invoices, posted receivables {m(posted_receivables)}")
say(f"   voided in window {len(voided)} ({m(sum(i['total'] for i in voided))}); drafts {len(drafts)} "
    f"({m(sum(lines_total(i['id']) for i in drafts))}, not AR); receivable invoices {len(REC)}")
say(f"   closing AR {m(closing_ar)}")

# -- 2. applied vs unapplied
def net_value(kind_file, row):
    if kind_file == "payment":
        undo = [p for p in payments.values() if p["related_payment_id"] == row["id"]
                and p["kind"] in ("reversal", "refund", "chargeback") and p["occurred_on"] <= W1]
    else:
        undo = [c for c in credits.values() if c["related_credit_id"] == row["id"]
                and c["kind"] == "reversal" and c["issued_on"] <= W1]
    return row["amount"] - sum(u["amount"] for u in undo)


def disbursed_from(kind, sid):
    return sum(d["amount"] for d in disb if d["source_kind"] == kind and d["source_id"] == sid
               and d["disbursed_on"] <= W1)


unapplied = {"payment": 0, "credit": 0}
for kind, rows, datecol in (("payment", payments, "occurred_on"), ("credit", credits, "issued_on")):
    for r in rows.values():
        if r["kind"] != kind or r[datecol] > W1:
            continue
        net, out_ = net_value(kind, r), disbursed_from(kind, r["id"])
        if out_ > net or out_ < 0:
            mismatch("disbursements", r["id"], "over-disbursed", net if out_ >= 0 else 0, out_)
        unapplied[kind] += net - out_
for d in disb:
    if d["disbursed_on"] <= W1 and d["invoice_id"] not in REC_IDS:
        mismatch("disbursements", d["id"], "target", 0, d["amount"])


def psum(kind):
    return sum(p["amount"] for p in payments.values() if p["kind"] == kind and inw(p["occurred_on"]))


def csum(kind):
    return sum(c["amount"] for c in credits.values() if c["kind"] == kind and inw(c["issued_on"]))


dp = sum(d["amount"] for d in disb if d["source_kind"] == "payment" and inw(d["disbursed_on"]))
dc = sum(d["amount"] for d in disb if d["source_kind"] == "credit" and inw(d["disbursed_on"]))
say("2. Applied vs unapplied (in the window)")
say(f"   payments received {m(psum('payment'))}, reversed {m(psum('reversal'))}, refunded "
    f"{m(psum('refund'))}, charged back {m(psum('chargeback'))}")
say(f"   credits issued {m(csum('credit'))}, reversed {m(csum('reversal'))}")
say(f"   disbursed from payments {m(dp)}, from credits {m(dc)}; AR reduced by disbursement {m(dp + dc)}")
say(f"   unapplied at window end: payments {m(unapplied['payment'])}, credits {m(unapplied['credit'])}, "
    f"value {m(unapplied['payment'] + unapplied['credit'])}")

# -- 3. account roll-forward
accts = sorted({r["account_id"] for r in ledger} | {i["account_id"] for i in REC})
ledger_closing = {}
roll = dict(opening=0, posted=0, disbursed=0, pulled_back=0, adjustments=0, voids=0)
for a in accts:
    rows = [r for r in ledger if r["account_id"] == a and r["kind"] in AR_KINDS and ldate(r) <= W1]
    opening = sum(r["amount"] for r in rows if ldate(r) < W0)
    inw_rows = [r for r in rows if inw(ldate(r))]

    def k(*kinds):
        return sum(r["amount"] for r in inw_rows if r["kind"] in kinds)
    parts = dict(opening=opening, posted=k("invoice_posted"), disbursed=k("payment_disbursed", "credit_disbursed"),
                 pulled_back=k("reversal", "chargeback"), adjustments=k("adjustment"), voids=k("void"))
    for key_, v in parts.items():
        roll[key_] += v
    ledger_closing[a] = sum(parts.values())
    balances = sum(i["balance"] for i in REC if i["account_id"] == a)
    if ledger_closing[a] != balances:
        mismatch("ledger", a, "roll-forward", ledger_closing[a], balances)
say(f"3. Account roll-forward ({len(accts)} accounts)")
say(f"   opening {m(roll['opening'])} + posted {m(roll['posted'])} + disbursed {m(roll['disbursed'])} "
    f"+ pulled back {m(roll['pulled_back'])}")
say(f"   + adjustments {m(roll['adjustments'])} + voids {m(roll['voids'])} = ledger closing AR "
    f"{m(sum(ledger_closing.values()))}")

# -- 4. adjustments
for inv in voided:
    net = sum(r["amount"] for r in ledger if r["invoice_id"] == inv["id"] and r["kind"] in AR_KINDS
              and ldate(r) <= W1)
    if net != 0:
        mismatch("adjustments", inv["id"], "void", 0, net)
for p in payments.values():
    if p["kind"] in ("reversal", "chargeback", "refund") and inw(p["occurred_on"]):
        want = p["amount"] if p["kind"] != "refund" else -p["amount"]
        got = sum(r["amount"] for r in ledger if r["kind"] == p["kind"] and r["reference"] == p["id"]
                  and ldate(r) <= W1)
        if got != want:
            mismatch("adjustments", p["id"], "unrecorded", want, got)
for r in ledger:
    if not inw(ldate(r)):
        continue
    bad = False
    if r["kind"] == "adjustment":
        bad = not r["reference"]
    elif r["kind"] == "void":
        inv = invoices.get(r["reference"] or "")
        bad = not (inv and inv["status"] == "void" and inv["id"] == r["invoice_id"])
    elif r["kind"] in ("reversal", "refund", "chargeback"):
        p = payments.get(r["reference"] or "")
        bad = not (p and p["kind"] == r["kind"])
    if bad:
        mismatch("adjustments", r["id"], "unexplained", 0, r["amount"])
say("4. Adjustments of the window")
adj_list = []
for i in sorted(voided, key=lambda i: i["voided_at"]):
    adj_list.append(("void", i["id"], i["account_id"], -i["total"], f"voided {i['voided_at']}"))
for c in sorted(credits.values(), key=lambda c: c["id"]):
    if inw(c["issued_on"]):
        adj_list.append(("credit" if c["kind"] == "credit" else "credit reversal", c["id"], c["account_id"],
                         c["amount"], (f"of {c['related_credit_id']}: " if c["related_credit_id"] else "")
                         + (c["reason"] or "")))
for p in sorted(payments.values(), key=lambda p: p["id"]):
    if p["kind"] != "payment" and inw(p["occurred_on"]):
        adj_list.append((p["kind"], p["id"], p["account_id"], p["amount"],
                         f"of {p['related_payment_id']}: {p['reference'] or ''}"))
for r in ledger:
    if r["kind"] == "adjustment" and inw(ldate(r)):
        adj_list.append(("system adjustment", r["id"], r["account_id"], r["amount"],
                         f"{r['invoice_id']}: {r['reference'] or '(no reference)'}"))
for (kind, i, a, amt, why) in adj_list:
    say(f"   {kind:17} {i:13} {a:9} {m(amt):>9}  {why}")
totals = {}
for (kind, i, a, amt, why) in adj_list:
    totals[kind] = totals.get(kind, 0) + amt
say("   totals: " + ", ".join(f"{k} {m(v)}" for k, v in totals.items()))

# -- 5. exports
say("5. AR to finance output")
for b in sorted(batches.values(), key=lambda b: b["id"]):
    bl = elines.get(b["id"], [])
    s = sum(l["amount"] for l in bl)
    if s != b["total"]:
        mismatch("exports", b["id"], "lines-total", s, b["total"])
    if b["kind"] == "gl" and b["total"] != closing_ar:
        mismatch("exports", b["id"], "ar-total", closing_ar, b["total"])
    if b["kind"] == "billing_extract":
        per = {}
        for l in bl:
            per[l["account_id"]] = per.get(l["account_id"], 0) + l["amount"]
        for a in sorted(set(per) | set(ledger_closing)):
            if per.get(a, 0) != ledger_closing.get(a, 0):
                mismatch("exports", f"{b['id']}/{a}", "account-ar", ledger_closing.get(a, 0), per.get(a, 0))
    if b["kind"] == "archive":
        per = {}
        for l in bl:
            per[l["invoice_id"] or "(none)"] = per.get(l["invoice_id"] or "(none)", 0) + l["amount"]
        for i in sorted(CLOSE_IDS):
            if per.get(i, 0) != invoices[i]["total"]:
                mismatch("exports", f"{b['id']}/{i}", "invoice-total", invoices[i]["total"], per.get(i, 0))
        for i in sorted(set(per) - CLOSE_IDS):
            if per[i] != 0:
                mismatch("exports", f"{b['id']}/{i}", "invoice-total", 0, per[i])
    say(f"   {b['id']:13} {b['kind']:15} {b['destination']:16} {len(bl):3} lines, total {m(b['total'])}"
        f" (lines {m(s)})")

# -- 6. revenue
def recognized_through(l, d):
    """Recognized through day d, or None when the line cannot be scheduled."""
    rule, amt = l["revenue_rule"], l["amount"]
    if rule == "immediate":
        return amt if invoices[l["invoice_id"]]["posted_at"] <= d else 0
    if rule == "on_service_date":
        if l["service_start"] is None:
            return None
        return amt if l["service_start"] <= d else 0
    a, b = l["service_start"], l["service_end"]
    if a is None or b is None or b < a:
        return None
    total_days = (b - a).days + 1
    elapsed = min(max((d - a).days + 1, 0), total_days)
    q = abs(amt) * elapsed // total_days          # truncated toward zero
    return q if amt >= 0 else -q


rev = {r: dict(billed=0, recognized=0, deferred=0) for r in ("immediate", "ratable_daily", "on_service_date")}
for l in lines.values():
    if l["invoice_id"] not in REC_IDS:
        continue
    r = rev[l["revenue_rule"]]
    if l["invoice_id"] in CLOSE_IDS:
        r["billed"] += l["amount"]
    end = recognized_through(l, W1)
    if end is None:
        mismatch("revenue", l["id"], "service-period", l["amount"], 0)
        continue
    r["recognized"] += end - recognized_through(l, DAY_BEFORE)
    r["deferred"] += l["amount"] - end
say("6. Revenue")
for key_ in ("billed", "recognized", "deferred"):
    tot = sum(v[key_] for v in rev.values())
    say(f"   {key_ + (' in window' if key_ != 'deferred' else ' at window end'):24} {m(tot):>10}  ("
        + ", ".join(f"{k} {m(v[key_])}" for k, v in rev.items()) + ")")

# -- usage
rated, billed = {}, {}
for e in events:
    if e["state"] == "rated" and inw(e["occurred_at"].date()):
        rated[e["account_id"]] = rated.get(e["account_id"], 0) + (e["rated_amount"] or 0)
for l in lines.values():
    if l["kind"] == "usage" and billed_in_window(l):
        a = invoices[l["invoice_id"]]["account_id"]
        billed[a] = billed.get(a, 0) + l["amount"]
for a in sorted(set(rated) | set(billed)):
    if rated.get(a, 0) != billed.get(a, 0):
        mismatch("usage", a, "billed", rated.get(a, 0), billed.get(a, 0))
open_ex = {}
for e in events:
    if e["state"] in ("unprocessed", "rerating") and inw(e["occurred_at"].date()):
        open_ex.setdefault(e["account_id"], []).append(e)
for a, evs in sorted(open_ex.items()):
    mismatch("usage", a, "unprocessed", 0, sum(e["rated_amount"] or 0 for e in evs), floor="medium")
usage_billed = sum(billed.values())
reproc = [e for e in events if e["reprocessed_at"] is not None and inw(e["occurred_at"].date())]
say("Usage")
say(f"   rated in window {m(sum(rated.values()))} over {len(rated)} accounts; usage billed {m(usage_billed)}; "
    f"open exceptions {sum(len(v) for v in open_ex.values())}; reprocessed and rated {len(reproc)} "
    f"({m(sum(e['rated_amount'] or 0 for e in reproc))})")

# -- employer programs and statements
fees = {}
for l in lines.values():
    if l["kind"] == "program_fee" and billed_in_window(l):
        fees[l["program_id"]] = fees.get(l["program_id"], 0) + l["amount"]
say("Employer programs")
for p in sorted(programs.values(), key=lambda p: p["id"]):
    expected = p["basis_units"] * p["rate"]
    got = fees.get(p["id"], 0)
    if expected != got:
        mismatch("employer_programs", p["id"], "billed", expected, got)
    sts = [s for s in statements.values() if s["program_id"] == p["id"]]
    for s in sts:
        if s["total"] != got:
            mismatch("employer_programs", s["id"], "statement-total", got, s["total"])
    if got != 0 and not sts:
        mismatch("employer_programs", p["id"], "no-statement", got, 0)
    say(f"   {p['id']:11} {p['basis_units']:>4} x {m(p['rate']):>5} = {m(expected):>7}; billed {m(got):>7}; "
        f"statements " + ", ".join(f"{s['id']} {m(s['total'])}" for s in sts))
program_fees_billed = sum(l["amount"] for l in lines.values() if l["kind"] == "program_fee" and billed_in_window(l))
for s in slines:
    st = statements[s["statement_id"]]
    if not s["invoice_line_id"]:
        mismatch("statements", s["id"], "untied", 0, s["amount"])
        continue
    l = lines[s["invoice_line_id"]]
    if l["kind"] != "program_fee" or l["program_id"] != st["program_id"]:
        mismatch("statements", s["id"], "line", 0, s["amount"])
    elif l["amount"] != s["amount"]:
        mismatch("statements", s["id"], "line", l["amount"], s["amount"])

# -- aged AR
BUCKETS = ["current", "1-30", "31-60", "61-90", "91+"]
aged = {b: [0, 0] for b in BUCKETS}
for i in REC:
    if i["balance"] == 0:
        continue
    late_days = (W1 - i["due_date"]).days
    b = "current" if late_days <= 0 else "1-30" if late_days <= 30 else "31-60" if late_days <= 60 \
        else "61-90" if late_days <= 90 else "91+"
    aged[b][0] += 1
    aged[b][1] += i["balance"]
aged_total = sum(v[1] for v in aged.values())
say("Aged AR at window end (days past due)")
say("   " + ", ".join(f"{b} {m(v[1])} ({v[0]})" for b, v in aged.items()) + f"; total {m(aged_total)}")
if aged_total != closing_ar:
    problem(f"aging buckets add up to {m(aged_total)}, closing AR is {m(closing_ar)}")

# ---------------------------------------------------------------------------
# report

variance_usd = sum(abs(x["variance"]) for x in mismatches)
print(f"{P['entity']} -- period {P['id']}, window {W0} .. {W1}, {P['currency']}, owner {P['close_owner']}")
print(f"format: {sum(len(r) for r in data.values())} rows in {len(data)} files, no errors"
      + (f"; {len(style)} style warning(s)" if style else ""))
for s in style[:10]:
    print("  style: " + s)
print("HEADLINE")
print(f"   usage billed {m(usage_billed)}   program fees billed {m(program_fees_billed)}")
print(f"   posted receivables {m(posted_receivables)}   disbursed in window {m(dp + dc)}   "
      f"closing AR {m(closing_ar)}   unapplied {m(unapplied['payment'] + unapplied['credit'])}")
for line in out:
    print(line)
print(f"MISMATCHES: {len(mismatches)}, variance_usd {m(variance_usd)}, status "
      f"{'clean' if not mismatches else 'needs_review'}")
for x in mismatches:
    print(f"   {x['key']}")
    print(f"      expected {m(x['expected'])}  actual {m(x['actual'])}  variance {m(x['variance'])}  "
          f"severity {x['severity']}  owner {x['owner']}")
if problems:
    print(f"CONSISTENCY: {len(problems)} problem(s)")
    for p in problems[:40]:
        print("   " + p)
    sys.exit(1)
print("CONSISTENCY: ok (ledger, disbursements, statuses, usage events, dates)")
