"""Contiguous-remediation zones: the neighbour graph (``og.adjacency``), the zones
(``og.zones``), unified standards and end uses as data (``og.rules``) and the annual plans checked
against them (``og.plans``)."""
