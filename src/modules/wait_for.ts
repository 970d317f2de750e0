import type { ModuleDef } from './types.js';
import { runPython } from './lib/py.js';

/** The waiting happens on the host (one round trip): ports, files, regexes, drained connections. */
const BODY = String.raw`
import socket, select, datetime, math

STATES = {'ESTABLISHED': '01', 'SYN_SENT': '02', 'SYN_RECV': '03', 'FIN_WAIT1': '04', 'FIN_WAIT2': '05', 'TIME_WAIT': '06', 'CLOSE': '07', 'CLOSE_WAIT': '08', 'LAST_ACK': '09', 'LISTEN': '0A', 'CLOSING': '0B'}

def now():
    return datetime.datetime.utcnow()

def secs(td):
    return td.days * 86400 + td.seconds + td.microseconds / 1e6

def active_connections(port, states, exclude):
    import ipaddress
    excl = []
    for h in exclude or []:
        try:
            excl.append(ipaddress.ip_address(h))
        except ValueError:
            try:
                for ai in socket.getaddrinfo(h, None):
                    excl.append(ipaddress.ip_address(ai[4][0]))
            except socket.error:
                pass
    want = set(STATES[s] for s in states)
    n = 0
    for fam, f in ((4, '/proc/net/tcp'), (6, '/proc/net/tcp6')):
        try:
            lines = open(f).read().splitlines()[1:]
        except IOError:
            continue
        for l in lines:
            p = l.split()
            local, remote, st = p[1], p[2], p[3]
            if st not in want or int(local.split(':')[1], 16) != port:
                continue
            raddr = remote.split(':')[0]
            if fam == 4:
                ip = socket.inet_ntop(socket.AF_INET, bytes.fromhex(raddr)[::-1])
            else:
                b = bytes.fromhex(raddr)
                ip = socket.inet_ntop(socket.AF_INET6, b''.join(b[i:i + 4][::-1] for i in range(0, 16, 4)))
            a = ipaddress.ip_address(ip)
            if getattr(a, 'ipv4_mapped', None):
                a = a.ipv4_mapped
            if a in excl:
                continue
            n += 1
    return n

def main():
    a = ARGS
    host, timeout, ctimeout, delay, port, state, path = a['host'], a['timeout'], a['connect_timeout'], a['delay'], a.get('port'), a['state'], a.get('path')
    rx_text, msg = a.get('search_regex'), a.get('msg')
    rx = None
    if rx_text is not None:
        try:
            rx = re.compile(to_bytes(rx_text), re.MULTILINE)
        except re.error as e:
            fail('Invalid regular expression: %s' % e)
    groupdict, groups = {}, ()
    if port and path:
        fail('port and path parameter can not both be passed to wait_for', elapsed=0)
    if path and state == 'stopped':
        fail('state=stopped should only be used for checking a port in the wait_for module', elapsed=0)
    if path and state == 'drained':
        fail('state=drained should only be used for checking a port in the wait_for module', elapsed=0)
    if a.get('exclude_hosts') is not None and state != 'drained':
        fail('exclude_hosts should only be with state=drained', elapsed=0)
    for s in a['active_connection_states']:
        if s not in STATES:
            fail('unknown active_connection_state (%s) defined' % s, elapsed=0)
    start = now()
    if delay:
        time.sleep(delay)
    end = start + datetime.timedelta(seconds=timeout)
    def timed_out(text):
        fail(msg or text, elapsed=(now() - start).seconds)
    if not port and not path and state != 'drained':
        time.sleep(timeout)
    elif state in ('absent', 'stopped'):
        while now() < end:
            if path:
                if not os.access(path, os.F_OK):
                    break
            else:
                try:
                    s = socket.create_connection((host, port), ctimeout)
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except Exception:
                    break
            time.sleep(a['sleep'])
        else:
            timed_out('Timeout when waiting for %s:%s to stop.' % (host, port) if port else 'Timeout when waiting for %s to be absent.' % path)
    elif state in ('started', 'present'):
        while now() < end:
            if path:
                try:
                    os.stat(path)
                except OSError as e:
                    if e.errno != errno.ENOENT:
                        fail(msg or 'Failed to stat %s, %s' % (path, e.strerror), elapsed=(now() - start).seconds)
                else:
                    if rx is None:
                        break
                    try:
                        with open(path, 'rb') as f:
                            m = rx.search(f.read())
                        if m:
                            groupdict = m.groupdict() and dict((k, to_text(v)) for k, v in m.groupdict().items())
                            groups = tuple(to_text(g) for g in m.groups())
                            break
                    except IOError:
                        pass
            else:
                left = int(math.ceil(secs(end - now())))
                try:
                    s = socket.create_connection((host, port), max(1, min(ctimeout, left)))
                except Exception:
                    pass
                else:
                    matched = rx is None
                    if rx is not None:
                        data = b''
                        while now() < end:
                            r = select.select([s], [], [], max(0, math.ceil(secs(end - now()))))[0]
                            if not r:
                                continue
                            chunk = s.recv(1024)
                            if not chunk:
                                break
                            data += chunk
                            if rx.search(data):
                                matched = True
                                break
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except socket.error:
                        pass
                    s.close()
                    if matched:
                        break
            time.sleep(a['sleep'])
        else:
            if port:
                timed_out('Timeout when waiting for search string %s in %s:%s' % (rx_text, host, port) if rx_text else 'Timeout when waiting for %s:%s' % (host, port))
            else:
                timed_out('Timeout when waiting for search string %s in %s' % (rx_text, path) if rx_text else 'Timeout when waiting for file %s' % path)
    elif state == 'drained':
        while now() < end:
            if active_connections(port, a['active_connection_states'], a.get('exclude_hosts')) == 0:
                break
            time.sleep(a['sleep'])
        else:
            timed_out('Timeout when waiting for %s:%s to drain' % (host, port))
    return {'changed': False, 'state': state, 'port': port, 'search_regex': rx_text, 'match_groups': list(groups), 'match_groupdict': groupdict or {}, 'path': path, 'elapsed': (now() - start).seconds}
`;

export const waitForModule: ModuleDef<{ timeout: number; delay: number } & Record<string, unknown>> = {
  name: 'wait_for',
  description: 'Wait for a port to open/close, a file to appear/disappear (or hold a regex match), or connections to drain; the wait runs on the host.',
  notes: 'Skipped in check mode, as in Ansible (the module does not support it).',
  checkMode: 'none',
  argSpec: {
    host: { type: 'str', default: '127.0.0.1', description: 'the address to connect to (as seen from the host)' },
    port: { type: 'int', description: 'TCP port to wait for' },
    path: { type: 'path', description: 'file to wait for' },
    search_regex: { type: 'str', description: 'a regex the file or the port\'s first bytes must match (MULTILINE)' },
    state: { type: 'str', default: 'started', choices: ['absent', 'drained', 'present', 'started', 'stopped'], description: 'started/present: open or exists; stopped/absent: closed or gone; drained: no active connections on port' },
    timeout: { type: 'int', default: 300, description: 'seconds before failing' },
    connect_timeout: { type: 'int', default: 5, description: 'seconds per connection attempt' },
    delay: { type: 'int', default: 0, description: 'seconds to wait before the first check' },
    sleep: { type: 'int', default: 1, description: 'seconds between checks' },
    active_connection_states: { type: 'list', elements: 'str', default: ['ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'SYN_RECV', 'SYN_SENT', 'TIME_WAIT'], description: 'TCP states drained counts as active' },
    exclude_hosts: { type: 'list', elements: 'str', description: 'drained: ignore connections from these hosts' },
    msg: { type: 'str', description: 'message instead of the default on timeout' },
  },
  returns: { elapsed: 'seconds waited', state: 'the state asked for', port: 'the port', path: 'the path', search_regex: 'the regex', match_groups: 'groups of the regex match (path)', match_groupdict: 'named groups of the match' },
  async run(args, ctx) {
    if (ctx.check) return { changed: false, skipped: true, msg: 'wait_for does not support check mode' };
    return runPython(ctx, 'wait_for', BODY, args, { timeoutMs: (Number(args.delay) + Number(args.timeout) + 60) * 1000 });
  },
};

export const waitForConnectionModule: ModuleDef<{ connect_timeout: number; delay: number; sleep: number; timeout: number }> = {
  name: 'wait_for_connection',
  description: 'Wait until the host answers over its connection and runs a module (Python), e.g. after a reboot.',
  notes: 'Skipped in check mode, as in Ansible. A try that fails (connection lost, host down, no answer within `connect_timeout`) resets the connection, so the next try reconnects with the same settings; Ansible resets before every try, wheelwright only after a failed one (a healthy connection, perhaps shared with delegated tasks, is kept).',
  checkMode: 'none',
  argSpec: {
    connect_timeout: { type: 'int', default: 5, description: 'seconds per attempt' },
    delay: { type: 'int', default: 0, description: 'seconds to wait first' },
    sleep: { type: 'int', default: 1, description: 'seconds between attempts' },
    timeout: { type: 'int', default: 600, description: 'seconds before failing' },
  },
  returns: { elapsed: 'seconds waited' },
  async run(args, ctx) {
    if (ctx.check) return { changed: false, skipped: true };
    const start = Date.now();
    if (args.delay) await new Promise((r) => setTimeout(r, args.delay * 1000));
    const end = start + args.timeout * 1000;
    let last = '';
    for (;;) {
      try {
        const r = await runPython(ctx, 'ping', "def main():\n    return {'changed': False, 'ping': 'pong'}\n", {}, { timeoutMs: args.connect_timeout * 1000, check: false });
        if (r.ping === 'pong') return { changed: false, elapsed: Math.floor((Date.now() - start) / 1000) };
        last = String(r.msg ?? '');
      } catch (e) {
        last = (e as Error).message;
      }
      // the host went away (rebooted, connection lost): the next try opens a fresh connection
      // with the same settings (Ansible resets the connection before every try)
      await ctx.conn.reset?.().catch(() => undefined);
      if (Date.now() + args.sleep * 1000 > end) {
        return { changed: false, failed: true, elapsed: Math.floor((Date.now() - start) / 1000), msg: `timed out waiting for ping module test: ${last}` };
      }
      await new Promise((r) => setTimeout(r, args.sleep * 1000));
    }
  },
};
