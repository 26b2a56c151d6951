"""The evidence pack: one PDF a court, an agency or a lawyer can work from, and a ZIP of the originals.

The PDF (WeasyPrint) holds a cover with the summary and an index with page numbers, a timeline,
the statement of account with interest and fees and how they were computed, every invoice (its
stored PDF merged in with pypdf, else rendered), the terms as agreed and uploaded contracts, the
full communication log, arrangements and disputes with their outcome, and the audit event and
hash of each record.

Page numbers: the index's numbers are CSS ``target-counter()``s, which WeasyPrint fills in a
second pass over the laid-out pages; the page of each section's anchor is also read back from
the layout (``Section.page``). A stored PDF's pages are reserved as empty pages with the pack's
footer and the original is drawn onto them afterwards, so the numbering holds.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string

from recoup.arrangements.models import Dispute, DisputeAttachment, PaymentPlan, Promise
from recoup.compliance.selectors import contract_jurisdiction
from recoup.core.money import format_money, from_minor
from recoup.escalation.models import Case, EvidenceDocument, LetterBeforeAction, Placement
from recoup.escalation.selectors import amount_owed, audit_hashes, money_text
from recoup.ledger.models import Allocation, Charge, CreditNote, Customer, Invoice, Payment, WriteOff
from recoup.lib.spreadsheet import CsvWriter
from recoup.messaging.models import Attachment, Message
from recoup.orgs.models import Organization

_CSS = Path(__file__).parent / "templates" / "escalation" / "pack" / "pack.css"
MAX_CONTENT_CHARS = 6000


class EvidenceError(ValueError):
    """The pack cannot be built as asked (an unknown invoice number, say)."""


@dataclass
class Section:
    anchor: str
    title: str
    level: int = 1
    page: int = 0


@dataclass
class StoredPdf:
    anchor_prefix: str
    data: bytes
    pages: int


@dataclass
class PackResult:
    pdf: bytes
    sections: list[Section]
    page_count: int
    files: list[tuple[str, bytes]] = field(default_factory=list)  # originals for the ZIP
    comms: list[dict] = field(default_factory=list)  # the communication log's rows (for its CSV)


def _pdf_pages(data: bytes) -> int | None:
    from pypdf import PdfReader

    try:
        return len(PdfReader(io.BytesIO(data)).pages)
    except Exception:
        return None  # a broken file is listed, not merged


def _select_invoices(org: Organization, customer: Customer, numbers: list[str] | None) -> list[Invoice]:
    rows = Invoice.objects.for_org(org).filter(customer=customer)
    if numbers:
        found = {inv.number: inv for inv in rows.filter(number__in=numbers)}
        missing = [n for n in numbers if n not in found]
        if missing:
            raise EvidenceError(f"--invoices: {', '.join(missing)} not found among {customer.ref}'s invoices")
        rows = rows.filter(number__in=numbers)
    return list(rows.order_by("issue_date", "number").prefetch_related("lines", "charges", "allocations",
                                                                       "write_offs"))


def gather(*, org: Organization, customer: Customer, on: date, now: datetime, invoice_numbers: list[str] | None = None,
           prepared_by: str = "") -> tuple[dict, list[Section], list[StoredPdf], list[tuple[str, bytes]]]:
    """The template context, the sections of the index, stored PDFs to merge and original files."""
    if customer.org_id != org.pk:
        raise EvidenceError(f"customer {customer.ref} does not belong to {org.slug}")
    zone = ZoneInfo(org.timezone or "UTC")
    invoices = _select_invoices(org, customer, invoice_numbers)
    inv_ids = [i.pk for i in invoices]
    owed = amount_owed(org=org, customer=customer, on=on, invoices=[i for i in invoices if i.open_minor > 0])
    owed_by_id = {row.invoice.pk: row for row in owed.invoices}
    cur = invoices[0].currency if invoices else org.base_currency
    allocations = list(Allocation.objects.for_org(org).filter(invoice_id__in=inv_ids)
                       .select_related("payment", "credit_note", "invoice").order_by("date", "id"))
    payments = list(Payment.objects.for_org(org).filter(customer=customer).order_by("date", "id"))
    credit_notes = list(CreditNote.objects.for_org(org).filter(customer=customer).order_by("date", "id"))
    charges = list(Charge.objects.for_org(org).filter(invoice_id__in=inv_ids).select_related("invoice"))
    write_offs = list(WriteOff.objects.for_org(org).filter(invoice_id__in=inv_ids).select_related("invoice"))
    messages = list(Message.objects.for_org(org).filter(customer=customer).select_related("contact")
                    .order_by("created_at", "id"))
    plans = list(PaymentPlan.objects.for_org(org).filter(customer=customer).prefetch_related("instalments", "invoices")
                 .order_by("created_at"))
    promises = list(Promise.objects.for_org(org).filter(customer=customer).prefetch_related("invoices")
                    .order_by("created_at"))
    disputes = list(Dispute.objects.for_org(org).filter(customer=customer).prefetch_related("invoices", "referrals",
                                                                                             "attachments"))
    letters = list(LetterBeforeAction.objects.for_org(org).filter(customer=customer).order_by("sent_on"))
    placements = list(Placement.objects.for_org(org).filter(customer=customer).select_related("agency"))
    cases = list(Case.objects.for_org(org).filter(customer=customer).prefetch_related("events"))
    documents = list(EvidenceDocument.objects.for_org(org).filter(customer=customer))
    records: list[object] = [*invoices, *payments, *credit_notes, *charges, *write_offs, *messages, *plans, *promises,
                             *disputes, *letters, *placements, *cases, *documents]
    hashes = audit_hashes(org=org, records=records)

    def audit_of(obj) -> dict:
        event_id, digest = hashes.get((type(obj).__name__.lower(), obj.pk), (None, ""))
        return {"event": event_id, "hash": digest}

    sections = [Section("s-summary", "Summary"), Section("s-timeline", "Timeline"),
                Section("s-statement", "Statement of account"), Section("s-invoices", "Invoices")]
    stored: list[StoredPdf] = []
    files: list[tuple[str, bytes]] = []
    inv_rows = []
    for inv in invoices:
        sections.append(Section(f"inv-{inv.pk}", f"Invoice {inv.number}", level=2))
        pdf_pages = 0
        if inv.pdf:
            with inv.pdf.open("rb") as f:
                data = f.read()
            files.append((f"invoices/{inv.number}.pdf", data))
            pdf_pages = _pdf_pages(data) or 0
            if pdf_pages:
                stored.append(StoredPdf(f"pdf-inv-{inv.pk}", data, pdf_pages))
        row = owed_by_id.get(inv.pk)
        inv_rows.append({
            "inv": inv, "audit": audit_of(inv), "pdf_pages": range(pdf_pages), "stored": bool(pdf_pages),
            "lines": list(inv.lines.all()),
            "charges": [(c, audit_of(c)) for c in charges if c.invoice_id == inv.pk],
            "allocations": [a for a in allocations if a.invoice_id == inv.pk],
            "write_offs": [(w, audit_of(w)) for w in write_offs if w.invoice_id == inv.pk],
            "interest_minor": row.interest_minor if row else 0, "interest_how": row.interest_how if row else [],
            "limitation": row.limitation if row else None,
        })
    sections.append(Section("s-terms", "Terms as agreed and contracts"))
    doc_rows = []
    for doc in documents:
        data = bytes(doc.data)
        files.append((f"documents/{doc.pk}-{doc.filename}", data))
        pages = _pdf_pages(data) if doc.content_type == "application/pdf" else 0
        if pages:
            stored.append(StoredPdf(f"pdf-doc-{doc.pk}", data, pages))
        image = ""
        if doc.content_type.startswith("image/"):
            import base64
            image = f"data:{doc.content_type};base64,{base64.b64encode(data).decode()}"
        text = data.decode("utf-8", "replace")[:MAX_CONTENT_CHARS] if doc.content_type == "text/plain" else ""
        doc_rows.append({"doc": doc, "audit": audit_of(doc), "pdf_pages": range(pages or 0), "image": image,
                         "text": text})
    sections += [Section("s-comms", "Communication log"), Section("s-arrangements", "Payment plans and promises"),
                 Section("s-disputes", "Disputes and their outcome"),
                 Section("s-escalation", "Letters, placements and cases"), Section("s-audit", "Audit records")]
    attachments: dict[int, list[str]] = {}
    for att in Attachment.objects.filter(message__in=messages).order_by("id"):
        attachments.setdefault(att.message_id, []).append(att.filename)
        files.append((f"messages/{att.message_id}-{att.filename}", bytes(att.data)))
    for att in DisputeAttachment.objects.for_org(org).filter(dispute__in=disputes):
        files.append((f"disputes/{att.dispute_id}-{att.filename}", bytes(att.data)))
    for letter in letters:
        files.append((f"letters/letter-before-action-{letter.number}.pdf", bytes(letter.pdf)))
    comm_rows = []
    for m in messages:
        at = (m.sent_at or m.created_at).astimezone(zone)
        content = m.body_text or ""
        comm_rows.append({"m": m, "date": at.date().isoformat(), "time": at.strftime("%H:%M %Z"),
                          "channel": m.get_channel_display(), "direction": m.get_direction_display(),
                          "status": m.get_status_display(), "audit": audit_of(m),
                          "content": content[:MAX_CONTENT_CHARS], "cut": len(content) > MAX_CONTENT_CHARS,
                          "attachments": attachments.get(m.pk, [])})
    timeline = _timeline(invoices=invoices, payments=payments, credit_notes=credit_notes, charges=charges,
                         write_offs=write_offs, comm_rows=comm_rows, plans=plans, promises=promises,
                         disputes=disputes, letters=letters, placements=placements, cases=cases)
    limits = [r["limitation"] for r in inv_rows if r["limitation"] is not None]
    context = {
        "org": org, "customer": customer, "on": on, "prepared_at": now.astimezone(zone),
        "prepared_by": prepared_by, "currency": cur, "jurisdiction": contract_jurisdiction(customer, org) or "unknown",
        "owed": {key: format_money(from_minor(minor, cur), cur, org.locale or "en") for key, minor in (
            ("principal", owed.principal_minor), ("charges", owed.charges_minor),
            ("interest", owed.interest_minor), ("total", owed.total_minor))},
        "limitation": min(limits, key=lambda lim: lim.last_day) if limits else None,
        "invoices": inv_rows, "payments": [(p, audit_of(p)) for p in payments],
        "credit_notes": [(c, audit_of(c)) for c in credit_notes], "documents": doc_rows, "comms": comm_rows,
        "plans": [(p, audit_of(p)) for p in plans], "promises": [(p, audit_of(p)) for p in promises],
        "disputes": [(d, audit_of(d)) for d in disputes], "letters": [(x, audit_of(x)) for x in letters],
        "placements": [(x, audit_of(x)) for x in placements], "cases": [(x, audit_of(x)) for x in cases],
        "timeline": timeline,
        "audit_rows": [{"kind": type(obj).__name__, "label": str(obj), "pk": obj.pk, **audit_of(obj)}
                       for obj in records],
    }
    return context, sections, stored, files


def _timeline(*, invoices, payments, credit_notes, charges, write_offs, comm_rows, plans, promises, disputes, letters,
              placements, cases) -> list[tuple[str, str]]:
    events: list[tuple[str, int, str]] = []

    def add(day, text: str, order: int = 5) -> None:
        if day:
            events.append((day.isoformat(), order, text))

    for inv in invoices:
        add(inv.issue_date, f"Invoice {inv.number} issued for {money_text(inv.total_minor, inv.currency)}", 1)
        add(inv.due_date, f"Invoice {inv.number} due", 2)
    for p in payments:
        add(p.date, f"Payment of {money_text(p.amount_minor, p.currency)} received ({p.get_method_display()})")
    for c in credit_notes:
        add(c.date, f"Credit note {c.number} for {money_text(c.amount_minor, c.currency)}")
    for c in charges:
        add(c.date, f"{c.get_kind_display()} of {money_text(c.amount_minor, c.invoice.currency)} on {c.invoice.number}")
    for w in write_offs:
        add(w.date, f"{money_text(w.amount_minor, w.invoice.currency)} of {w.invoice.number} written off: {w.reason}")
    for row in comm_rows:
        m = row["m"]
        events.append((row["date"], 6, f"{row['channel']} ({row['direction'].lower()}): {m.subject or '(no subject)'}"))
    for p in plans:
        add(p.start_date, f"Payment plan #{p.pk} made: {p.instalment_count} instalments, "
                          f"{money_text(p.total_minor, p.currency)}")
        if p.ended_on:
            add(p.ended_on, f"Payment plan #{p.pk} {p.get_status_display().lower()}")
    for p in promises:
        add(p.made_on, f"Promise to pay {money_text(p.amount_minor, p.currency)} by {p.pay_by.isoformat()}")
        if p.ended_on:
            add(p.ended_on, f"Promise #{p.pk} {p.get_status_display().lower()}")
    for d in disputes:
        add(d.opened_on, f"Dispute #{d.pk} raised: {d.get_category_display().lower()}")
        if d.closed_on:
            add(d.closed_on, f"Dispute #{d.pk} {d.get_status_display().lower()}")
    for x in letters:
        add(x.sent_on, f"{x.get_kind_display()} #{x.number} sent; response period to {x.deadline.isoformat()}")
    for x in placements:
        add(x.placed_on, f"Placed with {x.agency.name} ({money_text(x.placed_minor, x.currency)})")
        if x.ended_on:
            add(x.ended_on, f"Placement with {x.agency.name} {x.get_status_display().lower()}")
    for x in cases:
        add(x.filing_date, f"{x.get_forum_display()} case filed {x.case_number}".strip())
    return [(day, text) for day, _, text in sorted(events, key=lambda e: (e[0], e[1]))]


def _layout(html: str):
    from weasyprint import CSS, HTML

    return HTML(string=html, base_url=str(_CSS.parent)).render(stylesheets=[CSS(filename=str(_CSS))])


def _anchor_pages(document) -> dict[str, int]:
    pages: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            pages.setdefault(anchor, number)
    return pages


def build_pack(*, org: Organization, customer: Customer, on: date, now: datetime,
               invoice_numbers: list[str] | None = None, prepared_by: str = "") -> PackResult:
    """Lay out the pack, fix the index's page numbers, and draw stored PDFs onto their pages."""
    context, sections, stored, files = gather(org=org, customer=customer, on=on, now=now,
                                              invoice_numbers=invoice_numbers, prepared_by=prepared_by)
    # The index's numbers are CSS target-counter()s: WeasyPrint lays the pages out, then fills
    # them in; the anchors read back say where each section (and each reserved page) landed.
    html = render_to_string("escalation/pack/pack.html", {**context, "sections": sections})
    document = _layout(html)
    anchors = _anchor_pages(document)
    for s in sections:
        s.page = anchors.get(s.anchor, 0)
    pdf = document.write_pdf()
    if stored:
        pdf = _merge_stored(pdf, stored, anchors)
    return PackResult(pdf=pdf, sections=sections, page_count=len(document.pages), files=files,
                      comms=context["comms"])


def _merge_stored(pdf: bytes, stored: list[StoredPdf], anchors: dict[str, int]) -> bytes:
    """Draw each stored PDF page, scaled to fit above the footer, onto the page reserved for it."""
    from pypdf import PdfReader, PdfWriter, Transformation

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for item in stored:
        original = PdfReader(io.BytesIO(item.data))
        for k, source in enumerate(original.pages):
            number = anchors.get(f"{item.anchor_prefix}-{k}")
            if not number:
                continue
            target = writer.pages[number - 1]
            tw, th = float(target.mediabox.width), float(target.mediabox.height)
            sw, sh = float(source.mediabox.width), float(source.mediabox.height)
            footer = 40.0  # points kept free for the pack's footer
            scale = min(tw / sw, (th - footer) / sh) * 0.96
            dx = (tw - sw * scale) / 2 - float(source.mediabox.left) * scale
            dy = footer + (th - footer - sh * scale) / 2 - float(source.mediabox.bottom) * scale
            target.merge_transformed_page(source, Transformation().scale(scale).translate(dx, dy))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pack_zip(result: PackResult, *, customer: Customer, comms: list[dict] | None = None,
             pack_name: str = "evidence-pack.pdf") -> bytes:
    """The pack and the original files, with a manifest of SHA-256 sums."""
    buf = io.BytesIO()
    manifest = []
    entries = [(pack_name, result.pdf), *result.files]
    if comms is not None:
        entries.append(("communication-log.csv", _comms_csv(comms)))
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        seen: set[str] = set()
        for name, data in entries:
            name = name.replace("\\", "/").lstrip("/")
            if name in seen:
                continue
            seen.add(name)
            zf.writestr(name, data)
            manifest.append({"file": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        zf.writestr("manifest.json", json.dumps({"customer_ref": customer.ref, "files": manifest}, indent=2))
    return buf.getvalue()


def _comms_csv(comms: list[dict]) -> bytes:
    out = io.StringIO()
    writer = CsvWriter(out)
    writer.writerow(["date", "time", "channel", "direction", "status", "address", "subject", "content"])
    for row in comms:
        m = row["m"]
        writer.writerow([row["date"], row["time"], row["channel"], row["direction"], row["status"], m.to_address,
                         m.subject, m.body_text])
    return out.getvalue().encode("utf-8")


def evidence_files(*, org: Organization, customer: Customer, on: date, now: datetime,
                   invoice_numbers: list[str] | None = None, prepared_by: str = "") -> tuple[PackResult, bytes]:
    """The pack and its ZIP in one go (the command and the button)."""
    result = build_pack(org=org, customer=customer, on=on, now=now, invoice_numbers=invoice_numbers,
                        prepared_by=prepared_by)
    return result, pack_zip(result, customer=customer, comms=result.comms,
                            pack_name=f"evidence-{customer.ref}-{on.isoformat()}.pdf")
