"""Small, real-looking demo datasets, generated deterministically (no downloads)."""

from pathlib import Path

import numpy as np
import pandas as pd


def air_quality(path: Path) -> Path:
    rng = np.random.default_rng(7)
    times = pd.date_range("2025-01-01", periods=480, freq="h", tz="UTC")
    stations = ["Avenida", "Belem", "Olivais", "Entrecampos"]
    rows = []
    for i, ts in enumerate(times):
        station = stations[i % len(stations)]
        base = 12 + 6 * np.sin(i / 24 * 2 * np.pi)
        rows.append(
            {
                "timestamp": ts.isoformat(),
                "station": station,
                "pm25": round(float(max(1.0, base + rng.normal(0, 3))), 1),
                "pm10": round(float(max(2.0, 1.8 * base + rng.normal(0, 5))), 1),
                "no2": round(float(max(0.0, 25 + rng.normal(0, 8))), 1),
            }
        )
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def air_quality_daily(path: Path) -> Path:
    hourly = pd.read_csv(air_quality(path.with_suffix(".hourly.csv")))
    path.with_suffix(".hourly.csv").unlink()
    hourly["date"] = hourly["timestamp"].str.slice(0, 10)
    daily = (
        hourly.groupby(["date", "station"], as_index=False)[["pm25", "pm10", "no2"]].mean().round(2)
    )
    daily.to_csv(path, index=False)
    return path


def bird_counts(path: Path) -> Path:
    rng = np.random.default_rng(11)
    species = [
        "Passer domesticus",
        "Columba livia",
        "Larus michahellis",
        "Apus apus",
        "Sturnus unicolor",
    ]
    sites = ["Monsanto", "Tejo estuary", "Estrela garden"]
    frame = pd.DataFrame(
        {
            "date": [str(d.date()) for d in pd.date_range("2025-03-01", periods=300, freq="D")],
            "site": [sites[i % 3] for i in range(300)],
            "species": [species[int(i)] for i in rng.integers(0, len(species), 300)],
            "count": rng.integers(1, 60, 300),
            "observer_verified": rng.random(300) > 0.2,
        }
    )
    frame.to_json(path, orient="records", lines=True)
    return path


def household_energy(path: Path) -> Path:
    rng = np.random.default_rng(3)
    households = [f"H{n:03d}" for n in range(20)]
    months = [f"2025-{m:02d}" for m in range(1, 13)]
    frame = pd.DataFrame(
        [
            {
                "household_id": h,
                "month": m,
                "kwh": round(
                    float(
                        180 + 90 * np.cos((int(m[-2:]) - 1) / 12 * 2 * np.pi) + rng.normal(0, 20)
                    ),
                    1,
                ),
                "heating": ["heat pump", "gas", "electric"][i % 3],
            }
            for i, h in enumerate(households)
            for m in months
        ]
    )
    frame.to_parquet(path, index=False)
    return path
