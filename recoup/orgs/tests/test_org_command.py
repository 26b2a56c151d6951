import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from recoup.orgs.models import Membership, Organization


def call(*args):
    out = io.StringIO()
    call_command("org", *args, stdout=out)
    return out.getvalue()


def test_it_creates_and_lists_organizations(db):
    out = call("create", "shop", "--name", "Corner Shop Ltd", "--currency", "eur", "--country", "ie",
               "--timezone", "Europe/Dublin")
    assert "created organization shop" in out and "locale en_IE" in out  # the country's likeliest locale
    org = Organization.objects.get(slug="shop")
    assert (org.base_currency, org.country, org.timezone, org.locale) == ("EUR", "IE", "Europe/Dublin", "en_IE")
    assert org.default_terms.name == "Net 30"
    assert json.loads(call("list", "--format", "json")) == [
        {"slug": "shop", "name": "Corner Shop Ltd", "currency": "EUR", "country": "IE", "region": "",
         "timezone": "Europe/Dublin", "locale": "en_IE"}]


@pytest.mark.parametrize("args, message", [
    (["--currency", "EUR", "--country", "IRL"], "two-letter"),
    (["--currency", "EUX", "--country", "IE"], "currency"),
    (["--currency", "EUR", "--country", "IE", "--timezone", "Mars/Base"], "time zone"),
    (["--currency", "EUR", "--country", "IE", "--locale", "xx_YY"], "locale 'xx_YY' is not known"),
])
def test_it_refuses_bad_details(db, args, message):
    with pytest.raises(CommandError, match=message):
        call("create", "shop", "--name", "Shop", *args)
    assert not Organization.objects.exists()


def test_the_locale_given_decides_how_imported_dates_are_read(db):
    call("create", "shop", "--name", "Shop", "--currency", "USD", "--country", "US", "--locale", "en-GB")
    assert Organization.objects.get(slug="shop").locale == "en_GB"


def test_it_refuses_a_taken_slug(org_a):
    with pytest.raises(CommandError, match="already exists"):
        call("create", "acme", "--name", "Other", "--currency", "GBP", "--country", "GB")


def test_add_user_gives_a_role_and_a_password(org_a, org_b):
    assert "ann is collector in bolt" in call("add-user", "bolt", "ann", "--role", "collector",
                                              "--password", "s3cret-pass")
    user = get_user_model().objects.get(username="ann")
    assert user.check_password("s3cret-pass")
    assert list(Membership.objects.filter(user=user).values_list("org__slug", "role")) == [("bolt", "collector")]


def test_add_user_refuses_an_unknown_org(org_a):
    with pytest.raises(CommandError, match="no organization 'nope'"):
        call("add-user", "nope", "ann", "--role", "viewer")
