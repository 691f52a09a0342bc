"""Print the built-in exercise bank's coverage: items per language and subcategory, by
difficulty and by exercise type.

    python -m scripts.bank_coverage [--language German]

Loading the bank runs every content check (bank.py), so a broken entry or a subcategory
below the minimum fails here with the same message it would give at start-up; the exit
status is then 1.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

from resolvers.practice.bank import (
    DIFFICULTY_BANDS,
    KINDS,
    MIN_EASY,
    MIN_ITEMS,
    BankError,
    BankItem,
    load_bank,
)
from resolvers.practice.content import VARIETIES
from resolvers.practice.hints import EC, FB, MC, SR
from resolvers.taxonomy import LANGUAGES, normalize_language, pairs_for

SHORT = {FB: "FB", MC: "MC", EC: "EC", SR: "SR"}
LEVELS = (1, 2, 3, 4, 5)
NAME_WIDTH = 44


def _row(name: str, items: tuple[BankItem, ...]) -> str:
    levels = Counter(i.difficulty for i in items)
    kinds = Counter(i.type for i in items)
    cells = [f"{levels[d]:>3}" for d in LEVELS] + [f"{len(items):>6}"]
    cells += [f"{kinds[k]:>3}" for k in KINDS]
    return f"  {name:<{NAME_WIDTH}}" + "".join(cells)


def coverage_table(banks: dict[str, dict[tuple[str, str], tuple[BankItem, ...]]]) -> str:
    header = "".join(f"{'d' + str(d):>3}" for d in LEVELS) + f"{'total':>6}"
    header += "".join(f"{SHORT[k]:>3}" for k in KINDS)
    bands = ", ".join(f"{lo}-{hi}" if lo != hi else str(lo) for lo, hi in DIFFICULTY_BANDS)
    lines = [
        f"Exercise bank: at least {MIN_ITEMS} items per language, subcategory and variety, "
        f"{MIN_EASY} of them at difficulty 1-2, with difficulties in each of {bands}.",
        "Types: FB fill in the blank, MC multiple choice, EC error correction, "
        "SR sentence reorder.",
    ]
    for language, bank in banks.items():
        lines += ["", f"{language:<{NAME_WIDTH + 2}}{header}"]
        every: tuple[BankItem, ...] = ()
        missing = [pair for pair in pairs_for(language) if pair not in bank]
        for pair in pairs_for(language):
            if pair in bank:
                every += bank[pair]
                lines.append(_row(f"{pair[0]} / {pair[1]}", bank[pair]))
        lines.append(_row("all subcategories", every))
        for variety in VARIETIES.get(language, ()):
            served = {
                pair: [i for i in items if not i.variety or i.variety == variety]
                for pair, items in bank.items()
            }
            fewest = min(len(v) for v in served.values())
            easy = min(sum(1 for i in v if i.difficulty <= 2) for v in served.values())
            lines.append(
                f"  {variety} learners: at least {fewest} items per subcategory, {easy} at d1-2"
            )
        if missing:
            names = ", ".join(f"{c} / {s}" for c, s in missing)
            lines.append(f"  no content file yet (not served): {names}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", help=f"one of {', '.join(LANGUAGES)} (default: all)")
    args = parser.parse_args(argv)
    try:
        banks = load_bank()
    except BankError as exc:
        print(f"exercise bank is invalid: {exc}", file=sys.stderr)
        return 1
    if args.language is not None:
        name = normalize_language(args.language)
        if name is None:
            parser.error(f"unknown language {args.language!r}; use one of {', '.join(LANGUAGES)}")
        banks = {name: banks[name]}
    print(coverage_table(banks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
