"""The ``bidean`` console script.

Every command goes through the command group of :mod:`webapp.commands.group` (Flask's, so that
``--app``, ``run``, ``shell`` and plugin commands work as with ``flask``), except
``bidean validate``: the command people run most often, in scripts and editors, needs no
app, database or Flask, and importing Flask alone costs as much as a quick check of a
file.  So ``bidean validate ...`` (with no option before the command name and no
``FLASK_APP``, either of which may choose another app whose settings it must use) runs the
command alone, its settings read from the environment
(``webapp.commands.OWN_SETTINGS``).  ``python bench/cli_bench.py`` times both paths.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import TYPE_CHECKING

from webapp import create_app

if TYPE_CHECKING:
    from flask.cli import FlaskGroup


def make_cli() -> FlaskGroup:
    """The ``bidean`` command group (``webapp.commands.group``)."""
    # Late import, only for the CLI's start-up: `bidean validate` never imports Flask.
    from webapp.commands.group import make_cli as group

    return group(create_app)


#: OpenBLAS, which numpy loads, starts a thread per core as it is imported: about 50 ms
#: of every command that imports numpy (``validate``, ``import``), on the wall clock and
#: more in CPU (``python bench/cli_bench.py``), for nothing.  Bidean does no linear
#: algebra (its one BLAS call is a dot product of two vectors), so its commands take one
#: thread.  A value set in the environment wins; ``serve`` keeps the library's default.
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "1")


def freeze_start_up() -> None:
    """Exempt what start-up made from every later garbage collection (``gc.freeze``).

    The modules ``validate`` imports (numpy, shapely, pyproj, Bidean's checkers) are
    tied in reference cycles (a module's functions point to its namespace, classes to
    their methods) and live until the process ends.  As the interpreter shuts down, its
    collector finds those cycles and frees every object in them one by one, for memory the
    operating system takes back at exit anyway: 24-79 ms of each ``bidean validate`` in
    three runs of ``python bench/cli_bench.py`` (its "start-up not frozen" line).  Frozen,
    they are left to it, and no full collection while the command runs walks them either.
    What checking a file allocates afterwards is collected as usual.  Only for
    ``validate``: it opens nothing but the files it reads and writes nothing but its
    report, so no finaliser of a start-up object has anything left to do at exit.
    """
    gc.freeze()


def main() -> None:
    args = sys.argv[1:]
    if args[:1] != ["serve"]:
        # Before anything imports numpy, which reads it once, as OpenBLAS loads.
        os.environ.setdefault(*BLAS_THREADS)
    if args[:1] == ["validate"] and not os.environ.get("FLASK_APP"):
        # Late imports, only for the CLI's start-up: validate alone, without Flask.
        from webapp.commands import OWN_SETTINGS
        from webapp.commands.validate import validate_command

        freeze_start_up()
        validate_command.main(args[1:], prog_name="bidean validate", obj=OWN_SETTINGS)
        return
    make_cli().main(prog_name="bidean")


if __name__ == "__main__":  # python -X importtime -m webapp.cli --help
    main()
