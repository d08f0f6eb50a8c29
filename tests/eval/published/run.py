"""Run the eval on published material and write docs/eval/published-<half>.md.

    python -m tests.eval.published.run [--half tune|check|both|french|french_tune] [--no-model] [-v]
        [--flask DIR] [--fastapi DIR] [--fastapi-fr DIR] [--django DIR] [--fresh]

Tune on the tune half only: check.toml is frozen and is run to report, never to choose a
constant. french.toml (issue 21: French questions on FastAPI's French pages) is frozen too and
is run alone, to its own report (docs/eval/published-french.md); french_tune.toml is the French
set to tune on, run alone too. `--no-model` asks for sources and quotes only (fast, for tuning
the quote chooser).
"""
from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.eval.published import material, report
from tests.eval.published.asking import ask_all, eval_settings

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
HALVES = ("tune", "check")
ALONE = ("french", "french_tune")   # never run with `both`: each is reported on its own


def load_half(name: str) -> list[dict]:
    return tomllib.loads((HERE / f"{name}.toml").read_text(encoding="utf-8"))["question"]


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "kit"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()
        return (head or "unknown (not a git checkout)") + (" with uncommitted changes under kit/" if dirty else "")
    except OSError:
        return "unknown"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.eval.published.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--half", choices=(*HALVES, "both", *ALONE), default="tune")
    parser.add_argument("--no-model", action="store_true", help="sources and quotes only")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every answer")
    parser.add_argument("--flask", type=Path, default=material.DEFAULTS["flask"])
    parser.add_argument("--fastapi", type=Path, default=material.DEFAULTS["fastapi"])
    parser.add_argument("--fastapi-fr", type=Path, default=material.DEFAULTS["fastapi_fr"],
                        help="FastAPI's French pages (imported beside the English); '' leaves them out")
    parser.add_argument("--django", type=Path, default=material.DEFAULTS["django"])
    parser.add_argument("--cache", type=Path, default=material.CACHE, help="where the imported data is kept")
    parser.add_argument("--fresh", action="store_true", help="import the material again")
    parser.add_argument("--out", type=Path, help="the report (default docs/eval/published-<half>.md)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    names = HALVES if args.half == "both" else (args.half,)
    halves = {name: load_half(name) for name in names}
    fr = args.fastapi_fr if str(args.fastapi_fr) not in ("", ".") else None
    paths = {"flask": args.flask, "fastapi": args.fastapi, "fastapi_fr": fr, "django": args.django}
    sources = material.sources_for(paths)
    libraries = {item["library"] for items in halves.values() for item in items}
    for library, source in material.OPTIONAL_SOURCE.items():
        if library in libraries and not paths[source]:
            raise material.MaterialMissing(f"The {library} questions are asked of the {source} material, which this "
                                           f"run leaves out: pass its folder (default {material.DEFAULTS[source]}).")
    needed = {material.DATA_SET[library] for library in libraries}
    answers: dict[int, object] = {}
    languages: dict[str, str] = {}
    notes = []
    try:
        for set_name in sorted(needed):
            data = material.imported_data(set_name, sources[set_name], args.cache, args.fresh)
            languages.update(material.pack_languages(data))
            settings = eval_settings(data, material.no_content_dir(args.cache), args.cache / "engine")
            items = [item for name in names for item in halves[name] if material.DATA_SET[item["library"]] == set_name]
            print(f"{set_name}: {len(items)} questions over {', '.join(sorted(material.pack_languages(data)))}")
            for item, shown in zip(items, ask_all(settings, items, not args.no_model), strict=True):
                answers[id(item)] = shown
            notes.append(f"- {set_name}: " + ", ".join(
                f"`{s.path}`" + (f" ({' '.join(s.extra_args)})" if s.extra_args else "") for s in sources[set_name]))
    finally:
        if not args.no_model:
            from kit.tutor.engines.embedded import stop_workers
            stop_workers()
    verdicts = {name: [report.judge(answers[id(item)], languages) for item in halves[name]] for name in names}
    engines = {f"{v.shown.done.get('engine')} {v.shown.done.get('model')}" for vs in verdicts.values()
               for v in vs if v.shown.done.get("engine")}
    notes = [f"Run {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC on commit {_commit()}; "
             + ("**without the model** (`--no-model`: sources and quotes only). " if args.no_model
                else f"model: {', '.join(sorted(engines)) or 'none answered'}. ")
             + "Packs: " + ", ".join(f"{pack} ({lang or '?'})" for pack, lang in sorted(languages.items())) + ".",
             "Material imported with `kit import` from:", *notes, "",
             "Scored by tests/eval/published/scoring.py (criteria of its own, whole tokens). An accepted "
             "page counts only in an answer the tutor gave (not refused). Halves are never merged: "
             "check and french are frozen halves."]
    out = args.out or ROOT / "docs" / "eval" / f"published-{args.half}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.markdown(verdicts, f"Tutor eval on published material — {args.half}"
                                   + (" (no model)" if args.no_model else ""), notes), encoding="utf-8")
    for name in names:
        print(f"\n{name} half:")
        for measure, value in report.summary(verdicts[name]).items():
            print(f"  {measure}: {value}")
        if args.verbose:
            for v in verdicts[name]:
                print("=" * 80, f"\n[{v.shown.item['library']}] {v.shown.item['question']}",
                      "\nPAGES:", v.pages, "\nQUOTES:", v.shown.quote_text.strip(), "\nTUTOR:", v.shown.words.strip(),
                      "\nDROPPED:", v.shown.dropped, "\nMISSING:", v.missing)
    print(f"\nreport: {out}")


if __name__ == "__main__":
    main()
