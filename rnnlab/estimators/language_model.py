"""``LanguageModel``: an rnnlab network that models text, with an estimator's interface.

    from rnnlab import LanguageModel
    lm = LanguageModel(level="word", hidden_size=128, minutes=2).fit("corpus.txt")
    lm.predict("the cat sat on the")          # the most likely next word
    lm.predict_proba("the cat")                # (V,) next-token probabilities, order classes_
    lm.generate("ROMEO:", length=200, temperature=0.8, seed=1)
    lm.perplexity(held_out_text), lm.score(held_out_text)   # exp(loss), minus the loss
    lm.save("runs/lm")                         # rnnlab generate runs/lm --prompt "..."

It is the ``text`` task (:mod:`rnnlab.tasks.text`: characters or words, the first ``split`` of
the tokens for training, the rest validation, ``<unk>`` for tokens seen fewer than
``min_count`` times) trained by :func:`rnnlab.train.train` with truncated BPTT over
``seq_len`` steps. ``fit`` takes a file path (a :class:`pathlib.Path`, or a string naming an
existing file) or the text itself (any other string), which is put in a temporary file for the
task to read; what :meth:`save` writes of such a model records no file (``rnnlab evaluate``
then needs ``-p path=FILE``; the run folder of ``out_dir`` names the temporary file, gone
after ``fit``), while prompting, generating and scoring need only the checkpoint.

Not a scikit-learn estimator in full (``fit`` takes one text, not X and y, so scikit-learn's
estimator checks do not apply); ``get_params``/``set_params``/``clone`` and pickling work.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from rnnlab.errors import UserError
from rnnlab.estimators.base import NetworkEstimator, _json_params, _known_params
from rnnlab.models import build_model
from rnnlab.models.sampling import generate, next_token_logits
from rnnlab.tasks.base import TaskSpec
from rnnlab.tasks.text import TextCodec, TextTask, tokenize
from rnnlab.train import checkpoint_meta, load_checkpoint, rebuild_model, train
from rnnlab.train.checkpoint import save_checkpoint
from rnnlab.utils import seed_everything
from rnnlab.utils.device import model_device

TEXT_PARAMS = ("level", "seq_len", "split", "min_count")  # the text task's, by the same names


@dataclass
class FittedText:
    """What a checkpoint stores of the text task a model was fitted on: its name, parameters
    and spec (with the vocabulary) — no text."""

    name: str
    params: dict[str, Any]
    spec: TaskSpec


class LanguageModel(NetworkEstimator):
    """A character- or word-level language model; see the module docstring.

    Text: ``level`` (char | word), ``seq_len`` (truncated-BPTT length), ``split`` (the fraction
    of tokens for training; the rest is validation), ``min_count``. Model: ``family``,
    ``hidden_size``, ``num_layers``, ``dropout``, ``embedding_dim`` (0: one-hot inputs),
    ``layers``, ``model_options`` (e.g. ``{"tie_weights": True}``). Training: as
    :class:`~rnnlab.SequenceClassifier`.

    Fitted attributes: ``model_``, ``codec_`` (text to ids and back), ``classes_`` (the
    vocabulary, index = token id; ``<unk>`` first), ``task_``, ``history_``, ``stop_reason_``,
    ``n_steps_``.
    """

    def __init__(
        self,
        level: str = "char",
        seq_len: int = 100,
        split: float = 0.9,
        min_count: int = 1,
        family: str = "lstm",
        hidden_size: int = 128,
        num_layers: int = 1,
        dropout: float = 0.0,
        embedding_dim: int = 32,
        layers: str = "",
        model_options: dict[str, Any] | None = None,
        lr: float = 5e-3,
        batch_size: int = 32,
        steps: int | None = None,
        epochs: int = 0,
        minutes: float = 0.0,
        patience: int = 0,
        train_options: dict[str, Any] | None = None,
        seed: int = 0,
        device: str = "cpu",
        out_dir: str | os.PathLike[str] | None = None,
        verbose: bool = False,
    ) -> None:
        self.level = level
        self.seq_len = seq_len
        self.split = split
        self.min_count = min_count
        self.family = family
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dropout = dropout
        self.embedding_dim = embedding_dim
        self.layers = layers
        self.model_options = model_options
        self.lr = lr
        self.batch_size = batch_size
        self.steps = steps
        self.epochs = epochs
        self.minutes = minutes
        self.patience = patience
        self.train_options = train_options
        self.seed = seed
        self.device = device
        self.out_dir = out_dir
        self.verbose = verbose

    def _model_options(self) -> dict[str, Any]:
        return {"embedding_dim": self.embedding_dim, **(self.model_options or {})}

    # -- fit --------------------------------------------------------------------------------

    def fit(self, text: str | os.PathLike[str], y: None = None, *,
            callbacks: Any = None) -> LanguageModel:
        """Train on a text file (a Path, or a string naming a file) or on a text (any other
        string). ``y`` is not used (there for scikit-learn's call pattern). Returns self."""
        if y is not None:
            raise UserError("a language model learns from its text alone: leave y out")
        path = _as_path(text)
        if path is not None:
            return self._fit_file(str(path), callbacks, from_file=True)
        if not isinstance(text, str):
            raise UserError(f"fit takes a text (str) or a file path, got {type(text).__name__}")
        if "\n" not in text and len(text) < 256 and text.endswith((".txt", ".md", ".text")):
            raise UserError(f"text file not found: {text} (a text to learn from is given as "
                            "the string itself)")
        with tempfile.TemporaryDirectory(prefix="rnnlab-text-") as folder:
            file = Path(folder) / "text.txt"
            file.write_text(text, encoding="utf-8")
            try:
                return self._fit_file(str(file), callbacks, from_file=False)
            except UserError as e:  # the temporary file means nothing to the caller
                raise UserError(str(e).replace(str(file), "the text given to fit")) from None

    def _fit_file(self, path: str, callbacks: Any, from_file: bool) -> LanguageModel:
        task = TextTask(path=path, **{k: getattr(self, k) for k in TEXT_PARAMS})
        model_config, train_config = self.model_config(), self.train_config()
        seed_everything(self.seed)  # the initial weights are part of the seed
        model = build_model(model_config, task.spec)
        result = train(model, task, train_config, callbacks=callbacks)
        params = task.params.to_dict()
        # a text given as a string was in a temporary file, gone now: no file is recorded
        params["path"] = os.path.abspath(path) if from_file else ""
        self._set_fitted(model, FittedText(task.name, params, task.spec), train_config)
        self.history_ = result.history
        self.stop_reason_ = result.stop_reason
        self.n_steps_ = result.steps
        return self

    def _set_fitted(self, model: Any, task: FittedText, train_config: Any) -> None:
        self.model_ = model.eval()
        self.task_ = task
        self.train_config_ = train_config
        self.codec_ = TextCodec(str(task.params.get("level", "char")), tuple(task.spec.vocab or ()))

    @property
    def classes_(self) -> np.ndarray:
        """The vocabulary: token strings, index = token id (``<unk>`` is 0)."""
        self._check_fitted()
        return np.array(self.codec_.vocab, dtype=object)

    # -- use ----------------------------------------------------------------------------------

    def _prompt(self, prompt: str) -> torch.Tensor:
        self._check_fitted()
        if not isinstance(prompt, str):
            raise UserError(f"the prompt must be a str, got {type(prompt).__name__}")
        return self.codec_.encode(prompt)

    def predict_proba(self, prompt: str) -> np.ndarray:
        """The next token's probabilities (V,) after ``prompt``, in the order of ``classes_``."""
        ids = self._prompt(prompt)
        with torch.no_grad():
            logits, _ = next_token_logits(self.model_, ids)
        return torch.softmax(logits, -1).cpu().numpy().astype(np.float64)

    def predict(self, prompt: str) -> str:
        """The most likely next token after ``prompt`` (a character, or a word)."""
        return str(self.codec_.vocab[int(np.argmax(self.predict_proba(prompt)))])

    def generate(self, prompt: str, length: int = 200, *, temperature: float = 1.0,
                 top_k: int = 0, seed: int = 0) -> str:
        """``length`` sampled tokens after ``prompt``, as text (the prompt not included);
        ``temperature`` 0 takes the most likely token each time, ``top_k`` > 0 samples among
        the k most likely; the same ``seed`` gives the same text."""
        ids = self._prompt(prompt)
        new = generate(self.model_, ids, length, temperature=temperature, top_k=top_k,
                       seed=seed)
        return self.codec_.decode(new)

    def log_likelihood(self, text: str) -> float:
        """The mean log-probability (nats) of each token of ``text`` given the ones before it
        (the first token is context only), read in one stream of ``seq_len`` chunks with the
        state carried, as the text task scores its validation part. Tokens outside the
        vocabulary count as ``<unk>``."""
        self._check_fitted()
        if not isinstance(text, str):
            raise UserError(f"the text must be a str, got {type(text).__name__}")
        level = str(self.task_.params.get("level", "char"))
        ids = [self.codec_.ids.get(t, 0) for t in tokenize(text, level)]
        if len(ids) < 2:
            raise UserError(f"the text has {len(ids)} {level} token(s): scoring needs at least "
                            "two (a token and the one after it)")
        device = model_device(self.model_)
        data = torch.tensor(ids, dtype=torch.int64, device=device)
        L = int(self.task_.params.get("seq_len", self.seq_len))
        total, state = 0.0, None
        self.model_.eval()
        with torch.no_grad():
            for start in range(0, len(ids) - 1, L):
                x = data[start : start + L][None, : len(ids) - 1 - start]
                y = data[start + 1 : start + 1 + x.shape[1]]
                output, state = self.model_(x, None, state)
                total += float(F.cross_entropy(output[0].float(), y, reduction="sum"))
        return -total / (len(ids) - 1)

    def score(self, text: str, y: None = None) -> float:
        """Minus the loss on ``text``: its mean log-likelihood per token (greater is better)."""
        return self.log_likelihood(text)

    def perplexity(self, text: str) -> float:
        """exp(mean negative log-likelihood per token) of ``text``: 1 is certainty; a model
        that guesses uniformly among V tokens has V."""
        return math.exp(min(-self.log_likelihood(text), 700.0))

    # -- save, load -------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write an rnnlab checkpoint folder (``rnnlab generate PATH --prompt ...`` and
        ``rnnlab predict PATH --prompt ...`` use it); :meth:`load` reads it back."""
        self._check_fitted()
        meta = checkpoint_meta(self.model_, self.task_, self.train_config_,
                               step=int(getattr(self, "n_steps_", 0)),
                               estimator={"class": type(self).__name__,
                                          "params": _json_params(self.get_params())})
        return save_checkpoint(path, self.model_, meta)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LanguageModel:
        """The language model saved at ``path``, or of any checkpoint of the ``text`` task
        (``rnnlab train --task text``); nothing is read but the checkpoint."""
        ckpt = load_checkpoint(path, load_state=False)
        spec = ckpt.task_spec
        if ckpt.task_name != TextTask.name or spec is None or spec.vocab is None:
            raise UserError(f"{ckpt.path} is a model of the task {ckpt.task_name!r}; a "
                            "LanguageModel loads models of the 'text' task")
        saved = ckpt.meta.get("estimator") if isinstance(ckpt.meta.get("estimator"), dict) else {}
        params = _known_params(cls, saved.get("params"), ckpt.model_config)
        params.pop("bidirectional", None)
        task_params = ckpt.task_params
        if not isinstance(saved.get("params"), dict):  # the command line's: from its configs
            params.update({k: task_params[k] for k in TEXT_PARAMS if k in task_params})
            if ckpt.model_config is not None:
                params["embedding_dim"] = ckpt.model_config.embedding_dim
        estimator = cls(**params)
        estimator._set_fitted(rebuild_model(ckpt), FittedText(TextTask.name, task_params, spec),
                              ckpt.train_config)
        return estimator


def _as_path(text: Any) -> Path | None:
    """``text`` as a file path: a PathLike, or a one-line string naming an existing file."""
    if isinstance(text, os.PathLike):
        path = Path(text)
        if not path.is_file():
            raise UserError(f"text file not found: {path}")
        return path
    if isinstance(text, str) and "\n" not in text and len(text) < 4096:
        try:
            if os.path.isfile(text):
                return Path(text)
        except (OSError, ValueError):  # e.g. a NUL byte: not a path
            return None
    return None
