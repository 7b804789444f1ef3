"""Encoders without token_type_ids (MPNet, the optional model=mpnet): the export and both backends leave them out."""

from __future__ import annotations

import numpy as np


def test_an_encoder_without_token_types_exports_a_graph_without_them_and_matches_torch(tmp_path):
    import onnxruntime as ort
    import torch
    from transformers import MPNetConfig, MPNetForSequenceClassification

    from claimnet.exporters.onnx import export_onnx

    torch.manual_seed(0)
    config = MPNetConfig(vocab_size=30527, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, num_labels=4, pad_token_id=1)
    model = MPNetForSequenceClassification(config).eval()
    path = export_onnx(model, tmp_path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input_ids", "attention_mask"]
    ids = np.array([[0, 2000, 2001, 2002, 2003, 2], [0, 3000, 2, 1, 1, 1]], dtype=np.int64)  # pad id 1, not 0
    mask = (ids != 1).astype(np.int64)
    ours = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    with torch.no_grad():
        theirs = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits.numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
