"""A Snowflake protocol server (fakesnow, DuckDB underneath) on loopback, for tests.

fakesnow accepts any login and returns every result inline; this wraps its ASGI app with two
things Snowflake does:
- credentials are checked, so wrong ones fail as they would there: a password user, and a
  key-pair user whose JWT is verified against its registered public key (the issuer carries
  the key's SHA256 fingerprint);
- a session on the warehouse SUSPENDED_WH (suspended, no auto-resume) cannot run queries;
- results larger than CHUNK_ROWS are split as Snowflake splits large results: the first rows
  inline, the rest as Arrow IPC chunks behind `chunks` URLs, downloaded with the
  `chunkHeaders` of the response (here an SSE-C style key, checked) and served gzip-encoded.

Prints one JSON line (endpoint, account, users, the key-pair user's private key file), then
serves. Commands arrive as JSON lines on standard input, each answered with one JSON line:
  {"load": {"table": "DB.SCHEMA.T", "columns": [["name", "SNOWFLAKE TYPE"], ...], "csv": PATH}}
loads a CSV (header row, empty = NULL) through the real protocol with the Python connector, in
statements of `INSERT ... SELECT ... FROM TABLE(FLATTEN(INPUT => PARSE_JSON(...)))`.
The server exits when standard input closes (when the test process that started it exits).
"""

import base64
import csv
import gzip
import hashlib
import json
import os
import secrets
import socket
import sys
import tempfile
import threading
import time

import jwt
import pyarrow as pa
import snowflake.connector
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import fakesnow.server

ACCOUNT = "RECHOST"
PASSWORD_USER = "LOADER"
KEY_USER = "KEYPAIR_LOADER"
ROWS_PER_INSERT = 5000
CHUNK_ROWS = 250
KEY_HEADER = "x-amz-server-side-encryption-customer-key"
SUSPENDED_WAREHOUSE = "SUSPENDED_WH"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def error(code, message):
    return {"data": {"nextAction": "RETRY_LOGIN", "authnMethod": "USERNAME_PASSWORD"},
            "code": code, "message": message, "success": False, "headers": None}


def ipc(table):
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


async def respond(send, status, body, headers=()):
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


class SnowflakeBehaviour:
    """ASGI wrapper: credentials checked at login; large results served in chunks."""

    def __init__(self, app, port, password, public_key):
        self.app = app
        self.port = port
        self.chunks = {}
        # Session tokens of logins on the suspended warehouse.
        self.suspended = set()
        self.password = password
        self.public_key = public_key
        der = public_key.public_bytes(serialization.Encoding.DER,
                                      serialization.PublicFormat.SubjectPublicKeyInfo)
        self.fingerprint = "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()

    def problem(self, data):
        user = str(data.get("LOGIN_NAME", "")).upper()
        if data.get("AUTHENTICATOR", "").upper() == "SNOWFLAKE_JWT":
            if user != KEY_USER:
                return error("390144", "JWT token is invalid.")
            try:
                claims = jwt.decode(data.get("TOKEN", ""), self.public_key, algorithms=["RS256"])
            except jwt.PyJWTError:
                return error("390144", "JWT token is invalid.")
            expected = f"{ACCOUNT}.{KEY_USER}"
            if claims.get("sub") != expected or claims.get("iss") != f"{expected}.{self.fingerprint}":
                return error("390144", "JWT token is invalid.")
            return None
        if user != PASSWORD_USER or data.get("PASSWORD") != self.password:
            return error("390100", "Incorrect username or password was specified.")
        return None

    def split(self, payload):
        """Moves all but the first CHUNK_ROWS rows of an Arrow result into chunks."""
        data = payload.get("data") or {}
        inline = data.get("rowsetBase64")
        if not payload.get("success") or not inline:
            return payload
        table = pa.ipc.open_stream(base64.b64decode(inline)).read_all()
        if table.num_rows <= CHUNK_ROWS:
            return payload
        result = secrets.token_hex(8)
        key = secrets.token_urlsafe(16)
        data["rowsetBase64"] = base64.b64encode(ipc(table.slice(0, CHUNK_ROWS))).decode()
        data["returned"] = CHUNK_ROWS
        data["chunkHeaders"] = {KEY_HEADER: key}
        data["chunks"] = []
        for n, start in enumerate(range(CHUNK_ROWS, table.num_rows, CHUNK_ROWS)):
            part = table.slice(start, CHUNK_ROWS)
            self.chunks[(result, str(n))] = (key, gzip.compress(ipc(part)))
            data["chunks"].append({
                "url": f"http://127.0.0.1:{self.port}/chunks/{result}/{n}?X-Amz-Signature=x",
                "rowCount": part.num_rows,
                "uncompressedSize": part.nbytes,
                "compressedSize": len(self.chunks[(result, str(n))][1]),
            })
        return payload

    async def query(self, scope, receive, send):
        auth = dict(scope.get("headers", [])).get(b"authorization", b"").decode()
        if any(token in auth for token in self.suspended):
            return await respond(send, 200, json.dumps({
                "data": {"errorCode": "000606", "sqlState": "57P03"}, "code": "000606",
                "message": "No active warehouse selected in the current session.  Select an active "
                           "warehouse with the 'use warehouse' command.\n",
                "success": False}).encode(), [(b"content-type", b"application/json")])
        started = {}
        body = []

        async def capture(message):
            if message["type"] == "http.response.start":
                started.update(message)
            else:
                body.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        payload = self.split(json.loads(b"".join(body)))
        headers = [(k, v) for k, v in started.get("headers", []) if k.lower() != b"content-length"]
        await respond(send, started.get("status", 200), json.dumps(payload).encode(), headers)

    async def chunk(self, scope, send):
        _, _, result, n = scope["path"].split("/", 3)
        key, body = self.chunks.get((result, n), (None, None))
        headers = dict(scope.get("headers", []))
        if body is None or headers.get(KEY_HEADER.encode()) != key.encode():
            return await respond(send, 403, b"<Error><Code>AccessDenied</Code></Error>")
        await respond(send, 200, body, [(b"content-encoding", b"gzip"),
                                        (b"content-type", b"application/octet-stream")])

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/chunks/"):
            return await self.chunk(scope, send)
        if scope["type"] == "http" and scope["path"] == "/queries/v1/query-request":
            return await self.query(scope, receive, send)
        if scope["type"] != "http" or scope["path"] != "/session/v1/login-request":
            return await self.app(scope, receive, send)
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = dict(scope.get("headers", []))
        raw = gzip.decompress(body) if headers.get(b"content-encoding") == b"gzip" else body
        problem = self.problem(json.loads(raw).get("data", {}))
        if problem:
            return await respond(send, 200, json.dumps(problem).encode(),
                                 [(b"content-type", b"application/json")])
        replayed = False
        query = scope.get("query_string", b"").decode()
        on_suspended = f"warehouse={SUSPENDED_WAREHOUSE}" in query

        async def remember_token(message):
            if on_suspended and message["type"] == "http.response.body":
                token = json.loads(message.get("body", b"{}")).get("data", {}).get("token")
                if token:
                    self.suspended.add(token)
            await send(message)

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, remember_token)


def load(settings, command):
    table = command["table"]
    columns = command["columns"]
    database, schema, _ = table.split(".")
    with open(command["csv"], newline="") as f:
        rows = [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(f)]
    connection = snowflake.connector.connect(
        account=ACCOUNT, user=PASSWORD_USER, password=settings["password"],
        host="127.0.0.1", port=settings["port"], protocol="http",
        session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
    )
    with connection:
        cursor = connection.cursor()
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS {database}")
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {database}.{schema}")
        typed = ", ".join(f"{name} {kind}" for name, kind in columns)
        cursor.execute(f"CREATE OR REPLACE TABLE {table} ({typed})")
        select = ", ".join(f"value:{name}::{kind}" for name, kind in columns)
        for start in range(0, len(rows), ROWS_PER_INSERT):
            part = [{name: row.get(name) for name, _ in columns} for row in rows[start:start + ROWS_PER_INSERT]]
            cursor.execute(
                f"INSERT INTO {table} SELECT {select} FROM TABLE(FLATTEN(INPUT => PARSE_JSON(%s)))",
                (json.dumps(part),),
            )
        (count,) = cursor.execute(f"SELECT count(*) FROM {table}").fetchone()
    return {"ok": True, "rows": count}


def main():
    # The key's folder goes when the test process closes stdin (the server's end of life).
    with tempfile.TemporaryDirectory(prefix="rechost-fakesnow-") as key_dir:
        serve(key_dir)


def serve(key_dir):
    port = free_port()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = os.path.join(key_dir, "rsa_key.p8")
    with open(os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    settings = {
        "host": "127.0.0.1",
        "port": port,
        "protocol": "http",
        "account": ACCOUNT.lower(),
        "user": PASSWORD_USER.lower(),
        "password": secrets.token_urlsafe(16),
        "key_user": KEY_USER.lower(),
        "private_key_file": key_file,
    }
    app = SnowflakeBehaviour(fakesnow.server.app, port, settings["password"], key.public_key())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and thread.is_alive() and time.time() < deadline:
        time.sleep(0.05)
    if not server.started:
        sys.exit("fakesnow server did not start")
    print(json.dumps(settings), flush=True)
    for line in sys.stdin:
        try:
            command = json.loads(line)
            answer = load(settings, command["load"])
        except Exception as e:  # reported to the test, which fails with it
            answer = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(answer), flush=True)
    server.should_exit = True


if __name__ == "__main__":
    main()
