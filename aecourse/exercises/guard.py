"""Catch an answer that hands its work to the package instead of doing it.

An exercise asks the learner to write something the course also implements (PSNR
in :mod:`aecourse.metrics`, salt-and-pepper noise in :mod:`aecourse.noise`, ...),
and every exercise has a reference solution. An answer that calls either of those
has not done the exercise. :func:`watching` records, while the answer runs, every
call to a forbidden function, found by its code object (or, for functions written
in C, by identity), so no alias or import style hides it.
"""
import importlib
import inspect
import pkgutil
import sys
import threading
import types
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

_PACKAGE, _PACKAGE_PATH = __name__.split(".")[0], str(Path(__file__).resolve().parents[1])
# where same-named functions are not the answer
_NOT_IMPLEMENTATIONS = ("aecourse.exercises", "aecourse.course", "aecourse.grading")


@lru_cache(maxsize=None)
def _package_functions():
    """``{name: [(dotted name, function)]}`` of every function defined in the package's implementation modules."""
    found = {}
    for module_info in pkgutil.walk_packages([_PACKAGE_PATH], prefix=f"{_PACKAGE}."):
        if module_info.name.startswith(_NOT_IMPLEMENTATIONS) or module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == module.__name__:
                found.setdefault(name, []).append((f"{module.__name__}.{name}", value))
    return found


def _resolve(target):
    """A function, or a dotted name such as ``"torch.nn.functional.mse_loss"``, as ``(dotted name, function)``."""
    if not isinstance(target, str):
        return f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', target)}", target
    parts = target.split(".")
    for split in range(len(parts) - 1, 0, -1):  # the longest importable module, then attributes
        try:
            value = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:]:
            value = getattr(value, part)
        return target, value
    raise ImportError(f"Cannot find {target!r}.")


def forbidden_functions(name, reference, same_as=()):
    """What an answer to the exercise ``name`` must not call: ``{code object or C function: dotted name}``.

    Args:
        name: the function the learner writes (``"psnr"``); every package function of that
            name is forbidden.
        reference: the exercise's reference solution.
        same_as: further functions (or dotted names) that do the exercise's work.
    """
    targets = [(f"the exercise's reference solution ({reference.__name__})", reference)]
    targets += _package_functions().get(name, [])
    targets += [_resolve(target) for target in same_as]
    forbidden = {}
    for label, function in targets:
        function = inspect.unwrap(function)
        if isinstance(function, types.MethodType):
            function = function.__func__
        forbidden[getattr(function, "__code__", function)] = label
    return forbidden


SWITCHED_OFF = "the checker's watch (your code switched off or replaced sys.setprofile)"


@contextmanager
def watching(forbidden):
    """Record calls to ``forbidden`` functions made inside the block, in this thread and in threads it starts.

    Yields the list that collects the dotted names of the functions called; if the code inside
    switches the watch off, :data:`SWITCHED_OFF` is recorded too.
    """
    calls = []

    def profiler(frame, event, arg):
        if event == "call":
            label = forbidden.get(frame.f_code)
        elif event == "c_call":
            label = forbidden.get(arg) if _hashable(arg) else None
        else:
            return
        if label is not None and label not in calls:
            calls.append(label)

    previous, previous_threads = sys.getprofile(), threading.getprofile()
    sys.setprofile(profiler)
    threading.setprofile(profiler)
    try:
        yield calls
    finally:
        if sys.getprofile() is not profiler and SWITCHED_OFF not in calls:
            calls.append(SWITCHED_OFF)
        sys.setprofile(previous)
        threading.setprofile(previous_threads)


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True
