"""Packed sequences (``nn.utils.rnn.pack_padded_sequence``) are refused in words that say what
to do, from PyTorch (torch.fx failed deep in torch: "`__cuda_array_interface__` must be a dict")
and from ONNX (the LSTM's sequence_lens input, named, not a list of five attributes that might
be present), where the lengths are not a PaddingMask's (bentrevett's ``(text != 0).sum(1)``
counts the nonzero ids, which is not the steps up to the last word when an id inside is 0)."""

from __future__ import annotations

import logging
import warnings

import pytest
import torch
from torch import nn

from layerloom.graph.errors import GraphError
from layerloom.graph.import_torch import import_torch
from layerloom.graph.import_torch.onnx_in import import_onnx

ADVICE = ("it packs a sequence (nn.utils.rnn.pack_padded_sequence), and packed sequences do not "
          "import: a packed batch carries each sample's length, and lengths are not supported; "
          "feed the padded batch to the LSTM itself, made with batch_first=True, without "
          "pack_padded_sequence and pad_packed_sequence (the padding steps then run as steps)")


class Packed(nn.Module):  # bentrevett/pytorch-sentiment-analysis
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(50, 8, padding_idx=0)
        self.rnn = nn.LSTM(8, 6, num_layers=2, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(12, 3)

    def forward(self, text):
        lengths = (text != 0).sum(1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(text), lengths,
                                                   batch_first=True, enforce_sorted=False)
        _, (hidden, _) = self.rnn(packed)
        return self.fc(torch.cat((hidden[-2], hidden[-1]), dim=1))


def test_a_packed_sequence_is_refused_saying_what_to_do():
    with pytest.raises(GraphError) as caught:
        import_torch(Packed(), (12,), "int64")
    message = str(caught.value)
    assert message.startswith(f"torch.fx cannot trace Packed: {ADVICE} (at ")
    assert "`packed = nn.utils.rnn.pack_padded_sequence(" in message
    assert "__cuda_array_interface__" not in message


def test_the_onnx_lstm_refusal_names_the_sequence_lengths_it_has(tmp_path):
    path = tmp_path / "packed.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            torch.onnx.export(Packed().eval(), (torch.randint(1, 50, (2, 12)),), str(path),
                              dynamo=False, input_names=["text"], output_names=["y"],
                              dynamic_axes={"text": {0: "batch"}, "y": {0: "batch"}})
        finally:
            logging.disable(logging.NOTSET)
    with pytest.raises(GraphError) as caught:
        import_onnx(path)
    message = str(caught.value)
    assert message.startswith("ONNX node /rnn/LSTM (LSTM): sequence_lens ('")
    assert message.endswith("': a length per sample, as from nn.utils.rnn.pack_padded_sequence; "
                            "only lengths up to each sample's last nonzero token id (a "
                            "PaddingMask's, as LayerLoom exports a recurrent block given one) "
                            "import: export the model feeding the padded batch to the layer); "
                            "no block computes this")
    assert "clip" not in message and "peepholes" not in message
