"""The welcome page: the start page shown in the canvas area when there is no file to open.

It offers, one click away, the four architecture templates (``engine.document.templates``) and the
bundled example designs (``engine.resources.example_paths``) as cards — each with its blocks, a
short description and its task — plus a blank design, Open… and the recent files. Help ▸ Welcome
shows it again; any design that opens (or an edit on the canvas) puts the canvas back.

:func:`install_welcome` adds it to a :class:`~designer.main_window.MainWindow`: the canvas and
the page share the central area (a stack), and File ▸ "Open Last File at Start" (stored in
QSettings as ``startup/openLastFile``, on by default) decides what the next start opens —
:func:`last_file_to_open` — the page being the fallback when there is no last file.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .icons import app_icon, block_icon

if TYPE_CHECKING:
    from .main_window import MainWindow

OPEN_LAST_KEY = "startup/openLastFile"
CARD_MIN_WIDTH = 220
CARD_ICON = 22
MAX_CARD_ICONS = 7
MAX_RECENT_SHOWN = 6
PAGE_STYLE = """
QWidget#welcomePage { background: #24262b; }
QLabel { color: #e8e9ec; background: transparent; }
QLabel[role="muted"] { color: #a3a8b3; }
QLabel[role="heading"] { color: #e8e9ec; font-size: 15px; font-weight: 600; }
QLabel[role="title"] { color: #ffffff; font-size: 24px; font-weight: 600; }
QPushButton#welcomeCard { background: #34373e; border: 1px solid #44474f; border-radius: 10px; text-align: left; }
QPushButton#welcomeCard:hover { background: #3b3f47; border: 1px solid #6ea8ff; }
QPushButton#welcomeCard:focus { border: 1px solid #6ea8ff; }
QPushButton#welcomeCard:pressed { background: #2f3238; }
QPushButton[role="link"] { color: #8ab8ff; background: transparent; border: none; text-align: left; padding: 2px 0; }
QPushButton[role="link"]:hover { color: #b5d3ff; text-decoration: underline; }
QPushButton[role="primary"] { background: #3d6fd1; color: white; border: none; border-radius: 6px; padding: 7px 14px; }
QPushButton[role="primary"]:hover { background: #4a7de0; }
QPushButton[role="secondary"] { background: #34373e; color: #e8e9ec; border: 1px solid #4a4e57; border-radius: 6px;
                                padding: 7px 14px; }
QPushButton[role="secondary"]:hover { border-color: #6ea8ff; }
QCheckBox { color: #c4c8d0; }
"""


def open_last_file_at_start(settings: QSettings) -> bool:
    return str(settings.value(OPEN_LAST_KEY, True)).lower() not in ("false", "0")


def last_file_to_open(window: MainWindow) -> Path | None:
    """The file the window opens at start: the most recent one, when the setting is on and it is there."""
    if not open_last_file_at_start(window.settings):
        return None
    recent = window.recent_files()
    return Path(recent[0]) if recent and Path(recent[0]).is_file() else None


def _label(text: str, role: str = "", wrap: bool = False) -> QLabel:
    label = QLabel(text)
    if role:
        label.setProperty("role", role)
    label.setWordWrap(wrap)
    label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
    return label


class WelcomeCard(QPushButton):
    """A clickable card: the design's blocks as icons, its title, what it does and its task."""

    def __init__(self, title: str, description: str, kinds: list[str], task: str, key: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeCard")
        self.setProperty("key", key)
        self.title = title
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAccessibleName(title)
        self.setToolTip(f"{title}: {description}")
        self.setMinimumWidth(CARD_MIN_WIDTH)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        v = QVBoxLayout(self)
        v.setContentsMargins(14, 12, 14, 12)
        v.setSpacing(6)
        icons = QHBoxLayout()
        icons.setSpacing(3)
        for i, kind in enumerate(kinds[:MAX_CARD_ICONS]):
            if i:
                icons.addWidget(_label("›", "muted"))
            icon = _label("")
            icon.setPixmap(block_icon(kind).pixmap(QSize(CARD_ICON, CARD_ICON)))
            icons.addWidget(icon)
        icons.addStretch(1)
        v.addLayout(icons)
        heading = _label(title, "heading")
        v.addWidget(heading)
        text = _label(description, "muted", wrap=True)
        text.setMinimumHeight(text.fontMetrics().height() * 2 + 4)
        text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        v.addWidget(text, 1)
        if task:
            v.addWidget(_label(f"Task: <b>{task}</b>", "muted"))

    def sizeHint(self) -> QSize:  # noqa: N802 - the layout's, not a button's text size
        return self.layout().sizeHint()


def _cards_grid(cards: list[WelcomeCard], columns: int) -> QGridLayout:
    grid = QGridLayout()
    grid.setHorizontalSpacing(14)
    grid.setVerticalSpacing(14)
    for i, card in enumerate(cards):
        grid.addWidget(card, i // columns, i % columns)
    for c in range(columns):
        grid.setColumnStretch(c, 1)
    return grid


def example_title(stem: str) -> str:
    """``dates-gru-attention`` → "Dates — GRU attention": the task's words, then the cell (the
    registry's abbreviation) and what else the file name says."""
    from engine.document import cells

    words = stem.replace("_", "-").split("-")
    at = next((i for i, w in enumerate(words) if cells.is_cell(w)), len(words))
    name = " ".join(words[:at]).capitalize() or stem
    rest = [cells.cell(w).abbreviation if cells.is_cell(w) else w for w in words[at:]]
    return f"{name} — {' '.join(rest)}" if rest else name


def _task_words(metadata: dict) -> str:
    task = metadata.get("task") or {}
    name = task.get("name", "") if isinstance(task, dict) else ""
    return str(name).replace("_", " ")


class WelcomePage(QScrollArea):
    """The start page; it says what was clicked through its signals and does nothing itself."""

    template_chosen = Signal(str)  # an architecture of engine.model.graph.ARCHITECTURES
    example_chosen = Signal(Path)
    recent_chosen = Signal(str)
    blank_requested = Signal()
    open_requested = Signal()
    close_requested = Signal()
    open_last_toggled = Signal(bool)

    def __init__(self, recent: list[str], open_last: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomeView")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        page = QWidget()
        page.setObjectName("welcomePage")
        page.setStyleSheet(PAGE_STYLE)
        self.setWidget(page)
        self.template_cards: list[WelcomeCard] = []
        self.example_cards: list[WelcomeCard] = []
        outer = QHBoxLayout(page)
        outer.setContentsMargins(40, 32, 40, 28)
        outer.setSpacing(36)
        outer.addLayout(self._side(open_last), 0)
        main = QVBoxLayout()
        main.setSpacing(12)
        self._add_templates()
        self._add_examples()
        sections = (("Start from a template", "A working design for each kind of recurrent network, sized for a "
                     "bundled task: press Train and watch it learn.", self.template_cards, 2),
                    ("Examples", "Designs shipped with the app; each opens as a new design, so Save asks where to "
                     "keep yours.", self.example_cards, 3))
        for i, (heading, blurb, cards, columns) in enumerate(sections):
            if i:
                main.addSpacing(10)
            main.addWidget(_label(heading, "heading"))
            main.addWidget(_label(blurb, "muted", wrap=True))
            main.addLayout(_cards_grid(cards, columns))
        main.addStretch(1)
        outer.addLayout(main, 1)
        self.set_recent(recent)

    # ------------------------------------------------------------------ building
    def _side(self, open_last: bool) -> QVBoxLayout:
        side = QVBoxLayout()
        side.setSpacing(10)
        head = QHBoxLayout()
        logo = _label("")
        logo.setPixmap(app_icon().pixmap(QSize(44, 44)))
        head.addWidget(logo)
        head.addWidget(_label("RNN Designer", "title"))
        head.addStretch(1)
        side.addLayout(head)
        side.addWidget(_label("Design recurrent networks visually, train them live, look inside their gates "
                              "and step through beam search.", "muted", wrap=True))
        side.addSpacing(8)
        for text, role, signal, name in (("New Blank Design", "primary", self.blank_requested, "welcomeBlank"),
                                         ("Open…", "secondary", self.open_requested, "welcomeOpen"),
                                         ("Go to the Canvas", "secondary", self.close_requested, "welcomeClose")):
            button = QPushButton(text)
            button.setObjectName(name)
            button.setProperty("role", role)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(signal.emit)
            side.addWidget(button)
        side.addSpacing(14)
        side.addWidget(_label("Recent", "heading"))
        self.recent_box = QVBoxLayout()
        self.recent_box.setSpacing(0)
        side.addLayout(self.recent_box)
        side.addStretch(1)
        self.open_last = QCheckBox("Open the last file at start")
        self.open_last.setObjectName("welcomeOpenLast")
        self.open_last.setChecked(open_last)
        self.open_last.setToolTip("Off: every start shows this page (File ▸ Open Last File at Start)")
        self.open_last.toggled.connect(self.open_last_toggled.emit)
        side.addWidget(self.open_last)
        holder = QWidget()
        holder.setFixedWidth(290)
        holder.setLayout(side)
        wrap = QVBoxLayout()
        wrap.addWidget(holder)
        return wrap

    def _add_templates(self) -> None:
        from engine.document.templates import TEMPLATES, template
        from engine.model.graph import ARCHITECTURES

        for arch in ARCHITECTURES:
            if arch not in TEMPLATES:
                continue
            design = template(arch)
            description = str(design.metadata.get("description", "")).split(": ", 1)[-1]
            description = description[:1].upper() + description[1:]
            card = WelcomeCard(arch.capitalize().replace("-", "‑"), description,
                               [n.kind for n in design.nodes.values()], _task_words(design.metadata), arch, self)
            card.setObjectName("welcomeCard")
            card.clicked.connect(partial(self.template_chosen.emit, arch))
            self.template_cards.append(card)

    def _add_examples(self) -> None:
        from engine.document.design_file import load_design
        from engine.errors import DesignFileError
        from engine.resources import example_paths

        for path in example_paths():
            try:
                design = load_design(path)
            except DesignFileError:  # a damaged installation: the other examples still show
                continue
            title = example_title(path.stem)
            description = str(design.metadata.get("description", ""))
            card = WelcomeCard(title, description, [n.kind for n in design.nodes.values()],
                               _task_words(design.metadata), str(path), self)
            card.clicked.connect(partial(self.example_chosen.emit, path))
            self.example_cards.append(card)

    def set_recent(self, files: list[str]) -> None:
        while self.recent_box.count():
            item = self.recent_box.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        shown = [f for f in files if Path(f).is_file()][:MAX_RECENT_SHOWN]
        for f in shown:
            link = QPushButton(Path(f).name)
            link.setProperty("role", "link")
            link.setToolTip(f)
            link.setCursor(Qt.CursorShape.PointingHandCursor)
            link.clicked.connect(partial(self.recent_chosen.emit, f))
            self.recent_box.addWidget(link)
        if not shown:
            self.recent_box.addWidget(_label("No recent files yet.", "muted"))


class Welcome:
    """The page's place in the window: the central stack, the actions, what a click does."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.page: WelcomePage | None = None  # built the first time it shows
        self._covered: list[QDockWidget] = []  # the docks the page hid, shown again when it goes
        self.stack = QStackedWidget(window)
        self.stack.setObjectName("centralStack")
        view = window.takeCentralWidget()
        self.stack.addWidget(view)
        window.setCentralWidget(self.stack)
        self.actionWelcome = QAction("&Welcome", window)
        self.actionWelcome.setObjectName("actionWelcome")
        self.actionWelcome.setStatusTip("Show the start page: templates, examples and recent files")
        self.actionWelcome.triggered.connect(lambda _c=False: self.show())
        self.actionOpenLast = QAction("Open &Last File at Start", window)
        self.actionOpenLast.setObjectName("actionOpenLastFile")
        self.actionOpenLast.setCheckable(True)
        self.actionOpenLast.setChecked(open_last_file_at_start(window.settings))
        self.actionOpenLast.setStatusTip("On: the next start opens the file you had open last; off: the start page")
        self.actionOpenLast.toggled.connect(self._set_open_last)
        file_menu = window.menuBar().actions()[0].menu()
        file_menu.insertAction(window.actionQuit, self.actionOpenLast)
        file_menu.insertSeparator(window.actionQuit)
        window.menu_help.insertAction(window.actionHelp, self.actionWelcome)
        document = window.document
        document.design_replaced.connect(lambda _d: self.hide())
        document.design_event.connect(lambda _e: self.hide())

    @property
    def showing(self) -> bool:
        return self.page is not None and self.stack.currentWidget() is self.page

    def show(self) -> WelcomePage:
        w = self.window
        if self.page is None:
            page = self.page = WelcomePage(w.recent_files(), self.actionOpenLast.isChecked(), self.stack)
            page.template_chosen.connect(w.new_from_template)
            page.example_chosen.connect(w.new_from_example)
            page.recent_chosen.connect(w.open_file)
            page.blank_requested.connect(w.new_design)
            page.open_requested.connect(lambda: w.open_file())
            page.close_requested.connect(self.hide)
            page.open_last_toggled.connect(self.actionOpenLast.setChecked)
            self.stack.addWidget(page)
        else:
            self.page.set_recent(w.recent_files())
        self.stack.setCurrentWidget(self.page)
        self.cover_docks()
        return self.page

    def cover_docks(self) -> None:
        """A start page takes the whole window: the docks go while it shows (and come back after)."""
        if not self.showing:
            return
        for dock in self.window.findChildren(QDockWidget):
            if dock.isVisible() and not dock.isFloating():
                self._covered.append(dock)
                dock.hide()

    def hide(self) -> None:
        """Back to the canvas, with the docks the page covered."""
        self.stack.setCurrentWidget(self.window.view)
        covered, self._covered = self._covered, []
        for dock in covered:
            dock.show()
        if covered and "problems" in self.window.docks:
            self.window.raise_first_panel()

    def _set_open_last(self, on: bool) -> None:
        self.window.settings.setValue(OPEN_LAST_KEY, on)
        if self.page is not None and self.page.open_last.isChecked() != on:
            self.page.open_last.setChecked(on)


def install_welcome(window: MainWindow) -> Welcome:
    """Give ``window`` its welcome page (``window.welcome``), Help ▸ Welcome and File ▸ Open Last File at Start."""
    window.welcome = Welcome(window)
    return window.welcome
