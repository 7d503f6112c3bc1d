"""The decision threshold chosen from normal faces of every age, and the per-group normal rate."""
import pytest

import facenorm as fn
from facenorm.lipdetect.false_alarms import normal_rate_by_group, threshold_for_normal_rate


def rows(values, group, model="m"):
    return [{"path": f"{group}{i}", "group": group, "error": None, "p": {model: v}} for i, v in enumerate(values)]


def test_threshold_keeps_every_group_at_the_rate():
    photos = rows([0.1, 0.2, 0.3, 0.9], "0-2") + rows([0.05, 0.1, 0.2, 0.6], "18-59")
    photos.append({"path": "x", "group": "0-2", "error": "NoFaceError: none", "p": {}})
    t = threshold_for_normal_rate(photos, "m", 0.75)
    assert 0.3 < t < 0.31   # the infants need it above their third face; the adults only above 0.2
    rates = normal_rate_by_group(photos, "m", t)
    assert rates["0-2"] == {"n": 4, "normal": 3, "normal_rate": 0.75, "no_face": 1}
    assert rates["18-59"]["normal"] == 3


def test_threshold_rate_is_checked():
    with pytest.raises(fn.InputError, match="rate"):
        threshold_for_normal_rate(rows([0.1], "0-2"), "m", 1.0)
