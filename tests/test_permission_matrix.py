"""Every URL under /o/<slug>/ and /api/v1/, as every role, another organization and nobody.

The generic rule, read from the URL resolver (new apps are covered without editing this file):
- anonymous: a redirect to the login page (web) or 401 (API);
- a member of another organization: 404, never 403, so an organization's existence is not revealed;
- a member whose role is below the view's (``org_view(role=..., post_role=...)``): 403;
- a member whose role suffices: anything but 403 and 5xx;
- a member of org A naming org B's rows in org A's URLs: 404;
- and nothing answers 500.
``EXPECTED`` lists the URLs where the generic rule does not fit, with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from recoup.orgs.actions import member_add
from recoup.orgs.models import ROLE_RANK, Role

WEB_PREFIX, API_PREFIX = "o/<slug:slug>/", "api/v1/"
ROLES = (Role.OWNER, Role.COLLECTOR, Role.VIEWER)

# url name -> {(who, method): expected status or None for "anything but 403/5xx"}; "*" = any method.
EXPECTED: dict[str, dict[tuple[str, str], int | None]] = {
}


@dataclass(frozen=True)
class Route:
    route: str
    name: str
    callback: object


def walk(patterns, prefix: str = "") -> list[Route]:
    found = []
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            found += walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            found.append(Route(route.lstrip("^").replace("\\Z", "").replace("$", ""), p.name or "", p.callback))
    return found


PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def fill(route: str, ids: dict[str, int], slug: str) -> str:
    """A concrete path: the slug, and for each id the row of the kind named just before it."""
    def one(match: re.Match) -> str:
        conv, name = match.group(1), match.group(2)
        if name == "slug":
            return slug
        before = route[:match.start()].rstrip("/").rsplit("/", 1)[-1]
        if conv in (None, "int", "str", "path") and name in ("pk", "id") or name.endswith("_pk") or name.endswith("_id"):
            return str(ids.get(before, ids.get(name, 999_999)))
        if conv == "int":
            return "1"
        return {"key": "first", "ref": "C001", "number": "A-1", "provider": "xero"}.get(name, "x")
    path = PARAM.sub(one, route)
    return "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", "x", path)


def bank_and_api_rows(org, ref: str, currency: str, system, now) -> dict[str, int]:
    """A bank statement with one line, an API token, a webhook endpoint with one delivery: real rows for
    the URLs that name them (``fill`` takes the id of the kind named just before the parameter)."""
    from recoup.api.actions import endpoint_create, token_create
    from recoup.api.models import WebhookDelivery
    from recoup.banking.models import Statement, StatementLine
    from recoup.banking.tests.builders import Entry, camt053, import_confirmed

    data = camt053([Entry("40.00", date(2026, 2, 2), name=f"Customer {ref}", text=f"{ref}-1", currency=currency)],
                   statement_id=f"STMT-{ref}", currency=currency)
    import_confirmed(org=org, file_name=f"{ref}.xml", data=data, actor=system, now=now)
    statement = Statement.objects.for_org(org).get()
    token, _ = token_create(org=org, name=f"matrix {ref}", scope="read", actor=system, now=now)
    endpoint = endpoint_create(org=org, url="https://93.184.216.34/hooks", event_types=[], actor=system, now=now)
    delivery = WebhookDelivery.objects.create(org=org, endpoint=endpoint, event_id=f"evt-{ref}",
                                              event_type="invoice.created", dedupe_key=f"matrix-{ref}",
                                              payload={"id": f"evt-{ref}"}, status="failed", attempts=7,
                                              created_at=now)
    return {"statements": statement.pk, "lines": StatementLine.objects.for_org(org).get().pk, "tokens": token.pk,
            "webhooks": endpoint.pk, "deliveries": delivery.pk}


@pytest.fixture
def world(org_a, org_b, system, now, make_customer, make_invoice):
    def ledger(org, ref):
        customer = make_customer(org, ref, f"Customer {ref}")
        invoice = make_invoice(org, customer, f"{ref}-1", "100.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
        return {"customers": customer.pk, "invoices": invoice.pk,
                **bank_and_api_rows(org, ref, org.base_currency, system, now)}

    users = {role: member_add(org=org_a, username=f"a-{role}", role=role, actor=system, now=now).user
             for role in ROLES}
    outsider = member_add(org=org_b, username="b-owner", role=Role.OWNER, actor=system, now=now)
    users["outsider"] = outsider.user
    # Members only in org B's ids: in org A's walk a real member id would let an owner's POST remove one.
    return {"users": users, "ids_a": ledger(org_a, "C001"), "ids_b": {**ledger(org_b, "B001"), "members": outsider.pk}}


def client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def call(client: Client, method: str, path: str):
    return client.get(path) if method == "GET" else client.post(path, {})


def web_routes() -> list[Route]:
    return [r for r in walk(get_resolver().url_patterns) if r.route.startswith(WEB_PREFIX)]


def test_every_operator_url_is_guarded_by_org_view():
    unguarded = [r.route for r in web_routes() if not hasattr(r.callback, "org_role")]
    assert not unguarded, f"views under /o/<slug>/ without org_view: {unguarded}"


def test_every_operator_url_as_every_role(world, org_a):
    users, problems = world["users"], []
    clients = {who: client_for(users.get(who)) for who in (*ROLES, "outsider", "anonymous")}
    routes = web_routes()
    assert len(routes) > 40
    for r in routes:
        path = fill(r.route, world["ids_a"], org_a.slug)
        for method in ("GET", "POST"):
            needed = r.callback.org_role if method == "GET" else r.callback.org_post_role
            for who, client in clients.items():
                response = call(client, method, path)
                want = EXPECTED.get(r.name, {}).get((who, method), EXPECTED.get(r.name, {}).get((who, "*"), "rule"))
                got = response.status_code
                if got == 405 and method == "GET":
                    ok = True  # a POST-only view (require_POST) refuses GET before anything else: reveals nothing
                elif want != "rule":
                    ok = got == want if want is not None else got not in (403, 500)
                elif who == "anonymous":
                    ok = got == 302 and "/accounts/login/" in response["Location"]
                elif who == "outsider":
                    ok = got == 404
                elif ROLE_RANK[Role(who)] < ROLE_RANK[Role(needed)]:
                    ok = got == 403
                else:
                    ok = got < 500 and got != 403
                if not ok:
                    problems.append(f"{method} {path} ({r.name}) as {who}: {got} (needs {needed})")
    assert not problems, "\n".join(problems)


def test_another_organizations_rows_are_not_found_through_my_urls(world, org_a):
    owner, problems = client_for(world["users"][Role.OWNER]), []
    for r in web_routes():
        if not PARAM.search(r.route.replace("<slug:slug>", "")):
            continue
        mine, theirs = fill(r.route, world["ids_a"], org_a.slug), fill(r.route, world["ids_b"], org_a.slug)
        if mine == theirs:
            continue
        for method in ("GET", "POST"):
            got = call(owner, method, theirs).status_code
            if got != 404 and not (got == 405 and method == "GET"):
                problems.append(f"{method} {theirs} ({r.name}) with the other organization's id: {got}")
    assert not problems, "\n".join(problems)


@pytest.fixture
def api_tokens(world, org_a, org_b, system, now):
    from recoup.api.actions import token_create

    made = {scope: token_create(org=org_a, name=scope, scope=scope, actor=system, now=now)[1]
            for scope in ("read", "write")}
    made["outsider"] = token_create(org=org_b, name="b", scope="write", actor=system, now=now)[1]
    return made


def test_every_api_endpoint_as_every_token(world, org_a, api_tokens):
    routes = [r for r in walk(get_resolver().url_patterns) if r.route.startswith(API_PREFIX)
              and r.route != API_PREFIX and "<rest>" not in r.route and r.name not in PUBLIC_API]
    if not routes:
        pytest.skip("no API endpoints yet")
    client, problems = Client(raise_request_exception=False), []
    for r in routes:
        mine = fill(r.route, world["ids_a"], org_a.slug)
        theirs = fill(r.route, world["ids_b"], org_a.slug)
        for method in ("GET", "POST", "PATCH", "DELETE"):
            for who, token in (("anonymous", None), *api_tokens.items()):
                headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
                response = client.generic(method, mine, "{}", content_type="application/json", **headers)
                got = response.status_code
                if got == 405:
                    continue
                if who == "anonymous":
                    ok = got == 401 or r.name in PUBLIC_API
                elif who == "read" and method != "GET":
                    ok = got == 403
                else:
                    ok = got < 500
                if not ok:
                    problems.append(f"{method} {mine} as {who}: {got}")
            if method == "GET" and mine != theirs:
                auth = {"HTTP_AUTHORIZATION": f"Bearer {api_tokens['write']}"}
                got = client.get(theirs, **auth).status_code
                # 404; or the same refusal my own id gets (a missing parameter is refused before any lookup).
                if got not in (404, 405, client.get(mine, **auth).status_code) or got == 200:
                    problems.append(f"GET {theirs} with another organization's id: {got}")
    assert not problems, "\n".join(problems)


# API routes answering without a token, on purpose.
PUBLIC_API = {"openapi-json", "openapi-view", "api-root"}


def test_collectors_write_off_only_up_to_the_organizations_limit(world, org_a, org_b):
    from django.core.exceptions import PermissionDenied

    from recoup.orgs.models import Membership
    from recoup.web.decorators import check_write_off_allowed, write_off_allowed

    member = {m.role: m for m in Membership.objects.filter(org=org_a)}
    assert write_off_allowed(member[Role.OWNER], org_a, 10**9)
    assert not write_off_allowed(member[Role.COLLECTOR], org_a, 1), "the default limit is 0: owners only"
    org_a.collector_write_off_limit_minor = 5000
    assert write_off_allowed(member[Role.COLLECTOR], org_a, 5000)
    assert not write_off_allowed(member[Role.COLLECTOR], org_a, 5001)
    assert not write_off_allowed(member[Role.VIEWER], org_a, 1)
    assert not write_off_allowed(member[Role.OWNER], org_b, 1), "a membership counts in its own organization only"
    with pytest.raises(PermissionDenied, match="ask an owner"):
        check_write_off_allowed(member[Role.COLLECTOR], org_a, 9000)


# The roles the product promises for the paths added with imports from other tools, connections to the
# books, the API and webhooks pages and the bank pages (README, docs/connections.md, docs/api.md):
# url name -> (role to read, role to post). The walk above checks each view against its own declaration;
# this pins the declarations, so lowering one fails here.
PROMISED_ROLES = {
    "import_upload": (Role.COLLECTOR, Role.COLLECTOR), "import_mapping": (Role.COLLECTOR, Role.COLLECTOR),
    "import_confirm": (Role.COLLECTOR, Role.COLLECTOR),
    # Removing a policy step (GET asks, POST removes) and undoing it: owners only, like editing a step.
    "policy_step_delete": (Role.OWNER, Role.OWNER), "policy_step_undo": (Role.OWNER, Role.OWNER),
    "api_settings": (Role.OWNER, Role.OWNER), "api_token_revoke": (Role.OWNER, Role.OWNER),
    "api_endpoint_toggle": (Role.OWNER, Role.OWNER), "api_delivery_resend": (Role.OWNER, Role.OWNER),
    "api_export": (Role.OWNER, Role.OWNER),
    "connections_settings": (Role.VIEWER, Role.OWNER), "connections_connect": (Role.OWNER, Role.OWNER),
    "connections_choose": (Role.OWNER, Role.OWNER), "connections_disconnect": (Role.OWNER, Role.OWNER),
    "connections_sync": (Role.COLLECTOR, Role.COLLECTOR),
    "bank_home": (Role.VIEWER, Role.COLLECTOR), "bank_account_confirm": (Role.COLLECTOR, Role.COLLECTOR),
    "bank_statement": (Role.VIEWER, Role.VIEWER), "bank_review": (Role.VIEWER, Role.VIEWER),
    "bank_line_confirm": (Role.COLLECTOR, Role.COLLECTOR), "bank_line_reject": (Role.COLLECTOR, Role.COLLECTOR),
    "bank_line_undo": (Role.COLLECTOR, Role.COLLECTOR), "bank_settings": (Role.VIEWER, Role.OWNER),
    "settings_members": (Role.OWNER, Role.OWNER), "settings_member_role": (Role.OWNER, Role.OWNER),
    "settings_member_remove": (Role.OWNER, Role.OWNER), "settings_org": (Role.OWNER, Role.OWNER),
    # The inbox: everyone reads it; collectors and owners mark items handled (docs/collections.md).
    "inbox": (Role.VIEWER, Role.VIEWER), "inbox_handled": (Role.COLLECTOR, Role.COLLECTOR),
}


def test_the_new_paths_keep_the_roles_the_docs_promise():
    declared = {r.name: (r.callback.org_role, r.callback.org_post_role) for r in web_routes()}
    assert sorted(set(PROMISED_ROLES) - set(declared)) == [], "a promised page is gone (renamed?)"
    assert {name: declared[name] for name in PROMISED_ROLES} == PROMISED_ROLES


# URLs outside /o/<slug>/ and /api/v1/: each answers anonymous callers by its own defence, listed here
# (a new one fails until it is): url name -> (GET, POST) status for a caller with no login, link or signature.
LOGIN = "login redirect"
PORTAL_REFUSED = (404, 405)  # the polite refusal of an unknown link (405: a method the page never takes)
OUTSIDE = {
    "home": (LOGIN, LOGIN),
    "login": (200, 200), "logout": (405, 302), "two_factor_setup": (LOGIN, LOGIN), "two_factor_verify": (LOGIN, LOGIN),
    "password_reset": (200, 200), "password_reset_done": (200, 405), "password_reset_confirm": (200, 200),
    "password_reset_complete": (200, 405),
    **{name: (PORTAL_REFUSED, PORTAL_REFUSED) for name in (
        "portal_home", "portal_invoice_pdf", "portal_invoice_qr", "portal_bank", "portal_pay", "portal_pay_return",
        "portal_plan", "portal_promise", "portal_dispute", "portal_message", "portal_preferences", "portal_unsubscribe",
        "portal_rotate",
        "portal_unknown")},
    "connections_callback": (LOGIN, LOGIN),  # and the state must name an organization the user owns (below)
    "connections_webhook": (405, 401),  # unsigned: refused, nothing synced
    "payments_webhook": (405, 404),  # no provider account for that organization: nothing to verify against
    "inbound_webhook": (405, (400, 401, 403)),  # without the ESP's basic-auth secret
}


def test_every_url_outside_the_organizations_answers_anonymous_callers_by_its_defence(org_a, settings):
    from django.core.cache import cache

    settings.RECOUP_INBOUND_ESP, settings.RECOUP_INBOUND_WEBHOOK_SECRET = "mailgun", "hook:secret-words"
    settings.RECOUP_INBOUND_SIGNING_KEY = "key-signing"
    routes = [r for r in walk(get_resolver().url_patterns)
              if not r.route.startswith((WEB_PREFIX, "api/", "admin/"))]
    assert sorted({r.name for r in routes} - set(OUTSIDE)) == [], "a URL outside /o/ without an expectation here"
    client, problems = Client(raise_request_exception=False), []
    for r in routes:
        path = fill(r.route, {}, org_a.slug)
        if "<secret:" in r.route:
            path = path.replace("/x/", "/" + "A" * 43 + "/", 1)
        for method, want in zip(("GET", "POST"), OUTSIDE[r.name]):
            cache.clear()  # the portal's failed-link limit is tested on its own; here every call is a first
            response = call(client, method, path)
            got = response.status_code
            if want == LOGIN:
                ok = got == 302 and "/accounts/login/" in response["Location"]
            else:
                ok = got in want if isinstance(want, tuple) else got == want
            if not ok:
                problems.append(f"{method} {path} ({r.name}): {got}, expected {want}")
    assert not problems, "\n".join(problems)


def test_the_books_callback_completes_only_for_the_owner_who_started_it(world, org_a, system, now):
    """The OAuth callback sits outside /o/<slug>/: the state names the organization, and only an owner of
    it (the one who pressed Connect) may complete it; a refused attempt leaves the state for that owner."""
    from django.utils import timezone

    from recoup.connections.models import Connection, OAuthState

    owner = world["users"][Role.OWNER]
    OAuthState.objects.create(state="s" * 40, org=org_a, provider="xero", user=owner, code_verifier="v",
                              redirect_uri="http://testserver/connections/callback/", created_at=timezone.now())
    other_owner = member_add(org=org_a, username="a-owner-2", role=Role.OWNER, actor=system, now=now).user
    url = f"/connections/callback/?state={'s' * 40}&code=c"
    got = {who: client_for(user).get(url).status_code for who, user in
           (("outsider", world["users"]["outsider"]), ("viewer", world["users"][Role.VIEWER]),
            ("collector", world["users"][Role.COLLECTOR]))}
    assert got == {"outsider": 404, "viewer": 403, "collector": 403}
    response = client_for(other_owner).get(url, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "this authorization was started by someone else: start Connect again"]
    assert not Connection.objects.for_org(org_a).exists()
    assert OAuthState.objects.filter(state="s" * 40).exists(), "a refused attempt used up the owner's state"
