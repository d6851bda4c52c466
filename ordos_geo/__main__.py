"""``python -m ordos_geo`` is the ``ordos-geo`` command."""

from .cli import main

raise SystemExit(main())
