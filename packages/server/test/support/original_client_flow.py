"""Drives a Kolejka server the way the original Python client and foreman talk to it.

Written for the tests from the documented wire behaviour (a requests session with its
cookie jar, Referer on every request, X-CSRFToken on unsafe ones, form login after
GET /logout/, raw bodies without a Content-Type, the exact `application/json` check
before reading the status envelope). Prints one JSON object describing what happened.

usage: original_client_flow.py SERVER_URL WORKDIR CLIENT_USER FOREMAN_USER PASSWORD
"""

import hashlib
import json
import os
import sys
import time

import requests


class RemoteError(Exception):
    pass


class NotFound(Exception):
    pass


class Forbidden(Exception):
    pass


class Client:
    def __init__(self, server, username, password):
        self.server = server
        self.session = requests.session()
        self.session.mount("http://", requests.adapters.HTTPAdapter(max_retries=3))
        self.login(username, password)
        self.settings = self.get("/settings/").json()

    def url(self, path):
        return self.server.rstrip("/") + "/" + path.lstrip("/")

    def check(self, response):
        if response.status_code == 403:
            raise Forbidden(response.url)
        if response.status_code == 404:
            raise NotFound(response.url)
        if response.status_code != 200:
            raise RemoteError("HTTP %d" % response.status_code)
        # The original reads the envelope only when the type is exactly this.
        if response.headers.get("content-type", "") == "application/json":
            body = response.json()
            if isinstance(body, dict) and body.get("status", "OK") != "OK":
                raise RemoteError(body.get("message", ""))
        return response

    def get(self, path, **kwargs):
        headers = {"Referer": self.server}
        return self.check(self.session.get(self.url(path), headers=headers, **kwargs))

    def head(self, path):
        headers = {"Referer": self.server}
        return self.check(self.session.head(self.url(path), headers=headers))

    def unsafe(self, method, path, **kwargs):
        headers = {
            "X-CSRFToken": self.session.cookies.get("csrftoken", ""),
            "Referer": self.server,
        }
        return self.check(method(self.url(path), headers=headers, **kwargs))

    def post(self, path, **kwargs):
        return self.unsafe(self.session.post, path, **kwargs)

    def delete(self, path, **kwargs):
        return self.unsafe(self.session.delete, path, **kwargs)

    def login(self, username, password):
        self.get("/logout/")
        self.post("/login/", data={"username": username, "password": password})

    def blob_put(self, path):
        digest = hashlib.new(self.settings["blob_hash_algorithm"])
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(8192), b""):
                digest.update(chunk)
            try:
                return self.post("/blob/blob/%s/" % digest.hexdigest(), data={}).json()["reference"]
            except NotFound:
                handle.seek(0)
                return self.post("/blob/reference/", data=handle).json()["reference"]

    def blob_check(self, reference):
        try:
            self.head("/blob/reference/%s/" % reference)
            return True
        except NotFound:
            return False

    def blob_get(self, reference, path):
        response = self.get("/blob/reference/%s/" % reference, stream=True)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as handle:
            for chunk in response.iter_content(4 << 20):
                handle.write(chunk)

    def spec_put(self, kind, directory, spec):
        for name, entry in spec["files"].items():
            if not entry.get("reference") or not self.blob_check(entry["reference"]):
                entry["reference"] = self.blob_put(os.path.join(directory, entry["path"]))["key"]
        return self.post("/task/%s/" % kind, data=json.dumps(spec)).json()[kind]

    def spec_get(self, kind, key, directory):
        spec = self.get("/task/%s/%s/" % (kind, key)).json()[kind]
        for name, entry in spec["files"].items():
            self.blob_get(entry["reference"], os.path.join(directory, name))
            entry["path"] = name
        return spec

    def dequeue(self, concurency, limits, tags):
        body = json.dumps({"concurency": concurency, "limits": limits, "tags": tags})
        return self.post("/queue/dequeue/", data=body).json()["tasks"]


def main():
    server, workdir, client_user, foreman_user, password = sys.argv[1:6]
    report = {}
    task_dir = os.path.join(workdir, "task")
    os.makedirs(task_dir, exist_ok=True)
    with open(os.path.join(task_dir, "run.sh"), "w") as handle:
        handle.write("echo hello\n")
    with open(os.path.join(task_dir, "data.bin"), "wb") as handle:
        handle.write(bytes(range(256)) * 4096)
    task = {
        "id": "whatever",
        "image": "kolejka-test/busybox:latest",
        "args": ["sh", "run.sh"],
        "limits": {"memory": "64M", "time": "10s"},
        "files": {"run.sh": {"path": "run.sh"}, "input/data.bin": {"path": "data.bin"}},
        "stdout": "console.txt",
    }

    client = Client(server, client_user, password)
    report["settings"] = client.settings
    put = client.spec_put("task", task_dir, task)
    report["task"] = put
    # Putting the same task again (as `task get` + `task put` would): references are hashes.
    again = client.spec_put("task", task_dir, dict(put, files={k: dict(v) for k, v in put["files"].items()}))
    report["task_again_files"] = again["files"]
    try:
        client.get("/task/result/%s/" % put["id"])
        report["pending"] = "found"
    except NotFound:
        report["pending"] = "404"

    foreman = Client(server, foreman_user, password)
    tasks = foreman.dequeue(2, {"cpus": 4, "memory": "4G", "time": "60s"}, ["cpu:test"])
    report["dequeued"] = [item["id"] for item in tasks]
    work = os.path.join(workdir, "foreman")
    spec = foreman.spec_get("task", put["id"], os.path.join(work, "task"))
    with open(os.path.join(work, "task", "input", "data.bin"), "rb") as handle:
        report["input_sha256"] = hashlib.sha256(handle.read()).hexdigest()
    result_dir = os.path.join(work, "result")
    os.makedirs(result_dir, exist_ok=True)
    with open(os.path.join(result_dir, "console.txt"), "w") as handle:
        handle.write("hello\n")
    result = {
        "id": spec["id"],
        "tags": ["cpu:test"],
        "limits": spec["limits"],
        "stats": {"time": "0.1s"},
        "result": 0,
        "stdout": "console.txt",
        "files": {"console.txt": {"path": "console.txt"}},
    }
    report["result_put"] = foreman.spec_put("result", result_dir, result)
    try:
        foreman.post("/task/result/", data=json.dumps(dict(result, result=3)))
        report["second_result"] = "accepted"
    except RemoteError as error:
        report["second_result"] = "FAIL: %s" % error

    # `kolejka-client execute`: poll until the result is there, then download it.
    deadline = time.time() + 10
    while True:
        client.session.close()
        try:
            got = client.spec_get("result", put["id"], os.path.join(workdir, "result"))
            break
        except NotFound:
            if time.time() > deadline:
                raise
            time.sleep(0.1)
    with open(os.path.join(workdir, "result", "console.txt")) as handle:
        report["console"] = handle.read()
    report["result"] = got
    client.delete("/task/task/%s/" % put["id"])
    try:
        client.get("/task/task/%s/" % put["id"])
        report["after_delete"] = "found"
    except NotFound:
        report["after_delete"] = "404"
    print(json.dumps(report))


if __name__ == "__main__":
    main()
