"""``python -m ordos_geo`` is the ``ordos-geo`` command."""

from .cli.main import main

raise SystemExit(main())
