"""Alerts: a planted spike is found, steady traffic raises nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.analytics.alerts import Observation, find_alerts, packaged_rules

START = datetime(2026, 11, 1, tzinfo=UTC)


def steady(hours: int) -> list[Observation]:
    """Ten messages an hour, one of them a negative outage message, one billing."""
    items = []
    for hour in range(hours):
        for index in range(10):
            drivers = ("outage",) if index == 0 else ("billing",) if index == 1 else ()
            items.append(
                Observation(
                    sent_at=START + timedelta(hours=hour, minutes=index * 5),
                    negative=index < 2,
                    effort=0.1,
                    drivers=drivers,
                    segment="standard",
                    text=f"message {hour}-{index}",
                )
            )
    return items


def test_steady_traffic_raises_no_alert() -> None:
    assert find_alerts(steady(30), packaged_rules()) == []


def test_an_outage_cluster_tripling_in_an_hour_raises_an_alert() -> None:
    items = steady(30)
    spike_hour = START + timedelta(hours=30)
    items += [
        Observation(
            spike_hour + timedelta(minutes=i),
            True,
            0.6,
            ("outage",),
            "standard",
            f"Encore une coupure internet {i}",
        )
        for i in range(12)
    ] + [
        Observation(spike_hour + timedelta(minutes=30 + i), False, 0.1, (), "standard", "ok")
        for i in range(8)
    ]
    alerts = find_alerts(items, packaged_rules())
    outage = [a for a in alerts if a.kind == "driver" and a.key == "outage"]
    assert {a.metric for a in outage} == {"negative_share", "effort"}
    share = next(a for a in outage if a.metric == "negative_share")
    assert share.window_start == spike_hour
    assert share.baseline == 0.1
    assert share.value == 0.6  # 12 negative outage messages of 20 in the hour
    assert share.examples[0].startswith("Encore une coupure")
    assert not [a for a in alerts if a.key == "billing"]
