"""What the classroom store accepts: nicknames, class settings, teacher PINs, ids and texts.

Kept apart from `kit/classroom/store.py` so the rules can be read in one place. Every check raises
`StoreError` with a sentence naming the field and what to do: the web pages show these messages
to learners and teachers as they are (escaped), in the reader's language (the message is a
LazyText: str() in a request says it in the request's language, the CLI's in English).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

from kit.errors import KitError
from kit.settings import THINK_FIRST_MIN_RANGE, THINK_FIRST_MINUTES_RANGE, Settings
from kit.translations import LANGUAGES, LazyText, lazy_text, marked
from kit.tutor.question_checks import MODE_NAMES, MODES


class StoreError(KitError, ValueError):
    """Bad input for the store. `field` names the input; the message says what to do."""

    status = 400

    def __init__(self, message, field: str | None = None):   # message: str or LazyText
        super().__init__(message)
        self.field = field


class NicknameTaken(StoreError):
    """Another learner in the class already has this nickname (compared case-insensitively)."""


class NotFound(StoreError):
    """The learner or exchange named does not exist (in this class session)."""

    status = 404


class NotAllowed(StoreError):
    """The learner may not do this (e.g. rate an answer to someone else's question)."""

    status = 403


class TeacherLocked(StoreError):
    """Too many wrong PINs in a row; `seconds_left` until the teacher can try again."""

    status = 429

    def __init__(self, seconds_left: int):
        minutes, seconds = divmod(seconds_left, 60)
        wait = (lazy_text("%(minutes)s min %(seconds)s s", minutes=minutes, seconds=seconds) if minutes
                else lazy_text("%(seconds)s s", seconds=seconds))
        super().__init__(lazy_text("Too many wrong PINs: teacher login is locked for another %(wait)s. Wait, "
                                   "then try again. Forgot the PIN? On the kit computer run "
                                   "`kit teacher set-pin` to set a new one.", wait=wait), field="pin")
        self.seconds_left = self.retry_after = seconds_left


# -- learners -----------------------------------------------------------------------------

NICKNAME_MIN, NICKNAME_MAX = 2, 24
_NICKNAME_PUNCTUATION = " -_."


def clean_nickname(raw) -> str:
    """The nickname as stored: trimmed, runs of spaces made one, Unicode NFC (so 'é' typed two
    ways is one nickname). Letters of any script, digits, space and - _ . only; 2-24 characters."""
    if not isinstance(raw, str):
        raise StoreError(lazy_text("Nickname is missing. Type a nickname of %(low)s to %(high)s characters.",
                                   low=NICKNAME_MIN, high=NICKNAME_MAX), "nickname")
    nickname = re.sub(" +", " ", unicodedata.normalize("NFC", raw).strip())
    if not NICKNAME_MIN <= len(nickname) <= NICKNAME_MAX:
        raise StoreError(lazy_text("Nickname must be %(low)s to %(high)s characters long "
                                   "(this one has %(length)s). Pick another one.",
                                   low=NICKNAME_MIN, high=NICKNAME_MAX, length=len(nickname)), "nickname")
    for char in nickname:
        # L*: letters of any script; M*: the marks many scripts need (e.g. Devanagari vowels)
        if not (unicodedata.category(char)[0] in "LM" or unicodedata.category(char) == "Nd"
                or char in _NICKNAME_PUNCTUATION):
            shown = char if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"
            raise StoreError(lazy_text("Nickname can only use letters, digits, spaces and - _ . "
                                       "(not “%(char)s”). Pick another one.", char=shown), "nickname")
    if not any(unicodedata.category(char)[0] in "LN" for char in nickname):
        raise StoreError(lazy_text("Nickname needs at least one letter or digit. Pick another one."),
                         "nickname")
    return nickname


def nickname_key(nickname: str) -> str:
    """What two nicknames are compared by: 'Ana', 'ANA' and 'ａｎａ' are the same learner name."""
    return unicodedata.normalize("NFKC", nickname).casefold()


# -- class settings -------------------------------------------------------------------------
# The ONE validator of the class settings: the store checks every change with it, and the
# teacher's form (forms.parse_class_settings) shows its messages beside the fields.

TUTOR_MODES = MODES                  # owned by the tutor (tutor/question_checks.py)
# The think-first defaults and ranges are the kit's settings (kit/settings.py); the Store's
# `defaults` start the class from LANTERN_THINK_FIRST_MIN and LANTERN_THINK_FIRST_MINUTES.
DEFAULT_CLASS_SETTINGS = {"modes": list(TUTOR_MODES), "think_first": True,
                          "think_first_min": Settings.think_first_min,
                          "think_first_minutes": Settings.think_first_minutes,
                          "tutor_enabled": True, "announcement": "", "questions_per_minute": 3,
                          "pinned": []}
# "language" (the class's default UI language) is kept only once the teacher sets it; until then
# kit/web/locale.py uses kit.translations.SOURCE_LANGUAGE.
# Every limit of the class settings, here only: the teacher's form (report.py) shows these.
ANNOUNCEMENT_MAX = 300
THINK_FIRST_RANGE = THINK_FIRST_MIN_RANGE
QUESTIONS_PER_MINUTE_RANGE = (1, 60)
PINNED_MAX = 10                      # today's chapters the teacher pins
_TRUE, _FALSE = {"true", "on", "yes", "1"}, {"false", "off", "no", "0", ""}
# What the teacher's form calls each setting: the messages name the field the teacher sees.
SETTING_LABELS = {
    "modes": marked("Tutor modes"),
    "think_first": marked("Think first"),
    "think_first_min": marked("The think-first minimum"),
    "think_first_minutes": marked("Minutes on a step before the tutor opens"),
    "tutor_enabled": marked("The tutor answers questions"),
    "announcement": marked("The announcement"),
    "questions_per_minute": marked("Questions per minute"),
    "language": marked("The class's language"),
    "pinned": marked("Today's chapters"),
}


def _label(name: str) -> LazyText:
    return lazy_text(SETTING_LABELS[name])


def _as_bool(name: str, value) -> bool:
    """A bool, or the strings an HTML form sends ('on', 'true', '1' / 'off', 'false', '0')."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise StoreError(lazy_text("%(field)s must be on or off, not %(value)s.", field=_label(name),
                               value=repr(value)), name)


def _as_int(name: str, value, low: int, high: int) -> int:
    """An int (or a string of digits, as a form sends it) between low and high."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise StoreError(lazy_text("%(field)s must be a whole number from %(low)s to %(high)s. "
                                   "You gave %(value)s; the setting was not changed.",
                                   field=_label(name), low=low, high=high, value=repr(value)), name)
    return value


def _as_modes(value) -> list[str]:
    if isinstance(value, str):
        value = [value]
    chosen = ({m.strip().lower() for m in value} if isinstance(value, (list, tuple, set))
              and all(isinstance(m, str) for m in value) else {None})
    if not chosen or chosen - set(TUTOR_MODES):
        raise StoreError(lazy_text("Allow at least one tutor mode (%(modes)s), or turn the tutor "
                                   "off.", modes=tuple(MODE_NAMES[mode] for mode in TUTOR_MODES)), "modes")
    return [mode for mode in TUTOR_MODES if mode in chosen]


def _as_announcement(value) -> str:
    if not isinstance(value, str):
        raise StoreError(lazy_text("The announcement must be text."), "announcement")
    value = value.strip()
    if len(value) > ANNOUNCEMENT_MAX:
        raise StoreError(lazy_text("The announcement is %(length)s characters long; keep it to "
                                   "%(limit)s.", length=len(value), limit=ANNOUNCEMENT_MAX),
                         "announcement")
    return value


def _as_pinned(value) -> list[list[str]]:
    """Today's chapters: [pack, slug] pairs, or the form's "pack/slug" texts; in order, once each."""
    pairs = []
    for item in value if isinstance(value, (list, tuple)) else [value]:
        pair = item.split("/", 1) if isinstance(item, str) else item
        if (not isinstance(pair, (list, tuple)) or len(pair) != 2
                or not all(isinstance(part, str) and part.strip() and len(part) <= NAME_MAX for part in pair)):
            raise StoreError(lazy_text("%(field)s: %(value)s is not a chapter; choose chapters from the list.",
                                       field=_label("pinned"), value=repr(item)), "pinned")
        if list(pair) not in pairs:
            pairs.append(list(pair))
    if len(pairs) > PINNED_MAX:
        raise StoreError(lazy_text("%(field)s: pin at most %(max)s chapters (you chose %(num)s).",
                                   field=_label("pinned"), max=PINNED_MAX, num=len(pairs)), "pinned")
    return pairs


def check_language(value) -> str:
    """One of the UI's languages (kit/translations), as the class default or a learner's choice."""
    if not isinstance(value, str) or value.strip().lower() not in LANGUAGES:
        raise StoreError(lazy_text("language must be one of %(codes)s, not %(value)s.",
                                   codes=", ".join(LANGUAGES), value=repr(value)), "language")
    return value.strip().lower()


_SETTING_CHECKS = {
    "modes": _as_modes,
    "think_first": lambda v: _as_bool("think_first", v),
    "think_first_min": lambda v: _as_int("think_first_min", v, *THINK_FIRST_MIN_RANGE),
    "think_first_minutes": lambda v: _as_int("think_first_minutes", v, *THINK_FIRST_MINUTES_RANGE),
    "tutor_enabled": lambda v: _as_bool("tutor_enabled", v),
    "announcement": _as_announcement,
    "questions_per_minute": lambda v: _as_int("questions_per_minute", v, *QUESTIONS_PER_MINUTE_RANGE),
    "language": check_language,
    "pinned": _as_pinned,
}


def settings_with_errors(changes: dict) -> tuple[dict, dict[str, StoreError]]:
    """(the valid changes, normalised; the error of each invalid one, by field): the teacher's
    form shows every mistake at once."""
    checked, errors = {}, {}
    for name, value in changes.items():
        if name not in _SETTING_CHECKS:
            errors[name] = StoreError(lazy_text("%(name)s is not a class setting; the settings are %(settings)s.",
                                                name=repr(name), settings=", ".join(_SETTING_CHECKS)), name)
            continue
        try:
            checked[name] = _SETTING_CHECKS[name](value)
        except StoreError as error:
            errors[name] = error
    return checked, errors


def checked_settings(changes: dict) -> dict:
    """The changes, each validated and normalised; all or nothing (the first error raised)."""
    checked, errors = settings_with_errors(changes)
    if errors:
        raise next(iter(errors.values()))
    return checked


# -- teacher PIN ----------------------------------------------------------------------------

PIN_FAILURES_BEFORE_LOCK = 5
PIN_LOCK_SECONDS = 5 * 60
# scrypt cost: ~16 MiB and a few tens of ms per try, which makes guessing 4-digit PINs offline
# from a copied class.json slow, and online guessing is capped by the lockout anyway.
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}


def check_pin_format(pin) -> str:
    if not isinstance(pin, str) or not re.fullmatch(r"[0-9]{4,12}", pin.strip()):
        raise StoreError(lazy_text("The teacher PIN must be 4 to 12 digits (0-9)."), "pin")
    return pin.strip()


def hash_pin(pin: str) -> dict:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, dklen=32, **_SCRYPT)
    return {"scheme": "scrypt", **_SCRYPT, "salt": salt.hex(), "hash": digest.hex()}


def pin_matches(pin: str, stored: dict) -> bool:
    digest = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(stored["salt"]), dklen=32,
                            n=stored["n"], r=stored["r"], p=stored["p"])
    return hmac.compare_digest(digest.hex(), stored["hash"])


def after_pin_attempt(state: dict, right: bool, now: float) -> dict:
    """The teacher state after one PIN attempt: a right PIN clears the count; the 5th wrong one
    in a row locks the login for 5 minutes (and starts a new count for after the lock)."""
    if right:
        return {**state, "failures": 0, "locked_until": 0}
    failures = state.get("failures", 0) + 1
    if failures >= PIN_FAILURES_BEFORE_LOCK:
        return {**state, "failures": 0, "locked_until": now + PIN_LOCK_SECONDS}
    return {**state, "failures": failures}


# -- everything else ------------------------------------------------------------------------

SESSION_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
NOTE_MAX, COMMENT_MAX, NAME_MAX = 5000, 500, 300


def check_session(session) -> str:
    """A session name becomes part of a file name, so only safe characters."""
    if not isinstance(session, str) or not re.fullmatch(SESSION_PATTERN, session):
        raise StoreError(lazy_text("Class session name %(session)s cannot be used: use 1-64 letters, "
                                   "digits, '-', '_' or '.', starting with a letter or digit "
                                   "(e.g. 2026-11-23).", session=repr(session)), "session")
    return session


def check_name(field: str, value) -> str:
    """Pack, document and exercise anchor names: non-empty text of a sane length."""
    if not isinstance(value, str) or not value.strip() or len(value) > NAME_MAX:
        raise StoreError(lazy_text("%(field)s must be a name of 1 to %(limit)s characters.", field=field,
                                   limit=NAME_MAX), field)
    return value


def check_text(field: str, value, limit: int) -> str:
    if not isinstance(value, str):
        raise StoreError(lazy_text("%(field)s must be text.", field=field), field)
    if len(value) > limit:
        raise StoreError(lazy_text("%(field)s is %(length)s characters long; keep it to %(limit)s.",
                                   field=field, length=len(value), limit=limit), field)
    return value
