"""Search and the tutor's retrieval in the learner's language (issue 21): French words found by
their stem and its little words left out, Chinese words found inside a sentence, a learner's
language asked first and never mixed, and a pack in a language the kit does not know still
searchable with a warning. Small packs of our own words, indexed for real in a temp folder."""
from __future__ import annotations

import pytest

from kit.library import languages
from kit.library.index_db import connect
from kit.library.indexer import build_index
from kit.library.search import search_passages
from kit.tutor.retrieval import keywords, retrieve
from tests.conftest import PACK_TOML, write_pack


def pack_toml(language: str, title: str = "A pack") -> str:
    return PACK_TOML.format(title=title).replace('language = "en"', f'language = "{language}"')


def chapter(title: str, heading: str, text: str) -> str:
    return f"# {title}\n\n## {heading}\n\n{text}\n"


def opened(settings):
    build_index(settings)
    return connect(settings.index_path, readonly=True)


# Pages about a made-up garden club, in French: the words a question uses appear in other forms
# ("créer" / "créez", "superutilisateur" / "superutilisateurs", "ouvrir" / "ouvrez").
FRENCH = {
    "w/01-admin.md": chapter("L'administration", "Le compte de gestion",
                             "Créez d'abord les superutilisateurs du club avec la commande "
                             "jardin compte --gestion, puis connectez-vous."),
    "w/02-graines.md": chapter("Les graines", "Semer en avril",
                               "Ouvrez le sachet de graines et semez-les dans la terre humide."),
    "w/03-outils.md": chapter("Les outils", "La brouette",
                              "La brouette porte la terre et le compost jusqu'au potager."),
    "w/04-arrosage.md": chapter("L'arrosage", "Arroser le soir",
                                "Un arrosoir suffit pour un petit potager ; un tuyau pour un grand."),
    "w/05-compost.md": chapter("Le compost", "Le tas de compost",
                               "Le compost se fait avec les épluchures, les feuilles et un peu de terre."),
}


@pytest.fixture
def french(library_dirs, make_settings):
    content, _ = library_dirs
    write_pack(content, "jardin-fr", FRENCH, pack_toml=pack_toml("fr", "Le jardin"))
    return opened(make_settings())


def test_a_french_word_finds_its_other_forms_and_the_snippet_marks_the_form_written(french):
    [hit] = search_passages(french, "créer superutilisateur").hits
    assert hit.heading == "Le compte de gestion"
    assert "<mark>Créez</mark>" in hit.snippet and "<mark>superutilisateurs</mark>" in hit.snippet


def test_a_french_querys_little_words_are_not_required(french):
    result = search_passages(french, "comment ouvrir un sachet de graines", language="fr")
    assert [hit.heading for hit in result.hits] == ["Semer en avril"]
    assert not result.relaxed          # every topic word is there: "comment", "un", "de" were dropped


def test_a_stem_does_not_widen_to_words_that_only_begin_like_it(french):
    # "compte" (account) and "compost" share their first letters, not their stem
    assert {hit.heading for hit in search_passages(french, "compte").hits} == {"Le compte de gestion"}


def test_the_tutor_answers_a_french_question_from_the_passage_with_its_words_in_other_forms(french):
    result = retrieve(french, "Comment créer un superutilisateur pour le club ?")
    assert result.grounded and result.language == "fr"
    assert "comment" not in result.keywords and "un" not in result.keywords
    assert result.passages[0].heading == "Le compte de gestion"
    assert result.coverage == pytest.approx(1.0)


def test_a_french_question_typed_as_learners_type_it_keeps_only_its_topic_words():
    """No accents, chat spellings, the words of asking: the topic is what is left, as for the
    English "pls, I want to know how…"."""
    typed = "svp jveux savoir koi faire pour creer un superutilisateur, ca marche pas deja"
    assert keywords(typed, "fr") == ["savoir", "creer", "superutilisateur", "marche"]
    assert keywords("Il faut être sûr que ça marche déjà", "fr") == ["marche"]
    assert keywords("il faut etre sur que ca marche deja", "fr") == ["marche"]


def test_the_tutor_answers_a_french_question_typed_without_accents_and_with_chat_words(french):
    result = retrieve(french, "stp jveux creer un superutilisateur pour le club, jsuis bloque, koi faire")
    assert result.grounded and result.passages[0].heading == "Le compte de gestion"
    assert "stp" not in result.keywords and "koi" not in result.keywords


def test_the_question_keeps_the_english_stop_words_it_always_had():
    assert keywords("How do I create a superuser for the admin?") == ["create", "superuser", "admin"]
    assert keywords("Comment créer un superutilisateur ?", "fr") == ["créer", "superutilisateur"]


def test_an_arabic_word_finds_its_forms_with_the_article_attached(library_dirs, make_settings):
    content, _ = library_dirs
    write_pack(content, "files-ar", {
        "w/01-files.md": chapter("الملفات", "فتح", "افتح الملفات من القائمة ثم احفظ عملك."),
        "w/02-menu.md": chapter("القائمة", "الأوامر", "في القائمة أوامر كثيرة للحفظ والطباعة."),
    }, pack_toml=pack_toml("ar"))
    conn = opened(make_settings())
    assert [hit.heading for hit in search_passages(conn, "ملف", language="ar").hits] == ["فتح"]


def test_a_portuguese_word_typed_without_accents_finds_its_plural(library_dirs, make_settings):
    content, _ = library_dirs
    write_pack(content, "config-pt", {
        "w/01-config.md": chapter("Configurações", "O arquivo", "As configurações do clube ficam num arquivo."),
        "w/02-horta.md": chapter("A horta", "Regar", "Regue a horta de manhã com o regador."),
    }, pack_toml=pack_toml("pt-BR"))
    conn = opened(make_settings())
    assert [hit.heading for hit in search_passages(conn, "configuracao", language="pt").hits] == ["O arquivo"]


# -- Chinese, Japanese, Korean: words inside sentences -----------------------------------------------

CHINESE = {
    "w/01-env.md": chapter("虚拟环境", "准备工作", "先安装工具，然后激活虚拟环境，再运行程序。"),
    "w/02-files.md": chapter("文件", "保存文件", "把代码写进文件里，然后保存。"),
    "w/03-run.md": chapter("运行", "运行程序", "在终端里输入命令来运行程序。"),
}


@pytest.fixture
def chinese(library_dirs, make_settings):
    content, _ = library_dirs
    write_pack(content, "env-zh", CHINESE, pack_toml=pack_toml("zh", "虚拟环境"))
    return opened(make_settings())


def test_a_two_character_chinese_word_is_found_inside_a_sentence(chinese):
    [hit] = search_passages(chinese, "激活").hits
    assert "然后激活虚拟环境" in hit.text and hit.language == "zh"


def test_a_longer_chinese_word_is_found_inside_a_sentence_and_marked(chinese):
    hits = search_passages(chinese, "虚拟环境").hits
    assert hits and hits[0].heading == "准备工作"
    assert "<mark>" in hits[0].snippet


def test_the_tutor_finds_a_chinese_word_inside_a_sentence(chinese):
    result = retrieve(chinese, "怎么激活虚拟环境？")
    assert result.grounded
    assert "激活" in result.keywords and "怎么" not in result.keywords   # a pair the pages never use
    assert result.passages[0].heading == "准备工作"


def test_a_chinese_question_the_pages_do_not_cover_is_refused(chinese):
    assert not retrieve(chinese, "怎么做饺子？").grounded


# -- the learner's language first, never a mix ---------------------------------------------------------

@pytest.fixture
def two_languages(library_dirs, make_settings):
    content, _ = library_dirs
    write_pack(content, "club-en", {"w/01-web.md": chapter("The web", "Addresses",
                                                           "A URL is the address of a page. Rakes "
                                                           "live in the shed.")})
    write_pack(content, "club-fr", {"w/01-web.md": chapter("Le web", "Les adresses",
                                                           "Une URL est l'adresse d'une page.")},
               pack_toml=pack_toml("fr"))
    return opened(make_settings())


def test_search_in_the_learners_language_shows_only_that_language_while_it_finds_something(two_languages):
    assert {hit.pack for hit in search_passages(two_languages, "URL").hits} == {"club-en", "club-fr"}
    assert {hit.pack for hit in search_passages(two_languages, "URL", language="fr").hits} == {"club-fr"}
    assert {hit.pack for hit in search_passages(two_languages, "URL", language="en-GB").hits} == {"club-en"}


def test_search_falls_back_to_other_languages_when_the_learners_has_nothing(two_languages):
    fallback = search_passages(two_languages, "rakes", language="fr")
    assert {hit.pack for hit in fallback.hits} == {"club-en"} and fallback.other_languages
    assert not search_passages(two_languages, "URL", language="fr").other_languages
    assert {hit.pack for hit in search_passages(two_languages, "URL", language="sw").hits} == {"club-en", "club-fr"}


# -- a language the kit does not know --------------------------------------------------------------------

def test_a_pack_in_an_unknown_language_imports_with_a_warning_and_plain_search(library_dirs, make_settings):
    content, _ = library_dirs
    write_pack(content, "xx-pack", {"w/01-a.md": chapter("Zorblat", "Kree", "Zorblat kree vonta mirel.")},
               pack_toml=pack_toml("xx"))
    settings = make_settings()
    report = build_index(settings)
    [(pack_id, problem)] = report.problems
    assert pack_id == "xx-pack" and problem.path == "pack.toml"
    assert "'xx'" in problem.message and "no stemming" in problem.message
    conn = connect(settings.index_path, readonly=True)
    assert [hit.heading for hit in search_passages(conn, "vonta").hits] == ["Kree"]
    assert search_passages(conn, "vont").hits == []        # as written: no stem, no prefix


@pytest.mark.parametrize("code", ["en", "fr", "pt-BR", "es", "sw", "ar", "zh-Hans", "ja", "de"])
def test_the_issues_languages_are_known_to_search(code):
    assert languages.is_known(code)


def test_stems_are_compared_on_folded_words():
    assert languages.stem("fr", "créer") == languages.stem("fr", "creez") == languages.stem("fr", "Créé")
    assert languages.stem("pt", "arquivos") == languages.stem("pt", "Arquivo")
    # Portuguese reads -ção/-ções by their marks: folded, they get them back first
    assert languages.stem("pt", "configurações") == languages.stem("pt", "configuracao") \
        == languages.stem("pt", "Configuração") == languages.stem("pt", "configurar")
    assert languages.stem("es", "canciones") == languages.stem("es", "canción")
