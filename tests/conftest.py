import os
import sys

from hypothesis import settings

# op_table.py sits next to the tests.
sys.path.insert(0, os.path.dirname(__file__))

# In CI, hypothesis explores the same examples every run, so a red build is always reproducible.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_addoption(parser):
    parser.addoption("--count", type=int, default=2000,
                     help="how many random programs tests/test_fuzz_torch.py runs (default 2000)")
    parser.addoption("--fuzz-seed", type=int, default=0, help="the first seed of the fuzz")
