"""The README example: an LSTM with peepholes, trained by hand-written BPTT, next to torch.nn."""

import torch

from rnnlab.nn import LSTM, from_torch

x = torch.randn(4, 50, 8)  # (batch, time, features)
lstm = LSTM(8, 32, num_layers=2, batch_first=True, peephole=True)
out, (h, c) = lstm(x)  # out (4, 50, 32); h, c (2, 4, 32)
out.pow(2).mean().backward()  # gradients come from rnnlab.bptt's hand-written backward

reference = torch.nn.LSTM(8, 32, num_layers=2, batch_first=True)
ours = from_torch(reference)  # same weights, rnnlab's BPTT
torch.testing.assert_close(ours(x)[0], reference(x)[0])
print("output", tuple(out.shape), "| peephole weights", tuple(lstm.weight_peephole_l0.shape))
print("rnnlab LSTM == torch.nn.LSTM on copied weights")
