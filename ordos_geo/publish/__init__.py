"""What officials and GIS staff receive: offline HTML maps (``og.maps``), printable zone sheets
(``og.sheets``), published file sets (``og.export``) and the one symbology table they share
(:mod:`~ordos_geo.publish.symbology`)."""
