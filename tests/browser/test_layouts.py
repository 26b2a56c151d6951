"""Issue 23, item 13 (layouts), measured in Chromium on the demo business: the menu on one line on a 1366 px laptop,
every customer page within a 390 px phone, the risk table in readable rows, the charts' text legible and inside them,
and the Settings forms with legends above their boxes, full-width inputs and an address box that shows the postcode."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import log_in
from tests.browser.test_crawl import PASSWORD, demo  # noqa: F401 (the fixture)

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
MONEY = re.compile(r"^-?[£€$]\d{1,3}(,\d{3})*\.\d{2}$")





def _menu_problems(page) -> list[str]:
    boxes = page.evaluate("""() => {
        const box = el => { const r = el.getBoundingClientRect(); return [r.top, r.bottom]; };
        return {links: [...document.querySelectorAll('.nav-links > li')].map(box),
                brand: box(document.querySelector('.brand')), user: box(document.querySelector('.user-menu'))};
    }""")
    tops = {round(top) for top, _ in boxes["links"]}
    if len(tops) != 1:
        return [f"the menu wraps onto {len(tops)} lines"]
    links_top, links_bottom = min(t for t, _ in boxes["links"]), max(b for _, b in boxes["links"])
    return [f"the {part} is on a line of its own" for part in ("brand", "user")
            if not (boxes[part][0] < links_bottom and boxes[part][1] > links_top)]


def _risk_table_problems(page) -> list[str]:
    table = page.get_by_role("table", name="Customers by risk")
    m = table.evaluate("""t => {
        const wrap = t.closest('.table-wrap'), main = document.querySelector('main');
        const line = parseFloat(getComputedStyle(t).lineHeight) || 24;
        const rows = [...t.querySelectorAll('tbody tr')];
        return {line, factors: rows.map(tr => Math.max(0, ...[...tr.querySelectorAll('td')[1].querySelectorAll('li')]
                                                  .map(li => li.getBoundingClientRect().height))),
                open: rows.map(tr => tr.querySelectorAll('td')[2].innerText.trim()),
                wrapRight: wrap.getBoundingClientRect().right, mainRight: main.getBoundingClientRect().right,
                page: document.documentElement.scrollHeight};
    }""")
    problems = []
    if not m["factors"] or any(h > m["line"] * 1.5 for h in m["factors"]):
        problems.append(f"risk factors wrap over several lines (heights {m['factors']}, line {m['line']})")
    if m["wrapRight"] > m["mainRight"]:
        problems.append("the risk table spills out of the page's column")
    if m["page"] > 4000:
        problems.append(f"the insight page is {m['page']} px long")
    if not m["open"] or not all(MONEY.match(v) for v in m["open"]):
        problems.append(f"risk table amounts unformatted: {m['open']}")
    return problems


_CHART_TEXT = """() => [...document.querySelectorAll('svg.chart')].filter(svg => svg.getBoundingClientRect().width > 0)
  .map(svg => {
    const box = svg.getBoundingClientRect(), scale = box.width / svg.viewBox.baseVal.width;
    const legend = [...svg.querySelectorAll('.legend *')].map(e => e.getBoundingClientRect().bottom);
    const bars = [...svg.querySelectorAll('rect')].filter(r => !r.closest('.legend') && r.getBoundingClientRect().height > 0);
    return {cls: svg.getAttribute('class'),
            texts: [...svg.querySelectorAll('text')].map(t => {
              const r = t.getBoundingClientRect();
              return {text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * scale,
                      inside: r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.top >= box.top - 0.5
                              && r.bottom <= box.bottom + 0.5};
            }),
            legendBottom: legend.length ? Math.max(...legend) : null,
            barsTop: bars.length ? Math.min(...bars.map(r => r.getBoundingClientRect().top)) : null};
  })"""


def _chart_problems(page, where: str) -> list[str]:
    charts = page.evaluate(_CHART_TEXT)
    problems = []
    if not {c["cls"] for c in charts} >= {"chart stacked", "chart line", "chart forecast"}:
        return [f"{where}: the dashboard's charts are missing: {[c['cls'] for c in charts]}"]
    small = [(c["cls"], t["text"], round(t["px"], 1)) for c in charts for t in c["texts"] if t["px"] < 11]
    if small:
        problems.append(f"{where}: chart text under 11 px: {small[:4]}")
    clipped = [(c["cls"], t["text"]) for c in charts for t in c["texts"] if not t["inside"]]
    if clipped:
        problems.append(f"{where}: chart text cut off at the chart's edge: {clipped[:4]}")
    stacked = next(c for c in charts if c["cls"] == "chart stacked")
    if not any("GBP" in t["text"] for t in stacked["texts"]):
        problems.append(f"{where}: the aging chart's axis gives no currency")
    if stacked["legendBottom"] is None or stacked["legendBottom"] > stacked["barsTop"]:
        problems.append(f"{where}: a bar of the aging chart reaches into its legend")
    return problems


def _settings_problems(page, base: str) -> list[str]:
    page.goto(f"{base}/settings/")
    form = page.evaluate("""() => {
        const box = el => el.getBoundingClientRect();
        const form = document.querySelector('#id_legal_name').form;
        const days = document.querySelector('#id_send_window_weekdays_0').closest('fieldset');
        const address = document.querySelector('#id_address');
        const inputs = [...form.querySelectorAll('input:not([type=hidden]):not([type=checkbox]), select, textarea')];
        return {legend: !!(days && days.querySelector('legend')),
                legendBottom: days ? box(days.querySelector('legend')).bottom : 0,
                firstBox: box(document.querySelector('#id_send_window_weekdays_0')).top,
                address: [address.scrollHeight, address.clientHeight, address.value],
                formWidth: box(form).width,
                inputs: inputs.map(i => ({id: i.id, width: box(i).width, height: box(i).height}))};
    }""")
    page.goto(f"{base}/settings/api/")
    api = page.evaluate("""() => {
        const box = el => el.getBoundingClientRect();
        const form = document.querySelector('#hook-url').form, legend = form.querySelector('legend');
        return {legendBottom: box(legend).bottom, firstBox: box(form.querySelector('fieldset input')).top,
                fields: ['token-name', 'hook-url', 'hook-description'].map(id => {
                  const input = document.getElementById(id), label = document.querySelector(`label[for=${id}]`);
                  return {id, width: box(input).width, formWidth: box(input.form).width,
                          labelBottom: box(label).bottom, top: box(input).top};
                })};
    }""")
    problems = []
    if not form["legend"] or form["legendBottom"] > form["firstBox"]:
        problems.append("Settings: the days to deliver on have no legend above their box")
    scroll_height, client_height, address = form["address"]
    if "\n" not in address or scroll_height > client_height:
        problems.append("Settings: the address box cuts off its last lines (the postcode)")
    flat = [i["id"] for i in form["inputs"] if i["height"] < 36]  # an unstyled input: no padding, no border
    if flat:
        problems.append(f"Settings: unstyled inputs {flat}")
    short = [i["id"] for i in form["inputs"] if i["width"] < form["formWidth"] * 0.9]
    if short:
        problems.append(f"Settings: short inputs {short}")
    if api["legendBottom"] > api["firstBox"]:
        problems.append("API settings: the events' legend stands beside its box")
    for field in api["fields"]:
        if field["labelBottom"] > field["top"]:
            problems.append(f"API settings: {field['id']}: its label stands beside it")
        if field["width"] < field["formWidth"] * 0.9:
            problems.append(f"API settings: {field['id']} is a short box")
    return problems


@pytest.mark.browser
def test_on_a_laptop_the_menu_is_one_line_and_the_risk_table_charts_and_settings_read_well(
        live_server, demo, chromium_page):
    org, _ = demo
    base = f"{live_server.url}/o/{org.slug}"
    with chromium_page() as page:
        page.set_viewport_size(LAPTOP)
        log_in(page, live_server.url, "owner", PASSWORD)
        page.goto(base + "/")
        problems = _menu_problems(page) + _chart_problems(page, "laptop")
        page.goto(base + "/insight/")
        problems += _risk_table_problems(page)
        problems += _settings_problems(page, base)
    assert problems == [], "\n".join(problems)


@pytest.mark.browser
def test_on_a_phone_every_customer_page_fits_and_the_charts_stay_legible(live_server, demo, chromium_page):
    from recoup.ledger.models import Customer

    org, _ = demo
    ids = list(Customer.objects.for_org(org).values_list("pk", flat=True))
    base = f"{live_server.url}/o/{org.slug}"
    with chromium_page() as page:
        page.set_viewport_size(PHONE)
        log_in(page, live_server.url, "owner", PASSWORD)
        page.goto(base + "/")
        problems = _chart_problems(page, "phone")
        for pk in ids:
            page.goto(f"{base}/customers/{pk}/")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                problems.append(f"customer {pk}: {width} px wide on a {PHONE['width']} px phone")
    assert problems == [], "\n".join(problems)
