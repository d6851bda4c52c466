"""The demo on the embedded data (:mod:`~ordos_geo.demo.run`, ``og.demo.run_demo``) and the
synthetic planning data set it uses (:mod:`~ordos_geo.demo.synthetic`, ``og.synthetic``)."""

from .run import plot_curves, run_demo, summary_by_banner

__all__ = ["run_demo", "summary_by_banner", "plot_curves"]


# 0.3's demo.py was one module: its other public names, from where they live now (deprecated)
from ..core.utils import renamed as _renamed  # noqa: E402

__getattr__ = _renamed(__name__, {}, homes=('ordos_geo.demo.run',))
