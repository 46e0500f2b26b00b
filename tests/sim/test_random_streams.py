import numpy as np

from sim.random_streams import RandomStreams, keyed_uniforms, keyed_uniforms16


def test_named_streams_do_not_depend_on_creation_order():
    a = RandomStreams(5)
    first = a.generator("traffic").random(4)
    b = RandomStreams(5)
    b.generator("something-else").random(100)
    assert np.array_equal(b.generator("traffic").random(4), first)


def test_different_names_and_seeds_give_different_streams():
    s = RandomStreams(5)
    assert not np.array_equal(s.generator("a").random(4), s.generator("b").random(4))
    assert not np.array_equal(s.generator("a").random(4), RandomStreams(6).generator("a").random(4))


def test_keyed_draws_depend_only_on_their_own_key():
    s = RandomStreams(3)
    keys = np.arange(1000, dtype=np.uint64)
    full = keyed_uniforms(keys, s.stream_key("x"), 2)
    part = keyed_uniforms(keys[500:510], s.stream_key("x"), 2)
    assert np.array_equal(full[500:510], part)


def test_keyed_uniforms_are_uniform():
    s = RandomStreams(3)
    u = keyed_uniforms(np.arange(200_000, dtype=np.uint64), s.stream_key("u"), 1)[:, 0]
    u16 = keyed_uniforms16(np.arange(200_000, dtype=np.uint64), s.stream_key("u"), 4)
    for sample in (u, u16.ravel()):
        assert 0 <= sample.min() and sample.max() < 1
        hist = np.histogram(sample, bins=10, range=(0, 1))[0] / len(sample)
        assert np.abs(hist - 0.1).max() < 0.01
