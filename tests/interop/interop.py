"""The workbook's C++ programs against the seed's Python programs and against nc.

    interop.py cpp-server SERVER_BINARY CLIENT_PY    lesson 02's server, the seed's Python client
    interop.py cpp-client CLIENT_BINARY SERVER_PY    lesson 03's client, the seed's Python server
    interop.py echo-server SERVER_BINARY CLIENT_PY   lesson 06's echo server, the seed's Python
                                                     client, a Python client that half-closes,
                                                     and nc (netcat-openbsd)
    interop.py line-server SERVER_BINARY             lesson 07's line server, with nc as the lesson
                                                     shows it

No fixed port and no sleep: each server is started on port 0 and its first line says which port it
got. Every wait has a deadline (10 s times WORKBOOK_TIME_SCALE). Exit status 0 if the exchange went
as the lessons' contracts say, 1 otherwise, with what happened on stdout.
"""
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading

DEADLINE = 10 * float(os.environ.get("WORKBOOK_TIME_SCALE") or 1)
# The Python programs print what they receive: make that UTF-8 whatever the locale.
ENV = dict(os.environ, PYTHONIOENCODING="utf-8")


class Failed(Exception):
    pass


def step(text):
    print(text, flush=True)


class Running:
    """A program started with its stdout read line by line in the background."""

    def __init__(self, label, argv):
        self.label = label
        step(f"start {label}: {' '.join(argv)}")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
        self.lines = queue.Queue()
        self.out = []
        self.err = []
        self.readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self.out, True)),
                        threading.Thread(target=self._read, args=(self.proc.stderr, self.err, False))]
        for reader in self.readers:
            reader.start()

    def _read(self, stream, kept, is_stdout):
        for raw in stream:
            line = raw.decode("utf-8", "backslashreplace").rstrip("\n")
            kept.append(line)
            step(f"[{self.label}{'' if is_stdout else ' stderr'}] {line}")
            if is_stdout:
                self.lines.put(line)
        if is_stdout:
            self.lines.put(None)

    def first_line(self):
        try:
            line = self.lines.get(timeout=DEADLINE)
        except queue.Empty:
            raise Failed(f"{self.label} printed no line within {DEADLINE:g} s") from None
        if line is None:
            raise Failed(f"{self.label} exited before printing its first line")
        return line

    def wait(self):
        try:
            code = self.proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            raise Failed(f"{self.label} was still running after {DEADLINE:g} s") from None
        for reader in self.readers:
            reader.join(DEADLINE)
        step(f"{self.label} exited with status {code}")
        return code

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def port_of(line, pattern):
    match = re.fullmatch(pattern, line)
    if not match:
        raise Failed(f"the first line {line!r} does not match {pattern!r}")
    return match.group(1)


def run(label, argv):
    client = Running(label, argv)
    try:
        return client.wait()
    finally:
        client.stop()


def expect(condition, what):
    if not condition:
        raise Failed(what)


def cpp_server(server_binary, client_py):
    server = Running("C++ server", [server_binary, "--port", "0"])
    try:
        port = port_of(server.first_line(), r"Waiting for a connection on 127\.0\.0\.1:(\d+)\.\.\.")
        expect(run("Python client", [sys.executable, client_py, port]) == 0,
               "the Python client failed")
        expect(server.wait() == 0, "the C++ server did not exit with status 0")
        expect(len(server.out) == 3, f"the C++ server printed {len(server.out)} lines, not 3")
        expect(re.fullmatch(r"Connection from 127\.0\.0\.1:\d+", server.out[1]),
               f"second line {server.out[1]!r}: expected 'Connection from 127.0.0.1:PORT'")
        expect(server.out[2] == "Message received: Salut le serveur !",
               f"third line {server.out[2]!r}: expected 'Message received: Salut le serveur !'")
    finally:
        server.stop()


def cpp_client(client_binary, server_py):
    message = "Message reçu 👋"
    server = Running("Python server", [sys.executable, server_py, "0"])
    try:
        port = port_of(server.first_line(), r"Server waiting on localhost:(\d+)\.\.\.")
        expect(run("C++ client", [client_binary, "--host", "localhost", "--port", port, message]) == 0,
               "the C++ client did not exit with status 0")
        expect(server.wait() == 0, "the Python server failed")
        expect(f"Message received: {message}" in server.out,
               f"the Python server did not print 'Message received: {message}'")
    finally:
        server.stop()


def echo_server(server_binary, client_py):
    server = Running("C++ echo server", [server_binary, "--port", "0"])
    try:
        port = port_of(server.first_line(), r"Listening on 127\.0\.0\.1:(\d+)")
        # The seed's client sends its message and closes without reading the echo: the server
        # goes on whether it saw an end of file or a reset.
        expect(run("Python client", [sys.executable, client_py, port]) == 0,
               "the seed's Python client failed")
        message = ("Message reçu 👋\n" * 5000).encode()
        step(f"Python: {len(message)} bytes, then shutdown(SHUT_WR), then read to end of file")
        with socket.create_connection(("127.0.0.1", int(port)), timeout=DEADLINE) as s:
            sender = threading.Thread(target=lambda: (s.sendall(message), s.shutdown(socket.SHUT_WR)))
            sender.start()
            back = b""
            while data := s.recv(65536):
                back += data
            sender.join(DEADLINE)
        expect(back == message, f"the Python client got {len(back)} bytes back, not the {len(message)} it sent")
        nc = shutil.which("nc")
        expect(nc is not None, "nc is not installed (sudo apt-get install -y netcat-openbsd)")
        data = bytes(range(256)) * 4096
        step(f"nc -N 127.0.0.1 {port} with {len(data)} bytes on stdin")
        try:
            done = subprocess.run([nc, "-N", "127.0.0.1", port], input=data, capture_output=True,
                                  timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            raise Failed(f"nc was still running after {DEADLINE:g} s") from None
        expect(done.returncode == 0, f"nc exited with status {done.returncode}: {done.stderr!r}")
        expect(done.stdout == data, f"nc got {len(done.stdout)} bytes back, not the {len(data)} it sent")
        expect(server.proc.poll() is None, "the C++ echo server is no longer running")
        closed = [line for line in server.out if line.startswith("Closed ")]
        expect(any(line.endswith(f" after {len(message)} bytes") for line in closed),
               f"no line 'Closed ... after {len(message)} bytes' for the Python client")
        expect(any(line.endswith(f" after {len(data)} bytes") for line in closed),
               f"no line 'Closed ... after {len(data)} bytes' for nc")
    finally:
        server.stop()


def line_server(server_binary):
    server = Running("C++ line server", [server_binary, "--port", "0"])
    try:
        port = port_of(server.first_line(), r"Listening on 127\.0\.0\.1:(\d+)")
        nc = shutil.which("nc")
        expect(nc is not None, "nc is not installed (sudo apt-get install -y netcat-openbsd)")
        lines = b"caf\xe9\nMessage re\xc3\xa7u\r\nabc"  # the lesson's example
        step(f"nc -N 127.0.0.1 {port} with {lines!r} on stdin")
        try:
            done = subprocess.run([nc, "-N", "127.0.0.1", port], input=lines, capture_output=True,
                                  timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            raise Failed(f"nc was still running after {DEADLINE:g} s") from None
        expected = (b"error: can't decode byte 0xe9 in position 3: unexpected end of data\n"
                    b"12 characters, 13 bytes\n3 characters, 3 bytes\n")
        expect(done.stdout == expected, f"nc printed {done.stdout!r}, not {expected!r}")
    finally:
        server.stop()


def main():
    checks = {"cpp-server": cpp_server, "cpp-client": cpp_client, "echo-server": echo_server,
              "line-server": line_server}
    if len(sys.argv) not in (3, 4) or sys.argv[1] not in checks:
        sys.exit(__doc__)
    try:
        checks[sys.argv[1]](*sys.argv[2:])
    except Failed as failure:
        step(f"FAILED: {failure}")
        sys.exit(1)
    step("passed")


if __name__ == "__main__":
    main()
