import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import plates

plate_text = st.text(alphabet=plates.ALPHABET, min_size=1, max_size=plates.PLATE_LEN)


@given(plate_text)
def test_encoding_round_trips_every_plate(text):
    assert plates.decode(plates.encode(text)) == text


@given(plate_text, plate_text)
def test_codes_keep_lexicographic_order(a, b):
    assert (plates.encode(a) < plates.encode(b)) == (a < b)


@given(st.lists(plate_text, min_size=1, max_size=50))
def test_vectorised_encoding_matches_one_by_one(texts):
    codes = plates.encode_many(texts)
    assert codes.tolist() == [plates.encode(t) for t in texts]
    assert plates.decode_many(codes) == texts


@given(plate_text, plate_text)
def test_prefix_range_holds_exactly_the_plates_with_that_prefix(prefix, other):
    lo, hi = plates.prefix_range(prefix)
    assert (lo <= plates.encode(other) < hi) == other.startswith(prefix)


def test_officers_spacing_and_case_are_normalised():
    assert plates.encode("7abc 123") == plates.encode("7ABC123") == plates.encode("7-ABC-123")


@pytest.mark.parametrize("bad", ["", "TOOLONG123", "7ABC#12"])
def test_bad_plates_name_the_value(bad):
    with pytest.raises(plates.PlateError, match="plate"):
        plates.encode(bad)


def test_formats_generate_their_layout():
    rng = np.random.default_rng(0)
    ca = plates.decode_many(plates.PLATE_FORMATS["CA"].generate(rng, 200))
    assert all(len(p) == 7 and p[0].isdigit() and p[1:4].isalpha() and p[4:].isdigit() for p in ca)
    assert not any(c in "IOQ" for p in ca for c in p[1:4])
    tx = plates.decode_many(plates.PLATE_FORMATS["TX"].generate(rng, 50))
    assert all(p[:3].isalpha() and p[3:].isdigit() for p in tx)
