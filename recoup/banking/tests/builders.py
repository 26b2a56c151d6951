"""Build camt.053 files for test scenarios (the shared sample files are tested as they are), and import
them as an operator does who confirms the accounts a file names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from xml.sax.saxutils import escape


@dataclass
class Entry:
    amount: str  # "120.00"; negative for money out
    on: date
    name: str = ""
    iban: str = ""
    text: str = ""
    e2e: str = "NOTPROVIDED"
    return_reason: str = ""
    currency: str = "GBP"


def camt053(entries: list[Entry], *, iban: str = "GB33BUKB20201555555555", statement_id: str = "STMT-1",
            currency: str = "GBP") -> bytes:
    rows = []
    for e in entries:
        credit = not e.amount.startswith("-")
        party = "Dbtr" if credit else "Cdtr"
        rtr = f"<RtrInf><Rsn><Cd>{e.return_reason}</Cd></Rsn></RtrInf>" if e.return_reason else ""
        rows.append(f"""
      <Ntry>
        <Amt Ccy="{e.currency}">{e.amount.lstrip('-')}</Amt><CdtDbtInd>{'CRDT' if credit else 'DBIT'}</CdtDbtInd>
        <Sts>BOOK</Sts><BookgDt><Dt>{e.on.isoformat()}</Dt></BookgDt><ValDt><Dt>{e.on.isoformat()}</Dt></ValDt>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{escape(e.e2e)}</EndToEndId></Refs>
          <RltdPties><{party}><Nm>{escape(e.name)}</Nm></{party}><{party}Acct><Id><IBAN>{e.iban}</IBAN></Id></{party}Acct></RltdPties>
          <RmtInf><Ustrd>{escape(e.text)}</Ustrd></RmtInf>{rtr}
        </TxDtls></NtryDtls>
      </Ntry>""")
    first = min((e.on for e in entries), default=date(2026, 4, 1)).isoformat()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>{first}T18:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{statement_id}</Id>
      <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>{currency}</Ccy></Acct>{''.join(rows)}
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


def import_confirmed(**kwargs):
    """``statement_import``, confirming any account the file names that is not yet the organization's,
    as the operator does on the page's second step (tests whose subject is not the account use it)."""
    from recoup.banking.actions import statement_import
    from recoup.banking.errors import UnknownAccount

    try:
        return statement_import(**kwargs)
    except UnknownAccount as exc:
        return statement_import(**kwargs, add_accounts=exc.identifiers)
