"""bench --http-quick times no peer that answers differently from the gateway: every
warm-up answer is compared with the gateway's to the same caller before measuring."""

from __future__ import annotations

import copy
import subprocess
from typing import Any

import pytest

from bench.http_quick import Server, check_answers, same_answer, without_connections

MESSAGE = {"id": "m1", "role": "USER", "content": "hi", "timestamp": "2026-01-01T00:00:00+00:00"}
GATEWAY = {
    "data": {
        "me": {
            "name": "Ada",
            "sessions": {
                "edges": [
                    {
                        "node": {
                            "id": "s1",
                            "messages": {"edges": [{"node": {**MESSAGE, "errors": []}}]},
                        }
                    }
                ]
            },
        }
    },
    "extensions": {"requestId": "r1"},
}
HAND = {"me": {"name": "Ada", "sessions": [{"id": "s1", "messages": [{**MESSAGE, "errors": []}]}]}}


def _server(name: str) -> Server:
    return Server(name, "http://127.0.0.1:1", subprocess.Popen(["true"]), {})


def test_the_same_data_passes_and_the_hand_written_shape_is_compared_without_connections() -> None:
    assert without_connections(GATEWAY["data"]) == HAND
    assert same_answer(GATEWAY, {"data": GATEWAY["data"]}, hand_written=False) is None
    assert same_answer(GATEWAY, HAND, hand_written=True) is None
    check_answers(
        {("mid", "t"): GATEWAY}, _server("node"), {("mid", "t"): {"data": GATEWAY["data"]}}
    )
    check_answers({("W4", "t"): GATEWAY}, _server("handwritten"), {("W4c", "t"): HAND})


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d["me"]["sessions"]["edges"][0]["node"]["messages"]["edges"].clear(),
        lambda d: d["me"]["sessions"]["edges"][0]["node"]["messages"]["edges"][0]["node"].update(
            timestamp="2026-01-01T00:00:00.000Z"
        ),
        lambda d: d["me"].pop("name"),
    ],
    ids=["fewer rows", "another timestamp format", "a missing field"],
)
def test_a_peer_that_answers_otherwise_fails_the_run(damage: Any) -> None:
    data = copy.deepcopy(GATEWAY["data"])
    damage(data)
    with pytest.raises(RuntimeError, match="answers differently from the gateway"):
        check_answers({("mid", "t"): GATEWAY}, _server("node"), {("mid", "t"): {"data": data}})
    with pytest.raises(RuntimeError, match="answers differently from the gateway"):
        check_answers(
            {("mid", "t"): GATEWAY},
            _server("handwritten"),
            {("mid", "t"): without_connections(data)},
        )


def test_a_peer_answering_with_errors_beside_its_data_fails() -> None:
    other = {"data": GATEWAY["data"], "errors": [{"message": "x"}]}
    assert same_answer(GATEWAY, other, hand_written=False) is not None
