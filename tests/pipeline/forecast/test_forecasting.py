"""The split-conformal quantile (an interval's half-width) against one computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.errors import InputError, InsufficientDataError
from pipeline.forecast.point import conformal_quantile

# |residuals| sorted: 1, 2, ..., 9 (n = 9); signs must not matter.
RESIDUALS = np.array([3.0, -1.0, 2.0, -9.0, 5.0, -4.0, 8.0, -6.0, 7.0])


def test_conformal_quantile_by_hand() -> None:
    # level 0.8: rank ceil((9+1)*0.8) = 8 -> the 8th smallest |residual| is 8.
    assert conformal_quantile(RESIDUALS, 0.8) == 8.0
    # level 0.5: rank ceil(10*0.5) = 5 -> 5.
    assert conformal_quantile(RESIDUALS, 0.5) == 5.0
    # level 0.85: rank ceil(8.5) = 9 -> the largest, where np.quantile(..., 0.85) gives 7.8:
    # the correction is what keeps coverage >= level on a finite sample.
    assert conformal_quantile(RESIDUALS, 0.85) == 9.0


def test_conformal_needs_enough_residuals() -> None:
    # level 0.95 with n = 9: rank ceil(9.5) = 10 > 9, so no finite interval exists.
    with pytest.raises(InsufficientDataError, match=r"9 residuals.*at least 19"):
        conformal_quantile(RESIDUALS, 0.95)
    with pytest.raises(InputError, match="between 0 and 1"):
        conformal_quantile(RESIDUALS, 1.5)
