"""The simulated people of bench/load_test.py: operators in the office and debtors in the portal.

Run by load_test.py as ``python -m locust -f bench/locustfile.py --headless ...`` (gevent stays out of
pytest's process). It reads its cast from environment variables that load_test.py sets:

- ``LOAD_OPERATORS``, ``LOAD_VISITORS``: how many of each (locust's ``fixed_count``);
- ``LOAD_CAST``: a JSON file with the org's slug, the operators' logins and the portal links' secrets;
- ``LOAD_HOST_HEADER``: the site's host name and port (nginx and Django check it; we connect to 127.0.0.1);
- ``LOAD_PHASES``: where to write, at the end, each request's time and failure apart for the two phases of
  the run: while people are still arriving (and logging in) and once every one of them is there.

Operators log in once, then walk the navigation with a person's pauses (3-10 s): the dashboard,
the worklist, customers and one of them, invoices and one of them, aging, insight, arrangements,
review. Visitors open their statement, now and then its PDF, their preferences, and now and then
send a message or make a promise (10-30 s between pages: someone reading a statement).
"""

from __future__ import annotations

import json
import os
import random
import re

import urllib3
from locust import HttpUser, between, events, task

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

CAST = json.loads(open(os.environ["LOAD_CAST"]).read()) if os.environ.get("LOAD_CAST") else {}
HOST_HEADER = os.environ.get("LOAD_HOST_HEADER", "")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CUSTOMER = re.compile(r'href="(/o/[\w-]+/customers/\d+/)"')
INVOICE = re.compile(r'href="(/o/[\w-]+/invoices/\d+/)"')
PDF = re.compile(r'href="(/p/[\w-]+/invoices/\d+/document\.pdf)"')
INVOICE_BOX = re.compile(r'name="invoices" value="(\d+)"')

# Requests by phase: "arriving" until locust has started every user, then "all there".
PHASES: dict[str, dict[str, list]] = {"arriving": {"ms": [], "failed": []}, "all there": {"ms": [], "failed": []}}
_phase = ["arriving"]


@events.spawning_complete.add_listener
def _all_arrived(user_count: int, **_) -> None:
    _phase[0] = "all there"


@events.request.add_listener
def _request_seen(name: str, response_time: float, exception, **_) -> None:
    PHASES[_phase[0]]["ms"].append(response_time)
    if exception is not None:
        PHASES[_phase[0]]["failed"].append(f"{name}: {exception}")


@events.quitting.add_listener
def _phases_written(**_) -> None:
    if os.environ.get("LOAD_PHASES"):
        with open(os.environ["LOAD_PHASES"], "w") as f:
            json.dump(PHASES, f)


class Person(HttpUser):
    abstract = True

    def on_start(self) -> None:
        self.client.verify = False  # the self-signed certificate of the run
        self.client.headers["Host"] = HOST_HEADER
        self.client.headers["Referer"] = f"https://{HOST_HEADER}/"

    def get(self, path: str, name: str | None = None, expect: str | None = None) -> str:
        with self.client.get(path, name=name or path, catch_response=True, allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
            elif expect and expect not in response.text:
                response.failure(f"{expect!r} not on the page")
            return response.text if response.status_code == 200 else ""

    def post(self, path: str, form_page: str, data: dict, name: str, ok=(200, 302)) -> None:
        token = CSRF.search(form_page)
        if not token:
            return
        with self.client.post(path, data={"csrfmiddlewaretoken": token.group(1), **data}, name=name,
                              catch_response=True, allow_redirects=False,
                              headers={"Referer": f"https://{HOST_HEADER}{path}"}) as response:
            if response.status_code not in ok:
                response.failure(f"{response.status_code}")


class Operator(Person):
    """An owner or collector working through the day."""

    fixed_count = int(os.environ.get("LOAD_OPERATORS", "1"))
    wait_time = between(3, 10)

    def on_start(self) -> None:
        super().on_start()
        self.org = CAST["org"]
        username, password = random.choice(CAST["operators"])
        page = self.get("/accounts/login/", name="login page")
        self.post("/accounts/login/", page, {"username": username, "password": password}, name="log in", ok=(302,))
        self.customers: list[str] = []
        self.invoices: list[str] = []
        self.dashboard()  # where the login leads

    def page(self, suffix: str, name: str, expect: str | None = None) -> str:
        return self.get(f"/o/{self.org}/{suffix}", name=name, expect=expect)

    @task(4)
    def dashboard(self) -> None:
        self.page("", "dashboard", expect="Dashboard")

    @task(3)
    def worklist(self) -> None:
        self.page("worklist/", "worklist")

    @task(3)
    def customers_and_one(self) -> None:
        html = self.page(f"customers/?page={random.randint(1, 3)}", "customers")
        self.customers = CUSTOMER.findall(html) or self.customers
        if self.customers:
            self.get(random.choice(self.customers), name="a customer")

    @task(2)
    def invoices_and_one(self) -> None:
        html = self.page("invoices/", "invoices")
        self.invoices = INVOICE.findall(html) or self.invoices
        if self.invoices:
            self.get(random.choice(self.invoices), name="an invoice")

    @task(2)
    def aging(self) -> None:
        self.page("aging/", "aging")

    @task(1)
    def insight(self) -> None:
        self.page("insight/", "insight")

    @task(1)
    def arrangements(self) -> None:
        self.page("arrangements/", "arrangements")

    @task(1)
    def review(self) -> None:
        self.page("review/", "review")


class Visitor(Person):
    """A debtor who followed the link in a reminder."""

    fixed_count = int(os.environ.get("LOAD_VISITORS", "1"))
    wait_time = between(10, 30)

    def on_start(self) -> None:
        super().on_start()
        self.home = f"/p/{random.choice(CAST['links'])}/"
        self.statement()  # the link in the reminder

    @task(6)
    def statement(self) -> None:
        html = self.get(self.home, name="portal: statement")
        pdfs = PDF.findall(html)
        if pdfs and random.random() < 0.25:
            self.get(random.choice(pdfs), name="portal: invoice PDF")

    @task(2)
    def preferences(self) -> None:
        self.get(self.home + "preferences/", name="portal: preferences")

    @task(1)
    def message(self) -> None:
        page = self.get(self.home + "message/", name="portal: message form")
        self.post(self.home + "message/", page, {"text": "We will pay this week, thank you."},
                  name="portal: send a message")

    @task(1)
    def promise(self) -> None:
        page = self.get(self.home + "promise/", name="portal: promise form")
        boxes = INVOICE_BOX.findall(page)
        if boxes:
            self.post(self.home + "promise/", page, {"invoices": boxes[:1], "pay_by": CAST["promise_date"],
                                                      "amount": ""}, name="portal: make a promise")
