"""One owner per fact: the limits and defaults that used to disagree between the places that
state them now come from one place, and every place that shows or checks them agrees."""
from __future__ import annotations

from click.testing import CliRunner

from kit.classroom.rules import ANNOUNCEMENT_MAX
from kit.classroom.store import Store, StoreError
from kit.cli import main
from kit.settings import Settings, SettingsError, load_settings
from kit.web import forms
from tests.web_client import WebClient


def test_the_announcement_limit_is_the_same_in_the_teacher_form_and_the_store(tmp_path):
    longest_allowed = "a" * ANNOUNCEMENT_MAX
    form = {"modes": ["explain"], "think_first_min": "20", "questions_per_minute": "3"}
    with Store(tmp_path / "classroom") as store:
        _, errors = forms.parse_class_settings(_Form({**form, "announcement": longest_allowed}))
        assert "announcement" not in errors
        store.update_class_settings(announcement=longest_allowed)          # the store agrees
        _, errors = forms.parse_class_settings(_Form({**form, "announcement": longest_allowed + "a"}))
        assert "announcement" in errors
        try:
            store.update_class_settings(announcement=longest_allowed + "a")
        except StoreError as error:
            assert str(ANNOUNCEMENT_MAX) in str(error)
        else:
            raise AssertionError("the store took an announcement the form refuses")


def test_lantern_think_first_min_reaches_the_web_apps_ask_box(serve, bundled_content, tmp_path):
    settings = load_settings(environ={"LANTERN_THINK_FIRST_MIN": "55"}, content_dirs=(bundled_content,),
                             data_dir=tmp_path / "data")
    site = serve(settings)
    assert site.services.store.class_settings()["think_first_min"] == 55
    learner = WebClient(site.url)
    assert learner.post("/join", {"nickname": "Ana", "next": "/ask"}).status == 303
    page = learner.get("/ask").text
    assert "at least 55 characters" in page


def test_kit_serve_threads_has_the_settings_range_and_default():
    runner = CliRunner()
    help_text = runner.invoke(main, ["serve", "--help"]).output
    assert f"(default {Settings.threads})" in " ".join(help_text.split())
    refused = runner.invoke(main, ["serve", "--threads", "4"])
    assert refused.exit_code == 2 and "--threads" in refused.output
    try:
        load_settings(environ={"LANTERN_THREADS": "4"})
    except SettingsError as error:
        assert "LANTERN_THREADS" in str(error)
    else:
        raise AssertionError("LANTERN_THREADS=4 was accepted")


class _Form(dict):
    """What Flask's request.form offers parse_class_settings: get() and getlist()."""

    def getlist(self, name):
        value = self.get(name, [])
        return value if isinstance(value, list) else [value]


def test_every_engine_kind_is_named_once_in_settings_and_each_name_has_an_engine():
    """`--engine`, LANTERN_ENGINE and the manifests' `engines` all read kit/settings.py's
    ENGINE_NAMES; the registry of engine classes must hold exactly those."""
    from kit.settings import ENGINE_CHOICES, ENGINE_NAMES
    from kit.tutor.engines import ENGINES
    assert set(ENGINES) == set(ENGINE_NAMES) and ENGINE_CHOICES == ("auto", *ENGINE_NAMES)


def test_the_cli_offers_the_tutors_modes_and_the_manifests_tiers():
    from kit.tutor.manifests import TIERS
    from kit.tutor.question_checks import MODES
    ask_help = CliRunner().invoke(main, ["ask", "--help"]).output
    assert f"[{'|'.join(MODES)}]" in ask_help
    stick_help = CliRunner().invoke(main, ["stick", "build", "--help"]).output
    assert f"[{'|'.join(TIERS)}]" in stick_help


def test_the_think_first_ranges_are_the_same_for_the_environment_the_store_and_the_form(tmp_path):
    """Once 0-2000 characters in the environment and 0-1000 in the class settings: a kit started
    with LANTERN_THINK_FIRST_MIN=1500 could not open its class. Each end is now both's end."""
    from kit.settings import THINK_FIRST_MIN_RANGE, THINK_FIRST_MINUTES_RANGE
    cases = [("LANTERN_THINK_FIRST_MIN", "think_first_min", THINK_FIRST_MIN_RANGE),
             ("LANTERN_THINK_FIRST_MINUTES", "think_first_minutes", THINK_FIRST_MINUTES_RANGE)]
    for n, (variable, name, (low, high)) in enumerate(cases):
        settings = load_settings(environ={variable: str(high)})
        with Store(tmp_path / f"classroom-{n}", defaults=settings.class_defaults) as store:
            assert store.class_settings()[name] == high
            for outside in (low - 1, high + 1):
                try:
                    store.update_class_settings(**{name: outside})
                except StoreError as error:
                    assert error.field == name
                else:
                    raise AssertionError(f"the store took {name}={outside}")
                try:
                    load_settings(environ={variable: str(outside)})
                except SettingsError as error:
                    assert variable in str(error)
                else:
                    raise AssertionError(f"{variable}={outside} was accepted")
                _, errors = forms.parse_class_settings(_Form({name: str(outside), "modes": ["explain"]}))
                assert name in errors
