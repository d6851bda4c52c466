"""Unified standards and end uses as data: a rule table that officials can read and edit.

>>> rules = og.rules.load_rules()                   # the default table (resources/rules.yaml)
>>> rules = og.rules.load_rules("my_rules.yaml")    # or a planner's copy
>>> zoned = og.rules.apply_rules(result.zones, sites=result.sites, rules=rules)
>>> zoned[["zone_id", "end_use", "standard", "explanation"]]

The table format and the way it is applied are documented at the top of the default table
(``ordos-geo rules --out rules.yaml`` writes a copy to start from).
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..core.errors import ValidationError
from ..core.settings import settings
from ..core.utils import keywords_after, renamed
from ..core.yaml_tables import load_table, table_text

__all__ = ["Rules", "load_rules", "default_rules_text", "rule_facts", "apply_rules", "FACTS",
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
    return table_text("rules")


def load_rules(path: str | Path | None = None) -> Rules:
    """Read and check a rule table; every problem is reported at once (file, rule, field).

    The file may be UTF-8 or GBK. Numbers are checked against each parameter's ``min`` and
    ``max`` (default ``min: 0``); a region may be one banner or a list; a banner in two regions or
    a region naming an unknown banner is refused.
    """
    problems: list[str] = []
    spec = load_table("rules", path=path, schema=_schema, problems=problems)
    source = "ordos_geo/resources/rules.yaml" if path is None else str(path)
    if spec.get("version") != 1:
        problems.append(f"version {spec.get('version')!r}: this ordos_geo reads rule tables of "
                        "version 1")
    rules = _check(spec, source, problems)
    if problems:
        raise ValidationError(f"{source}: {len(problems)} problem(s) in the rule table:\n- "
                              + "\n- ".join(problems))
    return rules


def _schema(spec: dict) -> dict:
    """The keys a rule table may hold (the standards also take each parameter's name)."""
    labels = {"zh": None, "en": None}
    params = spec.get("parameters") if isinstance(spec.get("parameters"), dict) else {}
    standard = {**labels, "pit_policy": None, "revegetation": dict(labels),
                **{str(p): None for p in params}}
    return {"!": ["version", "rules"], "version": "int", "regions": {"*": None},
            "parameters": {"*": {**labels, "stricter": None, "min": None, "max": None}},
            "pit_policies": {"*": labels}, "end_uses": {"*": labels},
            "standards": {"*": standard},
            "rules": [{"!": ["id", "when", "end_use"], "id": None, **labels,
                       "when": {"*": None}, "end_use": None, "standard": None}]}


def _mapping(spec: dict, key: str, problems: list[str]) -> dict:
    value = spec.get(key)
    if not isinstance(value, dict) or not value:
        problems.append(f"section {key!r} is missing, empty or not a mapping")
        return {}
    bad = [name for name, v in value.items() if not isinstance(v, (dict, list, str))]
    for name in bad:
        problems.append(f"section {key!r}, entry {name!r}: expected a mapping, got {value[name]!r}")
    return {str(k): v for k, v in value.items() if k not in bad}


def _labelled(section: str, entries: dict, problems: list[str]) -> None:
    for name, entry in entries.items():
        for label in ("zh", "en"):
            if not isinstance(entry, dict) or not _visible(entry.get(label)):
                problems.append(f"{section} {name!r}: label {label!r} missing")


def _visible(value) -> bool:
    """Text with something to read: not empty, not only spaces and invisible characters."""
    import re

    return bool(re.sub(r"[\s\u200b-\u200f\u2060\ufeff\u00ad]", "", str(value or "")))


def _regions(spec: dict, problems: list[str]) -> dict[str, str]:
    from ..core.schema import schema

    known = set(schema().banners)
    out: dict[str, str] = {}
    for region, banners in _mapping(spec, "regions", problems).items():
        members = [banners] if isinstance(banners, str) else banners
        if not isinstance(members, list) or not members:
            problems.append(f"region {region!r}: give a banner or a list of banners")
            continue
        for banner in members:
            banner = str(banner)
            if banner not in known:
                problems.append(f"region {region!r}: {banner!r} is not a banner of Ordos "
                                f"({', '.join(sorted(known))})")
            elif banner in out and out[banner] != region:
                problems.append(f"banner {banner!r} is in two regions: {out[banner]!r} and "
                                f"{region!r}")
            else:
                out[banner] = region
    return out


def _parameters(spec: dict, problems: list[str]) -> dict[str, dict]:
    params = _mapping(spec, "parameters", problems)
    _labelled("parameter", params, problems)
    for name, p in params.items():
        p = p if isinstance(p, dict) else {}
        if p.get("stricter") not in ("lower", "higher"):
            problems.append(f"parameter {name!r}: 'stricter' must be 'lower' or 'higher'")
        for bound in ("min", "max"):
            if bound in p and not _is_number(p[bound]):
                problems.append(f"parameter {name!r}: {bound!r} must be a number")
    return params


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _standards(spec: dict, params: dict, policies: dict, problems: list[str]) -> dict:
    standards = _mapping(spec, "standards", problems)
    _labelled("standard", standards, problems)
    for name, st in standards.items():
        st = st if isinstance(st, dict) else {}
        for p, pspec in params.items():
            value = st.get(p)
            if not _is_number(value):
                problems.append(f"standard {name!r}, field {p!r}: a number is required, "
                                f"got {value!r}")
                continue
            low = pspec.get("min", 0) if isinstance(pspec, dict) else 0
            high = pspec.get("max") if isinstance(pspec, dict) else None
            if (_is_number(low) and value < low) or (_is_number(high) and value > high):
                problems.append(f"standard {name!r}, field {p!r}: {value!r} is outside "
                                f"{low}–{high if high is not None else '∞'}")
        if not isinstance(st.get("pit_policy"), str) or st["pit_policy"] not in policies:
            problems.append(f"standard {name!r}, field 'pit_policy': {st.get('pit_policy')!r} is "
                            f"not one of {sorted(policies)}")
        reveg = st.get("revegetation")
        if not isinstance(reveg, dict) or not all(str(reveg.get(k) or "").strip()
                                                  for k in ("zh", "en")):
            problems.append(f"standard {name!r}, field 'revegetation': give zh and en texts")
    return standards


def _check(spec: dict, source: str, problems: list[str]) -> Rules:
    regions = _regions(spec, problems)
    params = _parameters(spec, problems)
    policies = _mapping(spec, "pit_policies", problems)
    _labelled("pit policy", policies, problems)
    end_uses = _mapping(spec, "end_uses", problems)
    _labelled("end use", end_uses, problems)
    standards = _standards(spec, params, policies, problems)
    raw_rules = spec.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append("section 'rules' is missing, empty or not a list")
        raw_rules = []
    parsed = [_rule(k, r, end_uses, standards, problems) for k, r in enumerate(raw_rules)]
    parsed = [r for r in parsed if r is not None]
    for rule in parsed:
        for cond in rule.when:
            why = _known_values(cond, regions)
            if why:
                problems.append(f"rule {rule.id!r}: {why}; the rule could never fire")
    if parsed and parsed[-1].when:
        problems.append(f"the last rule ({parsed[-1].id!r}) must have no condition (when: {{}}), "
                        "so that every zone gets a standard")
    ids = [r.id for r in parsed]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"rule id {dup!r} is used twice")
    return Rules(source, regions, params, policies, end_uses, standards, tuple(parsed))


def _rule(k: int, r, end_uses: dict, standards: dict, problems: list[str]) -> Rule | None:
    if not isinstance(r, dict):
        problems.append(f"rule #{k + 1}: expected a mapping with id, when, end_use, standard; "
                        f"got {r!r}")
        return None
    rid = str(r.get("id", f"#{k + 1}"))
    when = r.get("when") or {}
    if not isinstance(when, dict):
        problems.append(f"rule {rid!r}, field 'when': expected a mapping of fact: condition, "
                        f"got {when!r}")
        when = {}
    conds = []
    for fact, raw in when.items():
        if fact not in FACTS:
            problems.append(f"rule {rid!r}, condition on {fact!r}: unknown fact; allowed: "
                            f"{', '.join(FACTS)}")
            continue
        try:
            conds.append(_condition(fact, raw))
        except ValueError as exc:
            problems.append(f"rule {rid!r}, condition on {fact!r}: {exc}")
    for key, allowed in (("end_use", end_uses), ("standard", standards)):
        if not isinstance(r.get(key), str) or r[key] not in allowed:  # text: a list is no name
            problems.append(f"rule {rid!r}, field {key!r}: {r.get(key)!r} is not one of "
                            f"{sorted(allowed)}")
    return Rule(rid, str(r.get("zh", rid)), str(r.get("en", rid)), tuple(conds),
                str(r.get("end_use")), str(r.get("standard")))


#: Facts that hold text; every other fact is a number.
TEXT_FACTS = ("banner", "priority_area", "region")


def _condition(fact: str, raw: Any) -> Condition:
    if fact not in TEXT_FACTS and not isinstance(raw, list) and not _is_number(raw) and \
            not (isinstance(raw, str) and _OP_RE.match(raw)):
        raise ValueError(f"{raw!r} is not a condition on a number: write '<op> value' with op "
                         "one of >= > <= < == != (e.g. '>= 5'), or a number")
    if isinstance(raw, list):
        if not all(isinstance(v, str) or _is_number(v) for v in raw) or not raw:
            raise ValueError(f"{raw!r}: a list of plain values (text, or finite numbers) is "
                             "required")
        return Condition(fact, "in", tuple(raw))
    if isinstance(raw, (dict, set)):
        raise ValueError(f"{raw!r}: give '<op> value', a value or a list of values")
    if isinstance(raw, str):
        m = _OP_RE.match(raw)
        if m:
            value: Any = m.group(2)
            try:
                value = float(value)
            except ValueError:
                if m.group(1) not in ("==", "!=") or fact not in TEXT_FACTS:
                    raise ValueError(f"{raw!r}: {m.group(1)} needs a number") from None
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{raw!r}: a finite number is required")
            return Condition(fact, m.group(1), value)
    if isinstance(raw, float) and not math.isfinite(raw):
        raise ValueError(f"{raw!r}: a finite number is required")
    return Condition(fact, "==", raw)


def _known_values(cond: Condition, regions: dict[str, str]) -> str | None:
    """Why a condition on ``region`` or ``banner`` names a value that cannot occur (else
    None): such a rule would silently never fire."""
    from ..core.schema import schema

    known = {"region": set(regions.values()), "banner": set(schema().banners)}.get(cond.fact)
    if known is None:
        return None
    values = cond.value if cond.op == "in" else (cond.value,)
    unknown = [v for v in values if str(v) not in known]
    if unknown:
        return (f"{cond.fact} {', '.join(map(repr, unknown))} is not one of "
                f"{', '.join(sorted(known))}")
    return None


@keywords_after(1, ("rules",))
def rule_facts(zones: pd.DataFrame, *, rules: Rules) -> pd.DataFrame:
    """The facts the rule table tests, one row per zone (indexed like ``zones``). (Not
    :func:`ordos_geo.joint.suitability.suitability_facts`, the facts of the suitability
    scores.)"""
    facts = pd.DataFrame(index=zones.index)
    for f in FACTS:
        if f in zones.columns:
            facts[f] = zones[f]
    pit = zones["pit_ha"].astype(float)
    facts["flat_pit_share"] = np.where(pit > 0, zones["flat_floor_ha"] / pit.where(pit > 0), np.nan)
    facts["region"] = zones["banner"].map(rules.regions)
    return facts


@keywords_after(1, ("sites", "rules"))
def apply_rules(zones: gpd.GeoDataFrame, *, sites: pd.DataFrame | None = None,
                rules: Rules | None = None, lang: str | None = None) -> gpd.GeoDataFrame:
    """A copy of ``zones`` with one unified standard and one end use per zone, explained.

    ``sites`` (with ``zone_id`` and, optionally, ``standard``) lets approved member standards
    tighten the zone's numeric parameters (strictest wins).
    """
    rules = rules if rules is not None else load_rules()
    lang = settings.get("lang", lang)
    facts = rule_facts(zones, rules=rules)
    members = _member_standards(sites, rules)
    lacking = _lacking(sites)
    rows = [_decide(zone_id, facts.loc[i].to_dict(), members.get(zone_id, []), rules, lang,
                    lacking.get(zone_id, {}))
            for i, zone_id in zip(zones.index, zones["zone_id"])]
    out = zones.copy()
    decided = pd.DataFrame(rows, index=zones.index)
    for col in STANDARD_COLUMNS:
        out[col] = decided[col]
    return out


#: Site fields behind the facts the rules test, and what a missing value counts as.
FACT_FIELDS = {"open_pit_share": "method", "flat_pit_share": "flat_floor_ha",
               "flat_floor_ha": "flat_floor_ha"}
_ASSUMED = {"method": ("按非露天计", "counted as not open-pit"),
            "flat_floor_ha": ("平整坑底按 0 计", "flat pit floor counted as 0")}


def _lacking(sites: pd.DataFrame | None) -> dict[str, dict[str, list[str]]]:
    """Per zone, the members that lack a field a rule fact depends on: mines without ``method``,
    pits without ``flat_floor_ha``."""
    if sites is None or "zone_id" not in sites.columns:
        return {}
    kind = sites["kind"] if "kind" in sites.columns else pd.Series(None, index=sites.index)
    need = {"method": (kind == "mine") & (sites["method"].isna() if "method" in sites
                                          else True),
            "flat_floor_ha": (kind == "pit") & (pd.to_numeric(sites.get("flat_floor_ha"),
                                                             errors="coerce").isna()
                                                if "flat_floor_ha" in sites else True)}
    out: dict[str, dict[str, list[str]]] = {}
    for field_name, mask in need.items():
        for zone_id, ids in sites.loc[mask, "site_id"].astype(str).groupby(
                sites.loc[mask, "zone_id"]):
            out.setdefault(zone_id, {})[field_name] = sorted(ids)
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
            lang: str, lacking: dict[str, list[str]] | None = None) -> dict:
    rule = next(r for r in rules.rules if all(c.holds(facts) for c in r.when))
    tried = rules.rules[:rules.rules.index(rule) + 1]
    used = {FACT_FIELDS[c.fact] for r in tried for c in r.when if c.fact in FACT_FIELDS}
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
    row["explanation"] = _explain(rule, facts, st, tightened, rules, lang) + _gaps_text(
        {f: ids for f, ids in (lacking or {}).items() if f in used}, lang)
    return row


def _gaps_text(gaps: dict[str, list[str]], lang: str) -> str:
    """What the rules assumed for members that lack a field they depend on."""
    parts = []
    for field_name, ids in sorted(gaps.items()):
        shown = ", ".join(ids[:8]) + ("…" if len(ids) > 8 else "")
        zh, en = _ASSUMED[field_name]
        parts.append(f"成员 {shown} 缺少 {field_name}，{zh}。" if lang == "zh" else
                     f" Members {shown} lack {field_name}: {en}.")
    return "".join(parts)


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



__getattr__ = renamed(__name__, {"zone_facts": ("og.rules.rule_facts", rule_facts)})  # 0.3 name
