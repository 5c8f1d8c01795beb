"""Forked jobs that stop to ask the parent (forked.Conversations): how layout units learn
where they fall once the units before them are laid out."""

from __future__ import annotations

import os
import signal
from functools import partial

import pytest

from bulletin_pdf.forked import ChildDied, Conversations


def ask_twice(number: int, ask) -> tuple[int, int]:
    first = ask(("where", number))
    return first, ask(("again", number))


def run(pool: Conversations, answer) -> dict[str, object]:
    """Answer each question when `answer` can (None: not yet), as incremental.py does."""
    results: dict[str, object] = {}
    waiting: dict[str, object] = {}
    try:
        while pool.busy:
            for event, key, value in pool.events():
                if event == "question":
                    waiting[key] = value
                else:
                    results[key] = value.value
                for asked, question in list(waiting.items()):
                    if (reply := answer(asked, question, waiting)) is not None:
                        del waiting[asked]
                        pool.answer(asked, reply)
    finally:
        pool.close()
    return results


@pytest.mark.parametrize("workers", [0, 2], ids=["here", "forked"])
def test_each_job_gets_its_own_answers(workers):
    pool = Conversations(workers, workers * 3,
                         answer_now=lambda key, question: question[1] * 10 + len(question[0]))
    for number in range(5):
        pool.submit(str(number), f"job {number}", partial(ask_twice, number))

    def answer(key, question, waiting):
        return question[1] * 10 + len(question[0])

    assert run(pool, answer) == {str(number): (number * 10 + 5, number * 10 + 5)
                                 for number in range(5)}


def test_a_question_waits_for_what_an_earlier_job_says():
    """Job 1's answer needs job 0's question: asked first or not, it waits; the pool keeps
    working meanwhile and never deadlocks with only two working children."""
    pool = Conversations(2, 6, answer_now=None)
    heard: dict[str, int] = {}
    for number in range(4):
        pool.submit(str(number), f"job {number}", partial(ask_twice, number))

    def answer(key, question, waiting):
        heard.setdefault(key, question[1])
        before = [str(number) for number in range(int(key))]
        if question[0] == "where" and not all(earlier in heard for earlier in before):
            return None
        return sum(heard[earlier] for earlier in before)

    assert run(pool, answer) == {"0": (0, 0), "1": (0, 0), "2": (1, 1), "3": (3, 3)}


def test_a_child_killed_while_waiting_fails_the_run():
    pool = Conversations(2, 2, answer_now=None)
    pool.submit("0", "作业 0", partial(ask_twice, 0))

    def answer(key, question, waiting):
        child = next(iter(pool.children.values()))
        os.kill(child.pid, signal.SIGKILL)
        return None

    with pytest.raises(ChildDied, match="作业 0的进程被信号 9"):
        run(pool, answer)
