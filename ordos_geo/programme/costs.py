"""What each contiguous-remediation zone costs, line by line (治理费用测算).

A zone's cost is the sum of its works, each **quantity × unit price = amount**, the unit prices
from the cost table (``resources/costs.yaml``, each with its source; the packaged prices are
marked "local choice" until a banner replaces them with its budget-norm prices):

=============  ====================================================  ===========================
item           quantity                                              phase
=============  ====================================================  ===========================
earthworks     backfill volume of the zone's balance (``demand_m3``)  earthworks
haul           joint haul (``joint_m3km``)                           earthworks
borrow         outside borrow (``borrowed_m3``)                      earthworks
slope          steep hectares of the zone's sites (``steep_ha``)     slopes_cover
topsoil        disturbed ha × 10,000 × the standard's topsoil cm/100  slopes_cover
retained_pit   hectares of pits kept (``retained_ha``)               slopes_cover
revegetation   disturbed ha, priced by the zone's end use            revegetation
monitoring     disturbed ha × the years of aftercare                 revegetation
=============  ====================================================  ===========================

An input not given (no earthwork balance, no terrain, no retention) leaves its items out of the
zone's cost and names them in ``not_costed``: a cost is never silently low. Prices are at the
table's price year; :func:`escalated` carries an amount to a later year. Ownerless sites are
costed the same and paid from public money (the zone's ``ownerless_share``); a mine's own
restoration fund offsets the mines' share.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.errors import ValidationError
from ..core.settings import settings
from ..core.yaml_tables import load_table

__all__ = ["cost_table", "zone_costs", "escalated", "benefit_weights", "PHASES", "LINE_COLUMNS",
           "COST_COLUMNS"]

#: the phases of a zone's works, in the order they run (one year each at most)
PHASES = ["earthworks", "slopes_cover", "revegetation"]
LINE_COLUMNS = ["zone_id", "phase", "item", "name", "quantity", "unit", "unit_price_yuan",
                "amount_yuan", "source"]
COST_COLUMNS = ["zone_id", "banner", "hectares", "earthworks_wan", "slopes_cover_wan",
                "revegetation_wan", "cost_wan_yuan", "public_wan_yuan", "mines_wan_yuan",
                "fund_wan_yuan", "mines_to_pay_wan_yuan", "price_year", "escalation_pct", "not_costed",
                "weight",
                "weight_reason"]
#: the inputs each item needs, and the column it reads
_NEEDS = {"earthworks": ("balances", "demand_m3"), "haul": ("balances", "joint_m3km"),
          "borrow": ("balances", "borrowed_m3"), "slope": ("steep_ha", None),
          "retained_pit": ("retained_ha", None)}


def cost_table(path=None) -> dict:
    """The cost table: the packaged one, or the user's copy at ``path`` (checked: the items are
    the ones this module costs, each in one of :data:`PHASES`)."""
    table = load_table("costs", path=path)
    source = path or "ordos_geo/resources/costs.yaml"
    known = set(_NEEDS) | {"topsoil", "monitoring"}
    extra = sorted(set(table["items"]) - known)
    if extra:
        raise ValidationError(f"{source}: items {extra} are not costed by ordos_geo (it costs "
                              f"{sorted(known)}); price new works under one of those, or as an "
                              "end use under revegetation.")
    for item, spec in table["items"].items():
        if spec["phase"] not in PHASES:
            raise ValidationError(f"{source}: items.{item}.phase = {spec['phase']!r}; allowed: "
                                  f"{PHASES}.")
    return table


def escalated(amount, *, year, table: dict | None = None):
    """``amount`` (at the table's price year) carried to ``year`` at its escalation rate."""
    table = table or cost_table()
    return amount * (1.0 + table["escalation_pct"] / 100.0) ** (np.asarray(year)
                                                                - table["price_year"])


def zone_costs(zones: pd.DataFrame, *, balances: pd.DataFrame | None = None,
               steep_ha: pd.Series | None = None, retained_ha: pd.Series | None = None,
               funds: pd.Series | None = None, table: dict | None = None,
               lang: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cost of every zone: ``(lines, costs)``.

    ``zones``: ``zone_id``, ``banner``, ``disturbed_ha``, ``end_use``, ``topsoil_cm`` and
    ``ownerless_share`` (the zones with their rules applied). ``balances``: the earthwork
    balance per zone (``zone_id``, ``demand_m3``, ``joint_m3km``, ``borrowed_m3``);
    ``steep_ha``, ``retained_ha`` and ``funds`` (restoration funds, 10,000 yuan): by zone id.
    ``lines`` (:data:`LINE_COLUMNS`): one row per zone and item; ``costs``
    (:data:`COST_COLUMNS`): per zone, in 10,000 yuan (万元).
    """
    table = table or cost_table()
    lang = settings.get("lang", lang)
    raw = zones.reset_index(drop=True)
    zones = _checked_zones(zones, table)
    given = {"balances": _by_zone(balances, zones, "balances"),
             "steep_ha": _series(steep_ha, zones, "steep_ha"),
             "retained_ha": _series(retained_ha, zones, "retained_ha")}
    lines = _lines(zones, given, table, lang)
    costs = _totals(zones, lines, given, _series(funds, zones, "funds"), table)
    weight, why = benefit_weights(zones.assign(**{c: raw[c].to_numpy() for c in
                                                  ("priority_area", "dist_town_km",
                                                   "near_yellow_river") if c in raw.columns}),
                                  table=table)
    costs["weight"], costs["weight_reason"] = weight.to_numpy(), why.to_numpy()
    return lines, costs[COST_COLUMNS]


def benefit_weights(zones: pd.DataFrame, *, table: dict | None = None
                    ) -> tuple[pd.Series, pd.Series]:
    """The weight of each zone's hectares in the schedule (the cost table's ``benefit`` rules:
    1, plus the ownerless share × its bonus, a bonus in a named priority area, near a town,
    near the Yellow River where the zones say so) and its reason, line by line."""
    rule = (table or cost_table())["benefit"]
    n = len(zones)
    share = pd.to_numeric(zones.get("ownerless_share", pd.Series(0.0, index=zones.index)),
                          errors="coerce").fillna(0.0).to_numpy()
    area = zones.get("priority_area", pd.Series(None, index=zones.index)).astype(object)
    named = area.notna().to_numpy() & ~area.astype(str).isin(["其他", "other", "", "None",
                                                              "nan"]).to_numpy()
    town = pd.to_numeric(zones.get("dist_town_km", pd.Series(np.nan, index=zones.index)),
                         errors="coerce").to_numpy()
    near = np.isfinite(town) & (town <= rule["near_town_km"])
    river = zones.get("near_yellow_river", pd.Series(False, index=zones.index)).astype(str) \
        .str.lower().isin(["true", "1", "yes", "是"]).to_numpy()
    weight = rule["base"] + rule["ownerless"] * share + rule["priority_area"] * named \
        + rule["near_town"] * near + rule["near_yellow_river"] * river
    reasons = []
    for k in range(n):
        parts = [f"{rule['base']:g}"]
        if share[k] > 0:
            parts.append(f"+ {rule['ownerless']:g} × ownerless {share[k]:.2f}")
        if named[k]:
            parts.append(f"+ {rule['priority_area']:g} priority area {area.iloc[k]}")
        if near[k]:
            parts.append(f"+ {rule['near_town']:g} town {town[k]:.1f} km")
        if river[k]:
            parts.append(f"+ {rule['near_yellow_river']:g} near the Yellow River")
        reasons.append(" ".join(parts))
    return (pd.Series(weight, index=zones.index, name="weight"),
            pd.Series(reasons, index=zones.index, name="weight_reason"))


def _checked_zones(zones: pd.DataFrame, table: dict) -> pd.DataFrame:
    need = ["zone_id", "banner", "disturbed_ha", "end_use", "topsoil_cm", "ownerless_share"]
    missing = [c for c in need if c not in zones.columns]
    if missing:
        raise ValidationError(f"zones: no column {missing}; cost the zones after the rules are "
                              "applied (they add end_use and topsoil_cm).")
    out = zones[need].copy()
    out["zone_id"] = out["zone_id"].astype(str)
    if out["zone_id"].duplicated().any():
        raise ValidationError(f"zones: zone_id repeated: "
                              f"{sorted(set(out['zone_id'][out['zone_id'].duplicated()]))}.")
    for col in ("disturbed_ha", "topsoil_cm", "ownerless_share"):
        values = pd.to_numeric(out[col], errors="coerce")
        bad = ~np.isfinite(values) | (values < 0) | ((values > 1) if col == "ownerless_share"
                                                   else False)
        if bad.any():
            k = int(np.flatnonzero(bad.to_numpy())[0])
            raise ValidationError(f"zones: zone {out['zone_id'].iloc[k]!r}, {col} = "
                                  f"{zones[col].iloc[k]!r}: not a number ≥ 0"
                                  f"{' and ≤ 1' if col == 'ownerless_share' else ''}.")
        out[col] = values.astype(float)
    unknown = ~out["end_use"].isin(list(table["revegetation"]))
    if unknown.any():
        k = int(np.flatnonzero(unknown.to_numpy())[0])
        raise ValidationError(f"zones: zone {out['zone_id'].iloc[k]!r}, end_use = "
                              f"{out['end_use'].iloc[k]!r}: the cost table prices "
                              f"{sorted(table['revegetation'])}.")
    return out.reset_index(drop=True)


def _numbers(values: pd.Series, ids: pd.Series, what: str, field: str) -> pd.Series:
    """``values`` as floats; anything but a finite number ≥ 0 is an error naming the zone."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    bad = ~np.isfinite(numbers.to_numpy()) | (numbers.to_numpy() < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValidationError(f"{what}: zone {str(ids.iloc[k])!r}, {field} = {values.iloc[k]!r}: "
                              "not a number ≥ 0.")
    return numbers


def _unknown_zones(ids, zones: pd.DataFrame, what: str) -> None:
    stray = sorted(set(map(str, ids)) - set(zones["zone_id"]))
    if stray:
        raise ValidationError(f"{what}: zone ids not among the zones: {stray[:10]}.")


def _by_zone(balances: pd.DataFrame | None, zones: pd.DataFrame, what: str):
    """The earthwork balance by zone id (``demand_m3``, ``joint_m3km``, ``borrowed_m3``)."""
    if balances is None:
        return None
    cols = ["demand_m3", "joint_m3km", "borrowed_m3"]
    missing = [c for c in ["zone_id", *cols] if c not in balances.columns]
    if missing:
        raise ValidationError(f"{what}: no column {missing}.")
    ids = balances["zone_id"].astype(str)
    if ids.duplicated().any():
        raise ValidationError(f"{what}: zone_id repeated: {sorted(set(ids[ids.duplicated()]))}.")
    _unknown_zones(ids, zones, what)
    return pd.DataFrame({c: _numbers(balances[c], ids, what, c).to_numpy() for c in cols},
                        index=ids.to_numpy())


def _series(values: pd.Series | None, zones: pd.DataFrame, what: str):
    if values is None:
        return None
    ids = pd.Series(values.index.astype(str))
    _unknown_zones(ids, zones, what)
    if ids.duplicated().any():
        raise ValidationError(f"{what}: zone_id repeated: {sorted(set(ids[ids.duplicated()]))}.")
    return pd.Series(_numbers(pd.Series(values.to_numpy()), ids, what, what).to_numpy(),
                     index=ids.to_numpy())


def _quantity(item: str, zone, given: dict, table: dict):
    """The quantity of ``item`` for one zone, or None when its input was not given."""
    if item in _NEEDS:
        source, column = _NEEDS[item]
        data = given[source]
        if data is None or zone.zone_id not in data.index:
            return None
        return float(data.at[zone.zone_id, column]) if column else float(data[zone.zone_id])
    if item == "topsoil":
        return zone.disturbed_ha * 10_000.0 * zone.topsoil_cm / 100.0
    if item == "monitoring":
        return zone.disturbed_ha * table["items"]["monitoring"].get("years", 1)
    raise KeyError(item)


def _lines(zones: pd.DataFrame, given: dict, table: dict, lang: str) -> pd.DataFrame:
    rows = []
    for zone in zones.itertuples(index=False):
        for item, spec in table["items"].items():
            quantity = _quantity(item, zone, given, table)
            if quantity is None:
                continue
            rows.append(_line(zone.zone_id, item, spec, quantity, lang))
        use = table["revegetation"][zone.end_use]
        spec = {**use, "unit": "ha", "phase": "revegetation"}
        rows.append(_line(zone.zone_id, f"revegetation:{zone.end_use}", spec, zone.disturbed_ha,
                          lang))
    return pd.DataFrame(rows, columns=LINE_COLUMNS)


def _line(zone_id: str, item: str, spec: dict, quantity: float, lang: str) -> dict:
    return {"zone_id": zone_id, "phase": spec["phase"], "item": item,
            "name": spec["zh" if lang == "zh" else "en"], "quantity": quantity,
            "unit": spec["unit"], "unit_price_yuan": float(spec["yuan"]),
            "amount_yuan": quantity * float(spec["yuan"]), "source": spec["source"]}


def _totals(zones: pd.DataFrame, lines: pd.DataFrame, given: dict, funds, table: dict
            ) -> pd.DataFrame:
    by_phase = lines.pivot_table(index="zone_id", columns="phase", values="amount_yuan",
                                 aggfunc="sum", fill_value=0.0).reindex(
        index=zones["zone_id"], columns=PHASES, fill_value=0.0) / 10_000.0
    out = pd.DataFrame({"zone_id": zones["zone_id"], "banner": zones["banner"],
                        "hectares": zones["disturbed_ha"]})
    for phase in PHASES:
        out[f"{phase}_wan"] = by_phase[phase].to_numpy()
    out["cost_wan_yuan"] = by_phase.sum(axis=1).to_numpy()
    out["public_wan_yuan"] = out["cost_wan_yuan"] * zones["ownerless_share"].to_numpy()
    out["mines_wan_yuan"] = out["cost_wan_yuan"] - out["public_wan_yuan"]
    fund = np.zeros(len(out)) if funds is None else \
        funds.reindex(out["zone_id"]).fillna(0.0).to_numpy()
    out["fund_wan_yuan"] = fund
    out["mines_to_pay_wan_yuan"] = np.maximum(out["mines_wan_yuan"] - fund, 0.0)
    out["price_year"] = table["price_year"]
    out["escalation_pct"] = table["escalation_pct"]
    out["not_costed"] = [_not_costed(z, given) for z in out["zone_id"]]
    return out


def _not_costed(zone_id: str, given: dict) -> str:
    """The items left out of a zone's cost, and why (their input was not given)."""
    left = []
    for item, (source, _) in _NEEDS.items():
        data = given[source]
        if data is None or zone_id not in data.index:
            left.append(f"{item} (no {source})")
    return "; ".join(left)
