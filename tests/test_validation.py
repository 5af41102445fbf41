"""The shared argument checks: what they accept, what they return, and messages that show the bad value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterwatch.errors import OptionError
from clusterwatch.validation import (
    check_alpha,
    check_case_mask,
    check_choice,
    check_int,
    check_latlon,
    check_number,
    check_points,
    check_share,
)


@pytest.mark.parametrize("value", [0, 1, -0.1, 1.5, float("nan"), float("inf"), "0.05", None, True])
def test_alpha_outside_the_open_unit_interval_is_refused_with_the_value(value: object) -> None:
    with pytest.raises(OptionError) as info:
        check_alpha(value)
    message = str(info.value)
    assert message.startswith("alpha must be a number in (0, 1)") and repr(value) in message


@pytest.mark.parametrize("value", [1e-9, 0.05, np.float64(0.5), 0.999])
def test_alpha_inside_is_returned_as_a_float(value: float) -> None:
    out = check_alpha(value)
    assert type(out) is float and out == float(value)


def test_interval_ends_follow_closed() -> None:
    assert check_number(0, "x", low=0, high=1, closed="left") == 0
    assert check_number(1, "x", low=0, high=1, closed="right") == 1
    for value, closed in [(0, "right"), (1, "left"), (0, "neither"), (1, "neither")]:
        with pytest.raises(OptionError, match=r"x must be a number in [\[(]0, 1[\])]"):
            check_number(value, "x", low=0, high=1, closed=closed)
    with pytest.raises(OptionError, match="closed must be one of both, left, right, neither; got 'open'"):
        check_number(0.5, "x", low=0, high=1, closed="open")


def test_share_caps_at_high() -> None:
    assert check_share(0.5, "max_population", high=0.5) == 0.5
    with pytest.raises(OptionError, match=r"max_population must be a number in \(0, 0.5\]; got 0.51"):
        check_share(0.51, "max_population", high=0.5)
    with pytest.raises(OptionError, match=r"got 0$"):
        check_share(0, "share")


def test_ints() -> None:
    assert check_int(np.int64(7), "k", minimum=1) == 7 and type(check_int(np.int64(7), "k")) is int
    assert check_int(3.0, "k") == 3
    with pytest.raises(OptionError, match="k must be an int; got 2.5"):
        check_int(2.5, "k")
    with pytest.raises(OptionError, match="k must be an int; got True"):
        check_int(True, "k")
    with pytest.raises(OptionError, match=r"k must be an int in \[1, 15\]; got 16"):
        check_int(16, "k", minimum=1, maximum=15)
    with pytest.raises(OptionError, match="k must be an int of at most 3; got 4"):
        check_int(4, "k", maximum=3)


def test_choice_lists_the_allowed_values() -> None:
    with pytest.raises(OptionError, match="method must be one of leiden, louvain; got 'kmeans'"):
        check_choice("kmeans", "method", ("leiden", "louvain"))


def test_points_accept_lists_arrays_and_frames() -> None:
    expected = [[0.0, 1.0], [2.0, 3.0]]
    assert check_points([(0, 1), (2, 3)]).tolist() == expected
    assert check_points(np.array([[0, 1], [2, 3]])).tolist() == expected
    assert check_points(pd.DataFrame({"x": [0, 2], "y": [1, 3]})).tolist() == expected
    assert check_points([]).shape == (0, 2)


def test_points_name_the_bad_row() -> None:
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, np.inf, 1.0]}, index=["a", "b", "c"])
    with pytest.raises(OptionError, match=r"sites must be finite numbers; row 'b' is \[1.0, inf\]"):
        check_points(frame, "sites")
    with pytest.raises(OptionError, match=r"\(n, 2\) array of x, y pairs; got shape \(3,\)"):
        check_points([1.0, 2.0, 3.0])
    with pytest.raises(OptionError, match="must be an \\(n, 2\\) array of numbers"):
        check_points([("a", "b")])


def test_latlon_ranges_and_the_bad_row() -> None:
    lat, lon = check_latlon(pd.Series([59.9, 60.4]), pd.Series([10.7, 5.3]))
    assert lat.tolist() == [59.9, 60.4] and lon.tolist() == [10.7, 5.3]
    for la, lo in [(91.0, 0.0), (0.0, -180.5), (float("nan"), 0.0)]:
        with pytest.raises(OptionError, match=r"row 'y': lat"):
            check_latlon(pd.Series([1.0, la], index=["x", "y"]), pd.Series([1.0, lo], index=["x", "y"]))
    with pytest.raises(OptionError, match=r"lat and lon differ in shape: \(2,\) vs \(1,\)"):
        check_latlon([1.0, 2.0], [1.0])


def test_case_masks() -> None:
    frame = pd.DataFrame({"hit": [True, False, True]}, index=[10, 11, 12])
    assert check_case_mask("hit", 3, frame=frame).tolist() == [True, False, True]
    assert check_case_mask(frame["hit"], 3, index=frame.index).dtype == bool
    assert check_case_mask(np.array([0, 1, 1]), 3).tolist() == [False, True, True]
    with pytest.raises(OptionError, match="names the column 'miss', which is not there; columns: hit"):
        check_case_mask("miss", 3, frame=frame)
    with pytest.raises(OptionError, match="aligned on the rows' index"):
        check_case_mask(frame["hit"].reset_index(drop=True), 3, index=frame.index)
    with pytest.raises(OptionError, match="has 1 missing values"):
        check_case_mask(pd.Series([True, None, False]), 3)
    with pytest.raises(OptionError, match=r"one value per row \(3\); got shape \(2,\)"):
        check_case_mask([True, False], 3)
    with pytest.raises(OptionError, match="got values such as yes"):
        check_case_mask(np.array(["yes", "no", "no"], dtype=object), 3)
    with pytest.raises(OptionError, match="must mark some but not all rows; got 3 of 3"):
        check_case_mask([1, 1, 1], 3, some=True)
