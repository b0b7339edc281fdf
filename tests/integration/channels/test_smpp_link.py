"""The SMPP link against what no real SMSC sends on purpose: an unknown command, garbage, an
answer that never comes. A few lines of asyncio play the SMSC on 127.0.0.1."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable

import pytest

from channels.smpp import pdu as smpp
from channels.smpp.link import LinkDownError, LinkSettings, SmppLink

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_pdu(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readexactly(4)
    return head + await reader.readexactly(int.from_bytes(head, "big") - 4)


async def accept_bind(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    bind = await read_pdu(reader)
    _, _, _, sequence = smpp.header(bind)
    writer.write(smpp.encode(smpp.response("bind_transceiver_resp", to=sequence, system_id="T")))


async def with_smsc(script: Script, use: Callable[[SmppLink], Awaitable[None]]) -> None:
    served: list[asyncio.Task[None]] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        current = asyncio.current_task()
        assert current is not None
        served.append(current)
        try:
            await accept_bind(reader, writer)
            await script(reader, writer)
            await reader.read()  # until the link closes its end
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    link = SmppLink(
        LinkSettings("127.0.0.1", port, "id", "pw", response_timeout=0.3), on_deliver=None
    )
    try:
        await link.open()
        await use(link)
    finally:
        await link.close()
        await asyncio.gather(*served, return_exceptions=True)
        server.close()
        await server.wait_closed()


def test_unknown_command_is_answered_by_generic_nack() -> None:
    answers: list[bytes] = []

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(struct.pack(">LLLL", 16, 0x00000999, 0, 77))  # no such command
        answers.append(await read_pdu(reader))

    async def use(link: SmppLink) -> None:
        async with asyncio.timeout(2):
            while not answers:
                await asyncio.sleep(0.01)

    asyncio.run(with_smsc(script, use))
    _, command_id, status, sequence = smpp.header(answers[0])
    assert (command_id, status, sequence) == (0x80000000, smpp.ESME_RINVCMDID, 77)


def test_garbage_length_closes_the_link() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(struct.pack(">L", 3) + b"xyz")

    async def use(link: SmppLink) -> None:
        async with asyncio.timeout(2):
            await link.wait_closed()
        with pytest.raises(LinkDownError):
            await link.enquire_link()

    asyncio.run(with_smsc(script, use))


def test_an_answer_that_never_comes_ends_the_link() -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_pdu(reader)  # the enquire_link, never answered

    async def use(link: SmppLink) -> None:
        with pytest.raises(LinkDownError, match="pas de réponse"):
            await link.enquire_link()
        assert link.closed

    asyncio.run(with_smsc(script, use))
