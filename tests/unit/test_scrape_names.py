"""`parse(text, names)`: only the named samples, with the names and values the full parse gives."""

from pillarwatch.scrape import parse

PAGE = """# HELP pillarwatch_contacts_total Contacts by outcome.
# TYPE pillarwatch_contacts_total counter
pillarwatch_contacts_total{channel="voice",outcome="answered",queue="billing"} 3.0
pillarwatch_contacts_total{channel="chat",outcome="abandoned",queue="billing"} 1.0
# HELP pillarwatch_wait_seconds Wait.
# TYPE pillarwatch_wait_seconds histogram
pillarwatch_wait_seconds_bucket{channel="voice",le="20.0",queue="billing"} 2.0
pillarwatch_wait_seconds_bucket{channel="voice",le="+Inf",queue="billing"} 3.0
pillarwatch_wait_seconds_count{channel="voice",queue="billing"} 3.0
pillarwatch_wait_seconds_sum{channel="voice",queue="billing"} 41.5
# HELP faust_active_messages Active.
# TYPE faust_active_messages gauge
faust_active_messages 0.0
"""


def test_only_the_named_samples_are_kept() -> None:
    got = parse(PAGE, {"pillarwatch_contacts_total", "faust_active_messages"})
    assert set(got) == {"pillarwatch_contacts_total", "faust_active_messages"}
    answered = (("channel", "voice"), ("outcome", "answered"), ("queue", "billing"))
    assert got["pillarwatch_contacts_total"][answered] == 3.0
    assert got["faust_active_messages"][()] == 0.0


def test_a_histogram_series_is_named_as_on_the_page() -> None:
    got = parse(PAGE, {"pillarwatch_wait_seconds_sum", "pillarwatch_wait_seconds_bucket"})
    assert got["pillarwatch_wait_seconds_sum"][(("channel", "voice"), ("queue", "billing"))] == 41.5
    assert len(got["pillarwatch_wait_seconds_bucket"]) == 2
    assert "pillarwatch_wait_seconds_count" not in got


def test_the_kept_samples_equal_the_full_parse() -> None:
    full = parse(PAGE)
    for name in full:
        assert parse(PAGE, {name})[name] == full[name]


def test_a_name_that_is_a_prefix_of_another_keeps_only_its_own() -> None:
    assert set(parse(PAGE, {"pillarwatch_wait_seconds"})) == set()
