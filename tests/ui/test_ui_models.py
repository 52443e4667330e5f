"""The models view (`m`): registered models, versions with stage/aliases/source run, Enter
opens the run. Against sample_mlruns (FileStore), a registry with quotes in model names
(written by MLflow), and the contract data in SQLite."""

from __future__ import annotations

import pytest
from textual.widgets import Static
from uihelp import plain, row_keys, run_ui, settle

from tuiflow.entities import ModelVersion, RegisteredModel
from tuiflow.stores.file import FileStore
from tuiflow.ui.screens.main import MainScreen
from tuiflow.ui.screens.models import ModelsScreen
from tuiflow.ui.screens.models_text import STAGES_NOTE, aliases_of, versions_filter
from tuiflow.ui.screens.run_detail import RunDetailScreen
from tuiflow.ui.widgets.nav_table import NavTable

PRODUCTION_RUN = "2330fcf1562a44b888668d77e827062c"  # baseline-lbfgs, iris_classifier v2


def cell(table: NavTable, row: str, column: str):
    return table.get_cell(row, column)


async def open_models(pilot) -> ModelsScreen:
    await pilot.press("m")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ModelsScreen)
    return screen


def test_models_view_on_the_sample(sample_store):
    async def body(pilot, app):
        screen = await open_models(pilot)
        models = screen.query_one("#models-table", NavTable)
        assert row_keys(models) == ["iris_classifier", "wine_forest"]
        assert plain(cell(models, "iris_classifier", "latest")) == "v4"
        assert plain(cell(models, "iris_classifier", "aliases")) == "@challenger @champion"
        assert plain(cell(models, "iris_classifier", "updated")).endswith("ago")

        versions = screen.query_one("#versions-table", NavTable)
        assert row_keys(versions) == ["4", "3", "2", "1"]
        stages = {k: cell(versions, k, "stage") for k in row_keys(versions)}
        assert {k: plain(v) for k, v in stages.items()} == {
            "4": "None", "3": "Staging", "2": "Production", "1": "Archived",
        }  # fmt: skip
        assert str(stages["2"].style) == "green" and str(stages["3"].style) == "yellow"
        assert str(stages["1"].style) == "dim"
        assert plain(cell(versions, "2", "aliases")) == "@champion"
        assert plain(cell(versions, "3", "aliases")) == "@challenger"
        assert plain(cell(versions, "4", "aliases")) == ""
        assert plain(cell(versions, "2", "run")) == "baseline-lbfgs (2330fcf1)"
        assert plain(cell(versions, "2", "status")) == "READY"

        header = plain(screen.query_one("#model-header", Static).render())
        assert "Iris species classifier" in header and "owner=alice" in header
        assert STAGES_NOTE in plain(screen.query_one("#stages-note", Static).render())

        await pilot.press("j")  # wine_forest
        await settle(pilot)
        assert row_keys(versions) == ["1"]
        assert plain(cell(versions, "1", "run")).startswith("rf-")

        await pilot.press("r")
        await settle(pilot)
        assert screen.shown_model == "wine_forest" and row_keys(versions) == ["1"]
        assert models.cursor_row == 1

    run_ui(sample_store, body, size=(160, 40))


def test_enter_on_the_production_version_opens_its_run(sample_store):
    async def body(pilot, app):
        screen = await open_models(pilot)
        await pilot.press("enter")  # on the model: focus goes to its versions
        versions = screen.query_one("#versions-table", NavTable)
        assert versions.has_focus
        await pilot.press("j", "j")  # v4, v3, v2
        await settle(pilot)
        detail = plain(screen.query_one("#version-detail", Static).render())
        assert detail.startswith("v2  Default lbfgs baseline.")
        assert "validation_status=approved" in detail
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RunDetailScreen)
        assert app.screen.current.run_id == PRODUCTION_RUN
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)

    run_ui(sample_store, body, size=(160, 40))


def test_versions_filter_quotes():
    assert versions_filter("iris") == ("name = 'iris'", True)
    assert versions_filter("it's") == ('name = "it\'s"', True)
    assert versions_filter('say "hi"') == ("name = 'say \"hi\"'", True)
    assert versions_filter("a'b\"c") == ("name LIKE 'a_b_c'", False)


def test_aliases_come_from_the_model_when_versions_lack_them():
    model = RegisteredModel("m", 1, 1, aliases={"prod": 2, "best": 2, "old": 1})
    bare = ModelVersion("m", 2, 1, 1)
    assert aliases_of(bare, model) == ("best", "prod")
    assert aliases_of(ModelVersion("m", 2, 1, 1, aliases=("x",)), model) == ("x",)
    assert aliases_of(ModelVersion("m", 3, 1, 1), model) == ()


@pytest.fixture
def quoted_registry(tmp_path, monkeypatch):
    """A file store whose model names need every quoting rule, written by MLflow."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    import mlflow
    from mlflow import MlflowClient

    uri = (tmp_path / "mlruns").as_uri()
    mlflow.set_tracking_uri(uri)  # MLflow's file registry looks runs up on the global URI
    try:
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        run = client.create_run(client.create_experiment("e")).info.run_id
        names = ["it's", 'say "hi"', "both'\"x", "bothYZx", "plain"]
        for i, name in enumerate(names):
            client.create_registered_model(name)
            for _ in range(i % 2 + 1):
                client.create_model_version(name, f"s3://b/{i}", run_id=run)
    finally:
        mlflow.set_tracking_uri(None)
    store = FileStore(tmp_path / "mlruns")
    yield store
    store.close()


def test_model_names_with_quotes(quoted_registry):
    async def body(pilot, app):
        screen = await open_models(pilot)
        models = screen.query_one("#models-table", NavTable)
        versions = screen.query_one("#versions-table", NavTable)
        names = row_keys(models)
        assert set(names) == {"it's", 'say "hi"', "both'\"x", "bothYZx", "plain"}
        expected = {"it's": 1, 'say "hi"': 2, "both'\"x": 1, "bothYZx": 2, "plain": 1}
        for index, name in enumerate(names):
            models.move_cursor(row=index)
            await settle(pilot)
            assert screen.shown_model == name
            assert len(row_keys(versions)) == expected[name], name
            assert all(v.name == name for v in screen.versions.values())

    run_ui(quoted_registry, body, size=(160, 40))


def test_models_view_on_sqlite(sqlite_backend):
    async def body(pilot, app):
        screen = await open_models(pilot)
        models = screen.query_one("#models-table", NavTable)
        assert "Alpha-Model" in row_keys(models)
        models.move_cursor(row=row_keys(models).index("Alpha-Model"))
        await settle(pilot)
        versions = screen.query_one("#versions-table", NavTable)
        assert row_keys(versions) == ["4", "3", "2", "1"]  # v5 was deleted
        assert plain(cell(versions, "3", "aliases")) == "@champion"
        assert plain(cell(versions, "3", "stage")) == "Production"
        assert plain(cell(versions, "4", "aliases")) == "@old"

    run_ui(sqlite_backend.store, body, size=(160, 40))
