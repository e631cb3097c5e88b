"""Trains the orientation network (Sources/CImageInspection/text_orientation_model.h) on the
patches orientation_patches.cpp takes from the pages of audit-bench halves, and writes its
weights as Sources/CImageInspection/text_orientation_weights.h.

    python train.py --train tune tune2 --validate tune3 --patches /tmp/orient --out WEIGHTS.h

Each page is labelled by the turn planted in it (meta.json) and the way its lines were turned
level: upright or upside down once level. Every patch is also read turned half a turn, with the
label the other way, so both ways up weigh alike. Needs torch (CPU)."""
import argparse, json, math, os, time

import torch
import torch.nn as nn

SIDE = 48
CHANNELS = [1, 8, 16, 16, 32]


class Net(nn.Module):
    """Four 3x3 convolutions with ReLU, 2x2 max pooling after the first three, each channel's mean,
    one linear unit: the forward pass text_orientation_model.h computes."""

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(CHANNELS[i], CHANNELS[i + 1], 3, padding=1) for i in range(4))
        self.head = nn.Linear(CHANNELS[4], 1)

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            x = torch.relu(conv(x))
            if i < 3:
                x = nn.functional.max_pool2d(x, 2)
        return self.head(x.mean(dim=(2, 3))).squeeze(1)


def upside_down_once_level(rot_ccw, angle):
    """True, False, or None (not used): whether a page planted turned `rot_ccw` degrees
    counter-clockwise stands upside down once its lines (at `angle`) are turned level."""
    sideways = 45 <= angle < 135
    if not sideways and rot_ccw in (0, 180):
        return rot_ccw == 180
    if sideways and rot_ccw in (90, 270):
        return rot_ccw == 90  # a further quarter counter-clockwise: 270 + 90 stands upright
    return None


def load(patch_dir, half, data_root):
    meta = json.load(open(os.path.join(data_root, half, "meta.json")))
    raw = open(os.path.join(patch_dir, f"p_{half}.f32"), "rb").read()
    patches = torch.frombuffer(bytearray(raw), dtype=torch.float32).view(-1, 1, SIDE, SIDE)
    pages = []
    for line in open(os.path.join(patch_dir, f"p_{half}.jsonl")):
        page = json.loads(line)
        rel = "images/" + os.path.basename(page["path"])
        label = upside_down_once_level(meta[rel]["params"].get("rot_ccw_deg", 0), page["angle"])
        if label is not None:
            pages.append((rel, page["first"], page["count"], label, page))
    return patches, pages


def page_logits(net, patches, pages):
    with torch.no_grad():
        logits = net(patches)
    return [(rel, logits[first:first + count].mean().item(), label, page) for rel, first, count, label, page in pages]


def weights_header(net):
    lines = ["// The orientation network's weights (text_orientation_model.h), written by",
             "// bench/orientation/train.py: do not edit.",
             "#ifndef RUNCLINIC_TEXT_ORIENTATION_WEIGHTS_H", "#define RUNCLINIC_TEXT_ORIENTATION_WEIGHTS_H", "",
             "namespace text_orientation_weights {",
             f"constexpr int channels[5] = {{{', '.join(map(str, CHANNELS))}}};"]

    def array(name, tensor):
        values = [f"{v:.9g}f" for v in tensor.detach().flatten().tolist()]
        rows = [", ".join(values[i:i + 8]) for i in range(0, len(values), 8)]
        return [f"const float {name}[{len(values)}] = {{"] + [f"    {row}," for row in rows] + ["};"]

    for i, conv in enumerate(net.convs):
        lines += array(f"conv{i}_weight", conv.weight) + array(f"conv{i}_bias", conv.bias)
    lines += array("head_weight", net.head.weight)
    lines.append(f"const float head_bias = {net.head.bias.item():.9g}f;")
    lines += ["}  // namespace text_orientation_weights", "", "#endif", ""]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", nargs="+", required=True)
    parser.add_argument("--validate", nargs="*", default=[])
    parser.add_argument("--patches", required=True)
    parser.add_argument("--data", default="bench/out/audit_photos")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    xs, ys = [], []
    for half in args.train:
        patches, pages = load(args.patches, half, args.data)
        for rel, first, count, label, page in pages:
            xs.append(patches[first:first + count])
            ys.append(torch.full((count,), float(label)))
    x, y = torch.cat(xs), torch.cat(ys)
    print(f"{len(x)} patches from {len(xs)} pages", flush=True)
    net = Net()
    optimiser = torch.optim.Adam(net.parameters(), 2e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, args.epochs)
    loss_of = nn.BCEWithLogitsLoss()
    for epoch in range(args.epochs):
        started, order, total, right = time.time(), torch.randperm(len(x)), 0.0, 0
        for at in range(0, len(x), 256):
            batch, labels = x[order[at:at + 256]], y[order[at:at + 256]]
            turned = torch.rand(len(batch)) < 0.5
            batch = torch.where(turned[:, None, None, None], torch.flip(batch, dims=(2, 3)), batch)
            labels = torch.where(turned, 1 - labels, labels)
            logits = net(batch)
            loss = loss_of(logits, labels)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
            right += ((logits > 0) == (labels > 0.5)).sum().item()
        schedule.step()
        print(f"epoch {epoch}: loss {total / len(x):.4f}, patches right {right / len(x):.4f}, "
              f"{time.time() - started:.0f} s", flush=True)
    net.eval()
    for half in args.validate:
        patches, pages = load(args.patches, half, args.data)
        scored = page_logits(net, patches, pages)
        for margin in (0.5, 1.0, 1.5, 2.0):
            told = sum(abs(logit) >= margin for _, logit, _, _ in scored)
            wrong = sum(abs(logit) >= margin and (logit > 0) != label for _, logit, label, _ in scored)
            print(f"{half}: {len(scored)} pages, margin {margin}: told {told}, wrong {wrong}")
    with open(args.out, "w") as out:
        out.write(weights_header(net))


if __name__ == "__main__":
    main()
