"""A tiny random LLaVA built offline (no hub): the model behind the demo and the tests.

Recipe measured in ../shared/notes/environment.md: a byte-level BPE tokenizer trained on local
text, a 2-layer CLIP tower + 2-layer Llama (210k parameters), a LLaVA-1.5 chat template, weights
saved in the `vision_tower.vision_model.*` layout that both vLLM and transformers load, and an
lm_head that can only emit printable ASCII (random weights otherwise stream nothing).
"""
from __future__ import annotations

import inspect
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}USER: "
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for p in m['content'] %}"
    "{% if p['type'] in ['image', 'image_url', 'input_image'] %}<image>\n"
    "{% elif p['type'] == 'text' %}{{ p['text'] }}{% endif %}{% endfor %}{% endif %}{{ '\\n' }}"
    "{% elif m['role'] == 'assistant' %}ASSISTANT: {% if m['content'] is string %}"
    "{{ m['content'] }}{% else %}{% for p in m['content'] %}{{ p['text'] }}{% endfor %}{% endif %}"
    "{{ eos_token }}{{ '\\n' }}{% elif m['role'] == 'system' %}{{ m['content'] }}{{ '\\n' }}"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}ASSISTANT:{% endif %}"
)


def _corpus() -> str:
    import json, pathlib, random  # noqa: E401  (their docstrings are the training text)
    docs = [inspect.getdoc(m) or "" for m in (json, pathlib, random, inspect)]
    return "\n".join(docs) + "\nWhat type of object is in this photo? A dog, a cat, a bird."


def build_tiny_llava(out_dir: str | Path, seed: int = 0) -> Path:
    """Write a loadable tiny LLaVA to `out_dir` and return the path."""
    with quiet_transformers():
        return _build_tiny_llava(Path(out_dir), seed)


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' advice while building: its "requires torchvision (not installed);
    falling back to ...Pil" warning invites `pip install torchvision`, which on a CPU box pulls
    a CUDA build that breaks image processors. The PIL fallback is what the harness wants."""
    from transformers.utils import logging as hf_logging

    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(level)
        hf_logging.enable_progress_bar()


def _build_tiny_llava(out_dir: Path, seed: int) -> Path:
    import torch
    from safetensors.torch import load_file, save_file
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import (CLIPImageProcessor, CLIPVisionConfig, LlamaConfig, LlavaConfig,
                              LlavaForConditionalGeneration, LlavaProcessor,
                              PreTrainedTokenizerFast)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    specials = ["<unk>", "<s>", "</s>", "<pad>", "<image>"]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator([_corpus()], trainers.BpeTrainer(
        vocab_size=305, special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                        unk_token="<unk>", pad_token="<pad>",
                                        extra_special_tokens={"image_token": "<image>"})
    tokenizer.chat_template = CHAT_TEMPLATE
    image_proc = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size=32)
    processor = LlavaProcessor(image_processor=image_proc, tokenizer=tokenizer, patch_size=8,
                               vision_feature_select_strategy="default",
                               num_additional_image_tokens=1, image_token="<image>",
                               chat_template=CHAT_TEMPLATE)
    vocab = len(tokenizer)
    config = LlavaConfig(
        vision_config=CLIPVisionConfig(hidden_size=64, num_hidden_layers=2,
                                       num_attention_heads=2, intermediate_size=128,
                                       image_size=32, patch_size=8),
        text_config=LlamaConfig(vocab_size=vocab, hidden_size=64, num_hidden_layers=2,
                                num_attention_heads=2, num_key_value_heads=2, head_dim=32,
                                intermediate_size=128, max_position_embeddings=2048),
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"), vision_feature_layer=-2,
        projector_hidden_act="gelu")
    torch.manual_seed(seed)
    model = LlavaForConditionalGeneration(config).eval()
    _printable_head(model, tokenizer)
    model.generation_config.do_sample = False
    model.save_pretrained(out)
    processor.save_pretrained(out)
    weights = out / "model.safetensors"
    tensors = load_file(weights)
    renamed = {(k.replace("vision_tower.", "vision_tower.vision_model.", 1)
                if k.startswith("vision_tower.") and "vision_model" not in k else k): v
               for k, v in tensors.items()}
    save_file(renamed, weights, metadata={"format": "pt"})
    return out


def _printable_head(model, tokenizer) -> None:
    """Zero lm_head rows of tokens that do not decode to printable ASCII (keeping </s>)."""
    import torch

    head = model.get_output_embeddings().weight
    with torch.no_grad():
        for i in range(head.shape[0]):
            text = tokenizer.decode([i])
            ok = i == tokenizer.eos_token_id or (
                text and text.isascii() and text.isprintable() and i not in
                tokenizer.all_special_ids)
            if ok:
                head[i] *= 4
            else:
                head[i] = 0


def build_tiny_classifier(out_dir: str | Path, seed: int = 0) -> Path:
    """A tiny random 1000-way ResNet with an image processor, for the `hf:` classifier path."""
    import torch
    from transformers import ConvNextImageProcessor, ResNetConfig, ResNetForImageClassification

    from harness.wordnet.graph import class_names

    out = Path(out_dir)
    names = list(class_names().values())
    config = ResNetConfig(embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1],
                          num_labels=1000, id2label=dict(enumerate(names)),
                          label2id={n: i for i, n in enumerate(names)})
    torch.manual_seed(seed)
    ResNetForImageClassification(config).eval().save_pretrained(out)
    ConvNextImageProcessor(size={"shortest_edge": 32}, crop_pct=1.0).save_pretrained(out)
    return out
