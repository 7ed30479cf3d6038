"""Measure the cost of e-invoices: `python -m bench.einvoice --documents 5000`.

Synthetic invoices shaped like the samples' (subscriptions, rentals, usage lines; 1 to 60
lines, 16 on average), numbered F2026-000001...; prints milliseconds per document for each
step (record, XML, Typst pages, XMP update, pikepdf and factur-x embedding for comparison),
the wall time of the whole batch with 1 and N threads and N processes, the checker (XSD
alone, XSD and both schematrons) on a sample, and the load average before and after.
Nothing here is used by a billing run.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from pipeline.billing.month_documents import Invoice
from pipeline.core.money import round_line
from pipeline.exports.einvoice.batch import check_documents, default_workers, render_documents
from pipeline.exports.einvoice.check import Checker
from pipeline.exports.einvoice.cii import to_xml
from pipeline.exports.einvoice.pdf import Renderer, add_facturx_xmp
from pipeline.exports.einvoice.record import EInvoice, build_record

PROVIDER = {
    "name": "WITEQ Téléphonie SAS",
    "siren": "489035030",
    "vat_number": "FR84489035030",
    "address": "18 rue des Entrepreneurs, 75015 Paris, France",
    "rcs": "RCS Paris 489 035 030",
    "share_capital_eur": 50000,
    "iban": "FR76 9999 9000 0105 6593 4628 091",
    "bic": "WITQFRPPXXX",
    "email": "facturation@witeq.example",
    "phone": "+33 1 84 80 00 00",
    "late_penalty_rate": "3 fois le taux d'intérêt légal",
    "early_payment_discount": "Pas d'escompte pour paiement anticipé.",
}
SIRENS = ("544943343", "631012382", "428088504", "410307573", "379600653")


def synthetic_invoices(count: int, seed: int = 20261101) -> list[Invoice]:
    rng = random.Random(seed)
    invoices = []
    for n in range(1, count + 1):
        number = f"F2026-{n:06d}"
        size = max(1, min(60, int(rng.lognormvariate(2.6, 0.6))))
        lines = []
        for i in range(1, size + 1):
            kind = rng.choice(("subscription", "subscription", "rental", "usage", "usage"))
            if kind == "usage":
                amount = Decimal(rng.randint(1, 2000)) / 100
                calls = rng.randint(1, 200)
                line = {
                    "description": f"Appels vers France - mobile hors forfait : {calls} appels",
                    "quantity": 1,  # R63: one lot at its amount
                    "unit": "LS",
                    "calls": calls,
                    "unit_price": amount,
                    "billable_seconds": calls * 75,
                    "zone": "FR_MOBILE",
                    "reason": "NO_PLAN",
                    "amount_ht": amount,
                }
            else:
                price = Decimal(rng.choice(("25.00", "5.00", "3.50", "9.90")))
                label = (
                    "Illimité nationale fixe et mobile" if kind == "subscription" else "Location"
                )
                line = {
                    "description": f"{label} - 2026-10",
                    "quantity": 1,
                    "unit": "MON",
                    "unit_price": price,
                    "billable_seconds": None,
                    "zone": None,
                    "reason": None,
                    "amount_ht": price,
                }
            line.update(
                invoice_number=number,
                line_no=i,
                customer_id=f"C{n:05d}",
                kind=kind,
                reference=f"S{n:05d}-{i}",
                period_start=date(2026, 10, 1),
                period_end=date(2026, 10, 31),
            )
            lines.append(line)
        total_ht = sum((ln["amount_ht"] for ln in lines), Decimal("0.00"))
        total_vat = round_line(total_ht * Decimal("0.20"))
        siren = SIRENS[n % len(SIRENS)]
        invoices.append(
            Invoice(
                invoice_number=number,
                customer_id=f"C{n:05d}",
                invoice_date=date(2026, 11, 1),
                due_date=date(2026, 12, 1),
                period="2026-10",
                total_ht=total_ht,
                total_vat=total_vat,
                total_ttc=total_ht + total_vat,
                vat_rate=Decimal("0.20"),
                vat_mention="",
                lines=lines,
                period_start=date(2026, 10, 1),
                period_end=date(2026, 10, 31),
                operation_category="Prestation de services",
                customer_name=f"Client {n} SARL",
                customer_siren=siren,
                customer_vat_number=None,
                customer_address=f"{n} rue de la République, 75011 Paris",
                customer_country="FR",
                seller_iban=PROVIDER["iban"],
                recovery_indemnity_eur=Decimal("40"),
            )
        )
    return invoices


def per_document(fn: Callable[[object], object], items: list, repeat: int = 1) -> float:
    """Milliseconds per item of fn over items, the best of `repeat` passes."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return best / len(items) * 1000


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()
    except OSError:
        return "n/a"


def pikepdf_embed(pages: bytes, xml: bytes) -> bytes:
    """The alternative measured against Typst's own attachment: pikepdf adds the file."""
    import pikepdf

    with pikepdf.open(io.BytesIO(pages)) as pdf:
        spec = pikepdf.AttachedFileSpec(
            pdf, xml, mime_type="text/xml", relationship=pikepdf.Name.Data
        )
        pdf.attachments["factur-x.xml"] = spec
        pdf.Root.AF = pdf.make_indirect(pikepdf.Array([spec.obj]))
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--check-sample", type=int, default=100)
    parser.add_argument("--skip-processes", action="store_true")
    args = parser.parse_args(argv)

    report: dict[str, object] = {"load_before": loadavg(), "documents": args.documents}
    invoices = synthetic_invoices(args.documents)
    report["lines_mean"] = statistics.mean(len(i.lines) for i in invoices)
    sample = invoices[: min(300, len(invoices))]
    report["ms_record"] = per_document(lambda i: build_record(i, PROVIDER), sample, 3)
    records: list[EInvoice] = [build_record(i, PROVIDER) for i in invoices]
    rec_sample = records[: len(sample)]
    report["ms_xml"] = per_document(to_xml, rec_sample, 3)
    xmls = {r.bt1_number: to_xml(r) for r in rec_sample}
    renderer = Renderer()
    report["ms_pdf_pages"] = per_document(
        lambda r: renderer.render_pages(r, xmls[r.bt1_number]), rec_sample, 2
    )
    pages = {r.bt1_number: renderer.render_pages(r, xmls[r.bt1_number]) for r in rec_sample[:50]}
    report["ms_xmp_update"] = per_document(add_facturx_xmp, list(pages.values()), 3)
    # the alternatives: pikepdf or factur-x embedding into Typst pages without attachment
    report["ms_pikepdf_embed"] = per_document(
        lambda n: pikepdf_embed(pages[n], xmls[n]), list(pages), 2
    )
    try:
        import facturx

        report["ms_facturx_embed"] = per_document(
            lambda n: facturx.generate_from_binary(
                pages[n], xmls[n], flavor="factur-x", level="en16931", check_xsd=False
            ),
            list(pages)[:20],
        )
    except Exception as exc:  # measured for comparison only
        report["ms_facturx_embed"] = f"failed: {exc}"

    with tempfile.TemporaryDirectory() as tmp:
        for label, workers, processes in (
            ("1_thread", 1, False),
            (f"{args.workers}_threads", args.workers, False),
            (f"{args.workers}_processes", args.workers, True),
        ):
            if processes and args.skip_processes:
                continue
            start = time.perf_counter()
            render_documents(
                records, workers=workers, folder=Path(tmp) / label, processes=processes
            )
            wall = time.perf_counter() - start
            report[f"batch_{label}_s"] = round(wall, 2)
            report[f"batch_{label}_ms_per_doc"] = round(wall / len(records) * 1000, 2)

    start = time.perf_counter()
    checker = Checker()
    report["checker_compile_s"] = round(time.perf_counter() - start, 2)
    check_sample = list(xmls.values())[: args.check_sample]
    report["ms_check_xsd"] = per_document(checker.check_xsd, check_sample, 2)
    report["ms_check_xsd_and_schematrons"] = per_document(checker.check, check_sample)
    findings = sum(len(checker.check(x)) for x in check_sample)
    report["findings_in_sample"] = findings
    if not args.skip_processes:
        start = time.perf_counter()
        check_documents(check_sample, workers=args.workers)
        wall = time.perf_counter() - start
        report[f"check_{args.workers}_processes_ms_per_doc_incl_startup"] = (
            wall / len(check_sample) * 1000
        )
    report["load_after"] = loadavg()
    for key, value in report.items():
        print(f"{key:34s} {round(value, 2) if isinstance(value, float) else value}")
    print(json.dumps(report, default=str))


if __name__ == "__main__":
    main()
