"""A runner module's `main()` in a process of its own, forked from a server that has
already imported the application.

The fault tests run `flask funding close` or a refund in another process and kill it with
`os._exit` at a named point: the death must be a real process's, with nothing cleaned up.
A fresh interpreter per run spent about two seconds importing the app before doing a
fraction of that in work. multiprocessing's "forkserver" start method keeps one clean
process per test process (no thread, no database connection: only `import`s) and forks
each run from it; the run then builds its own app from its configuration, as before.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import pkgutil
import shutil
import sys
import tempfile
from pathlib import Path

PRELOAD = "tests.kit.forked"  # this module: importing it imports the app's packages


def _import_the_app() -> None:
    import tremplin

    for module in pkgutil.walk_packages(tremplin.__path__, "tremplin."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)


_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload([PRELOAD])


def _child(module: str, argv: list[str], env: dict, out: str, err: str) -> None:
    os.environ.clear()
    os.environ.update(env)
    for fd, path in ((1, out), (2, err)):
        target = os.open(path, os.O_WRONLY | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    sys.stdout = open(1, "w", closefd=False, buffering=1)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False, buffering=1)  # noqa: SIM115
    sys.argv = [module, *argv]
    runner = importlib.import_module(module)
    code = runner.main(*argv)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


class Run:
    """`Run("tests.funding.close_runner", [], env)`: started at once; `communicate()` waits
    and returns (stdout, stderr); `returncode` like subprocess.Popen's."""

    def __init__(self, module: str, argv: list[str], env: dict):
        folder = Path(tempfile.mkdtemp(prefix="forked-"))
        self._out, self._err = folder / "stdout", folder / "stderr"
        self._out.touch()
        self._err.touch()
        self.process = _context.Process(
            target=_child, args=(module, argv, env, str(self._out), str(self._err))
        )
        self.process.start()
        self.returncode: int | None = None

    def communicate(self, timeout: float) -> tuple[str, str]:
        self.process.join(timeout)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join(10)
            raise TimeoutError(f"the runner did not finish within {timeout} s")
        self.returncode = self.process.exitcode
        output = self._out.read_text(errors="replace"), self._err.read_text(errors="replace")
        shutil.rmtree(self._out.parent, ignore_errors=True)
        return output


def run(module: str, argv: list[str], env: dict, timeout: float = 120) -> tuple[int, str, str]:
    runner = Run(module, argv, env)
    out, err = runner.communicate(timeout)
    return runner.returncode, out, err


_import_the_app()  # in the fork server (its preload), and harmlessly in the test process
