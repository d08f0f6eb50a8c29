"""A tutorial that writes its commands the way published ones do — with the shell's prompt in
the code block, the command's output after it, and the Windows twin in a block of its own —
asked about in a real browser (Debian's Chromium) on a real server with the real SmolLM2.

The learner must see the command itself quoted (not only its output), and no command-like word
of the tutor's that the material does not have may be shown without the "not in the material"
mark. That second check is this test's own: a regex over the page's DOM and a whole-token
lookup in the material's files, not the kit's faithfulness guard.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kit.settings import load_settings
from tests.chromium import skip_module_without_chromium
from tests.engine_state import SHARED_ENGINE_DIR

skip_module_without_chromium()

from playwright.sync_api import expect  # noqa: E402  (only once Chromium exists)

pytestmark = pytest.mark.browser

ANSWER_TIMEOUT_MS = 90_000        # a first answer loads the model; two busy cores are slow
CHAPTER = "/p/club-site/admin-workshop/01-admin"
UNIX_COMMAND = "(venv) ~/club$ python manage.py createsuperuser"
WINDOWS_COMMAND = "(venv) C:\\Users\\Ana\\club> python manage.py createsuperuser"

CLUB_SITE = {
    "pack.toml": 'title = "Club site"\ndescription = "Run the club\'s website and use its admin pages."\n'
                 'language = "en"\nlicence = "CC-BY-4.0"\nauthors = ["Lantern contributors"]\nversion = "1.0.0"\n',
    "admin-workshop/workshop.toml": 'title = "The club site\'s admin"\n'
                                    'description = "Log in to the admin pages of the club\'s website."\n',
    "admin-workshop/01-admin.md": f"""---
title: The admin pages
order: 1
---

## Make an account for the admin

The admin pages let you add, change and delete the club's events. To log in to them you need an
account with every right, called a superuser. To create one, open a terminal in the project
folder, with the virtual environment active, and type:

```
{UNIX_COMMAND}
Username: ana
Email address: ana@example.org
Password:
Password (again):
Superuser created successfully.
```

On Windows the same command looks like this:

```
{WINDOWS_COMMAND}
```

It asks three questions: answer them with a name, an email address and a password you will
remember. Go back to the browser, open the admin page and log in with the name and password you
chose.

## Start the server again

If the server stopped, start it with `python manage.py runserver` and open the address it prints.
""",
    "admin-workshop/02-events.md": """---
title: Events on the site
order: 2
---

## Add an event

In the admin, choose Events and then Add. Give the event a title, a date and a room, and save it.
The home page lists the next three events, soonest first.
""",
}


def write_pack(root: Path) -> Path:
    for name, text in CLUB_SITE.items():
        path = root / "club-site" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# -- the judge: command-like words and the material, by whole tokens -------------------------

_PUNCT = "\"'`,;:!?()[]{}“”‘’*"
_CODE_CHARACTERS = re.compile(r"\w[._/\\=$@<>]\w|^--?\w|\(\)|^[$@]|_")
_COMMAND_STARTS = {"sudo", "python", "python3", "py", "pip", "pip3", "manage.py", "django-admin", "git", "npm"}


def command_like(text: str, code_texts: list[str]) -> list[str]:
    """Words that read as commands or code: with code characters inside them, in a <code>
    element, or a word that starts a command and the three after it ("sudo createuser")."""
    found, after_start = [], 0
    for raw in text.split():
        word = raw.strip(_PUNCT).rstrip(".").strip(_PUNCT)
        if not word:
            continue
        if _CODE_CHARACTERS.search(word) or after_start or word.lower() in _COMMAND_STARTS:
            found.append(word)
        after_start = 3 if word.lower() in _COMMAND_STARTS else max(after_start - 1, 0)
        if raw.rstrip(_PUNCT[:-1]).endswith((",", ";", ":", ".", "!", "?")) or raw.endswith((",", ";", ":")):
            after_start = 0                   # a command ends with its clause
    return found + [word for code in code_texts for word in code.split()]


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text.lower())


def in_material(word: str, material: str) -> bool:
    """`word`'s tokens occur in a row in the material's tokens: `createuser` is not found in
    `createsuperuser`, `manage.py` is found as manage . py."""
    return f" {' '.join(tokens(word))} " in material


@pytest.fixture
def club_site(serve, bundled_content, tmp_path):
    content = write_pack(tmp_path / "content")
    site = serve(load_settings(environ={}, engine_dir=SHARED_ENGINE_DIR, content_dirs=(bundled_content, content),
                               data_dir=tmp_path / "data", engine="embedded"))
    site.services.tutor.answer_tokens = 60
    files = [p for root in (bundled_content, content) for p in root.rglob("*") if p.is_file()
             and p.suffix in (".md", ".txt", ".srt", ".vtt", ".toml")]
    site.material = " " + " ".join(" ".join(tokens(p.read_text(encoding="utf-8"))) for p in files) + " "
    return site


def ask_on_the_chapter(browser, site, question: str):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{site.url}/join?next={CHAPTER}")
    page.fill("#nickname", "Ana")
    with page.expect_navigation():
        page.locator("form.stacked-form button[type=submit]").click()
    page.fill("#ask-question", question)
    page.locator(".ask-form button[type=submit]").click()
    answer = page.locator(".answer-box:not([hidden])")
    expect(answer.locator(".answer-quotes blockquote.quote").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(answer.locator(".answer-stats")).to_contain_text("embedded", timeout=ANSWER_TIMEOUT_MS)
    return context, answer


QUESTION = "How do I create a superuser?"


def test_the_command_is_quoted_with_its_prompt_not_only_its_output(browser, club_site):
    context, answer = ask_on_the_chapter(browser, club_site, QUESTION)
    try:
        quoted = answer.locator(".answer-quotes blockquote.quote > :first-child").all_inner_texts()
        assert any(UNIX_COMMAND in text.splitlines() for text in quoted), quoted
    finally:
        context.close()


# Measured 2026-12-07 on the shared tree: SmolLM2 answers "You can do this by running the command:
# > python manage.py createuser", and `createuser` is shown unmarked (the guard reads a
# prompted line's plain words as prose). Strict: when the guard catches it, this XPASSes and
# fails, and the marker must go.
def test_no_command_the_material_lacks_is_shown_without_the_mark(browser, club_site):
    context, answer = ask_on_the_chapter(browser, club_site, QUESTION)
    try:
        shown = answer.locator(".answer-text").evaluate(
            """box => { const copy = box.cloneNode(true);
                        copy.querySelectorAll('mark.unsupported').forEach(m => m.remove());
                        return {text: copy.textContent,
                                code: Array.from(copy.querySelectorAll('code')).map(c => c.textContent)}; }""")
        material = club_site.material + " ".join(tokens(QUESTION)) + " "
        unmarked = [word for word in command_like(shown["text"], shown["code"]) if not in_material(word, material)]
        assert unmarked == [], (shown["text"], unmarked)
    finally:
        context.close()


def test_a_learner_on_windows_is_quoted_the_windows_command(browser, club_site):
    context, answer = ask_on_the_chapter(browser, club_site, "How do I create a superuser on Windows?")
    try:
        quoted = "\n".join(answer.locator(".answer-quotes blockquote.quote > :first-child").all_inner_texts())
        assert WINDOWS_COMMAND in quoted.splitlines() and UNIX_COMMAND not in quoted, quoted
    finally:
        context.close()


def test_the_judge_sees_an_invented_command_in_the_shape_the_model_writes_it():
    """The judge itself can fail: the model's 'sudo createuser' is caught, the tutorial's own
    command passes."""
    material = " " + " ".join(tokens(CLUB_SITE["admin-workshop/01-admin.md"])) + " "
    said = command_like("Run the command: sudo createuser, then python manage.py createsuperuser.", [])
    assert [w for w in said if not in_material(w, material)] == ["sudo", "createuser"]
