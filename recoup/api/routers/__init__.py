"""The API's routers, one module per area; each operation is thin: parse, call one action, answer."""

from ninja import Query  # noqa: F401

from recoup.api.problems import ERROR_CODES  # noqa: F401
