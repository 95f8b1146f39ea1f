"""A plain character LSTM given a time budget: the yardstick of the bench's budget section.

One LSTM layer of 128 units over one-hot input, 64 cursors spread over the training text,
32 unrollings with the state carried from batch to batch, Adam at 4e-3 whose rate follows a
cosine of the elapsed time down to 0 at the deadline. The held-out text is scored from a zero
state in one stream, at 10 evenly spaced times and at the end (inside the budget). Prints one
JSON line. Run by `npm run bench` when Python with PyTorch is found, with as many intra-op
threads as the engine uses; the product never needs it.
"""
import argparse, json, math, time
import torch
import torch.nn.functional as F

parser = argparse.ArgumentParser()
for flag in ("--train", "--heldout"):
    parser.add_argument(flag, required=True)
parser.add_argument("--seconds", type=float, required=True)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--threads", type=int, default=0, help="intra-op threads (0: PyTorch's)")
args = parser.parse_args()
torch.manual_seed(args.seed)
if args.threads > 0:
    torch.set_num_threads(args.threads)
train_text, held_text = (open(p, encoding="utf-8").read() for p in (args.train, args.heldout))
symbols = sorted(set(train_text) | set(held_text))
lookup = torch.zeros(max(map(ord, symbols)) + 1, dtype=torch.long)
lookup[[ord(c) for c in symbols]] = torch.arange(len(symbols))
to_ids = lambda text: lookup[torch.tensor([ord(c) for c in text])]
train, held = to_ids(train_text), to_ids(held_text)
V, H, B, T = len(symbols), 128, 64, 32
lstm, head = torch.nn.LSTM(V, H, batch_first=True), torch.nn.Linear(H, V)
params = list(lstm.parameters()) + list(head.parameters())
optimizer = torch.optim.Adam(params, lr=4e-3)


def bits_per_char():
    with torch.no_grad():
        out, _ = lstm(F.one_hot(held[:-1], V).float()[None])
        return F.cross_entropy(head(out[0]), held[1:]).item() / math.log(2)


cursors = torch.arange(B) * (len(train) // B)
window = torch.arange(T + 1)
state, steps, scores = None, 0, []
start = time.perf_counter()
next_score = args.seconds / 10
while (elapsed := time.perf_counter() - start) < args.seconds:
    for group in optimizer.param_groups:
        group["lr"] = 4e-3 * 0.5 * (1 + math.cos(math.pi * elapsed / args.seconds))
    batch = train[(cursors[:, None] + window[None]) % len(train)]
    cursors = (cursors + T) % len(train)
    out, state = lstm(F.one_hot(batch[:, :-1], V).float(), state)
    state = tuple(s.detach() for s in state)
    loss = F.cross_entropy(head(out).reshape(-1, V), batch[:, 1:].reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    optimizer.step()
    steps += 1
    if elapsed >= next_score:
        scores.append((bits_per_char(), steps))
        next_score += args.seconds / 10
scores.append((bits_per_char(), steps))
best = min(scores)
print(json.dumps({
    "framework": f"PyTorch {torch.__version__}", "steps": steps, "charsSeen": steps * B * T,
    "trainSeconds": time.perf_counter() - start, "bestBitsPerChar": best[0],
    "bestStep": best[1], "finalBitsPerChar": scores[-1][0], "heldOutChars": len(held_text),
}))
