"""One QuickBooks Online company (realm) inside the fake: its entities and Intuit's rules.

Entities are kept in the API's JSON shape (``Customer``, ``Invoice``, ``Payment``,
``CreditMemo``) with ``Decimal`` amounts; keys starting with ``_`` stay inside the fake.
Every change bumps ``SyncToken``, stamps ``MetaData.LastUpdatedTime`` with the ``now`` it is
given (so Change Data Capture and ``MetaData.LastUpdatedTime >`` queries see it) and
queues a webhook event.

Rules (Intuit's documentation): an update must carry the entity's current ``SyncToken``
(else "Stale Object Error", code 5010); a payment's lines link invoices (reducing their
``Balance``, never below zero) or credit memos (spending their ``Balance``), and what is
not linked stays ``UnappliedAmt``; ``operation=void`` keeps the invoice with zero amounts
and the note "Voided"; ``operation=delete`` removes it, and CDC then reports it as
``{"Id", "status": "Deleted"}``. Refusals are ``QboError`` with Intuit's code and message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
KINDS = ("Customer", "Invoice", "Payment", "CreditMemo")


class QboError(Exception):
    def __init__(self, message: str, *, code: str = "6000", detail: str = "", element: str = ""):
        super().__init__(message)
        self.code, self.detail, self.element = code, detail or message, element


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z") if moment.tzinfo else moment.isoformat()


def _money(value: object, name: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)
    except ArithmeticError:
        raise QboError(f"Invalid Number : {name}", code="2030", element=name) from None
    return amount


def _day(value: object, name: str) -> date:
    try:
        return date.fromisoformat(str(value).replace("/", "-")[:10])
    except ValueError:
        raise QboError(f"Invalid Date : {name}", code="2040", element=name) from None


def _ref(value: object, name: str) -> str:
    if not isinstance(value, dict) or not value.get("value"):
        raise QboError(f"Required param missing, need to supply the required value for the API : {name}",
                       code="2020", element=name)
    return str(value["value"])


def public(entity: dict) -> dict:
    return {k: (public(v) if isinstance(v, dict) else v) for k, v in entity.items() if not k.startswith("_")}


@dataclass
class Change:
    kind: str  # Customer, Invoice, ...
    entity_id: str
    operation: str  # Create, Update, Delete, Void
    at: datetime


@dataclass
class Company:
    realm_id: str
    name: str
    currency: str = "USD"
    entities: dict[str, dict[str, dict]] = field(default_factory=lambda: {k: {} for k in KINDS})
    deleted: dict[str, dict[str, datetime]] = field(default_factory=lambda: {k: {} for k in KINDS})
    changes: list[Change] = field(default_factory=list)
    _next_id: int = 0

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def _saved(self, kind: str, entity: dict, now: datetime, operation: str) -> dict:
        meta = entity.setdefault("MetaData", {"CreateTime": stamp(now)})
        meta["LastUpdatedTime"] = stamp(now)
        entity["_updated"] = now
        self.entities[kind][entity["Id"]] = entity
        self.changes.append(Change(kind, entity["Id"], operation, now))
        return entity

    def get(self, kind: str, entity_id: str) -> dict:
        entity = self.entities[kind].get(str(entity_id))
        if entity is None:
            raise QboError(f"Object Not Found : Something you're trying to use has been made inactive or "
                           f"deleted; check the {kind} Id {entity_id}", code="610")
        return entity

    def _existing(self, kind: str, data: dict) -> dict | None:
        if not data.get("Id"):
            return None
        entity = self.get(kind, data["Id"])
        if str(data.get("SyncToken")) != entity["SyncToken"]:
            raise QboError("Stale Object Error : You and someone else were working on this at the same time",
                           code="5010", element="SyncToken")
        entity = dict(entity)
        entity["SyncToken"] = str(int(entity["SyncToken"]) + 1)
        return entity

    # -- customers ----------------------------------------------------------------------------

    def save_customer(self, data: dict, now: datetime) -> dict:
        existing = self._existing("Customer", data)
        entity = existing or {"Id": self._new_id(), "SyncToken": "0", "Active": True, "Balance": Decimal("0.00"),
                              "Job": False, "BillWithParent": False, "Taxable": False}
        for key in ("DisplayName", "GivenName", "FamilyName", "CompanyName", "PrimaryEmailAddr", "PrimaryPhone",
                    "BillAddr", "Notes", "Active", "Title", "Suffix", "MiddleName"):
            if key in data:
                entity[key] = data[key]
        name = entity.get("DisplayName") or " ".join(filter(None, (entity.get("GivenName"), entity.get("FamilyName"))))
        if not name:
            raise QboError("Required param missing, need to supply the required value for the API : DisplayName",
                           code="2020", element="DisplayName")
        clash = next((c for c in self.entities["Customer"].values() if c["DisplayName"] == name
                      and c["Id"] != entity["Id"]), None)
        if clash:
            raise QboError(f"Duplicate Name Exists Error : The name supplied already exists. : Id={clash['Id']}",
                           code="6240")
        entity["DisplayName"] = entity["FullyQualifiedName"] = entity["PrintOnCheckName"] = name
        return self._saved("Customer", entity, now, "Update" if existing else "Create")

    # -- invoices and credit memos ------------------------------------------------------------

    def _lines(self, lines: object) -> tuple[list[dict], Decimal]:
        if not isinstance(lines, list) or not lines:
            raise QboError("Required param missing, need to supply the required value for the API : Line",
                           code="2020", element="Line")
        out, total = [], Decimal(0)
        for n, line in enumerate(lines, 1):
            amount = _money(line.get("Amount"), f"Line[{n}].Amount")
            detail = dict(line.get("SalesItemLineDetail") or {"ItemRef": {"value": "1", "name": "Services"}})
            out.append({"Id": str(n), "LineNum": n, "Description": str(line.get("Description", "")),
                        "Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail})
            total += amount
        out.append({"Amount": total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
        return out, total

    def _document(self, kind: str, data: dict, now: datetime) -> tuple[dict, dict | None]:
        existing = self._existing(kind, data)
        entity = existing or {"Id": self._new_id(), "SyncToken": "0", "LinkedTxn": [], "PrivateNote": "",
                              "CurrencyRef": {"value": self.currency}}
        if existing and existing.get("PrivateNote") == "Voided":
            raise QboError("A voided transaction cannot be changed", code="6540")
        customer = self.get("Customer", _ref(data.get("CustomerRef") or entity.get("CustomerRef"), "CustomerRef"))
        entity["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}
        for key in ("DocNumber", "PrivateNote", "CustomerMemo", "BillEmail"):
            if key in data:
                entity[key] = data[key]
        entity["TxnDate"] = str(_day(data.get("TxnDate") or entity.get("TxnDate") or now.date(), "TxnDate"))
        if "Line" in data or existing is None:
            paid = entity.get("TotalAmt", Decimal(0)) - entity.get("Balance", Decimal(0))
            entity["Line"], total = self._lines(data.get("Line"))
            if total < paid:
                raise QboError("The new total is less than what has already been applied to this transaction")
            entity["TotalAmt"], entity["Balance"] = total, total - paid
        return entity, existing

    def save_invoice(self, data: dict, now: datetime) -> dict:
        entity, existing = self._document("Invoice", data, now)
        entity["DueDate"] = str(_day(data.get("DueDate") or entity.get("DueDate") or entity["TxnDate"], "DueDate"))
        entity.setdefault("DocNumber", str(1000 + int(entity["Id"])))
        entity["HomeBalance"], entity["HomeTotalAmt"] = entity["Balance"], entity["TotalAmt"]
        return self._saved("Invoice", entity, now, "Update" if existing else "Create")

    def save_credit_memo(self, data: dict, now: datetime) -> dict:
        entity, existing = self._document("CreditMemo", data, now)
        entity.pop("LinkedTxn", None)
        entity["RemainingCredit"] = entity["Balance"]
        return self._saved("CreditMemo", entity, now, "Update" if existing else "Create")

    def void_invoice(self, data: dict, now: datetime) -> dict:
        entity = self._existing("Invoice", data) if data.get("Id") else None
        if entity is None:
            raise QboError("Required param missing, need to supply the required value for the API : Id", code="2020")
        if any(link["TxnType"] == "Payment" for link in entity["LinkedTxn"]):
            raise QboError("This invoice has payments applied; delete or unapply them before voiding it", code="6540")
        entity["Line"] = [{**line, "Amount": Decimal("0.00")} for line in entity["Line"]]
        entity.update(TotalAmt=Decimal("0.00"), Balance=Decimal("0.00"), HomeBalance=Decimal("0.00"),
                      HomeTotalAmt=Decimal("0.00"), PrivateNote="Voided")
        return self._saved("Invoice", entity, now, "Void")

    def delete(self, kind: str, data: dict, now: datetime) -> dict:
        entity = self._existing(kind, data) if data.get("Id") else None
        if entity is None:
            raise QboError("Required param missing, need to supply the required value for the API : Id", code="2020")
        if kind == "Invoice" and any(link["TxnType"] == "Payment" for link in entity["LinkedTxn"]):
            raise QboError("This invoice has payments applied; delete them first", code="6540")
        if kind == "Payment":
            self._unapply(entity, now)
        del self.entities[kind][entity["Id"]]
        self.deleted[kind][entity["Id"]] = now
        self.changes.append(Change(kind, entity["Id"], "Delete", now))
        return {"Id": entity["Id"], "status": "Deleted", "domain": "QBO"}

    # -- payments -----------------------------------------------------------------------------

    def save_payment(self, data: dict, now: datetime) -> dict:
        if data.get("Id"):
            raise QboError("The fake does not update payments; delete and create again", code="6000")
        customer = self.get("Customer", _ref(data.get("CustomerRef"), "CustomerRef"))
        total = _money(data.get("TotalAmt"), "TotalAmt")
        lines, applied = [], Decimal(0)
        for n, line in enumerate(data.get("Line") or [], 1):
            amount = _money(line.get("Amount"), f"Line[{n}].Amount")
            links = line.get("LinkedTxn") or []
            if len(links) != 1 or links[0].get("TxnType") not in ("Invoice", "CreditMemo"):
                raise QboError("Each payment line links one Invoice or one CreditMemo", code="2020",
                               element="LinkedTxn")
            kind = links[0]["TxnType"]
            target = self.get(kind, links[0].get("TxnId"))
            if target["CustomerRef"]["value"] != customer["Id"]:
                raise QboError(f"{kind} {target['Id']} belongs to another customer", code="6000")
            if amount <= 0 or amount > target["Balance"]:
                raise QboError(f"The amount applied to {kind} {target['Id']} is more than its open balance",
                               code="6000")
            applied += amount if kind == "Invoice" else -amount
            lines.append((amount, kind, target))
        if total < 0 or applied > total:
            raise QboError("The payment applies more than its TotalAmt", code="6000")
        payment = {"Id": self._new_id(), "SyncToken": "0", "TotalAmt": total, "UnappliedAmt": total - applied,
                   "CustomerRef": {"value": customer["Id"], "name": customer["DisplayName"]},
                   "TxnDate": str(_day(data.get("TxnDate") or now.date(), "TxnDate")),
                   "CurrencyRef": {"value": self.currency}, "PrivateNote": str(data.get("PrivateNote", "")),
                   "PaymentRefNum": str(data.get("PaymentRefNum", "")),
                   "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": target["Id"], "TxnType": kind}]}
                            for amount, kind, target in lines]}
        for amount, kind, target in lines:
            updated = dict(target, Balance=target["Balance"] - amount,
                           LinkedTxn=[*target.get("LinkedTxn", []), {"TxnId": payment["Id"], "TxnType": "Payment"}],
                           SyncToken=str(int(target["SyncToken"]) + 1))
            if kind == "Invoice":
                updated["HomeBalance"] = updated["Balance"]
            else:
                updated["RemainingCredit"] = updated["Balance"]
                updated.pop("LinkedTxn")
            self._saved(kind, updated, now, "Update")
        return self._saved("Payment", payment, now, "Create")

    def _unapply(self, payment: dict, now: datetime) -> None:
        for line in payment["Line"]:
            link = line["LinkedTxn"][0]
            target = self.entities[link["TxnType"]].get(link["TxnId"])
            if target is None:
                continue
            target = dict(target, Balance=target["Balance"] + line["Amount"],
                          SyncToken=str(int(target["SyncToken"]) + 1))
            if link["TxnType"] == "Invoice":
                target["HomeBalance"] = target["Balance"]
                target["LinkedTxn"] = [t for t in target["LinkedTxn"] if t["TxnId"] != payment["Id"]]
            else:
                target["RemainingCredit"] = target["Balance"]
            self._saved(link["TxnType"], target, now, "Update")
