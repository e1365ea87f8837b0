"""The benchmark stops its clock only when every hop has processed everything."""

from __future__ import annotations

from benchmarks.runs import processed_everything
from pillarwatch.scrape import Samples

INPUT = "bench-events"
UNREAD = {"bench-events-dlq"}


def samples(received: dict[str, float], sent: dict[str, float], active: float) -> Samples:
    return {
        "faust_messages_received_per_topic_total": {
            (("topic", t),): n for t, n in received.items()
        },
        "faust_topic_messages_sent_total": {(("topic", f"topic.{t}"),): n for t, n in sent.items()},
        "faust_active_messages": {(): active},
    }


DONE_SENT = {
    "contact-summaries": 40.0,
    "app-summaries-by-customer": 7.0,
    "app-contacts-changelog": 90.0,
    "bench-events-dlq": 2.0,
}
DONE_RECEIVED = {INPUT: 100.0, "contact-summaries": 40.0, "app-summaries-by-customer": 7.0}


def test_done_when_every_read_topic_is_taken_and_nothing_is_in_a_stream() -> None:
    s = samples(DONE_RECEIVED, DONE_SENT, 0)
    assert processed_everything([s], INPUT, 100, UNREAD)


def test_not_done_while_a_later_hop_has_messages_to_take() -> None:
    received = {**DONE_RECEIVED, "app-summaries-by-customer": 6.0}
    assert not processed_everything([samples(received, DONE_SENT, 0)], INPUT, 100, UNREAD)


def test_not_done_while_a_taken_message_is_still_being_processed() -> None:
    assert not processed_everything([samples(DONE_RECEIVED, DONE_SENT, 1)], INPUT, 100, UNREAD)


def test_not_done_before_the_whole_input_is_taken() -> None:
    received = {**DONE_RECEIVED, INPUT: 99.0}
    assert not processed_everything([samples(received, DONE_SENT, 0)], INPUT, 100, UNREAD)


def test_counts_add_up_over_workers_and_a_missing_scrape_is_not_done() -> None:
    half = {t: n / 2 for t, n in DONE_RECEIVED.items()}
    sent = {t: n / 2 for t, n in DONE_SENT.items()}
    two = [samples(half, sent, 0), samples(half, sent, 0)]
    assert processed_everything(two, INPUT, 100, UNREAD)
    assert not processed_everything([two[0], None], INPUT, 100, UNREAD)
