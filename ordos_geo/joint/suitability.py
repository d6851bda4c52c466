"""End-use suitability of each zone: a transparent multi-criteria score for PV, farmland and
pasture, forest, grassland and tourism, with criteria and weights in an editable table
(``resources/suitability.yaml``; every threshold cited or marked a local choice).

Each criterion scores a fact of the zone linearly between its ``worst`` (0) and ``best`` (1)
value; a use's score (0–100) is the weighted mean of the criteria the zone has data for, and
only when those carry at least ``min_known_weight`` (0.6) of the use's weight — tourism is not
scored 100 on the distance to a town alone when the retained pits are unknown. The missing
facts are named: ``missing_facts`` lists them per use (``tourism: retained_pits``), and the
explanation of the winner says which of its own were left out. The winning use is explained by its criteria, and
compared with the rule table's choice (``end_use`` of :func:`ordos_geo.zoning.rules.apply_rules`):
``agrees`` says whether they match, ``note`` says why they differ.

Zone facts: ``mean_slope_deg``, ``flat_share`` (flat ha / area), ``south_share`` and ``area_ha``
from the terrain of the members (area-weighted), ``years_since_dumping`` (from a site column
``dumping_stopped``, a year, when present), ``retained_pits`` (pits kept by the retention rule),
``dist_town_km`` and the region (``region_east``/``region_west``) from the zones table.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..core.messages import msg
from ..core.settings import settings
from ..core.utils import keywords_after, renamed
from ..core.yaml_tables import load_table

__all__ = ["rules", "suitability_facts", "suitability", "SUITABILITY_COLUMNS"]

SUITABILITY_COLUMNS = ["zone_id", "best_use", "best_score", "end_use", "agrees", "explanation",
                       "note", "missing_facts"]


def rules() -> dict:
    """The suitability table (``resources/suitability.yaml``), checked against its schema."""
    return load_table("suitability")


@keywords_after(1, ("sites", "terrain", "zone_of"))
def suitability_facts(zones: pd.DataFrame, *, sites: pd.DataFrame, terrain: pd.DataFrame,
                      zone_of: pd.Series, retention: pd.DataFrame | None = None,
                      year: int | None = None) -> pd.DataFrame:
    """The facts the suitability criteria read, one row a zone (indexed by ``zone_id``):
    terrain of the members (area-weighted), region, years since dumping, retained pits. (Not
    :func:`ordos_geo.zoning.rules.rule_facts`, the facts the rule table tests.)"""
    from ..core import projection

    t = terrain.set_index("site_id")
    ids = sites["site_id"].astype(str)
    frame = pd.DataFrame({"zone_id": ids.map(zone_of).to_numpy(),
                          "area": projection.area_ha(sites).to_numpy(),
                          "slope": ids.map(t["mean_slope_deg"]).to_numpy(dtype=float),
                          "flat": ids.map(t["flat_ha"]).to_numpy(dtype=float),
                          "south": ids.map(t["south_share"]).to_numpy(dtype=float)})
    if "dumping_stopped" in sites.columns:
        stopped = pd.to_numeric(sites["dumping_stopped"], errors="coerce").to_numpy()
        frame["idle"] = (year or dt.date.today().year) - stopped
    measured = frame.dropna(subset=["slope"])
    w = measured["area"]
    grouped = measured.assign(ws=measured["slope"] * w, wsouth=measured["south"] * w,
                              w=w).groupby("zone_id")
    out = pd.DataFrame({"mean_slope_deg": grouped["ws"].sum() / grouped["w"].sum(),
                        "flat_share": grouped["flat"].sum() / grouped["area"].sum(),
                        "south_share": grouped["wsouth"].sum() / grouped["w"].sum()})
    z = zones.set_index("zone_id")
    out = out.reindex(z.index)
    out["area_ha"] = z["area_ha"]
    out["dist_town_km"] = z.get("dist_town_km")
    if "region" in z:
        region = z["region"]
    else:  # the region the rule table gives each zone's banner
        from ..zoning.rules import load_rules, rule_facts

        region = pd.Series(rule_facts(zones, rules=load_rules())["region"].to_numpy(),
                           index=z.index)
    out["region_east"] = (region == "east").astype(float).where(region.notna())
    out["region_west"] = (region == "west").astype(float).where(region.notna())
    if "idle" in frame:
        out["years_since_dumping"] = frame.groupby("zone_id")["idle"].min().reindex(out.index)
    if retention is not None:
        kept = retention[retention["retained"]].groupby("zone_id").size()
        out["retained_pits"] = kept.reindex(out.index).fillna(0)
    return out


def _score(values: pd.Series, worst: float, best: float) -> pd.Series:
    return ((values - worst) / (best - worst)).clip(0, 1)


def _use_scores(facts: pd.DataFrame, use: dict, min_known: float):
    """One use: its score per zone (NaN below ``min_known`` of its weight), the weighted
    criteria behind it and the facts missing, per zone."""
    total = pd.Series(0.0, index=facts.index)
    weight = pd.Series(0.0, index=facts.index)
    parts = {z: [] for z in facts.index}
    missing = {z: [] for z in facts.index}
    for c in use["criteria"]:
        values = facts[c["fact"]] if c["fact"] in facts else pd.Series(np.nan, index=facts.index)
        s = _score(values.astype(float), c["worst"], c["best"])
        have = s.notna()
        total[have] += c["weight"] * s[have]
        weight[have] += c["weight"]
        for zid in facts.index:
            if have[zid]:
                parts[zid].append((c["weight"] * s[zid], c["fact"], values[zid]))
            else:
                missing[zid].append(c["fact"])
    full = sum(c["weight"] for c in use["criteria"])
    enough = weight >= min_known * full - 1e-9
    return (100.0 * total / weight.where(weight > 0)).where(enough).round(1), parts, missing


@keywords_after(1, ("zones",))
def suitability(facts: pd.DataFrame, *, zones: pd.DataFrame, table: dict | None = None
                ) -> pd.DataFrame:
    """Scores (``score_<use>``, 0–100) and the winner per zone, explained and compared with
    the rule table's ``end_use`` (:data:`SUITABILITY_COLUMNS`)."""
    spec = table or rules()
    min_known = float(spec["min_known_weight"]["value"])
    scores, reasons, missing = {}, {}, {}
    for use, u in spec["uses"].items():
        scores[use], reasons[use], missing[use] = _use_scores(facts, u, min_known)
    table_ = pd.DataFrame({f"score_{u}": v for u, v in scores.items()})
    best = table_.idxmax(axis=1, skipna=True).str.replace("score_", "", regex=False) \
        if table_.notna().any(axis=None) else pd.Series(np.nan, index=table_.index)
    end_use = zones.set_index("zone_id").get("end_use", pd.Series(dtype=object))
    rows = [_row(zid, best.get(zid), spec, table_, reasons, missing, end_use.get(zid))
            for zid in facts.index]
    out = pd.DataFrame(rows, columns=[c for c in SUITABILITY_COLUMNS if c != "zone_id"] +
                       ["zone_id"])
    return out.set_index("zone_id").join(table_).reset_index()


def _row(zid, use, spec, table_, reasons, missing, rule_use) -> dict:
    """One zone's row: the codes (``best_use``, ``end_use``, ``missing_facts``) as they are,
    the explanation and the note in the user's language — end uses and facts by their labels."""
    lang = settings.get("lang")
    gaps = "; ".join(f"{u}: {', '.join(m[zid])}" for u, m in missing.items() if m[zid])
    shown_gaps = "; ".join(f"{_use_label(spec, u, lang)}: {_facts_shown(m[zid], lang)}"
                           for u, m in missing.items() if m[zid])
    if not isinstance(use, str):
        return {"zone_id": zid, "best_use": None, "best_score": np.nan, "end_use": rule_use,
                "agrees": None, "explanation": msg("suit_no_data", missing=shown_gaps or "—"),
                "note": "", "missing_facts": gaps}
    top = sorted(reasons[use][zid], reverse=True)[:3]
    why = ("，" if lang == "zh" else ", ").join(
        f"{_fact_label(fact, lang)} = {value:.2f}" for _, fact, value in top)
    if missing[use][zid]:
        why += msg("suit_missing", missing=_facts_shown(missing[use][zid], lang))
    agrees = rule_use == use or (rule_use == "water" and use == "tourism")
    return {"zone_id": zid, "best_use": use, "best_score": float(table_.loc[zid, f"score_{use}"]),
            "end_use": rule_use, "agrees": bool(agrees),
            "explanation": msg("suit_why", use=_use_label(spec, use, lang), why=why),
            "note": "" if agrees else msg(
                "suit_disagree", rule=_use_label(spec, rule_use, lang),
                score=_score_shown(table_.loc[zid].get(f"score_{rule_use}", np.nan)),
                use=_use_label(spec, use, lang), best=table_.loc[zid, f"score_{use}"]),
            "missing_facts": gaps}


def _use_label(spec: dict, use, lang: str) -> str:
    """An end use as people read it: its label in the suitability table, else in the rule
    table (``water``), else the code."""
    if not isinstance(use, str):
        return "—"
    label = spec["uses"].get(use, {}).get(lang)
    if label:
        return label
    from ..zoning.rules import load_rules

    return load_rules().end_uses.get(use, {}).get(lang) or use


def _fact_label(fact: str, lang: str) -> str:
    """A zone fact as people read it (``resources/headers.yaml``: 平均坡度(°), mean slope (°))."""
    from ..core.schema import headers

    return headers().get(lang, {}).get(fact, fact)


def _facts_shown(facts, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(_fact_label(f, lang) for f in facts)


def _score_shown(score):
    """A score for a sentence: "—" for a use not scored (``water``), never ``nan``."""
    return "—" if pd.isna(score) else score


__getattr__ = renamed(__name__, {"zone_facts": ("og.suitability.suitability_facts",
                                                suitability_facts)})  # 0.3: one name, two things
