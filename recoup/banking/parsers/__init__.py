"""Read a statement file of any supported format into ``ParsedStatement``s.

``read_file`` recognises the format from the content (not the file name): a zip of
statement files, camt.052/053/054 XML, OFX, MT940/MT942, else CSV through a profile
(the one named, or the first whose columns the file has).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from recoup.banking.parsers import balance, camt, csvfile, mt940, ofx
from recoup.banking.parsers.base import ParsedLine, ParsedStatement, StatementError
from recoup.banking.parsers.csvfile import BUILT_IN, Profile
from recoup.core.money import minor_exponent

__all__ = ["ParsedLine", "ParsedStatement", "Profile", "StatementError", "read_file", "BUILT_IN"]

MAX_UNZIPPED = 50 * 1024 * 1024


def _read_zip(filename: str, data: bytes, **options) -> list[ParsedStatement]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = sorted((m for m in archive.infolist() if not m.is_dir()), key=lambda m: m.filename)
    except zipfile.BadZipFile as exc:
        raise StatementError(filename, "", f"not a readable zip file ({exc})") from None
    if sum(m.file_size for m in members) > MAX_UNZIPPED:
        raise StatementError(filename, "", f"the zip unpacks to more than {MAX_UNZIPPED // 2**20} MB")
    if not members:
        raise StatementError(filename, "", "the zip file is empty")
    out: list[ParsedStatement] = []
    for member in members:
        out += read_file(f"{filename}/{member.filename}", archive.read(member), **options)
    return out


def read_file(filename: str, data: bytes, *, profile: Profile | None = None,
              profiles: Sequence[Profile] = (), default_currency: str = "",
              check_balances: bool = True) -> list[ParsedStatement]:
    """Every statement in the file, each checked to balance (see ``balance``).

    Raises StatementError naming the file and place. ``check_balances=False`` is for tests
    that look at how a file that does not balance is read.
    """
    statements = _parse(filename, data, profile=profile, profiles=profiles, default_currency=default_currency,
                        check_balances=check_balances)
    for statement in statements:
        if statement.currency and not _known_currency(statement.currency):
            raise StatementError(filename, statement.place, f"{statement.currency!r} is not a currency code")
        if check_balances:
            balance.check(filename, statement)
    return statements


def _known_currency(code: str) -> bool:
    try:
        minor_exponent(code)
    except ValueError:
        return False
    return True


def _parse(filename: str, data: bytes, *, profile: Profile | None, profiles: Sequence[Profile],
           default_currency: str, check_balances: bool) -> list[ParsedStatement]:
    if not data.strip():
        raise StatementError(filename, "", "the file is empty")
    options = dict(profile=profile, profiles=profiles, default_currency=default_currency,
                   check_balances=check_balances)
    if data.startswith(b"PK\x03\x04"):
        return _read_zip(filename, data, **options)
    if profile is not None:
        return csvfile.parse(filename, data, profile, default_currency=default_currency)
    if camt.looks_like(data):
        return camt.parse(filename, data)
    if ofx.looks_like(data):
        return ofx.parse(filename, data, default_currency=default_currency)
    if mt940.looks_like(data):
        return mt940.parse(filename, data)
    if data.lstrip().startswith(b"<"):
        raise StatementError(filename, "line 1", "XML that is neither camt.052/053/054 nor OFX")
    candidates = [*profiles, *BUILT_IN.values()]
    fitting = [p for p in candidates if csvfile.find_header(data, p) is not None]
    if not fitting:
        preview = csvfile.header_preview(data)
        hint = (" It looks like an invoice or customer export, not a bank statement: import invoices through the"
                " ledger import instead." if any(w in preview.lower() for w in ("invoice", "client", "customer"))
                else " Save a CSV profile naming its date and amount columns, then import with that profile.")
        raise StatementError(filename, preview.split(":")[0],
                             f"not a statement format Recoup knows and no CSV profile fits its columns "
                             f"({preview.split(': ', 1)[-1][:120]}).{hint}")
    best = max(fitting, key=lambda p: len(p.columns()))
    return csvfile.parse(filename, data, best, default_currency=default_currency)
