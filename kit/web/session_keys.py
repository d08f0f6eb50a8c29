"""What Lantern keeps in Flask's signed session cookie, named once: identity.py writes the
learner and the teacher's session, csrf.py the token, and the fast lane (learner_pages.py)
reads them all from the cookie without Flask."""
from __future__ import annotations

LEARNER_KEY = "learner"          # the learner's random id
TEACHER_KEY = "teacher_until"    # when the teacher's session ends (seconds since the epoch)
CSRF_KEY = "csrf"                # the form token (kit/web/csrf.py)
FLASHES_KEY = "_flashes"         # Flask's flashed messages, popped by the page that shows them
