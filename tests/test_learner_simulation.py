"""The seeded simulated learner (bench/learner_sim.py) practising 30 days over the API:
the FSRS schedule spaces a known skill out, no expected answer is ungrammatical, and a
consistently correct skill is mastered while a guessed one is not (issue 22)."""

from __future__ import annotations

import pytest

from bench.learner_sim import GUESSED, KNOWN, simulate


@pytest.mark.slow
async def test_thirty_days_of_practice_master_the_known_skill_and_not_the_guessed_one():
    report = await simulate(days=30, seed=7)
    assert report.days == 30 and report.answered >= 150
    assert report.ungrammatical == []
    assert KNOWN[1] in report.mastered and GUESSED[1] not in report.mastered
    skills = {s["subcategory"]: s for s in report.skills}
    assert skills[KNOWN[1]]["accuracy"] == 1.0 and skills[GUESSED[1]]["ability"] < 0.5

    # The known skill's reviews spread out (practised twice a day, FSRS still grows its
    # interval from 2 to 12 days) while the guessed one keeps coming back within days.
    def waits(skill):
        return [
            int(step.split("+")[-1].split("x")[-1].rstrip("d"))
            for step in report.schedule[skill][:-1]
        ]

    assert waits(KNOWN)[0] == 2 and max(waits(KNOWN)[-5:]) >= 10
    assert max(waits(GUESSED)[-10:]) <= 2
    assert all(claim for claim in report.claims.values())
