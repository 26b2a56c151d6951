"""How much one e-invoice import may hold (the ``RECOUP_EINVOICE_*`` settings), and the words that say so.

One cap serves a file and the XML a PDF carries once unpacked: an e-invoice is at most
``max_file`` bytes however it is packed. The web page stops receiving a file at the cap
(``recoup.web.uploads``), the command checks sizes before reading, and the PDF reader stops
unpacking at it (``reading``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from recoup.ledger.imports.einvoice.reading import megabytes


@dataclass(frozen=True)
class EInvoiceLimits:
    max_files: int  # files in one upload
    max_file: int  # bytes of one file, and of the XML a PDF carries, unpacked
    max_total: int  # bytes of all files of one upload together

    def file_too_large(self, name: str) -> str:
        return f"{name} is larger than {megabytes(self.max_file)}, the most one e-invoice may be"

    def total_too_large(self, stopped_at: str) -> str:
        return (f"the files together are larger than {megabytes(self.max_total)}, the most one upload of e-invoices "
                f"may be (it stopped at {stopped_at}); upload them in smaller batches")

    def sizes_problem(self, sizes: list[tuple[str, int]]) -> str | None:
        """Why files of these (name, bytes) may not be imported together, naming the setting; None when they may."""
        for name, size in sizes:
            if size > self.max_file:
                return (f"{name}: the file is {size / 1e6:.2f} MB, more than the {megabytes(self.max_file)} one "
                        "e-invoice may be (RECOUP_EINVOICE_MAX_FILE_BYTES)")
        total = sum(size for _, size in sizes)
        if total > self.max_total:
            return (f"the files together are {total / 1e6:.2f} MB, more than the {megabytes(self.max_total)} one "
                    "import of e-invoices may be (RECOUP_EINVOICE_MAX_TOTAL_BYTES); import them in smaller batches")
        return None


def einvoice_limits() -> EInvoiceLimits:
    return EInvoiceLimits(max_files=settings.RECOUP_EINVOICE_MAX_FILES,
                          max_file=settings.RECOUP_EINVOICE_MAX_FILE_BYTES,
                          max_total=settings.RECOUP_EINVOICE_MAX_TOTAL_BYTES)

