"""A small cookie-keeping HTTP client for tests: one instance is one browser (one device).

It keeps the session cookie like a browser, does not follow redirects (tests look at them), and
sends the page's CSRF token with every POST unless told otherwise — the token is read from the
`<meta name="csrf-token">` that every page carries, as ask.js does.
"""
from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

_META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@dataclass
class Response:
    status: int
    headers: dict          # lower-case names
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")

    def json(self):
        return json.loads(self.body)


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None            # the 30x comes back as the response


class WebClient:
    def __init__(self, base_url: str, cookies: http.cookiejar.CookieJar | None = None):
        self.base_url = base_url.rstrip("/")
        self.cookies = cookies if cookies is not None else http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies),
                                                   _KeepRedirects())

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> Response:
        request = urllib.request.Request(self.base_url + path, data=body, method=method,
                                         headers=headers or {})
        try:
            with self._opener.open(request, timeout=15) as response:
                return Response(response.status, {k.lower(): v for k, v in response.headers.items()},
                                response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def csrf_token(self) -> str:
        """The token this browser's session has now (asking a page for it, as a browser would)."""
        page = self.get("/join")
        found = _META_TOKEN.search(page.text)
        assert found, "every page carries <meta name=csrf-token>"
        return found.group(1)

    def post(self, path: str, form: dict | list | None = None, token: str | None | bool = True,
             headers: dict | None = None) -> Response:
        """POST a form. token=True sends this session's token, a string sends that string,
        None/False sends none."""
        fields = list(form.items()) if isinstance(form, dict) else list(form or [])
        if token is True:
            token = self.csrf_token()
        if token:
            fields.append(("csrf_token", token))
        body = urllib.parse.urlencode(fields, doseq=True).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded",
                                                 **(headers or {})})

    def post_json(self, path: str, payload, token: str | None = None) -> Response:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["X-CSRF-Token"] = token
        return self.request("POST", path, json.dumps(payload).encode(), headers)


def logged_in_teacher(base_url: str, pin: str) -> WebClient:
    """A teacher's browser that logged in with `pin` (the class's PIN, already set)."""
    teacher = WebClient(base_url)
    assert teacher.post("/teacher/login", {"pin": pin}).status == 303
    return teacher


def sse_fields(block: str) -> tuple[str, object] | None:
    """(event name, parsed JSON data) of one Server-Sent Events block; None for a comment block
    (the line the kit sends before anything else)."""
    if all(line.startswith(":") for line in block.splitlines()):
        return None
    name, data = "message", ""
    for line in block.splitlines():
        if line.startswith("event: "):
            name = line[len("event: "):]
        elif line.startswith("data: "):
            data += line[len("data: "):]
    return name, json.loads(data)
