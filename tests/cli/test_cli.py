from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from graphrec.cli import app
from graphrec.graph.splits import make_split
from graphrec.models import LightGCN
from graphrec.models.artifact import load_artifact
from graphrec.training.train import folded
from tests.data.test_loaders import csv_dir

runner = CliRunner()


def test_load_stats_export_derive(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    shell_umask = os.umask(0o022)  # as a shell leaves it: files readable by all
    try:
        loaded = runner.invoke(app, ["load", "csv", str(csv_dir(tmp_path)), "--store", store])
    finally:
        os.umask(shell_umask)
    assert loaded.exit_code == 0, loaded.output
    written = [p for p in tmp_path.glob("store*") if p.is_file()]
    assert written and all(p.stat().st_mode & 0o077 == 0 for p in written)  # the owner's alone
    assert "BOUGHT_WITH edges: 0" in loaded.output
    stats = runner.invoke(app, ["stats", "--json", "--store", store])
    assert json.loads(stats.stdout) == {
        "nodes": {"User": 2, "Item": 2, "Category": 5, "Brand": 1},
        "relationships": {
            "INTERACTED": 4,
            "IN_CATEGORY": 3,
            "SUBCATEGORY_OF": 3,
            "MADE_BY": 2,
            "BOUGHT_WITH": 0,
            "SIMILAR_TO": 0,
        },
    }
    out = tmp_path / "snap"
    exported = runner.invoke(app, ["export", "--out", str(out), "--store", store])
    assert exported.exit_code == 0 and (out / "interactions.parquet").is_file()
    assert runner.invoke(app, ["delete-user", "u1", "--store", store]).exit_code == 0
    gone = runner.invoke(app, ["delete-user", "u1", "--store", store])
    assert gone.exit_code == 2 and "no user 'u1'" in gone.output


def test_store_from_environment(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GRAPHREC_STORE", str(tmp_path / "env-store"))
    assert runner.invoke(app, ["load", "csv", str(csv_dir(tmp_path))]).exit_code == 0
    assert (tmp_path / "env-store").exists()


def test_bad_input_exits_2_with_a_message_and_no_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["load", "xml", str(tmp_path), "--store", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert "unknown format 'xml'" in result.output and "Traceback" not in result.output
    bad = csv_dir(tmp_path, interactions="user_id,item_id,kind,ts\nu1,serum,view,soon\n")
    result = runner.invoke(app, ["load", "csv", str(bad), "--store", str(tmp_path / "s")])
    assert result.exit_code == 2 and "line 2, field 'ts'" in result.output
    assert runner.invoke(app, ["reset", "--store", str(tmp_path / "s")]).exit_code == 2
    result = runner.invoke(app, ["serve", "--cpu", "0"])  # refused before anything loads
    assert result.exit_code == 2 and "--cpu is the core for --busy-poll" in result.output


def test_unknown_store_scheme(tmp_path: Path) -> None:
    result = runner.invoke(app, ["stats", "--store", "redis://localhost"])
    assert result.exit_code == 1 and "unknown store URL scheme 'redis'" in result.output


def small_movielens_store(tmp_path: Path) -> str:
    """40 shoppers rating 6 of 30 films each, loaded into an embedded store; its path."""
    store = str(tmp_path / "store")
    folder = tmp_path / "ml" / "ml-100k"
    folder.mkdir(parents=True)
    movies = "".join(
        f"{i}|Movie {i} (1995)|01-Jan-1995||http://x|0|{i % 2}|{(i + 1) % 2}\n"
        for i in range(1, 31)
    )
    (folder / "u.genre").write_text("unknown|0\nAction|1\nComedy|2\n")
    (folder / "u.item").write_text(movies)
    ratings = "".join(
        f"{u}\t{(u * 7 + j) % 30 + 1}\t4\t{1000 + j}\n" for u in range(1, 41) for j in range(6)
    )
    (folder / "u.data").write_text(ratings)
    assert (
        runner.invoke(
            app, ["load", "movielens", str(folder.parent), "--store", store, "--no-derive"]
        ).exit_code
        == 0
    )
    return store


def test_train_and_evaluate(tmp_path: Path) -> None:
    store = small_movielens_store(tmp_path)
    out = tmp_path / "models"
    trained = runner.invoke(
        app,
        [
            "train",
            "--model",
            "lightgcn",
            "--store",
            store,
            "--out",
            str(out),
            "--set",
            "epochs=4",
            "--set",
            "eval_every=2",
            "--set",
            "embedding_dim=8",
            "--set",
            "init=svd",  # its start is evaluated too: a row with no training loss
            "--device",
            "cpu",
        ],
    )
    assert trained.exit_code == 0, trained.output
    assert "written back: 30 item embeddings" in trained.output
    stats = json.loads(runner.invoke(app, ["stats", "--json", "--store", store]).stdout)
    assert 0 < stats["relationships"]["SIMILAR_TO"] <= 30 * 20  # positive similarities only
    [artifact] = list(out.iterdir())
    assert {p.name for p in artifact.iterdir()} >= {
        "model.json",
        "state.npz",
        "snapshot",
        "curve.png",
    }
    meta = json.loads((artifact / "model.json").read_text())
    # the curve is early stopping's; the saved model was then trained on training and
    # validation together for the best epochs, exactly as fitted directly
    assert [row["epoch"] for row in meta["history"]] == [0, 2, 4]
    best = meta["best_epoch"]
    assert meta["final_fit"]["epochs"] == best and meta["config"]["epochs"] == best
    assert f"training and validation together for {best} epochs" in trained.output
    assert meta["split"]["kind"] == "temporal" and meta["split"]["valid"] == 0
    saved = load_artifact(artifact, device="cpu")
    direct = LightGCN(**{**meta["config"], "device": "cpu"})
    direct.use_snapshot(saved.snapshot)
    direct.fit(folded(make_split(saved.snapshot, "temporal")))
    users = np.arange(direct.num_users)
    np.testing.assert_allclose(
        saved.model.user_scores(users), direct.user_scores(users), rtol=1e-5, atol=1e-6
    )
    assert 0 <= meta["metrics"]["test"]["recall@20"] <= 1
    report = tmp_path / "report.png"
    evaluated = runner.invoke(app, ["evaluate", str(artifact), "--json", "--report", str(report)])
    assert evaluated.exit_code == 0, evaluated.output
    results = json.loads(evaluated.stdout)
    assert set(results["models"]) == {f"lightgcn@{meta['created_at']}", "pop", "itemknn"}
    assert (
        results["models"][f"lightgcn@{meta['created_at']}"]["recall@20"]
        == meta["metrics"]["test"]["recall@20"]
    )
    assert report.stat().st_size > 10_000
    kept = runner.invoke(
        app,
        ["train", "--model", "lightgcn", "--store", store, "--out", str(tmp_path / "kept")]
        + ["--set", "epochs=2", "--set", "embedding_dim=8", "--no-final-fit", "--no-write-back"],
    )
    assert kept.exit_code == 0, kept.output
    [kept_artifact] = list((tmp_path / "kept").iterdir())
    meta = json.loads((kept_artifact / "model.json").read_text())
    assert "final_fit" not in meta and meta["split"]["valid"] > 0
    assert meta["config"]["epochs"] == 2 and "together" not in kept.output
    bad = runner.invoke(app, ["train", "--model", "deepfm", "--store", store])
    assert bad.exit_code == 2 and "unknown model 'deepfm'" in bad.output
    bad = runner.invoke(app, ["train", "--set", "epochs", "--store", store])
    assert bad.exit_code == 2 and "expected key=value" in bad.output


def test_train_auto_tunes_the_candidates_and_keeps_the_best_servable(tmp_path: Path) -> None:
    store = small_movielens_store(tmp_path)
    out = tmp_path / "models"
    candidates = "pop,itemknn,gfcf,ease"
    command = ["train", "--model", "auto", "--candidates", candidates, "--budget", "300"]
    trained = runner.invoke(app, [*command, "--device", "cpu", "--store", store, "--out", str(out)])
    assert trained.exit_code == 0, trained.output
    [artifact] = list(out.iterdir())
    meta = json.loads((artifact / "model.json").read_text())
    trials = meta["tuning"]["trials"]
    # the best on validation of the servable ones (popularity is compared, not served); on
    # equal scores the earlier trial
    served = [t for t in trials if t["model"] != "pop" and t["score"] is not None]
    best = max(served, key=lambda t: (t["score"], -trials.index(t)))
    assert meta["model"] == best["model"] == meta["tuning"]["chosen"]["model"]
    assert "tuning:" in trained.output and f"chosen: {best['model']}" in trained.output
    assert f"{best['model']}: test recall@20" in trained.output
    assert "not servable" in trained.output
    # whichever was chosen, its item vectors are what merchandisers explore
    assert "written back: 0 item embeddings" not in trained.output
    assert "item embeddings" in trained.output
    assert [t["model"] for t in trials[:4]] == ["pop", "itemknn", "gfcf", "ease"]
    # every model's start first: its defaults, with recency where it has the setting
    assert [t["params"] for t in trials[:4]] == [{}, *[{"recency_half_life": 8.0}] * 3]
    chosen = meta["tuning"]["chosen"]["params"]
    assert all(meta["config"][k] == v for k, v in chosen.items())
    assert meta["split"]["valid"] == 0  # validation folded into training for the final fit
    bad = runner.invoke(app, ["train", "--model", "auto", "--set", "dim=4", "--store", store])
    assert bad.exit_code == 2 and "--set does not go with --model auto" in bad.output
    bad = runner.invoke(app, ["train", "--model", "auto", "--budget", "0", "--store", store])
    assert bad.exit_code == 2 and "--budget must be > 0" in bad.output


def test_reading_commands_run_beside_the_embedded_stores_writer(tmp_path: Path) -> None:
    """Another process (as graphrec serve does) holds the embedded store for writing: the
    reading commands still run; a writing one says what holds the store and what to do."""
    import subprocess
    import sys

    store = str(tmp_path / "store")
    assert (
        runner.invoke(app, ["load", "csv", str(csv_dir(tmp_path)), "--store", store]).exit_code == 0
    )
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from graphrec.store import open_store\n"
            f"store = open_store({store!r})\n"
            "print('holding', flush=True)\n"
            "sys.stdin.read()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        stats = runner.invoke(app, ["stats", "--json", "--store", store])
        assert stats.exit_code == 0, stats.output
        assert json.loads(stats.stdout)["nodes"]["User"] == 2
        out = tmp_path / "snap"
        exported = runner.invoke(app, ["export", "--out", str(out), "--store", store])
        assert exported.exit_code == 0, exported.output
        explored = runner.invoke(app, ["explore", "coverage_gaps", "--store", store])
        assert explored.exit_code == 0, explored.output
        derived = runner.invoke(app, ["derive", "--store", store])
        assert derived.exit_code == 1
        assert "in use by another process" in derived.output and "stop that" in derived.output
    finally:
        holder.communicate("", timeout=30)
    assert runner.invoke(app, ["derive", "--store", store]).exit_code == 0  # once it has gone


@pytest.mark.parametrize(("module", "option"), [("train", "--model"), ("evaluate", "--baselines")])
def test_training_entry_points_are_the_commands(
    module: str, option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib

    entry = importlib.import_module(f"training.{module}")
    with pytest.raises(SystemExit) as done:
        entry.main(["--help"])
    assert done.value.code == 0
    assert option in capsys.readouterr().out


def test_recommend_writes_every_shoppers_answer_as_the_api_gives_it(
    tmp_path: Path, shop_artifact: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One row per item for every shopper, the same items the engine answers with."""
    import pyarrow.parquet as pq

    from graphrec.config import get_settings
    from graphrec.serving.configured import engine_config
    from graphrec.serving.service import Service
    from graphrec.store import open_store
    from tests.graphs import shop_batch

    monkeypatch.setenv("GRAPHREC_CONTROL_SHARE", "0")
    get_settings.cache_clear()
    store = str(tmp_path / "store")
    graph = open_store(store)
    graph.write(shop_batch())
    service = Service.open(graph, shop_artifact, config=engine_config(get_settings()))
    expected = {
        user: service.engine.recommend(user, 3, explore=0.0).item_ids
        for user in ("alice", "bob", "carol", "dave")
    }
    service.close()
    graph.close()
    out = tmp_path / "recs.parquet"
    args = ["--out", str(out), "--k", "3", "--artifact", str(shop_artifact), "--store", store]
    done = runner.invoke(app, ["recommend", "--all-users", *args])
    assert done.exit_code == 0, done.output
    assert "wrote 12 recommendations for 4 shoppers" in done.output
    rows = pq.read_table(out).to_pylist()
    for user, items in expected.items():
        mine = sorted((r for r in rows if r["user_id"] == user), key=lambda r: r["rank"])
        assert [r["item_id"] for r in mine] == items
        assert all(r["strategy"] == "personalized" and r["reason"] for r in mine)
    one = runner.invoke(app, ["recommend", "--user", "dave", *args])
    assert one.exit_code == 0 and "for 1 shoppers" in one.output
    both = runner.invoke(app, ["recommend", "--all-users", "--user", "dave", *args])
    assert both.exit_code == 2 and "not both" in both.output
    get_settings.cache_clear()
