"""The quote chooser on the shapes published tutorials use, in passages written here: prompts in
code blocks (`(venv) ~/club$ …`, `C:\\…> …`, `>>> …`), a command's output after it or in a block
of its own, the same step per operating system, captions and admonition titles, two packs
(another language) retrieved together — and bad input. No index and no model: a passage is text,
a question is its weighted words, as the retriever would give them."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from kit.library.formats.book_markdown import book_chapter, caption_line
from kit.tutor.quoting import MAX_CODE_LINES, choose_quotes, is_code_to_type, units
from kit.tutor.shell_prompts import MAX_SESSION_LINES, os_named, prompt_of, session


def passage(text: str, anchor: str = "s-one", pack: str = "club"):
    return SimpleNamespace(text=text, url=f"/p/{pack}/doc#{anchor}", anchor=anchor, title="Doc",
                           heading="Section", speaker="", pack=pack)


ADMIN_STEP = """To log in to the admin you need an account with every right, a superuser. Type this in the command line:

(venv) ~/club$ python manage.py createsuperuser

(venv) C:\\Users\\Ana\\club> python manage.py createsuperuser

Answer its questions with a name, an email address and a password you will remember.

Username: ana
Email address: ana@example.org
Password:
Password (again):
Superuser created successfully.

Go back to the browser and log in with the name and password you chose."""
SUPERUSER = {"superuser": 3.0, "create": 1.0}


@pytest.mark.parametrize(("line", "family", "command"), [
    ("(venv) ~/club$ python manage.py migrate", "unix", "python manage.py migrate"),
    ("$ pip install widget", "unix", "pip install widget"),
    ("% ls -l", "unix", "ls -l"),
    ("ana@laptop:~/club$ git status", "unix", "git status"),
    ("[ana@laptop club]$ git status", "unix", "git status"),
    ("Anas-Laptop:club ana$ git status", "unix", "git status"),
    ("root@box:/srv# apt install nginx", "unix", "apt install nginx"),
    ("C:\\Users\\Ana\\club> python manage.py migrate", "windows", "python manage.py migrate"),
    ("(venv) C:\\Users\\Ana\\club> python manage.py migrate", "windows", "python manage.py migrate"),
    ("PS C:\\Users\\Ana> py -m venv venv", "windows", "py -m venv venv"),
    ("...\\> py manage.py migrate", "windows", "py manage.py migrate"),
    (">>> print(total)", "python", "print(total)"),
    ("In [3]: total * 2", "python", "total * 2"),
    ("> python --version", "any", "python --version"),
])
def test_a_prompt_of_each_family_is_told_from_the_command_after_it(line, family, command):
    assert prompt_of(line) == (family, command)


@pytest.mark.parametrize("line", ["# a comment in a script", "x = 7 % 3", "$HOME/bin/tool", "Username: ana",
                                  "%matplotlib inline", "Superuser created successfully.", "total > 3"])
def test_code_and_output_are_not_prompts(line):
    assert prompt_of(line) is None


def test_lines_after_a_command_are_its_output_and_continuations_are_the_command():
    lines = session(">>> for n in range(2):\n...     print(n)\n...\n0\n1\n$ echo done \\\n  now\ndone now")
    assert [(line.command is not None) for line in lines] == [True, True, True, False, False, True, True, False]


def test_a_prompted_command_is_code_to_type_and_a_block_of_only_output_is_not():
    assert is_code_to_type("(venv) ~/club$ python manage.py createsuperuser")
    assert is_code_to_type("C:\\Users\\Ana\\club> dir")
    assert is_code_to_type("./manage.py runserver") and is_code_to_type("club.exe serve")
    assert not is_code_to_type("app.py\nmodels.py\n./static")
    assert not is_code_to_type("Username: ana\nEmail address: ana@example.org\nSuperuser created successfully.")


def test_a_how_question_quotes_the_prompted_command_not_its_output():
    quotes = choose_quotes([passage(ADMIN_STEP)], SUPERUSER, asked="How do I create a superuser?")
    lines = [line for q in quotes for line in q.text.splitlines()]
    assert "(venv) ~/club$ python manage.py createsuperuser" in lines, quotes   # whole, prompt kept
    assert all(q.text in ADMIN_STEP for q in quotes)


def test_a_command_given_per_system_is_quoted_for_both_when_no_system_is_named():
    quotes = choose_quotes([passage(ADMIN_STEP)], SUPERUSER, asked="How do I create a superuser?")
    lines = [line for q in quotes for line in q.text.splitlines()]
    assert "(venv) ~/club$ python manage.py createsuperuser" in lines, quotes
    assert "(venv) C:\\Users\\Ana\\club> python manage.py createsuperuser" in lines, quotes
    assert sum(len(q.text) for q in quotes) <= 600


def test_a_learner_who_names_windows_gets_only_the_windows_command():
    quotes = choose_quotes([passage(ADMIN_STEP)], {**SUPERUSER, "windows": 1.0},
                           asked="How do I create a superuser on Windows?")
    text = "\n".join(q.text for q in quotes)
    assert "C:\\Users\\Ana\\club> python manage.py createsuperuser" in text, quotes
    assert "~/club$" not in text, quotes


def test_twins_labelled_only_by_captions_are_quoted_with_their_captions():
    text = ("Make the environment.\n\nmacOS or Linux:\n\npython3 -m venv venv\n\nWindows:\n\npy -m venv venv"
            "\n\nA folder venv appears.")
    quotes = choose_quotes([passage(text)], {"environment": 2.0, "venv": 1.0}, asked="How do I make the environment?")
    shown = [q.text for q in quotes]
    assert "python3 -m venv venv" in shown and "py -m venv venv" in shown, shown
    assert shown.index("Windows:") == shown.index("py -m venv venv") - 1, shown
    assert os_named("how do i do it on my mac") == "unix"


def test_a_long_session_is_windowed_at_the_command_asked_for_with_its_prompt():
    steps = "\n".join(f"$ tool step{n}\nstep {n} done" for n in range(12))
    block = f"{steps}\n$ python manage.py collectstatic\n120 static files copied.\n$ tool finish\nfinished"
    quotes = choose_quotes([passage(f"Gather the files the site serves:\n\n{block}")],
                           {"collectstatic": 3.0, "static": 1.0}, asked="how do I run collectstatic")
    code, = [q for q in quotes if q.code]
    assert code.text.splitlines()[0] == "$ python manage.py collectstatic", code
    assert len(code.text.splitlines()) <= MAX_CODE_LINES


def test_the_kit_s_markers_and_control_characters_never_reach_a_quote():
    text = (f"{caption_line('command-line')}\n\n$ flask --app club run\n\n"
            "The server answers on port 5000 until you stop it.\x07 Stop the server with Ctrl+C.")
    quotes = choose_quotes([passage(text)], {"server": 2.0, "stop": 1.0, "flask": 1.0},
                           asked="how do I stop the server")
    assert quotes
    assert not any("%%lantern" in q.text or any(ord(c) < 32 and c not in "\n\t" for c in q.text) for q in quotes)


def test_a_caption_is_plain_words_in_the_passage_and_a_caption_on_the_page():
    markdown = (f"# Run\n\n## Start the server\n\nStart it:\n\n{caption_line('Windows')}\n```\n"
                "C:\\club> flask run\n```\n\n- a list item\n\n  " + caption_line("command-line") + "\n\nAfter it.\n")
    doc = book_chapter(markdown, "run.md")
    text = "\n\n".join(p.text for p in doc.passages)
    assert "%%" not in text and "Windows" in text, text
    assert '<figcaption class="filename">Windows</figcaption>' in doc.html
    assert "command-line" in doc.html and "%%" not in doc.html


def test_an_admonition_title_is_never_quoted_alone():
    text = "Warning\n\nDeleting the club folder removes every saved page.\n\nNote"
    assert choose_quotes([passage(text)], {"warning": 3.0}, asked="is there a warning") == []
    quotes = choose_quotes([passage(text)], {"warning": 3.0, "deleting": 1.0, "note": 1.0},
                           asked="warning about deleting, note")
    assert quotes and all(q.text not in ("Warning", "Note") for q in quotes), quotes


def test_an_answer_s_quotes_all_come_from_one_pack():
    english = passage("A URL is the address of a page. Type it in the browser's address bar.", "s-url", "club-en")
    french = passage("Une URL est l'adresse d'une page. Le navigateur affiche la page de cette URL.",
                     "s-url", "club-fr")
    also_english = passage("Every page of the club site has its own URL.", "s-pages", "club-en")
    quotes = choose_quotes([english, french, also_english], {"url": 2.0, "page": 1.0}, asked="what is a url")
    assert quotes and {q.url.split("/")[2] for q in quotes} == {"club-en"}, quotes


# Bad input: each is answered (or refused) quickly, verbatim, without an error.

def test_an_empty_passage_gives_no_quote():
    assert choose_quotes([passage("")], SUPERUSER, asked="How do I create a superuser?") == []
    assert units("") == [] and units("\n\n \n\n") == []


def test_a_passage_of_only_a_prompt_gives_no_quote():
    assert choose_quotes([passage("$")], {"superuser": 1.0}, asked="How do I create a superuser?") == []
    assert units("$")[0].code and not is_code_to_type("$ ")


def test_a_ten_thousand_line_block_is_read_only_as_far_as_the_bound():
    lines = [f"$ tool item{n}\nitem {n} ok" for n in range(5000)]       # 10,000 lines
    lines[MAX_SESSION_LINES] = "$ python manage.py createsuperuser"   # beyond the bound: never read
    lines[10] = "$ tool superuser-report"
    started = time.perf_counter()
    quotes = choose_quotes([passage("Run the tools:\n\n" + "\n".join(lines))], SUPERUSER,
                           asked="How do I create a superuser?")
    print(f"10,000-line block quoted in {time.perf_counter() - started:.3f} s")
    code, = [q for q in quotes if q.code]
    assert code.text.splitlines()[0] == "$ tool superuser-report", code
    assert len(code.text.splitlines()) <= MAX_CODE_LINES


def test_mixed_scripts_in_one_passage_are_quoted_verbatim():
    text = ("The club meets on Fridays. يجتمع النادي يوم الجمعة في المكتبة. "
            "俱乐部每周五在图书馆见面。\n\n$ python club.py --lang ar")
    found = choose_quotes([passage(text)], {"المكتبة": 2.0}, asked="أين يجتمع النادي")
    assert found and all(q.text in text for q in found), found
    assert any("المكتبة" in q.text for q in found), found
    assert choose_quotes([passage(text)], {"fridays": 2.0}, asked="when does the club meet")


def test_a_block_of_only_output_loses_to_the_command_for_a_how_question():
    text = ("Run the check:\n\npython -m club.check\n\nYou will see:\n\n"
            "check passed: 12 pages\ncheck passed: 3 images")
    quotes = choose_quotes([passage(text)], {"check": 2.0}, asked="how do I run the check")
    assert any(q.text == "python -m club.check" for q in quotes), quotes
    assert choose_quotes([passage("Result:\n\nall 12 pages passed\n3 images passed")], {"passed": 1.0},
                         asked="how do I see what passed")


def test_a_sentence_wrapped_over_paragraphs_is_quoted_whole_and_verbatim():
    """HTML docs and subtitles break a sentence where the source's line ended."""
    text = ("The club server keeps every page you add in one folder, so\n\nthat a backup is a copy of the "
            "folder.\n\nTo start it, run:\n\nclub serve --port 8001\n\nIt answers on port 8001.")
    quotes = choose_quotes([passage(text)], {"backup": 2.0, "folder": 1.0}, asked="what is a backup of the club")
    assert quotes[0].text.startswith("The club server keeps") and quotes[0].text.endswith("copy of the folder."), quotes
    assert all(q.text in text for q in quotes)
    assert [u.code for u in units(text)] == [False, False, True, False]    # the command stays code
    wrapped = "The server starts on port 8001 when you run\n\nthe command.  It stops with Ctrl+C."
    assert [u.text for u in units(wrapped)] == [wrapped]      # "It…" goes on with it, spaces kept


def test_source_markup_left_by_an_import_is_never_quoted():
    text = ("/// tip | Good to know\n\nThe club server reloads itself when a page changes.\n\n///\n\n"
            "{! ../includes/footer.md !}\n\n:::: tab\n\nRestart it by hand with club serve.")
    quotes = choose_quotes([passage(text)], {"server": 2.0, "reloads": 1.0, "restart": 1.0},
                           asked="does the club server reload itself")
    assert quotes and not any("///" in q.text or "{!" in q.text or "::::" in q.text for q in quotes), quotes


TABS = '''# Setup

## A place for the club's packages

A virtual environment keeps the club's packages apart from the rest of the computer. Create
one in the project folder:

=== "Windows"

    ```
    py -m venv .venv
    ```

=== "macOS, Linux"

    ```
    python3 -m venv .venv
    ```

A folder .venv appears.
'''


def test_tab_titles_say_the_system_of_each_command():
    from kit.library.formats.mkdocs import rewrite_tabs
    doc = book_chapter(rewrite_tabs(TABS), "setup.md")
    text, = [p.text for p in doc.passages]
    assert doc.html.count("Windows") == 1                    # the tab's label, shown once
    weights = {"virtual": 2.0, "environment": 1.5, "create": 1.0}
    both = [q.text for q in choose_quotes([passage(text)], weights, asked="how do I create a virtual environment")]
    assert both[-4:] == ["Windows", "py -m venv .venv", "macOS, Linux", "python3 -m venv .venv"], both
    mac = [q.text for q in choose_quotes([passage(text)], weights,
                                         asked="how do I create a virtual environment on my mac")]
    assert "python3 -m venv .venv" in mac and "py -m venv .venv" not in mac, mac


def test_a_line_too_long_to_read_is_left_out_not_cut():
    blob = "members = load_members([" + ", ".join(f"'member{n}'" for n in range(600)) + "])"
    text = f"Load the members list:\n\n{blob}\n\nThe club loads its members list from every town."
    quotes = choose_quotes([passage(text)], {"members": 2.0, "load": 1.0}, asked="how do I load the members list")
    assert quotes and all(len(line) <= 1000 for q in quotes for line in q.text.splitlines()), quotes
    assert all(q.text in text for q in quotes)


def test_a_honkit_page_s_per_system_captions_reach_the_quote_as_words(tmp_path):
    from kit.library.formats.book_template import BookTemplate
    page = tmp_path / "server.md"
    page.write_text("# The server\n\n## Start it\n\nStart the club's server from the project folder.\n\n"
                    "{% filename %}Windows:{% endfilename %}\n```\nclub.exe serve\n```\n\n"
                    "{% filename %}macOS or Linux:{% endfilename %}\n```\n./club serve\n```\n", encoding="utf-8")
    doc = book_chapter(BookTemplate(tmp_path, {}, 100_000).render(page), "server.md")
    text, = [p.text for p in doc.passages]
    assert "%%" not in text and "%%" not in doc.html
    assert '<figcaption class="filename">Windows:</figcaption>' in doc.html
    shown = [q.text for q in choose_quotes([passage(text)], {"server": 2.0, "start": 1.0, "club": 0.5},
                                           asked="how do I start the club server")]
    assert shown[-4:] == ["Windows:", "club.exe serve", "macOS or Linux:", "./club serve"], shown


INTRODUCED = ("Every check of the club site is a class of its own, kept in a file beside the code it checks, so "
              "that a new member finds the checks of a page where the page is. Here is an example that "
              "subclasses club.testing.ClubCase, which starts each check with an empty members list:\n\n"
              "from club.testing import ClubCase\nfrom club.members import join\n"
              "class JoinTest(ClubCase):\n    def test_join_adds_a_member(self):\n"
              "        join('ana')\n        self.assertEqual(self.members(), ['ana'])\n"
              "    def test_join_twice_keeps_one(self):\n        join('ana')\n        join('ana')\n"
              "        self.assertEqual(self.members(), ['ana'])\n\nRun them all with club check.")


def test_a_sentence_that_introduces_code_brings_the_code_even_past_the_first_quote_s_room():
    """A quote ending on "…like this:" promises the line it leaves out: the block's first lines come too."""
    assert len(INTRODUCED.split("\n\n")[0]) + len(INTRODUCED.split("\n\n")[1]) > 400   # more than the first room
    quotes = choose_quotes([passage(INTRODUCED)], {"checks": 2.5, "write": 2.0, "page": 1.0},
                           asked="how do i write checks for a page")
    code = [q for q in quotes if q.code]
    assert code and code[0].text.startswith("from club.testing import ClubCase\n"), quotes
    assert all(q.text in INTRODUCED for q in quotes) and sum(len(q.text) for q in quotes) <= 600, quotes


def test_a_listing_after_a_colon_is_not_brought_in():
    text = ("The club site keeps every page in one folder, so that a backup of the folder is a backup of the "
            "whole site, pictures and members list included, and a copy of it on a stick moves the site to "
            "another laptop. Nothing the site needs lives anywhere else: no database server, no settings in "
            "the home folder, no files the browser keeps in a place of its own. By the end of this step the "
            "folder looks like this:"
            "\n\nsite/\n├── pages/\n│   ├── index.md\n│   ├── members.md\n│   └── meetings.md\n└── pictures/")
    assert len(text.split("\n\n")[0]) > 400
    quotes = choose_quotes([passage(text)], {"backup": 2.0, "folder": 1.0}, asked="how do I make a backup")
    assert quotes and not any(q.code for q in quotes), quotes


SETTINGS_THEN_COMMAND = """Some settings, not required but making the check's report shorter, go in the club's \
setup.cfg file.

setup.cfg

[club:check]
report = short
[club:run]
pages = all

To check the pages, use the club command. It finds every page you have written.

$ club
index.md ............ ok
members.md .......... ok
meetings.md ......... ok
pictures.md ......... ok
4 pages, 0 problems, in 0.12 seconds

If a check fails, the report names the page and the line.

To see the report of every page, run the check with the report option instead of running it plainly.

$ club check --report --all

The report lists each page with its links."""


def test_a_settings_file_is_not_the_command_a_how_question_asks_for():
    """A block opening on a section header ([club:check]) is a file's settings: read, not run."""
    assert not is_code_to_type("[club:check]\nreport = short") and not is_code_to_type("[tool.club]\npages = 3")
    assert is_code_to_type("report = short") and is_code_to_type("items = [1, 2]\nprint(items)")
    quotes = choose_quotes([passage(SETTINGS_THEN_COMMAND)], {"check": 2.0, "report": 2.0, "run": 1.5, "see": 1.0},
                           asked="how do i run the check and see the report")
    assert any(q.text == "$ club check --report --all" for q in quotes), quotes
