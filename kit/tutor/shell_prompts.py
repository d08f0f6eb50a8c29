"""Shell and REPL prompts in tutorials' code blocks: which lines are commands to type, which are
their output, and which operating system a command is written for.

Tutorials show a session as the learner will see it: `(venv) ~/club$ python manage.py migrate`,
`C:\\Users\\Name\\club> python manage.py migrate`, `PS C:\\> …`, `$ pip install x`, `% …`,
`>>> print(x)` and `... ` continuations, `In [1]: …`. The first word of such a line is the prompt,
not the command, and the lines without a prompt that follow a command are what it printed. The
quote chooser scores a session by its commands (the learner asks how to do something, and the
command is the answer; the output only confirms it) and quotes the prompt verbatim with it.

Prompts are recognised by the shapes of their families (regexes), not by a list of one tutorial's
paths or environment names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_VENV = r"(?:\([\w.-]{1,60}\)\s+)?"             # "(myvenv) " before any shell's prompt
# A POSIX shell: "$", "%", or a path/user@host/[user@host dir] before "$", "%" or "#".
_UNIX = re.compile(_VENV + r"""(?P<place>
      \[[^\]\n]{1,80}\]                                    # [user@host dir]
    | [\w.-]{1,60}@[\w.-]{1,80}(?::[^\s$#%]{0,200})?(?:\s[^\s$#%]{1,200})?   # user@host:~/dir
    | [\w.-]{1,60}:[^\s$#%]{0,200}\s[\w.-]{1,60}           # host:dir user (macOS bash)
    | [~/][^\s$#%]{0,200}                                  # ~/dir, /tmp
    )?\s?(?P<sign>[$%#])(?:\s+|$)""", re.X)
# Windows: cmd's "C:\path>" (or a path left out as "...\>"), PowerShell's "PS C:\path>" or "PS>".
_WINDOWS = re.compile(_VENV + r"(?:PS(?:\s+[^>\n]{1,200})?>|[A-Za-z]:\\[^<>|\n]{0,200}>|\.{3}\\>)(?:\s+|$)")
_BARE = re.compile(r">(?:\s+|$)")
_PYTHON = re.compile(r"(?:>>>|In \[\d{0,6}\]:)(?:\s+|$)")
_PYTHON_MORE = re.compile(r"(?:\.\.\.|\s*\.\.\.:)(?:\s+|$)")     # "... " and IPython's "   ...: "
_SHELL_MORE = ("\\", "^", "`")                 # a line ending so goes on (sh, cmd, PowerShell)

UNIX, WINDOWS, PYTHON, ANY = "unix", "windows", "python", "any"
# Words a question or a caption uses to name an operating system.
_OS_WORDS = {WINDOWS: re.compile(r"\b(windows|powershell|cmd(\.exe)?)\b", re.I),
             UNIX: re.compile(r"\b(mac|macos|os ?x|linux|ubuntu|debian|fedora|unix|bash|zsh)\b", re.I)}
MAX_SESSION_LINES = 2000      # a longer block is read this far: the work stays bounded


@dataclass(frozen=True)
class Line:
    text: str                 # the line as written (prompt kept)
    command: str | None       # what is typed after the prompt; None for output
    family: str | None        # the prompt's family (unix, windows, python, any); None for output


def prompt_of(line: str) -> tuple[str, str] | None:
    """(family, command) when `line` starts with a prompt, else None."""
    stripped = line.lstrip()
    for family, pattern in ((PYTHON, _PYTHON), (WINDOWS, _WINDOWS), (UNIX, _UNIX), (ANY, _BARE)):
        match = pattern.match(stripped)
        if match is None:
            continue
        if family == UNIX and match["sign"] == "#" and not match["place"]:
            continue                    # "# a comment", not root's prompt
        return family, stripped[match.end():]
    return None


def session(code: str) -> list[Line] | None:
    """The block's lines as commands and output, or None when no line has a prompt (then the
    block is code as a whole, e.g. a file's contents). A line without a prompt goes on with the
    command before it when that command ends in a continuation mark or it is a REPL's '...'."""
    lines = code.splitlines()[:MAX_SESSION_LINES]
    found: list[Line] = []
    prompted = False
    for text in lines:
        prompt = prompt_of(text)
        previous = found[-1] if found else None
        if previous is not None and previous.command is not None:
            if previous.family == PYTHON and _PYTHON_MORE.match(text.lstrip()):
                found.append(Line(text, _PYTHON_MORE.sub("", text.lstrip(), count=1), PYTHON))
                continue
            if previous.text.rstrip().endswith(_SHELL_MORE):
                found.append(Line(text, text.strip(), previous.family))
                continue
        if prompt is not None:
            prompted = True
            found.append(Line(text, prompt[1], prompt[0]))
        else:
            found.append(Line(text, None, None))
    return found if prompted else None


def commands(code: str) -> list[str]:
    """What is typed in a block: its commands without prompts, or every line when it has none."""
    lines = session(code)
    if lines is None:
        return code.splitlines()[:MAX_SESSION_LINES]
    return [line.command for line in lines if line.command is not None]


def families(code: str) -> set[str]:
    """The operating systems a block's prompts are written for (unix, windows); empty when its
    prompts say nothing of the system (Python's, a bare '>') or it has none."""
    lines = session(code) or []
    return {line.family for line in lines if line.family in (UNIX, WINDOWS)}


def os_named(text: str) -> str | None:
    """The operating system a question or caption names (windows or unix), if exactly one."""
    named = [family for family, pattern in _OS_WORDS.items() if pattern.search(text)]
    return named[0] if len(named) == 1 else None


def is_prompt_line(text: str) -> bool:
    """A one-line paragraph that is a prompted command (a one-line code block of a session)."""
    found = prompt_of(text)
    return found is not None and found[0] != ANY
