"""pytest setup for the Python package's tests (tests/run_all.sh builds the
package into build-python/site and runs these with Debian's /usr/bin/python3).

Every test leaves the library's ISA and thread count as it found them."""
import numpy as np
import pytest

import simdnorm


@pytest.fixture(autouse=True)
def _restore_isa_and_threads():
    isa, threads = simdnorm.active_isa(), simdnorm.get_num_threads()
    yield
    simdnorm.set_isa(isa)
    simdnorm.set_num_threads(threads)


@pytest.fixture
def rng():
    return np.random.default_rng(17)
