"""Test helper: a TCP relay to a broker that can freeze, as a network link does when it stops
passing data without closing anything (Wi-Fi out of range, a router hung): each end's sends
succeed, and nothing arrives at the other."""

import contextlib
import socket
import threading

CHUNK = 65536  # bytes read at a time


class FreezingRelay:
    """Listens on a free loopback port (`port`) and relays each connection to `target_port`.

    Frozen, it holds what each connection sends instead of passing it on; a connection made
    while frozen is held too, never reaching the broker (a dead link loses the SYN), and is
    cut when the link comes back. Thawed, what connections made before the freeze held goes
    on, as a link that works again delivers what TCP sends again."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._flowing = threading.Event()
        self._flowing.set()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._made_while_frozen: list[socket.socket] = []
        threading.Thread(target=self._accept, name="relay", daemon=True).start()

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        with self._lock:
            cut, self._made_while_frozen = self._made_while_frozen, []
            self._flowing.set()
        for connection in cut:
            _close(connection)

    def close(self) -> None:
        self._listener.close()
        self.thaw()
        with self._lock:
            for connection in self._sockets:
                _close(connection)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            with self._lock:
                self._sockets.append(client)
                if not self._flowing.is_set():
                    self._made_while_frozen.append(client)
                    continue
            try:
                broker = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._sockets.append(broker)
            for source, sink in ((client, broker), (broker, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        """Pass what `source` sends on to `sink`, held while frozen; either end closing (or
        failing) closes both, as the broker and the client each see their peer go."""
        try:
            while chunk := source.recv(CHUNK):
                self._flowing.wait()
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)


def _close(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):  # not connected (any more)
        connection.shutdown(socket.SHUT_RDWR)
    connection.close()
