"""The sentence filter: a sentence of the model is shown only when the material supports it.

SmolLM2-135M writes fluent filler ("You've already done it.") and confident falsehoods ("run
`sudo createuser`" for a tutorial that says `createsuperuser`); in a hand audit of 268 of its
sentences, 13 were supported. A learner cannot tell which, so each sentence is held until it
ends and judged by content, never by a list of phrases:

- code, commands, names and numbers in it (backticked spans, code-like tokens, code lines and
  blocks) must occur as whole tokens in the quotes the learner is shown or the learner's own
  words (faithfulness.KnownTokens; the sources only when there are no quotes) — else
  "unsupported: <what>". A sentence under a quote reads as being about that quote: a name from
  another page of the sources ("the negative sign in '-expire_date'" under a quote about
  caching) is true somewhere else and false here. Code the learner already has on screen (the
  quote, their own error) is a "repeat";
- it must say something about the question: one of its content words (stop words and talk
  about the learner, the answer or the material left out) is a word of the question or of the
  quotes — else "filler", as is a sentence that only says the question back;
- its claim (its content words less the question's) must be said in one place of the material,
  and its neighbouring content words close together there — else "unsupported";
- a sentence said before, or saying the same words twice, is a "repeat"; said before, the
  model is looping and generation stops. A line ending in ":" is shown only with what it
  introduces; a sentence cut off by the token cap is "unfinished".

Dropped sentences are kept with their reason (`dropped`) for the teacher's view. Holding a
sentence costs the learner the time to write it (about 0.2 s at 90 tokens/s), and only the
first sentence's wait is felt: the quotes are already on screen.
"""
from __future__ import annotations

import re

from kit.tutor.guards.faithfulness import KnownTokens, core, is_code
from kit.tutor.shell_prompts import prompt_of

MAX_KEPT = 3              # the prompt asks for at most three sentences; more is the model rambling
# Dropped in a row, the model has lost the thread (in the hand audit 13 of its 268 sentences were
# supported): stop it, so the learner sees the quotes' plain line sooner and the next learner
# gets the model.
MAX_DROPPED_IN_A_ROW = 3
MAX_UNIT_CHARS = 600      # a "sentence" without an end is judged once this long
# A sentence's claim (its content words less the question's) must be said together in one
# place of the material but for one word (a paraphrase), and not that one in a claim of two
# words: the 135M model's false sentences reuse the material's words, mostly with two or more of
# their own ("downloading … from the official website" in an offline tutorial).
MAX_UNSAID = 1
# Every two neighbouring content words of a sentence (but the question's own pairs) must stand
# close together in one sentence of the material too: a 135M model recombines the material's
# own words into false sentences ("the browser sent a request that could not understand the
# title field"; "you can create a virtual environment in a Python environment").
PAIR_REACH = 3            # content words apart, in the material
# A sentence ends at a line break, or after . ! ? and white space — not after a list number
# ("1.") or an abbreviation ("e.g.").
_END = re.compile(r"\n|(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)[\"')\]`*]*[ \t]")
_LIST_NUMBER = re.compile(r"\s*(?:\d{1,2}\.|[-*•])\s*$")
_LIST_MARK = re.compile(r"^\s*\d{1,2}[.)]\s")
_CODE_LINE = re.compile(
    r"(?:def|class|return|import|from|elif|else|try|except|with|while|for|if)\b"
    r"(?!\s+(?:you|the|a|an|it|this|that|your|to|example|each|every|all|now|some|more)\b)"
    r"|@\w|</?[a-zA-Z!]|\{[%{]|[\w.\[\]'\"]+\s*[-+*/]?=[^=]|[\w.]+\(.*\)$")
_QUOTE_MARK = re.compile(r"^\s*>(?!>>)\s?", re.M)
_FENCE = "```"
_BACKTICKED = re.compile(r"`([^`\n]+)`")
_PROMPT = re.compile(r"^\s*(?:\$|>>>|>|PS [^>]*>|\([^)]*\)\s*\S*\$|[A-Z]:\\[^>]*>)\s+")
# Programs a learner types a command with, named by words no English sentence starts with: a line
# that starts with one is a command, and its head (program, subcommand, argument) must be one the
# material has, word for word — "python manage.py createuser" is not "… createsuperuser", and its
# last word alone is no code-like token ("createuser" has no `_`, `.` or `(`).
PROGRAMS = frozenset("""
python python3 py pip pip3 pipx django-admin flask fastapi uvicorn gunicorn git npm npx node yarn
pytest conda jupyter docker curl wget sudo apt apt-get brew mkdir rmdir cd ls chmod ssh scp
""".split())
COMMAND_HEAD = 3          # words of a command checked as one run
# A sentence that opens by pointing back ("This will start the server on port 8080.") says
# something about the sentence before it: when that one was dropped, the learner would read it
# as being about the quote above, so it is dropped too.
_POINTS_BACK = re.compile(r"(?:this|that|these|those|it|they|then|so|here)\b", re.I)
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)*(?![\w.]\w)")
_WORD = re.compile(r"[^\W_]+")

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing don down during each either even ever few
for from further get gets got had has have having he her here hers him his how i if in into is it
its itself just let lets like may me might more most much my no nor not now of off on once one only
or other our out over own same she should so some such than that the their theirs them then there
these they this those through to too under until up upon us very was we well were what when where
which while who whom whose why will with within without would yes yet you your yours yourself
ll re ve isn aren doesn didn won wouldn shouldn couldn ok okay
""".split())
# Words about the exchange rather than the subject: a sentence made only of these (with stop
# words) says nothing about the question — "Sure, here is the answer.", "Try it yourself."
META_WORDS = frozenset("""
answer answers question questions learner learners student students tutor lantern help helps
helpful sure great good nice glad happy simply simple easy easily really already just
remember try trying tried please thank thanks need needs want wants know knows
able way ways use uses used using thing things something anything everything lot
line lines quote quoted quotes material materials source sources text sentence sentences word
words above below following follow explain explains explained mean means meaning basically
actually course step steps done do go going see look looks okay first next now then
""".split())


def stem(word: str) -> str:
    """A rough English stem, so "creates", "created" and "create" meet ("directories" and
    "directory" too); good enough to compare a sentence's words with the material's."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        word = word[:-2]
    else:
        for suffix in ("ing", "ed", "s"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
                word = word[:-len(suffix)]
                if suffix != "s" and len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                    word = word[:-1]          # "running", "stopped"
                break
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


_META_STEMS = frozenset(stem(w) for w in META_WORDS)


def content_words(text: str, leave_out: frozenset = STOP_WORDS | META_WORDS) -> list[str]:
    """The words of `text` that carry its content, lower-case, in order (stems not applied):
    with the meta words left out, "sees" is left out with "see"."""
    meta = _META_STEMS if leave_out & META_WORDS else frozenset()
    return [w for w in _WORD.findall(text.lower())
            if w not in leave_out and stem(w) not in meta and (len(w) > 1 or w.isdigit())]


def stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text, STOP_WORDS)}


def passages_of(text: str) -> list[set[str]]:
    """The content stems of each pair of neighbouring sentences (or lines) of `text`: the
    places where the material says things together."""
    pieces = [stems(piece) for piece in re.split(r"\n+|(?<=[.!?])\s+", text) if piece.strip()]
    return [a | b for a, b in zip(pieces, pieces[1:] + [set()], strict=True)]


def _ordered_stems(text: str) -> list[str]:
    return [stem(w) for w in content_words(text)]


def pairs_said(text: str, reach: int = PAIR_REACH) -> set[frozenset]:
    """Every two content words the material says close together (within `reach` content words
    of one sentence or line): what "said together" means for a sentence's neighbouring words."""
    pairs = set()
    for piece in re.split(r"\n+|(?<=[.!?])\s+", text):
        words = _ordered_stems(piece)
        pairs.update(frozenset((a, b)) for i, a in enumerate(words) for b in words[i + 1:i + 1 + reach] if a != b)
    return pairs


def is_code_line(line: str) -> bool:
    """A line of code outside a ``` block (`conn.row_factory = None`, `return conn`, `<ul>`):
    it is checked whole, like a code block's line, not as prose."""
    return bool(_CODE_LINE.match(line.strip())) and not line.rstrip().endswith((".", "!", "?"))


def _prose_runs(sentence: str) -> list[str]:
    """The sentence's prose between its code (checked whole already): "Type `flask run` in the
    terminal" pairs "type" with "terminal", not the command's words with them."""
    text = _BACKTICKED.sub("\n", _LIST_MARK.sub("", sentence))
    return " ".join("\n" if is_code(token) else token for token in text.split(" ")).split("\n")


def _code_lines(sentence: str) -> list[str] | None:
    """The lines of a code block or a code line (prompts removed), or None for prose."""
    if sentence.lstrip().startswith(_FENCE):
        lines = sentence.strip().strip("`").splitlines()[1:]
    elif is_code_line(sentence):
        lines = [sentence]
    else:
        return None
    return [line for line in (_PROMPT.sub("", line).strip() for line in lines) if line]


def command_head(text: str) -> str | None:
    """The first COMMAND_HEAD words of a command `text` starts with (after a prompt), or None
    when it does not start with a program's name."""
    text = text.strip().strip("`")
    prompted = prompt_of(text)          # every shell's and REPL's prompt (kit/tutor/shell_prompts.py)
    words = (prompted[1] if prompted else text).split()
    if not words or words[0] not in PROGRAMS:      # typed lower case: "Python is…" is prose
        return None
    head = [core(word) for word in words[:COMMAND_HEAD]]
    for end, word in enumerate(words[:COMMAND_HEAD]):
        if word.rstrip("`\"'").endswith((".", ",", ";", ":", "!", "?")) and not is_code(word):
            head = head[:end + 1]          # "run python." ends the command at "python"
            break
    return " ".join(word for word in head if word)


def _says_twice(normal: str, run: int = 3) -> bool:
    """Does a run of `run` words come back later in the same sentence?"""
    words = normal.split()
    seen: dict[str, int] = {}
    for i in range(len(words) - run + 1):
        key = " ".join(words[i:i + run])
        if key in seen and seen[key] + run <= i:
            return True
        seen.setdefault(key, i)
    return False


def _finished(unit: str) -> bool:
    """Does the answer's last piece end as a sentence, a code line or a closed code block?"""
    text = unit.strip()
    if text.startswith(_FENCE):
        return text.endswith(_FENCE) and len(text) > len(_FENCE)
    return is_code_line(text) or bool(re.search(r"[.!?:][\"')\]`*]*$", text))


def _normal(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


class SentenceJudge:
    """Judges one sentence of the model against what the learner asked and was shown."""

    def __init__(self, question: str, quotes: list[str] = (), sources: list[str] = ()):
        # code must be what the learner reads above the sentence: the quotes, or without quotes
        # the sources the model was given (then they are what the learner is shown)
        self.known = KnownTokens(question, *(quotes or sources))
        self.asked = stems(question)
        self.topic = self.asked | stems("\n".join(quotes))
        # where the material speaks to this question: a claim found only in a passage about
        # something else ("the most expensive way to learn") is not an answer to it
        self.places = [place for place in passages_of("\n".join([*quotes, *sources])) if place & self.topic]
        self.pairs = pairs_said("\n".join([*quotes, *sources]))
        self.quoted = f' {_normal(" ".join(quotes))} '
        self.on_screen = KnownTokens(question, *quotes)

    def reason(self, sentence: str, said_before: list[str] = ()) -> str | None:
        """Why `sentence` must not be shown ("filler", "repeat", "unsupported: …"), or None."""
        sentence = _QUOTE_MARK.sub("", sentence)       # "> line": the model quoting
        normal = _normal(sentence)
        if normal and (normal in (_normal(s) for s in said_before)
                       or (len(normal.split()) >= 3 and f" {normal} " in self.quoted)):
            return "repeat"
        invented = self.unsupported_code(sentence)
        if invented:
            return "unsupported: " + ", ".join(invented)
        code = _code_lines(sentence)
        if code is not None:      # code the material has: shown unless the learner has it on screen
            return "repeat" if all(line in self.on_screen for line in code) else None
        if _says_twice(normal):
            return "repeat"       # "a list of lists, which is a list of lists"
        words = content_words(_LIST_MARK.sub("", sentence))
        if not any(stem(w) in self.topic for w in words):
            return "filler"
        claim = list({stem(w): w for w in words if stem(w) not in self.asked}.values())
        if not claim:
            return "filler"       # the question said back
        best = max(self.places, key=lambda place: sum(stem(w) in place for w in claim), default=set())
        unsaid = [w for w in claim if stem(w) not in best]
        if len(unsaid) > MAX_UNSAID or (unsaid and len(claim) <= MAX_UNSAID + 1):
            return "unsupported: " + " ".join(unsaid)
        pairs = [(a, b) for words in map(_ordered_stems, _prose_runs(sentence))
                 for a, b in zip(words, words[1:], strict=False)
                 if a != b and not (a in self.asked and b in self.asked)]
        unpaired = [f"{a} {b}" for a, b in pairs if frozenset((a, b)) not in self.pairs]
        if unpaired:
            return "unsupported: not said together: " + ", ".join(unpaired)
        return None

    def unsupported_code(self, sentence: str) -> list[str]:
        """The code, commands, names and numbers in `sentence` that the material does not have
        as whole tokens: backticked spans (checked as one run), code-like tokens, every line of
        a code block, a command's head, numbers."""
        code = _code_lines(sentence)
        if code is not None:
            return [line for line in code if line not in self.known]
        found = [head for head in map(command_head, [sentence, *_BACKTICKED.findall(sentence)])
                 if head and head not in self.known]
        for span in _BACKTICKED.findall(sentence):
            span = _PROMPT.sub("", span).strip()
            if span and span not in self.known:
                found.append(span)
        rest = _LIST_MARK.sub("", _BACKTICKED.sub(" ", sentence))
        for token in rest.split():
            if is_code(token) and core(token) not in self.known:
                found.append(core(token))
        found += [n for n in _NUMBER.findall(rest) if n not in self.known]
        return list(dict.fromkeys(found))


class SentenceFilter:
    """Feed it streamed chunks; it releases whole sentences the material supports and drops
    the rest (`dropped`: [{"text", "reason"}]). `stopped` once the model repeats a sentence, has
    said MAX_KEPT sentences or MAX_DROPPED_IN_A_ROW that were dropped."""

    def __init__(self, judge: SentenceJudge, max_kept: int = MAX_KEPT):
        self.judge = judge
        self.max_kept = max_kept
        self.text = ""
        self.said: list[str] = []
        self.kept: list[str] = []
        self.dropped: list[dict] = []
        self.stopped = False
        self._opener = ""         # a kept sentence ending in ":", waiting for what follows
        self._opener_gap = ""
        self._in_a_row = 0        # sentences dropped since the last one shown

    def feed(self, chunk: str) -> str:
        if self.stopped:
            return ""
        self.text += chunk
        out = []
        while not self.stopped:
            end = self._unit_end()
            if end is None:
                break
            unit, self.text = self.text[:end], self.text[end:]
            out.append(self._judge(unit))
        return "".join(out)

    def finish(self) -> str:
        unit, self.text = self.text, ""
        if not self.stopped and _WORD.search(unit) and not _finished(unit):
            self.dropped.append({"text": unit.strip(), "reason": "unfinished"})   # cut by the token cap
            unit = ""
        shown = "" if self.stopped else self._judge(unit)
        if self._opener:          # "The command is:" with nothing shown after it
            self.dropped.append({"text": self._opener, "reason": "filler"})
            self._opener = ""
        return shown

    def _unit_end(self) -> int | None:
        """Where the sentence (or code block) at the start of `text` ends, or None while it is
        still being written."""
        body = self.text.lstrip()
        lead = len(self.text) - len(body)
        if body.startswith(_FENCE):
            close = body.find(_FENCE, len(_FENCE))
            if close >= 0:
                line_end = body.find("\n", close)
                return lead + line_end + 1 if line_end >= 0 else None
        else:
            for match in _END.finditer(body):
                if not _LIST_NUMBER.fullmatch(body[:match.start()]):
                    return lead + match.end()
        return len(self.text) if len(body) > MAX_UNIT_CHARS else None

    def _judge(self, unit: str) -> str:
        sentence = unit.strip()
        if not _WORD.search(sentence):
            return ""             # white space, a fence or a bullet alone: nothing to show
        reason = self.judge.reason(sentence, self.said)
        if reason is None and self._in_a_row and _POINTS_BACK.match(sentence):
            reason = "points back to a dropped sentence"
        self.said.append(sentence)
        if reason == "repeat" and _normal(sentence) in map(_normal, self.said[:-1]):
            self.stopped = True   # said twice: the model is looping
        tail = unit[len(unit.rstrip()):]          # sent with the sentence: it shows at once
        gap = "\n" if "\n" in tail else " " if tail else ""
        if reason or (self._opener and sentence.endswith(":")):
            if self._opener:      # what it introduced is not shown: neither is it
                self.dropped.append({"text": self._opener, "reason": "filler"})
                self._opener = ""
            if reason:
                self.dropped.append({"text": sentence, "reason": reason})
                self._in_a_row += 1
                self.stopped = self.stopped or self._in_a_row >= MAX_DROPPED_IN_A_ROW
                return ""
        if sentence.endswith(":") and not self._opener:
            self._opener, self._opener_gap = sentence, gap     # shown only with what it introduces
            return ""
        shown = sentence + gap
        if self._opener:
            shown = self._opener + self._opener_gap + shown
            self.kept.append(self._opener)
            self._opener = ""
        self.kept.append(sentence)
        self._in_a_row = 0
        self.stopped = self.stopped or len(self.kept) >= self.max_kept
        return shown
