"""A real browser on the report pages: headless Chromium, driven over the
DevTools protocol, logs in through the form, opens /, runs the
hostile-output service through the form on its page, lands on
/runs/{id} and checks the DOM — status, stdout shown as text (the
service's "<script>" is not a script), audit summary — and saves
screenshots (also copied to /tmp/ignite-{index,service,run}-page.png)."""
import json
import re
import shutil

import pytest


def js(value):
    return json.dumps(value)


@pytest.fixture(scope="module")
def page(browser):
    p = browser.new_page()
    yield p
    p.close()


@pytest.fixture(scope="module")
def logged_in(stack, keys, page):
    page.navigate(stack.url("/login"))
    assert page.evaluate("location.pathname") == "/login"
    assert page.evaluate("document.querySelector('input[name=csrf]').value.length") > 0
    page.loads_after(lambda: page.evaluate(
        f"document.getElementById('key').value = {js(keys.execute)};"
        "document.querySelector('form.login').submit(); true"))
    return page


def test_login_form_sets_httponly_strict_session(stack, logged_in):
    page = logged_in
    assert page.evaluate("location.pathname") == "/", page.evaluate("location.href")
    cookies = {c["name"]: c for c in page.send("Network.getCookies", urls=[stack.url("/")])["cookies"]}
    s = cookies.get("ignite_session")
    assert s, cookies
    assert s["httpOnly"] is True and s["sameSite"] == "Strict" and s["path"] == "/", s
    assert "ignite_session" not in page.evaluate("document.cookie"), "the session cookie is visible to scripts"


def test_index_lists_services(stack, logged_in, shots):
    page = logged_in
    links = page.evaluate("[...document.querySelectorAll('a')].map(a => a.getAttribute('href'))")
    for name in ("hello", "data-processor", "hostile-output"):
        assert f"/services/{name}" in links, links
    assert page.evaluate("document.scripts.length") == 0
    css = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert css, "the stylesheet did not apply"
    path = page.screenshot(str(shots / "index.png"))
    shutil.copyfile(path, "/tmp/ignite-index-page.png")


def test_run_hostile_service_through_the_form(stack, logged_in, shots):
    page = logged_in
    page.loads_after(lambda: page.evaluate(
        "document.querySelector('a[href=\"/services/hostile-output\"]').click(); true"))
    assert page.evaluate("location.pathname") == "/services/hostile-output"
    assert page.evaluate("document.querySelector('form.runform textarea#input') !== null")
    page.evaluate("document.getElementById('input').value = '{\"from\": \"the browser\"}'; true")
    path = page.screenshot(str(shots / "service.png"))
    shutil.copyfile(path, "/tmp/ignite-service-page.png")

    page.loads_after(lambda: page.evaluate("document.querySelector('form.runform').submit(); true"), timeout=60)
    where = page.evaluate("location.pathname")
    assert re.fullmatch(r"/runs/[0-9a-f]{32}", where), where

    dom = page.evaluate("""({
        status: document.getElementById('run-status') && document.getElementById('run-status').textContent.trim(),
        stdout: document.getElementById('stdout') && document.getElementById('stdout').textContent,
        stderr: document.getElementById('stderr') && document.getElementById('stderr').textContent,
        stdoutChildren: document.getElementById('stdout') && document.getElementById('stdout').children.length,
        scripts: document.scripts.length,
        scriptElements: document.getElementsByTagName('script').length,
        images: document.images.length,
        audit: document.getElementById('audit-status') && document.getElementById('audit-status').textContent,
        title: document.title,
        banner: document.querySelector('section.banner') && document.querySelector('section.banner').className,
        text: document.body.innerText
    })""")
    assert dom["status"] == "success", dom
    assert "run-success" in dom["banner"], dom["banner"]
    # Hostile output is text, never markup.
    assert "<script>alert(1)</script>" in dom["stdout"], dom["stdout"]
    assert '<img src=x onerror="alert(2)">' in dom["stdout"], dom["stdout"]
    assert "\ufffd" in dom["stdout"], dom["stdout"]
    assert "</pre>" in dom["stderr"], dom["stderr"]
    assert dom["stdoutChildren"] == 0, "stdout was parsed into elements"
    assert dom["scripts"] == 0 and dom["scriptElements"] == 0, dom
    assert dom["images"] == 0, "an <img> from the service's output reached the DOM"
    assert not page.dialogs, f"a script ran: {page.dialogs}"
    # Audit summary present and clean.
    assert dom["audit"] and "clean" in dom["audit"], dom["audit"]
    assert "Security audit" in dom["text"] and "Preflight" in dom["text"], dom["text"][:500]
    # What the API says about the same run.
    rid = where.rsplit("/", 1)[1]
    assert rid in dom["text"]

    path = page.screenshot(str(shots / "run.png"))
    shutil.copyfile(path, "/tmp/ignite-run-page.png")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_no_dialogs_and_no_console_errors_from_pages(logged_in):
    assert not logged_in.dialogs
    errors = [e for e in logged_in.events if e["method"] == "Runtime.exceptionThrown"]
    assert not errors, errors


def test_run_page_is_a_capability_link(stack, browser, logged_in, keys):
    """The same report opens in a browser without a session (last: it
    clears the browser's cookies)."""
    rid = stack.get("/api/runs?service=hostile-output&limit=1", key=keys.read).json()["runs"][0]["runId"]
    fresh = browser.new_page()
    try:
        fresh.send("Network.clearBrowserCookies")
        fresh.navigate(stack.url(f"/runs/{rid}"))
        assert fresh.evaluate("document.getElementById('run-status').textContent.trim()") == "success"
        fresh.navigate(stack.url("/"))
        assert fresh.evaluate("location.pathname") == "/login"
    finally:
        fresh.close()
