"""The HTML pages of DESIGN §6 through nginx, as a browser without
JavaScript sees them: login form → HttpOnly SameSite=Strict session, CSRF on
every form, escaped hostile output, /runs/{id} as a capability link."""
import html
import re
import secrets
import urllib.parse

import pytest

from harness import login

FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def cookie(stack, keys):
    return login(stack, keys.execute)


def page(stack, path, cookie=None, **kw):
    headers = kw.pop("headers", {})
    if cookie:
        headers["Cookie"] = f"ignite_session={cookie}"
    return stack.request(kw.pop("method", "GET"), path, kw.pop("body", None), headers=headers, **kw)


def csrf_of(r):
    m = re.search(r'name="csrf" value="([^"]+)"', r.text)
    assert m, f"no csrf field in the page:\n{r.text[:2000]}"
    return m.group(1)


def run_form(stack, cookie, service, input_text, csrf):
    return page(stack, f"/services/{service}/run", cookie, method="POST",
                body=urllib.parse.urlencode({"input": input_text, "csrf": csrf}), content_type=FORM)


def assert_html(r, status=200):
    assert r.status == status, r
    assert r.header("Content-Type", "").startswith("text/html"), r.headers
    csp = r.header("Content-Security-Policy", "")
    assert "default-src 'none'" in csp, r.headers
    assert r.header("X-Frame-Options") == "DENY" and r.header("X-Content-Type-Options") == "nosniff"
    assert "<script" not in r.text.lower(), "a page carries a <script> element"


def test_login_page(stack):
    r = stack.get("/login")
    assert_html(r)
    assert re.search(r'<form method="post" action="/login"', r.text), r.text[:1000]
    cookies = r.header_all("Set-Cookie")
    pre = [c for c in cookies if c.startswith("ignite_login=")]
    assert pre and "HttpOnly" in pre[0] and "SameSite=Strict" in pre[0], cookies


def test_pages_need_a_session(stack):
    for path in ("/", "/services/hello"):
        r = stack.get(path)
        assert r.status == 303 and r.header("Location") == "/login", (path, r)
    r = stack.get("/", headers={"Cookie": "ignite_session=forged.value.here"})
    assert r.status == 303 and r.header("Location") == "/login", r


def test_login_wrong_key_401(stack, keys):
    r = stack.get("/login")
    pre = re.match(r"ignite_login=([^;]+)", r.header_all("Set-Cookie")[0]).group(1)
    body = urllib.parse.urlencode({"key": "ign_000000000000_" + "A" * 43, "csrf": csrf_of(r)})
    r2 = stack.request("POST", "/login", body, content_type=FORM, headers={"Cookie": f"ignite_login={pre}"})
    assert_html(r2, 401)
    assert not any(c.startswith("ignite_session=") for c in r2.header_all("Set-Cookie")), r2.headers


def test_login_without_csrf_403(stack, keys):
    r = stack.request("POST", "/login", urllib.parse.urlencode({"key": keys.admin}), content_type=FORM)
    assert r.status == 403, r
    assert not any(c.startswith("ignite_session=") for c in r.header_all("Set-Cookie"))


def test_login_csrf_bound_to_its_pre_session(stack, keys):
    a = stack.get("/login")
    b = stack.get("/login")
    pre_b = re.match(r"ignite_login=([^;]+)", b.header_all("Set-Cookie")[0]).group(1)
    body = urllib.parse.urlencode({"key": keys.admin, "csrf": csrf_of(a)})
    r = stack.request("POST", "/login", body, content_type=FORM, headers={"Cookie": f"ignite_login={pre_b}"})
    assert r.status == 403, r


def test_index(stack, cookie):
    r = page(stack, "/", cookie)
    assert_html(r)
    for name in ("hello", "data-processor", "hostile-output"):
        assert f"/services/{name}" in r.text, name


def test_service_page(stack, cookie):
    r = page(stack, "/services/hello", cookie)
    assert_html(r)
    assert 'action="/services/hello/run"' in r.text and "node@24" in r.text
    csrf_of(r)



def test_invalid_service_page_lists_problems(stack, cookie):
    r = page(stack, "/services/broken", cookie)
    assert_html(r)
    assert "<title>broken" in r.text, "the page of an invalid service does not name it"
    assert "memoryMB" in r.text and "timeoutMs" in r.text, "the page does not say what is wrong"


def test_unknown_service_and_run_pages_404(stack, cookie):
    assert_html(page(stack, "/services/no-such-service", cookie), 404)
    assert_html(page(stack, f"/runs/{secrets.token_hex(16)}"), 404)
    assert_html(page(stack, "/runs/not-an-id"), 404)


def test_run_form_hostile_output_escaped(stack, cookie):
    csrf = csrf_of(page(stack, "/services/hostile-output", cookie))
    r = run_form(stack, cookie, "hostile-output", "{}", csrf)
    assert r.status == 303, r
    loc = r.header("Location")
    assert re.fullmatch(r"/runs/[0-9a-f]{32}", loc), loc
    # A capability link: no cookie needed.
    report = stack.get(loc)
    assert_html(report)
    assert report.header("Referrer-Policy") == "no-referrer"
    text = report.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, text
    assert "&lt;img src" in text and "<img src" not in text
    assert "&lt;/pre&gt;" in text, "stderr's </pre> was not escaped"
    assert "\ufffd" in text or "&#xFFFD;" in text.upper() or "&#65533;" in text
    m = re.search(r'id="run-status">([^<]+)<', text)
    assert m and m.group(1) == "success", m and m.group(1)
    # The same data through the API.
    assert stack.get(f"/api/runs/{loc.rsplit('/', 1)[1]}").status == 401


def test_run_form_wrong_csrf_403_and_no_run(stack, cookie, keys):
    before = stack.get("/api/runs?service=hello&limit=100", key=keys.read).json()["runs"]
    r = run_form(stack, cookie, "hello", "{}", "not-the-token")
    assert r.status == 403, r
    r = page(stack, "/services/hello/run", cookie, method="POST",
             body=urllib.parse.urlencode({"input": "{}"}), content_type=FORM)
    assert r.status == 403, r
    after = stack.get("/api/runs?service=hello&limit=100", key=keys.read).json()["runs"]
    assert len(after) == len(before)


def test_run_form_csrf_of_another_session_403(stack, keys, cookie):
    other = login(stack, keys.admin)
    csrf_other = csrf_of(page(stack, "/services/hello", other))
    assert run_form(stack, cookie, "hello", "{}", csrf_other).status == 403


def test_run_form_invalid_json_400_with_message(stack, cookie):
    csrf = csrf_of(page(stack, "/services/hello", cookie))
    r = run_form(stack, cookie, "hello", '{"name": ', csrf)
    assert_html(r, 400)
    assert html.escape('{"name": ', quote=False) in r.text or "&quot;name&quot;" in r.text


def test_run_form_empty_input_runs(stack, cookie):
    """An empty input box sends null to the service."""
    csrf = csrf_of(page(stack, "/services/hello", cookie))
    r = run_form(stack, cookie, "hello", "", csrf)
    assert r.status == 303, r
    report = stack.get(r.header("Location"))
    assert re.search(r'id="run-status">success<', report.text), report.text[:3000]


def test_read_key_session_cannot_run(stack, keys):
    c = login(stack, keys.read)
    csrf = csrf_of(page(stack, "/services/hello", c))
    r = run_form(stack, c, "hello", "{}", csrf)
    assert r.status == 403, r


def test_logout(stack, keys):
    c = login(stack, keys.admin)
    csrf = csrf_of(page(stack, "/", c))
    r = page(stack, "/logout", c, method="POST", body=urllib.parse.urlencode({"csrf": csrf}), content_type=FORM)
    assert r.status == 303 and r.header("Location") == "/login", r
    cleared = [x for x in r.header_all("Set-Cookie") if x.startswith("ignite_session=")]
    assert cleared and "Max-Age=0" in cleared[0], r.headers


def test_static_css(stack):
    r = stack.get("/static/ignite.css")
    assert r.status == 200 and r.header("Content-Type", "").startswith("text/css"), r
    assert len(r.body) > 100
    assert stack.get("/static/../keys").status in (400, 404)
    assert stack.get("/static/%2e%2e/Makefile").status in (400, 403, 404)


def test_logout_ends_the_session(stack, keys):
    """After logout the old cookie value (copied elsewhere, say) no longer
    opens the pages."""
    c = login(stack, keys.admin)
    csrf = csrf_of(page(stack, "/", c))
    r = page(stack, "/logout", c, method="POST", body=urllib.parse.urlencode({"csrf": csrf}), content_type=FORM)
    assert r.status == 303, r
    r = page(stack, "/", c)
    assert r.status == 303 and r.header("Location") == "/login", f"the session still works after logout: {r}"
