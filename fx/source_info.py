"""Where in the user's code something happened: the innermost frame outside fx, for
warnings and messages that name the user's line, and the `SourceInfo` every traced
equation records (fx/ir/jaxpr.py's Eqn.source_info).

Tracing records the user's frame when it stages an equation. Transforms that build new
equations from old ones (jvp, vmap, transposition) evaluate the old equation under
`at(eqn.source_info)`, so what they stage points to the same line; transposition marks it
(`transposed()`), so that a message can say "in the transpose of div, from model.py:12".
"""
from __future__ import annotations

import operator
import os
import sys
import threading

_FX_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _is_fx(frame):
    return frame.f_code.co_filename.startswith(_FX_DIR)


def user_frame(depth=1):
    """The innermost frame of the caller's stack that is not fx's own code (None if every
    frame is fx's). `depth` frames above this function are skipped first."""
    frame = sys._getframe(depth)
    while frame is not None and _is_fx(frame):
        frame = frame.f_back
    return frame


def user_location(depth=2):
    """"file:line (function)" of the innermost user frame, or "" when there is none."""
    frame = user_frame(depth)
    if frame is None:
        return ""
    return f"{frame.f_code.co_filename}:{frame.f_lineno} ({frame.f_code.co_name})"


def user_stacklevel():
    """The `stacklevel` for warnings.warn, called from fx, that points at the user's line."""
    frame, level = sys._getframe(1), 1
    while frame is not None and _is_fx(frame):
        frame, level = frame.f_back, level + 1
    return level


class SourceInfo(tuple):
    """A user's instruction (its code object and bytecode offset) and the transform that
    derived the equation from the one written there ("" for the forward computation). A
    tuple, made once per staged equation, so making one costs no Python-level call; the
    line number is looked up only when it is read (reading a frame's f_lineno scans the
    code's line table, which would cost every staged equation a third of its capture)."""
    __slots__ = ()
    code, offset, transform = (property(operator.itemgetter(i)) for i in range(3))

    def __new__(cls, code, offset, transform=""):
        return tuple.__new__(cls, (code, offset, transform))

    @property
    def line(self):
        return _line_at(self.code, self.offset)

    @property
    def file(self):
        return self.code.co_filename

    @property
    def function(self):
        return self.code.co_name

    def transposed(self):
        return SourceInfo(self.code, self.offset, "transpose")

    def location(self):
        return f"{os.path.basename(self.file)}:{self.line} {self.function}()"

    def __str__(self):
        return f"{self.transform} of {self.location()}" if self.transform else self.location()

    def __repr__(self):
        return f"SourceInfo({self})"


def _line_at(code, offset):
    """The source line of the instruction at bytecode `offset` in `code`."""
    line = code.co_firstlineno
    for start, end, number in code.co_lines():
        if start <= offset < end:
            return number if number is not None else line
        if number is not None:
            line = number
    return line


_state = threading.local()
_new = tuple.__new__


# ids of code objects known to be fx's (a code object hashes by its contents, slowly; fx's
# live as long as their modules, so their ids stay theirs)
_fx_codes = set()


def current():
    """The source of an equation staged now: the one being transformed (`at`), else the
    user's innermost frame (None when fx itself is the caller). Called for every staged
    equation, so the frame walk is kept lean."""
    info = getattr(_state, "current", None)
    if info is not None:
        return info
    try:  # (the frames it skips are fx's: the staging trace's and Primitive.bind's)
        frame = sys._getframe(SKIPPED_FRAMES)
    except ValueError:
        return None
    fx_codes = _fx_codes
    while frame is not None:
        code = frame.f_code
        if id(code) not in fx_codes:
            if not code.co_filename.startswith(_FX_DIR):
                return _new(SourceInfo, (code, frame.f_lasti, ""))
            fx_codes.add(id(code))
        frame = frame.f_back
    return None


# current() <- JaxprBuilder.add_eqn <- StagingTrace.stage <- process_primitive <- bind: the
# frames above current() that are always fx's when it is called
SKIPPED_FRAMES = 4


def at(info):
    """Make `info` the source of what is staged until `restore(previous)`; returns the
    previous one. (Two plain calls rather than a context manager: transforms call them
    once per equation.)"""
    previous = getattr(_state, "current", None)
    _state.current = info
    return previous


def restore(previous):
    _state.current = previous


def in_pass(prim, source) -> str:
    """", in the forward pass, from f.py:3 loss()" or ", in the backward pass: the transpose
    of div, from f.py:3 loss()" ("" without a source): where a primitive ran."""
    if source is None:
        return ""
    if source.transform == "transpose":
        return f" in the backward pass: the transpose of {prim}, from {source.location()}"
    return f" in the forward pass, from {source.location()}"
