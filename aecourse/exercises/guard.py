"""Catch an answer that hands its work to something that already does it.

An exercise asks the learner to write something the course also implements (PSNR in
:mod:`aecourse.metrics`, salt-and-pepper noise in :mod:`aecourse.noise`, ...) or a library
does (``torch.logsumexp``, ``torch.distributions``), and every exercise has a reference
solution. An answer that calls one of those has not done the exercise. :func:`watching`
records, while the answer runs, every call to a forbidden function, recognised by what the
function is rather than by which object or name reaches it:

- a Python function by its code object, so no alias or import style hides it;
- a module or package (``"torch.distributions"``) by where its code lives, so its private
  helpers (``torch.distributions.kl._kl_normal_normal``) and its classes' methods count too;
- a torch operator written in C by its name, so its method form (``values.logsumexp(0)``)
  and aliases (``torch.special.logsumexp``) count as the function itself;
- any other function written in C by identity.

A formula exercise goes further (:class:`Forbidden` with ``formula=True``): its answer may not
use torch at all, since building a layer or running a convolution on a test tensor measures
the number that the formula should compute.
"""
import importlib
import inspect
import os
import sys
import threading
import types
from contextlib import contextmanager

import torch

TORCH = "torch"  # the key under which a formula exercise records the answer's first use of torch
# where torch offers an operator, for labels such as "torch.logsumexp (also as Tensor.logsumexp / ...)"
_NAMESPACES = (("torch", torch), ("Tensor", torch.Tensor), ("torch.special", torch.special),
               ("torch.linalg", torch.linalg), ("torch.fft", torch.fft), ("torch.nn.functional", torch.nn.functional))


def _resolve(target):
    """A function, or a dotted name such as ``"torch.nn.functional.mse_loss"``, as ``(dotted name, object)``.

    The object is a function, or a module where the name is one (``"torch.distributions"``).
    """
    if isinstance(target, types.ModuleType):
        return target.__name__, target
    if not isinstance(target, str):
        return f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', target)}", target
    parts = target.split(".")
    for split in range(len(parts), 0, -1):  # the longest importable module, then attributes
        try:
            value = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for part in parts[split:]:
            value = getattr(value, part)
        return target, value
    raise ImportError(f"Cannot find {target!r}.")


def torch_operator(function):
    """The name of the torch operator written in C that calling ``function`` runs, else None.

    ``torch.logsumexp``, the bound method ``values.logsumexp`` and ``torch.special.logsumexp``
    (``special_logsumexp`` in ``torch._C._special``) are all ``"logsumexp"``.
    """
    name = getattr(function, "__name__", None)
    if not isinstance(name, str) or hasattr(function, "__code__"):
        return None
    owner, defined_on = getattr(function, "__self__", None), getattr(function, "__objclass__", None)
    if isinstance(owner, torch._C.TensorBase) or (isinstance(defined_on, type)
                                                  and issubclass(defined_on, torch._C.TensorBase)):
        return name  # a Tensor method
    module = getattr(function, "__module__", None)
    if isinstance(module, str) and (module == "torch" or module.startswith("torch.")):
        return name.removeprefix(module.rpartition(".")[2].lstrip("_") + "_")  # torch._C._special: special_
    return None


def _operator_label(dotted, name):
    """``"torch.logsumexp (also as Tensor.logsumexp / torch.special.logsumexp)"``: every spelling an answer may use."""
    others = [f"{prefix}.{name}" for prefix, namespace in _NAMESPACES
              if torch_operator(getattr(namespace, name, None)) == name and f"{prefix}.{name}" != dotted]
    return f"{dotted} (also as {' / '.join(others)})" if others else dotted


def _folder(module):
    """Where a module's code lives: the folder of a package (with a trailing separator), a module's file."""
    if hasattr(module, "__path__"):
        return os.path.dirname(module.__file__) + os.sep
    return module.__file__


def _called(frame):
    """``module.Qualified.name`` of the function a frame runs."""
    code = frame.f_code
    return f"{frame.f_globals.get('__name__', '?')}.{getattr(code, 'co_qualname', code.co_name)}"


class Forbidden:
    """What an answer must not call; :meth:`python_call` and :meth:`c_call` recognise a call to it.

    Both return ``(key, label)``: the key says which forbidden thing was used (recorded once),
    the label names it for the learner.

    Args:
        targets: ``(label, object)`` pairs: functions, modules or packages.
        formula: the exercise is a formula on plain numbers, so the answer may not use torch at all.
    """

    def __init__(self, targets, formula=False):
        self.code, self.c_functions, self.operators, self.places = {}, {}, {}, []
        self.formula = formula
        for label, target in targets:
            self._add(label, target)
        if formula:
            self.places.append((_folder(torch), TORCH))

    def _add(self, label, target):
        if isinstance(target, types.ModuleType):
            self.places.append((_folder(target), label))
            return
        target = inspect.unwrap(target)
        if isinstance(target, types.MethodType):
            target = target.__func__
        operator = torch_operator(target)
        if hasattr(target, "__code__"):
            self.code[target.__code__] = label
        elif operator is not None:
            self.operators[operator] = _operator_label(label, operator)
            self._add_aten_overloads(operator, self.operators[operator])
        else:
            self.c_functions[target] = label

    def _add_aten_overloads(self, operator, label):
        """``torch.ops.aten.<operator>.<overload>(...)`` runs a built-in without the operator's name: by identity."""
        packet = getattr(torch.ops.aten, operator, None)
        for overload in packet.overloads() if packet is not None else ():
            self.c_functions[getattr(packet, overload)._op] = f"{label} (as torch.ops.aten.{operator}.{overload})"

    def python_call(self, frame):
        label = self.code.get(frame.f_code)
        if label is not None:
            return label, label
        for folder, place in self.places:
            if frame.f_code.co_filename.startswith(folder):
                return place, f"{place} ({_called(frame)})"
        return None

    def c_call(self, function):
        label = self.c_functions.get(function) if _hashable(function) else None
        if label is not None:
            return label, label
        if self.operators or self.formula:
            name = torch_operator(function)
            if name in self.operators:
                return self.operators[name], self.operators[name]
            if name is not None and self.formula:
                owner = "Tensor" if getattr(function, "__module__", None) is None else function.__module__
                return TORCH, f"torch ({owner}.{function.__name__})"
        return None


def forbidden_functions(name, reference, same_as=(), formula=False):
    """What an answer to the exercise ``name`` must not call, as a :class:`Forbidden`.

    Args:
        name: the function the learner writes (``"psnr"``).
        reference: the exercise's reference solution: the package's own function where the course has one
            (one definition per idea, so no other package function of that name does the same work).
        same_as: further functions, modules or packages (objects or dotted names) that do the exercise's work.
        formula: forbid torch altogether (the exercise is a formula on plain numbers).
    """
    targets = [(f"the exercise's reference solution ({reference.__module__}.{reference.__name__})", reference)]
    targets += [_resolve(target) for target in same_as]
    return Forbidden(targets, formula)


SWITCHED_OFF = "the checker's watch (your code switched off or replaced sys.setprofile)"


@contextmanager
def watching(forbidden):
    """Record calls to ``forbidden`` (a :class:`Forbidden`) made inside the block, in this thread and in
    threads it starts.

    Yields the dict ``{key: label}`` that collects what was used, first use first; if the code
    inside switches the watch off, :data:`SWITCHED_OFF` is recorded too.
    """
    calls = {}

    def profiler(frame, event, arg):
        if event == "call":
            found = forbidden.python_call(frame)
        elif event == "c_call":
            found = forbidden.c_call(arg)
        else:
            return
        if found is not None and found[0] not in calls:
            calls[found[0]] = found[1]

    previous, previous_threads = sys.getprofile(), threading.getprofile()
    sys.setprofile(profiler)
    threading.setprofile(profiler)
    try:
        yield calls
    finally:
        if sys.getprofile() is not profiler:
            calls.setdefault(SWITCHED_OFF, SWITCHED_OFF)
        sys.setprofile(previous)
        threading.setprofile(previous_threads)


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True
