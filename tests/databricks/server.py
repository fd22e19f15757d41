"""A Databricks SQL warehouse on loopback: the Statement Execution API 2.0, the Files API for
Unity Catalog volumes and OAuth machine-to-machine tokens, in front of a real local Spark.

Statements run in Spark SQL; nothing is canned. What Spark lacks is translated, never faked
(see tests/databricks/README.md for the full list):
- `/Volumes/<catalog>/<schema>/<volume>/...` inside quoted SQL text (and function bodies) is
  mapped to `--volumes-dir`;
- three-part names: every catalog named with `--catalog` is an alias of Spark's one session
  catalog, so `main.snowplow.events` is Spark's `snowplow.events`;
- `CREATE [OR REPLACE] FUNCTION c.s.f(t TABLE) RETURNS TABLE (...) LANGUAGE PYTHON HANDLER 'H'
  AS $$...$$` runs the body and registers class H as a Spark Python UDTF (the body must find its
  imports, e.g. rechost_runtime, in this Python); calls of `c.s.f(` then reach it.
SQL scripting (`BEGIN ... END`) is Spark's own. Each statement runs in a new Spark session, as
each API statement has its own session on Databricks.

Prints one JSON line with its settings (endpoint, token, OAuth client, warehouses), then serves.
"""

import argparse
import hashlib
import hmac
import http.server
import json
import logging
import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
import types
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from urllib.parse import parse_qs, unquote, urlsplit

import pyarrow as pa

TERMINAL = ("SUCCEEDED", "FAILED", "CANCELED", "CLOSED")
FUNCTION = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(?P<name>[\w.`]+)\s*\((?P<args>.*?)\)\s+"
    r"RETURNS\s+TABLE\s*\((?P<returns>.*?)\)\s+LANGUAGE\s+PYTHON\s+HANDLER\s+'(?P<handler>\w+)'"
    r".*?\bAS\s+\$\$\n?(?P<body>.*?)\$\$\s*;?\s*$",
    re.DOTALL | re.IGNORECASE,
)
VOLUME_PATH = re.compile(r"""(?<=['"`])/Volumes/""")


class ApiError(Exception):
    def __init__(self, status, code, message, headers=()):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


class Warehouse:
    """A SQL warehouse: running, starting for `start` seconds from its first statement,
    `stopped` (never starts), throttled (`throttle` first submissions answered 429), with
    result links valid `link_ttl` seconds."""

    def __init__(self, spec, link_ttl):
        wid, _, options = spec.partition(":")
        self.id, self.start, self.stopped, self.throttle, self.link_ttl = wid, 0.0, False, 0, link_ttl
        for option in filter(None, options.split(",")):
            key, _, value = option.partition("=")
            if key == "start":
                self.start = float(value)
            elif key == "stopped":
                self.stopped = True
            elif key == "throttle":
                self.throttle = int(value)
            elif key == "link_ttl":
                self.link_ttl = float(value)
            else:
                sys.exit(f"unknown warehouse option {key!r} in {spec!r}")
        self.ready_at = None
        self.lock = threading.Lock()

    def state(self):
        if self.stopped:
            return "STOPPED"
        if self.start and (self.ready_at is None or time.time() < self.ready_at):
            return "STARTING" if self.ready_at else "STOPPED"
        return "RUNNING"

    def wake(self):
        """Auto-resume on a statement: when it will be ready (None: never)."""
        with self.lock:
            if self.stopped:
                return None
            if self.ready_at is None:
                self.ready_at = time.time() + self.start
            return self.ready_at

    def info(self, base):
        return {"id": self.id, "name": f"rechost-local-{self.id}", "state": self.state(),
                "cluster_size": "2X-Small", "warehouse_type": "PRO", "auto_stop_mins": 0,
                "odbc_params": {"hostname": urlsplit(base).hostname, "port": urlsplit(base).port,
                                "protocol": "http", "path": f"/sql/1.0/warehouses/{self.id}"},
                "health": {"status": "HEALTHY" if not self.stopped else "FAILED"}}


class Statement:
    def __init__(self, request, warehouse):
        self.id = str(uuid.uuid4())
        self.request, self.warehouse = request, warehouse
        self.state, self.error, self.sql_state = "PENDING", None, None
        self.manifest, self.chunks = None, []
        self.created = time.time()
        self.cancelled = threading.Event()
        self.done = threading.Condition()

    def finish(self, state, error=None, sql_state=None):
        with self.done:
            if self.state in TERMINAL:
                return
            self.state, self.error, self.sql_state = state, error, sql_state
            self.done.notify_all()


def spark_type(field):
    text = field.dataType.simpleString().upper()
    name = {"BIGINT": "LONG", "INT": "INT", "SMALLINT": "SHORT", "TINYINT": "BYTE"}.get(text, text.split("(")[0])
    return name, text


def json_value(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class Warehouses:
    """Everything behind the API: Spark, the statements, functions, tokens and volumes."""

    def __init__(self, args, spark, base):
        self.args, self.spark, self.base = args, spark, base
        self.warehouses = {w.id: w for w in (Warehouse(s, args.link_ttl) for s in args.warehouse)}
        self.statements, self.functions, self.oauth_tokens = {}, {}, {}
        self.lock = threading.Lock()
        self.key = secrets.token_bytes(32)
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="statement")

    # --- authentication -------------------------------------------------------------------
    def check_token(self, header):
        if not header or not header.startswith("Bearer "):
            raise ApiError(401, "401", "Credential was not sent or was of an unsupported type for this API.")
        token = header[len("Bearer "):]
        with self.lock:
            expiry = self.oauth_tokens.get(token)
        if not (hmac.compare_digest(token, self.args.token) or (expiry and expiry > time.time())):
            # What Databricks answers for an unknown personal access token.
            raise ApiError(403, 403, "Invalid access token.")

    def issue_token(self, header, form):
        import base64
        try:
            client_id, secret = base64.b64decode(header.split(" ", 1)[1]).decode().split(":", 1)
        except Exception:
            client_id, secret = form.get("client_id", [""])[0], form.get("client_secret", [""])[0]
        if form.get("grant_type") != ["client_credentials"]:
            return 400, {"error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"}
        if client_id != self.args.client_id or not hmac.compare_digest(secret, self.args.client_secret):
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
        token = "dop" + secrets.token_hex(16)
        with self.lock:
            self.oauth_tokens[token] = time.time() + self.args.oauth_ttl
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": int(self.args.oauth_ttl),
                     "scope": " ".join(form.get("scope", ["all-apis"]))}

    # --- statements -----------------------------------------------------------------------
    def submit(self, request):
        warehouse = self.warehouses.get(request.get("warehouse_id", ""))
        if warehouse is None:
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"SQL warehouse {request.get('warehouse_id')!r} does not exist.")
        with warehouse.lock:
            if warehouse.throttle > 0:
                warehouse.throttle -= 1
                raise ApiError(429, "TOO_MANY_REQUESTS", "Too many requests. Please wait a moment and try again.",
                               [("Retry-After", "1")])
        if not request.get("statement"):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "statement is required")
        fmt, disposition = request.get("format", "JSON_ARRAY"), request.get("disposition", "INLINE")
        if fmt not in ("JSON_ARRAY", "ARROW_STREAM") or disposition not in ("INLINE", "EXTERNAL_LINKS"):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"unsupported format {fmt} / disposition {disposition}")
        if disposition == "INLINE" and fmt != "JSON_ARRAY":
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "INLINE disposition supports only the JSON_ARRAY format")
        wait = request.get("wait_timeout", "10s")
        match = re.fullmatch(r"(\d+)s", wait)
        if not match or not (int(match[1]) == 0 or 5 <= int(match[1]) <= 50):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "wait_timeout must be 0s or between 5s and 50s")
        statement = Statement(request, warehouse)
        with self.lock:
            self.statements[statement.id] = statement
        self.pool.submit(self.execute, statement)
        with statement.done:
            statement.done.wait_for(lambda: statement.state in TERMINAL, timeout=int(match[1]))
        if statement.state not in TERMINAL and request.get("on_wait_timeout") == "CANCEL":
            self.cancel(statement.id)
        return self.response(statement)

    def statement(self, statement_id):
        with self.lock:
            statement = self.statements.get(statement_id)
        if statement is None:
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Statement {statement_id} not found.")
        return statement

    def cancel(self, statement_id):
        statement = self.statement(statement_id)
        statement.cancelled.set()
        if statement.state not in TERMINAL:
            self.spark.sparkContext.cancelJobGroup(statement.id)
            statement.finish("CANCELED")
        return {}

    def execute(self, statement):
        ready_at = statement.warehouse.wake()
        while ready_at is None or time.time() < ready_at:
            if statement.cancelled.wait(0.1):
                return
            if ready_at is None and time.time() > statement.created + 1:
                return statement.finish("FAILED", {"error_code": "RESOURCE_EXHAUSTED", "message":
                    f"The SQL warehouse {statement.warehouse.id} is stopped and could not be started."})
        with statement.done:
            if statement.state in TERMINAL:
                return
            statement.state = "RUNNING"
        try:
            fields, table = self.run_sql(statement)
            self.store(statement, fields, table)
            statement.finish("SUCCEEDED")
        except Exception as error:  # every engine error becomes the statement's error
            if statement.cancelled.is_set():
                return statement.finish("CANCELED")
            sql_state = getattr(error, "getSqlState", lambda: None)()
            message = str(error).strip()
            statement.finish("FAILED", {"error_code": "BAD_REQUEST", "message": message}, sql_state)

    def session(self, request):
        session = self.spark.newSession()
        manager = session._jsparkSession.sessionState().catalogManager()
        field = next(f for f in manager.getClass().getDeclaredFields() if f.getName() == "catalogs")
        field.setAccessible(True)
        for catalog in self.args.catalog:
            field.get(manager).put(catalog, manager.v2SessionCatalog())
        with self.lock:
            functions = list(self.functions.values())
        for temp_name, udtf in functions:
            session.udtf.register(temp_name, udtf)
        if request.get("catalog"):
            session.catalog.setCurrentCatalog(request["catalog"])
        if request.get("schema"):
            session.catalog.setCurrentDatabase(request["schema"])
        return session

    def local_sql(self, text):
        """The statement as local Spark runs it: volume paths and function names mapped."""
        text = VOLUME_PATH.sub(self.args.volumes_dir.rstrip("/") + "/", text)
        with self.lock:
            names = list(self.functions)
        for name in names:
            text = re.sub(re.escape(name) + r"(?=\s*\()", self.functions[name][0], text, flags=re.IGNORECASE)
        return text

    def run_sql(self, statement):
        session = self.session(statement.request)
        self.spark.sparkContext.setJobGroup(statement.id, statement.request["statement"][:80], True)
        text = statement.request["statement"]
        function = FUNCTION.match(text)
        if function:
            self.create_function(function)
            return [], pa.table({})
        frame = session.sql(self.local_sql(text).strip().rstrip(";"))
        return frame.schema.fields, frame.toArrow()

    def create_function(self, match):
        from pyspark.sql.functions import udtf

        name = match["name"].replace("`", "").lower()
        module = types.ModuleType("udtf_" + re.sub(r"\W", "_", name))
        body = VOLUME_PATH.sub(self.args.volumes_dir.rstrip("/") + "/", match["body"])
        exec(compile(body, f"<function {name}>", "exec"), module.__dict__)
        handler = getattr(module, match["handler"])
        registered = udtf(handler, returnType=match["returns"].strip())
        with self.lock:
            self.functions[name] = (re.sub(r"\W", "__", name), registered)

    def store(self, statement, fields, table):
        rows, fmt = self.args.chunk_rows, statement.request.get("format", "JSON_ARRAY")
        slices = [table.slice(start, rows) for start in range(0, table.num_rows, rows)]
        offset, infos = 0, []
        for index, part in enumerate(slices):
            if fmt == "ARROW_STREAM":
                sink = pa.BufferOutputStream()
                with pa.ipc.new_stream(sink, table.schema) as writer:
                    writer.write_table(part)
                data = sink.getvalue().to_pybytes()
            else:
                columns = [column.to_pylist() for column in part.columns]
                data = [[json_value(v) for v in row] for row in zip(*columns)]
            statement.chunks.append(data)
            size = len(data) if fmt == "ARROW_STREAM" else part.nbytes
            infos.append({"chunk_index": index, "row_offset": offset, "row_count": part.num_rows, "byte_count": size})
            offset += part.num_rows
        columns = []
        for position, field in enumerate(fields):
            type_name, type_text = spark_type(field)
            columns.append({"name": field.name, "type_name": type_name, "type_text": type_text, "position": position})
        statement.manifest = {
            "format": fmt, "schema": {"column_count": len(columns), "columns": columns},
            "total_chunk_count": len(infos), "chunks": infos, "total_row_count": table.num_rows,
            "total_byte_count": sum(i["byte_count"] for i in infos), "truncated": False,
        }

    def result(self, statement, index):
        if statement.state != "SUCCEEDED":
            raise ApiError(400, "BAD_REQUEST", f"Statement {statement.id} is {statement.state}, not SUCCEEDED.")
        infos = statement.manifest["chunks"]
        if not 0 <= index < len(infos):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"chunk index {index} out of range")
        info = dict(infos[index])
        if index + 1 < len(infos):
            info["next_chunk_index"] = index + 1
            info["next_chunk_internal_link"] = f"/api/2.0/sql/statements/{statement.id}/result/chunks/{index + 1}"
        if statement.request.get("disposition", "INLINE") == "INLINE":
            return {**info, "data_array": statement.chunks[index]}
        expires = time.time() + statement.warehouse.link_ttl
        signature = self.sign(statement.id, index, int(expires))
        link = f"{self.base}/presigned/{statement.id}/{index}?X-Expires={int(expires)}&X-Signature={signature}"
        info.update(external_link=link,
                    expiration=datetime.fromtimestamp(expires, timezone.utc).isoformat().replace("+00:00", "Z"))
        return {"external_links": [info]}

    def response(self, statement):
        body = {"statement_id": statement.id, "status": {"state": statement.state}}
        if statement.error:
            body["status"]["error"] = statement.error
            if statement.sql_state:
                body["status"]["sql_state"] = statement.sql_state
        if statement.state == "SUCCEEDED":
            body["manifest"] = statement.manifest
            body["result"] = self.result(statement, 0) if statement.manifest["total_chunk_count"] else {}
        return body

    # --- presigned links ------------------------------------------------------------------
    def sign(self, statement_id, index, expires):
        message = f"{statement_id}/{index}/{expires}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def presigned(self, path, query, headers):
        """A chunk behind a presigned URL: refused like S3 when the request carries other
        credentials, the signature is wrong or the link has expired."""
        _, _, statement_id, index = path.split("/", 3)
        if headers.get("Authorization"):
            return 403, "AccessDenied", "Only one auth mechanism allowed: the presigned URL's signature (do not send an Authorization header)."
        expires = query.get("X-Expires", ["0"])[0]
        signature = query.get("X-Signature", [""])[0]
        if not expires.isdigit() or not hmac.compare_digest(signature, self.sign(statement_id, int(index), int(expires))):
            return 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."
        if int(expires) < time.time():
            return 403, "AccessDenied", "Request has expired"
        statement = self.statement(statement_id)
        return 200, None, statement.chunks[int(index)]

    # --- files ----------------------------------------------------------------------------
    def volume_file(self, api_path):
        parts = [unquote(p) for p in api_path.split("/") if p]
        if len(parts) < 4 or parts[0] != "Volumes" or any(p in (".", "..") for p in parts):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"{'/' + '/'.join(parts)} is not a path inside a Unity Catalog volume (/Volumes/<catalog>/<schema>/<volume>/...)")
        volume = os.path.join(self.args.volumes_dir, *parts[1:4])
        if not os.path.isdir(volume):
            raise ApiError(404, "NOT_FOUND", f"Volume '{'.'.join(parts[1:4])}' does not exist.")
        return os.path.join(self.args.volumes_dir, *parts[1:])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "rechost-databricks-local"

    def log_message(self, *args):  # quiet: tests read only the answers
        pass

    def send(self, status, body=b"", content_type="application/json", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        return self._body

    def route(self):
        state, url = self.server.state, urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        if path.startswith("/presigned/") and self.command == "GET":
            status, code, payload = state.presigned(path, query, self.headers)
            if status != 200:
                xml = f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{payload}</Message></Error>"
                return self.send(status, xml.encode(), "application/xml")
            return self.send(200, payload, "application/vnd.apache.arrow.stream")
        if path == "/oidc/.well-known/oauth-authorization-server":
            return self.send(200, {"issuer": f"{state.base}/oidc", "token_endpoint": f"{state.base}/oidc/v1/token",
                                   "authorization_endpoint": f"{state.base}/oidc/v1/authorize",
                                   "grant_types_supported": ["client_credentials"]})
        if path == "/oidc/v1/token" and self.command == "POST":
            form = parse_qs(self.body().decode())
            status, payload = state.issue_token(self.headers.get("Authorization", ""), form)
            return self.send(status, payload)
        if not path.startswith("/api/"):
            raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{self.command} {path}'")
        state.check_token(self.headers.get("Authorization"))
        return self.api(state, path, query)

    def api(self, state, path, query):
        statements = re.fullmatch(r"/api/2\.0/sql/statements/?(?P<id>[^/]*)(?P<rest>/.*)?", path)
        if statements and self.command == "POST" and not statements["id"]:
            return self.send(200, state.submit(json.loads(self.body() or b"{}")))
        if statements and self.command == "POST" and statements["rest"] == "/cancel":
            return self.send(200, state.cancel(statements["id"]))
        if statements and self.command == "GET" and not statements["rest"]:
            return self.send(200, state.response(state.statement(statements["id"])))
        chunk = statements and re.fullmatch(r"/result/chunks/(\d+)", statements["rest"] or "")
        if chunk and self.command == "GET":
            return self.send(200, state.result(state.statement(statements["id"]), int(chunk[1])))
        warehouse = re.fullmatch(r"/api/2\.0/sql/warehouses/([^/]+)", path)
        if warehouse and self.command == "GET":
            if warehouse[1] not in state.warehouses:
                raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"SQL warehouse {warehouse[1]!r} does not exist.")
            return self.send(200, state.warehouses[warehouse[1]].info(state.base))
        if path.startswith("/api/2.0/fs/files/"):
            return self.files(state, state.volume_file(path[len("/api/2.0/fs/files"):]), query)
        if path.startswith("/api/2.0/fs/directories/"):
            return self.directories(state, path[len("/api/2.0/fs/directories"):])
        raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{self.command} {path}'")

    def files(self, state, local, query):
        if self.command == "PUT":
            data = self.body()
            if os.path.exists(local) and query.get("overwrite", ["true"])[0] == "false":
                raise ApiError(409, "ALREADY_EXISTS", "The file being created already exists.")
            os.makedirs(os.path.dirname(local), exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=os.path.dirname(local), delete=False) as f:
                f.write(data)
            os.replace(f.name, local)
            return self.send(204)
        if not os.path.isfile(local):
            raise ApiError(404, "NOT_FOUND", "The file does not exist.")
        if self.command == "DELETE":
            os.remove(local)
            return self.send(204)
        if self.command in ("GET", "HEAD"):
            with open(local, "rb") as f:
                return self.send(200, f.read(), "application/octet-stream")
        raise ApiError(405, "BAD_REQUEST", f"{self.command} is not supported on files")

    def directories(self, state, api_path):
        local = state.volume_file(api_path)
        if self.command == "PUT":
            os.makedirs(local, exist_ok=True)
            return self.send(204)
        if not os.path.isdir(local):
            raise ApiError(404, "NOT_FOUND", "The directory does not exist.")
        if self.command == "GET":
            base = "/" + "/".join(unquote(p) for p in api_path.split("/") if p)
            contents = []
            for name in sorted(os.listdir(local)):
                full = os.path.join(local, name)
                entry = {"path": f"{base}/{name}", "name": name, "is_directory": os.path.isdir(full)}
                if not entry["is_directory"]:
                    entry["file_size"] = os.path.getsize(full)
                contents.append(entry)
            return self.send(200, {"contents": contents})
        if self.command == "DELETE":
            if os.listdir(local):
                raise ApiError(409, "DIRECTORY_NOT_EMPTY", "The directory is not empty.")
            os.rmdir(local)
            return self.send(204)
        raise ApiError(405, "BAD_REQUEST", f"{self.command} is not supported on directories")

    def handle_any(self):
        # Read the whole body first, whatever the endpoint does with it: bytes left unread
        # would be taken for the next request on this keep-alive connection.
        self._body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            self.route()
        except ApiError as error:
            self.send(error.status, {"error_code": error.code, "message": error.message}, headers=error.headers)
        except Exception as error:  # a bug here must reach the client, not hang it
            self.send(500, {"error_code": "INTERNAL_ERROR", "message": f"{type(error).__name__}: {error}"})

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any


def start_spark(data_dir):
    from pyspark.sql import SparkSession

    # Spark's logging (and pyspark's, which logs every query error with its JVM stack) would
    # drown the server's output: errors go to the client.
    logging.getLogger("SQLQueryContextLogger").disabled = True
    log_config = os.path.join(data_dir, "log4j2.properties")
    with open(log_config, "w") as f:
        f.write("rootLogger.level = off\nrootLogger.appenderRef.stderr.ref = stderr\nappender.stderr.type = Console\nappender.stderr.name = stderr\nappender.stderr.target = SYSTEM_ERR\nappender.stderr.layout.type = PatternLayout\n")
    java_options = f"-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile={log_config}"
    return (
        SparkSession.builder.master("local[2]").appName("rechost-databricks-local")
        .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.sql.session.timeZone", "UTC").config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.warehouse.dir", os.path.join(data_dir, "warehouse"))
        .getOrCreate()
    )


def load_table(spark, catalogs, spec):
    """`NAME=PATH`: a Parquet or CSV file (header row, types inferred) as table NAME."""
    name, _, path = spec.partition("=")
    parts = name.split(".")
    if len(parts) == 3 and parts[0] in catalogs:
        parts = parts[1:]
    if len(parts) != 2:
        sys.exit(f"--table {spec!r}: name it SCHEMA.TABLE or CATALOG.SCHEMA.TABLE (catalog from --catalog)")
    reader = spark.read
    if path.lower().endswith(".csv"):
        frame = reader.option("header", True).option("inferSchema", True).csv(path)
    else:
        frame = reader.parquet(path)
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS `{parts[0]}`")
    frame.write.mode("overwrite").saveAsTable(f"`{parts[0]}`.`{parts[1]}`")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--token", default=None, help="the personal access token (default: random, printed)")
    parser.add_argument("--client-id", default="rechost-local-sp")
    parser.add_argument("--client-secret", default=None, help="OAuth M2M secret (default: random, printed)")
    parser.add_argument("--warehouse", action="append", default=[],
                        help="ID[:start=SECS|stopped|throttle=N|link_ttl=SECS,...] (repeat; default: one running)")
    parser.add_argument("--catalog", action="append", default=[], help="a catalog name (default: main)")
    parser.add_argument("--volume", action="append", default=[], help="CATALOG.SCHEMA.VOLUME to create")
    parser.add_argument("--volumes-dir", default=None, help="the folder /Volumes maps to")
    parser.add_argument("--data-dir", default=None, help="Spark's tables (default: a temporary folder)")
    parser.add_argument("--table", action="append", default=[], help="NAME=FILE.parquet|FILE.csv to load")
    parser.add_argument("--chunk-rows", type=int, default=500, help="rows per result chunk")
    parser.add_argument("--link-ttl", type=float, default=900, help="seconds a result link stays valid")
    parser.add_argument("--oauth-ttl", type=float, default=3600, help="seconds an OAuth token stays valid")
    parser.add_argument("--exit-with-stdin", action="store_true", help="stop when standard input closes")
    args = parser.parse_args()
    args.token = args.token or "dapi" + secrets.token_hex(16)
    args.client_secret = args.client_secret or "dose" + secrets.token_hex(16)
    args.warehouse = args.warehouse or ["local0123456789ab"]
    args.catalog = args.catalog or ["main"]
    data_dir = args.data_dir or tempfile.mkdtemp(prefix="rechost-databricks-")
    args.volumes_dir = os.path.abspath(args.volumes_dir or os.path.join(data_dir, "volumes"))
    for volume in args.volume:
        os.makedirs(os.path.join(args.volumes_dir, *volume.split(".")), exist_ok=True)

    spark = start_spark(data_dir)
    for spec in args.table:
        load_table(spark, args.catalog, spec)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.state = Warehouses(args, spark, base)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({
        "host": base, "token": args.token, "client_id": args.client_id, "client_secret": args.client_secret,
        "warehouses": {w.id: w.state() for w in server.state.warehouses.values()},
        "catalogs": args.catalog, "volumes_dir": args.volumes_dir,
    }), flush=True)
    try:
        if args.exit_with_stdin:
            sys.stdin.read()
        else:
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    server.shutdown()
    spark.stop()
    if not args.data_dir:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
