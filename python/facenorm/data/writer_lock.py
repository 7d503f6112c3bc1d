"""One writer per dataset: an exclusive flock on a sidecar `<dataset>.lock`, taken before the
dataset is created or opened for appending and held for the writer's life.

Without it two jobs started together on one --out could both pass "does the file exist?", and
one could rename its fresh skeleton over the file the other was filling (records lost, both
exiting 0). The sidecar stays after the job: removing it would let a third process lock a file
that a second one has already opened. A lock dies with its process, so a killed job never leaves
a stale lock behind.
"""
import fcntl
import os

from .._core import DatasetError

__all__ = ["WriterLock"]


class WriterLock:
    def __init__(self, dataset_path):
        self.path = os.fspath(dataset_path) + ".lock"
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise DatasetError(f"{os.fspath(dataset_path)}: cannot create the writer lock {self.path} "
                               f"({e.strerror})") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self.fd)
            self.fd = None
            raise DatasetError(f"{os.fspath(dataset_path)}: another facenorm job is writing this dataset "
                               "(its lock is held); wait for it to finish or choose another output") from None

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor drops the flock
            self.fd = None
