"""A workshop of 26 chapters, written for the tests: the size of the longest tutorials learners
read (26 chapters is the Django Girls tutorial's count), so its contents list fills a phone's
screen and its numbers reach two digits. Each chapter has a heading, a paragraph and a code
block whose line is longer than a phone is wide."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import write_pack

PACK = "garden"
WORKSHOP = "grow"
TOPICS = ["Choosing a spot", "Reading the soil", "Seeds or seedlings", "A seed tray", "Labels that last",
          "Watering by hand", "A watering plan", "Compost from kitchen scraps", "Turning the heap",
          "Raised beds", "Paths between beds", "Sowing in rows", "Thinning the rows", "Mulch",
          "Slugs and snails", "Friendly insects", "Beans up a pole", "Tomatoes on strings",
          "Herbs in pots", "Saving seeds", "Keeping a garden diary", "Sharing the harvest",
          "Winter cover crops", "Tools and their care", "Rain barrels", "Planning next year"]
CHAPTERS = len(TOPICS)          # 26


def chapter_slug(number: int) -> str:
    return f"{number:02d}-step"


def chapter_path(number: int) -> str:
    return f"/p/{PACK}/{WORKSHOP}/{chapter_slug(number)}"


def _chapter(number: int, topic: str) -> str:
    return (f"---\ntitle: {topic}\norder: {number}\n---\n"
            f"## What you need for step {number}\n\n"
            f"Step {number} of the garden workshop is about {topic.lower()}. Read it, try it in "
            f"your own garden, and write what happened in your diary.\n\n"
            f"```python\nplan = garden.plan(step={number}, topic={topic!r}, diary=True, "
            f"water_litres_per_day=2.5, notes='write down what you saw today')\n```\n")


def write_long_workshop(content: Path) -> None:
    files = {f"{WORKSHOP}/workshop.toml": 'title = "Grow your own food"\n'}
    files.update({f"{WORKSHOP}/{chapter_slug(n)}.md": _chapter(n, topic)
                  for n, topic in enumerate(TOPICS, start=1)})
    write_pack(content, PACK, files, title="A garden workshop")
