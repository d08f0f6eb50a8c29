"""What search knows about each language: its stemmer, its stop-words, its script. One owner of
these facts for the library's search (kit/library/search.py) and the tutor's retriever
(kit/tutor/retrieval.py).

Stemming is Snowball through `snowballstemmer` (pure Python, so the stick's wheels need no
compiler and no per-platform build; 34 languages). FTS5 cannot call a Python tokenizer, so
passages are indexed as written (diacritics folded) and a query word is widened to the indexed
words that share its stem (kit/library/search.py): stems are compared on folded words, the form
the index holds.

Stop-words are short lists of function words written here (articles, pronouns, prepositions,
conjunctions, auxiliaries, question words). The registry's lists (the `stop-words` package: 348
French words) also drop topic words a programming tutorial is about — "valeur", "nom", "état",
"point", "personne", "essai" — which would make those questions unanswerable. English keeps the
list the retriever was calibrated with; French adds the words of asking as learners type them
(chat spellings, elisions written without their apostrophe). Every list also holds its words
without accents: the question's words are compared as typed, and many keyboards have none.
"""
from __future__ import annotations

import functools
import os
import re
import unicodedata

import snowballstemmer

ENGLISH = "en"
CJK = frozenset({"zh", "ja", "ko"})      # no spaces between words: searched by substrings
# BCP 47 primary subtags → Snowball's algorithm names (those snowballstemmer has).
_SNOWBALL = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech", "da": "danish",
    "nl": "dutch", "eo": "esperanto", "et": "estonian", "fi": "finnish", "fr": "french",
    "de": "german", "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian",
    "ga": "irish", "it": "italian", "lt": "lithuanian", "ne": "nepali", "no": "norwegian",
    "nb": "norwegian", "nn": "norwegian", "fa": "persian", "pl": "polish", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sr": "serbian", "st": "sesotho", "es": "spanish",
    "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}
STEMMED = frozenset(code for code, name in _SNOWBALL.items() if name in snowballstemmer.algorithms())

# English: the retriever's calibrated list (bench/calibrate_grounding.py), kept as it was.
_STOP_WORDS = {
    "en": """
a about above after again all also am an and any are as at be because been before being below
between both but by can cant could did didnt do does doesnt doing dont down during each even
every few for from further got had has have having he her here hers him his how however i if
im in into is isnt it its itself ive just kind let lets like me mean means might more most much
must my no nor not now of off ok okay on once only or other our out over own please pls really
same say says should so some something still such sure than thank thanks that thats the their
them then there these they thing things this those through to too under until up very want
wants was we were what whats when where which while who whom why will with without would yes
you your youre yours""",
    "fr": """
a à ai aie ais ait alors après au aussi aux avant avec avez avoir avons ayant c ça ce ceci cela
celle celles celui ces cet cette ceux chaque chez comme comment d dans de depuis des donc dont
du elle entre elles en encore es est et été être eu faire fait faut il ils j je l la le les
leur leurs lui m ma mais me mes moi mon même n ne ni nos notre nous on ont ou où par pas peut
peux pour pourquoi puis qu quand que quel quelle quelles quels qui quoi s sa sans se ses si son
sont sur t ta te tes toi ton tous tout toute toutes très tu un une vais vers veux vos votre
vous y""",
    # French as learners type it, as the English list has "pls", "thanks", "want", "like", "cant",
    # "im": the words of asking rather than of the topic (want, can, must, please, thing, really,
    # same, more…), the other forms of être and avoir, and the spellings of chat and SMS
    # (koi, pk, ya, jveux, jai: an elision or a word written without its apostrophe).
    "fr+": """
as avais avait aurais aurait aller va vas suis sommes êtes étais était sera serait soit sois
soient veut voulez voulons voudrais voudrait vouloir peut pouvez pouvons pourrais pourrait
pouvoir dois doit devez devons devrais devrait devoir falloir fais faites font dire dis dit
signifie besoin svp stp merci bonjour salut oui non ok okay vraiment sûr genre juste chose choses
truc trucs plus moins beaucoup peu trop assez autre autres quelque quelques quelqu déjà
toujours jamais maintenant seulement ici là voici voilà rien bah ben euh bref bon bien
koi kwa pk pq ya ke ki kan cmt pr ds bcp tt jsp dsl slt cest quest questce jai jsuis jsais
jveux jpeux jdois jvais quil quils quon lon jen jy ny sil sils cetait jetais""",
    "pt": """
a à ao aos as às com como da das de do dos e é ela elas ele eles em entre era essa esse esta
está este eu foi for há isso isto já lhe mais mas me meu meus minha minhas muito na nas não nem
no nos nós o os ou para pela pelas pelo pelos por porque posso qual quando que quem se sem ser
seu seus só sua suas também te tem ter teu tu tua um uma umas uns você vocês""",
    "es": """
a al algo ante así cómo como con cual cuál cuando cuándo de del desde donde dónde e el él ella
ellas ellos en entre era es esa ese eso esta está este esto estoy fue ha hay la las le les lo
los me mi mis muy más no nos o os para pero por porque puedo qué que quien quién se sea ser si
sí sin sobre son su sus también te tengo ti tu tú tus un una unas uno unos y ya yo""",
    "de": """
als am an auch auf aus bei bin bis da das dass dem den der des die dies diese dieser du durch
ein eine einem einen einer es für hat habe haben ich ihr im in ist ja kann man mein meine mich
mir mit muss nach nicht noch nur ob oder sich sie sind so über um und uns von vor was wenn wer
wie wir wird wo zu zum zur""",
    "it": """
a ad al alla alle allo anche che chi ci come con cosa da dal dalla dei del della delle dello di
e è ed gli ha ho i il in io la le lei lo loro lui ma mi mio mia nel nella no non o per perché
più può quale quando questa questo se si sono su sua suo ti tu un una uno""",
    "nl": """
aan al als bij dan dat de die dit door een en er had heb hebben het hij hoe ik in is je kan
maar me met mijn na naar niet nog of om ook op te tot u uit van voor was wat we wie wij wil
worden zal ze zij zijn""",
    "sw": """
au bado basi baada bila cha chake changu hadi hapa hii hiki hilo hivyo huu huyo ili ile ja
jinsi juu kama katika kila kuhusu kwa kwamba kwenye la lakini lini lake langu mimi na naweza
ndani ndiyo ni nini pia sana tu vya wa wako wake wangu wao ya yake yangu yeye za zake""",
    "ar": """
أن إن إلى أو أي إذا الذي التي ثم حتى على عن في كان كيف لا لم لماذا ما متى مع من هذا هذه هل
هو هي و يا""",
}
_STOP_WORDS["fr"] += _STOP_WORDS.pop("fr+")


def fold(word: str) -> str:
    """Lower case without diacritics, as FTS5's `unicode61 remove_diacritics 2` indexes a word."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _with_folded(words: str) -> frozenset[str]:
    """The words as written and without their accents: a learner often types "etre", "ca",
    "deja" for "être", "ça", "déjà" (and a keyboard without them always does)."""
    return frozenset(form for word in words.split() for form in (word, fold(word)))


STOP_WORDS = {language: _with_folded(words) for language, words in _STOP_WORDS.items()}

# The commonest little words of the languages packs are written in: enough to tell which of the
# library's languages a question is in (a guess until the learner's language is known).
_LITTLE_WORDS = {
    "en": "the a an is are how do does i what why when to of in and you it this that with for on my can",
    "fr": "le la les un une des est et je comment que qui dans pour pas sur avec ce cette du de mon ma mes quoi",
    "es": "el la los las un una es y yo como cómo que qué en para por con no se del mi mis",
    "pt": "o a os as um uma é e eu como que em para por com não do da meu minha",
    "de": "der die das ein eine ist und ich wie was wo zu mit für nicht auf mein kann",
    "it": "il lo la gli le un una è e io come che cosa in per con non del mio",
    "nl": "de het een is en ik hoe wat waar te met voor niet op mijn kan",
}
LITTLE_WORDS = {language: frozenset(words.split()) for language, words in _LITTLE_WORDS.items()}

_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
CJK_RUN = re.compile(f"[{_CJK_CHARS}]+")
_WORD = re.compile(r"\w+")


def primary(code: str | None) -> str:
    """'pt-BR' → 'pt'; '' or None → 'en' (packs without a language are taken as English)."""
    return (code or "").strip().lower().replace("_", "-").split("-")[0] or ENGLISH


def is_known(language: str) -> bool:
    """Does search know anything of this language (a stemmer, stop-words, or its script)?"""
    code = primary(language)
    return code == ENGLISH or code in STEMMED or code in STOP_WORDS or code in CJK


def unknown(language: str) -> str:
    """The import problem line for a pack in a language search knows nothing of."""
    return (f"language '{language}' is not one Lantern's search knows: it matches this pack's words as "
            "written (no stemming, no stop-words). If the pack is in French, Chinese…, write fr, zh….")


def stop_words(language: str) -> frozenset[str]:
    return STOP_WORDS.get(primary(language), frozenset())


@functools.lru_cache(maxsize=64)
def _stemmer(language: str):
    return snowballstemmer.stemmer(_SNOWBALL[language])


# Portuguese Snowball reads its commonest suffixes by their nasal vowel (-ção/-ções, -ão/-ões):
# folded, "configurações" and "configuração" got two stems. A folded word's ending is given its
# marks back before stemming (a final -ao is -ão in Portuguese words; "ao", "não" are stop-words).
_NASAL_ENDINGS = {"pt": re.compile(r"(c?)(ao|oes|aes)$")}
_NASAL = {"cao": "ção", "coes": "ções", "ao": "ão", "oes": "ões", "aes": "ães", "caes": "cães"}


def _marked(language: str, folded: str) -> str:
    ending = _NASAL_ENDINGS.get(language)
    if not ending or not (found := ending.search(folded)):
        return folded
    return folded[:found.start()] + _NASAL[found.group(1) + found.group(2)]


@functools.lru_cache(maxsize=200_000)
def stem(language: str, word: str) -> str:
    """The Snowball stem of the folded `word`, itself folded ("créer" and "créez" → "cre"); the
    folded word itself for a language without a stemmer."""
    folded = fold(word)
    if language not in STEMMED:
        return folded
    return fold(_stemmer(language).stemWord(_marked(language, folded)))


# Arabic writes the article and some prepositions onto the word ("الملفات", "بالملف"): Snowball
# takes them off, so the word's other forms begin with its stem or with one of these before it.
_WORD_PREFIXES = {"ar": ("ال", "بال", "وال", "فال", "كال", "لل")}
MIN_PREFIX = 3        # a shorter common start would widen a word to half the vocabulary


def vocabulary_prefixes(language: str, word: str) -> list[str]:
    """Where in an index's sorted word list the forms of `word` (folded) sharing its stem are:
    the start the word and its stem have in common, and for Arabic the stem behind each
    attached article or preposition. Starts shorter than MIN_PREFIX are left out."""
    folded = fold(word)
    root = stem(language, folded)
    starts = {os.path.commonprefix([root, folded]), root}
    starts.update(prefix + root for prefix in _WORD_PREFIXES.get(language, ()))
    return sorted(start for start in starts if len(start) >= MIN_PREFIX)


def has_cjk(text: str) -> bool:
    return CJK_RUN.search(text) is not None


def words(text: str) -> list[str]:
    """The words of `text`, with each run of CJK characters a word of its own (it has no spaces
    to split at, and a Latin word beside it is another word)."""
    return _WORD.findall(CJK_RUN.sub(lambda m: f" {m.group()} ", text))


def guess(question: str, languages: set[str]) -> str | None:
    """Which of `languages` (the library's) the question is written in, by its little words
    (or its script, for Chinese, Japanese and Korean); the only one when the library has one;
    None when nothing tells them apart."""
    if len(languages) == 1:
        return next(iter(languages))
    cjk = languages & CJK
    if cjk and has_cjk(question):
        return next(iter(cjk)) if len(cjk) == 1 else None
    found = [w.lower() for w in _WORD.findall(question)]
    counts = {language: sum(w in LITTLE_WORDS[language] for w in found)
              for language in languages if language in LITTLE_WORDS}
    ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)
    if ranked and ranked[0][1] and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        return ranked[0][0]
    return None
