"""Named training setups: ``seed`` (the tutorials' exact one) and ``default`` (the best found).

A preset fixes the split's window, features (optionally per target) and target kind, the
epochs, and hyperparameters per model kind; the target and range sizes stay the caller's.
``default`` was chosen with ``pipeline.training.search.search`` on Moutai's VALIDATION range
only (the tutorial split's last 240 targets held out, 120 validation targets) for open and close
targets: every split setting with ``linear``, then 6 draws per neural kind (batch 64, patience 5,
at most 30 epochs) from windows 10 and 20, the OHLC, returns and returns-with-context feature
sets, the return from the close as target and ``SearchSpace``'s default network settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from pipeline.choices import ENSEMBLE_KIND, NEURAL_KINDS, PRESET_NAMES, RECURRENT_KINDS
from pipeline.errors import InputError
from pipeline.splits.config import SplitConfig, TargetKind
from pipeline.step_options import DEFAULT_SEED
from pipeline.training.search import OHLC, RETURNS_CONTEXT, Candidate, SearchSpace, draw

SEARCHABLE_KINDS = ("linear", "gru", "lstm")  # what ``train`` searches (the kinds)
SEARCHED_SETTINGS = ("units", "dropout", "learning_rate")  # a recurrent kind's, in SearchSpace


@dataclass(frozen=True)
class Preset:
    """Split settings, epochs and per-kind hyperparameters (kinds not named use defaults)."""

    name: str
    window: int
    features: tuple[str, ...]  # empty: the target column alone, as the tutorials did
    target_kind: TargetKind
    epochs: int
    hyperparameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    features_by_target: dict[str, tuple[str, ...]] = field(default_factory=dict)  # overrides
    # What ``train`` searches on validation before its final fits (None: the preset as it is)
    search: SearchSpace | None = None
    search_budget: int = 0  # candidates drawn per kind, besides the preset's own

    def split_config(self, target: str, *, test_size: int, validation_size: int) -> SplitConfig:
        """The split for ``target`` with the caller's range sizes."""
        return SplitConfig(
            window=self.window,
            features=self.features_by_target.get(target, self.features) or (target,),
            target=target,
            target_kind=self.target_kind,
            test_size=test_size,
            validation_size=validation_size,
        )

    def overriding(
        self,
        config: SplitConfig,
        *,
        window: int | None,
        features: tuple[str, ...] | None,
        target_kind: TargetKind | None,
    ) -> tuple[Preset, SplitConfig]:
        """``config`` with what the user set (None: not set), and this preset with those
        settings held out of its search."""
        given: dict[str, Any] = {"window": window, "features": features, "target_kind": target_kind}
        config = replace(config, **{k: v for k, v in given.items() if v is not None})
        if self.search is None:
            return self, config
        return replace(self, search=self.search.fixing(**given)), config

    def candidates(
        self, kinds: list[str], config: SplitConfig, *, budget: int, seed: int = DEFAULT_SEED
    ) -> list[Candidate]:
        """What ``train`` tries on validation for ``kinds``: per searchable kind, ``config`` as
        it is, then ``budget`` draws from the preset's search space (no test range in any)."""
        searchable = tuple(k for k in kinds if k in SEARCHABLE_KINDS)
        if self.search is None or budget <= 0 or not searchable:
            return []
        own = [
            Candidate(kind, replace(config, test_size=0), self._searched_settings(kind))
            for kind in searchable
        ]
        drawn = draw(self.search, searchable, config, budget=budget, seed=seed)
        unique = {(c.kind, c.config, repr(sorted(c.hyperparameters.items()))): c for c in drawn}
        return own + [c for c in unique.values() if c not in own]

    def settings_for(
        self, kind: str, config: SplitConfig, picked: Candidate | None
    ) -> tuple[SplitConfig, dict[str, Any]]:
        """The split config and hyperparameters ``kind`` finally trains with: the ``picked``
        candidate's (with ``config``'s test range) when a search chose one, else the preset's."""
        hyperparameters = self.hyperparameters_for(kind)
        if picked is None:
            return config, hyperparameters
        picked_config = replace(picked.config, test_size=config.test_size)
        return picked_config, {**hyperparameters, **picked.hyperparameters}

    def _searched_settings(self, kind: str) -> dict[str, Any]:
        """This preset's values of the settings a search varies for ``kind``."""
        hp = self.hyperparameters_for(kind)
        return {k: hp[k] for k in SEARCHED_SETTINGS if k in hp and kind in RECURRENT_KINDS}

    def hyperparameters_for(self, kind: str) -> dict[str, Any]:
        """``kind``'s hyperparameters; an ensemble's members get theirs from this preset too."""
        if kind == ENSEMBLE_KIND:
            members = {k: v for k, v in self.hyperparameters.items() if k != ENSEMBLE_KIND}
            return {"member_hyperparameters": members, **self.hyperparameters.get(kind, {})}
        return dict(self.hyperparameters.get(kind, {}))


_TUTORIAL_NETWORK = {
    "units": (80, 100),
    "dropout": 0.2,
    "learning_rate": 1e-3,
    "batch_size": 64,
}
SEED = Preset(
    name="seed",
    window=60,
    features=(),
    target_kind="level",
    epochs=50,
    hyperparameters={kind: _TUTORIAL_NETWORK for kind in NEURAL_KINDS},
)

_SEARCHED = {"batch_size": 64, "patience": 5}
# Validation MAE / naive on Moutai: a return from the last close wins for every kind (open 0.41,
# close 0.96-0.99); levels of OHLC suit the open target, scale-free returns with volume and
# weekday the close target; one window (20) keeps one split for every model of a run.
DEFAULT = Preset(
    name="default",
    window=20,
    features=RETURNS_CONTEXT,
    features_by_target={"open": OHLC},
    target_kind="log_return_from_close",
    epochs=30,
    hyperparameters={
        "gru": {"units": (32,), "dropout": 0.2, "learning_rate": 1e-3, **_SEARCHED},
        "lstm": {"units": (32,), "dropout": 0.0, "learning_rate": 1e-3, **_SEARCHED},
        # the distributional kinds keep their point twins' networks (not searched)
        "gru_dist": {"units": (32,), "dropout": 0.2, "learning_rate": 1e-3, **_SEARCHED},
        "lstm_dist": {"units": (32,), "dropout": 0.0, "learning_rate": 1e-3, **_SEARCHED},
    },
    # ``train`` re-checks these choices on the data it is given: the neighbours of the values
    # above, 4 draws per kind beside the preset's own config, ranked on validation only.
    search=SearchSpace(
        windows=(10, 20),
        feature_sets=(OHLC, RETURNS_CONTEXT),
        target_kinds=("log_return_from_close",),
        units=((32,), (64,)),
        dropouts=(0.0, 0.2),
        learning_rates=(1e-3, 3e-3),
    ),
    search_budget=4,
)
PRESETS: dict[str, Preset] = {p.name: p for p in (SEED, DEFAULT)}
assert tuple(PRESETS) == PRESET_NAMES, "pipeline.choices names the presets"


def get_preset(name: str) -> Preset:
    """The preset called ``name``; InputError lists the names otherwise."""
    if name not in PRESETS:
        raise InputError(f"unknown preset {name!r}; choose from {list(PRESETS)}")
    return PRESETS[name]
