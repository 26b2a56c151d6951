"""recoup forecast [--as-of DATE] [--currency C] [--train]: expected collections by week and the work queue."""

from __future__ import annotations

from django.core.management.base import CommandError

from recoup.audit.actions import Actor
from recoup.core.money import minor_to_text
from recoup.insight import actions, selectors, tables
from recoup.lib.command import OrgCommand, add_now_argument, command_now, org_today, parse_date


class Command(OrgCommand):
    help = "Cash forecast for 13 weeks with a range, from predicted payment dates; --train refits the model first."
    formats = ("table", "json", "csv")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--as-of", type=parse_date, metavar="YYYY-MM-DD", help="default: today")
        parser.add_argument("--currency", metavar="CODE", help="default: the organization's currency")
        parser.add_argument("--train", action="store_true", help="train the payment-date model on settled history")
        add_now_argument(parser)
        parser.add_argument("--queue", type=int, default=20, help="rows of the work queue to show (default 20)")

    def handle(self, *args, **options):
        org = self.org(options)
        now = command_now(options)
        on = options["as_of"] or org_today(org, now)
        cur = (options["currency"] or org.base_currency).upper()
        if cur not in selectors.currencies(org):
            raise CommandError(f"--currency: no invoices in {cur}")
        trained = None
        if options["train"]:
            records = selectors.invoice_records(org=org, currency=cur, on=on)
            trained = actions.prediction_train(org=org, currency=cur, records=records, on=on,
                                               actor=Actor.system("recoup forecast"), now=now)
            if trained is None:
                self.stderr.write("Too little settled history to train a model; using the fallback.")
        preds, forecast, queue = selectors.cash_forecast(org=org, currency=cur, on=on)
        invoices = selectors.open_invoice_labels(org=org, keys=[q.key for q in queue[:options["queue"]]])
        qt = tables.queue_table(queue, invoices, cur, limit=options["queue"])
        if options["format"] == "json":
            model = preds.model
            data = {"org": org.slug, "currency": cur, "method": preds.method,
                    "model": None if model is None else {"trained_on": model.trained_on.isoformat(),
                                                         "n_train": model.n_train, "mae_days": model.mae_days,
                                                         "baseline_mae_days": model.baseline_mae_days},
                    **forecast.as_json(lambda m: minor_to_text(m, cur)),
                    "queue": [dict(zip(qt.headers, r)) for r in qt.rows]}
            self.report("json", headers=[], rows=[], data=data)
            return
        ft = tables.forecast_table(forecast, cur)
        self.report(options["format"], headers=ft.headers, rows=ft.rows,
                    title=f"{ft.title} as of {on} ({preds.method})", right=ft.headers[1:])
        self.report(options["format"], headers=qt.headers, rows=qt.rows, title=qt.title)
