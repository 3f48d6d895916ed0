"""The 80-class mapping that every model and dataset shares."""

import string

import pytest

from text_recognizer.data import character_mapping as cm


def test_mapping_has_blank_emnist_classes_then_line_symbols():
    assert len(cm.MAPPING) == cm.NUM_CLASSES == 80
    assert len(set(cm.MAPPING)) == 80
    assert cm.MAPPING[0] == "_" == cm.BLANK
    assert "".join(cm.MAPPING[1:63]) == string.digits + string.ascii_uppercase + string.ascii_lowercase
    assert cm.MAPPING[63:] == [
        " ",
        "!",
        '"',
        "#",
        "&",
        "'",
        "(",
        ")",
        "*",
        "+",
        ",",
        "-",
        ".",
        "/",
        ":",
        ";",
        "?",
    ]


def test_emnist_labels_shift_by_one_for_the_blank():
    assert cm.emnist_label_to_index(0) == cm.char_to_index("0") == 1
    assert cm.emnist_label_to_index(10) == cm.char_to_index("A") == 11
    assert cm.emnist_label_to_index(61) == cm.char_to_index("z") == 62


def test_text_round_trip_and_unknown_character():
    indices = cm.text_to_indices("Hi, there?")
    assert cm.indices_to_text(indices + [0, 0]) == "Hi, there?"  # padding dropped
    with pytest.raises(ValueError, match="not one of the course's 80 classes"):
        cm.char_to_index("é")


def test_groups_cover_the_62_emnist_classes():
    groups = {name: cm.group_indices(name) for name in cm.CHARACTER_GROUPS}
    assert groups["digits"] == list(range(1, 11))
    assert sorted(i for indices in groups.values() for i in indices) == list(range(1, 63))
    assert cm.group_of(cm.char_to_index("q")) == "lowercase"
    assert cm.group_of(cm.char_to_index(" ")) is None
