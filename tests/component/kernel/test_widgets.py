"""Shared widgets on a real ipykernel with ipywidgets: the kernel's models land in the
document's `widgets` map, a person's change reaches the kernel and its echo the map, the
Output widget's captured prints land in its state, and a restart leaves them gone."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Array, Doc, Map

from pairbook.kernel import KernelSessions
from pairbook.kernel.runner import Runner
from pairbook.kernel.widgetdoc import MAX_VALUE_BYTES
from pairbook.kernel.widgets import MAX_CHANGE_BYTES, MAX_PENDING_BYTES, MAX_PENDING_CHANGES
from pairbook.schema import WIDGETS_MAP
from pairbook.service import Member
from support.kernelkit import FINAL, DocRoom, notebook_doc, person, real_runner, running

ANA = person("ana")
BO = person("bo")


class Kit:
    def __init__(self, runner: Runner, room: DocRoom) -> None:
        self.runner, self.room = runner, room

    def models(self) -> dict[str, Any]:
        result: dict[str, Any] = self.room.doc.get(WIDGETS_MAP, type=Map).to_py()
        return result

    def by_name(self, name: str) -> list[str]:
        return [k for k, m in self.models().items() if m["state"].get("_model_name") == name]

    async def run(self, cell: str) -> str:
        (run,) = (await self.runner.run_cells(ANA, [cell]))["queued"]
        executions = self.room.doc.get("executions", type=Map)
        await self.room.until(lambda: executions[run]["status"] in FINAL)
        assert executions[run]["status"] == "ok"
        return "".join(str(o.get("text", "")) for o in self.cell(cell)["outputs"])

    def cell(self, cell_id: str) -> dict[str, Any]:
        cells = self.room.doc.get("cells", type=Array).to_py()
        found: dict[str, Any] = next(c for c in cells if c["id"] == cell_id)
        return found


@contextlib.asynccontextmanager
async def kit(tmp_path: Path, sources: list[str]) -> AsyncIterator[Kit]:
    room = DocRoom(notebook_doc(sources), [ANA, BO])
    async with real_runner(tmp_path, room) as runner:
        yield Kit(runner, room)


async def test_a_slider_moved_by_one_person_is_the_kernels_value_and_the_maps(
    tmp_path: Path,
) -> None:
    sources = ["import ipywidgets as w\ns = w.IntSlider(value=3, max=10)\ns", "print(s.value)"]
    async with kit(tmp_path, sources) as k:
        await k.run("code-0")
        await k.room.until(lambda: len(k.by_name("IntSliderModel")) == 1)
        (slider,) = k.by_name("IntSliderModel")
        view = k.cell("code-0")["outputs"][0]["data"]["application/vnd.jupyter.widget-view+json"]
        assert view["model_id"] == slider  # the view stays in the cell as Jupyter writes it
        await k.runner.widgets.change(BO, slider, {"value": 7}, None, "echo-1").done
        # Bo is told the kernel took it, once its echo is in the map.
        assert k.room.events[-1] == (
            BO.key,
            {"event": "widget-echo", "model": slider, "echo": "echo-1", "ok": True},
        )
        model = k.models()[slider]
        assert model["state"]["value"] == 7
        assert model["by"]["id"] == "bo"
        assert await k.run("code-1") == "7\n"
        assert k.room.notes[-1][:2] == ("widget", "bo")


async def test_interact_output_is_captured_in_the_output_widget_and_follows_the_slider(
    tmp_path: Path,
) -> None:
    sources = ["from ipywidgets import interact\n"
               "def f(x):\n    print('x is', x)\n    return x * 2\n"
               "interact(f, x=(0, 10));"]  # fmt: skip
    async with kit(tmp_path, sources) as k:
        assert await k.run("code-0") == ""  # the prints went to the Output widget
        (out,) = k.by_name("OutputModel")
        await k.room.until(lambda: "x is 5" in str(k.models()[out]["state"]["outputs"]))
        (slider,) = k.by_name("IntSliderModel")
        await k.runner.widgets.change(BO, slider, {"value": 8}, None).done
        outputs = k.models()[out]["state"]["outputs"]
        assert [o["output_type"] for o in outputs] == ["stream", "display_data"]
        assert outputs[0]["text"] == "x is 8\n"
        assert outputs[1]["data"]["text/plain"] == "16"


async def test_changes_asked_while_the_kernel_is_busy_merge_into_one_message(
    tmp_path: Path,
) -> None:
    sources = ["import ipywidgets as w, time\ns = w.IntSlider()\ns", "time.sleep(1)",
               "print(s.value)"]  # fmt: skip
    async with kit(tmp_path, sources) as k:
        await k.run("code-0")
        await k.room.until(lambda: len(k.by_name("IntSliderModel")) == 1)
        (slider,) = k.by_name("IntSliderModel")
        await k.runner.run_cells(ANA, ["code-1"])
        sent = k.runner.widgets.sent
        changes = [k.runner.widgets.change(BO, slider, {"value": v}, None) for v in range(1, 21)]
        await asyncio.gather(*(change.done for change in changes))
        assert k.runner.widgets.sent - sent < 20
        assert await k.run("code-2") == "20\n"  # the final value always lands


async def test_a_restart_leaves_every_widget_gone_and_refuses_changes(tmp_path: Path) -> None:
    sources = ["import ipywidgets as w\nb = w.Button(description='go')\nb"]
    async with kit(tmp_path, sources) as k:
        await k.run("code-0")
        await k.room.until(lambda: len(k.by_name("ButtonModel")) == 1)
        (button,) = k.by_name("ButtonModel")
        await k.runner.restart(ANA)
        await k.room.until(lambda: k.models()[button]["gone"] is True)
        with pytest.raises(ValueError, match="gone"):
            k.runner.widgets.change(BO, button, None, {"event": "none"})


def pile_up(k: Kit, models: list[str], custom: dict[str, Any], most: int) -> tuple[list[Any], str]:
    """Ask `custom` of the models in turn, up to `most` times at once: the changes taken,
    and the refusal that ended them ("" if none)."""
    taken = []
    for n in range(most):
        try:
            taken.append(k.runner.widgets.change(BO, models[n % len(models)], None, custom))
        except ValueError as exc:
            return taken, str(exc)
    return taken, ""


async def test_changes_piling_up_while_the_kernel_is_busy_are_bounded(tmp_path: Path) -> None:
    """A flood of widget commands during a long run is refused past a bound for the whole
    room (bytes, and changes of every widget together), not held in the server's memory
    until the run ends; once the kernel took them, changes go again."""
    sources = ["import ipywidgets as w, time\nb, c = w.Button(), w.Button()\nw.HBox([b, c])",
               "time.sleep(1)"]  # fmt: skip
    async with kit(tmp_path, sources) as k:
        await k.run("code-0")
        await k.room.until(lambda: len(k.by_name("ButtonModel")) == 2)
        buttons = k.by_name("ButtonModel")
        await k.runner.run_cells(ANA, ["code-1"])
        big = {"event": "x" * (MAX_CHANGE_BYTES - 100)}
        taken, refusal = pile_up(k, buttons, big, 2 * MAX_PENDING_BYTES // MAX_CHANGE_BYTES)
        assert "not yet taken" in refusal
        assert 0 < len(taken) * (MAX_CHANGE_BYTES - 100) <= MAX_PENDING_BYTES
        await asyncio.gather(*(change.done for change in taken))
        small, refusal = pile_up(k, buttons, {"event": "none"}, MAX_PENDING_CHANGES + 1)
        assert "not yet taken" in refusal
        assert len(small) == MAX_PENDING_CHANGES
        await asyncio.gather(*(change.done for change in small))
        assert k.runner.widgets.change(BO, buttons[0], None, {"event": "none"})  # taken again


async def test_a_room_that_reloads_with_its_kept_kernel_keeps_its_widgets_live(
    tmp_path: Path,
) -> None:
    sources = ["import ipywidgets as w\ns = w.IntSlider()\ns", "print(s.value)"]
    room = DocRoom(notebook_doc(sources), [ANA, BO])
    kernels = KernelSessions(tmp_path)
    first = Runner(room, kernels, "python3", kernel_state=False)
    async with running(first.run()):
        k = Kit(first, room)
        await k.run("code-0")
        await room.until(lambda: len(k.by_name("IntSliderModel")) == 1)
    kept = first.detach()
    assert kept is not None
    (slider,) = k.by_name("IntSliderModel")
    second = Runner(room, kernels, "python3", kernel_state=False, kept=kept)
    try:
        async with running(second.run()):
            k = Kit(second, room)
            await second.widgets.change(BO, slider, {"value": 4}, None).done
            assert await k.run("code-1") == "4\n"
            assert k.models()[slider]["gone"] is False
    finally:
        await second.close()


async def test_an_interrupt_stops_a_widget_callback_that_holds_the_kernel(
    tmp_path: Path,
) -> None:
    sources = ["import ipywidgets as w, time\nb = w.Button()\n"
               "b.on_click(lambda _: time.sleep(3600))\nb", "print('free')"]  # fmt: skip
    async with kit(tmp_path, sources) as k:
        await k.run("code-0")
        await k.room.until(lambda: len(k.by_name("ButtonModel")) == 1)
        (button,) = k.by_name("ButtonModel")
        click = k.runner.widgets.change(BO, button, None, {"event": "click"})
        await k.room.until(lambda: k.runner.widgets.busy)
        assert await k.runner.interrupt(ANA) == {"interrupted": None, "widget": True}
        # Asked before the kernel began the click, it lands once the kernel is busy with it.
        await asyncio.wait_for(click.done, 60)
        assert await k.run("code-1") == "free\n"


async def test_a_widget_value_too_large_to_share_is_left_out_and_the_rest_is_shared(
    tmp_path: Path,
) -> None:
    """The map goes to every peer and into the log: an Image past the limit is shared
    without its bytes (it shows empty), a small one with them, and so on each update."""
    over = MAX_VALUE_BYTES + 1
    sources = [f"import ipywidgets as w\nbig = w.Image(value=bytes({over}))\n"
               "small = w.Image(value=b'PNG')\nw.HBox([big, small])",
               f"big.value = b'ok'\nsmall.value = bytes({over})"]  # fmt: skip
    async with kit(tmp_path, sources) as k:
        await k.run("code-0")
        await k.room.until(lambda: len(k.by_name("ImageModel")) == 2)

        def images() -> list[Any]:
            models = k.models()
            return [models[key]["buffers"] for key in sorted(k.by_name("ImageModel"))]

        assert sorted(map(list, (b.values() for b in images()))) == [[b""], [b"PNG"]]
        await k.run("code-1")
        await k.room.until(lambda: sorted(map(list, (b.values() for b in images()))) == [
            [b""], [b"ok"]])  # fmt: skip


class SlowLogRoom(DocRoom):
    """A room whose log takes a while, as a real one does: an edit is in the document at
    once, its commit is done 20 ms later. Every edit is checked: no cell may show a widget
    whose model is not in the map yet (a page would take it for a closed one)."""

    LOG_SECONDS = 0.02

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.orphans: list[str] = []

    async def apply_server_edit(self, edit: Any, author: Any, *, protected: bool = False) -> int:
        edits = self._checked(edit, author)
        await asyncio.sleep(self.LOG_SECONDS)
        return edits

    def start_server_edit(
        self, edit: Any, author: Any, *, protected: bool = False
    ) -> asyncio.Future[int | None]:
        edits = self._checked(edit, author)
        done: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()

        def logged() -> None:
            if not done.done():  # a waiter cancelled it (the runner closing)
                done.set_result(edits)

        asyncio.get_running_loop().call_later(self.LOG_SECONDS, logged)
        return done

    def _checked(self, edit: Any, author: Any) -> int:
        edits = self._server_edit(edit, author)
        models = self.doc.get(WIDGETS_MAP, type=Map)
        for cell in self.doc.get("cells", type=Array).to_py():
            for output in cell.get("outputs") or []:
                view = (output.get("data") or {}).get(WIDGET_VIEW, {})
                if view and view["model_id"] not in models:
                    self.orphans.append(view["model_id"])
        return edits


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


async def test_a_widget_is_in_the_map_before_the_output_that_shows_it(tmp_path: Path) -> None:
    source = ("import ipywidgets as w\n"
              "w.VBox([w.HBox([w.Button(description='Press me'), w.FloatSlider()]),"
              " w.Dropdown(options=['a', 'b'])])")  # fmt: skip
    room = SlowLogRoom(notebook_doc([source]), [ANA, BO])
    async with real_runner(tmp_path, room) as runner:
        k = Kit(runner, room)
        await k.run("code-0")
        (box,) = k.by_name("VBoxModel")
        assert k.cell("code-0")["outputs"][0]["data"][WIDGET_VIEW]["model_id"] == box
    assert room.orphans == []


class RelayedRoom(SlowLogRoom):
    """A slow log that also keeps what the room's peers have: an edit reaches `relayed`
    once its commit is done (a room relays an edit once it is logged). Each event is kept
    with the widgets map as the peers had it when the event was sent."""

    LOG_SECONDS = 0.5

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.relayed: Doc[Any] = Doc()
        self.relayed.apply_update(self.doc.get_update())
        self.seen: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def start_server_edit(
        self, edit: Any, author: Any, *, protected: bool = False
    ) -> asyncio.Future[int | None]:
        done = super().start_server_edit(edit, author, protected=protected)
        upto = self.doc.get_update()  # the document up to this edit: relayed in order
        done.add_done_callback(lambda _: self.relayed.apply_update(upto))
        return done

    def notify_member(self, member: Member, event: dict[str, Any]) -> None:
        self.seen.append((event, self.relayed.get(WIDGETS_MAP, type=Map).to_py()))
        super().notify_member(member, event)


async def test_the_asker_is_told_only_once_the_peers_have_the_kernels_echo(
    tmp_path: Path,
) -> None:
    """The page of the person who changed a widget shows the map's value for it once told
    the kernel took it: the map must hold the echo by then, or a clicked checkbox snaps
    back. The write loop writes the echo while the kernel still runs the callback (as for
    `interact`), so the relay's own flush finds nothing left to write: it must still wait
    for that write to be logged and relayed."""
    sources = ["import ipywidgets as w, time\ncb = w.Checkbox(value=False)\n"
               "cb.observe(lambda change: time.sleep(0.2), 'value')\ncb"]  # fmt: skip
    room = RelayedRoom(notebook_doc(sources), [ANA, BO])
    async with real_runner(tmp_path, room) as runner:
        k = Kit(runner, room)
        await k.run("code-0")
        (checkbox,) = k.by_name("CheckboxModel")
        await runner.widgets.change(BO, checkbox, {"value": True}, None, "click-1").done
    ((event, peers_had),) = [(e, m) for e, m in room.seen if e.get("echo") == "click-1"]
    assert event["ok"] is True
    assert peers_had[checkbox]["state"]["value"] is True
