#!/usr/bin/env python3
"""Loads an edge-eval HTML report in headless Chromium with the network off and
checks that every diagram with a 'valid' verdict was drawn as an SVG, that
nothing was logged as an error (console, exceptions, CSP), that the page asked
for nothing but its own file, and keeps a full-page screenshot.

usage: check_report.py CHROMIUM REPORT.html SCREENSHOT.png

Drives Chromium through the DevTools protocol over --remote-debugging-pipe
(fd 3 in, fd 4 out, messages separated by NUL): no driver package, no port.
Exit 0 when every check passes, 1 with the failures listed otherwise.
"""
import base64
import fcntl
import json
import os
import subprocess
import sys
import tempfile
import time

# A guard against a hung browser, not a speed check: 400 diagrams take about
# 20 s on a quiet 2-core machine and several times that when it is shared.
TIMEOUT_S = 300


class Browser:
    def __init__(self, chromium, profile):
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()

        # os.pipe's descriptors are close-on-exec; copies made by dup2 onto 3
        # and 4 are not, so the child keeps exactly those (close_fds would run
        # after this). Through descriptors >= 10 first: a pipe may itself be 3 or 4.
        def wire_fds():
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_child_r, from_child_w)]
            for target, fd in zip((3, 4), high):
                os.dup2(fd, target)
                os.close(fd)

        self.proc = subprocess.Popen(
            [chromium, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
             '--disable-background-networking', '--disable-component-update', '--disable-sync',
             '--proxy-server=127.0.0.1:9', '--proxy-bypass-list=<-loopback>',  # nothing could leave even if asked
             '--remote-debugging-pipe', '--window-size=1280,1000', '--user-data-dir=' + profile, 'about:blank'],
            preexec_fn=wire_fds, close_fds=False, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(profile, 'chromium.log'), 'wb'))
        os.close(to_child_r)
        os.close(from_child_w)
        self.next_id = 0
        self.buffer = b''
        self.events = []

    def _read_message(self, deadline):
        while b'\0' not in self.buffer:
            if time.time() > deadline:
                raise TimeoutError('Chromium did not answer in time')
            chunk = os.read(self.from_child, 1 << 16)
            if not chunk:
                raise RuntimeError('Chromium closed the pipe (see chromium.log)')
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b'\0', 1)
        return json.loads(message)

    def call(self, method, params=None, session=None):
        self.next_id += 1
        request = {'id': self.next_id, 'method': method, 'params': params or {}}
        if session:
            request['sessionId'] = session
        os.write(self.to_child, json.dumps(request).encode() + b'\0')
        deadline = time.time() + TIMEOUT_S
        while True:
            m = self._read_message(deadline)
            if m.get('id') == self.next_id:
                if 'error' in m:
                    raise RuntimeError(f'{method}: {m["error"]}')
                return m.get('result', {})
            self.events.append(m)

    def wait_event(self, method, deadline):
        while True:
            for i, e in enumerate(self.events):
                if e.get('method') == method:
                    return self.events.pop(i)
            self.events.append(self._read_message(deadline))

    def close(self):
        try:
            self.call('Browser.close')
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# Evaluated in the page: what was drawn where.
STATE = r'''JSON.stringify({
  mermaid: document.body.dataset.mermaid || null,
  mermaidPending: document.querySelectorAll('pre.mermaid:not([data-processed])').length,
  valid: Array.from(document.querySelectorAll('.run[data-verdict="valid"]')).map(r => ({
    where: r.closest('section').id + '/' + r.dataset.run,
    svg: !!r.querySelector('.diagram svg'),
    mermaidError: !!r.querySelector('.diagram [id^="d"][aria-roledescription="error"], .diagram .error-icon'),
  })),
  invalid: document.querySelectorAll('.run:not([data-verdict="valid"])').length,
  lossCurve: !!document.querySelector('svg.loss-curve'),
})'''


def main():
    chromium, report, screenshot = sys.argv[1:4]
    failures = []
    with tempfile.TemporaryDirectory() as profile:
        browser = Browser(chromium, profile)
        try:
            target = browser.call('Target.createTarget', {'url': 'about:blank'})['targetId']
            session = browser.call('Target.attachToTarget', {'targetId': target, 'flatten': True})['sessionId']
            for domain in ('Runtime', 'Log', 'Page', 'Network'):
                browser.call(domain + '.enable', session=session)
            browser.call('Network.emulateNetworkConditions', {'offline': True, 'latency': 0, 'downloadThroughput': -1,
                                                              'uploadThroughput': -1}, session=session)
            url = 'file://' + os.path.abspath(report)
            browser.call('Page.navigate', {'url': url}, session=session)
            deadline = time.time() + TIMEOUT_S
            browser.wait_event('Page.loadEventFired', deadline)
            while True:  # mermaid draws asynchronously after load
                value = browser.call('Runtime.evaluate', {'expression': STATE, 'returnByValue': True},
                                     session=session)['result']['value']
                state = json.loads(value)
                if state['mermaidPending'] == 0 and (state['mermaid'] is not None or
                                                     'pre.mermaid' not in open(report, encoding='utf-8').read()):
                    break
                if time.time() > deadline:
                    failures.append(f'mermaid did not finish drawing in {TIMEOUT_S} s: {state}')
                    break
                time.sleep(0.2)
            metrics = browser.call('Page.getLayoutMetrics', session=session)['cssContentSize']
            shot = browser.call('Page.captureScreenshot', {'format': 'png', 'captureBeyondViewport': True, 'clip': {
                'x': 0, 'y': 0, 'width': metrics['width'], 'height': min(metrics['height'], 16000), 'scale': 1}},
                session=session)
            with open(screenshot, 'wb') as f:
                f.write(base64.b64decode(shot['data']))
            events = browser.events
        finally:
            browser.close()

    if state['mermaid'] not in (None, 'done'):
        failures.append(f'mermaid.run: {state["mermaid"]}')
    for v in state['valid']:
        if not v['svg']:
            failures.append(f'{v["where"]}: verdict valid but no SVG drawn')
        if v['mermaidError']:
            failures.append(f'{v["where"]}: mermaid drew its error picture')
    for e in events:
        method, params = e.get('method'), e.get('params', {})
        if method == 'Runtime.consoleAPICalled' and params.get('type') in ('error', 'assert'):
            text = ' '.join(str(a.get('value', a.get('description', ''))) for a in params.get('args', []))
            failures.append(f'console.{params["type"]}: {text}')
        elif method == 'Runtime.exceptionThrown':
            failures.append(f'exception: {params["exceptionDetails"].get("exception", {}).get("description", params)}')
        elif method == 'Log.entryAdded' and params['entry']['level'] == 'error':
            failures.append(f'log ({params["entry"]["source"]}): {params["entry"]["text"]}')
        elif method == 'Network.requestWillBeSent':
            requested = params['request']['url']
            if requested != url and not requested.startswith('data:'):
                failures.append(f'the page requested {requested} (a report must be self-contained)')

    print(f'{report}: {len(state["valid"])} valid diagrams, {sum(v["svg"] for v in state["valid"])} drawn as SVG, '
          f'{state["invalid"]} others shown as source; loss curve: {state["lossCurve"]}; mermaid: {state["mermaid"]}')
    print(f'screenshot: {os.path.abspath(screenshot)}')
    for f in failures:
        print('FAIL', f)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
