"""A file source's poll belongs to the one process that claimed it (``storage.sources.claim_source``),
whether the scheduler of a `raqib run` or a `raqib run --once`: this keeps the claim while the poll
runs, however long it takes."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

from storage import sources as source_store
from storage.db import transaction

log = logging.getLogger(__name__)


class ClaimKeeper:
    """Keeps a won file source claimed while its poll runs: a first poll of a big folder may outlast
    any fixed lease, and another process must not start the same folder meanwhile. Renews every
    third of the lease in a thread; stops when the poll has recorded itself or the claim was lost."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: Callable[[], datetime],
        claim: source_store.SourceClaim | None,
        lease: timedelta,
    ) -> None:
        self.factory, self.clock, self.claim, self.lease = factory, clock, claim, lease
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "ClaimKeeper":
        if self.claim is not None and self.claim.won and self.claim.next_check_at is not None:
            self._thread = threading.Thread(target=self._renew, name=f"lease {self.claim.source_id}", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _renew(self) -> None:
        assert self.claim is not None and self.claim.next_check_at is not None
        held = self.claim.next_check_at
        while not self._stop.wait(self.lease.total_seconds() / 3):
            until = self.clock() + self.lease
            try:
                with transaction(self.factory) as s:
                    if not source_store.renew_claim(s, self.claim.source_id, held, until):
                        return  # the poll recorded its next check, or the claim was lost
                held = until
            except Exception as exc:  # the poll goes on; at worst another process takes the source
                log.warning("could not renew the claim on source %d: %s", self.claim.source_id, exc)
