"""Before Qt starts: are the system libraries its GUI needs installed?

Qt's wheels carry Qt but not the X11/OpenGL system libraries it links against. When one is missing Qt
prints a hint about a single package and aborts the process (exit 134), or ``import PySide6.QtWidgets``
fails with a bare ``ImportError``. This module tries to load each library with the dynamic loader
(:func:`ctypes.CDLL`, the same search Qt's loader does) and names the Debian/Ubuntu packages that provide
the missing ones, so the viewer can say what to install and exit cleanly. It never imports Qt.

The lists were taken from ``readelf -d`` (NEEDED) of PySide6's ``libQt6Gui``, ``libQt6Widgets``,
``libQt6DBus``, ``libQt6XcbQpa`` and ``plugins/platforms/libqxcb.so`` (PySide6 6.6–6.11), mapped to
Debian 12 / Ubuntu 22.04+ packages with ``dpkg -S``.
"""
from __future__ import annotations

import ctypes
import sys
from dataclasses import dataclass
from typing import Callable, Mapping

#: Shared libraries every Qt GUI platform needs (offscreen included) → the package that ships them.
GUI_LIBRARIES: dict[str, str] = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libX11.so.6": "libx11-6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libdbus-1.so.3": "libdbus-1-3",
}

#: Shared libraries of Qt's X11 platform plugin (xcb) → package.
XCB_LIBRARIES: dict[str, str] = {
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
}

#: Every package the viewer needs on a fresh Debian/Ubuntu (the README's first command installs these).
SYSTEM_PACKAGES: tuple[str, ...] = tuple(dict.fromkeys([*GUI_LIBRARIES.values(), *XCB_LIBRARIES.values()]))

#: Exit status of the viewer when the system cannot run it (Qt's own abort is 134).
EXIT_MISSING_SYSTEM = 3


def apt_line(packages: tuple[str, ...] | list[str] = SYSTEM_PACKAGES) -> str:
    return "sudo apt-get install -y " + " ".join(packages)


@dataclass(frozen=True)
class PlatformProblem:
    """Why the GUI cannot start here: the missing libraries (soname → package), no display named, or an X
    display (``unreachable``) that does not answer."""

    missing: dict[str, str]
    no_display: bool = False
    unreachable: str | None = None

    def message(self) -> str:
        lines = []
        if self.missing:
            packages = list(dict.fromkeys(self.missing.values()))
            lines += ["anyecg-viewer: Qt cannot start: these system libraries are missing:",
                      "    " + " ".join(self.missing),
                      "Install them (Debian/Ubuntu) with:",
                      "    " + apt_line(packages)]
        if self.no_display:
            lines += ["anyecg-viewer: no X display to open the window on (DISPLAY is not set)."]
        if self.unreachable is not None:
            lines += [f"anyecg-viewer: cannot connect to the X display DISPLAY={self.unreachable} (no X server "
                      "answers there, or this user may not use it: see xauth/xhost; over ssh use ssh -X)."]
        lines += ["Without a screen (servers, CI) run it headless with QT_QPA_PLATFORM=offscreen",
                  "(e.g. `anyecg-viewer --demo --screenshot demo.png`), or under a virtual display:",
                  "`xvfb-run -a anyecg-viewer --demo` (package xvfb)."]
        return "\n".join(lines)


def uses_xcb(env: Mapping[str, str]) -> bool:
    """True when Qt will use its X11 (xcb) platform: asked for explicitly, or by default on a Linux session
    that is not Wayland (on Wayland Qt picks its own Wayland plugin first)."""
    if not sys.platform.startswith("linux"):
        return False
    wanted = env.get("QT_QPA_PLATFORM", "").strip()
    if wanted:
        return wanted.split(";")[0].split(":")[0] == "xcb"
    return not env.get("WAYLAND_DISPLAY")


def load_library(soname: str) -> object:
    """Open a shared library by soname with the dynamic loader; :class:`OSError` when it cannot."""
    return ctypes.CDLL(soname)


def display_reachable(display: str) -> bool:
    """True when an X server accepts a connection at ``display`` (libxcb's ``xcb_connect``, as Qt's xcb plugin
    connects; Qt aborts when it fails)."""
    lib = ctypes.CDLL("libxcb.so.1")
    lib.xcb_connect.restype = ctypes.c_void_p
    lib.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    lib.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    lib.xcb_disconnect.argtypes = [ctypes.c_void_p]
    conn = lib.xcb_connect(display.encode(), None)  # never NULL: a failed connection is an error object
    try:
        return lib.xcb_connection_has_error(conn) == 0
    finally:
        lib.xcb_disconnect(conn)


def _loads(soname: str, load: Callable[[str], object]) -> bool:
    try:
        load(soname)
    except OSError:
        return False
    return True


def check_platform(env: Mapping[str, str], load: Callable[[str], object] | None = None,
                   connect: Callable[[str], bool] | None = None) -> PlatformProblem | None:
    """The problem that would make Qt abort on this machine with this environment, or None.

    ``load`` opens a shared library by soname and raises :class:`OSError` when it cannot (default
    :func:`load_library`); ``connect`` says whether an X display answers (default :func:`display_reachable`)."""
    if not sys.platform.startswith("linux"):
        return None
    load = load or load_library
    connect = connect or display_reachable
    wanted = dict(GUI_LIBRARIES)
    xcb = uses_xcb(env)
    if xcb:
        wanted.update(XCB_LIBRARIES)
    missing = {so: pkg for so, pkg in wanted.items() if not _loads(so, load)}
    no_display = xcb and not env.get("DISPLAY")
    unreachable = None
    if xcb and not missing and not no_display and not connect(env["DISPLAY"]):
        unreachable = env["DISPLAY"]
    if missing or no_display or unreachable:
        return PlatformProblem(missing, no_display, unreachable)
    return None
