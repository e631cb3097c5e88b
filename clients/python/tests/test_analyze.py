"""analyze: change points over the RPC, with the real server."""

import math
import random

import pytest

from runclinic import RPCError
from test_schema import check


def test_a_drop_in_validation_recall_is_one_change_point_at_its_step(client):
    rng = random.Random(4)
    values = [(0.89 if step < 2049 else 0.74) + rng.gauss(0, 0.01) for step in range(0, 4000, 1)]
    steps = list(range(0, 4000))
    reply = client.call("analyze.change_points", values=values, steps=steps)
    check("analyze.change_points", reply)
    assert reply["change_points"] == [2049] and reply["steps"] == [2049] and reply["model"] == "linear"
    assert reply["penalty"] == pytest.approx(4 * math.log(4000))


def test_models_penalties_and_gaps(client):
    rng = random.Random(9)
    values = [(0.0 if index < 100 else 3.0) + rng.gauss(0, 1) for index in range(200)]
    values[5] = None
    values[150] = float("nan")
    for model in ["mean", "mean_variance", "linear"]:
        reply = client.call("analyze.change_points", values=values, model=model)
        assert reply["filled"] == 2 and any(abs(point - 100) <= 3 for point in reply["change_points"]), model
    assert client.call("analyze.change_points", values=values, model="mean", penalty=1e9)["change_points"] == []
    bic = client.call("analyze.change_points", values=values, model="mean", penalty="bic")
    assert bic["penalty"] == pytest.approx(2 * math.log(200))
    many = client.call("analyze.change_points", values=values, model="mean", noise="differences", penalty=0.5)
    assert len(many["change_points"]) > 5  # a tiny penalty against white noise cuts everywhere
    assert client.call("analyze.change_points", values=[1.0, 2.0])["change_points"] == []


@pytest.mark.parametrize("params, field", [
    ({}, "values"),
    ({"values": "1,2,3"}, "values"),
    ({"values": [1, 2, "three"]}, "values[2]"),
    ({"values": [1, 2], "model": "cubic"}, "model"),
    ({"values": [1, 2], "penalty": "aic"}, "penalty"),
    ({"values": [1, 2], "penalty": -1}, "penalty"),
    ({"values": [1, 2], "min_segment": 0}, "min_segment"),
    ({"values": [1, 2], "steps": [1]}, "steps"),
    ({"values": [1, 2], "noise": "pink"}, "noise"),
    ({"values": [1, 2], "smoothing": 3}, "smoothing"),
])
def test_bad_params_name_their_field_and_the_server_keeps_serving(client, params, field):
    with pytest.raises(RPCError) as error:
        client.call("analyze.change_points", **params)
    assert error.value.code == -32602 and error.value.data["field"] == field
    assert client.call("analyze.change_points", values=[0.0] * 10 + [5.0] * 10, model="mean")["change_points"] == [10]


def test_an_isolated_spike_is_an_outlier_not_two_change_points(client):
    rng = random.Random(12)
    values = [(1.0 if index < 300 else 3.0) + rng.gauss(0, 0.05) for index in range(400)]
    for index in range(150, 153):
        values[index] += 8.0
    cut = client.call("analyze.change_points", values=values, spikes="segments")
    assert any(abs(point - 150) <= 1 for point in cut["change_points"]) and cut["spikes"] == []
    reply = client.call("analyze.change_points", values=values)
    check("analyze.change_points", reply)
    assert reply["spikes"] == [[150, 153]]
    assert [point for point in reply["change_points"] if abs(point - 300) <= 2] and not [
        point for point in reply["change_points"] if 140 <= point <= 160]
    with pytest.raises(RPCError) as refused:
        client.call("analyze.change_points", values=values, spikes="pairs")
    assert refused.value.code == -32602 and refused.value.data["field"] == "spikes"
