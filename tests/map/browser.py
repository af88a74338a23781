#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Drive headless Chromium for the map tests, one browser for many pages.

  browser.py CHROMIUM < COMMANDS

Speaks the DevTools protocol over --remote-debugging-pipe (no network, no
websocket: JSON messages on file descriptors 3 and 4).  Commands, one a
line; each prints one line on stdout:

  open URL WIDTH HEIGHT   load URL in a WIDTHxHEIGHT window   -> "ok"
  shot FILE.png           screenshot of the window            -> "ok"
  eval EXPRESSION         evaluate in the page                -> its value, JSON
  mouse X Y               move the mouse to X, Y (window)     -> "ok"

Exit 0 if every command worked, 1 otherwise (the error on stderr).  Only
the standard library.
"""
import base64
import json
import os
import select
import subprocess
import sys
import tempfile
import time

TIMEOUT = 60.0


class Browser:
    def __init__(self, chromium):
        self.profile = tempfile.mkdtemp(prefix='zonekit-map-profile.')
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        def fds():  # the child's 3 and 4 are the protocol's pipes
            a, b = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(a, 3, inheritable=True)
            os.dup2(b, 4, inheritable=True)

        args = [chromium, '--headless', '--no-sandbox', '--disable-gpu',
                '--disable-quic', '--no-first-run', '--disable-background-networking',
                '--disable-component-update', '--disable-sync', '--disable-extensions',
                '--hide-scrollbars', '--force-device-scale-factor=1',
                '--user-data-dir=' + self.profile, '--remote-debugging-pipe',
                'about:blank']
        self.proc = subprocess.Popen(args, preexec_fn=fds, close_fds=False,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(os.devnull, 'w'))
        os.close(to_child_r)
        os.close(from_child_w)
        self.buf = b''
        self.next_id = 0
        self.events = []
        self.session = None
        target = self.call('Target.createTarget', {'url': 'about:blank'})['targetId']
        self.session = self.call('Target.attachToTarget',
                                 {'targetId': target, 'flatten': True})['sessionId']
        self.call('Page.enable')
        self.call('Runtime.enable')

    def send(self, method, params):
        self.next_id += 1
        msg = {'id': self.next_id, 'method': method, 'params': params or {}}
        if self.session:
            msg['sessionId'] = self.session
        data = json.dumps(msg).encode() + b'\0'
        while data:
            data = data[os.write(self.to_child, data):]
        return self.next_id

    def receive(self, deadline):
        while b'\0' not in self.buf:
            left = deadline - time.time()
            if left <= 0 or not select.select([self.from_child], [], [], left)[0]:
                raise TimeoutError('no answer from the browser')
            chunk = os.read(self.from_child, 1 << 20)
            if not chunk:
                raise EOFError('the browser went away')
            self.buf += chunk
        msg, self.buf = self.buf.split(b'\0', 1)
        return json.loads(msg)

    def call(self, method, params=None):
        want = self.send(method, params)
        deadline = time.time() + TIMEOUT
        while True:
            msg = self.receive(deadline)
            if msg.get('id') == want:
                if 'error' in msg:
                    raise RuntimeError('%s: %s' % (method, msg['error']))
                return msg.get('result', {})
            if 'method' in msg:
                self.events.append(msg['method'])

    def wait_event(self, name):
        deadline = time.time() + TIMEOUT
        while name not in self.events:
            msg = self.receive(deadline)
            if 'method' in msg:
                self.events.append(msg['method'])
        self.events.remove(name)

    def open(self, url, width, height):
        self.call('Emulation.setDeviceMetricsOverride',
                  {'width': width, 'height': height, 'deviceScaleFactor': 1, 'mobile': False})
        self.events = []
        self.call('Page.navigate', {'url': url})
        self.wait_event('Page.loadEventFired')

    def evaluate(self, expression):
        r = self.call('Runtime.evaluate', {'expression': expression, 'returnByValue': True,
                                           'awaitPromise': True})
        if 'exceptionDetails' in r:
            raise RuntimeError('eval: %s' % r['exceptionDetails'].get('text'))
        return r['result'].get('value')

    def close(self):
        try:
            self.session = None
            self.send('Browser.close', {})
            self.proc.wait(10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        subprocess.call(['rm', '-rf', self.profile])


def main():
    b = Browser(sys.argv[1])
    status = 0
    try:
        for line in sys.stdin:
            cmd, _, arg = line.strip().partition(' ')
            if not cmd:
                continue
            if cmd == 'open':
                url, w, h = arg.rsplit(' ', 2)
                b.open(url, int(w), int(h))
                out = 'ok'
            elif cmd == 'shot':
                r = b.call('Page.captureScreenshot', {'format': 'png'})
                with open(arg, 'wb') as f:
                    f.write(base64.b64decode(r['data']))
                out = 'ok'
            elif cmd == 'eval':
                out = json.dumps(b.evaluate(arg), ensure_ascii=False)
            elif cmd == 'mouse':
                x, y = arg.split()
                b.call('Input.dispatchMouseEvent',
                       {'type': 'mouseMoved', 'x': float(x), 'y': float(y)})
                out = 'ok'
            else:
                raise ValueError('unknown command ' + cmd)
            print(out, flush=True)
    except Exception as e:  # report, and let the test see the missing lines
        print('browser.py: %s' % e, file=sys.stderr)
        status = 1
    finally:
        b.close()
    return status


if __name__ == '__main__':
    sys.exit(main())
