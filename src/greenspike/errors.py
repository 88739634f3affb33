"""The errors greenspike raises on purpose, and what each one means.

    GreenspikeError                  root: anything greenspike raises deliberately
    ├── InvalidInputError            a bad option, argument, file or value (also a ValueError)
    ├── UnpricedOperationError       a hardware profile has no figure for an operation the
    │                                network does (also a ValueError)
    ├── MissingExtraError            an optional dependency is not installed (also an ImportError)
    ├── LedgerVersionError           a database that is not a ledger this greenspike can use
    │                                (also a ValueError)
    └── EnergyBudgetExceeded         a tracked run's forecast exceeds its energy budget: raised at
                                     the end of an epoch to stop the run there

Each message names the bad value and what would be valid, so that the command line shows it as
one `Error: ...` line (exit status 2). Any other exception is a bug and shows its traceback.
The second base classes keep `except ValueError` / `except ImportError` in callers working.
"""

from __future__ import annotations


class GreenspikeError(Exception):
    """Root of the errors greenspike raises deliberately; catch it to catch them all."""


class InvalidInputError(GreenspikeError, ValueError):
    """A bad option, argument, file or value; the message says what would be valid."""


class UnpricedOperationError(GreenspikeError, ValueError):
    """A hardware profile has no energy figure for an operation the network does."""


class MissingExtraError(GreenspikeError, ImportError):
    """An optional dependency is not installed; the message gives the `pip install` line."""


class LedgerVersionError(GreenspikeError, ValueError):
    """The database is not a greenspike ledger, or one written by a newer greenspike."""


class EnergyBudgetExceeded(GreenspikeError):
    """A tracked run's forecast exceeds its energy budget with high confidence.

    Raised when an epoch window closes, so that the training loop stops between two epochs;
    the tracker then ends the run "interrupted", with the reason in its notes.
    """
