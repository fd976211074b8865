"""``rnnlab translate RUN "text"``: decode inputs with a trained encoder-decoder.

Everything comes from the checkpoint (the config, the weights, both vocabularies in the task
spec), so the training data is not needed. Inputs are the positional texts or the lines of
``--file`` (one output line per input line; a blank line gives a blank line). Characters
outside the source vocabulary are named on stderr and read as <unk>.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rnnlab.errors import UserError


def add_translate(sub: argparse._SubParsersAction, command: Any, whole: Any) -> None:
    """The ``translate`` sub-command; ``command`` is cli's parser factory, ``whole`` an int
    range type."""
    p = command(
        sub,
        "translate",
        "Translate text with a sequence-to-sequence model (greedy or beam search).",
        "rnnlab translate runs/dates/best 'mercredi 3 mars 2021' 'Mar 4, 1999'\n"
        "rnnlab translate runs/dates/best --file dates.txt --beam 5\n"
        "rnnlab translate runs/dates/best '3. März 2021' --show-attention attention.png",
    )
    p.add_argument("checkpoint", help="a checkpoint directory, or a run directory (its last/)")
    p.add_argument("text", nargs="*", help="the inputs, each translated on its own")
    p.add_argument("--file", help="a UTF-8 file: translate each line")
    p.add_argument("--beam", type=whole(1, 1000), default=1, help="beam width (1 = greedy)")
    p.add_argument("--length-penalty", type=float, default=1.0,
                   help="rank finished beams by log p / length**A (0 = raw log p)")
    p.add_argument("--max-len", type=whole(0, 100_000), default=0,
                   help="most output tokens (0 = the model's max_output_len)")
    p.add_argument("--show-attention", metavar="FILE",
                   help="write the attention map (.png or .svg; FILE-2.png... for more inputs)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an output file that rnnlab did not write")
    p.set_defaults(handler=cmd_translate)


def _inputs(args: argparse.Namespace) -> list[str]:
    from rnnlab.tasks.text import read_text

    texts = list(args.text)
    if args.file:
        texts += read_text(args.file).splitlines()
    if not texts:
        raise UserError("nothing to translate: give a text or --file FILE")
    return texts


def _attention_path(base: str, index: int, total: int) -> str:
    if total == 1 or index == 0:
        return base
    path = Path(base)
    return str(path.with_name(f"{path.stem}-{index + 1}{path.suffix}"))


def cmd_translate(args: argparse.Namespace) -> int:
    from rnnlab.models.decoding import translate
    from rnnlab.models.seq2seq import Seq2Seq
    from rnnlab.tasks.translation import EOS, CharVocab
    from rnnlab.train import load_checkpoint, rebuild_model

    ckpt = load_checkpoint(args.checkpoint, load_state=False)
    spec = ckpt.task_spec
    if spec is None or not spec.seq2seq or spec.vocab is None or spec.target_vocab is None:
        raise UserError(f"{args.checkpoint} is not a sequence-to-sequence model (task "
                        f"{ckpt.task_name!r}); translate needs one trained on dates, numbers "
                        "or parallel")
    if args.length_penalty < 0 or args.length_penalty > 10:
        raise UserError(f"--length-penalty must be in [0, 10], got {args.length_penalty}")
    model = rebuild_model(ckpt)
    assert isinstance(model, Seq2Seq)
    if args.show_attention and model.attention is None:
        raise UserError("this model has no attention (attention=none): there is no map to show")
    source, target = CharVocab(spec.vocab), CharVocab(spec.target_vocab)
    texts = _inputs(args)
    shown = [t for t in texts if t]
    unknown = list(dict.fromkeys(ch for t in shown for ch in source.unknown(t)))
    if unknown:
        listed = ", ".join(repr(ch) for ch in unknown[:20]) + (" ..." if len(unknown) > 20 else "")
        print(f"rnnlab translate: note: not in the model's vocabulary, read as <unk>: {listed}",
              file=sys.stderr)
    import torch

    for index, text in enumerate(texts):
        if not text:
            print()
            continue
        ids = torch.tensor(source.encode(text), dtype=torch.long)
        result = translate(model, ids, beam=args.beam, max_len=args.max_len,
                           length_penalty=args.length_penalty)
        print(target.decode(result.ids), flush=True)
        if args.show_attention and result.attention is not None:
            from rnnlab.viz.attention import attention_heatmap

            tokens = [target.tokens[i] for i in result.ids] + ([EOS] if result.finished else [])
            path = _attention_path(args.show_attention, len([t for t in texts[:index] if t]),
                                   len(shown))
            written = attention_heatmap(text, tokens, result.attention, path,
                                        overwrite=args.overwrite,
                                        title=f"{model.config.attention} attention")
            print(f"attention map: {written}", file=sys.stderr)
    return 0
