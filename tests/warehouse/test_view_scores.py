"""forecast_accuracy's proper scores, per forecast on a real file, agree with scoringrules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scoringrules as sr

from pipeline.evaluation.probabilistic import crps_from_quantiles
from warehouse.connection import connect


def test_the_views_scores_agree_with_scoringrules(warehouse_path: Path, store: Any) -> None:
    with connect(warehouse_path) as con:
        store.ladders(con, {"naive": 0.02, "wide": 0.05}, days=60)
        rows = con.execute(
            """
            select a.actual, a.lower_80, a.upper_80, a.lower_95, a.upper_95,
                   a.interval_score_80, a.interval_score_95, a.pinball_loss, a.n_quantiles,
                   list(q.level order by q.level) as levels,
                   list(q.value order by q.level) as quantiles
            from forecast_accuracy as a join forecast_quantiles as q using (forecast_id)
            group by all
            """
        ).df()
    assert len(rows) == 2 * 59 and (rows["n_quantiles"] == len(store.levels)).all()
    y = rows["actual"].to_numpy()
    for pct, alpha in ((80, 0.2), (95, 0.05)):
        expected = sr.interval_score(y, rows[f"lower_{pct}"], rows[f"upper_{pct}"], alpha)
        np.testing.assert_allclose(rows[f"interval_score_{pct}"], expected, rtol=1e-12)
    levels = np.array(rows["levels"].iloc[0])
    q = np.stack(rows["quantiles"].to_numpy())
    pinball = np.mean([sr.quantile_score(y, q[:, i], t) for i, t in enumerate(levels)], axis=0)
    np.testing.assert_allclose(rows["pinball_loss"], pinball, rtol=1e-12)
    crps = sr.crps_quantile(y, q, levels)
    np.testing.assert_allclose(2 * rows["pinball_loss"], crps, rtol=1e-12)
    one = {float(t): q[:1, i] for i, t in enumerate(levels)}
    assert crps_from_quantiles(y[:1], one) == pytest.approx(crps[0])
