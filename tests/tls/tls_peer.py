#!/usr/bin/env python3
"""A TLS peer for outlet's TLS tests, independent of outlet: Python's ssl.

  tls_peer.py server --cert C --key K [--ca CA] [--require-client-cert]
                     [--alpn a,b] [--max-version 1.2] [--mode echo|truncate|silent]
                     [--connections N]
      Listens on 127.0.0.1 (or --host), port 0, prints "PORT <n>", then for
      each connection prints what it saw, one line each:
        SNI <name>|SNI -            the server name the client sent (or none)
        HANDSHAKE_OK <version> ALPN <protocol>|- PEER <subject CN>|-
        HANDSHAKE_FAILED <reason>
        RECEIVED <bytes>            application data received before the close
      echo: echoes until the client closes, then close_notify.
      truncate: sends "bye" and closes TCP without close_notify.
      close: sends "bye", then close_notify.
      silent: handshake only, then waits for the client to close.

  tls_peer.py client --port P [--host H] [--server-name N] [--ca CA]
                     [--cert C --key K] [--alpn a,b]
      Connects, prints HANDSHAKE_OK/HANDSHAKE_FAILED as above, sends
      "hello from python\\n", prints "ECHO <line>" for what comes back.

Every wait is bounded (20 s) so a failing test cannot hang.
"""
import argparse
import socket
import ssl
import sys

TIMEOUT = 20


def say(line):
    print(line, flush=True)


def subject_cn(cert):
    if not cert:
        return "-"
    for rdn in cert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return "?"


def run_server(args):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    if args.max_version == "1.1":
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
        context.set_ciphers("DEFAULT@SECLEVEL=0")
    elif args.max_version == "1.2":
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    if args.ca:
        context.load_verify_locations(args.ca)
    if args.require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
    if args.alpn:
        context.set_alpn_protocols(args.alpn.split(","))

    def on_sni(sslobj, name, ctx):
        say("SNI " + (name if name else "-"))

    context.sni_callback = on_sni
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.bind((args.host, 0))
    listener.listen(8)
    listener.settimeout(TIMEOUT)
    say("PORT %d" % listener.getsockname()[1])
    for _ in range(args.connections):
        raw, _ = listener.accept()
        raw.settimeout(TIMEOUT)
        conn = context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
        try:
            conn.do_handshake()
        except (ssl.SSLError, OSError) as e:
            say("HANDSHAKE_FAILED " + str(getattr(e, "reason", None) or e))
            received = 0
            try:
                raw.settimeout(2)
                received = len(raw.recv(65536))
            except OSError:
                pass
            say("RAW_AFTER_FAILURE %d" % received)
            raw.close()
            continue
        say("HANDSHAKE_OK %s ALPN %s PEER %s" % (conn.version(), conn.selected_alpn_protocol() or "-",
                                                 subject_cn(conn.getpeercert())))
        received = 0
        try:
            if args.mode == "truncate":
                conn.sendall(b"bye")
                raw.shutdown(socket.SHUT_RDWR)
            elif args.mode == "close":
                conn.sendall(b"bye")
                conn.unwrap()
            else:
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    received += len(data)
                    if args.mode == "echo":
                        conn.sendall(data)
                conn.unwrap()
        except (ssl.SSLError, OSError) as e:
            say("STREAM_ERROR " + str(getattr(e, "reason", None) or e))
        say("RECEIVED %d" % received)
        conn.close()


def run_client(args):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if args.ca:
        context.load_verify_locations(args.ca)
    if args.cert:
        context.load_cert_chain(args.cert, args.key)
    if args.alpn:
        context.set_alpn_protocols(args.alpn.split(","))
    raw = socket.create_connection((args.host, args.port), timeout=TIMEOUT)
    try:
        conn = context.wrap_socket(raw, server_hostname=args.server_name)
    except (ssl.SSLError, OSError) as e:
        say("HANDSHAKE_FAILED " + str(getattr(e, "reason", None) or e))
        return
    say("HANDSHAKE_OK %s ALPN %s PEER %s" % (conn.version(), conn.selected_alpn_protocol() or "-",
                                             subject_cn(conn.getpeercert())))
    try:
        conn.sendall(b"hello from python\n")
        line = b""
        while not line.endswith(b"\n"):
            data = conn.recv(65536)
            if not data:
                break
            line += data
        say("ECHO " + line.decode(errors="replace").strip())
        conn.unwrap()
    except (ssl.SSLError, OSError) as e:
        say("STREAM_ERROR " + str(getattr(e, "reason", None) or e))
    conn.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["server", "client"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int)
    parser.add_argument("--server-name", default="localhost")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--ca")
    parser.add_argument("--require-client-cert", action="store_true")
    parser.add_argument("--alpn")
    parser.add_argument("--max-version")
    parser.add_argument("--mode", default="echo", choices=["echo", "truncate", "close", "silent"])
    parser.add_argument("--connections", type=int, default=1)
    args = parser.parse_args()
    if args.role == "server":
        run_server(args)
    else:
        run_client(args)


if __name__ == "__main__":
    sys.exit(main())
