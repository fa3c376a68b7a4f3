"""A learned end-of-turn model measured on the pauses `make turn-bench` saw (MINIBOT_TURN_BENCH_DUMP):
pipecat's Smart Turn v3 (the ONNX weights shipped in the pipecat-ai wheel on PyPI; audio in, 8 s
window, 16 kHz). For each pause: the model's probability that the turn is complete, beside the
rule's verdict, by kind (inserted pause: must wait; end of the answer: may end).

    python smart_turn.py DUMP_DIR PIPECAT_SRC_DIR
"""
import sys, time, os
import numpy as np
import onnxruntime as ort

dump, pipecat = sys.argv[1], sys.argv[2]
sys.path.insert(0, pipecat)
from pipecat.audio.turn.smart_turn._whisper_features import compute_whisper_log_mel_features  # noqa: E402

so = ort.SessionOptions()
so.intra_op_num_threads = 1
session = ort.InferenceSession(os.path.join(pipecat, "pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"), sess_options=so)


def probability(raw8k):
    x = raw8k.astype(np.float32) / 32768.0
    # 8 -> 16 kHz, linear interpolation (telephone audio has nothing above 4 kHz anyway).
    x16 = np.interp(np.arange(len(x) * 2) / 2.0, np.arange(len(x)), x).astype(np.float32)
    n = 8 * 16000
    x16 = x16[-n:] if len(x16) > n else np.pad(x16, (n - len(x16), 0))
    features = np.expand_dims(compute_whisper_log_mel_features(x16, do_normalize=True), 0)
    return float(session.run(None, {"input_features": features})[0][0].item())


rows = [line.rstrip("\n").split("\t") for line in open(os.path.join(dump, "index.tsv"))]
stats = {}
took = []
for n, set_, voice, speed, euh, pause, kind, ending, silence, words in rows:
    raw = np.fromfile(os.path.join(dump, f"{n}.raw"), dtype="<i2")
    t = time.perf_counter()
    p = probability(raw)
    took.append(time.perf_counter() - t)
    s = stats.setdefault((set_, kind), {"n": 0, "model_complete": 0, "rule_complete": 0, "rule_continuing": 0})
    s["n"] += 1
    s["model_complete"] += p > 0.5
    s["rule_complete"] += ending == "complete"
    s["rule_continuing"] += ending == "continuing"
print("| set | pause kind | pauses | Smart Turn says complete (p > 0.5) | the rule says complete | the rule says continuing |")
print("| --- | --- | --- | --- | --- | --- |")
for (set_, kind), s in sorted(stats.items()):
    print(f"| {set_} | {kind} | {s['n']} | {s['model_complete']} | {s['rule_complete']} | {s['rule_continuing']} |")
took.sort()
print(f"\ninference: median {1000 * took[len(took) // 2]:.0f} ms, p95 {1000 * took[int(len(took) * 0.95)]:.0f} ms per pause (one thread)")
