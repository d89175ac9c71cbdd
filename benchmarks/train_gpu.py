"""train on a GPU: seconds per SALLY epoch over 1e7 events, CUDA-graph step vs eager.

The issue's figure: a SALLY epoch over 1e7 events with a 3×100 tanh MLP at batch ≥ 1024
in under 2 s. The data are synthetic (8 observables, x ~ N(0, 1); joint score t(x,z) = a
smooth function of x plus noise, 2 parameters), already on the GPU as the train stage
puts them. For each batch size the loop trains ``--epochs`` epochs with the CUDA-graph
step and with the eager step (same seed); the figure is the median of epochs 2..E (the
first holds the capture). Also checked: both modes reach the same losses (the graph
replays the same arithmetic), and a short run of every method family that the graph
serves (SALLY, CARL, ROLR, ALICE, ALICES, NDE) trains with finite losses. Needs CUDA.

    PYTHONPATH=steps python3 benchmarks/train_gpu.py --events 10000000

Not run by CI. Figures go to benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "steps"))
from goldmine.inference.estimators import FAMILIES, EstimatorSettings  # noqa: E402
from goldmine.inference.fit import prepared  # noqa: E402
from goldmine.inference.losses import Objective  # noqa: E402
from goldmine.inference.training import TrainSettings, train  # noqa: E402
from goldmine.methods import METHODS  # noqa: E402

N_OBSERVABLES, N_PARAMETERS = 8, 2


def synthetic(n: int, device: torch.device, seed: int = 0) -> dict[str, torch.Tensor]:
    """x (n, 8), theta0 (n, 2), theta (n, 2), y (n,), r_xz (n,), t_xz (n, 2) on ``device``."""
    generator = torch.Generator(device=device).manual_seed(seed)
    x = torch.randn(n, N_OBSERVABLES, device=device, generator=generator)
    t_xz = torch.stack([torch.tanh(x[:, 0] + 0.5 * x[:, 1]), x[:, 2] * x[:, 3] / 4], dim=1)
    t_xz += 0.3 * torch.randn(n, N_PARAMETERS, device=device, generator=generator)
    theta = torch.rand(n, N_PARAMETERS, device=device, generator=generator) * 2 - 1
    y = (torch.rand(n, device=device, generator=generator) < 0.5).float()
    r_xz = torch.exp(0.1 * (theta * t_xz).sum(dim=1))
    return {"x": x, "theta0": theta, "theta": theta, "y": y, "r_xz": r_xz, "t_xz": t_xz, "t_xz0": t_xz}


def model_for(family: str, hidden: tuple[int, ...], data: dict[str, torch.Tensor], device: torch.device):
    torch.manual_seed(0)
    model = FAMILIES[family](EstimatorSettings(N_OBSERVABLES, N_PARAMETERS, hidden, "tanh"))
    model.fit_scaling({name: values[:100_000].cpu() for name, values in data.items()})
    return model.to(device)


def run(method_name: str, data: dict[str, torch.Tensor], batch_size: int, epochs: int, graphs: bool,
        hidden: tuple[int, ...], device: torch.device) -> dict:
    method = METHODS[method_name]
    objective = Objective.of(method.terms, alpha=1.0)
    model = model_for(method.family, hidden, data, device)
    columns = prepared(model, data, objective.columns)
    settings = TrainSettings(epochs=epochs, batch_size=batch_size, optimizer="amsgrad", cuda_graphs=graphs,
                             early_stopping=False)
    result = train(model, objective, columns, None, settings, seed=0)
    seconds = [record["seconds"] for record in result.history]
    return {"method": method_name, "batch_size": batch_size, "cuda_graphs": graphs, "epoch_seconds": seconds,
            "median_seconds": statistics.median(seconds[1:]) if len(seconds) > 1 else seconds[0],
            "train_loss": [record["train_loss"] for record in result.history]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1024, 8192])
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("needs a CUDA device")
    device = torch.device("cuda")
    hidden = (100, 100, 100)
    data = synthetic(args.events, device)
    results = []
    for batch_size in args.batch_sizes:
        for graphs in (True, False):
            results.append(run("sally", data, batch_size, args.epochs, graphs, hidden, device))
            print(json.dumps(results[-1]), flush=True)
    small = {name: values[:200_000] for name, values in data.items()}
    for method_name in ("carl", "rolr", "alice", "alices", "nde"):
        results.append(run(method_name, small, 1024, 2, True, (64, 64), device))
        print(json.dumps(results[-1]), flush=True)
    summary = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "events": args.events,
               "hidden": list(hidden), "results": results}
    if args.output:
        args.output.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
