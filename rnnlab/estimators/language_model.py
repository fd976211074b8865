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
task to read. Such a text has no file of its own, so the model keeps it (``keep_text``): every
checkpoint of it — :meth:`save`'s, and last/ and best/ of the ``out_dir`` run — holds the text
as ``text.txt``, checksummed like the weights, so ``rnnlab evaluate SAVED`` needs nothing else,
from any folder, wherever SAVED is moved. A file beside the checkpoint rather than the text in
config.json: the text stays readable and usable as it is (``-p path=SAVED/text.txt``), and
config.json, which rnnlab reads with a size limit, stays small. Prompting, generating and
scoring other text need only the vocabulary, which every checkpoint stores.

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

from rnnlab.errors import UserError
from rnnlab.estimators.base import NetworkEstimator, _json_params, _known_params
from rnnlab.models import build_model
from rnnlab.models.sampling import generate, next_token_logits
from rnnlab.tasks.base import TaskSpec
from rnnlab.tasks.text import TEXT_FILE, TextCodec, TextScoring, TextTask
from rnnlab.train import checkpoint_meta, evaluate, load_checkpoint, rebuild_model, train
from rnnlab.train.checkpoint import kept_files, save_checkpoint
from rnnlab.utils import seed_everything

TEXT_PARAMS = ("level", "seq_len", "split", "min_count")  # the text task's, by the same names


@dataclass
class FittedText:
    """What a checkpoint stores of the text task a model was fitted on: its name, parameters
    and spec (with the vocabulary), and the text itself when it kept it (a text given as a
    string: ``text``, its UTF-8 bytes)."""

    name: str
    params: dict[str, Any]
    spec: TaskSpec
    text: bytes | None = None

    def checkpoint_files(self) -> dict[str, tuple[str, bytes]]:
        """As :meth:`TextTask.checkpoint_files`: the kept text, for :meth:`save`."""
        return {TEXT_FILE: ("path", self.text)} if self.text is not None else {}


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
            return self._fit_file(str(path), callbacks)
        if not isinstance(text, str):
            raise UserError(f"fit takes a text (str) or a file path, got {type(text).__name__}")
        if "\n" not in text and len(text) < 256 and text.endswith((".txt", ".md", ".text")):
            raise UserError(f"text file not found: {text} (a text to learn from is given as "
                            "the string itself)")
        data = text.encode("utf-8")
        with tempfile.TemporaryDirectory(prefix="rnnlab-text-") as folder:
            file = Path(folder) / TEXT_FILE
            file.write_bytes(data)
            try:
                return self._fit_file(str(file), callbacks, text=data)
            except UserError as e:  # the temporary file means nothing to the caller
                raise UserError(str(e).replace(str(file), "the text given to fit")) from None

    def _fit_file(self, path: str, callbacks: Any, text: bytes | None = None) -> LanguageModel:
        """Fit on the file ``path``; ``text``: its bytes, a text given as a string, which
        every checkpoint keeps (the temporary file is gone after fit)."""
        task = TextTask(path=path, keep_text=text is not None,
                        **{k: getattr(self, k) for k in TEXT_PARAMS})
        model_config, train_config = self.model_config(), self.train_config()
        seed_everything(self.seed)  # the initial weights are part of the seed
        model = build_model(model_config, task.spec)
        result = train(model, task, train_config, callbacks=callbacks)
        params = task.params.to_dict()
        # a text given as a string was in a temporary file, gone now: the text itself is kept
        params["path"] = os.path.abspath(path) if text is None else ""
        self._set_fitted(model, FittedText(task.name, params, task.spec, text), train_config)
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

    def log_likelihood(self, text: str | os.PathLike[str]) -> float:
        """The mean log-probability (nats) of each token of ``text`` — a text, or a file (a
        Path, or a string naming one) — given the ones before it (the first token is context
        only), in one stream of ``seq_len`` chunks with the state carried: ``rnnlab evaluate
        SAVED --data FILE`` (:class:`~rnnlab.tasks.text.TextScoring`). Tokens outside the
        vocabulary count as ``<unk>``."""
        self._check_fitted()
        path = _as_path(text)
        if path is None and not isinstance(text, str):
            raise UserError(f"the text must be a str or a file path, got {type(text).__name__}")
        vocab, params = self.codec_.vocab, self.task_.params
        task = (TextScoring(vocab, params, path=str(path)) if path is not None
                else TextScoring(vocab, params, text=str(text)))
        return -evaluate(self.model_, task, "test")["loss"]

    def score(self, text: str | os.PathLike[str], y: None = None) -> float:
        """Minus the loss on ``text`` (a text or a file): its mean log-likelihood per token
        (greater is better)."""
        return self.log_likelihood(text)

    def perplexity(self, text: str | os.PathLike[str]) -> float:
        """exp(mean negative log-likelihood per token) of ``text``: 1 is certainty; a model
        that guesses uniformly among V tokens has V."""
        return math.exp(min(-self.log_likelihood(text), 700.0))

    # -- save, load -------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write an rnnlab checkpoint folder (``rnnlab generate PATH --prompt ...``,
        ``rnnlab predict PATH --prompt ...`` and ``rnnlab evaluate PATH`` use it; with the
        text in it as ``text.txt`` when ``fit`` was given a string); :meth:`load` reads it
        back."""
        self._check_fitted()
        meta = checkpoint_meta(self.model_, self.task_, self.train_config_,
                               step=int(getattr(self, "n_steps_", 0)),
                               estimator={"class": type(self).__name__,
                                          "params": _json_params(self.get_params())})
        return save_checkpoint(path, self.model_, meta, files=kept_files(self.task_))

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
        text = None
        if task_params.get("keep_text"):  # held, so that saving it again needs no file
            text = Path(task_params["path"]).read_bytes()
            task_params["path"] = ""
        estimator._set_fitted(rebuild_model(ckpt),
                              FittedText(TextTask.name, task_params, spec, text),
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
