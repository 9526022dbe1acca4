"""Run a model package on evaluation data: batched, under ``torch.inference_mode``, safely.

Safety: weights are loaded with ``from_pretrained(..., trust_remote_code=False)``
from local files only, safetensors preferred when present (transformers loads
``.bin`` files with ``torch.load(weights_only=True)``); a package that needs
remote code is refused, never imported. Speed: inputs are sorted by length and
batched, so padding is small and the model sees full batches.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

BATCH = 32
"""Examples per forward pass: fits small models on a CPU or a small GPU."""
MAX_NEW_TOKENS = 128
"""Tokens generated per summary or translation: longer than the references checked."""
QA_MAX_LENGTH = 384
"""Question plus context tokens for extractive QA (the SQuAD fine-tuning length)."""


class ModelUnavailable(Exception):
    """The model cannot be run safely or at all; its claims become ``unverifiable``."""


def _device() -> Any:
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _batches(order: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(order), size):
        yield list(order[start : start + size])


def _by_length(texts: Sequence[str]) -> list[int]:
    return sorted(range(len(texts)), key=lambda i: len(texts[i]))


def _library_modules_only(path: Path) -> bool:
    """A sentence-transformers package whose modules all come from the library itself.

    ``modules.json`` names classes by import path and sentence-transformers imports
    them; a package naming anything else would make us import code the package
    chose, so it is embedded with plain mean pooling instead.
    """
    if not path.is_file():
        return False
    try:
        modules = json.loads(path.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(modules, list) and all(
        isinstance(m, dict) and str(m.get("type", "")).startswith("sentence_transformers.")
        for m in modules
    )


class Runner:
    """Runs one local model over batches of examples, one method per task.

    Loading is refused for models that need repository code (``auto_map``) and done with
    ``local_files_only`` and safetensors preferred, because verify must not execute what it
    inspects. Examples are batched by length so padding wastes little compute.
    """

    def __init__(self, folder: Path, batch_size: int = BATCH) -> None:
        self.folder = folder
        self.batch_size = batch_size
        self.device = _device()
        config_path = folder / "config.json"
        config: dict[str, Any] = {}
        if config_path.is_file():
            try:
                config = json.loads(config_path.read_text("utf-8"))
            except (ValueError, UnicodeDecodeError):
                raise ModelUnavailable("config.json is not valid JSON") from None
        if config.get("auto_map"):
            raise ModelUnavailable(
                "the model needs its own code (auto_map): ptmscope never runs trust_remote_code"
            )
        self.config = config
        self.safetensors = any(folder.rglob("*.safetensors"))

    def _load(self, loader: Any, **extra: Any) -> Any:
        kwargs: dict[str, Any] = {"trust_remote_code": False, "local_files_only": True, **extra}
        if self.safetensors:
            kwargs["use_safetensors"] = True
        try:
            model = loader.from_pretrained(str(self.folder), **kwargs)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ModelUnavailable(
                f"cannot load the model: {str(exc).splitlines()[0][:200]}"
            ) from None
        return model.to(self.device).eval()

    def _tokenizer(self) -> Any:
        from transformers import AutoTokenizer

        try:
            return AutoTokenizer.from_pretrained(
                str(self.folder), local_files_only=True, trust_remote_code=False
            )
        except (OSError, ValueError, KeyError) as exc:
            raise ModelUnavailable(
                f"cannot load the tokenizer: {str(exc).splitlines()[0][:200]}"
            ) from None

    def _run(
        self, count: int, order: list[int], step: Callable[[list[int]], list[Any]]
    ) -> list[Any]:
        import torch

        out: list[Any] = [None] * count
        with torch.inference_mode():
            for batch in _batches(order, self.batch_size):
                for index, value in zip(batch, step(batch), strict=True):
                    out[index] = value
        return out

    # ------------------------------------------------------------ tasks
    def classify(
        self, texts: Sequence[str], pairs: Sequence[str] | None = None
    ) -> tuple[list[int], dict[int, str]]:
        from transformers import AutoModelForSequenceClassification

        model = self._load(AutoModelForSequenceClassification)
        tokenizer = self._tokenizer()

        def step(batch: list[int]) -> list[int]:
            first = [texts[i] for i in batch]
            second = [pairs[i] for i in batch] if pairs is not None else None
            encoded = tokenizer(
                first, second, padding=True, truncation=True, return_tensors="pt"
            ).to(self.device)
            return [int(x) for x in model(**encoded).logits.argmax(-1).tolist()]

        labels = {int(k): str(v) for k, v in model.config.id2label.items()}
        return self._run(len(texts), _by_length(texts), step), labels

    def tag(self, sentences: Sequence[Sequence[str]]) -> tuple[list[list[str]], dict[int, str]]:
        """One tag per word (the first sub-token's), as seqeval scores word-level tags."""
        from transformers import AutoModelForTokenClassification

        model = self._load(AutoModelForTokenClassification)
        tokenizer = self._tokenizer()
        labels = {int(k): str(v) for k, v in model.config.id2label.items()}

        def step(batch: list[int]) -> list[list[str]]:
            words = [list(sentences[i]) for i in batch]
            encoded = tokenizer(
                words, is_split_into_words=True, padding=True, truncation=True, return_tensors="pt"
            )
            predicted = model(**encoded.to(self.device)).logits.argmax(-1).tolist()
            results = []
            for row, ids in enumerate(predicted):
                tags = ["O"] * len(words[row])
                seen: set[int] = set()
                for position, word in enumerate(encoded.word_ids(row)):
                    if word is not None and word not in seen:
                        seen.add(word)
                        tags[word] = labels.get(ids[position], "O")
                results.append(tags)
            return results

        lengths = [" ".join(s) for s in sentences]
        return self._run(len(sentences), _by_length(lengths), step), labels

    def classify_images(
        self, images: Sequence[str], k: int
    ) -> tuple[list[list[int]], dict[int, str]]:
        """The ``k`` best label ids per image, ranked, and the model's id → label names."""
        from PIL import Image
        from transformers import AutoImageProcessor, AutoModelForImageClassification

        model = self._load(AutoModelForImageClassification)
        try:
            processor = AutoImageProcessor.from_pretrained(str(self.folder), local_files_only=True)  # type: ignore[no-untyped-call]
        except (OSError, ValueError) as exc:
            raise ModelUnavailable(f"cannot load the image processor: {exc}") from None

        def step(batch: list[int]) -> list[list[int]]:
            pictures = []
            for i in batch:
                with Image.open(images[i]) as picture:
                    pictures.append(picture.convert("RGB"))
            encoded = processor(images=pictures, return_tensors="pt").to(self.device)
            logits = model(**encoded).logits
            return [
                [int(x) for x in row]
                for row in logits.topk(min(k, logits.shape[-1]), dim=-1).indices.tolist()
            ]

        labels = {int(k_): str(v) for k_, v in model.config.id2label.items()}
        return self._run(len(images), list(range(len(images))), step), labels

    def embed(self, sentences: Sequence[str]) -> Any:
        """Normalised sentence embeddings (sentence-transformers when the package is one)."""
        import numpy as np

        if _library_modules_only(self.folder / "modules.json") and importlib.util.find_spec(
            "sentence_transformers"
        ):
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(
                str(self.folder),
                device=str(self.device),
                trust_remote_code=False,
                local_files_only=True,
            )
            return np.asarray(
                model.encode(list(sentences), batch_size=self.batch_size, normalize_embeddings=True)
            )
        from transformers import AutoModel

        model = self._load(AutoModel)
        tokenizer = self._tokenizer()

        def step(batch: list[int]) -> list[Any]:
            encoded = tokenizer(
                [sentences[i] for i in batch], padding=True, truncation=True, return_tensors="pt"
            ).to(self.device)
            hidden = model(**encoded).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = pooled / pooled.norm(dim=-1, keepdim=True).clamp(min=1e-12)
            return list(pooled.cpu().numpy())

        return np.asarray(self._run(len(sentences), _by_length(sentences), step))

    def fill_mask(self, texts: Sequence[str], k: int) -> list[list[str]]:
        """The ``k`` best tokens for the first mask of each text (``[MASK]`` or ``<mask>``).

        Texts are written with either mask spelling; both become the model's own token.
        """
        from transformers import AutoModelForMaskedLM

        model = self._load(AutoModelForMaskedLM)
        tokenizer = self._tokenizer()
        mask_token = tokenizer.mask_token

        def step(batch: list[int]) -> list[list[str]]:
            prepared = [
                texts[i].replace("[MASK]", mask_token).replace("<mask>", mask_token) for i in batch
            ]
            encoded = tokenizer(prepared, padding=True, truncation=True, return_tensors="pt").to(
                self.device
            )
            logits = model(**encoded).logits
            results: list[list[str]] = []
            for row in range(len(batch)):
                positions = (encoded["input_ids"][row] == tokenizer.mask_token_id).nonzero()
                if len(positions) == 0:
                    results.append([])
                    continue
                top = logits[row, int(positions[0])].topk(k).indices.tolist()
                results.append([tokenizer.decode([t]).strip() for t in top])
            return results

        return self._run(len(texts), _by_length(texts), step)

    def generate(self, texts: Sequence[str], max_new_tokens: int = MAX_NEW_TOKENS) -> list[str]:
        from transformers import AutoModelForSeq2SeqLM

        model = self._load(AutoModelForSeq2SeqLM)
        tokenizer = self._tokenizer()

        def step(batch: list[int]) -> list[str]:
            encoded = tokenizer(
                [texts[i] for i in batch], padding=True, truncation=True, return_tensors="pt"
            ).to(self.device)
            encoded.pop("token_type_ids", None)
            output = model.generate(**encoded, max_new_tokens=max_new_tokens)
            return [str(s) for s in tokenizer.batch_decode(output, skip_special_tokens=True)]

        return self._run(len(texts), _by_length(texts), step)

    def answer(self, questions: Sequence[str], contexts: Sequence[str]) -> list[str]:
        """Extractive answers: the best span, its end chosen at or after its start."""
        from transformers import AutoModelForQuestionAnswering

        model = self._load(AutoModelForQuestionAnswering)
        tokenizer = self._tokenizer()

        def step(batch: list[int]) -> list[str]:
            encoded = tokenizer(
                [questions[i] for i in batch], [contexts[i] for i in batch], padding=True,
                truncation="only_second", max_length=QA_MAX_LENGTH, return_tensors="pt",
            ).to(self.device)  # fmt: skip
            output = model(**encoded)
            answers = []
            for row in range(len(batch)):
                start = int(output.start_logits[row].argmax())
                end = int(output.end_logits[row][start:].argmax()) + start
                ids = encoded["input_ids"][row][start : end + 1]
                answers.append(tokenizer.decode(ids, skip_special_tokens=True).strip())
            return answers

        return self._run(len(questions), _by_length(list(contexts)), step)

    def transcribe(self, audio: Sequence[str]) -> list[str]:
        """Text for each WAV file, read with scipy (no ffmpeg) and scaled to [-1, 1]."""
        from scipy.io import wavfile
        from transformers import pipeline

        try:
            recognizer = pipeline(
                "automatic-speech-recognition",
                model=str(self.folder),
                device=self.device,
                trust_remote_code=False,
            )
        except (OSError, ValueError) as exc:
            raise ModelUnavailable(f"cannot load the speech model: {exc}") from None
        inputs = []
        for path in audio:
            rate, samples = wavfile.read(path)
            if samples.ndim > 1:
                samples = samples.mean(axis=1)
            scale = float(abs(samples).max() or 1) if samples.dtype.kind in "iu" else 1.0
            inputs.append({"raw": samples.astype("float32") / scale, "sampling_rate": int(rate)})
        import torch

        with torch.inference_mode():
            results = recognizer(inputs, batch_size=self.batch_size)  # type: ignore[arg-type]
        return [str(r["text"]) for r in results]
