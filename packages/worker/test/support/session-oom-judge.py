"""A judge whose solution is OOM-killed in an observer session, then fails itself (exit 1).

Run as a task: the worker binds the host's observer socket into the container. The judge
stays far below its own memory limit; only the session's 64M limit is hit.
"""
import http.client
import json
import socket
import subprocess
import sys

SOCKET = '/var/run/kolejka/observer/socket'


class UnixConnection(http.client.HTTPConnection):
    def __init__(self):
        super().__init__('kolejka-observer')

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(SOCKET)


def call(command, body=None):
    connection = UnixConnection()
    connection.request('POST', '/' + command, body=json.dumps(body or {}).encode('utf-8'),
                       headers={'Content-Type': 'application/json; charset=utf-8'})
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, (json.loads(payload) if payload else None)


SOLUTION = r'''
import json, socket, sys
data = sys.argv[1].encode('utf8')
with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
    sock.connect('/var/run/kolejka/observer/socket')
    sock.sendall(b'POST attach HTTP/1.1\r\nHost: kolejka-observer\r\n'
                 b'Content-Type: application/json; charset=utf-8\r\n'
                 b'Content-Length: ' + str(len(data)).encode('utf8') + b'\r\n\r\n' + data)
    if not sock.recv(1024).startswith(b'HTTP/1.1 200 '):
        sys.exit(3)
block = bytearray(256 << 20)
for index in range(0, len(block), 4096):
    block[index] = 1
'''

status, session = call('open')
print('open', status, flush=True)
status, _ = call('limits', {**session, 'limits': {'memory': '64M', 'swap': '0b'}})
print('limits', status, flush=True)
code = subprocess.run([sys.executable, '-c', SOLUTION, json.dumps(session)]).returncode
print('solution', code, flush=True)
print('close', call('close', session)[0], flush=True)
sys.exit(1)
