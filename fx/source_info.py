"""Where in the user's code something happened: the innermost frame outside fx, for
warnings and for messages that name the user's line."""
from __future__ import annotations

import os
import sys

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
