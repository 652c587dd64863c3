"""Referral trees (分佣 on up to three levels; docs/MODEL.md §3.12).

A buyer whose first referred WeChat order of a brand came through a shared link joins
that brand's tree under the sharer (``Population.parent``). An order through a link
pays the sharer (level 1), her own referrer (level 2) and that one's referrer (level 3):
three levels at most, as China's rules on pyramid selling allow (State Council Decree
444, 2005; docs/SOURCES.md). A sharer weighs what a share may earn her: the level-1 rate
on the orders it brings, and the deeper rates on the orders those buyers' own shares
are expected to bring (:func:`expected_commission_rate`).

The kernels here are what both engines' bookkeeping shares (who is whose upline, how
deep a node sits); :func:`referral_kpis` summarises a run's trees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config.schema import Referral
from ..jit import njit
from ..ledger import REFERRAL_LEVELS, SHARE_DEPTHS, Ledger
from ..population import NO_ONE

__all__ = ["expected_commission_rate", "upline", "tree_depth", "in_upline", "book_levels", "share_depth_counts",
           "TreeShape", "tree_shape", "referral_kpis", "SIZE_BINS", "REFERRAL_KPIS"]

#: Tree-size bins (agents in a tree, its root included): 2, 3–4, 5–8, 9–16, 17 and more.
SIZE_BINS = ((2, 2), (3, 4), (5, 8), (9, 16), (17, None))
_DEPTH_NAMES = ("1", "2", "3", "4plus")


def _bin_name(bounds: tuple[int, int | None]) -> str:
    low, high = bounds
    return f"{low}plus" if high is None else (f"{low}" if low == high else f"{low}_{high}")


#: Keys of a brand's ``referral`` KPIs (:func:`referral_kpis`), in order.
REFERRAL_KPIS = (*(f"orders_level{k + 1}" for k in range(REFERRAL_LEVELS)),
                 *(f"commission_level{k + 1}" for k in range(REFERRAL_LEVELS)),
                 *(f"shares_depth{d}" for d in _DEPTH_NAMES), *(f"members_depth{d}" for d in _DEPTH_NAMES),
                 *(f"trees_size{_bin_name(b)}" for b in SIZE_BINS),
                 "trees", "largest_tree", "mean_tree_size", "downline_per_member", "expected_rate")


def expected_commission_rate(referral: Referral, downline: float) -> float:
    """The commission rate a sharer expects on an order her share brings, share of order value.

    Notes
    -----
    ρ = ℓ1 + ℓ2·m̂ + ℓ3·m̂²: each order her share brings pays her ℓ1; each buyer it brings
    is expected to bring m̂ orders in turn (``downline``, ``behaviour.downline_expectation``),
    which pay her ℓ2, and each of those m̂ more, which pay her ℓ3. With ℓ2 = ℓ3 = 0 it is
    ℓ1 exactly (the one-level rule).
    """
    rate = referral.level1
    if referral.level2 or referral.level3:
        rate = rate + referral.level2 * downline + referral.level3 * downline * downline
    return rate


@njit
def upline(parent: np.ndarray, sharer: int, brand: int) -> tuple[int, int]:
    """The level-2 and level-3 payees of an order through ``sharer``'s link (−1: none):
    her referrer in the brand's tree and that one's referrer."""
    second = parent[sharer, brand]
    third = parent[second, brand] if second != NO_ONE else NO_ONE
    return second, third


@njit
def tree_depth(parent: np.ndarray, node: int, brand: int, limit: int = 1 << 62) -> int:
    """How many referrers stand above ``node`` in the brand's tree (0: she was not referred),
    counting no further than ``limit``."""
    depth, at, limit = 0, parent[node, brand], min(limit, len(parent))
    while at != NO_ONE and depth < limit:  # trees have no cycles (in_upline guards joins)
        depth += 1
        at = parent[at, brand]
    return depth


@njit
def in_upline(parent: np.ndarray, node: int, someone: int, brand: int) -> bool:
    """Whether ``someone`` is ``node`` or stands above her in the brand's tree: a buyer
    never joins under her own downline, so the tree stays a forest."""
    at, steps = node, 0
    while at != NO_ONE and steps <= len(parent):
        if at == someone:
            return True
        at, steps = parent[at, brand], steps + 1
    return False


@njit
def book_levels(record_day: np.ndarray, brand: int, amounts: tuple, paid: tuple, scale: float) -> None:
    """Book one order through a link into the day's tree record (:attr:`Ledger.referrals`):
    per level with a payee (``paid[ℓ]``), ``scale`` orders and the commission ``amounts[ℓ]`` × scale."""
    for level in range(REFERRAL_LEVELS):
        if paid[level]:
            record_day[brand, 0, level] += scale
            record_day[brand, 1, level] += amounts[level] * scale


@njit
def share_depth_counts(parent: np.ndarray, sharers: np.ndarray, brand: int) -> np.ndarray:
    """(SHARE_DEPTHS,) sharers by the depth of their share: 1 + the sharer's depth, the last
    bin holding 4 and deeper."""
    counts = np.zeros(SHARE_DEPTHS)
    for s in sharers:  # the last bin needs no deeper walk: trees grow long with strong word of mouth
        counts[tree_depth(parent, s, brand, SHARE_DEPTHS - 1)] += 1.0
    return counts


@dataclass(frozen=True)
class TreeShape:
    """One brand's referral forest at the end of a run (agents).

    Attributes
    ----------
    members_by_depth : ndarray (SHARE_DEPTHS,)
        Referred buyers at depth 1, 2, 3 and 4 or deeper.
    sizes : ndarray (trees,)
        Agents in each tree (its root, a buyer nobody referred, included), largest first.
    """

    members_by_depth: np.ndarray
    sizes: np.ndarray

    @property
    def downline_per_member(self) -> float:
        """Buyers a referred buyer went on to refer, on average: the tree's measured offspring
        mean m below its roots (compare ``behaviour.downline_expectation``)."""
        members = self.members_by_depth.sum()
        return float(self.members_by_depth[1:].sum() / members) if members else 0.0

    def size_counts(self) -> list[int]:
        """Trees in each of :data:`SIZE_BINS`."""
        return [int(np.count_nonzero((self.sizes >= low) & (self.sizes <= (high or self.sizes.max(initial=0)))))
                for low, high in SIZE_BINS]


def tree_shape(parent: np.ndarray) -> TreeShape:
    """The forest of one brand's ``parent`` column ((n,) int, −1 for no referrer)."""
    n = len(parent)
    depth, root = np.zeros(n, np.int64), np.arange(n)
    above = parent.astype(np.int64)
    while (climbing := above >= 0).any():  # pointer chasing: at most the deepest tree's depth passes
        depth[climbing] += 1
        root[climbing] = above[climbing]
        above[climbing] = parent[above[climbing]]
    members = depth > 0
    bins = np.bincount(np.minimum(depth[members], SHARE_DEPTHS), minlength=SHARE_DEPTHS + 1)[1:]
    sizes = np.bincount(root[members], minlength=n)
    sizes = np.sort(sizes[sizes > 0] + 1)[::-1]
    return TreeShape(members_by_depth=bins.astype(float), sizes=sizes)


def referral_kpis(ledger: Ledger, parent: np.ndarray, brand: int, scale: float, expected_rate: float) -> dict[str, float]:
    """The referral tree KPIs of brand ``brand`` over a run (real people and ¥ unless said).

    orders_level{ℓ} and commission_level{ℓ}: orders through links with a level-ℓ payee
    and the commission paid at that level; shares_depth{d}: sharer-days whose referees
    would join at depth d (4plus: 4 and deeper); members_depth{d}: referred buyers at
    depth d; trees_size{…}: trees by size (agents a tree holds, × scale trees);
    largest_tree and mean_tree_size in agents; downline_per_member: the measured
    offspring mean (:attr:`TreeShape.downline_per_member`); expected_rate: the rate
    sharers expect (:func:`expected_commission_rate`).
    """
    record = ledger.referrals[:, brand].sum(axis=0)
    depths = _DEPTH_NAMES
    shape = tree_shape(parent[:, brand])
    out = {f"orders_level{k + 1}": float(record[0, k]) for k in range(REFERRAL_LEVELS)}
    out |= {f"commission_level{k + 1}": float(record[1, k]) for k in range(REFERRAL_LEVELS)}
    out |= {f"shares_depth{d}": float(x * scale) for d, x in zip(depths, ledger.share_depths[:, brand].sum(axis=0))}
    out |= {f"members_depth{d}": float(x * scale) for d, x in zip(depths, shape.members_by_depth)}
    out |= {f"trees_size{_bin_name(b)}": float(x * scale) for b, x in zip(SIZE_BINS, shape.size_counts())}
    out |= {"trees": float(len(shape.sizes) * scale), "largest_tree": float(shape.sizes.max(initial=0)),
            "mean_tree_size": float(shape.sizes.mean()) if len(shape.sizes) else 0.0,
            "downline_per_member": shape.downline_per_member, "expected_rate": float(expected_rate)}
    return out
