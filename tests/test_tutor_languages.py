"""The tutor in the learner's language (issue 21, item 4): sources and quotes from the learner's
language's packs, its own lines in that language, and the model's words only when its manifest
says it writes that language — SmolLM2 writes English, so a French learner gets the material's
lines and a French line saying why, and the model is never asked."""
from __future__ import annotations

import tomllib

from kit.library.index_db import ReaderPool

from kit.library.indexer import build_index
from kit.tutor.answering import Question, Tutor
from kit.tutor.engines import choose_engine
from kit.tutor.voice import MODEL_LANGUAGE_NOTE, NOT_COVERED, model_speaks, said
from tests.conftest import PACK_TOML, write_pack
from tests.test_models_add import add, chat_gguf, models  # noqa: F401  (fixtures)

CHAPTER_EN = """\
# Superusers

## Create a superuser

To log in to the admin, create a superuser first:

```
python manage.py createsuperuser
```
"""
CHAPTER_FR = """\
# Superutilisateurs

## Créer un superutilisateur

Pour entrer dans l'administration, créez d'abord un superutilisateur :

```
python manage.py createsuperuser
```
"""


# Other chapters, so that the library has words enough for a rare word to weigh (IDF).
OTHER_EN = ["# Templates\n\n## Loops\n\nA template repeats a block for each item of a list.\n",
            "# Forms\n\n## Sending data\n\nA form sends what the learner typed to the server.\n",
            "# Routes\n\n## Addresses\n\nA route links an address to the function that answers it.\n"]
OTHER_FR = ["# Gabarits\n\n## Boucles\n\nUn gabarit répète un bloc pour chaque élément d'une liste.\n",
            "# Formulaires\n\n## Envoyer\n\nUn formulaire envoie ce que l'élève a tapé au serveur.\n",
            "# Routes\n\n## Adresses\n\nUne route relie une adresse à la fonction qui lui répond.\n"]


class NeverAsked:
    """An engine whose model must not be asked (the learner's language is not one it writes)."""
    name, model, languages = "embedded", "SmolLM2-135M-Instruct.Q4_1.gguf", ("en",)

    def chat(self, messages, options):
        raise AssertionError("the model was asked to write in a language it does not write")


def library(make_settings, library_dirs):
    content, _ = library_dirs
    write_pack(content, "club-en", {"w/01-admin.md": CHAPTER_EN,
                                    **{f"w/0{n + 2}-other.md": text for n, text in enumerate(OTHER_EN)}})
    write_pack(content, "club-fr", {"w/01-admin.md": CHAPTER_FR,
                                    **{f"w/0{n + 2}-other.md": text for n, text in enumerate(OTHER_FR)}},
               pack_toml=PACK_TOML.format(title="Club").replace('language = "en"', 'language = "fr"'))
    settings = make_settings()
    build_index(settings)
    return settings


def test_a_french_learner_gets_french_quotes_and_a_french_line_not_the_english_model(make_settings,
                                                                                      library_dirs):
    settings = library(make_settings, library_dirs)
    tutor = Tutor(ReaderPool(settings.index_path), lambda: (NeverAsked(), "test"))
    events = list(tutor.answer(Question("Comment créer un superutilisateur ?", language="fr", library_language="fr")))
    sources = next(data for name, data in events if name == "sources")
    quotes = [data for name, data in events if name == "quote"]
    words = "".join(data["text"] for name, data in events if name == "token")
    assert sources and all(source["pack"] == "club-fr" for source in sources)
    assert quotes and all("/p/club-fr/" in quote["url"] for quote in quotes)
    assert any("createsuperuser" in quote["text"] for quote in quotes)
    assert words == said(MODEL_LANGUAGE_NOTE, "fr", languages="anglais") != \
        said(MODEL_LANGUAGE_NOTE, "en", languages="English")       # named in the learner's language
    assert events[-1] == ("done", {**events[-1][1], "grounded": True, "tokens": 0, "model_language": False})


def test_a_refusal_is_said_in_the_learners_language(make_settings, library_dirs):
    settings = library(make_settings, library_dirs)
    tutor = Tutor(ReaderPool(settings.index_path), lambda: (NeverAsked(), "test"))
    events = list(tutor.answer(Question("Quelle est la capitale du Kenya ?", language="fr", library_language="fr")))
    words = "".join(data["text"] for name, data in events if name == "token")
    assert words == said(NOT_COVERED, "fr") and words != NOT_COVERED


def test_a_french_learner_on_an_english_library_reads_english_sources_and_the_tutor_in_french(
        make_settings, library_dirs):
    """No pack in French: the sources are the English ones (the model, which writes English,
    explains them), while the tutor's own lines follow the learner."""
    content, _ = library_dirs
    write_pack(content, "club-en", {"w/01-admin.md": CHAPTER_EN,
                                    **{f"w/0{n + 2}-other.md": text for n, text in enumerate(OTHER_EN)}})
    settings = make_settings()
    build_index(settings)
    tutor = Tutor(ReaderPool(settings.index_path), lambda: (NeverAsked(), "test"))
    events = list(tutor.answer(Question("What is the capital of Kenya?", language="fr")))
    assert "".join(data["text"] for name, data in events if name == "token") == said(NOT_COVERED, "fr")


def test_the_tutors_lines_exist_in_every_ui_language():
    from kit.translations import LANGUAGES
    for code in set(LANGUAGES) - {"en"}:
        assert said(NOT_COVERED, code) != NOT_COVERED, code
        assert "%(languages)s" not in said(MODEL_LANGUAGE_NOTE, code, languages="English"), code


def test_the_bundled_model_writes_english_as_its_manifest_says(make_settings):
    engine, _ = choose_engine(make_settings(engine="embedded"), start_ollama=False)
    assert engine.languages == ("en",)
    assert model_speaks(engine, "en") and model_speaks(engine, "en-GB") and model_speaks(engine, "")
    assert not model_speaks(engine, "fr")


def test_models_add_records_the_languages_a_model_writes(chat_gguf, models):  # noqa: F811
    assert add(chat_gguf, models, "--languages", "en, FR,pt").returncode == 0
    manifest = next((models / "manifests").glob("*.toml"))
    assert tomllib.loads(manifest.read_text())["languages"] == ["en", "fr", "pt"]


def test_models_add_refuses_a_language_that_is_not_a_code(chat_gguf, models):  # noqa: F811
    result = add(chat_gguf, models, "--languages", "en,French")
    assert result.returncode == 2 and "--languages french" in result.stderr
    assert not (models / "manifests").exists() or not list((models / "manifests").glob("*.toml"))
