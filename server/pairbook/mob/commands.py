"""The mob's commands, one row each: who may send it, its arguments, and its handler (a
function of the room's MobService). The effect is in the `mob` map when the reply goes out."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from pycrdt import Array, Doc, Map

from pairbook.auth import Role
from pairbook.mob.summary import commit_message, review_link
from pairbook.mob.turn import Mode
from pairbook.protocol.update import decode_state_vector
from pairbook.schema import CHAT_KEY, MOB_MAP, ChatRecord
from pairbook.service import Arg, ArgType, Command, CommandTable, Member
from pairbook.types import SERVER_USER

if TYPE_CHECKING:
    from pairbook.mob.service import MobService

CHAT_LIMIT = 2000

SETTINGS_TYPES: dict[str, ArgType] = {
    "turn_seconds": ArgType.NUMBER,
    "auto_handover": ArgType.BOOLEAN,
    "break_every": ArgType.NUMBER,
    "grace_seconds": ArgType.NUMBER,
    "viewer_chat": ArgType.BOOLEAN,
}
VIEWERS_READ = (
    "viewers read the chat but do not post to it; the owner can let them "
    "(Viewers may chat, in the Mob panel's settings)"
)

Body = dict[str, Any]


async def clock(mob: MobService, member: Member, body: Body) -> Body:
    return {"now": mob.clock()}


async def taken(mob: MobService, member: Member, body: Body) -> Body:
    """How much of a Yjs client's edits the room's document holds (its clock): a driver
    whose late edits were refused at a handover works out from it what was not applied."""
    state = decode_state_vector(mob.room.doc.get_state())
    return {"clock": state.get(int(body["client"]), 0)}


async def summary(mob: MobService, member: Member, body: Body) -> Body:
    """The session so far; people's emails (and so the trailers) for the owner only."""
    found = mob.summary()
    subject = str(body.get("subject") or f"Update {mob.room.id}")
    review = review_link(str(mob.room.id), found.since)
    owner = member.role is Role.OWNER
    message = commit_message(found, subject, review, trailers=owner)
    return {**found.to_json(emails=owner), "review": review, "message": message}


async def _changed(mob: MobService, result: Body | None = None) -> Body:
    """After a command changed the rotation: publish it, then reply with where it stands."""
    await mob.publish()
    mob.wakeup.set()  # the deadlines may have moved
    rotation = mob.rotation
    return {**(result or {}), "mode": rotation.mode.value, "driver": rotation.driver,
            "queue": list(rotation.queue)}  # fmt: skip


async def mode(mob: MobService, member: Member, body: Body) -> Body:
    mob.active = True
    first = member.user.id if member.role.can_edit else None
    mob.handovers += mob.rotation.set_mode(Mode(str(body["mode"])), first=first)
    return await _changed(mob)


async def join(mob: MobService, member: Member, body: Body) -> Body:
    mob.active = True
    mob.handovers += mob.rotation.join(member.user.id)
    return await _changed(mob)


async def leave(mob: MobService, member: Member, body: Body) -> Body:
    mob.active = True
    mob.handovers += mob.rotation.leave(member.user.id)
    return await _changed(mob)


async def reorder(mob: MobService, member: Member, body: Body) -> Body:
    mob.active = True
    mob.rotation.reorder(str(u) for u in body["queue"])
    return await _changed(mob)


async def settings(mob: MobService, member: Member, body: Body) -> Body:
    changes = {
        key: body[key] if kind is ArgType.BOOLEAN else float(body[key])
        for key, kind in SETTINGS_TYPES.items()
        if body.get(key) is not None
    }
    if not changes:
        raise ValueError(f"mob-settings needs one of {', '.join(SETTINGS_TYPES)}")
    mob.active = True
    mob.rotation.configure(**changes)
    return await _changed(mob)


def _driver_or_owner(mob: MobService, member: Member, what: str) -> None:
    if member.user.id != mob.rotation.driver and member.role is not Role.OWNER:
        raise PermissionError(f"only the driver (or the owner) can {what}")


async def handover(mob: MobService, member: Member, body: Body) -> Body:
    mob.active = True
    _driver_or_owner(mob, member, "hand the keyboard over")
    mob.handovers += mob.rotation.hand_over()
    return await _changed(mob)


async def take(mob: MobService, member: Member, body: Body) -> Body:
    mob.active = True
    me = member.user.id
    mob.handovers += mob.rotation.request_take(me)
    return await _changed(mob, {"pending": mob.rotation.driver != me})


async def consent(mob: MobService, member: Member, body: Body) -> Body:
    mob.active = True
    mob.handovers += mob.rotation.consent(member.user.id, bool(body.get("accept")))
    return await _changed(mob)


async def snooze(mob: MobService, member: Member, body: Body) -> Body:
    mob.active = True
    _driver_or_owner(mob, member, "end the break reminder")
    mob.rotation.snooze_break()
    return await _changed(mob)


async def reset(mob: MobService, member: Member, body: Body) -> Body:
    mob.active = True
    mob.since = mob.clock()  # turns before it stay in the map (replay) but do not count
    mob.changed.clear()
    return await _changed(mob)


async def chat(mob: MobService, member: Member, body: Body) -> Body:
    # Viewers are read-only unless the owner lets them talk; their messages then say so.
    if not member.role.can_edit and not mob.rotation.settings.viewer_chat:
        raise PermissionError(VIEWERS_READ)
    mob.active = True
    await mob.publish()  # the chat lives in the map
    user = member.user
    message: ChatRecord = {
        "id": uuid.uuid4().hex[:12],
        "user": user.to_record(),
        "text": str(body["text"]).strip(),
        "at": mob.clock(),
        "role": member.role.value,
    }

    def write(doc: Doc[Any]) -> None:
        ymob = doc.get(MOB_MAP, type=Map)
        ychat = ymob.get(CHAT_KEY)
        if not isinstance(ychat, Array):
            ymob[CHAT_KEY] = Array()
            ychat = ymob[CHAT_KEY]
        ychat.append(message)

    await mob.room.apply_server_edit(write, SERVER_USER, protected=True)
    return {"message": message["id"]}


def _chat_text(text: str) -> str | None:
    if not text.strip():
        return "mob-chat needs 'text': the message"
    if len(text) > CHAT_LIMIT:
        return f"a chat message holds at most {CHAT_LIMIT} characters"
    return None


def _mode(value: str) -> str | None:
    return None if value in (m.value for m in Mode) else "mob-mode needs 'mode': 'pair' or 'mob'"


def _owner(what: str) -> str:
    return f"only the owner can {what}"


OWNER = Role.OWNER
SETTINGS = tuple(
    Arg(key, kind, required=False,
        doc="true or false" if kind is ArgType.BOOLEAN else "a number of seconds")
    for key, kind in SETTINGS_TYPES.items()
)  # fmt: skip

TABLE = CommandTable.of(
    "mob",
    [
        Command("mob-clock", clock, recorded=False),
        Command("mob-taken", taken, recorded=False,
                args=(Arg("client", ArgType.INTEGER, doc="a Yjs client id"),)),
        Command("mob-summary", summary, recorded=False,
                args=(Arg("subject", ArgType.STRING, required=False, doc="a commit subject"),)),
        Command("mob-mode", mode, role=OWNER, refusal=_owner("switch between pair and mob mode"),
                args=(Arg("mode", ArgType.STRING, validator=_mode, doc="'pair' or 'mob'"),)),
        Command("mob-join", join),
        Command("mob-leave", leave),
        Command("mob-reorder", reorder, role=OWNER, refusal=_owner("reorder the queue"),
                args=(Arg("queue", ArgType.ARRAY, doc="the user ids in their new order"),)),
        Command("mob-settings", settings, role=OWNER,
                refusal=_owner("change the rotation settings"), args=SETTINGS),
        Command("mob-handover", handover),
        Command("mob-take", take),
        Command("mob-consent", consent,
                args=(Arg("accept", ArgType.BOOLEAN, required=False, doc="true or false"),)),
        Command("mob-chat", chat,
                args=(Arg("text", ArgType.STRING, validator=_chat_text, doc="the message"),)),
        Command("mob-break", snooze),
        Command("mob-reset", reset, role=OWNER, refusal=_owner("start a new session")),
    ],
)  # fmt: skip
