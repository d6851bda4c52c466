"""The base every other subpackage builds on; it imports nothing else of ours.

``settings`` (the one options object), ``errors``, ``messages`` (the zh/en catalogue),
``schema`` (canonical fields, the alias table, id normaliser), ``problems`` (validation reports),
``params`` (numeric parameter checks), ``yaml_tables`` (the one loader of rule tables),
``projection`` (``og.projection``), ``utils`` (``og.utils``), ``dictionary`` (``og.dictionary``).
"""
