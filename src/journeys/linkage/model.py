"""A Fellegi-Sunter model over field-level similarity bands, trained by EM without labels.

Fellegi & Sunter (1969): each field's comparison level has a probability ``m`` among matches and
``u`` among non-matches; a pair's match weight is the log2 prior odds plus the sum of
``log2(m/u)`` over fields. Comparison levels are bands of the field-level Dice similarity of
Bloom filters, as in Brown, Randall, Boyd & Ferrante (IJPDS 2019). ``m`` (and optionally ``u``)
are estimated by EM over the candidate pairs (Winkler 1988); ``u`` by default from random pairs.
A missing value contributes weight 0.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from journeys.exceptions import ConfigError, LinkageError, NotFittedError

__all__ = ["FellegiSunterModel", "levels"]

logger = logging.getLogger(__name__)

Sims = npt.NDArray[np.float32]
_EPS: Final = 1e-6
#: Pseudo-count added to every level's (weighted) count.
_PSEUDO: Final = 0.5
#: Candidate pairs per blocking key used to train m (a random sample above this).
_MAX_TRAIN: Final = 1_000_000
_MODEL_VERSION: Final = 1


def levels(sims: Sims, bands: tuple[float, ...]) -> npt.NDArray[np.int8]:
    """Comparison level of each similarity: 0 for ``>= bands[0]`` ... ``len(bands)`` below all
    bands, and -1 for missing (NaN).

    Examples
    --------
    >>> levels(np.array([1.0, 0.9, 0.1, np.nan], dtype=np.float32), (0.95, 0.8)).tolist()
    [0, 1, 2, -1]
    """
    out = np.full(len(sims), len(bands), dtype=np.int8)
    for i in range(len(bands) - 1, -1, -1):
        out[sims >= bands[i]] = i
    out[np.isnan(sims)] = -1
    return out


def _frequencies(
    lv: npt.NDArray[np.int8], n_levels: int, weights: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Level frequencies with a small Dirichlet prior, so that no level has probability 0."""
    mask = lv >= 0
    counts = np.bincount(lv[mask], weights=weights[mask], minlength=n_levels).astype(np.float64)
    smoothed = counts + _PSEUDO
    return np.asarray(smoothed / smoothed.sum(), dtype=np.float64)


class FellegiSunterModel:
    """Field-level Fellegi-Sunter model (see module docstring).

    Parameters
    ----------
    fields
        Names of the compared fields, in order.
    bands
        Lower edges of the similarity bands (decreasing).
    u_method
        ``sampling`` (u from random pairs, fixed during EM) or ``em``.
    max_iter, tol
        EM stopping rule.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> match = rng.random((200, 2)).astype(np.float32) * 0.1 + 0.9
    >>> other = rng.random((800, 2)).astype(np.float32) * 0.6
    >>> sims = {"a": np.r_[match[:, 0], other[:, 0]], "b": np.r_[match[:, 1], other[:, 1]]}
    >>> model = FellegiSunterModel(["a", "b"], bands=(0.9, 0.7), u_method="em").fit(sims)
    >>> bool((model.match_weight(sims)[:200] > 0).all())
    True
    """

    def __init__(
        self,
        fields: list[str],
        *,
        bands: tuple[float, ...] = (0.95, 0.85, 0.7),
        u_method: Literal["sampling", "em"] = "sampling",
        max_iter: int = 50,
        tol: float = 1e-6,
    ) -> None:
        self.fields = fields
        self.bands = bands
        self.u_method = u_method
        self.max_iter = max_iter
        self.tol = tol

    # -- fitting -----------------------------------------------------------------------------
    def fit(
        self,
        sims: dict[str, Sims],
        *,
        random_sims: dict[str, Sims] | None = None,
        total_pairs: int | None = None,
        groups: list[npt.NDArray[np.int64]] | None = None,
    ) -> FellegiSunterModel:
        """Estimate ``m_``, ``u_`` and ``lambda_`` from candidate-pair similarities.

        Parameters
        ----------
        sims
            Field similarities of the candidate pairs (NaN = missing).
        random_sims
            Similarities of random record pairs: the u of ``u_method="sampling"`` and the
            starting u of EM.
        total_pairs
            Number of record pairs in the compared space (for the prior among all pairs).
        groups
            Indices of the candidate pairs produced by each blocking key. Pairs that share a
            key agree on its fields whatever their match status, so with groups m is trained
            per key on the fields that do not (almost) always agree inside it, then averaged
            (the training scheme of Splink). Without groups, EM runs once over all pairs.

        With ``u_method="sampling"`` the model scores with u from random pairs and the prior
        of a match among all ``total_pairs`` (``lambda_blocked_`` times candidate pairs over
        total pairs); with ``u_method="em"``, with the u and prior among candidate pairs.
        """
        missing = [f for f in self.fields if f not in sims]
        if missing:
            raise LinkageError(f"FellegiSunterModel.fit: no similarities for field(s) {missing}")
        if self.u_method == "sampling" and random_sims is None:
            raise LinkageError(
                "FellegiSunterModel.fit: u_method='sampling' needs random_sims; pass the "
                "similarities of random pairs or use u_method='em'"
            )
        n_levels = len(self.bands) + 1
        lv = np.stack([levels(sims[f], self.bands) for f in self.fields], axis=1)
        if lv.shape[0] == 0:
            raise LinkageError("FellegiSunterModel.fit: no candidate pairs; check the blocking")
        n_fields = len(self.fields)
        if random_sims is not None:
            u0 = np.stack(
                [
                    _frequencies(
                        levels(random_sims[f], self.bands), n_levels, np.ones(len(random_sims[f]))
                    )
                    for f in self.fields
                ]
            )
        else:
            u0 = np.tile(np.geomspace(0.01, 0.9, n_levels), (n_fields, 1))
            u0 /= u0.sum(axis=1, keepdims=True)
        m0 = np.full((n_fields, n_levels), 0.1 / (n_levels - 1))
        m0[:, 0] = 0.9
        m_all, u_all, lam_all = self._em(lv, m0, u0, 0.3, n_levels)
        m = m_all.copy()
        if groups:
            sums = np.zeros_like(m)
            seen = np.zeros(n_fields)
            rng = np.random.default_rng(0)
            for group in groups:
                if len(group) < 50:
                    continue
                # m needs a sample, not every pair
                idx = (
                    rng.choice(group, size=_MAX_TRAIN, replace=False)
                    if len(group) > _MAX_TRAIN
                    else group
                )
                sub = lv[idx].copy()
                agree = (sub == 0).mean(axis=0)
                fixed = agree >= 0.9
                if fixed.all():
                    continue
                sub[:, fixed] = -1
                m_k, _, _ = self._em(sub, m0, u0, 0.3, n_levels)
                sums[~fixed] += m_k[~fixed]
                seen[~fixed] += 1
            trained = seen > 0
            m[trained] = sums[trained] / seen[trained, None]
            logger.info(
                "m trained per blocking key for %d of %d field(s)", int(trained.sum()), n_fields
            )
            # the share of matches among candidate pairs, with m and u held
            _, _, lam_all = self._em(
                lv,
                m,
                u0 if self.u_method == "sampling" else u_all,
                lam_all,
                n_levels,
                fit_m=False,
                fit_u=False,
            )
        self.m_ = m
        self.u_blocked_ = u_all
        self.lambda_blocked_ = lam_all
        self.n_pairs_ = int(lv.shape[0])
        if self.u_method == "sampling":
            self.u_ = u0
            total_n = total_pairs if total_pairs else self.n_pairs_
            self.lambda_ = float(
                np.clip(lam_all * self.n_pairs_ / max(total_n, 1), 1e-12, 1 - _EPS)
            )
        else:
            self.u_ = u_all
            self.lambda_ = lam_all
        return self

    def _em(
        self,
        lv: npt.NDArray[np.int8],
        m: npt.NDArray[np.float64],
        u: npt.NDArray[np.float64],
        lam: float,
        n_levels: int,
        *,
        fit_m: bool = True,
        fit_u: bool = True,
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float]:
        """EM over distinct comparison patterns weighted by their counts."""
        base = n_levels + 1
        code = np.zeros(lv.shape[0], dtype=np.int64)
        for f in range(lv.shape[1] - 1, -1, -1):
            code *= base
            code += lv[:, f] + 1
        _, first, counts = np.unique(code, return_index=True, return_counts=True)
        pat = lv[first]
        c = counts.astype(np.float64)
        n_fields = lv.shape[1]
        prev = -np.inf
        it = 0
        for it in range(self.max_iter):  # noqa: B007 - the count is logged
            log_m = np.zeros(len(pat))
            log_u = np.zeros(len(pat))
            for f in range(n_fields):
                ok = pat[:, f] >= 0
                log_m[ok] += np.log(m[f, pat[ok, f]])
                log_u[ok] += np.log(u[f, pat[ok, f]])
            a = np.log(lam) + log_m
            b = np.log1p(-lam) + log_u
            top = np.maximum(a, b)
            ll = top + np.log(np.exp(a - top) + np.exp(b - top))
            p = np.exp(a - ll)
            lam = float(np.clip((c * p).sum() / c.sum(), _EPS, 1 - _EPS))
            if fit_m:
                m = np.stack([_frequencies(pat[:, f], n_levels, c * p) for f in range(n_fields)])
            if fit_u:
                u = np.stack(
                    [_frequencies(pat[:, f], n_levels, c * (1 - p)) for f in range(n_fields)]
                )
            total = float((c * ll).sum())
            if abs(total - prev) < self.tol * abs(total):
                break
            prev = total
        logger.debug(
            "EM stopped after %d iteration(s); lambda=%.4f over %d pairs", it + 1, lam, int(c.sum())
        )
        return m, u, lam

    def _check(self) -> None:
        if not hasattr(self, "m_"):
            raise NotFittedError(
                "This FellegiSunterModel is not fitted; call fit() or load a saved model first"
            )

    # -- scoring -------------------------------------------------------------------------------
    def field_weights(self, sims: dict[str, Sims]) -> dict[str, npt.NDArray[np.float64]]:
        """``log2(m/u)`` of each field's level for each pair (0 where missing)."""
        self._check()
        out: dict[str, npt.NDArray[np.float64]] = {}
        table = np.log2(self.m_ / self.u_)
        for f, name in enumerate(self.fields):
            lv = levels(sims[name], self.bands)
            w = np.zeros(len(lv))
            ok = lv >= 0
            w[ok] = table[f, lv[ok]]
            out[name] = w
        return out

    @property
    def prior_weight(self) -> float:
        """log2 of the prior odds of a match among candidate pairs."""
        self._check()
        return float(np.log2(self.lambda_ / (1 - self.lambda_)))

    def match_weight(self, sims: dict[str, Sims]) -> npt.NDArray[np.float64]:
        """Match weight (log2 posterior odds) of each pair."""
        weights = self.field_weights(sims)
        total = np.full(len(next(iter(sims.values()))), self.prior_weight)
        for w in weights.values():
            total += w
        return total

    # -- persistence ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Readable plain data: per field, each band's m, u and weight."""
        self._check()
        names = [f">= {b}" for b in self.bands] + [f"< {self.bands[-1]}"]
        return {
            "version": _MODEL_VERSION,
            "kind": "fellegi_sunter",
            "bands": list(self.bands),
            "u_method": self.u_method,
            "lambda": self.lambda_,
            "lambda_blocked": self.lambda_blocked_,
            "prior_weight": self.prior_weight,
            "n_pairs": self.n_pairs_,
            "fields": {
                name: [
                    {
                        "level": names[i],
                        "m": float(self.m_[f, i]),
                        "u": float(self.u_[f, i]),
                        "weight": float(np.log2(self.m_[f, i] / self.u_[f, i])),
                    }
                    for i in range(len(names))
                ]
                for f, name in enumerate(self.fields)
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FellegiSunterModel:
        """Rebuild a fitted model from :meth:`to_dict` output."""
        if data.get("version") != _MODEL_VERSION or data.get("kind") != "fellegi_sunter":
            raise ConfigError(
                "The linkage model",
                [
                    f"expected kind 'fellegi_sunter' version {_MODEL_VERSION}; got "
                    f"{data.get('kind')!r} version {data.get('version')!r}"
                ],
            )
        fields = list(data["fields"])
        model = cls(fields, bands=tuple(data["bands"]), u_method=data["u_method"])
        model.m_ = np.array([[lv["m"] for lv in data["fields"][f]] for f in fields])
        model.u_ = np.array([[lv["u"] for lv in data["fields"][f]] for f in fields])
        model.lambda_ = float(data["lambda"])
        model.lambda_blocked_ = float(data["lambda_blocked"])
        model.u_blocked_ = model.u_
        model.n_pairs_ = int(data["n_pairs"])
        return model

    def save(self, path: str | Path) -> Path:
        """Write the model as indented JSON."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> FellegiSunterModel:
        """Read a model saved by :meth:`save`."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ConfigError(str(path), [f"cannot be read as a linkage model: {error}"]) from None
        return cls.from_dict(data)
