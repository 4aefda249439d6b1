import numpy as np
import torch

import autograd_from_scratch as afs
from autograd_from_scratch.compare import agree, max_abs_diff, report


def test_agree_detects_a_difference(capsys):
    x = np.array([1.0, 2.0])
    assert agree(afs.tensor(x), torch.tensor(x))
    assert not agree(afs.tensor(x + 1e-3), torch.tensor(x), tol=1e-6)
    assert not agree(afs.tensor([1.0]), torch.tensor(x))
    assert max_abs_diff(afs.tensor(x, requires_grad=True), torch.tensor(x + 0.5)) == 0.5
    report("x", afs.tensor(x + 1), torch.tensor(x))
    assert capsys.readouterr().out.rstrip().endswith("False")
