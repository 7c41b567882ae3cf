"""A Hugging Face transformers model (BertModel, GPT2LMHeadModel, ViTForImageClassification,
T5EncoderModel as transformers 5 writes them) is refused saying that it is one, why it does not
trace and what imports instead. transformers wraps ``forward`` in decorators that take
``*args, **kwargs`` (``can_return_tuple``, ``check_model_inputs``); fx traced the wrapper and
failed inside it, and the user read "'NoneType' object has no attribute 'get' (running forward
on traced inputs failed)" or "code: co_varnames is too small". The model here is written as
transformers writes one, in a module named as its are; transformers itself is not needed."""

from __future__ import annotations

import functools

import pytest
import torch
from torch import nn

from layerloom.graph import GraphError
from layerloom.graph.import_torch import import_torch


def check_model_inputs(func):
    """transformers' decorator, cut down: defaults read from the config, then forward."""

    @functools.wraps(func)
    def wrapper(self, *args, **kwargs):
        use_cache = kwargs.get("use_cache")
        if use_cache is None:
            kwargs["use_cache"] = False
        return func(self, *args, **kwargs)

    return wrapper


class BertModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embeddings = nn.Embedding(100, 16)
        self.pooler = nn.Linear(16, 16)

    @check_model_inputs
    def forward(self, input_ids=None, attention_mask=None, **kwargs):
        hidden = self.embeddings(input_ids)
        return hidden, torch.tanh(self.pooler(hidden[:, 0]))


BertModel.__module__ = "transformers.models.bert.modeling_bert"


def test_a_transformers_model_is_refused_saying_why_and_what_imports():
    with pytest.raises(GraphError) as caught:
        import_torch(BertModel().eval(), [12], "int64")
    message = str(caught.value)
    assert message.startswith("torch.fx cannot trace BertModel: it is a Hugging Face "
                              "transformers model; transformers wraps forward in decorators "
                              "that take any arguments (*args, **kwargs)")
    assert "The same layers written in plain PyTorch do" in message
    assert "and so does the model exported to ONNX: torch.onnx.export of a module returning " \
           "its logits, given input_ids alone, then layerloom import-onnx (at " in message
    assert "NoneType" not in message and "co_varnames" not in message
