"""A real S3-compatible server (moto) on loopback with request signing checked, for tests.

Creates a bucket and two IAM users (one allowed s3:*, one allowed nothing), switches
authentication on, prints one JSON line with the endpoint and keys, then serves until its
standard input closes (i.e. until the test process that started it exits).
"""

import json
import socket
import sys
import urllib.request

import boto3
from moto.server import ThreadedMotoServer

BUCKET = "rechost-tests"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    setup = dict(
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="setup",
        aws_secret_access_key="setup",
    )
    iam = boto3.client("iam", **setup)
    keys = {}
    for user, actions in [("writer", ["s3:*"]), ("nobody", ["sqs:ListQueues"])]:
        iam.create_user(UserName=user)
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
        }
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        keys[user] = {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    boto3.client("s3", **setup).create_bucket(Bucket=BUCKET)
    # From here on every request must be signed by a known key with a permitting policy.
    request = urllib.request.Request(
        f"{endpoint}/moto-api/reset-auth",
        data=b"0",
        headers={"Content-Type": "text/plain"},
        method="POST",
    )
    urllib.request.urlopen(request).read()
    print(json.dumps({"endpoint": endpoint, "bucket": BUCKET, "keys": keys}), flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
