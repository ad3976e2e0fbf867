"""Realistic submissions made from the seeded applicants, deterministic by seed: broker e-mails with a fillable
application PDF attached (an ACORD 125/130 shape), broker letters as text PDFs, plain e-mails, and account lists
(CSV and XLSX, one applicant a row). Each keeps the applicant id and the facts intake should read back.

PDFs: the page (labels, letter text) is drawn with fpdf2, which writes no form fields; the AcroForm text fields
(name, tooltip label, value) are then added with pypdf's writer.

    python -m desk.samples --out DIR --count N [--seed 7] [--data-dir var]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

KINDS = ("email_form", "letter_pdf", "email_text", "list_csv", "list_xlsx")
ROWS_PER_LIST = 6
# The application's fields: (field name, the label printed and used as its tooltip, the applicant's column)
FORM_FIELDS = (
    ("ApplicantName", "Applicant Name", "company_name"),
    ("MailingAddress", "Mailing Address", "address"),
    ("State", "State", "state"),
    ("ZipCode", "ZIP Code", "zip"),
    ("Phone", "Phone", "phone"),
    ("NAICS", "NAICS Code", "naics_code"),
    ("NatureOfBusiness", "Nature of Business", "description"),
    ("AnnualRevenue", "Annual Revenue", "annual_revenue"),
    ("Employees", "Number of Employees", "employees"),
    ("Payroll", "Annual Payroll", "annual_payroll"),
    ("Vehicles", "Number of Vehicles", "vehicles"),
    ("Construction", "Construction", "construction"),
    ("LinesRequested", "Lines Requested", "lines"),
)
LIST_COLUMNS = (
    ("Account Name", "company_name"),
    ("State", "state"),
    ("NAICS", "naics_code"),
    ("Annual Revenue", "annual_revenue"),
    ("Employees", "employees"),
    ("Payroll", "annual_payroll"),
    ("Vehicles", "vehicles"),
    ("Construction", "construction"),
    ("Lines Requested", "lines"),
    ("Phone", "phone"),
    ("ZIP", "zip"),
)
BROKERS = ("Dana Whitfield", "Marcus Oyelaran", "Priya Raman", "Tom Kessler", "Lucia Ferreira", "Ben Abernathy")
AGENCIES = ("Harbor Point Insurance Brokers", "Crestline Risk Partners", "Northgate Agency", "Blue Mesa Brokerage")


@dataclass(frozen=True)
class Expected:
    applicant_id: str
    facts: dict  # fact key -> value intake should read (money and counts as integers, the rest as text)


@dataclass(frozen=True)
class Sample:
    kind: str
    file_name: str
    data: bytes
    expected: tuple[Expected, ...] = field(default_factory=tuple)  # one per submission (a list: one per row)


def expected_facts(a: dict) -> dict:
    return {
        "company": a["company_name"],
        "naics": a["naics_code"],
        "state": a["state"],
        "lob": a["requested_lob"],
        "annual_revenue": a["annual_revenue"],
        "employees": a["employees"],
        "annual_payroll": a["annual_payroll"],
        "vehicles": a["vehicles"],
        "construction": a["construction"],
    }


def generate(applicants: list[dict], lob_names: dict[str, str], count: int, seed: int = 7) -> list[Sample]:
    """``count`` samples, cycling through the kinds; a list takes ``ROWS_PER_LIST`` applicants."""
    rng = random.Random(seed)
    pool = sorted(applicants, key=lambda a: a["id"])
    rng.shuffle(pool)
    out: list[Sample] = []
    taken = 0

    def take(n: int) -> list[dict]:
        nonlocal taken
        got = [_with_contacts(pool[(taken + i) % len(pool)], rng, lob_names) for i in range(n)]
        taken += n
        return got

    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        if kind.startswith("list_"):
            rows = take(ROWS_PER_LIST)
            data = _csv(rows) if kind == "list_csv" else _xlsx(rows)
            ext = "csv" if kind == "list_csv" else "xlsx"
            out.append(Sample(kind, f"accounts-{i:04d}.{ext}", data, tuple(_exp(a) for a in rows)))
            continue
        [a] = take(1)
        if kind == "email_form":
            form = application_pdf(a)
            data = _email(a, rng, i, _form_body(a, rng), [("application.pdf", "application", "pdf", form)])
            name = f"submission-{i:04d}.eml"
        elif kind == "email_text":
            data = _email(a, rng, i, _letter(a, rng), [])
            name = f"submission-{i:04d}.eml"
        else:
            data = letter_pdf(_letter(a, rng))
            name = f"broker-letter-{i:04d}.pdf"
        out.append(Sample(kind, name, data, (_exp(a),)))
    return out


def _exp(a: dict) -> Expected:
    return Expected(a["id"], expected_facts(a))


def _with_contacts(a: dict, rng: random.Random, lob_names: dict[str, str]) -> dict:
    """The applicant plus what a real submission carries that is never a fact: an address, a ZIP, a phone."""
    zip_code = f"{rng.randint(1000, 99950):05d}"
    return a | {
        "zip": zip_code,
        "phone": f"({rng.randint(201, 989)}) 555-{rng.randint(100, 199):04d}",
        "address": f"{rng.randint(10, 9800)} {rng.choice(('Main', 'Oak', 'Commerce', 'Mill', 'Harbor'))} St",
        "lines": lob_names.get(a["requested_lob"], a["requested_lob"]),
        "lob_name": lob_names.get(a["requested_lob"], a["requested_lob"]),
    }


def _money_words(amount: int, rng: random.Random) -> str:
    """As brokers write it: "$4,500,000", or "$4.5 million" when that is exact (never a rounded figure)."""
    if amount % 10_000 == 0 and amount >= 1_000_000 and rng.random() < 0.5:
        return f"${amount / 1e6:g} million"
    return f"${amount:,}"


def _letter(a: dict, rng: random.Random) -> str:
    vehicles = (
        "They have no vehicles."
        if a["vehicles"] == 0
        else rng.choice((f"They run {a['vehicles']} vehicles.", f"The fleet is {a['vehicles']} vehicles."))
    )
    return "\n".join(
        [
            "Dear Underwriter,",
            "",
            f"We are pleased to submit {a['company_name']} for your consideration. {a['description']}",
            f"The NAICS code is {a['naics_code']}.",
            f"The company has {a['employees']} employees and annual revenue of {_money_words(a['annual_revenue'], rng)}, "
            f"with an annual payroll of {_money_words(a['annual_payroll'], rng)}.",
            vehicles,
            f"The building is {a['construction']} construction.",
            f"We are requesting a quote for {a['lob_name']}.",
            "",
            "Kind regards,",
            rng.choice(BROKERS),
            rng.choice(AGENCIES),
            f"Phone: {a['phone']}",
        ]
    )


def _form_body(a: dict, rng: random.Random) -> str:
    return "\n".join(
        [
            "Hi team,",
            "",
            f"Please find attached the application for {a['company_name']}, looking for {a['lob_name']}.",
            "",
            f"NAICS: {a['naics_code']}",
            f"Employees: {a['employees']}",
            "",
            "Thanks,",
            rng.choice(BROKERS),
            rng.choice(AGENCIES),
            f"Phone: {a['phone']}",
            f"ZIP: {a['zip']}",
        ]
    )


def _email(a: dict, rng: random.Random, i: int, body: str, attachments: list) -> bytes:
    msg = EmailMessage()
    broker = rng.choice(BROKERS)
    msg["From"] = f"{broker} <{broker.split()[0].lower()}@broker.example>"
    msg["To"] = "submissions@pennyroyal.example"
    msg["Subject"] = f"New submission: {a['company_name']}"
    msg["Date"] = format_datetime(datetime(2026, 11, 2, 9, 0, tzinfo=UTC) + timedelta(hours=i))
    msg["Message-ID"] = f"<submission-{i}-{a['id']}@broker.example>"
    msg.set_content(body)
    for name, maintype, subtype, data in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    if msg.is_multipart():
        msg.set_boundary(f"=_part_{i}_{a['id']}")  # the same bytes every run (the default boundary is random)
    return msg.as_bytes()


# --- PDFs ---------------------------------------------------------------------------------------------------------
def _pdf():
    from fpdf import FPDF

    pdf = FPDF(format="letter")
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))  # the same bytes every run
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_font("Helvetica", size=11)
    return pdf


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")  # the core fonts are Latin-1


def letter_pdf(text: str, pages: int = 1) -> bytes:
    """A broker letter as a text PDF (``pages`` > 1 repeats it, for the speed figure)."""
    pdf = _pdf()
    for _ in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 6, _latin1(text))
    return bytes(pdf.output())


def application_pdf(a: dict) -> bytes:
    """A one-page application in the shape of an ACORD 125/130: printed labels, filled AcroForm text fields."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, NumberObject, TextStringObject

    pdf = _pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, "Commercial Insurance Application", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    rects = []
    for _, label, _ in FORM_FIELDS:
        y = pdf.get_y()
        pdf.cell(55, 9, label)
        pdf.rect(70, y + 1, 125, 7)
        rects.append(y)
        pdf.ln(10)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(bytes(pdf.output()))))
    height = float(writer.pages[0].mediabox.height)
    to_pt = 72 / 25.4
    fields = ArrayObject()
    for (name, label, column), y in zip(FORM_FIELDS, rects, strict=True):
        value = a[column]
        text = f"{value:,}" if isinstance(value, int) and column in ("annual_revenue", "annual_payroll") else str(value)
        box = [70 * to_pt, height - (y + 8) * to_pt, 195 * to_pt, height - (y + 1) * to_pt]
        widget = writer.add_annotation(
            0,
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Annot"),
                    NameObject("/Subtype"): NameObject("/Widget"),
                    NameObject("/FT"): NameObject("/Tx"),
                    NameObject("/T"): TextStringObject(name),
                    NameObject("/TU"): TextStringObject(label),
                    NameObject("/V"): TextStringObject(_latin1(text)),
                    NameObject("/Rect"): ArrayObject(FloatObject(round(v, 2)) for v in box),
                    NameObject("/F"): NumberObject(4),
                    NameObject("/DA"): TextStringObject("/Helv 9 Tf 0 g"),
                }
            ),
        )
        fields.append(widget.indirect_reference)
    writer.set_need_appearances_writer(True)  # viewers draw the values; the file carries them in /V
    form = writer.root_object["/AcroForm"].get_object()
    assert isinstance(form, DictionaryObject)
    form[NameObject("/Fields")] = fields
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- account lists ------------------------------------------------------------------------------------------------
def _list_rows(rows: list[dict]) -> list[list]:
    return [[h for h, _ in LIST_COLUMNS]] + [[a[c] for _, c in LIST_COLUMNS] for a in rows]


def _csv(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(_list_rows(rows))
    return buf.getvalue().encode()


def _xlsx(rows: list[dict]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in _list_rows(rows):
        sheet.append(row)
    book.properties.created = book.properties.modified = datetime(2026, 1, 1)
    buf = io.BytesIO()
    book.save(buf)
    return _fixed_zip(buf.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same bytes every run: openpyxl stamps the save time into the workbook and into each zip entry."""
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", body)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0)), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


# --- command line -------------------------------------------------------------------------------------------------
def load_applicants(database: str | Path) -> tuple[list[dict], dict[str, str]]:
    from seed_db.queries import lines_of_business, readonly_engine, search_applicants

    engine = readonly_engine(database)
    try:
        return search_applicants(engine, "", limit=500), {r["code"]: r["name"] for r in lines_of_business(engine)}
    finally:
        engine.dispose()


def write(samples: list[Sample], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for s in samples:
        (out / s.file_name).write_bytes(s.data)
    index = out / "expected.json"
    rows = [{"file": s.file_name, "kind": s.kind, "expected": [asdict(e) for e in s.expected]} for s in samples]
    index.write_text(json.dumps(rows, indent=1))
    return index


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desk.samples", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write the files and expected.json into")
    parser.add_argument("--count", type=int, default=25, help="submissions (files) to make; default 25")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="seeded data folder (default $UWC_DATA_DIR or var/)"
    )
    args = parser.parse_args(argv)
    from core.settings import get_settings

    settings = get_settings(data_dir=args.data_dir) if args.data_dir else get_settings()
    try:
        applicants, lobs = load_applicants(settings.resolved_database_url)
    except FileNotFoundError as exc:
        print(f"desk.samples: {exc}", file=sys.stderr)
        return 1
    if args.count < 1:
        print("desk.samples: --count must be at least 1", file=sys.stderr)
        return 2
    samples = generate(applicants, lobs, args.count, args.seed)
    index = write(samples, args.out)
    print(f"{len(samples)} files, {sum(len(s.expected) for s in samples)} submissions: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
