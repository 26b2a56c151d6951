"""Check and compile an organization's own wording of a message template (``TemplateVersion``).

The wording is written in the same Django template language as the shipped templates and goes
through the same renderer (``rendering``), but an operator's text is not trusted as ours is: before
it is saved (and again before it renders) it may use only

- the tags in ``TAGS`` (no ``load``, ``debug``, ``autoescape``, ``url``, ...);
- the filters in ``FILTERS`` (no ``safe``: an HTML body stays escaped);
- ``include`` of the shipped pieces under ``messaging/_includes/`` (and the template's own
  ``./subject.txt``), ``extends`` of the layouts under ``messaging/_layouts/``, by literal name;
- the variables the renderer hands over (``CONTEXT``, the keys ``rendering.message_context``
  documents) and, on the organization and the customer, only the plain fields listed: no method
  of a model is ever reachable from a template.

A syntax error or anything outside these lists is a ``TemplateRejected`` naming what is wrong.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.template import Origin, Template, TemplateDoesNotExist, TemplateSyntaxError, engines
from django.template.base import Lexer, Parser, TokenType, Variable
from django.template.loader import get_template

MAX_LENGTH = 20_000


class Items:
    """A list whose items have the fields ``item`` (``{% for row in invoices %}``)."""

    def __init__(self, item: dict) -> None:
        self.item = item


LEAF = None
ROW = dict.fromkeys(["number", "reference", "issue_date", "due_date", "days_overdue", "days_until_due",
                     "overdue", "currency", "open", "total"])
TOTAL = dict.fromkeys(["currency", "amount", "overdue", "has_overdue", "all_overdue"])
CHARGE = dict.fromkeys(["invoice", "kind", "date", "amount", "charged", "part_settled"])
FORLOOP = dict.fromkeys(["counter", "counter0", "revcounter", "revcounter0", "first", "last"])
CONTEXT: dict = {
    "org": dict.fromkeys(["legal_name", "sender_email", "sender_phone", "address", "country", "tax_id"]),
    "customer": dict.fromkeys(["name", "legal_name", "ref", "country"]),
    **dict.fromkeys(["language", "channel", "today", "pay_by", "respond_by", "invoice_count", "overdue_count",
                     "max_days_overdue", "reference", "portal_url", "preferences_url"]),
    "invoices": Items(ROW), "overdue_invoices": Items(ROW), "totals": Items(TOTAL),
    "overdue_totals": Items(dict.fromkeys(["currency", "amount"])),
    "charges": Items({"invoice": LEAF, "principal": LEAF, "charges": Items(CHARGE)}),
    "discount": dict.fromkeys(["invoice", "percent", "amount", "pay", "deadline"]),
    "bank": dict.fromkeys(["holder", "name", "iban", "bic", "account"]),
    "block": {"super": LEAF},
}
TAGS = {"if", "elif", "else", "endif", "for", "empty", "endfor", "with", "endwith", "block", "endblock",
        "include", "extends", "firstof", "comment", "endcomment", "spaceless", "endspaceless"}
FILTERS = {"pluralize", "length", "add", "slice", "default", "default_if_none", "upper", "lower", "title",
           "capfirst", "first", "last", "join", "yesno", "linebreaksbr", "linebreaks", "truncatechars",
           "truncatewords", "wordwrap", "cut", "floatformat", "divisibleby", "length_is", "center", "ljust", "rjust"}
_IF_WORDS = {"and", "or", "not", "in", "is", "==", "!=", "<", ">", "<=", ">="}
_INCLUDE = re.compile(r"""(["'])(messaging/_includes/(?:[a-z]{2,3}/)?[a-z0-9_]+\.(txt|html)|\./subject\.txt)\1""")
_EXTENDS = re.compile(r"""(["'])(messaging/_layouts/[a-z0-9_]+\.html)\1""")


class TemplateRejected(ValueError):
    """The wording cannot be used: a syntax error, or something the sandbox does not allow."""


def compile_override(source: str, name: str) -> Template:
    """``source`` checked (``check``) and compiled as if it were the template file ``name`` (so that
    ``./subject.txt`` means that template's subject). Raises TemplateRejected."""
    if len(source) > MAX_LENGTH:
        raise TemplateRejected(f"longer than {MAX_LENGTH:,} characters")
    check(source)
    engine = engines["django"].engine
    try:
        return Template(source, origin=Origin(name=name, template_name=name), engine=engine)
    except TemplateSyntaxError as exc:
        raise TemplateRejected(f"syntax error: {exc}") from None


def check(source: str) -> None:
    """Raise TemplateRejected naming the first tag, filter, include or variable not allowed."""
    parser = _parser()
    scopes: list[tuple[str, dict]] = []
    in_comment = False
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.VAR and not in_comment:
            _expression(parser, token.contents, scopes, where=f"{{{{ {token.contents} }}}}")
        if token.token_type != TokenType.BLOCK:
            continue
        bits = token.split_contents()
        tag = bits[0] if bits else ""
        if in_comment:
            in_comment = tag != "endcomment"
            continue
        if tag not in TAGS:
            raise TemplateRejected(f"the tag {{% {tag} %}} is not allowed (allowed: {', '.join(sorted(TAGS))})")
        where = f"{{% {token.contents} %}}"
        if tag == "comment":
            in_comment = True
        elif tag in ("if", "elif"):
            for bit in bits[1:]:
                if bit not in _IF_WORDS:
                    _expression(parser, bit, scopes, where=where)
        elif tag == "for":
            scopes.append(("for", _for(parser, bits, scopes, where)))
        elif tag == "with":
            scopes.append(("with", _with(parser, bits, scopes, where)))
        elif tag in ("endfor", "endwith") and scopes:
            scopes.pop()
        elif tag == "firstof":
            for bit in bits[1:]:
                _expression(parser, bit, scopes, where=where)
        elif tag == "include":
            _named(bits, _INCLUDE, "include a shipped piece under messaging/_includes/ by its quoted name", where)
        elif tag == "extends":
            _named(bits, _EXTENDS, "extend a layout under messaging/_layouts/ by its quoted name", where)


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser([], builtins=engines["django"].engine.template_builtins)


@lru_cache(maxsize=1)
def _filter_names() -> dict:
    return {func: name for library in engines["django"].engine.template_builtins
            for name, func in library.filters.items()}


def _expression(parser: Parser, text: str, scopes: list, *, where: str):
    """Check one filter expression; return the schema node of its variable (None for a literal)."""
    try:
        expression = parser.compile_filter(text)
    except TemplateSyntaxError as exc:
        raise TemplateRejected(f"{where}: {exc}") from None
    for func, args in expression.filters:
        name = _filter_names().get(func, getattr(func, "__name__", "?"))
        if name not in FILTERS:
            raise TemplateRejected(f"{where}: the filter |{name} is not allowed")
        for is_lookup, arg in args:
            if is_lookup:
                _variable(arg, scopes, where)
    return _variable(expression.var, scopes, where) if isinstance(expression.var, Variable) else LEAF


def _variable(var: Variable, scopes: list, where: str):
    if var.lookups is None:
        return LEAF
    root, *rest = var.lookups
    node, known = LEAF, False
    for _, names in reversed(scopes):
        if root in names:
            node, known = names[root], True
            break
    if not known and root in CONTEXT:
        node, known = CONTEXT[root], True
    if not known or root.startswith("_"):
        raise TemplateRejected(f"{where}: unknown variable “{var.var}”")
    for part in rest:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, Items) and part.isdigit():
            node = node.item
        else:
            raise TemplateRejected(f"{where}: unknown variable “{var.var}”")
    return node


def _for(parser: Parser, bits: list[str], scopes: list, where: str) -> dict:
    if "in" not in bits:
        raise TemplateRejected(f"{where}: a for loop reads “for item in list”")
    at = bits.index("in")
    names = [n.strip() for n in " ".join(bits[1:at]).split(",") if n.strip()]
    sequence = _expression(parser, bits[at + 1] if at + 1 < len(bits) else "", scopes, where=where)
    item = sequence.item if isinstance(sequence, Items) else LEAF
    bound = {name: (item if len(names) == 1 else LEAF) for name in names}
    return {**bound, "forloop": {**FORLOOP, "parentloop": FORLOOP}}


def _with(parser: Parser, bits: list[str], scopes: list, where: str) -> dict:
    bound = {}
    if len(bits) == 4 and bits[2] == "as":
        bound[bits[3]] = _expression(parser, bits[1], scopes, where=where)
        return bound
    for bit in bits[1:]:
        name, _, value = bit.partition("=")
        if not value:
            raise TemplateRejected(f"{where}: “with” reads name=value")
        bound[name] = _expression(parser, value, scopes, where=where)
    return bound


def _named(bits: list[str], allowed: re.Pattern, rule: str, where: str) -> None:
    if len(bits) != 2 or not allowed.fullmatch(bits[1]):
        raise TemplateRejected(f"{where}: you may only {rule}")
    name = bits[1][1:-1]
    if not name.startswith("./"):
        try:
            get_template(name)
        except TemplateDoesNotExist:
            raise TemplateRejected(f"{where}: there is no {name}") from None
