"""Interactive notebook widgets (ipywidgets) over the toolkit's own functions.

Each widget is a function returning an ``ipywidgets`` container that a notebook
displays; underneath each is a pure function that scripts and tests can call
without a browser or a kernel:

=====================  ==============================  ===========================================
widget                 pure function                   what it shows
=====================  ==============================  ===========================================
:func:`link_explorer`  :func:`link_view`               one link: lagged scatter, lag profile, verdict
:func:`lever_sliders`  :func:`lever_view`              lever simulation: a step or pulse in one KPI
                                                        propagated through the supported links, median
                                                        path and 90% band of the Financial KPIs
:func:`what_if_sliders` :func:`what_if`                what-if on the long-run effects of supported
                                                        links (arithmetic, no timing, no uncertainty)
:func:`status_dashboard` :func:`dashboard_report`      actuals -> KPI statuses and roll-up scores
:func:`power_simulator` :func:`estimate_power`         "how many periods do I need?" by Monte Carlo
=====================  ==============================  ===========================================

Every widget's output also holds a static snapshot of its current result (the figure and
table as HTML, the figure as PNG), so an exported notebook (``jupyter nbconvert --to html``,
Quarto, a code host) shows the result without a kernel or saved widget state.
:func:`readable` writes a DataFrame's numbers with the shared formatter for notebook tables.

``ipywidgets`` and ``matplotlib`` are imported only when a widget or figure is built;
without ipywidgets a :class:`~bsc_toolkit.errors.MissingDependencyError` names the
extra to install (``pip install 'bsc-toolkit[notebooks]'``).

Examples
--------
>>> from bsc_toolkit.widgets import estimate_power
>>> estimate_power(effect=0.5, n_units=10, n_periods=12, n_sims=4).n_sims
4
"""

from __future__ import annotations

from .dashboard import dashboard_report, status_dashboard
from .levers import LeverView, lever_choices, lever_range, lever_sliders, lever_view
from .links import LinkView, link_explorer, link_view
from .power import PowerResult, estimate_power, power_curve, power_simulator
from .tables import readable
from .whatif import WhatIfResult, what_if, what_if_sliders

__all__ = [
    "LeverView", "LinkView", "PowerResult", "WhatIfResult", "dashboard_report", "estimate_power",
    "lever_choices", "lever_range", "lever_sliders", "lever_view", "link_explorer", "link_view",
    "power_curve", "power_simulator", "readable", "status_dashboard", "what_if", "what_if_sliders",
]
