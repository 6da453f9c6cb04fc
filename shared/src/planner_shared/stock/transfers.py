"""Transfers: DC releases and store-to-store moves that save projected lost sales
(docs/transfers.md).

After a week is in, each category's ledger projects, per store, the sales it will lose for want
of stock and the stock it will still hold unsold. A mixed-integer program (scipy's HiGHS,
`scipy.optimize.milp`) picks the moves that maximise the margin saved less the transfer cost,
under the study's rules:

- receivers sell above `fast_band` (1.15) of plan to date, or are projected to run out; a move
  saves only the lost sales of the weeks from its arrival (now + the receiver's transit);
- donor stores sell below `slow_band` (0.85) of plan and give at most `donor_share` (30 %) of
  their stock; the DC gives what it holds above `dc_floor_share` (20 %) of its holdback;
- a move is 0 or between `min_units` (50) and `max_units` (300) units (a binary per move);
- strategy `none`: no moves; `dc_only`: the DC is the only donor; `hybrid`: DC and stores.

A unit sold instead of being cleared at the end earns the price (less the markdown of its
arrival week) less the salvage value: the margin saved. A unit a donor gives beyond what it
would still hold unsold at its lowest point (its spare) costs the donor a sale at its own
margin, so the program only takes from a donor's real excess unless the receiver's sale is
worth more. The chosen moves are then posted on the ledger (`apply_moves`), which gives the
figures every reader shows: projected lost sales before and after.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix, csr_matrix

from planner_shared.parameters import TransferStrategy
from planner_shared.stock.ledger import Array, CategoryLedger, CategoryStockInputs, build_category

DC = "DC"
# Donors offered to each receiver: the ones with the most spare stock. Every donor is as good
# as another to a receiver (one cost per unit, the receiver's own lead time), so a few suffice
# and the program stays small for thousands of stores.
DONORS_PER_RECEIVER = 6
MOVE_PENALTY = 0.01  # per move, in money: of equal optima, the one with fewer moves
# The exact program (a binary per move) is solved up to this many candidate moves, and stops
# within 0.1 % of the best possible margin or after 0.2 s; larger ones keep the relaxation.
MILP_MAX_MOVES = 400
MILP_GAP = 1e-3
MILP_SECONDS = 0.2


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


@dataclass(frozen=True)
class Receiver:
    category: str
    store: str
    arrival_week: int
    lost: float  # projected lost sales from the arrival week on
    velocity: float | None
    cover: float
    unit_margin: float


@dataclass(frozen=True)
class CategoryProposal:
    code: str
    moves: list[Move]
    donors: list[Donor]
    receivers: list[Receiver]
    objective: float  # the program's margin saved less the transfer cost


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
                    ledger.code, store, arrival, lost, v, float(cover[i]), float(unit_margin[i])
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
) -> tuple[list[tuple[Donor, Receiver, int, float]], float]:
    """The moves (donor, receiver, units, margin saved) that maximise the margin saved less the
    transfer cost, and that objective (0 when nothing is worth moving)."""
    pairs = np.array(_pairs(donors, receivers), dtype=np.int64).reshape(-1, 2)
    if not len(pairs):
        return [], 0.0
    p, r, d = len(pairs), len(receivers), len(donors)
    # Variables: x (units per move), y (move used), g (sales saved per receiver),
    # l (sales a donor loses by giving beyond its spare).
    cost = np.concatenate(
        [
            np.full(p, rules.unit_cost),
            np.full(p, MOVE_PENALTY),
            -np.array([rc.unit_margin for rc in receivers]),
            np.full(d, donor_margin),
        ]
    )
    matrix, low, high = _constraints(pairs, donors, rules, r)
    n = 2 * p + r + d
    upper = np.concatenate(
        [
            np.full(p, float(rules.max_units)),
            np.ones(p),
            np.array([rc.lost for rc in receivers]),
            np.full(d, np.inf),
        ]
    )
    program = {
        "c": cost,
        "constraints": LinearConstraint(matrix, low, high),
        "bounds": Bounds(np.zeros(n), upper),
    }
    # The linear relaxation, its moves under the minimum dropped and the rest floored (every
    # other rule still holds); then, on a program small enough, the exact MILP with a binary
    # per move, kept when it does better.
    relaxed = milp(**program)
    best = None if relaxed.x is None else _whole(relaxed.x, pairs, donors, receivers, rules)
    if p <= MILP_MAX_MOVES:
        exact = milp(
            **program,
            integrality=np.concatenate([np.ones(2 * p), np.zeros(r + d)]),
            options={"time_limit": MILP_SECONDS, "mip_rel_gap": MILP_GAP},
        )
        if exact.x is not None and (best is None or cost @ exact.x <= cost @ best):
            best = exact.x
    if best is None:
        return [], 0.0
    return _moves(pairs, donors, receivers, best, rules), _objective(best, cost, p)


def _whole(
    x: Array,
    pairs: npt.NDArray[np.int64],
    donors: Sequence[Donor],
    receivers: Sequence[Receiver],
    rules: TransferRules,
) -> Array:
    """A relaxed answer as whole moves of min..max units, with the sales saved and lost that
    follow from them."""
    p, r = len(pairs), len(receivers)
    units = np.floor(x[:p] + 1e-6)
    units[units < rules.min_units] = 0.0
    into = np.bincount(pairs[:, 1], weights=units, minlength=r)
    out = np.bincount(pairs[:, 0], weights=units, minlength=len(donors))
    saved = np.minimum(into, [rc.lost for rc in receivers])
    lost = np.maximum(out - np.array([max(dn.spare, 0.0) for dn in donors]), 0.0)
    return np.concatenate([units, (units > 0).astype(np.float64), saved, lost])


def _constraints(
    pairs: npt.NDArray[np.int64], donors: Sequence[Donor], rules: TransferRules, r: int
) -> tuple[csr_matrix, Array, Array]:
    """The rules as rows over [x, y, g, l]: a move is 0 or min..max units (x <= max y,
    x >= min y); a receiver saves no more than it receives; a donor gives no more than its
    limit; what it gives beyond its spare is its own lost sales."""
    p, d = len(pairs), len(donors)
    j = np.arange(p)
    x, y, g, lost = 0, p, 2 * p, 2 * p + r
    blocks = [
        (j, x + j, np.ones(p)),
        (j, y + j, np.full(p, -float(rules.max_units))),
        (p + j, x + j, np.ones(p)),
        (p + j, y + j, np.full(p, -float(rules.min_units))),
        (2 * p + np.arange(r), g + np.arange(r), np.ones(r)),
        (2 * p + pairs[:, 1], x + j, -np.ones(p)),
        (2 * p + r + pairs[:, 0], x + j, np.ones(p)),
        (2 * p + r + d + pairs[:, 0], x + j, np.ones(p)),
        (2 * p + r + d + np.arange(d), lost + np.arange(d), -np.ones(d)),
    ]
    rows = np.concatenate([b[0] for b in blocks])
    cols = np.concatenate([b[1] for b in blocks])
    vals = np.concatenate([b[2] for b in blocks])
    shape = (2 * p + r + 2 * d, 2 * p + r + d)
    matrix = coo_matrix((vals, (rows, cols)), shape=shape).tocsr()
    low = np.concatenate([np.full(p, -np.inf), np.zeros(p), np.full(r + 2 * d, -np.inf)])
    high = np.concatenate(
        [
            np.zeros(p),
            np.full(p, np.inf),
            np.zeros(r),
            np.array([float(dn.limit) for dn in donors]),
            np.array([max(dn.spare, 0.0) for dn in donors]),
        ]
    )
    return matrix, low, high


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


def _objective(x: Array, cost: Array, p: int) -> float:
    """Margin saved less transfer cost (without the tie-breaking penalty per move)."""
    moves_penalty = float(cost[p : 2 * p] @ np.round(x[p : 2 * p]))
    return -(float(cost @ x) - moves_penalty)


def _moves(
    pairs: npt.NDArray[np.int64],
    donors: Sequence[Donor],
    receivers: Sequence[Receiver],
    x: Array,
    rules: TransferRules,
) -> list[tuple[Donor, Receiver, int, float]]:
    p, chosen = len(pairs), []
    # Whole units, down: a relaxation's fractions never take a donor past its limit.
    whole = np.floor(x[:p] + 1e-6)
    into = np.bincount(pairs[:, 1], weights=whole, minlength=len(receivers))
    for j, (di, ri) in enumerate(pairs.tolist()):
        units = int(whole[j])
        if units < rules.min_units:
            continue
        saved_units = float(x[2 * p + ri]) * units / into[ri] if into[ri] > 0 else 0.0
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


def _plan_words(velocity: float | None) -> str:
    return "no plan to date" if velocity is None else f"sells {velocity:.2f}x its plan"


def why(donor: Donor, receiver: Receiver, rules: TransferRules) -> str:
    """A move's reason in a planner's words: sales against plan, cover, lost sales."""
    to = (
        f"{receiver.store} {_plan_words(receiver.velocity)} with {receiver.cover:.1f} weeks of "
        f"cover and is projected to lose {receiver.lost:,.0f} units of sales from week "
        f"{receiver.arrival_week}, when the move arrives"
    )
    if donor.location == DC:
        source = (
            f"the DC holds {donor.stock:,.0f} and may release {donor.limit:,} (it keeps at "
            f"least {rules.dc_floor_share:.0%} of its holdback)"
        )
    else:
        source = (
            f"{donor.location} {_plan_words(donor.velocity)} with {donor.cover:.1f} weeks of "
            f"cover and can give {donor.limit:,} of its {donor.stock:,.0f} "
            f"({rules.donor_share:.0%})"
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
    chosen, objective = solve(donors, receivers, rules, now)
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
    return CategoryProposal(inputs.code, moves, donors, receivers, objective)
