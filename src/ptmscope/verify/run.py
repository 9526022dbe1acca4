"""Run a model package on evaluation data: batched, under ``torch.inference_mode``, safely.

Safety: weights are loaded with ``from_pretrained(..., trust_remote_code=False)``
from local files only, safetensors preferred when present (transformers loads
``.bin`` files with ``torch.load(weights_only=True)``); a package that needs
remote code is refused, never imported. Speed: the model (and its tokenizer) is
loaded once per package and task head; each distinct input is run once and its
output cached for every claim that uses it (a pair set of 1,225 document pairs
built from 50 documents embeds 50 texts, not 2,450); inputs are sorted by length
and batched, so padding is small and the model sees full batches. Inputs longer
than the model's window are truncated, and counted so the report can say so.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

K = TypeVar("K", bound=Hashable)

BATCH = 32
"""Examples per forward pass: fits small models on a CPU or a small GPU."""
MAX_NEW_TOKENS = 128
"""Tokens generated per summary or translation: longer than the references checked."""
QA_MAX_LENGTH = 384
"""Question plus context tokens for extractive QA (the SQuAD fine-tuning length)."""


class ModelUnavailable(Exception):
    """The model cannot be run safely or at all; its claims become ``unverifiable``."""


class Step(NamedTuple):
    """How far the model has got on the current inputs (what a progress line shows)."""

    done: int
    """Distinct inputs run so far (cached ones are not run again)."""
    total: int
    seconds: float
    """Since the model started on these inputs."""


def quiet_libraries() -> None:
    """Silence transformers' and the Hub client's loading bars and advice: the report and
    ptmscope's own progress line are what a user reads."""
    from huggingface_hub.utils.tqdm import disable_progress_bars
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    disable_progress_bars()


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

    def __init__(
        self,
        folder: Path,
        batch_size: int = BATCH,
        progress: Callable[[Step], None] | None = None,
    ) -> None:
        self.folder = folder
        self.batch_size = batch_size
        self.progress = progress
        """Called after each batch (the engine sets it per group of claims)."""
        self.truncated = 0
        """Distinct inputs of the last call longer than the model's window (cut to fit)."""
        self.window: int | None = None
        """The model's window in tokens, once a tokenizer is loaded."""
        self._models: dict[str, Any] = {}
        self._tokenizer_loaded: Any = None
        self._sentence_model: Any = None
        self._caches: dict[Hashable, dict[Any, Any]] = {}
        self._truncated_keys: dict[Hashable, set[Any]] = {}
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
        """The model for one task head, loaded on first use and kept for every claim."""
        name = getattr(loader, "__name__", str(loader))
        if name not in self._models:
            self._models[name] = self._load_new(loader, **extra)
        return self._models[name]

    def _load_new(self, loader: Any, **extra: Any) -> Any:
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
        if self._tokenizer_loaded is not None:
            return self._tokenizer_loaded
        from transformers import AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(
                str(self.folder), local_files_only=True, trust_remote_code=False
            )
        except (OSError, ValueError, KeyError) as exc:
            raise ModelUnavailable(
                f"cannot load the tokenizer: {str(exc).splitlines()[0][:200]}"
            ) from None
        self._tokenizer_loaded = tokenizer
        limit = getattr(tokenizer, "model_max_length", None)
        if isinstance(limit, int) and limit < 1_000_000 and self.window is None:
            self.window = limit
        return tokenizer

    def _once(
        self,
        cache_key: Hashable,
        keys: Sequence[K],
        compute: Callable[[list[K]], list[Any]],
    ) -> list[Any]:
        """Outputs for ``keys``, computing only the distinct keys not seen before (for this
        task head); :attr:`truncated` counts the distinct keys of this call cut to fit."""
        cache = self._caches.setdefault(cache_key, {})
        cut = self._truncated_keys.setdefault(cache_key, set())
        missing = [key for key in dict.fromkeys(keys) if key not in cache]
        if missing:
            for key, value in zip(missing, compute(missing), strict=True):
                cache[key] = value
        self.truncated = len(cut.intersection(keys))
        return [cache[key] for key in keys]

    def _mark_truncated(self, cache_key: Hashable, key: Any) -> None:
        self._truncated_keys.setdefault(cache_key, set()).add(key)

    def _run(
        self, count: int, order: list[int], step: Callable[[list[int]], list[Any]]
    ) -> list[Any]:
        import torch

        out: list[Any] = [None] * count
        start = time.monotonic()
        done = 0
        with torch.inference_mode():
            for batch in _batches(order, self.batch_size):
                for index, value in zip(batch, step(batch), strict=True):
                    out[index] = value
                done += len(batch)
                if self.progress is not None:
                    self.progress(Step(done, count, time.monotonic() - start))
        return out

    def _encode(self, cache_key: Hashable, keys: Sequence[Any], *args: Any, **kwargs: Any) -> Any:
        """Tokenize a batch (truncated to the window) and note which inputs were cut: a fast
        tokenizer keeps what it cut off as ``overflowing`` tokens."""
        options: dict[str, Any] = {"padding": True, "truncation": True, "return_tensors": "pt"}
        encoded = self._tokenizer()(*args, **{**options, **kwargs})
        encodings = getattr(encoded, "encodings", None) or []
        for key, encoding in zip(keys, encodings, strict=False):
            if getattr(encoding, "overflowing", None):
                self._mark_truncated(cache_key, key)
        return encoded.to(self.device)

    # ------------------------------------------------------------ tasks
    def classify(
        self, texts: Sequence[str], pairs: Sequence[str] | None = None
    ) -> tuple[list[int], dict[int, str]]:
        """The predicted label id per text (or text pair), and the model's id → label names;
        each distinct text or pair is run once."""
        from transformers import AutoModelForSequenceClassification

        model = self._load(AutoModelForSequenceClassification)
        keys = list(zip(texts, pairs if pairs is not None else [None] * len(texts), strict=True))

        def compute(todo: list[tuple[str, str | None]]) -> list[int]:
            def step(batch: list[int]) -> list[int]:
                chosen = [todo[i] for i in batch]
                first = [a for a, _ in chosen]
                second = [b or "" for _, b in chosen] if pairs is not None else None
                encoded = self._encode("classify", chosen, first, second)
                return [int(x) for x in model(**encoded).logits.argmax(-1).tolist()]

            lengths = [a + (b or "") for a, b in todo]
            return self._run(len(todo), _by_length(lengths), step)

        labels = {int(k): str(v) for k, v in model.config.id2label.items()}
        return self._once("classify", keys, compute), labels

    def tag(self, sentences: Sequence[Sequence[str]]) -> tuple[list[list[str]], dict[int, str]]:
        """One tag per word (the first sub-token's), as seqeval scores word-level tags."""
        from transformers import AutoModelForTokenClassification

        model = self._load(AutoModelForTokenClassification)
        labels = {int(k): str(v) for k, v in model.config.id2label.items()}

        def compute(todo: list[tuple[str, ...]]) -> list[list[str]]:
            def step(batch: list[int]) -> list[list[str]]:
                words = [list(todo[i]) for i in batch]
                encoded = self._encode(
                    "tag", [todo[i] for i in batch], words, is_split_into_words=True
                )
                predicted = model(**encoded).logits.argmax(-1).tolist()
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

            return self._run(len(todo), _by_length([" ".join(s) for s in todo]), step)

        keys = [tuple(str(w) for w in s) for s in sentences]
        return self._once("tag", keys, compute), labels

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

        def compute(todo: list[str]) -> list[list[int]]:
            def step(batch: list[int]) -> list[list[int]]:
                pictures = []
                for i in batch:
                    with Image.open(todo[i]) as picture:
                        pictures.append(picture.convert("RGB"))
                encoded = processor(images=pictures, return_tensors="pt").to(self.device)
                logits = model(**encoded).logits
                return [
                    [int(x) for x in row]
                    for row in logits.topk(min(k, logits.shape[-1]), dim=-1).indices.tolist()
                ]

            return self._run(len(todo), list(range(len(todo))), step)

        labels = {int(k_): str(v) for k_, v in model.config.id2label.items()}
        return self._once(("images", k), list(images), compute), labels

    def embed(self, sentences: Sequence[str]) -> Any:
        """Normalised sentence embeddings (sentence-transformers when the package is one),
        one row per sentence; each distinct sentence is embedded once per package."""
        import numpy as np

        if _library_modules_only(self.folder / "modules.json") and importlib.util.find_spec(
            "sentence_transformers"
        ):
            rows = self._once("embed", list(sentences), self._embed_library)
        else:
            rows = self._once("embed", list(sentences), self._embed_pooled)
        return np.asarray(rows)

    def _sentence_transformer(self) -> Any:
        if self._sentence_model is None:
            from sentence_transformers import SentenceTransformer

            self._sentence_model = SentenceTransformer(
                str(self.folder),
                device=str(self.device),
                trust_remote_code=False,
                local_files_only=True,
            )
            limit = getattr(self._sentence_model, "max_seq_length", None)
            if isinstance(limit, int):
                self.window = limit
        return self._sentence_model

    def _embed_library(self, todo: list[str]) -> list[Any]:
        """sentence-transformers' own encode (its pooling and normalisation), called a chunk
        of batches at a time so progress can be shown; lengths past the window are counted."""
        model = self._sentence_transformer()
        tokenizer = getattr(model, "tokenizer", None)
        if tokenizer is not None and self.window is not None:
            lengths = tokenizer(todo, add_special_tokens=True, truncation=False)["input_ids"]
            for text, ids in zip(todo, lengths, strict=True):
                if len(ids) > self.window:
                    self._mark_truncated("embed", text)
        order = _by_length(todo)
        chunk = self.batch_size * 8
        out: list[Any] = [None] * len(todo)
        start = time.monotonic()
        for offset in range(0, len(order), chunk):
            part = order[offset : offset + chunk]
            vectors = model.encode(
                [todo[i] for i in part],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
            for index, vector in zip(part, vectors, strict=True):
                out[index] = vector
            if self.progress is not None:
                self.progress(Step(offset + len(part), len(todo), time.monotonic() - start))
        return out

    def _embed_pooled(self, todo: list[str]) -> list[Any]:
        """Mean pooling over the model's last hidden state (any encoder)."""
        from transformers import AutoModel

        model = self._load(AutoModel)

        def step(batch: list[int]) -> list[Any]:
            encoded = self._encode("embed", [todo[i] for i in batch], [todo[i] for i in batch])
            hidden = model(**encoded).last_hidden_state
            mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = pooled / pooled.norm(dim=-1, keepdim=True).clamp(min=1e-12)
            return list(pooled.cpu().numpy())

        return self._run(len(todo), _by_length(todo), step)

    def fill_mask(self, texts: Sequence[str], k: int) -> list[list[str]]:
        """The ``k`` best tokens for the first mask of each text (``[MASK]`` or ``<mask>``).

        Texts are written with either mask spelling; both become the model's own token.
        """
        from transformers import AutoModelForMaskedLM

        model = self._load(AutoModelForMaskedLM)
        tokenizer = self._tokenizer()
        mask_token = tokenizer.mask_token

        def compute(todo: list[str]) -> list[list[str]]:
            def step(batch: list[int]) -> list[list[str]]:
                prepared = [
                    todo[i].replace("[MASK]", mask_token).replace("<mask>", mask_token)
                    for i in batch
                ]
                encoded = self._encode(("fill", k), [todo[i] for i in batch], prepared)
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

            return self._run(len(todo), _by_length(todo), step)

        return self._once(("fill", k), list(texts), compute)

    def generate(self, texts: Sequence[str], max_new_tokens: int = MAX_NEW_TOKENS) -> list[str]:
        from transformers import AutoModelForSeq2SeqLM

        model = self._load(AutoModelForSeq2SeqLM)
        tokenizer = self._tokenizer()

        def compute(todo: list[str]) -> list[str]:
            def step(batch: list[int]) -> list[str]:
                chosen = [todo[i] for i in batch]
                encoded = self._encode(("generate", max_new_tokens), chosen, chosen)
                encoded.pop("token_type_ids", None)
                output = model.generate(**encoded, max_new_tokens=max_new_tokens)
                return [str(s) for s in tokenizer.batch_decode(output, skip_special_tokens=True)]

            return self._run(len(todo), _by_length(todo), step)

        return self._once(("generate", max_new_tokens), list(texts), compute)

    def answer(self, questions: Sequence[str], contexts: Sequence[str]) -> list[str]:
        """Extractive answers: the best span, its end chosen at or after its start."""
        from transformers import AutoModelForQuestionAnswering

        model = self._load(AutoModelForQuestionAnswering)
        tokenizer = self._tokenizer()

        def compute(todo: list[tuple[str, str]]) -> list[str]:
            def step(batch: list[int]) -> list[str]:
                chosen = [todo[i] for i in batch]
                encoded = self._encode(
                    "answer", chosen, [q for q, _ in chosen], [c for _, c in chosen],
                    truncation="only_second", max_length=QA_MAX_LENGTH,
                )  # fmt: skip
                output = model(**encoded)
                answers = []
                for row in range(len(batch)):
                    start = int(output.start_logits[row].argmax())
                    end = int(output.end_logits[row][start:].argmax()) + start
                    ids = encoded["input_ids"][row][start : end + 1]
                    answers.append(tokenizer.decode(ids, skip_special_tokens=True).strip())
                return answers

            return self._run(len(todo), _by_length([c for _, c in todo]), step)

        return self._once("answer", list(zip(questions, contexts, strict=True)), compute)

    def transcribe(self, audio: Sequence[str]) -> list[str]:
        """Text for each WAV file, read with scipy (no ffmpeg) and scaled to [-1, 1]."""
        recognizer = self._models.get("asr-pipeline")
        if recognizer is None:
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
            self._models["asr-pipeline"] = recognizer

        def compute(todo: list[str]) -> list[str]:
            from scipy.io import wavfile

            inputs = []
            for path in todo:
                rate, samples = wavfile.read(path)
                if samples.ndim > 1:
                    samples = samples.mean(axis=1)
                scale = float(abs(samples).max() or 1) if samples.dtype.kind in "iu" else 1.0
                inputs.append(
                    {"raw": samples.astype("float32") / scale, "sampling_rate": int(rate)}
                )
            import torch

            with torch.inference_mode():
                results = recognizer(inputs, batch_size=self.batch_size)  # type: ignore[arg-type]
            return [str(r["text"]) for r in results]

        return self._once("transcribe", list(audio), compute)
