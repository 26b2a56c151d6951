"""A customer's statement as a PDF download."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from recoup.ledger import selectors as ledger
from recoup.ledger.models import Customer
from recoup.lib.downloads import content_disposition
from recoup.orgs.models import Organization
from recoup.web.decorators import org_view
from recoup.web.forms import StatementForm
from recoup.web.views.common import get_for_org, org_today


@org_view()
def statement_pdf(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    from recoup.reports.statement_pdf import render_statement_pdf  # WeasyPrint is slow to import

    customer = get_for_org(Customer, org, pk=pk)
    form = StatementForm(request.GET)
    as_of = (form.cleaned_data.get("as_of") if form.is_valid() else None) or org_today(org, timezone.now())
    statement = ledger.statement(org=org, customer=customer, as_of=as_of)
    response = HttpResponse(render_statement_pdf(statement, org), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(f"statement-{customer.ref}-{as_of}.pdf", attachment=False)
    return response
