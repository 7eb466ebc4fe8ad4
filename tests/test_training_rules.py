"""Pure training rules: completion at the attendance boundary, newcomers, coverage facts (R-T4)."""
from __future__ import annotations

from datetime import date

import pytest

from training.rules import (
    Coverage,
    CurrentPost,
    Holding,
    TermWindow,
    TrainingRuleError,
    completion,
    coverage,
    coverage_by_commune,
    gaps,
    newcomers,
    percent,
    worker_facts,
)


def test_four_of_five_sessions_completes_at_eighty_percent():
    assert completion(4, 5, 80).completed


def test_three_of_five_sessions_does_not_complete_at_eighty_percent():
    result = completion(3, 5, 80)
    assert not result.completed and result.share == pytest.approx(0.6)


def test_course_without_sessions_completes_nobody():
    result = completion(0, 0, 80)
    assert not result.completed and result.share is None


def test_full_attendance_required_at_one_hundred_percent():
    assert not completion(9, 10, 100).completed
    assert completion(10, 10, 100).completed


@pytest.mark.parametrize("attended,sessions,rule", [(-1, 5, 80), (6, 5, 80), (1, 5, 0), (1, 5, 101)])
def test_impossible_completion_input_is_refused(attended, sessions, rule):
    with pytest.raises(TrainingRuleError):
        completion(attended, sessions, rule)


PREVIOUS = TermWindow("t1", date(2019, 11, 17), date(2022, 5, 22))
CURRENT_START = date(2022, 5, 22)


def test_newcomer_holds_a_post_not_held_in_the_previous_term():
    current = [Holding(1, "hamlet_chief", date(2022, 5, 22)), Holding(2, "hamlet_chief", date(2019, 11, 17))]
    # Person 1 was Front head before, now chief: a newcomer to the chief post. Person 2 re-elected.
    history = current + [Holding(1, "front_head", date(2019, 11, 17), date(2022, 5, 21))]
    assert newcomers(current, history, PREVIOUS, CURRENT_START) == {1}


def test_post_starting_on_the_shared_boundary_day_is_new():
    current = [Holding(1, "hamlet_chief", date(2022, 5, 22))]
    assert newcomers(current, current, PREVIOUS, CURRENT_START) == {1}


def test_post_recorded_for_the_previous_term_counts_as_held():
    current = [Holding(1, "hamlet_chief", date(2022, 5, 22), term_id="t2")]
    history = current + [Holding(1, "hamlet_chief", date(2021, 1, 1), date(2021, 2, 1), term_id="t1")]
    assert newcomers(current, history, PREVIOUS, CURRENT_START) == set()


def test_without_previous_term_a_post_held_before_the_term_began_is_not_new():
    current = [Holding(1, "hamlet_chief", date(2020, 1, 1)), Holding(2, "hamlet_chief", date(2022, 6, 1))]
    assert newcomers(current, current, None, CURRENT_START) == {2}


def test_no_workers_gives_no_share_and_nothing_missing():
    result = coverage([])
    assert isinstance(result, Coverage)
    assert result.workers.share is None and result.chiefs.share is None and result.secretaries.share is None
    assert percent(result.workers.share) == "—"
    assert gaps([]) == []


def test_all_workers_trained_for_their_posts_is_one_hundred_percent():
    posts = [CurrentPost(1, "hamlet_chief", "c1"), CurrentPost(1, "chapter_secretary", "c1"),
             CurrentPost(2, "front_head", "c1")]
    completed = {1: [frozenset({"hamlet_chief", "chapter_secretary"})], 2: [frozenset()]}
    facts = worker_facts(posts, completed)
    result = coverage(facts)
    assert [f.share for f in result.figures] == [1.0, 1.0, 1.0]
    assert all(f.met for f in result.figures)
    assert percent(result.workers.share) == "100,0%"
    assert gaps(facts) == []


def test_course_for_all_workers_trains_but_not_for_the_chief_post():
    facts = worker_facts([CurrentPost(1, "hamlet_chief", "c1")], {1: [frozenset()]})
    [fact] = facts
    assert fact.trained and fact.is_chief and not fact.trained_as_chief
    [gap] = gaps(facts)
    assert gap.chief_untrained and not gap.untrained


def test_course_for_another_post_does_not_train():
    facts = worker_facts([CurrentPost(1, "front_head", "c1")], {1: [frozenset({"hamlet_chief"})]})
    assert not facts[0].trained
    assert coverage(facts).workers.share == 0.0


def test_coverage_by_commune_groups_workers():
    posts = [CurrentPost(1, "front_head", "c1"), CurrentPost(2, "front_head", "c2"), CurrentPost(3, "other", "c2")]
    by_commune = coverage_by_commune(worker_facts(posts, {2: [frozenset()]}))
    assert by_commune["c1"].workers.share == 0.0
    assert (by_commune["c2"].workers.numerator, by_commune["c2"].workers.denominator) == (1, 2)
