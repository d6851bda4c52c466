"""Unified standards and end uses as data: a rule table that officials can read and edit.

>>> rules = og.rules.load_rules()                   # the default table (resources/rules.yaml)
>>> rules = og.rules.load_rules("my_rules.yaml")    # or a planner's copy
>>> zoned = og.rules.apply_rules(result.zones, result.sites, rules)
>>> zoned[["zone_id", "end_use", "standard", "explanation"]]

The table format and the way it is applied are documented at the top of the default table
(``ordos-geo rules --out rules.yaml`` writes a copy to start from).
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import yaml

from ._errors import ValidationError
from .settings import settings

__all__ = ["Rules", "load_rules", "default_rules_text", "zone_facts", "apply_rules", "FACTS",
           "STANDARD_COLUMNS"]

#: Facts a rule may test.
FACTS = ("area_ha", "sites_ha", "disturbed_ha", "pit_ha", "flat_floor_ha", "flat_pit_share",
         "n_sites", "n_ownerless", "ownerless_share", "open_pit_share", "dist_town_km", "banner",
         "priority_area", "region")
#: Columns the rules add to the zones table.
STANDARD_COLUMNS = ["end_use", "end_use_label", "standard", "standard_label",
                    "max_final_slope_deg", "bench_height_m", "bench_width_m", "topsoil_cm",
                    "target_cover_pct", "pit_policy", "pit_policy_label", "revegetation",
                    "rule_id", "explanation"]
_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
        "==": operator.eq, "!=": operator.ne}
_OP_RE = re.compile(r"^\s*(>=|<=|==|!=|>|<)\s*(.+?)\s*$")
_SHOW = {">=": "≥", "<=": "≤", "==": "=", "!=": "≠", ">": ">", "<": "<"}


@dataclass(frozen=True)
class Condition:
    fact: str
    op: str  # one of _OPS, or "in"
    value: Any

    def holds(self, facts: dict[str, Any]) -> bool:
        actual = facts.get(self.fact)
        if actual is None or (isinstance(actual, float) and math.isnan(actual)):
            return False
        if self.op == "in":
            return actual in self.value
        return bool(_OPS[self.op](actual, self.value))

    def describe(self, facts: dict[str, Any]) -> str:
        actual = facts.get(self.fact)
        shown = f"{actual:.4g}" if isinstance(actual, (float, np.floating)) else str(actual)
        if self.op == "in":
            return f"{self.fact}={shown} ∈ {{{', '.join(map(str, self.value))}}}"
        if self.op == "==":
            return f"{self.fact}={shown}"
        value = f"{self.value:g}" if isinstance(self.value, float) else str(self.value)
        return f"{self.fact}={shown} {_SHOW[self.op]} {value}"


@dataclass(frozen=True)
class Rule:
    id: str
    zh: str
    en: str
    when: tuple[Condition, ...]
    end_use: str
    standard: str


@dataclass(frozen=True)
class Rules:
    """A validated rule table (see the default ``resources/rules.yaml``)."""

    source: str
    regions: dict[str, str]  # banner -> region
    parameters: dict[str, dict]
    pit_policies: dict[str, dict]
    end_uses: dict[str, dict]
    standards: dict[str, dict]
    rules: tuple[Rule, ...]

    def __repr__(self) -> str:
        return (f"Rules({self.source!r}: {len(self.rules)} rules, "
                f"{len(self.standards)} standards, {len(self.end_uses)} end uses)")

    def standards_table(self, lang: str | None = None) -> pd.DataFrame:
        """The standards as a table (one row per standard) for reports."""
        lang = settings.get("lang", lang)
        rows = []
        for name, st in self.standards.items():
            row = {"standard": name, "label": st[lang]}
            row.update({p: st[p] for p in self.parameters})
            row["pit_policy"] = st["pit_policy"]
            row["revegetation"] = st["revegetation"][lang]
            rows.append(row)
        return pd.DataFrame(rows)


def default_rules_text() -> str:
    """The default rule table as text (YAML with its documentation)."""
    return resources.files("ordos_geo").joinpath("resources/rules.yaml").read_text("utf-8")


def load_rules(path: str | Path | None = None) -> Rules:
    """Read and check a rule table; every problem is reported at once (file, rule, field)."""
    if path is None:
        text, source = default_rules_text(), "ordos_geo/resources/rules.yaml"
    else:
        p = Path(path)
        if not p.exists():
            raise ValidationError(f"Rule table {str(p)!r} not found.")
        text, source = p.read_text("utf-8"), str(p)
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{source}: not valid YAML: {exc}") from None
    problems: list[str] = []
    rules = _check(spec if isinstance(spec, dict) else {}, source, problems)
    if problems:
        raise ValidationError(f"{source}: {len(problems)} problem(s) in the rule table:\n- "
                              + "\n- ".join(problems))
    return rules


def _check(spec: dict, source: str, problems: list[str]) -> Rules:
    for key in ("regions", "parameters", "pit_policies", "end_uses", "standards", "rules"):
        if not isinstance(spec.get(key), (dict, list)) or not spec.get(key):
            problems.append(f"section {key!r} is missing or empty")
    regions = {b: r for r, banners in (spec.get("regions") or {}).items() for b in banners or []}
    params = spec.get("parameters") or {}
    for name, p in params.items():
        if (p or {}).get("stricter") not in ("lower", "higher"):
            problems.append(f"parameter {name!r}: 'stricter' must be 'lower' or 'higher'")
    policies = spec.get("pit_policies") or {}
    end_uses = spec.get("end_uses") or {}
    standards = spec.get("standards") or {}
    for name, st in standards.items():
        st = st or {}
        for p in params:
            if not isinstance(st.get(p), (int, float)) or isinstance(st.get(p), bool):
                problems.append(f"standard {name!r}, field {p!r}: a number is required, "
                                f"got {st.get(p)!r}")
        if st.get("pit_policy") not in policies:
            problems.append(f"standard {name!r}, field 'pit_policy': {st.get('pit_policy')!r} is "
                            f"not one of {sorted(policies)}")
        for label in ("zh", "en"):
            if not st.get(label):
                problems.append(f"standard {name!r}: label {label!r} missing")
        if not isinstance(st.get("revegetation"), dict):
            problems.append(f"standard {name!r}, field 'revegetation': give zh and en texts")
    parsed = []
    for k, r in enumerate(spec.get("rules") or []):
        rid = (r or {}).get("id", f"#{k + 1}")
        conds = []
        for fact, raw in ((r or {}).get("when") or {}).items():
            if fact not in FACTS:
                problems.append(f"rule {rid!r}, condition on {fact!r}: unknown fact; allowed: "
                                f"{', '.join(FACTS)}")
                continue
            try:
                conds.append(_condition(fact, raw))
            except ValueError as exc:
                problems.append(f"rule {rid!r}, condition on {fact!r}: {exc}")
        if (r or {}).get("end_use") not in end_uses:
            problems.append(f"rule {rid!r}, field 'end_use': {r.get('end_use')!r} is not one of "
                            f"{sorted(end_uses)}")
        if (r or {}).get("standard") not in standards:
            problems.append(f"rule {rid!r}, field 'standard': {r.get('standard')!r} is not one of "
                            f"{sorted(standards)}")
        parsed.append(Rule(str(rid), str(r.get("zh", rid)), str(r.get("en", rid)), tuple(conds),
                           str(r.get("end_use")), str(r.get("standard"))))
    if parsed and parsed[-1].when:
        problems.append(f"the last rule ({parsed[-1].id!r}) must have no condition (when: {{}}), "
                        "so that every zone gets a standard")
    ids = [r.id for r in parsed]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"rule id {dup!r} is used twice")
    return Rules(source, regions, params, policies, end_uses, standards, tuple(parsed))


def _condition(fact: str, raw: Any) -> Condition:
    if isinstance(raw, list):
        return Condition(fact, "in", tuple(raw))
    if isinstance(raw, str):
        m = _OP_RE.match(raw)
        if m:
            value: Any = m.group(2)
            try:
                value = float(value)
            except ValueError:
                if m.group(1) not in ("==", "!="):
                    raise ValueError(f"{raw!r}: {m.group(1)} needs a number") from None
            return Condition(fact, m.group(1), value)
    return Condition(fact, "==", raw)


def zone_facts(zones: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The facts the rules test, one row per zone (indexed like ``zones``)."""
    facts = pd.DataFrame(index=zones.index)
    for f in FACTS:
        if f in zones.columns:
            facts[f] = zones[f]
    pit = zones["pit_ha"].astype(float)
    facts["flat_pit_share"] = np.where(pit > 0, zones["flat_floor_ha"] / pit.where(pit > 0), np.nan)
    facts["region"] = zones["banner"].map(rules.regions)
    return facts


def apply_rules(zones: gpd.GeoDataFrame, sites: pd.DataFrame | None = None,
                rules: Rules | None = None, *, lang: str | None = None) -> gpd.GeoDataFrame:
    """A copy of ``zones`` with one unified standard and one end use per zone, explained.

    ``sites`` (with ``zone_id`` and, optionally, ``standard``) lets approved member standards
    tighten the zone's numeric parameters (strictest wins).
    """
    rules = rules if rules is not None else load_rules()
    lang = settings.get("lang", lang)
    facts = zone_facts(zones, rules)
    members = _member_standards(sites, rules)
    rows = [_decide(zone_id, facts.loc[i].to_dict(), members.get(zone_id, []), rules, lang)
            for i, zone_id in zip(zones.index, zones["zone_id"])]
    out = zones.copy()
    decided = pd.DataFrame(rows, index=zones.index)
    for col in STANDARD_COLUMNS:
        out[col] = decided[col]
    return out


def _member_standards(sites: pd.DataFrame | None, rules: Rules) -> dict[str, list[tuple[str, str]]]:
    if sites is None or "standard" not in sites.columns or "zone_id" not in sites.columns:
        return {}
    named = sites[sites["standard"].notna()]
    unknown = named.loc[~named["standard"].isin(list(rules.standards)), ["site_id", "standard"]]
    if len(unknown):
        bad = "; ".join(f"{r.site_id}: {r.standard!r}" for r in unknown.head(10).itertuples())
        raise ValidationError(f"Site field 'standard' names standards that {rules.source} does "
                              f"not define ({bad}); allowed: {sorted(rules.standards)}.")
    out: dict[str, list[tuple[str, str]]] = {}
    for r in named.sort_values("site_id").itertuples():
        out.setdefault(r.zone_id, []).append((str(r.site_id), str(r.standard)))
    return out


def _decide(zone_id: str, facts: dict, members: list[tuple[str, str]], rules: Rules,
            lang: str) -> dict:
    rule = next(r for r in rules.rules if all(c.holds(facts) for c in r.when))
    st = rules.standards[rule.standard]
    row = {"end_use": rule.end_use, "end_use_label": rules.end_uses[rule.end_use][lang],
           "standard": rule.standard, "standard_label": st[lang], "rule_id": rule.id,
           "pit_policy": st["pit_policy"],
           "pit_policy_label": rules.pit_policies[st["pit_policy"]][lang],
           "revegetation": st["revegetation"][lang]}
    tightened = []
    for p, spec in rules.parameters.items():
        value, by = st[p], None
        for site_id, name in members:
            other = rules.standards[name][p]
            stricter = other < value if spec["stricter"] == "lower" else other > value
            if stricter:
                value, by = other, (site_id, name)
        row[p] = value
        if by:
            tightened.append((p, value, by))
    row["explanation"] = _explain(rule, facts, st, tightened, rules, lang)
    return row


def _explain(rule: Rule, facts: dict, st: dict, tightened: list, rules: Rules, lang: str) -> str:
    conds = ", ".join(c.describe(facts) for c in rule.when)
    label = rule.zh if lang == "zh" else rule.en
    use = rules.end_uses[rule.end_use][lang]
    if lang == "zh":
        text = (f"规则 {rule.id}（{label}）" + (f"成立：{conds}" if conds else "（兜底规则）")
                + f" → 用途：{use}；标准：{st['zh']}。")
        for p, value, (site_id, name) in tightened:
            text += (f"{rules.parameters[p]['zh']}取 {value:g}，来自成员 {site_id} "
                     f"已批复的标准 {name}（更严）。")
    else:
        text = (f"Rule {rule.id} ({label}) " + (f"holds: {conds}" if conds else "(fallback)")
                + f" → end use: {use}; standard: {st['en']}.")
        for p, value, (site_id, name) in tightened:
            text += (f" {rules.parameters[p]['en']} = {value:g}, from member {site_id}'s "
                     f"approved standard {name} (stricter).")
    return text
