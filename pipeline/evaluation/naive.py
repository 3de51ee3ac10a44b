"""How a model compares with the naive forecast ("tomorrow = today"): its skill and verdict.

Light on purpose (no scikit-learn, no SciPy): the terminal's progress bar and reports use it.
"""

from __future__ import annotations

TIE = 1e-9  # a skill this close to 0 is a tie: naive against itself sums in another order


def against_naive(mae_model: float, mae_naive: float, *, loud: bool = False) -> str:
    """``beats naive``, ``ties naive`` or ``loses to naive`` (``LOSES`` when ``loud``: a chart's
    legend, the train table): a tie is not a win, nor a loss."""
    gained = skill(mae_model, mae_naive)
    if abs(gained) <= TIE or (mae_naive == 0 and mae_model == 0):
        return "ties naive"
    if gained > 0:
        return "beats naive"
    return "LOSES to naive" if loud else "loses to naive"


def skill(mae_model: float, mae_naive: float) -> float:
    """``1 - mae_model / mae_naive``: above 0 beats the naive forecast, 0 ties it.

    NaN when the naive forecast is perfect (mae_naive == 0): no skill can be measured.
    """
    if mae_naive == 0:
        return float("nan")
    return 1.0 - mae_model / mae_naive
