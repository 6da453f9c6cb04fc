"""The built console served at /: its files, the page for any console path, never a file
outside its folder, and JSON errors (not the page) for unknown API paths."""

from __future__ import annotations

from pathlib import Path

from planner_gateway.settings import GatewaySettings
from planner_tools.testing.gateway import running_gateway


async def test_the_console_is_served_beside_the_api(
    gateway_settings: GatewaySettings, tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root></div>")
    (dist / "assets" / "app-1a2b.js").write_text("console.log('hi')")
    (tmp_path / "secret.txt").write_text("not for the browser")
    settings = gateway_settings.model_copy(update={"console_dir": str(dist)})
    async with running_gateway(settings) as gw:
        index = await gw.client.get("/")
        assert index.status_code == 200
        assert "id=root" in index.text
        assert index.headers["cache-control"] == "no-cache"
        # A reload on a console page opens the console there.
        deep = await gw.client.get("/seasons/0a1b/in-season")
        assert deep.text == index.text
        asset = await gw.client.get("/assets/app-1a2b.js")
        assert asset.status_code == 200
        assert "javascript" in asset.headers["content-type"]
        outside = await gw.client.get("/%2e%2e/secret.txt")
        assert "not for the browser" not in outside.text
        api = await gw.client.get("/api/nowhere")
        assert api.status_code == 404
        assert api.json()["error"]["code"] == "not_found"
        assert (await gw.client.get("/ws/nowhere")).status_code == 404
        assert (await gw.client.get("/openapi.json")).json()["info"]["title"]


async def test_without_a_build_the_root_says_how_to_make_one(
    gateway_settings: GatewaySettings, tmp_path: Path
) -> None:
    settings = gateway_settings.model_copy(update={"console_dir": str(tmp_path / "missing")})
    async with running_gateway(settings) as gw:
        response = await gw.client.get("/")
        assert response.status_code == 503
        assert "make console" in response.text
