import type { ModuleDef } from './types.js';
import { FILE_COMMON_ARGS, URL_COMMON_ARGS } from './lib/common-args.js';
import { runPython } from './lib/py.js';
import { PY_HTTP } from './lib/py-http.js';

/** One HTTP request from the host, with Ansible's uri result: status, headers as keys, json, content. */
const BODY = String.raw`
import datetime
from urllib.parse import urlencode, urljoin

JSON_CANDIDATES = ('json', 'javascript')

def form_urlencoded(body):
    if isinstance(body, dict):
        body = list(body.items())
    return urlencode([(k, v) for k, v in body], doseq=True)

def main():
    a = ARGS
    url, body, fmt = a['url'], a.get('body'), a['body_format'].lower()
    method, dest = a['method'].upper(), a.get('dest')
    codes = [int(x) for x in a['status_code']]
    headers = dict(a.get('headers') or {})
    if not re.match('^[A-Z]+$', method):
        fail("Parameter 'method' needs to be a single word in uppercase, like GET or POST.")
    lower = [h.lower() for h in headers]
    if fmt == 'json':
        if not isinstance(body, str):
            body = json.dumps(body)
        if 'content-type' not in lower:
            headers['Content-Type'] = 'application/json'
    elif fmt == 'form-urlencoded':
        if not isinstance(body, str):
            try:
                body = form_urlencoded(body)
            except (ValueError, TypeError) as e:
                fail('failed to parse body as form_urlencoded: %s' % e, elapsed=0)
        if 'content-type' not in lower:
            headers['Content-Type'] = 'application/x-www-form-urlencoded'
    elif fmt == 'form-multipart':
        fail('body_format form-multipart is not supported by wheelwright')
    if a.get('creates') is not None and os.path.exists(a['creates']):
        return {'stdout': "skipped, since '%s' exists" % a['creates'], 'changed': False}
    if a.get('removes') is not None and not os.path.exists(a['removes']):
        return {'stdout': "skipped, since '%s' does not exist" % a['removes'], 'changed': False}
    data = body
    if a.get('src'):
        try:
            data = read_bytes(a['src'])
            headers['Content-Length'] = len(data)
        except (IOError, OSError):
            fail('Unable to open source file %s' % a['src'], elapsed=0)
    last_mod = os.path.getmtime(dest) if dest is not None and os.path.isfile(dest) else None
    start = datetime.datetime.utcnow()
    r, info = fetch_url(url, data=data, headers=headers, method=method, timeout=a['timeout'], last_mod_time=last_mod, follow=a['follow_redirects'])
    elapsed = (datetime.datetime.utcnow() - start).seconds
    if r is not None and dest is not None and os.path.isdir(dest):
        fn = None
        cd = info.get('content-disposition')
        if cd:
            m = re.search(r'filename="?([^";]+)', cd)
            if m:
                fn = os.path.basename(m.group(1))
        dest = os.path.join(dest, fn or 'index.html')
    ctype = 'application/octet-stream'
    sub, charset = 'octet-stream', 'utf-8'
    if r is not None and getattr(r, 'headers', None) is not None:
        ctype = r.headers.get_content_type()
        sub = ctype.split('/', 1)[1] if '/' in ctype else ''
        charset = r.headers.get_content_charset() or 'utf-8'
    if '+' in sub:
        maybe_json = sub.partition('+')[2].lower() in JSON_CANDIDATES
    else:
        maybe_json = sub.lower() in JSON_CANDIDATES
    content = None
    if maybe_json or a['return_content'] or info['status'] not in codes or dest is not None:
        if 'body' in info:
            content = info.pop('body')
        elif r is not None:
            try:
                content = r.read()
            except Exception:
                content = b''
    info.pop('body', None)
    resp = {'redirected': info['url'] != url}
    resp.update(info)
    resp['elapsed'] = elapsed
    resp['status'] = int(resp['status'])
    resp['changed'] = False
    if r is not None and dest is not None:
        if resp['status'] in codes and resp['status'] != 304:
            if not CHECK:
                write_validated(dest, content or b'')
            resp['changed'] = True
            if set_attrs(dest, a.get('mode'), a.get('owner'), a.get('group'), CHECK, attributes=a.get('attributes')):
                resp['changed'] = True
        resp['path'] = dest
    out = dict((k.replace('-', '_').lower(), v) for k, v in resp.items())
    if 'location' in out:
        out['location'] = urljoin(url, out['location'])
    text = None
    if isinstance(content, bytes):
        text = content.decode(charset, 'replace')
        if maybe_json:
            try:
                out['json'] = json.loads(text)
            except Exception:
                pass
    if resp['status'] not in codes:
        out['msg'] = 'Status code was %s and not %s: %s' % (resp['status'], codes, out.get('msg', ''))
        if a['return_content']:
            out['content'] = text
        out['failed'] = True
        return out
    if a['return_content']:
        out['content'] = text
    return out
`;

export const uriModule: ModuleDef = {
  name: 'uri',
  description: 'Make an HTTP(S) request from the host (e.g. check an API): method, body as JSON or form, expected status codes.',
  notes: 'Skipped in check mode, as in Ansible (the module does not support it). Response headers become result keys (lower case, - as _).',
  checkMode: 'none',
  argSpec: {
    url: { type: 'str', required: true, description: 'the URL' },
    method: { type: 'str', default: 'GET', description: 'HTTP method (one upper-case word)' },
    body: { type: 'raw', description: 'request body (with body_format json/form-urlencoded: data to encode)' },
    body_format: { type: 'str', default: 'raw', choices: ['form-urlencoded', 'json', 'raw', 'form-multipart'], description: 'how to encode body (sets Content-Type); form-multipart is not supported' },
    src: { type: 'path', description: 'file on the host to send as the body' },
    headers: { type: 'dict', default: {}, description: 'request headers' },
    status_code: { type: 'list', elements: 'int', default: [200], description: 'status codes that mean success' },
    return_content: { type: 'bool', default: false, description: 'return the body as content (JSON bodies are parsed into json anyway)' },
    timeout: { type: 'int', default: 30, description: 'seconds for the request' },
    follow_redirects: { type: 'str', default: 'safe', choices: ['all', 'no', 'none', 'safe', 'urllib2', 'yes'], description: 'safe: only for GET/HEAD' },
    dest: { type: 'path', description: 'write the body to this file' },
    creates: { type: 'path', description: 'skip when this path exists' },
    removes: { type: 'path', description: 'skip when this path does not exist' },
    url_username: { type: 'str', aliases: ['user'], description: 'basic auth user' },
    url_password: { type: 'str', aliases: ['password'], no_log: true, description: 'basic auth password' },
    ca_path: { type: 'path', description: 'CA bundle to verify the server with' },
    force: { type: 'bool', default: false, description: 'send Cache-Control: no-cache' },
    remote_src: { type: 'bool', default: false, description: 'src is on the host (always the case here)' },
    ...URL_COMMON_ARGS,
    ...FILE_COMMON_ARGS,
  },
  mutuallyExclusive: [['body', 'src']],
  returns: { status: 'HTTP status', url: 'final URL', msg: "'OK (N bytes)' or the error", redirected: 'whether redirects were followed', json: 'the parsed body when it is JSON', content: 'the body (return_content)', elapsed: 'seconds', cookies: 'cookies set', cookies_string: 'them as a header value', '<header>': 'each response header, lower case, - as _' },
  async run(args, ctx) {
    if (ctx.check) return { changed: false, skipped: true, msg: 'uri does not support check mode' };
    return runPython(ctx, 'uri', `${PY_HTTP}\n${BODY}`, args, { timeoutMs: (Number(args.timeout) * 2 + 60) * 1000 });
  },
};
