"""The three answers at the top of the teacher view: where is the class (learners per chapter),
who may be stuck (and why), and what the tutor could not answer (by chapter, with the questions).

Plain functions over plain data — the store's records, the class activity (activity.py) and the
workshops — so the page, the live stream and the tests all compute the same thing. Drawing is
kit/web/charts.py's job; these only count.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from kit.classroom.activity import LearnerActivity

STUCK_AFTER_S = 10 * 60      # no progress for this long, while most of the class moved on
MANY_QUESTIONS = 3           # questions on one step within STUCK_AFTER_S
CARDS_SHOWN = 6              # stuck cards on the glance; the rest are counted
GROUPS_SHOWN = 4             # chapters with unanswered questions on the glance; the rest counted
QUESTIONS_PER_GROUP = 2      # unanswered questions shown per chapter; the rest are counted
CHART_COLUMNS = 40           # more chapters than this (a whole book): only those with learners drawn


@dataclass
class Chapter:
    pack: str
    slug: str
    title: str
    number: int
    nicknames: list[str] = field(default_factory=list)


@dataclass
class StuckCard:
    nickname: str
    step_title: str
    step: tuple[str, str] | None
    reasons: list[dict]          # {"kind": "no_progress"|"many_questions"|"refused"|"unhelpful", …}


def _chapters(workshops: list[dict]) -> list[Chapter]:
    return [Chapter(w["pack"], c["slug"], c["title"], number)
            for number, (w, c) in enumerate(((w, c) for w in workshops for c in w["chapters"]), 1)]


def where_is_the_class(workshops: list[dict], learners: list[dict], all_progress: dict,
                       activity: dict[str, LearnerActivity]) -> dict:
    """{chapters: [Chapter with the nicknames there], drawn: the ones the chart shows, elsewhere:
    [nicknames on other pages], not_started: [nicknames]}. A learner is at the chapter they
    opened last; one the kit has not seen reading since it started is at the chapter after their
    last tick."""
    chapters = _chapters(workshops)
    by_step = {(c.pack, c.slug): c for c in chapters}
    elsewhere, not_started = [], []
    for learner in sorted(learners, key=lambda item: item["nickname"].casefold()):
        step = (activity.get(learner["id"]) or LearnerActivity()).step
        if step is None:
            step = _after_last_tick(chapters, all_progress.get(learner["id"]) or {})
        if step is None:
            not_started.append(learner["nickname"])
        elif step in by_step:
            by_step[step].nicknames.append(learner["nickname"])
        else:
            elsewhere.append(learner["nickname"])
    drawn = chapters if len(chapters) <= CHART_COLUMNS else [c for c in chapters if c.nicknames]
    return {"chapters": chapters, "drawn": drawn, "elsewhere": elsewhere, "not_started": not_started}


def _after_last_tick(chapters: list[Chapter], progress: dict) -> tuple[str, str] | None:
    done = {tuple(item) for item in progress.get("chapters_done", [])}
    ticked = [i for i, c in enumerate(chapters) if (c.pack, c.slug) in done]
    if not ticked:
        return None
    last = chapters[min(ticked[-1] + 1, len(chapters) - 1)]
    return last.pack, last.slug


def who_may_be_stuck(learners: list[dict], activity: dict[str, LearnerActivity], asks: list[dict],
                     exchanges: list[dict], now: float, titles) -> list[StuckCard]:
    """Learners who may need the teacher, most reasons first: no progress for STUCK_AFTER_S
    while most of the others moved on; MANY_QUESTIONS or more on one step lately; their latest
    answer refused (not in the library) or marked unhelpful. `titles(pack, slug)` names a step."""
    cards = []
    moved_lately = {lid for lid, a in activity.items()
                    if a.moved_at is not None and now - a.moved_at < STUCK_AFTER_S}
    for learner in learners:
        lid, reasons = learner["id"], []
        mine = activity.get(lid) or LearnerActivity()
        others = [other for other in activity if other != lid and activity[other].moved_at is not None]
        if (mine.moved_at is not None and lid not in moved_lately and others
                and len(moved_lately.intersection(others)) * 2 > len(others)):
            reasons.append({"kind": "no_progress", "minutes": int((now - mine.moved_at) // 60)})
        lately = Counter(ask["step"] for ask in asks
                         if ask["learner"] == lid and ask["step"] and now - ask["at"] < STUCK_AFTER_S)
        step, count = lately.most_common(1)[0] if lately else (None, 0)
        if count >= MANY_QUESTIONS:
            reasons.append({"kind": "many_questions", "count": count})
        latest = next((x for x in exchanges if x.get("learner") == lid), None)
        if latest is not None and _went_wrong(latest):
            reasons.append({"kind": _went_wrong(latest), "question": latest.get("question", "")})
        if reasons:
            where = (step if count >= MANY_QUESTIONS else None) or mine.step or _context_step(latest)
            cards.append(StuckCard(learner["nickname"], (titles(*where) or where[1]) if where else "",
                                   where, reasons))
    return sorted(cards, key=lambda card: (-len(card.reasons), card.nickname.casefold()))


def _went_wrong(exchange: dict) -> str | None:
    if (exchange.get("feedback") or {}).get("helpful") is False:
        return "unhelpful"
    if not exchange.get("grounded"):
        return "refused"
    return None


def _context_step(exchange: dict | None) -> tuple[str, str] | None:
    context = (exchange or {}).get("context") or {}
    return (context["pack"], context["doc"]) if context.get("pack") and context.get("doc") else None


def could_not_answer(exchanges: list[dict], nicknames: dict, titles) -> list[dict]:
    """Questions the tutor refused (not in the library), grouped by the chapter they were asked
    on, most first: [{title, step, count, questions: [{nickname, question}]}]; questions asked
    away from a chapter are one group with step None."""
    groups: dict = {}
    for exchange in exchanges:
        if exchange.get("grounded") or exchange.get("error"):
            continue
        step = _context_step(exchange)
        group = groups.setdefault(step, {"step": step, "count": 0, "questions": [],
                                         "title": (titles(*step) or step[1]) if step else None})
        group["count"] += 1
        if len(group["questions"]) < QUESTIONS_PER_GROUP:
            group["questions"].append({"nickname": nicknames.get(exchange.get("learner"), ""),
                                       "question": exchange.get("question", "")})
    return sorted(groups.values(), key=lambda group: (-group["count"], group["title"] or "\uffff"))
