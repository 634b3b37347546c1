"""What a kolejka-judge does with the observer, run inside a task container.

The judge (this process) opens sessions with the standard library's http.client over the
bind-mounted socket; each solution is a fresh process that attaches itself exactly like the
original starter (a raw "POST attach" without a slash, one recv, hang up) and then runs.
Prints one JSON line with what happened.
"""
import http.client
import json
import socket
import subprocess
import sys
import time

SOCKET = '/var/run/kolejka/observer/socket'


class UnixConnection(http.client.HTTPConnection):
    def __init__(self):
        super().__init__('kolejka-observer')

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(SOCKET)


def call(command, body=None):
    connection = UnixConnection()
    data = json.dumps(body or {}).encode('utf-8')
    connection.request('POST', '/' + command, body=data,
                       headers={'Content-Type': 'application/json; charset=utf-8'})
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, (json.loads(payload) if payload else None)


SOLUTION = r'''
import json, socket, sys, time
session = json.loads(sys.argv[1])
data = json.dumps(session).encode('utf8')
request = b'\r\n'.join([
    b'POST attach HTTP/1.1',
    b'Host: kolejka-observer',
    b'Content-Type: application/json; charset=utf-8',
    b'Content-Length: ' + str(len(data)).encode('utf8'),
    b'',
    data,
])
with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
    sock.connect('/var/run/kolejka/observer/socket')
    sock.sendall(request)
    reply = sock.recv(1024)
if not reply.startswith(b'HTTP/1.1 200 '):
    sys.exit(3)
if sys.argv[2] == 'alloc':
    block = bytearray(256 << 20)
    for index in range(0, len(block), 4096):
        block[index] = 1
    sys.exit(0)
time.sleep(30)
'''


def solution(session, mode):
    return subprocess.run([sys.executable, '-c', SOLUTION, json.dumps(session), mode]).returncode


result = {}

status, memory_session = call('open')
result['open'] = status
status, _ = call('limits', {'session_id': memory_session['session_id'], 'secret': memory_session['secret'],
                            'limits': {'memory': '64M', 'swap': '0b'}})
result['limits'] = status
result['oom_returncode'] = solution(memory_session, 'alloc')
result['oom_stats'] = call('stats', {'session_id': memory_session['session_id']})[1]
result['oom_close'] = call('close', memory_session)[0]
result['oom_stats_after_close'] = call('stats', {'session_id': memory_session['session_id']})

started = time.monotonic()
status, time_session = call('open')
call('limits', {'session_id': time_session['session_id'], 'secret': time_session['secret'],
                'limits': {'time': '1s'}})
result['time_returncode'] = solution(time_session, 'sleep')
result['time_elapsed'] = time.monotonic() - started
result['time_stats_after_deadline'] = call('stats', {'session_id': time_session['session_id']})
result['time_close'] = call('close', time_session)
result['sessions_left'] = call('')[1]['sessions']
print(json.dumps(result))
