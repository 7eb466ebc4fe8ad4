"""Login throttling, pure: how long a source address waits before its next login attempt (issue 14).

Growing delays, never a lock that the right password cannot pass from another address: an address is slowed by its
own failures (over every username it tried, and more quickly for one username it keeps trying); the failures of a
username from every address together slow it only gently, per address. So a third party who types a polling team's
predictable username wrong from its own address slows only itself, and the team logs in from its phone at once.
The counts come from the login_attempt table (core.accounts.login_wait), so every worker sees the same state.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    """The thresholds; app.py's LOGIN_* settings (README, "Login throttling") build one."""

    window: timedelta = timedelta(hours=1)  # failures older than this are forgotten
    address_free: int = 10  # failures from one address, any usernames, before it waits (one address, many names)
    pair_free: int = 5  # failures of one username from one address before that address waits
    max_delay: timedelta = timedelta(minutes=15)  # the growing delay's cap for one username from one address
    # …and for an address over all usernames: polling teams on election Sunday reach the app through a mobile
    # carrier's shared addresses (carrier-grade NAT), so a stranger's failures there may delay a team by a minute
    # at most, while one address sweeping many usernames still gets one try a minute.
    address_max_delay: timedelta = timedelta(minutes=1)
    account_gentle_after: int = 50  # failures of one username from all addresses within the window…
    account_gentle_interval: timedelta = timedelta(seconds=10)  # …then each address tries it once per interval


@dataclass(frozen=True)
class FailureCounts:
    """What the table says about one attempt's address and username, within the policy's window."""

    address_failures: int = 0  # from this address, any username
    address_last_failure: datetime | None = None
    pair_failures: int = 0  # of this username from this address
    pair_last_failure: datetime | None = None
    account_failures: int = 0  # of this username from every address
    account_last_try_here: datetime | None = None  # the last attempt (not refused) of this username from this address


def growing_delay(failures: int, free: int, cap: timedelta) -> timedelta:
    """Nothing for the first `free` failures, then 1, 2, 4, 8… seconds after the last one, up to `cap`."""
    if failures < free:
        return timedelta(0)
    exponent = failures - free
    if exponent >= 30:  # 2**30 s is far beyond any cap; avoids building huge numbers
        return cap
    return min(timedelta(seconds=2 ** exponent), cap)


def login_wait(counts: FailureCounts, now: datetime, policy: ThrottlePolicy) -> timedelta:
    """How long the address must still wait before this username may be tried from it (zero: try now)."""
    waits = [timedelta(0)]
    if counts.address_last_failure is not None:
        delay = growing_delay(counts.address_failures, policy.address_free, policy.address_max_delay)
        waits.append(counts.address_last_failure + delay - now)
    if counts.pair_last_failure is not None:
        delay = growing_delay(counts.pair_failures, policy.pair_free, policy.max_delay)
        waits.append(counts.pair_last_failure + delay - now)
    if counts.account_failures >= policy.account_gentle_after and counts.account_last_try_here is not None:
        waits.append(counts.account_last_try_here + policy.account_gentle_interval - now)
    return max(waits)
