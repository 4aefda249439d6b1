"""The fuzz against torch (tests/fuzz_torch.py): `--count N` programs from seed `--fuzz-seed`, in
chunks of 250 so that a failure names its seeds. Every disagreement is printed shrunk, ready to
paste: `python -c "import fuzz_torch as F; print(F.disagreement(F.generate(SEED)))"` reruns one."""
from __future__ import annotations

import fuzz_torch

CHUNK = 250


def pytest_generate_tests(metafunc):
    if "seeds" in metafunc.fixturenames:
        count, first = metafunc.config.getoption("--count"), metafunc.config.getoption("--fuzz-seed")
        chunks = [range(s, min(s + CHUNK, first + count)) for s in range(first, first + count, CHUNK)]
        metafunc.parametrize("seeds", chunks, ids=[f"{r.start}-{r.stop - 1}" for r in chunks])


def test_afs_does_what_torch_does(seeds):
    agreed, reports = fuzz_torch.fuzz(seeds)
    assert not reports, f"{len(reports)} of {len(seeds)} programs disagree:\n" + "\n\n".join(reports[:5])


def test_a_disagreement_is_found_and_shrunk(monkeypatch):
    """The harness can fail: break one op and the fuzz reports a small program using it."""
    import autograd_from_scratch as afs

    monkeypatch.setattr(afs.Tensor, "tanh", lambda self: afs.sigmoid(self))
    program = next(p for p in map(fuzz_torch.generate, range(1000))
                   if any(".tanh()" in line for line in p.lines) and fuzz_torch.disagreement(p))
    small = fuzz_torch.shrink(program)
    assert fuzz_torch.disagreement(small) and len(small.lines) <= 3
    assert any(".tanh()" in line for line in small.lines)
