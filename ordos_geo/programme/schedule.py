"""Which zones to fund in which year under the budget (治理项目年度安排): a mixed-integer programme
solved exactly by HiGHS (:func:`scipy.optimize.milp`).

Each funded zone runs its three phases (:data:`~.costs.PHASES`: earthworks → slopes and cover →
revegetation) in three consecutive years within the plan's years; a zone is funded whole or not
at all. A phase's cost is carried from the cost table's price year to the year it is paid
(escalation). Per year the works of each banner stay within the banner's budget, and the works of
all banners within the city's, where those budgets are given. A zone that must finish by a year
(a deadline) is funded and finishes by then; a precedence ``(a, b)`` funds ``b`` only after ``a``
has finished. The objective: the hectares restored, each zone's weighted (:func:`weights`),
counted in the year the zone finishes and discounted, so earlier counts more.

The answer carries its optimality gap, **near-optimal alternatives** that fund other sets of zones
(each within ``tolerance`` of the optimum), and per zone why it sits in its year. A programme
with no answer is explained: which budget falls short in which year and by how much, or which
deadline cannot be met.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import LinearConstraint, milp

from ..core.errors import ValidationError
from ..core.messages import msg
from ..core.schema import normalise_id
from ..core.settings import settings
from .costs import PHASES

__all__ = ["Programme", "Answer", "schedule", "annual_plans", "SCHEDULE_COLUMNS", "CITY",
           "YEARS", "MAX_YEARS"]

SCHEDULE_COLUMNS = ["zone_id", "year", "phase", "cost_wan_yuan", "hectares", "reason"]
#: the budget row that bounds all banners together
CITY = "city"
#: plan years the schedule accepts, and the longest programme
YEARS, MAX_YEARS = (2000, 2100), 30
#: bounds no real value reaches (the solver's arithmetic fails on absurd magnitudes): the area
#: of Ordos, a zone of 100 billion yuan, a year's budget of a trillion yuan, a weight of 100
MAX_HECTARES, MAX_WAN, MAX_BUDGET_WAN, MAX_WEIGHT = 8_675_200.0, 1e7, 1e8, 100.0
_CITY_NAMES = {"city", "全市", "市级", "鄂尔多斯市"}


@dataclass
class Programme:
    """The programme as the solver sees it: zones, their phase costs by start year, budgets."""
    zones: pd.DataFrame            # zone_id, banner, hectares, weight, phase costs (price year)
    years: list[int]
    budgets: dict                  # (banner or CITY, year) -> 10,000 yuan
    deadlines: dict                # zone_id -> year
    precedence: list               # (before, after) zone ids
    escalation_pct: float = 0.0    # the default of zones without their own rate
    price_year: int | None = None  # the default of zones without their own price year
    discount_pct: float = 5.0
    lang: str | None = None

    @property
    def starts(self) -> list[int]:
        return self.years[: len(self.years) - len(PHASES) + 1]


@dataclass
class Answer:
    """A schedule: ``table`` (:data:`SCHEDULE_COLUMNS`, every zone, unfunded ones with no year),
    the objective, the gap HiGHS proved, the funded zone ids, and alternatives."""
    table: pd.DataFrame
    objective: float
    gap: float
    funded: frozenset
    status: str
    alternatives: list = field(default_factory=list)
    shortfalls: pd.DataFrame | None = None


def schedule(costs: pd.DataFrame, *, budgets: pd.DataFrame, years: Iterable[int],
             must: pd.DataFrame | dict | None = None, precedence: Iterable[tuple] = (),
             escalation_pct: float = 0.0, price_year: int | None = None,
             discount_pct: float = 5.0, alternatives: int = 0, tolerance: float = 0.01,
             gap: float = 1e-4, time_limit: float = 60.0, lang: str | None = None,
             sources: dict | None = None) -> Answer:
    """The optimal schedule of ``costs`` (per zone: ``zone_id``, ``banner``, ``hectares``, the
    phase costs ``earthworks_wan``, ``slopes_cover_wan``, ``revegetation_wan`` in 10,000 yuan at
    ``price_year``; optional ``weight``, default 1) under ``budgets`` (``year``, ``banner`` — a
    banner's name or ``city``/全市 — and ``budget_wan``) over ``years``. ``must``: a table of
    ``zone_id`` and ``by_year`` (finish by), or a mapping. ``precedence``: ``(before, after)``
    zone id pairs. ``alternatives``: how many near-optimal schedules (each within ``tolerance``
    of the optimum, each funding another set of zones) to find as well. The reasons are in
    ``lang`` (default ``settings.lang``). ``sources``: the files the tables came from
    (``{"costs": path, "budget": path, "must": path}``), so an error names the file and its
    line rather than the table and its row."""
    where = _Where(sources or {})
    programme = _programme(costs, budgets, years, must, precedence, escalation_pct, price_year,
                           discount_pct, where)
    programme.lang = lang
    model = _Model(programme)
    res = model.solve(gap=gap, time_limit=time_limit)
    if res.x is None and res.status != 2:  # not proven infeasible: the solver stopped
        raise ValidationError(f"HiGHS found no schedule ({res.message}); allow more time or "
                              "give a smaller programme.")
    if res.x is None:
        return Answer(_unfunded_table(programme), float("nan"), float("nan"), frozenset(),
                      "infeasible", shortfalls=model.shortfalls(time_limit))
    best = model.answer(res)
    for _ in range(alternatives):
        cut = model.alternative(best, tolerance, gap=gap, time_limit=time_limit,
                                seen=[best.funded, *[a.funded for a in best.alternatives]])
        if cut is None:
            break
        best.alternatives.append(cut)
    # HiGHS stops within ``gap`` of its bound: an alternative may come out a little better;
    # the best found is the answer, the others its alternatives
    ranked = sorted([best, *best.alternatives], key=lambda a: -a.objective)
    top = ranked[0]
    top.alternatives = ranked[1:]
    if top is not best:
        best.alternatives = []
    return top


class _Where:
    """Where a table's k-th data row is: ``budget row 4`` for a table, ``plan.csv, line 5``
    (the header is line 1) for a table read from a file."""

    def __init__(self, sources: dict) -> None:
        self.sources = {k: str(v) for k, v in sources.items() if v is not None}

    def __call__(self, table: str, k: int | None = None) -> str:
        source = self.sources.get(table)
        if k is None:
            return f"{table} ({source})" if source else table
        return f"{source}, line {k + 2}" if source else f"{table} row {k + 1}"


def _programme(costs, budgets, years, must, precedence, escalation_pct, price_year,
               discount_pct, where=None) -> Programme:
    where = where or _Where({})
    years = sorted({int(y) for y in years})
    if not years or years[0] < YEARS[0] or years[-1] > YEARS[1] or len(years) > MAX_YEARS:
        raise ValidationError(f"years {years[:1]}…{years[-1:]}: give plan years from {YEARS[0]} "
                              f"to {YEARS[1]}, {MAX_YEARS} at most.")
    if len(years) < len(PHASES) or years != list(range(years[0], years[-1] + 1)):
        raise ValidationError(f"years {years}: give {len(PHASES)} or more consecutive years "
                              f"(a zone's {len(PHASES)} phases run in consecutive years).")
    for name, value in (("escalation_pct", escalation_pct), ("discount_pct", discount_pct)):
        if not (np.isfinite(value) and 0 <= value <= 50):
            raise ValidationError(f"{name} = {value!r}: give a percentage from 0 to 50.")
    zones = _zones(costs, where, price_year=price_year, escalation_pct=escalation_pct)
    ids = set(zones["zone_id"])
    budget = _budgets(budgets, years, set(zones["banner"]), where)
    deadlines = _deadlines(must, ids, where)
    pairs = []
    for pair in precedence:
        a, b = (str(v) for v in pair)
        if a not in ids or b not in ids or a == b:
            raise ValidationError(f"precedence ({a!r}, {b!r}): both must be zone ids of the "
                                  "costs table, and differ.")
        pairs.append((a, b))
    _no_cycle(pairs)
    return Programme(zones, years, budget, deadlines, pairs, float(escalation_pct),
                     None if price_year is None else int(price_year), float(discount_pct))


def _no_cycle(pairs: list) -> None:
    """A precedence that loops (a before b before … a) can never hold: refused, named."""
    after: dict = {}
    for a, b in pairs:
        after.setdefault(a, []).append(b)
    state: dict = {}

    def visit(node, path):
        state[node] = 1
        for nxt in after.get(node, []):
            if state.get(nxt) == 1:
                loop = path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
                raise ValidationError(f"precedence: a cycle {' → '.join(loop)}; each zone "
                                      "would have to start after itself.")
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in list(after):
        if node not in state:
            visit(node, [node])


def _finite(values: pd.Series, what: str, ids: pd.Series, place, high: float) -> np.ndarray:
    """``values`` as finite numbers from 0 to ``high`` (a bound no real value reaches: the
    solver's arithmetic breaks on absurd magnitudes); ``place(k)`` says where row k is."""
    numbers = pd.to_numeric(values.astype(str).str.strip(), errors="coerce").astype(
        float).to_numpy()
    bad = ~np.isfinite(numbers) | (numbers < 0) | (numbers > high)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValidationError(f"{place(k)} ({ids.iloc[k]}): {what} = {values.iloc[k]!r} is not "
                              f"a number from 0 to {high:,.0f}.")
    return numbers


def _zones(costs: pd.DataFrame, where, *, price_year, escalation_pct) -> pd.DataFrame:
    phases = [f"{p}_wan" for p in PHASES]
    missing = [c for c in ["zone_id", "banner", "hectares", *phases] if c not in costs.columns]
    if missing:
        raise ValidationError(f"{where('costs')}: no column {missing} (the costs table `costs` "
                              "writes).")
    ids = pd.Series([normalise_id(v) or "" for v in costs["zone_id"]], index=costs.index)
    banners = pd.Series([normalise_id(v) or "" for v in costs["banner"]], index=costs.index)
    bad = ids.duplicated() | (ids == "") | (banners == "")
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValidationError(f"{where('costs', k)}: zone_id {costs['zone_id'].iloc[k]!r} "
                              f"(banner {costs['banner'].iloc[k]!r}): zone_id empty or "
                              "repeated, or banner empty.")
    place = lambda k: where("costs", k)  # noqa: E731
    out = pd.DataFrame({"zone_id": ids.to_numpy(), "banner": banners.to_numpy()})
    out["hectares"] = _finite(costs["hectares"], "hectares", ids, place, MAX_HECTARES)
    weight = costs["weight"] if "weight" in costs.columns else pd.Series(1.0, index=costs.index)
    out["weight"] = _finite(weight, "weight", ids, place, MAX_WEIGHT)
    for col in phases:
        out[col] = _finite(costs[col], col, ids, place, MAX_WAN)
    out["price_year"] = _price_years(costs, price_year, ids, place)
    rate = costs["escalation_pct"] if "escalation_pct" in costs.columns else \
        pd.Series(escalation_pct, index=costs.index)
    out["escalation_pct"] = _finite(rate, "escalation_pct", ids, place, 50.0)
    return out


def _price_years(costs: pd.DataFrame, default, ids: pd.Series, place) -> np.ndarray:
    """Each zone's price year (the costs table's column, else ``default``; NaN: none)."""
    if "price_year" not in costs.columns:
        return np.full(len(costs), np.nan if default is None else float(default))
    years = _finite(costs["price_year"], "price_year", ids, place, float(YEARS[1]))
    odd = (years < YEARS[0]) | (years != np.floor(years))
    if odd.any():
        k = int(np.flatnonzero(odd)[0])
        raise ValidationError(f"{place(k)} ({ids.iloc[k]}): price_year = "
                              f"{costs['price_year'].iloc[k]!r} is not a year from {YEARS[0]}.")
    return years


def _budgets(budgets: pd.DataFrame, years: list[int], banners: set, where) -> dict:
    missing = [c for c in ("year", "banner", "budget_wan") if c not in budgets.columns]
    if missing:
        raise ValidationError(f"{where('budget')}: no column {missing} (year, banner or city, "
                              "budget_wan).")
    names = budgets["banner"].astype(str).str.strip()
    names = names.where(~names.isin(_CITY_NAMES), CITY)
    year = pd.to_numeric(budgets["year"], errors="coerce")
    amount = _finite(budgets["budget_wan"], "budget_wan", names, lambda k: where("budget", k),
                     MAX_BUDGET_WAN)
    out, seen = {}, set()
    for k, (name, y, value) in enumerate(zip(names, year, amount)):
        if not (np.isfinite(y) and int(y) == y):
            raise ValidationError(f"{where('budget', k)}: year {budgets['year'].iloc[k]!r} is "
                                  "not a year.")
        if name != CITY and name not in banners:
            raise ValidationError(f"{where('budget', k)}: banner {name!r} has no zone in the "
                                  f"costs table; its banners: {sorted(banners)} (or {CITY!r}).")
        if (name, int(y)) in seen:
            raise ValidationError(f"{where('budget', k)}: {name} {int(y)} given twice.")
        seen.add((name, int(y)))
        if int(y) in years:
            out[(name, int(y))] = float(value)
    for y in years:  # a year no row bounds would be unlimited money: refused
        if (CITY, y) not in out:
            free = sorted(b for b in banners if (b, y) not in out)
            if free:
                raise ValidationError(
                    f"{where('budget')}: no budget for {y} — neither the city's nor that of "
                    f"{', '.join(free)}; a year without one would mean unlimited money (give 0 "
                    "where there is none).")
    return out


def _deadlines(must, ids: set, where) -> dict:
    if must is None:
        return {}
    if isinstance(must, pd.DataFrame):
        if not {"zone_id", "by_year"} <= set(must.columns):
            raise ValidationError(f"{where('must')}: give the columns zone_id and by_year.")
        named = must["zone_id"].astype(str).str.strip()
        if named.duplicated().any():
            k = int(np.flatnonzero(named.duplicated().to_numpy())[0])
            raise ValidationError(f"{where('must', k)}: zone {named.iloc[k]!r} given twice.")
        rows = list(zip(named, must["by_year"]))
    else:
        rows = [(str(z), y) for z, y in dict(must).items()]
        where = _Where({})
    out = {}
    for k, (zone, year) in enumerate(rows):
        if zone not in ids:
            raise ValidationError(f"{where('must', k)}: zone {zone!r} is not in the costs table.")
        value = pd.to_numeric(pd.Series([year]), errors="coerce").iloc[0]
        if not (np.isfinite(value) and int(value) == value):
            raise ValidationError(f"{where('must', k)}: zone {zone!r}, by_year {year!r} is not "
                                  "a year.")
        out[zone] = int(value)
    return out


def _unfunded_table(p: Programme) -> pd.DataFrame:
    return pd.DataFrame({"zone_id": p.zones["zone_id"], "year": pd.NA, "phase": "not_funded",
                         "cost_wan_yuan": p.zones[[f"{x}_wan" for x in PHASES]].sum(axis=1),
                         "hectares": 0.0, "reason": "no schedule exists"},
                        columns=SCHEDULE_COLUMNS)


class _Model:
    """The programme's variables (zone z starts in the k-th start year: ``z * S + k``), rows and
    objective."""

    def __init__(self, p: Programme):
        self.p = p
        z, s, n_phase = len(p.zones), len(p.starts), len(PHASES)
        self.S = s
        self.k = np.tile(np.arange(s), z)                    # start index of each variable
        self.zone = np.repeat(np.arange(z), s)
        phase_cost = p.zones[[f"{x}_wan" for x in PHASES]].to_numpy()
        # cost of each variable in each plan year (escalated to the year paid)
        self.paid = np.zeros((z * s, len(p.years)))
        for q in range(n_phase):
            year_index = self.k + q
            factor = self._escalation(np.asarray(p.years)[year_index])
            self.paid[np.arange(z * s), year_index] = phase_cost[self.zone, q] * factor
        finish = self.k + n_phase - 1
        self.finish_year = np.asarray(p.years)[finish]
        self.benefit = (p.zones["weight"].to_numpy() * p.zones["hectares"].to_numpy())[self.zone] \
            / (1.0 + p.discount_pct / 100.0) ** finish
        self.upper = np.ones(z * s)
        ids = p.zones["zone_id"].to_numpy()
        for zone_id, by in p.deadlines.items():
            late = (ids[self.zone] == zone_id) & (self.finish_year > by)
            self.upper[late] = 0.0
        self.rows, self.lb, self.ub, self.names = self._rows()

    def _escalation(self, year):
        """Each variable's phase cost carried from its zone's price year to ``year`` at its
        zone's rate (no price year: not escalated)."""
        zones = self.p.zones
        base = zones["price_year"].to_numpy(float)[self.zone]
        rate = zones["escalation_pct"].to_numpy(float)[self.zone]
        return np.where(np.isnan(base), 1.0, (1.0 + rate / 100.0) ** (year - np.nan_to_num(base)))

    def _rows(self):
        p, n = self.p, len(self.zone)
        ids, banner = p.zones["zone_id"].to_numpy(), p.zones["banner"].to_numpy()
        rows, lb, ub, names = [], [], [], []
        one = sparse.csr_matrix((np.ones(n), (self.zone, np.arange(n))), shape=(len(ids), n))
        rows.append(one)
        lb += [1.0 if i in p.deadlines else 0.0 for i in ids]
        ub += [1.0] * len(ids)
        names += [("zone", i) for i in ids]
        for (who, year), amount in sorted(p.budgets.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            t = p.years.index(year)
            mine = np.ones(n, bool) if who == CITY else banner[self.zone] == who
            rows.append(sparse.csr_matrix(np.where(mine, self.paid[:, t], 0.0)[None, :]))
            lb.append(-np.inf)
            ub.append(amount)
            names.append(("budget", who, year))
        big = len(p.years) + 1
        for a, b in p.precedence:
            za, zb = int(np.flatnonzero(ids == a)[0]), int(np.flatnonzero(ids == b)[0])
            fa, fb = self.zone == za, self.zone == zb
            funded = np.where(fb, 1.0, 0.0) - np.where(fa, 1.0, 0.0)   # b funded ⇒ a funded
            # b funded ⇒ start(b) ≥ finish(a) + 1: Σk·x_b − big·Σx_b − Σ(k+P)·x_a ≥ −big
            order = np.where(fb, self.k - big, 0.0) - np.where(fa, self.k + len(PHASES), 0.0)
            rows += [sparse.csr_matrix(funded[None, :]), sparse.csr_matrix(order[None, :])]
            lb += [-np.inf, -float(big)]
            ub += [0.0, np.inf]
            names += [("precedence", a, b), ("precedence", a, b)]
        return sparse.vstack(rows, format="csr"), np.array(lb), np.array(ub), names

    def solve(self, *, gap: float, time_limit: float, extra=()):
        rows, lb, ub = self.rows, self.lb, self.ub
        for row, low, high in extra:
            rows = sparse.vstack([rows, sparse.csr_matrix(row[None, :])], format="csr")
            lb, ub = np.r_[lb, low], np.r_[ub, high]
        from scipy.optimize import Bounds

        with _quiet():
            return milp(-self.benefit, integrality=np.ones(len(self.benefit)),
                        bounds=Bounds(np.zeros(len(self.benefit)), self.upper),
                        constraints=[LinearConstraint(rows, lb, ub)],
                        options={"mip_rel_gap": gap, "time_limit": time_limit, "disp": False})

    def answer(self, res) -> Answer:
        x = np.rint(res.x).astype(bool)
        p = self.p
        ids = p.zones["zone_id"].to_numpy()
        funded = frozenset(ids[self.zone[x]])
        table = self._table(x)
        gap = float(getattr(res, "mip_gap", 0.0) or 0.0)
        return Answer(table, float(-res.fun) + 0.0, gap, funded,
                      "optimal" if res.status == 0 else "time limit")

    def _table(self, x: np.ndarray) -> pd.DataFrame:
        p = self.p
        ids = p.zones["zone_id"].to_numpy()
        reasons = _Reasons(self, x)
        rows = []
        chosen = {int(self.zone[v]): int(self.k[v]) for v in np.flatnonzero(x)}
        for z, zone_id in enumerate(ids):
            if z not in chosen:
                rows.append({"zone_id": zone_id, "year": pd.NA, "phase": "not_funded",
                             "cost_wan_yuan": float(self.paid[z * self.S].sum()),
                             "hectares": 0.0, "reason": reasons.of(z, None)})
                continue
            k = chosen[z]
            v = z * self.S + k
            for q, phase in enumerate(PHASES):
                rows.append({"zone_id": zone_id, "year": p.years[k + q], "phase": phase,
                             "cost_wan_yuan": float(self.paid[v, k + q]),
                             "hectares": float(p.zones["hectares"].iloc[z])
                             if q == len(PHASES) - 1 else 0.0,
                             "reason": reasons.of(z, k)})
        out = pd.DataFrame(rows, columns=SCHEDULE_COLUMNS)
        out["year"] = out["year"].astype("Int64")
        return out

    def alternative(self, best: Answer, tolerance: float, *, gap: float, time_limit: float,
                    seen: list):
        """A schedule within ``tolerance`` of the optimum that funds a zone of some benefit
        outside every set in ``seen`` — a real choice, not a set with a zone dropped (None when
        there is none)."""
        ids = self.p.zones["zone_id"].to_numpy()
        extra = [(self.benefit, (1.0 - tolerance) * best.objective - 1e-9, np.inf)]
        useful = self.benefit > 0
        for funded in seen:  # Σ_{z∉set, benefit>0} funded_z ≥ 1
            outside = ~np.isin(ids[self.zone], list(funded)) & useful
            extra.append((np.where(outside, 1.0, 0.0), 1.0, np.inf))
        res = self.solve(gap=gap, time_limit=time_limit, extra=extra)
        if res.x is None:
            return None
        return self.answer(res)

    def shortfalls(self, time_limit: float) -> pd.DataFrame:
        """Why no schedule exists: the least extra money per budget row and the deadlines to
        drop (an elastic programme: each budget may be exceeded, each deadline missed, at a
        price; minimised)."""
        p = self.p
        budget_rows = [i for i, name in enumerate(self.names) if name[0] == "budget"]
        zone_rows = [i for i, name in enumerate(self.names) if name[0] == "zone"
                     and self.lb[i] == 1.0]
        n, nb, nz = len(self.benefit), len(budget_rows), len(zone_rows)
        rows = sparse.hstack([self.rows, sparse.csr_matrix((len(self.names), nb + nz))]).tolil()
        for j, i in enumerate(budget_rows):
            rows[i, n + j] = -1.0                 # extra money of this row
        for j, i in enumerate(zone_rows):
            rows[i, n + nb + j] = 1.0             # this zone's deadline dropped
        scale = max(1.0, float(np.abs(self.paid).sum()))
        cost = np.r_[np.zeros(n), np.ones(nb), np.full(nz, 10.0 * scale)]
        upper = np.r_[self.upper, np.full(nb, np.inf), np.ones(nz)]
        from scipy.optimize import Bounds

        with _quiet():
            res = milp(cost, integrality=np.r_[np.ones(n), np.zeros(nb), np.ones(nz)],
                       bounds=Bounds(np.zeros(n + nb + nz), upper),
                       constraints=[LinearConstraint(rows.tocsr(), self.lb, self.ub)],
                       options={"time_limit": time_limit, "disp": False})
        out = []
        if res.x is not None:
            for j, i in enumerate(budget_rows):
                if res.x[n + j] > 1e-6:
                    _, who, year = self.names[i]
                    out.append({"what": "budget", "banner": who, "year": year, "zone_id": None,
                                "short_wan": float(res.x[n + j]),
                                "budget_wan": p.budgets[(who, year)]})
            for j, i in enumerate(zone_rows):
                if res.x[n + nb + j] > 0.5:
                    zone_id = self.names[i][1]
                    out.append({"what": "deadline", "banner": None,
                                "year": p.deadlines[zone_id], "zone_id": zone_id,
                                "short_wan": float("nan"), "budget_wan": float("nan")})
        return pd.DataFrame(out, columns=["what", "banner", "year", "zone_id", "short_wan",
                                          "budget_wan"])


class _quiet:
    """HiGHS prints some notes to the process's standard output even with ``disp`` off: they
    go to the null device while it solves (the CLI prints only what it wrote)."""

    def __enter__(self):
        import os
        import sys

        try:
            sys.stdout.flush()
            self._saved = os.dup(1)
        except (OSError, ValueError):  # no descriptor 1 (an embedding host): leave it
            self._saved = None
            return self
        self._null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(self._null, 1)
        return self

    def __exit__(self, *exc):
        import os

        if self._saved is not None:
            os.dup2(self._saved, 1)
            os.close(self._saved)
            os.close(self._null)
        return False


class _Reasons:
    """Why each zone sits in its year: a deadline, a precedence, the budgets that bind, its
    benefit per 10,000 yuan rank."""

    def __init__(self, model: _Model, x: np.ndarray):
        self.m, p = model, model.p
        self.lang = settings.get("lang", p.lang)
        used = model.rows @ x.astype(float)
        self.slack = {name: model.ub[i] - used[i] for i, name in enumerate(model.names)
                      if name[0] == "budget"}
        total = model.paid.reshape(len(p.zones), model.S, -1)[:, 0, :].sum(axis=1)
        per = (p.zones["weight"] * p.zones["hectares"]).to_numpy() / np.maximum(total, 1e-12)
        order = np.argsort(-per, kind="stable")
        self.rank = np.empty(len(per), dtype=int)
        self.rank[order] = np.arange(1, len(per) + 1)
        self.chosen = {int(model.zone[v]): int(model.k[v]) for v in np.flatnonzero(x)}

    def of(self, z: int, k: int | None) -> str:
        m, p, lang = self.m, self.m.p, self.lang
        zone_id, banner = p.zones["zone_id"].iloc[z], p.zones["banner"].iloc[z]
        parts = []
        if zone_id in p.deadlines:
            parts.append(msg("sched_deadline", lang=lang, year=p.deadlines[zone_id]))
        for a, b in p.precedence:
            if b == zone_id and p.zones.index[p.zones["zone_id"] == a][0] in self.chosen:
                za = int(p.zones.index[p.zones["zone_id"] == a][0])
                parts.append(msg("sched_after", lang=lang, zone=a,
                                 year=p.years[self.chosen[za] + len(PHASES) - 1]))
        if k is None or k > 0:
            tight = self._binding(z, banner, range(0, m.S) if k is None else range(0, k))
            if tight:
                parts.append(msg("sched_binds", lang=lang, what=", ".join(tight)))
        parts.append(msg("sched_rank", lang=lang, rank=self.rank[z], n=len(self.rank)))
        head = msg("sched_not_funded", lang=lang) if k is None else (
            msg("sched_first_year", lang=lang) if k == 0 else
            msg("sched_from", lang=lang, year=p.years[k]))
        return f"{head}; " + "; ".join(parts)

    def _binding(self, z: int, banner: str, starts) -> list[str]:
        """The budget rows (banner's or city's) too tight for zone ``z`` at any of ``starts``."""
        m, p, short = self.m, self.m.p, {}
        for k in starts:
            v = z * m.S + k
            for t, year in enumerate(p.years):
                need = m.paid[v, t]
                if need <= 0:
                    continue
                for who in (banner, CITY):
                    slack = self.slack.get(("budget", who, year))
                    if slack is not None and slack < need - 1e-9:
                        short[(who, year)] = min(need, short.get((who, year), np.inf))
        return [msg("sched_bind", lang=self.lang, who=who, year=year,
                    left=f"{self.slack[('budget', who, year)]:.1f}",
                    budget=f"{p.budgets[(who, year)]:.1f}", need=f"{need:.1f}")
                for (who, year), need in sorted(short.items(), key=lambda kv: kv[0][1])]


def annual_plans(table: pd.DataFrame, *, zones: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """The schedule as annual plans in the format ``check-plans --plans`` reads
    (:data:`~ordos_geo.zoning.plans.PLAN_COLUMNS`): per mine (a site without ``mine_id``: a
    mine, or an ownerless site) of a funded zone, one row in the year its zone's revegetation
    is done — when the hectares count as restored, as plans count them (hectares due that
    year, not cumulated) — with its share (by the area of the mine and its parcels) of the
    zone's hectares and of the money of all its zone's phases, the zone's unified standard and
    that year's end as the deadline. The money year by year is in the schedule itself."""
    from ..core import projection
    from ..zoning.plans import PLAN_COLUMNS

    if "standard" not in zones.columns:
        raise ValidationError("zones: no column standard; give the zones with their rules "
                              "applied (`ordos-geo zones` writes them).")
    standard = zones.assign(zone_id=zones["zone_id"].astype(str)).set_index("zone_id")["standard"]
    head = sites["mine_id"].astype(str).where(sites["mine_id"].notna(), sites["site_id"]) \
        if "mine_id" in sites.columns else sites["site_id"]
    units = pd.DataFrame({"mine_id": head.astype(str).to_numpy(),
                          "zone_id": sites["zone_id"].astype(str).to_numpy(),
                          "ha": projection.area_ha(sites).to_numpy()})
    units = units.groupby(["zone_id", "mine_id"], as_index=False)["ha"].sum()
    units["share"] = units["ha"] / units.groupby("zone_id")["ha"].transform("sum")
    works = table.dropna(subset=["year"]).assign(zone_id=lambda t: t["zone_id"].astype(str))
    done = works.groupby("zone_id").agg(year=("year", "max"), hectares=("hectares", "sum"),
                                        money=("cost_wan_yuan", "sum")).reset_index()
    rows = done.merge(units, on="zone_id")
    out = pd.DataFrame({"mine_id": rows["mine_id"], "year": rows["year"].astype(int),
                        "target_ha": (rows["hectares"] * rows["share"]).round(4),
                        "standard": rows["zone_id"].map(standard),
                        "money_wan": (rows["money"] * rows["share"]).round(4),
                        "deadline": rows["year"].astype(int).astype(str) + "-12-31"})
    out = out.groupby(["mine_id", "year"], as_index=False).agg(
        target_ha=("target_ha", "sum"), standard=("standard", "first"),
        money_wan=("money_wan", "sum"), deadline=("deadline", "first"))
    # the zone's unified standard as explicit values (a zone may be stricter than its named
    # standard: its members' own standards tighten it)
    zone_of_mine = rows.groupby(["mine_id", "year"])["zone_id"].first()
    params = zones.assign(zone_id=zones["zone_id"].astype(str)).set_index("zone_id")
    key = pd.MultiIndex.from_frame(out[["mine_id", "year"]])
    for col in PLAN_COLUMNS:
        if col not in out.columns:
            out[col] = params[col].reindex(zone_of_mine.reindex(key).to_numpy()).to_numpy() \
                if col in params.columns else np.nan
    return out[PLAN_COLUMNS].sort_values(["year", "mine_id"], kind="stable").reset_index(drop=True)
