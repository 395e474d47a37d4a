#!/usr/bin/env python3
"""Integration tests of the example servers, run by ctest (POSIX only).

    test_examples.py tcp      <tcp_echo_server> <load_client>
    test_examples.py tcp-unix <tcp_echo_server> <load_client>
    test_examples.py udp      <udp_echo_server>
    test_examples.py udp-unix <udp_echo_server>
    test_examples.py chat     <chat_server> <chat_client>
    test_examples.py chat-descriptors <chat_server>
    test_examples.py tcp-descriptors  <tcp_echo_server>
    test_examples.py doc-descriptors  <docs/poller.md's first example, compiled>
    test_examples.py tcp-client-timeout <tcp_echo_client>
    test_examples.py udp-client-sigint  <udp_echo_client>
    test_examples.py tls-clients <tls_echo_server> <tls_client> <openssl>
    test_examples.py tls-load    <tls_echo_server> <openssl>
    test_examples.py tls-descriptors <tls_echo_server> <openssl>
    test_examples.py discovery <discovery>
    test_examples.py usage    <every example program...>
    test_examples.py systemd  <tcp_echo_server>   (socket activation, through systemd-socket-activate)

Each server is started on port 0 (or a Unix path in a fresh temporary
directory), its "listening on <address>" line read back, checked to run on
one thread (/proc/<pid>/status; libkqueue's own aside in the kqueue build) while it serves, then stopped with
SIGTERM and expected to exit 0. Every wait is bounded; nothing sleeps to
synchronise (the descriptor tests watch the server for a fixed window, to
measure it). Exit status: 0 passed, 1 failed, 77 skipped (ctest
SKIP_RETURN_CODE).
"""

import asyncio
import os
import queue
import random
import re
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

STEP_TIMEOUT = 10.0  # seconds for any single expected event
# Threads a server may run: 1, its own. The kqueue build in CI (libkqueue, a
# userspace kqueue on Linux) sets this variable to 2, the threads libkqueue
# starts and stops as kqueues come and go: there a server runs 1 to 3.
LIBRARY_THREADS = int(os.environ.get("OUTLET_TEST_LIBRARY_THREADS", "0"))
MAX_THREADS = 1 + LIBRARY_THREADS
SKIP = 77


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class LineReader:
    """Collects a pipe's lines on a thread, so they can be awaited with a timeout.
    `seen` keeps every line read so far, awaited or not."""

    def __init__(self, pipe):
        self.lines = queue.Queue()
        self.seen = []
        self.thread = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self.thread.start()

    def _run(self, pipe):
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.seen.append(line)
            self.lines.put(line)
        self.lines.put(None)  # end of output

    def text(self):
        """Every line so far; all of them once the writer has exited."""
        self.thread.join(timeout=STEP_TIMEOUT)
        return "".join(line + "\n" for line in self.seen)

    def next(self, what, timeout=STEP_TIMEOUT):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise Failure(f"{what}: no line within {timeout} s") from None
        check(line is not None, f"{what}: the output ended")
        return line


class Server:
    """An example server process: started, its address read, stopped with SIGTERM."""

    def __init__(self, program, address, max_descriptors=None, options=()):
        self.name = os.path.basename(program)
        limit = None
        if max_descriptors:
            def limit():
                resource.setrlimit(resource.RLIMIT_NOFILE, (max_descriptors, max_descriptors))
        # preexec_fn runs between fork and exec: this process has no other
        # thread yet when a server with a limit is started.
        self.proc = subprocess.Popen([program, *options, address], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     preexec_fn=limit)
        self.out = LineReader(self.proc.stdout)
        self.err = LineReader(self.proc.stderr)
        first = self.out.next(f"{self.name}'s first line")
        match = re.fullmatch(r"listening on (\S+)", first)
        check(match, f"{self.name}'s first line is {first!r}, not 'listening on <address>'")
        self.address = match.group(1)
        self.max_threads = 0
        self.max_fds = 0

    def sample(self):
        """Records the server's thread and descriptor counts; it must be running."""
        check(self.proc.poll() is None, f"{self.name} exited early with {self.proc.returncode}")
        try:
            with open(f"/proc/{self.proc.pid}/status") as status:
                threads = int(re.search(r"^Threads:\s*(\d+)", status.read(), re.M).group(1))
        except FileNotFoundError:
            return  # no /proc (macOS, the BSDs): the thread count is checked on Linux only
        self.max_threads = max(self.max_threads, threads)
        try:
            self.max_fds = max(self.max_fds, len(os.listdir(f"/proc/{self.proc.pid}/fd")))
        except OSError:
            pass  # informational only
        allowed = "1" if MAX_THREADS == 1 else f"at most {MAX_THREADS} (libkqueue's included)"
        check(threads <= MAX_THREADS, f"{self.name} runs {threads} threads, not {allowed}")

    def stop(self, expected=0):
        """SIGTERM, then exit status `expected` within the step timeout."""
        self.sample()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Failure(f"{self.name} still running {STEP_TIMEOUT} s after SIGTERM") from None
        check(code == expected, f"{self.name} exited with {code} after SIGTERM, not {expected}")
        threads = self.max_threads or "not checked (no /proc)"
        print(f"{self.name}: exit status {code} after SIGTERM; threads seen: {threads}; "
              f"most descriptors seen: {self.max_fds}")

    def errors(self):
        """What the server wrote to stderr: all of it once it has exited."""
        if self.proc.poll() is None:
            return "".join(line + "\n" for line in self.err.seen)
        return self.err.text()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        text = self.errors()
        if text:
            print(f"--- {self.name} stderr ---\n{text}", end="")


def raise_descriptor_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        print(f"outlet-test-skipped: needs {needed} descriptors, the hard limit is {hard}")
        sys.exit(SKIP)
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the servers


# --- TCP echo: tcp_echo_server against load_client ----------------------------

def run_load(server, load_client, connections, rounds, size):
    """Runs load_client, sampling the server while it runs; checks its report."""
    cmd = [load_client, server.address, "--connections", str(connections), "--rounds", str(rounds),
           "--size", str(size), "--timeout-s", "60"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while True:
        server.sample()
        try:
            out, err = proc.communicate(timeout=0.02)
            break
        except subprocess.TimeoutExpired:
            if time.monotonic() > deadline:
                proc.kill()
                proc.communicate()
                raise Failure("load_client did not finish within 90 s") from None
    out, err = out.decode(), err.decode()
    check(proc.returncode == 0, f"load_client exited with {proc.returncode}: {err.strip()}")
    print(out.strip())
    pattern = (rf"connections={connections} rounds={rounds} size={size} round_trips=(\d+) "
               rf"seconds=([\d.]+) round_trips_per_second=(\d+) verified_bytes=(\d+)")
    match = re.fullmatch(pattern, out.strip())
    check(match, f"load_client's report does not read as expected: {out!r}")
    check(int(match.group(1)) == connections * rounds, "round_trips != connections * rounds")
    check(int(match.group(4)) == connections * rounds * size, "verified_bytes != round trips * size")


def test_tcp(args, unix):
    server_program, load_client = args
    connections = 500 if unix else 2000
    raise_descriptor_limit(connections + 256)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "echo.sock")
        server = Server(server_program, f"unix:{path}" if unix else "127.0.0.1:0")
        try:
            if unix:
                check(server.address == f"unix:{path}", f"listening on {server.address}, not unix:{path}")
                check(os.path.exists(path), "no socket file while listening")
            else:
                check(re.fullmatch(r"127\.0\.0\.1:\d+", server.address) and not server.address.endswith(":0"),
                      f"listening on {server.address}: not the bound port")
            run_load(server, load_client, connections, 5, 64)
            # Messages bigger than the socket buffers: the server holds pending
            # output and waits to be writable.
            run_load(server, load_client, 20, 3, 1 << 20)
            server.stop()
            check(server.errors() == "", "tcp_echo_server wrote to stderr")
            if unix:
                check(not os.path.exists(path), "the socket file is still there after exit")
        finally:
            server.kill()


# --- UDP echo ------------------------------------------------------------------

def test_udp(args, unix):
    (server_program,) = args
    with tempfile.TemporaryDirectory() as tmp:
        family = socket.AF_UNIX if unix else socket.AF_INET
        server = Server(server_program, f"unix:{tmp}/echo.sock" if unix else "127.0.0.1:0")
        try:
            if unix:
                target = os.path.join(tmp, "echo.sock")
                check(server.address == f"unix:{target}", f"listening on {server.address}")
            else:
                host, port = server.address.rsplit(":", 1)
                target = (host, int(port))
                check(target[1] != 0, "listening on port 0: not the bound port")
            clients = []
            for n in range(2):
                c = socket.socket(family, socket.SOCK_DGRAM)
                c.bind(os.path.join(tmp, f"client{n}.sock") if unix else ("127.0.0.1", 0))
                c.settimeout(2.0)
                clients.append(c)
            sizes = [0, 1, 100, 1400, 9000] if unix else [0, 1, 100, 1400, 9000, 60000]
            for size in sizes:
                for n, c in enumerate(clients):
                    payload = os.urandom(size)
                    echo_datagram(c, target, payload, f"client {n}, {size} bytes")
                server.sample()
            if unix:
                # A sender that bound no name sends from the unnamed address
                # ("unix:"): the server says it cannot reply, and serves on.
                unnamed = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                unnamed.sendto(b"x", target)
                unnamed.close()
                line = server.err.next("udp_echo_server's report of a sender with no address")
                want = "udp_echo_server: a datagram from a sender with no address: cannot reply"
                check(line == want, f"a datagram from an unnamed sender: udp_echo_server said {line!r}, not {want!r}")
                echo_datagram(clients[0], target, b"after", "client 0, after the unnamed sender")
            server.stop()
            check(server.errors() == (want + "\n" if unix else ""),
                  f"udp_echo_server wrote to stderr: {server.errors()!r}")
            for c in clients:
                c.close()
        finally:
            server.kill()


def echo_datagram(sock, target, payload, what):
    # Datagrams may be lost even on loopback (a full buffer): a few tries.
    for _ in range(3):
        sock.sendto(payload, target)
        try:
            reply, sender = sock.recvfrom(65536)
        except socket.timeout:
            continue
        check(sender == target, f"{what}: reply from {sender!r}, not the server {target!r}")
        check(reply == payload, f"{what}: the reply differs ({len(reply)} bytes)")
        return
    raise Failure(f"{what}: no reply after 3 tries")


# --- chat ----------------------------------------------------------------------

class Peer:
    """A chat client made of a plain socket."""

    def __init__(self, address, nick, receive_buffer=None):
        host, port = address.rsplit(":", 1)
        self.nick = nick
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(STEP_TIMEOUT)
        self.sock.connect((host, int(port)))
        self.buffer = b""
        self.say(nick)

    def say(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def next(self, what=""):
        while b"\n" not in self.buffer:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise Failure(f"{self.nick}: no line within {STEP_TIMEOUT} s ({what})") from None
            check(data, f"{self.nick}: the server closed the connection ({what})")
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()


class ChatClientProcess:
    """chat_client itself, fed through stdin, read through stdout."""

    def __init__(self, program, address, nick):
        self.nick = nick
        self.proc = subprocess.Popen([program, address, nick], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.out = LineReader(self.proc.stdout)

    def say(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def next(self, what=""):
        return self.out.next(f"{self.nick} (chat_client) ({what})")


def expect(peers, line):
    """Each peer's next line must be `line`."""
    for p in peers:
        got = p.next(line)
        check(got == line, f"{p.nick} got {got!r}, expected {line!r}")


def test_chat(args):
    server_program, client_program = args
    server = Server(server_program, "127.0.0.1:0")
    carol = None
    try:
        # Joining: a welcome for the newcomer, a notice for everyone already in.
        alice = Peer(server.address, "alice")
        expect([alice], "* welcome, alice")
        bob = Peer(server.address, "bob")
        expect([bob], "* welcome, bob")
        expect([alice], "* bob joined")
        carol = ChatClientProcess(client_program, server.address, "carol")
        expect([carol], "* welcome, carol")
        expect([alice, bob], "* carol joined")
        dave = Peer(server.address, "dave")
        expect([dave], "* welcome, dave")
        expect([alice, bob, carol], "* dave joined")
        server.sample()

        # A line goes to every other client, never back to its sender: the
        # sender's next line is the next one someone else says.
        alice.say("hello from alice")
        expect([bob, carol, dave], "alice: hello from alice")
        bob.say("hi from bob")
        expect([alice, carol, dave], "bob: hi from bob")
        carol.say("hey from carol")
        expect([alice, bob, dave], "carol: hey from carol")
        dave.say("yo from dave")
        expect([alice, bob, carol], "dave: yo from dave")
        server.sample()

        # A client that never reads: its output buffer fills and the server
        # hangs up on it, while the others keep getting every line.
        silent = Peer(server.address, "silent", receive_buffer=4096)
        expect([alice, bob, carol, dave], "* silent joined")
        flood(alice, [bob, carol, dave], server)
        expect([alice], "* silent left")
        alice.say("after the flood")
        expect([bob, carol, dave], "alice: after the flood")
        check(closed_by_server(silent.sock), "the silent client was not disconnected")
        line = server.err.next("chat_server's reason for dropping silent")
        check(line == "chat_server: silent is not reading: disconnected", f"chat_server said {line!r}")

        # The line limit: 4096 bytes (without the line end) are relayed; a
        # longer line is answered with the reason, and the connection closed.
        for size, ending in ((4096, "\n"), (4096, "\r\n"), (4097, "\n"), (9000, "\n")):
            eve = Peer(server.address, "eve")
            expect([eve], "* welcome, eve")
            expect([alice, bob, carol, dave], "* eve joined")
            line = "".join(chr(ord("a") + i % 26) for i in range(size))
            eve.sock.sendall((line + ending).encode())
            if size <= 4096:
                expect([alice, bob, carol, dave], f"eve: {line}")
                eve.sock.close()
            else:
                expect([eve], "* line too long (limit 4096 bytes)")
                check(closed_by_server(eve.sock), f"the client that sent {size} bytes was not disconnected")
            expect([alice, bob, carol, dave], "* eve left")
            eve.sock.close()
        server.sample()

        # Leaving: a closed connection, and chat_client at the end of its stdin.
        dave.sock.close()
        expect([alice, bob, carol], "* dave left")
        carol.proc.stdin.close()
        try:
            code = carol.proc.wait(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Failure("chat_client did not exit after its stdin ended") from None
        check(code == 0, f"chat_client exited with {code}")
        expect([alice, bob], "* carol left")
        bob.say("bye")
        expect([alice], "bob: bye")
        server.stop()
    finally:
        if carol and carol.proc.poll() is None:
            carol.proc.kill()
            carol.proc.wait()
        server.kill()


def flood(talker, readers, server):
    """`talker` sends numbered 1000-byte lines, in batches the readers drain,
    until every reader has seen "* silent left"; checks order and content."""
    pad = "x" * 980
    sent = 0
    left_seen = set()
    while len(left_seen) < len(readers):
        check(sent < 20000, "20000 lines sent and the silent client is still connected")
        batch = range(sent, sent + 32)
        talker.sock.sendall(b"".join(f"line {i:06d} {pad}\n".encode() for i in batch))
        for r in readers:
            for i in batch:
                got = r.next(f"line {i}")
                if got == "* silent left" and r.nick not in left_seen:
                    left_seen.add(r.nick)
                    got = r.next(f"line {i}")
                want = f"alice: line {i:06d} {pad}"
                check(got == want, f"{r.nick}: got {got[:40]!r}..., expected {want[:40]!r}...")
        sent += 32
        server.sample()
    print(f"chat: the silent client was dropped after {sent} lines of {len(pad) + 20} bytes")


def closed_by_server(sock):
    """True once the socket reads end of stream (or a reset) within the timeout."""
    sock.settimeout(STEP_TIMEOUT)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    except socket.timeout:
        return False
    return True


# --- out of descriptors: chat_server, tcp_echo_server, docs/poller.md ---------------

SERVER_DESCRIPTORS = 48  # RLIMIT_NOFILE for the server
HELD_CLIENTS = 80        # more connections than the server can take
WINDOW = 3.0             # seconds the server is watched while it cannot accept


def cpu_seconds(pid):
    """User + system CPU time of a running process, from /proc; None without /proc."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None
    # Fields 14 and 15 of stat(5) (utime, stime), counted after the ")" of field 2.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_descriptors(args, chat, sketch=False, tls=False):
    """Runs the server with few descriptors and more clients than it can hold:
    it must say so in a few lines, not spin, and serve again once they leave.
    A sketch (docs/poller.md's example) has no SIGTERM handler. tls: the
    server is tls_echo_server (args: it and the openssl command), and the
    late client speaks TLS."""
    if tls:
        with tempfile.TemporaryDirectory() as tmp:
            return descriptors(args[0], chat, sketch, make_certificates(args[1], tmp))
    (server_program,) = args
    return descriptors(server_program, chat, sketch, None)


def descriptors(server_program, chat, sketch, certificates):
    raise_descriptor_limit(HELD_CLIENTS + 64)  # for the clients, in this process
    # The held clients never start a handshake: the server must not drop
    # them on its handshake timeout while the test counts on them.
    options = ("--cert", certificates[1], "--key", certificates[2], "--handshake-timeout", "3600") if certificates else ()
    server = Server(server_program, "127.0.0.1:0", max_descriptors=SERVER_DESCRIPTORS, options=options)
    held = []
    try:
        host, port = server.address.rsplit(":", 1)
        for _ in range(HELD_CLIENTS):  # connected by the kernel, in the listen queue if not accepted
            held.append(socket.create_connection((host, int(port)), timeout=STEP_TIMEOUT))
        first = server.err.next(f"{server.name}'s report that accept failed")
        check(re.fullmatch(rf"({server.name}: )?accept: .*[Tt]oo many open files.*", first),
              f"{server.name}'s first complaint is {first!r}, not about running out of descriptors")

        lines_before, cpu_before = len(server.err.seen), cpu_seconds(server.proc.pid)
        time.sleep(WINDOW)  # an observation window, not a synchronisation
        lines, cpu_after = len(server.err.seen) - lines_before, cpu_seconds(server.proc.pid)
        server.sample()
        cpu = None if cpu_before is None else cpu_after - cpu_before
        print(f"{server.name}: out of descriptors for {WINDOW} s: {lines} more lines on stderr, "
              f"CPU {'not measured (no /proc)' if cpu is None else f'{cpu:.2f} s'}")
        check(lines <= WINDOW + 2, f"{server.name} wrote {lines} lines in {WINDOW} s while out of descriptors")
        if cpu is not None:
            check(cpu <= WINDOW / 5, f"{server.name} used {cpu:.2f} s of CPU in {WINDOW} s while out of descriptors")

        for c in held:
            c.close()
        held = []
        if chat:
            late = Peer(server.address, "late")
            expect([late], "* welcome, late")
            late.sock.close()
        else:
            late = socket.create_connection((host, int(port)), timeout=STEP_TIMEOUT)
            if certificates:  # verified against the test CA, within the socket's timeout
                late = ssl.create_default_context(cafile=certificates[0]).wrap_socket(late, server_hostname="localhost")
            with late:
                late.sendall(b"ping")
                reply = b""
                while len(reply) < 4:
                    data = late.recv(4 - len(reply))
                    check(data, f"{server.name} closed the connection of a client after the others left")
                    reply += data
                check(reply == b"ping", f"{server.name} echoed {reply!r}, not b'ping'")
        server.stop(expected=-signal.SIGTERM if sketch else 0)
    finally:
        for c in held:
            c.close()
        server.kill()


# --- the clients -----------------------------------------------------------------

def test_tcp_client_timeout(args):
    """tcp_echo_client against a server that accepts and never answers."""
    (client_program,) = args
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(STEP_TIMEOUT)
        port = listener.getsockname()[1]
        client = subprocess.Popen([client_program, f"127.0.0.1:{port}", "hello"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            peer, _ = listener.accept()
            with peer:
                started = time.monotonic()
                out, err = client.communicate(timeout=STEP_TIMEOUT)
                waited = time.monotonic() - started
                check(peer.recv(100) == b"hello\n", "tcp_echo_client did not send its line")
        except (subprocess.TimeoutExpired, socket.timeout):
            raise Failure(f"tcp_echo_client still running after {STEP_TIMEOUT} s against a silent server") from None
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
    err = err.decode()
    print(f"tcp_echo_client gave up after {waited:.1f} s: {err.strip()}")
    check(client.returncode == 1, f"tcp_echo_client exited with {client.returncode}, not 1")
    check(err == "tcp_echo_client: no reply within 2 s\n", f"tcp_echo_client said {err!r}")
    check(out == b"", f"tcp_echo_client printed {out!r}")


def test_udp_client_sigint(args):
    """udp_echo_client on a Unix path, stopped with SIGINT: nothing left in the temp directory."""
    (client_program,) = args
    if not sys.platform.startswith("linux"):
        print("outlet-test-skipped: no abstract Unix names here (Linux only); "
              "a client killed here leaves its socket file")
        sys.exit(SKIP)
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as client_tmp:
        path = os.path.join(tmp, "echo.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
            server.bind(path)
            server.settimeout(STEP_TIMEOUT)
            client = subprocess.Popen([client_program, f"unix:{path}"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, env=dict(os.environ, TMPDIR=client_tmp))
            try:
                out = LineReader(client.stdout)
                client.stdin.write(b"hello\n")
                client.stdin.flush()
                try:
                    data, sender = server.recvfrom(65536)
                except socket.timeout:
                    raise Failure(f"no datagram from udp_echo_client within {STEP_TIMEOUT} s") from None
                check(data == b"hello", f"udp_echo_client sent {data!r}")
                check(sender, "udp_echo_client sent from the unnamed address: no reply possible")
                server.sendto(data, sender)
                line = out.next("udp_echo_client's reply")
                check(line == "hello", f"udp_echo_client printed {line!r}")
                # Now it waits for stdin's next line, with its socket bound.
                client.send_signal(signal.SIGINT)
                try:
                    code = client.wait(timeout=STEP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    raise Failure(f"udp_echo_client still running {STEP_TIMEOUT} s after SIGINT") from None
            finally:
                if client.poll() is None:
                    client.kill()
                    client.wait()
        left = os.listdir(client_tmp)
        print(f"udp_echo_client: bound to {sender!r}; exit status {code} after SIGINT; "
              f"left in its temp directory: {left}")
        check(left == [], f"udp_echo_client left {left} in its temp directory after SIGINT")


# --- TLS: tls_echo_server and tls_client ------------------------------------------

def make_certificates(openssl, directory):
    """A test CA and a server certificate for localhost and 127.0.0.1 that it
    signed, made with the openssl command (P-256 keys: quick to make and to use).
    Returns the paths of the CA certificate, the server's chain and its key."""
    def path(name):
        return os.path.join(directory, name)

    def run(*command):
        done = subprocess.run([openssl, *command], capture_output=True, timeout=60)
        check(done.returncode == 0, f"openssl {' '.join(command)}: {done.stderr.decode().strip()}")

    with open(path("ca.cnf"), "w") as f:
        f.write("[req]\ndistinguished_name=dn\nx509_extensions=v3\n[dn]\n[v3]\n"
                "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                "subjectKeyIdentifier=hash\n")
    with open(path("server.ext"), "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path("ca.key"),
        "-out", path("ca.pem"), "-subj", "/CN=outlet examples test CA", "-days", "2", "-config", path("ca.cnf"))
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path("server.key"),
        "-out", path("server.csr"), "-subj", "/CN=localhost", "-config", path("ca.cnf"))
    run("x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-set_serial",
        "2", "-out", path("server.pem"), "-days", "2", "-extfile", path("server.ext"))
    return path("ca.pem"), path("server.pem"), path("server.key")


def start_tls_server(program, openssl, directory, options=()):
    ca, chain, key = make_certificates(openssl, directory)
    server = Server(program, "127.0.0.1:0", options=("--cert", chain, "--key", key, *options))
    check(re.fullmatch(r"127\.0\.0\.1:\d+", server.address) and not server.address.endswith(":0"),
          f"listening on {server.address}: not the bound port")
    return server, ca


def run_client(command, stdin=b""):
    try:
        done = subprocess.run(command, input=stdin, capture_output=True, timeout=STEP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure(f"{' '.join(command)} still running after {STEP_TIMEOUT} s") from None
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def expect_handshake_failure(server, what):
    """The server's one stderr line for a client whose handshake failed."""
    line = server.err.next(f"tls_echo_server's line about {what}")
    check(re.fullmatch(r"tls_echo_server: handshake with 127\.0\.0\.1:\d+ failed: .+", line),
          f"tls_echo_server's line about {what} is {line!r}")
    print(f"{what}: {line}")


def test_tls_clients(args):
    """tls_client against tls_echo_server: with --ca it verifies and echoes;
    without it the test CA is unknown and it fails; a client that sends no
    ClientHello but garbage is dropped with one stderr line; one that sends
    nothing is dropped when the handshake timeout passes; and the server goes
    on serving."""
    server_program, client_program, openssl = args
    for bad in ("0", "3601", "-1", "1.5", "", "x"):
        code, out, err = run_client([server_program, "--cert", "c", "--key", "k", "--handshake-timeout", bad])
        check(code == 2 and f'--handshake-timeout "{bad}"' in err and "usage:" in err,
              f"tls_echo_server --handshake-timeout {bad!r}: exit {code}, {err!r}")
    with tempfile.TemporaryDirectory() as tmp:
        server, ca = start_tls_server(server_program, openssl, tmp, options=("--handshake-timeout", "1"))
        target = server.address
        try:
            code, out, err = run_client([client_program, target, "--ca", ca, "hello", "world"])
            check(code == 0, f"tls_client --ca exited with {code}: {err.strip()}")
            check(out == "hello\nworld\n", f"tls_client --ca printed {out!r}")
            check(re.fullmatch(r"connected to CN=localhost \(TLSv1\.[23]\)\n", err),
                  f"tls_client --ca said {err!r}, not the subject and the protocol")
            print(f"tls_client --ca: {err.strip()}; echoed {out!r}")

            code, out, err = run_client([client_program, f"localhost:{target.rsplit(':', 1)[1]}", "--ca", ca],
                                        stdin=b"one line\nanother\n")
            check(code == 0 and out == "one line\nanother\n", f"tls_client (stdin): {code}, {out!r}, {err!r}")
            server.sample()

            code, out, err = run_client([client_program, target, "hello"])
            check(code == 1, f"tls_client without --ca exited with {code}, not 1 ({err.strip()})")
            check(out == "" and "certificate verify failed" in err and target in err,
                  f"tls_client without --ca: stdout {out!r}, stderr {err!r}")
            print(f"tls_client without --ca: exit 1, {err.strip()}")
            expect_handshake_failure(server, "tls_client without --ca")

            # Not a ClientHello: plain text, and a handshake record whose message is junk.
            host, port = target.rsplit(":", 1)
            garbage = {"an HTTP request": b"GET / HTTP/1.0\r\n\r\n",
                       "a malformed handshake record": b"\x16\x03\x01\x00\x08" + b"\xff" * 8 + bytes(range(256))}
            for what, junk in garbage.items():
                with socket.create_connection((host, int(port)), timeout=STEP_TIMEOUT) as raw:
                    raw.sendall(junk)
                    received = b""
                    try:
                        while chunk := raw.recv(4096):  # perhaps an alert, then the end
                            received += chunk
                    except ConnectionResetError:
                        pass
                    except socket.timeout:
                        raise Failure(f"a client sending {what} still connected after {STEP_TIMEOUT} s") from None
                expect_handshake_failure(server, f"a client sending {what} (got {len(received)} bytes back)")

            # Says nothing at all: dropped after the 1 s handshake timeout,
            # not before it, while a client that completes its handshake in
            # the meantime is served.
            with socket.create_connection((host, int(port)), timeout=STEP_TIMEOUT) as silent:
                started = time.monotonic()
                code, out, err = run_client([client_program, target, "--ca", ca, "meanwhile"])
                check(code == 0 and out == "meanwhile\n", f"tls_client beside a silent client: {code}, {out!r}")
                try:
                    left = silent.recv(1)
                except ConnectionResetError:
                    left = b""
                except socket.timeout:
                    raise Failure(f"a silent client still connected after {STEP_TIMEOUT} s") from None
                waited = time.monotonic() - started
            check(left == b"", f"a silent client received {left!r}")
            check(0.9 <= waited, f"a silent client was dropped after {waited:.2f} s, before the 1 s timeout")
            line = server.err.next("tls_echo_server's line about the silent client")
            check(re.fullmatch(r"tls_echo_server: handshake with 127\.0\.0\.1:\d+ timed out after 1 s", line),
                  f"tls_echo_server's line about the silent client is {line!r}")
            print(f"a silent client: dropped after {waited:.2f} s; {line}")

            code, out, err = run_client([client_program, target, "--ca", ca, "still", "serving"])
            check(code == 0 and out == "still\nserving\n", f"tls_client after the garbage: {code}, {out!r}, {err!r}")
            server.stop()
            lines = server.errors().splitlines()
            check(len(lines) == 4, f"tls_echo_server wrote {len(lines)} stderr lines, not 4: {lines}")
        finally:
            server.kill()


async def tls_load(server, ca, connections, size):
    """`connections` TLS clients at once, each sending `size` bytes of its own
    pattern and checking every byte that comes back. Returns the bytes checked."""
    context = ssl.create_default_context(cafile=ca)  # verifies the chain and the name
    host, port = server.address.rsplit(":", 1)
    connected = 0
    all_connected = asyncio.Event()

    async def one(index):
        try:
            return await exchange(index)
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError) as e:
            raise Failure(f"client {index} of {connections}: {e!r}") from None

    async def exchange(index):
        nonlocal connected
        reader, writer = await asyncio.open_connection(host, int(port), ssl=context, server_hostname="localhost")
        connected += 1
        if connected == connections:
            all_connected.set()
        await all_connected.wait()  # every connection open and its handshake done at once
        payload = random.Random(index).randbytes(size)
        for start in range(0, size, 1000):  # several writes, so several records
            writer.write(payload[start:start + 1000])
        await writer.drain()
        echoed = await reader.readexactly(size)
        if echoed != payload:
            first = next(i for i in range(size) if echoed[i] != payload[i])
            raise Failure(f"client {index}: the echo differs from what it sent, first at byte {first}")
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), STEP_TIMEOUT)
        except (OSError, ssl.SSLError, asyncio.TimeoutError):
            pass  # closing is not what is tested here
        return size

    async def watch():
        while True:
            server.sample()
            await asyncio.sleep(0.02)  # a sampling interval, not a synchronisation

    watcher = asyncio.ensure_future(watch())
    try:
        results = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(connections))), 120)
    except asyncio.TimeoutError:
        raise Failure(f"{connections} TLS clients not done within 120 s ({connected} connected)") from None
    finally:
        if watcher.done():
            watcher.result()  # raises what sample() found (more than one thread, an early exit)
        watcher.cancel()
    return sum(results)


def test_tls_load(args):
    """1000 concurrent TLS clients against tls_echo_server, which runs one thread."""
    server_program, openssl = args
    connections, size = 1000, 4096
    raise_descriptor_limit(connections + 256)
    with tempfile.TemporaryDirectory() as tmp:
        # 1000 handshakes at once on a shared machine may take longer than
        # the default 10 s handshake timeout; this test is not about that.
        server, ca = start_tls_server(server_program, openssl, tmp, options=("--handshake-timeout", "600"))
        try:
            started = time.monotonic()
            checked = asyncio.run(tls_load(server, ca, connections, size))
            seconds = time.monotonic() - started
            print(f"connections={connections} size={size} verified_bytes={checked} seconds={seconds:.2f}")
            check(checked == connections * size, f"verified_bytes {checked} != {connections} * {size}")
            server.stop()
            check(server.errors() == "", "tls_echo_server wrote to stderr")
        finally:
            server.kill()


# --- socket activation: systemd-socket-activate starts tcp_echo_server --systemd --

def free_port():
    """A port nothing listens on just now: systemd-socket-activate takes no
    port 0. Another process may take it before we do: the caller retries."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_activated(activate, server_program, name):
    """systemd-socket-activate listening on a free 127.0.0.1 port, to exec
    `server_program --systemd=name` when the first client comes; returns
    (process, its stderr reader, port). A few ports are tried, should
    another process take one between probing and binding."""
    for _ in range(5):
        port = free_port()
        proc = subprocess.Popen([activate, "-l", f"127.0.0.1:{port}", "--fdname=echo", server_program,
                                 f"--systemd={name}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        err = LineReader(proc.stderr)
        line = err.next("systemd-socket-activate's first line")
        if line == f"Listening on 127.0.0.1:{port} as 3.":
            return proc, err, port
        proc.kill()
        proc.wait()
        check("Address already in use" in err.text(), f"systemd-socket-activate said {line!r}")
    raise Failure("systemd-socket-activate found no free port in 5 tries")


def test_systemd(args):
    """tcp_echo_server --systemd=echo started by systemd-socket-activate
    (Debian's systemd package) on the first connection: it serves the
    socket it was passed, named by --fdname, and exits 0 on SIGTERM. With a
    name nobody passed, or without systemd, it fails with a clear error."""
    (server_program,) = args
    activate = shutil.which("systemd-socket-activate")
    if activate is None:
        print("outlet-test-skipped: no systemd-socket-activate here (Debian: apt-get install systemd)")
        sys.exit(SKIP)
    alone = subprocess.run([server_program, "--systemd"], capture_output=True, timeout=STEP_TIMEOUT,
                           env={k: v for k, v in os.environ.items() if not k.startswith("LISTEN_")})
    check(alone.returncode == 1 and b"systemd passed no listening socket" in alone.stderr,
          f"tcp_echo_server --systemd without systemd: exit status {alone.returncode}, stderr {alone.stderr!r}")

    proc, err, port = start_activated(activate, server_program, "echo")
    out = LineReader(proc.stdout)
    try:
        clients = [socket.create_connection(("127.0.0.1", port), timeout=STEP_TIMEOUT)]  # starts the server
        first = out.next("tcp_echo_server's first line")
        check(first == f"listening on 127.0.0.1:{port}", f"tcp_echo_server's first line is {first!r}")
        clients += [socket.create_connection(("127.0.0.1", port), timeout=STEP_TIMEOUT) for _ in range(9)]
        for index, client in enumerate(clients):
            payload = f"activated {index}".encode()
            client.sendall(payload)
            received = b""
            while len(received) < len(payload):
                chunk = client.recv(len(payload) - len(received))
                check(chunk, f"client {index}: the connection closed early")
                received += chunk
            check(received == payload, f"client {index} got {received!r} back, not {payload!r}")
            client.close()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=STEP_TIMEOUT)
        check(code == 0, f"tcp_echo_server exited with {code} after SIGTERM, not 0")
        # What systemd-socket-activate says before it execs the server, and nothing from the server.
        lines = [line for line in err.text().splitlines()
                 if not line.startswith(("Listening on ", "Communication attempt on fd", "Execing "))]
        check(lines == [], f"tcp_echo_server wrote to stderr: {lines!r}")
        print(f"tcp_echo_server --systemd=echo: served 10 clients on 127.0.0.1:{port}, exit status 0")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    proc, err, port = start_activated(activate, server_program, "other")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=STEP_TIMEOUT):
            code = proc.wait(timeout=STEP_TIMEOUT)
        text = err.text()
        check(code == 1 and 'take_server_socket "other": no socket of that name was passed (names: "echo")' in text,
              f"--systemd=other: exit status {code}, stderr {text!r}")
        print("tcp_echo_server --systemd=other: " + text.splitlines()[-1])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- discovery: multicast in a network namespace of the test's own -------------------

def enter_new_network_namespace():
    """unshare(CLONE_NEWNET) for this process (single-threaded still), then
    bring its loopback up with IFF_MULTICAST. Returns None, or why not."""
    if not sys.platform.startswith("linux"):
        return "Linux network namespaces only"
    import ctypes
    import shutil
    if shutil.which("ip") is None:
        return "no `ip` command here (Debian: apt-get install iproute2)"
    libc = ctypes.CDLL(None, use_errno=True)
    clone_newnet = 0x40000000
    if libc.unshare(clone_newnet) != 0:
        return f"unshare(CLONE_NEWNET) is not permitted here: {os.strerror(ctypes.get_errno())}"
    for command in (["ip", "link", "set", "lo", "up"], ["ip", "link", "set", "lo", "multicast", "on"]):
        done = subprocess.run(command, capture_output=True, timeout=STEP_TIMEOUT)
        if done.returncode != 0:
            return f"`{' '.join(command)}` failed: {done.stderr.decode().strip()}"
    return None


def run_briefly(command):
    """Runs a command that must finish at once: (exit status, stdout, stderr)."""
    try:
        done = subprocess.run(command, capture_output=True, timeout=STEP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure(f"{command} still running after {STEP_TIMEOUT} s") from None
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def test_discovery(args):
    """Two announcers and a listener on the namespace's loopback; bad input."""
    (program,) = args
    # Bad input first: it needs no network.
    for command, status, needle in (
            ([program], 2, "usage: discovery"),
            ([program, "announce"], 2, "usage: discovery"),
            ([program, "listen", "--count"], 2, "--count needs a value"),
            ([program, "listen", "--count", "zero"], 2, 'not "zero"'),
            ([program, "listen", "--group", "10.0.0.1:4242"], 2, '"10.0.0.1:4242" is not a multicast address'),
            ([program, "listen", "--group", "nonsense"], 2, '"nonsense"'),
            ([program, "listen", "--interface", "no-such-if0"], 2, 'interface_index "no-such-if0"')):
        code, out, err = run_briefly(command)
        check(code == status and needle in err and out == "",
              f"{command[1:]}: exit status {code} (want {status}), stdout {out!r}, stderr {err!r} (want {needle!r})")
    reason = enter_new_network_namespace()
    if reason is not None:
        print(f"outlet-test-skipped: {reason}")
        sys.exit(SKIP)
    listener = subprocess.Popen([program, "listen", "--group", "239.255.42.99:0", "--interface", "lo",
                                 "--count", "2", "--timeout", "10"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    announcers = []
    try:
        out = LineReader(listener.stdout)
        first = out.next("discovery listen's first line")
        match = re.fullmatch(r"listening on 239\.255\.42\.99:(\d+)", first)
        check(match and match.group(1) != "0", f"discovery listen printed {first!r}")
        group = f"239.255.42.99:{match.group(1)}"
        for name in ("alpha", "beta"):
            announcers.append(subprocess.Popen(
                [program, "announce", name, "--group", group, "--interface", "lo", "--interval", "50",
                 "--count", "40"], stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        try:
            code = listener.wait(timeout=STEP_TIMEOUT + 5)
        except subprocess.TimeoutExpired:
            raise Failure("discovery listen still running after it should have heard both announcers") from None
        out.text()  # waits for the end of its output
        lines = out.seen[1:]
        print("discovery listen: " + "; ".join(out.seen))
        check(code == 0, f"discovery listen exited with {code}: {listener.stderr.read().decode()!r}")
        # (The sender's address is the one Linux picks for lo: 0.0.0.0, as lo's are host-scoped.)
        pattern = r"seen (\w+) at [0-9.]+:\d+"
        seen = sorted(re.fullmatch(pattern, line).group(1) for line in lines if re.fullmatch(pattern, line))
        check(seen == ["alpha", "beta"] and len(lines) == 2, f"discovery listen printed {lines!r}")
        for a in announcers:
            a_out, a_err = a.communicate(timeout=STEP_TIMEOUT)
            check(a.returncode == 0 and a_out.decode().startswith("announcing ") and a_err == b"",
                  f"discovery announce: exit status {a.returncode}, {a_out!r}, {a_err!r}")
    finally:
        for p in [listener] + announcers:
            if p.poll() is None:
                p.kill()
                p.wait()
    # Nobody announcing: --timeout ends the listener, which reports the shortfall.
    code, out, err = run_briefly([program, "listen", "--group", group, "--interface", "lo", "--count", "1",
                                  "--timeout", "1"])
    check(code == 1 and "heard 0 of 1 announcers within 1 s" in err, f"silent group: {code}, {out!r}, {err!r}")


def test_usage(programs):
    """--help and -h print the usage on stdout and exit 0; the servers' usage
    mentions unix: (a name the kernel picks)."""
    for program in programs:
        name = os.path.basename(program)
        for flag in ("--help", "-h"):
            try:
                done = subprocess.run([program, flag], capture_output=True, timeout=STEP_TIMEOUT)
            except subprocess.TimeoutExpired:
                raise Failure(f"{name} {flag} still running after {STEP_TIMEOUT} s") from None
            out, err = done.stdout.decode(), done.stderr.decode()
            check(done.returncode == 0 and out.startswith(f"usage: {name}") and err == "",
                  f"{name} {flag}: exit status {done.returncode}, stdout {out!r}, stderr {err!r}")
        if name.endswith("_server"):
            check("unix: for an abstract name the kernel picks" in out, f"{name}'s usage does not mention unix:")
        print(f"{name}: {out.splitlines()[0]}")


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    mode, args = sys.argv[1], sys.argv[2:]
    tests = {
        "tcp": lambda: test_tcp(args, unix=False),
        "tcp-unix": lambda: test_tcp(args, unix=True),
        "udp": lambda: test_udp(args, unix=False),
        "udp-unix": lambda: test_udp(args, unix=True),
        "chat": lambda: test_chat(args),
        "chat-descriptors": lambda: test_descriptors(args, chat=True),
        "tcp-descriptors": lambda: test_descriptors(args, chat=False),
        "tls-descriptors": lambda: test_descriptors(args, chat=False, tls=True),
        "doc-descriptors": lambda: test_descriptors(args, chat=False, sketch=True),
        "tcp-client-timeout": lambda: test_tcp_client_timeout(args),
        "udp-client-sigint": lambda: test_udp_client_sigint(args),
        "tls-clients": lambda: test_tls_clients(args),
        "tls-load": lambda: test_tls_load(args),
        "discovery": lambda: test_discovery(args),
        "usage": lambda: test_usage(args),
        "systemd": lambda: test_systemd(args),
    }
    if mode not in tests:
        print(__doc__)
        return 2
    try:
        tests[mode]()
    except Failure as e:
        print(f"FAILED ({mode}): {e}")
        return 1
    print(f"passed ({mode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
