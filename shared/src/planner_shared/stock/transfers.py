"""Transfers: DC releases and store-to-store moves that save projected lost sales
(docs/transfers.md).

After a week is in, each category's ledger projects, per store, the sales it will lose for want
of stock and the stock it will still hold unsold. A program (scipy's HiGHS) picks the moves that
maximise the margin saved less the transfer cost, under the study's rules:

- receivers sell above `fast_band` (1.15) of plan to date, or are projected to run out; a move
  saves only the lost sales of the weeks from its arrival (now + the receiver's transit);
- donor stores sell below `slow_band` (0.85) of plan and give at most `donor_share` (30 %) of
  their stock; the DC gives what it holds above `dc_floor_share` (20 %) of its holdback;
- a move is 0 or between `min_units` (50) and `max_units` (300) units (the flow program is
  solved, then its moves under the minimum raised or closed and the program solved again);
- strategy `none`: no moves; `dc_only`: the DC is the only donor; `hybrid`: DC and stores.

A unit sold instead of being cleared at the end earns the price (less the markdown of its
arrival week) less the salvage value: the margin saved. A unit a donor gives beyond what it
would still hold unsold at its lowest point (its spare) costs the donor a sale at its own
margin, so the program only takes from a donor's real excess unless the receiver's sale is
worth more. The chosen moves are then posted on the ledger (`apply_moves`), which gives the
figures every reader shows: projected lost sales before and after; moves that do not pay on
the ledger are not proposed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from planner_shared.parameters import TransferStrategy
from planner_shared.stock.ledger import Array, CategoryLedger, CategoryStockInputs, build_category

DC = "DC"
# Donors offered to each receiver: the ones with the most spare stock. Every donor is as good
# as another to a receiver (one cost per unit, the receiver's own lead time), so a few suffice
# and the program stays small for thousands of stores.
DONORS_PER_RECEIVER = 6


@dataclass(frozen=True)
class TransferRules:
    """The study's rules; `unit_cost` is the transfer cost per unit (a setting)."""

    unit_cost: float
    slow_band: float = 0.85
    fast_band: float = 1.15
    donor_share: float = 0.30
    min_units: int = 50
    max_units: int = 300
    dc_floor_share: float = 0.20


@dataclass(frozen=True)
class Move:
    """`units` leave `source` (a store or the DC) at the end of `ship_week` and arrive in
    `target` in `arrival_week`."""

    category: str
    source: str
    target: str
    units: int
    ship_week: int
    arrival_week: int
    margin_saved: float = 0.0
    why: str = ""


@dataclass(frozen=True)
class Donor:
    """What a location may give: `limit` by the rules, `spare` without losing a sale."""

    category: str
    location: str
    limit: int
    spare: float
    stock: float
    velocity: float | None
    cover: float
    pace: float | None = None  # sales against plan over the category's (the bands' figure)


@dataclass(frozen=True)
class Receiver:
    category: str
    store: str
    arrival_week: int
    lost: float  # projected lost sales from the arrival week on
    velocity: float | None
    cover: float
    unit_margin: float
    pace: float | None = None  # sales against plan over the category's (the bands' figure)


@dataclass(frozen=True)
class CategoryProposal:
    code: str
    moves: list[Move]
    donors: list[Donor]
    receivers: list[Receiver]
    objective: float  # the program's margin saved less the transfer cost
    bound: float = 0.0  # what no set of moves can beat: the optimum without the minimum


def velocity(ledger: CategoryLedger) -> Array:
    """Each store's sales to date over its plan to date (NaN where nothing was planned)."""
    k = ledger.weeks_in
    sold, plan = ledger.sales[:k].sum(axis=0), ledger.demand[:k].sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(plan > 0, sold / np.where(plan > 0, plan, 1.0), np.nan)


def relative_velocity(ledger: CategoryLedger) -> Array:
    """Each store's sales against plan over the category's: the bands compare stores with each
    other, so a shift of the whole category (the sample's cold snap) leaves the slow stores
    slow and the fast ones fast, instead of making every store fast and none a donor."""
    k = ledger.weeks_in
    plan = float(ledger.demand[:k].sum())
    category = float(ledger.sales[:k].sum()) / plan if plan > 0 else 0.0
    speed = velocity(ledger)
    return speed / category if category > 0 else speed


def candidates(
    ledger: CategoryLedger,
    transit: Sequence[int],
    unit_margin: Array,
    rules: TransferRules,
    strategy: TransferStrategy,
) -> tuple[list[Donor], list[Receiver]]:
    """The category's donors and receivers after the weeks in, by the rules."""
    k, horizon = ledger.weeks_in, ledger.horizon
    if strategy is TransferStrategy.NONE or k < 1 or k >= horizon:
        return [], []
    speed, pace = velocity(ledger), relative_velocity(ledger)
    cover = ledger.weeks_of_cover()[k - 1]
    receivers = []
    for i, store in enumerate(ledger.stores):
        arrival = k + max(int(transit[i]), 1)
        lost = float(ledger.lost[arrival - 1 :, i].sum()) if arrival <= horizon else 0.0
        fast = bool(pace[i] > rules.fast_band) or lost > 0
        if fast and lost >= 1 and arrival <= horizon:
            v = None if np.isnan(speed[i]) else float(speed[i])
            receivers.append(
                Receiver(
                    ledger.code,
                    store,
                    arrival,
                    lost,
                    v,
                    float(cover[i]),
                    float(unit_margin[i]),
                    None if np.isnan(pace[i]) else float(pace[i]),
                )
            )
    taking = {r.store for r in receivers}
    dc_now = float(ledger.dc_closing[k - 1])
    dc_limit = int(np.floor(dc_now - rules.dc_floor_share * ledger.dc_start + 1e-9))
    donors = []
    if dc_limit >= rules.min_units:
        donors.append(
            Donor(ledger.code, DC, dc_limit, dc_spare(ledger), dc_now, None, float("inf"))
        )
    if strategy is TransferStrategy.HYBRID:
        stock = ledger.closing[k - 1]
        for i, store in enumerate(ledger.stores):
            limit = int(np.floor(rules.donor_share * stock[i] + 1e-9))
            slow = not np.isnan(pace[i]) and pace[i] < rules.slow_band
            if slow and store not in taking and limit >= rules.min_units:
                spare = float(ledger.closing[k - 1 :, i].min())
                donors.append(
                    Donor(
                        ledger.code,
                        store,
                        limit,
                        spare,
                        float(stock[i]),
                        float(speed[i]),
                        float(cover[i]),
                        float(pace[i]),
                    )
                )
    return donors, receivers


def dc_spare(ledger: CategoryLedger) -> float:
    """What the DC can release without a store losing a sale: what it still holds at its
    lowest point, and what it will ship to stores that end the season with that much left
    anyway (sell one, ship one refills slow stores too)."""
    k = ledger.weeks_in
    refills = ledger.shipped[k - 1 :].sum(axis=0)
    wasted = np.minimum(refills, np.maximum(ledger.closing[-1], 0.0)).sum()
    return float(ledger.dc_closing[k - 1 :].min() + wasted)


def solve(
    donors: Sequence[Donor],
    receivers: Sequence[Receiver],
    rules: TransferRules,
    donor_margin: float,
) -> tuple[list[tuple[Donor, Receiver, int, float]], float, float]:
    """The moves (donor, receiver, units, margin saved) that maximise the margin saved less the
    transfer cost, that objective (0 when nothing is worth moving), and the bound no set of
    moves can beat (the optimum without the minimum per move).

    Without the minimum per move the program is a flow from donors to receivers, whose linear
    program has whole-unit answers and is solved in milliseconds; its optimum bounds what any
    set of moves can save. The minimum (0 or 50..300 units) is then met by rounding
    (`_Program.round`): each move the answer makes under 50 units is either raised to 50 (when
    its donor has the room) or closed, and the program solved again, for `ROUNDS` rounds, then
    once on the open moves alone. Both ways (raise where possible, close all) are tried and the
    better kept; moving nothing is always feasible, so the answer is never worse than no
    transfer. No wall-clock limit: the same inputs give the same moves on any machine."""
    pairs = np.array(_pairs(donors, receivers), dtype=np.int64).reshape(-1, 2)
    if not len(pairs):
        return [], 0.0, 0.0
    program = _Program(pairs, donors, receivers, rules, donor_margin)
    relaxed = program.solve(np.zeros(len(pairs)), np.full(len(pairs), float(rules.max_units)))
    if relaxed is None:
        return [], 0.0, 0.0
    bound = max(-float(program.cost @ relaxed), 0.0)
    best: Array | None = None
    for raise_small in (True, False):
        x = program.round(relaxed, raise_small)
        if x is not None and (best is None or program.cost @ x < program.cost @ best):
            best = x
    if best is None or program.cost @ best >= 0:
        return [], 0.0, bound
    return _moves(pairs, donors, receivers, best, rules), -float(program.cost @ best), bound


# Rounds of settling moves under the minimum before the last solve on the open moves.
ROUNDS = 2


class _Program:
    """The flow program over [x (units per move), g (sales saved per receiver), l (sales a
    donor loses by giving beyond its spare)]: minimise transfer cost - margin saved + margin
    the donors lose, under: a receiver saves no more than it receives nor than it is projected
    to lose; a donor gives no more than its limit; what it gives beyond its spare is its own
    lost sales."""

    def __init__(
        self,
        pairs: npt.NDArray[np.int64],
        donors: Sequence[Donor],
        receivers: Sequence[Receiver],
        rules: TransferRules,
        donor_margin: float,
    ) -> None:
        p, r, d = len(pairs), len(receivers), len(donors)
        self.pairs, self.rules = pairs, rules
        self.p, self.r, self.d = p, r, d
        self.lost = np.array([rc.lost for rc in receivers])
        self.limit = np.array([float(dn.limit) for dn in donors])
        self.spare = np.array([max(dn.spare, 0.0) for dn in donors])
        self.cost = np.concatenate(
            [
                np.full(p, rules.unit_cost),
                -np.array([rc.unit_margin for rc in receivers]),
                np.full(d, donor_margin),
            ]
        )
        j = np.arange(p)
        rows = np.concatenate(
            [np.arange(r), pairs[:, 1], r + pairs[:, 0], r + d + pairs[:, 0], r + d + np.arange(d)]
        )
        cols = np.concatenate([p + np.arange(r), j, j, j, p + r + np.arange(d)])
        vals = np.concatenate([np.ones(r), -np.ones(p), np.ones(p), np.ones(p), -np.ones(d)])
        self.matrix = coo_matrix((vals, (rows, cols)), shape=(r + 2 * d, p + r + d)).tocsr()
        high = np.concatenate([np.zeros(r), self.limit, self.spare])
        self.rows = LinearConstraint(self.matrix, np.full(r + 2 * d, -np.inf), high)

    def solve(self, low: Array, high: Array) -> Array | None:
        """The program's optimum with each move's units between `low` and `high`."""
        bounds = Bounds(
            np.concatenate([low, np.zeros(self.r + self.d)]),
            np.concatenate([high, self.lost, np.full(self.d, np.inf)]),
        )
        # No integrality: a linear program, through milp's leaner entry to HiGHS (a third
        # less time than linprog's on these sizes).
        answer = milp(self.cost, constraints=self.rows, bounds=bounds)
        return None if answer.x is None else np.asarray(answer.x, dtype=np.float64)

    def round(self, relaxed: Array, raise_small: bool) -> Array | None:
        """A whole answer with every move 0 or min..max units, from the relaxed one. Each
        round, the moves the answer makes of the minimum or more stay open (at least the
        minimum from then on), each one under the minimum is raised to it while its donor
        has the room (`raise_small`) or else closed, and the program is solved again with
        the moves not yet decided still free to take what the closed ones left; the last
        round solves on the open moves alone."""
        rules, p = self.rules, self.p
        minimum, most = float(rules.min_units), float(rules.max_units)
        opened, closed = np.zeros(p, dtype=bool), np.zeros(p, dtype=bool)
        x: Array | None = relaxed
        for last in [False] * ROUNDS + [True]:
            assert x is not None
            units = x[:p]
            opened |= (units >= minimum - 1e-6) & ~closed
            small = (units > 1e-6) & ~opened & ~closed
            if small.any():
                room = self.limit - minimum * np.bincount(
                    self.pairs[:, 0], weights=opened.astype(np.float64), minlength=self.d
                )
                for j in np.flatnonzero(small)[np.argsort(-units[small], kind="stable")]:
                    donor = self.pairs[j, 0]
                    if raise_small and room[donor] >= minimum:
                        opened[j] = True
                        room[donor] -= minimum
                    else:
                        closed[j] = True
            elif not last:
                continue  # nothing under the minimum: only the last solve is left
            free = ~opened & ~closed & (not last)
            x = self.solve(np.where(opened, minimum, 0.0), np.where(opened | free, most, 0.0))
            if x is None:
                return None
        assert x is not None
        return self.whole(x)

    def whole(self, x: Array) -> Array:
        """Whole units, down (a relaxation's fractions never take a donor past its limit),
        moves under the minimum closed, with the sales saved and lost that follow."""
        units = np.floor(x[: self.p] + 1e-6)
        units[units < self.rules.min_units] = 0.0
        into = np.bincount(self.pairs[:, 1], weights=units, minlength=self.r)
        out = np.bincount(self.pairs[:, 0], weights=units, minlength=self.d)
        saved = np.minimum(into, self.lost)
        lost = np.maximum(out - self.spare, 0.0)
        return np.concatenate([units, saved, lost])


def _pairs(donors: Sequence[Donor], receivers: Sequence[Receiver]) -> list[tuple[int, int]]:
    """(donor, receiver) indices the program may use: the DC, and a few stores for each
    receiver taken in turn from the best-stocked down, so the donors' limits are shared."""
    stores = sorted(
        (i for i, dn in enumerate(donors) if dn.location != DC),
        key=lambda i: (-donors[i].spare, donors[i].location),
    )
    dc = [i for i, dn in enumerate(donors) if dn.location == DC]
    pairs = []
    for ri in range(len(receivers)):
        turn = (ri * DONORS_PER_RECEIVER + t for t in range(DONORS_PER_RECEIVER))
        mine = [stores[t % len(stores)] for t in turn] if stores else []
        pairs += [(di, ri) for di in dict.fromkeys(dc + mine)]
    return pairs


def _moves(
    pairs: npt.NDArray[np.int64],
    donors: Sequence[Donor],
    receivers: Sequence[Receiver],
    x: Array,
    rules: TransferRules,
) -> list[tuple[Donor, Receiver, int, float]]:
    p, chosen = len(pairs), []
    whole = x[:p]
    into = np.bincount(pairs[:, 1], weights=whole, minlength=len(receivers))
    for j, (di, ri) in enumerate(pairs.tolist()):
        units = int(whole[j])
        if units < rules.min_units:
            continue
        saved_units = float(x[p + ri]) * units / into[ri] if into[ri] > 0 else 0.0
        margin = saved_units * receivers[ri].unit_margin - units * rules.unit_cost
        chosen.append((donors[di], receivers[ri], units, margin))
    return chosen


def apply_moves(inputs: CategoryStockInputs, moves: Iterable[Move]) -> CategoryStockInputs:
    """The category's ledger inputs with `moves` posted: each leaves its donor store at once
    (the week after it ships) or the DC at the end of its ship week, and arrives in the
    receiver in its arrival week. Moves arriving after the season are not posted."""
    horizon, index = inputs.horizon, {s: i for i, s in enumerate(inputs.stores)}
    shape = (horizon, len(inputs.stores))
    arriving = np.zeros(shape) if inputs.transfers_in is None else inputs.transfers_in.copy()
    leaving = np.zeros(shape) if inputs.transfers_out is None else inputs.transfers_out.copy()
    releases = np.zeros(horizon) if inputs.dc_releases is None else inputs.dc_releases.copy()
    for move in moves:
        if move.category != inputs.code or not 1 <= move.ship_week < move.arrival_week <= horizon:
            continue
        arriving[move.arrival_week - 1, index[move.target]] += move.units
        if move.source == DC:
            releases[move.ship_week - 1] += move.units
        else:
            leaving[move.ship_week, index[move.source]] += move.units
    return replace(inputs, transfers_in=arriving, transfers_out=leaving, dc_releases=releases)


def projected_lost(ledger: CategoryLedger) -> float:
    """Lost sales the ledger projects after the weeks that are in."""
    return float(ledger.lost[ledger.weeks_in :].sum())


def _plan_words(velocity: float | None, pace: float | None = None) -> str:
    """'sells 0.90x its plan', and when the category as a whole is off its plan (the bands
    compare a store with its category), the store's pace against the category's too."""
    if velocity is None:
        return "no plan to date"
    words = f"sells {velocity:.2f}x its plan"
    if pace is not None and abs(pace - velocity) >= 0.005:
        words += f" ({pace:.2f}x its category's pace)"
    return words


def why(donor: Donor, receiver: Receiver, rules: TransferRules) -> str:
    """A move's reason in a planner's words: sales against plan, cover, lost sales."""
    to = (
        f"{receiver.store} {_plan_words(receiver.velocity, receiver.pace)} with "
        f"{receiver.cover:.1f} weeks of cover and is projected to lose "
        f"{receiver.lost:,.0f} units of sales from week {receiver.arrival_week}, when the move "
        "arrives"
    )
    if donor.location == DC:
        source = (
            f"the DC holds {donor.stock:,.0f} and may release {donor.limit:,} (it keeps at "
            f"least {rules.dc_floor_share:.0%} of its holdback)"
        )
    else:
        source = (
            f"{donor.location} {_plan_words(donor.velocity, donor.pace)} with "
            f"{donor.cover:.1f} weeks of cover and can give {donor.limit:,} of its "
            f"{donor.stock:,.0f} ({rules.donor_share:.0%})"
        )
    return f"{to}; {source}"


def propose_category(
    inputs: CategoryStockInputs,
    unit_margin: Array,
    rules: TransferRules,
    strategy: TransferStrategy,
) -> CategoryProposal:
    """The category's moves after its weeks in; `unit_margin` [horizon] is what a sale saved
    in each week earns over clearing the unit at salvage."""
    ledger = build_category(inputs)
    k = ledger.weeks_in
    arrival_margin = np.array(
        [unit_margin[min(k + max(int(t), 1), inputs.horizon) - 1] for t in inputs.transit]
    )
    donors, receivers = candidates(ledger, inputs.transit.tolist(), arrival_margin, rules, strategy)
    now = float(unit_margin[min(k, inputs.horizon - 1)])
    chosen, objective, bound = solve(donors, receivers, rules, now)
    moves = [
        Move(
            category=inputs.code,
            source=donor.location,
            target=receiver.store,
            units=units,
            ship_week=k,
            arrival_week=receiver.arrival_week,
            margin_saved=round(margin, 2),
            why=why(donor, receiver, rules),
        )
        for donor, receiver, units, margin in chosen
    ]
    if moves:
        kept, gain = best_on_the_ledger(
            inputs, ledger, moves, float(np.mean(arrival_margin)), rules
        )
        if len(kept) < len(moves):
            moves, objective = kept, sum(m.margin_saved for m in kept)
        moves = ledger_shares(moves, gain)
    return CategoryProposal(inputs.code, moves, donors, receivers, objective, bound)


def ledger_shares(moves: list[Move], gain: float) -> list[Move]:
    """Each move's margin saved as its share of what the ledger says the moves gain together.
    The program values each move on its own receiver; on the ledger a release can also take
    units another store would have had from the DC, so the sum of the program's figures can
    promise more than the season gets. A planner reads the ledger's figure."""
    estimated = sum(m.margin_saved for m in moves)
    if estimated <= 0:
        return moves
    return [replace(m, margin_saved=round(gain * m.margin_saved / estimated, 2)) for m in moves]


def best_on_the_ledger(
    inputs: CategoryStockInputs,
    ledger: CategoryLedger,
    moves: list[Move],
    margin: float,
    rules: TransferRules,
) -> tuple[list[Move], float]:
    """The moves, or those between stores, or the DC's releases, whichever saves the most
    margin less transfer cost posted on the ledger; none when none pays. The program sees the
    DC's spare as one figure, while the ledger shares a short DC among every store it refills:
    a release it counted as spare can take the units from another store that runs out. The
    ledger has the last word, so a proposal never raises the projected lost sales. Returns
    the moves kept and the margin they gain on the ledger, less their transfer cost."""
    lost = projected_lost(ledger)

    def value(chosen: list[Move]) -> float:
        if not chosen:
            return 0.0
        saved = lost - projected_lost(build_category(apply_moves(inputs, chosen)))
        return saved * margin - sum(m.units for m in chosen) * rules.unit_cost

    stores = [m for m in moves if m.source != DC]
    releases = [m for m in moves if m.source == DC]
    options = [moves] + ([stores, releases] if stores and releases else [])
    best = max(options, key=value)
    gain = value(best)
    return (best, gain) if gain > 0 else ([], 0.0)
