"""Shared widgets through real peers: a slider made by one person's run on a real ipykernel
with ipywidgets, moved by another person's `widget` command; the kernel sees the new value,
the document's `widgets` map holds it for everyone (a late joiner too); viewers and, in mob
mode, navigators are refused."""

from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Doc, Map

from pairbook.protocol.messages import encode_sync_update
from support.client import RawPeer, YClient
from support.server import ServerProcess

pytestmark = pytest.mark.integration

SLIDER = "import ipywidgets as widgets\ns = widgets.IntSlider(value=2, max=10)\ns"


async def ok(client: YClient, command: str, **args: Any) -> dict[str, Any]:
    reply = await client.command(command, **args)
    assert reply["ok"], reply
    result: dict[str, Any] = reply["result"]
    return result


def sliders(client: YClient) -> dict[str, Any]:
    return {key: model for key, model in client.map("widgets").items()
            if model["state"].get("_model_name") == "IntSliderModel"}  # fmt: skip


def printed(client: YClient, index: int) -> str:
    return "".join(str(output.get("text", "")) for output in client.cells[index]["outputs"])


async def test_a_slider_made_by_one_person_and_moved_by_another_is_shared_by_everyone(
    server: ServerProcess,
) -> None:
    bo_token, _ = server.join("editor", "Bo")
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        YClient(server.ws_url("demo.ipynb", bo_token)) as bo,
    ):
        await ana.set_source(1, SLIDER)
        await ana.set_source(2, "print('kernel sees', s.value)")
        await ok(ana, "run", cells=["code-0"])
        await bo.wait_until(lambda: len(sliders(bo)) == 1, timeout=60)
        ((model_id, model),) = sliders(bo).items()
        assert model["state"]["value"] == 2
        assert model["by"] is None  # the kernel made it

        queued = await ok(bo, "widget", model=model_id, state={"value": 7}, echo="drag-1")
        assert queued == {"model": model_id, "queued": True}
        # Bo is told once the kernel took it: its echo is in the map then, attributed to Bo.
        echo = await bo.event("widget-echo")
        assert echo == {"event": "widget-echo", "model": model_id, "echo": "drag-1", "ok": True}
        await bo.wait_until(lambda: sliders(bo)[model_id]["state"]["value"] == 7)
        await ana.wait_until(lambda: sliders(ana)[model_id]["state"]["value"] == 7)
        assert sliders(ana)[model_id]["by"]["name"] == "Bo"

        await ok(ana, "run", cells=["code-1"])
        await ana.wait_until(lambda: "kernel sees 7" in printed(ana, 2), timeout=60)

    async with YClient(server.ws_url("demo.ipynb")) as late:
        assert sliders(late)[model_id]["state"]["value"] == 7
        assert sliders(late)[model_id]["gone"] is False

        # Nobody writes the map but the server: a peer's forged value is refused.
        forged: Doc[Any] = Doc(client_id=4243)
        forged.apply_update(late.doc.get_update())
        before = forged.get_state()
        forged.get("widgets", type=Map)[model_id]["state"]["value"] = 666
        async with RawPeer(server.ws_url("demo.ipynb", bo_token)) as rogue:
            await rogue.send(encode_sync_update(forged.get_update(before)))
            code, reason = await rogue.closed_with()
        assert code == 4403
        assert "server only" in reason
        assert sliders(late)[model_id]["state"]["value"] == 7


async def test_viewers_and_navigators_cannot_move_a_widget(server: ServerProcess) -> None:
    vi_token, _ = server.join("viewer", "Vi")
    bo_token, _ = server.join("editor", "Bo")
    async with (
        YClient(server.ws_url("demo.ipynb")) as ana,
        YClient(server.ws_url("demo.ipynb", bo_token)) as bo,
        YClient(server.ws_url("demo.ipynb", vi_token)) as vi,
    ):
        await ana.set_source(1, SLIDER)
        await ok(ana, "run", cells=["code-0"])
        await vi.wait_until(lambda: len(sliders(vi)) == 1, timeout=60)
        (model_id,) = sliders(vi)

        refused = await vi.command("widget", model=model_id, state={"value": 9})
        assert not refused["ok"]
        assert "viewers see widgets but cannot change them" in refused["error"]

        await ok(ana, "mob-mode", mode="mob")
        refused = await bo.command("widget", model=model_id, state={"value": 9})
        assert not refused["ok"]
        assert "only the driver" in refused["error"]

        bad = await ana.command("widget", model="no-such-model", state={"value": 1})
        assert not bad["ok"]
        assert "no live widget 'no-such-model'" in bad["error"]
        bad = await ana.command("widget", model=model_id, state="nine")
        assert not bad["ok"]
        assert "state" in bad["error"]

        assert sliders(ana)[model_id]["state"]["value"] == 2  # nothing reached the kernel
