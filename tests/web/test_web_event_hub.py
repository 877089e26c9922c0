"""The event hub's subscriptions: a subscriber that falls behind ends (its socket closes
1011 and the client reads the snapshot again) instead of holding events without bound."""

from __future__ import annotations

import asyncio

import pytest

from spinelift.web.event_hub import StreamEndedError, Subscription, Verdict


def test_a_subscriber_that_falls_behind_ends_after_what_it_holds() -> None:
    async def scenario() -> tuple[list[int], str]:
        sub = Subscription(7, "p:7:events", limit=3)
        for n in range(5):  # the 4th offer finds 3 waiting: the subscription ends
            sub.offer(({"n": n}, Verdict(1, 1)))
        got = [(await sub.get())[0]["n"] for _ in range(3)]
        with pytest.raises(StreamEndedError) as ended:
            await sub.get()
        return got, str(ended.value)

    got, reason = asyncio.run(scenario())
    assert got == [0, 1, 2]
    assert "reconnect" in reason
