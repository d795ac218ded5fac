"""What every scheduler duty shares: its sessions, its settings and the loop's interval."""

from __future__ import annotations

from typing import ClassVar, Generic, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker


class Spaced(Protocol):
    @property
    def interval_seconds(self) -> float: ...


SettingsT = TypeVar("SettingsT", bound=Spaced)


class ScheduledDuty(Generic[SettingsT]):
    """A duty of the scheduler, run by ``workers/duty_loop.py``.

    ``more_waiting`` stays False unless a duty's pass can stop with work left: most drain
    everything they find in one ``run_once`` (page after page), so the loop waits the
    interval after every pass.
    """

    name: ClassVar[str]
    more_waiting: bool = False

    def __init__(self, session_factory: sessionmaker[Session], settings: SettingsT) -> None:
        self.session_factory = session_factory
        self.settings = settings

    @property
    def interval_seconds(self) -> float:
        return self.settings.interval_seconds
